"""Per-broker configuration of a FIX venue: version, CompIDs, endpoints and wire quirks.

Brokers differ in small ways on the same standard: where they want the account, which
extra tags they require on every order, what they call a symbol. :class:`FixVenueConfig`
holds those differences, so the mapping code stays one piece for every counterparty:

- ``symbols`` maps our venue symbol to the broker's Symbol(55) (reversed on the way in);
- ``extra_tags`` adds fixed fields to each outbound message of a MsgType (e.g.
  ``{"D": {"100": "XNAS"}}`` for ExDestination(100));
- ``tag_renames`` moves a standard tag to the broker's tag on every outbound message
  (e.g. ``{"1": "5001"}`` when the broker reads the account from a custom tag).
"""

from __future__ import annotations

from typing import Final

import msgspec

from ordergate.domain.values import AssetClass, OrderType, TimeInForce
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.venue.codes import FIX42, FIX44

__all__ = ["FixVenueConfig"]

_VERSIONS: Final = (FIX42, FIX44)
# Tags whose place or meaning the session layer owns: renaming them would break the session.
_SESSION_TAGS: Final = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 97, 122})


class FixVenueConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One FIX counterparty as a venue.

    Parameters
    ----------
    name
        Venue name the OMS routes to (``"FIXSIM"``).
    begin_string
        ``"FIX.4.2"`` or ``"FIX.4.4"``.
    sender_comp_id, target_comp_id
        SenderCompID(49) we send with, TargetCompID(56) of the counterparty.
    endpoints
        ``(host, port)`` pairs, tried in order (failover).
    heartbeat_interval
        HeartBtInt(108) we propose, in seconds.
    account
        Account(1) sent on every order in place of the order's own account ("": the
        order's account, as the OMS knows it).
    handl_inst
        HandlInst(21), required on FIX 4.2 orders (1: automated, no broker intervention).
    symbols
        Our venue symbol -> the counterparty's Symbol(55).
    extra_tags
        MsgType -> {tag: value} added to each outbound message of that type.
    tag_renames
        Standard tag -> the counterparty's tag, applied to every outbound message.
    supports_mass_cancel
        Whether the counterparty takes OrderMassCancelRequest(q) (FIX 4.4 only).
    logon_timeout, status_timeout
        Seconds to wait for the Logon(A) reply and for OrderStatusRequest(H) replies.
    order_types, time_in_force, asset_classes
        What the counterparty takes (the OMS routes only these).
    username, password
        Username(553)/Password(554) of the FIX 4.4 Logon.
    reset_on_logon
        ResetSeqNumFlag(141)=Y on every Logon.
    """

    name: str
    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    endpoints: list[tuple[str, int]]
    heartbeat_interval: int = 30
    account: str = ""
    handl_inst: str = "1"
    symbols: dict[str, str] = msgspec.field(default_factory=dict)
    extra_tags: dict[str, dict[int, str]] = msgspec.field(default_factory=dict)
    tag_renames: dict[int, int] = msgspec.field(default_factory=dict)
    supports_mass_cancel: bool = False
    logon_timeout: float = 10.0
    status_timeout: float = 5.0
    order_types: frozenset[OrderType] = frozenset(OrderType)
    time_in_force: frozenset[TimeInForce] = frozenset(TimeInForce)
    asset_classes: frozenset[AssetClass] = frozenset(AssetClass)
    username: str | None = None
    password: str | None = None
    reset_on_logon: bool = False

    def __post_init__(self) -> None:
        if self.begin_string not in _VERSIONS:
            raise ValueError(f"begin_string {self.begin_string!r} is not one of {_VERSIONS}")
        if not self.name or not self.sender_comp_id or not self.target_comp_id:
            raise ValueError("name, sender_comp_id and target_comp_id must not be empty")
        if not self.endpoints:
            raise ValueError("at least one endpoint (host, port) is needed")
        for host, port in self.endpoints:
            if not host or not 0 < port < 65536:
                raise ValueError(f"endpoint {host}:{port} is not a host and a port 1-65535")
        if self.heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be positive")
        if self.supports_mass_cancel and self.begin_string == FIX42:
            raise ValueError("OrderMassCancelRequest(q) does not exist in FIX 4.2")
        for tag, to in self.tag_renames.items():
            if tag in _SESSION_TAGS or to in _SESSION_TAGS or to <= 0:
                raise ValueError(f"tag rename {tag} -> {to} touches a session-level tag")
        for msg_type, fields in self.extra_tags.items():
            if any(tag in _SESSION_TAGS or tag <= 0 for tag in fields):
                raise ValueError(f"extra tags of {msg_type!r} include a session-level tag")
        if len(set(self.symbols.values())) != len(self.symbols):
            raise ValueError("two symbols map to the same counterparty symbol")

    @property
    def session_id(self) -> str:
        """Return the session's name, ``BeginString:SenderCompID->TargetCompID``."""
        return self.session_config().session_id

    def session_config(self) -> SessionConfig:
        """Return the initiator's :class:`SessionConfig` for this counterparty."""
        return SessionConfig(
            begin_string=self.begin_string,
            sender_comp_id=self.sender_comp_id,
            target_comp_id=self.target_comp_id,
            role=Role.INITIATOR,
            heartbeat_interval=self.heartbeat_interval,
            reset_on_logon=self.reset_on_logon,
            logon_timeout=int(self.logon_timeout),
            username=self.username,
            password=self.password,
        )
