"""Configuration of the FIX drop copy: the listener, its CompID, and who may see what."""

from __future__ import annotations

from typing import Literal

import msgspec

from ordergate.feed.access import Principal
from ordergate.feed.dropcopy.reports import SUPPORTED_BEGIN_STRINGS
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.venue.codes import FIX42, FIX44

__all__ = ["Counterparty", "DropCopyConfig", "StartFrom"]

StartFrom = Literal["head", "zero"]


class Counterparty(msgspec.Struct, frozen=True, kw_only=True):
    """One counterparty the drop copy serves, known by its SenderCompID(49).

    Attributes
    ----------
    comp_id
        Its SenderCompID(49) (our TargetCompID(56)); a Logon from any other CompID is
        refused.
    accounts
        The accounts it is entitled to; None for every account. Reports of other
        accounts' orders are never sent to it.
    start_from
        Where its first session starts: ``"head"`` (default) sends what happens from its
        first logon on; ``"zero"`` sends the whole history first. Later logons always
        resume after the last report sent.
    """

    comp_id: str
    accounts: frozenset[str] | None = None
    start_from: StartFrom = "head"

    def principal(self) -> Principal:
        """Return the feed principal of this counterparty (its entitlements)."""
        return Principal(name=self.comp_id, accounts=self.accounts)


class DropCopyConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The drop copy acceptor.

    Attributes
    ----------
    comp_id
        Our SenderCompID(49).
    counterparties
        Who may log on, and their entitlements.
    host, port
        Where to listen; port 0 picks a free one.
    begin_strings
        The FIX versions a counterparty may log on with (each is its own FIX session, with
        its own sequence numbers and resume position).
    store_url
        The FIX message store (``sqlite:///path/fix.db`` or ``postgresql://...``), holding
        sequence numbers, sent reports (for resends) and resume positions. None keeps them
        in memory: a restart forgets them (tests, demos).
    heartbeat_interval
        HeartBtInt(108) of our sessions, in seconds (the acceptor follows the initiator's).

    Raises
    ------
    ValueError
        If there is no counterparty, two share a CompID, one uses ours, an entitlement
        names no account, or a BeginString is not FIX.4.2 or FIX.4.4.
    """

    comp_id: str
    counterparties: tuple[Counterparty, ...]
    host: str = "127.0.0.1"
    port: int = 0
    begin_strings: frozenset[str] = frozenset({FIX42, FIX44})
    store_url: str | None = None
    heartbeat_interval: int = 30

    def __post_init__(self) -> None:
        if not self.comp_id:
            raise ValueError("the drop copy needs a CompID")
        if not self.counterparties:
            raise ValueError("the drop copy needs at least one counterparty")
        if not self.begin_strings or not self.begin_strings <= SUPPORTED_BEGIN_STRINGS:
            unknown = sorted(self.begin_strings - SUPPORTED_BEGIN_STRINGS) or ["none"]
            raise ValueError(f"begin_strings must be FIX.4.2 and/or FIX.4.4, not {unknown}")
        seen: set[str] = set()
        for counterparty in self.counterparties:
            if not counterparty.comp_id:
                raise ValueError("a counterparty needs a CompID")
            if counterparty.comp_id == self.comp_id:
                raise ValueError(f"counterparty {counterparty.comp_id!r} has our own CompID")
            if counterparty.comp_id in seen:
                raise ValueError(f"counterparty {counterparty.comp_id!r} is configured twice")
            seen.add(counterparty.comp_id)
            counterparty.principal()  # an empty entitlement raises here, not at logon

    def sessions(self) -> list[tuple[SessionConfig, Counterparty]]:
        """Return the acceptor session of every counterparty and BeginString, sorted."""
        return [
            (
                SessionConfig(
                    begin_string=begin,
                    sender_comp_id=self.comp_id,
                    target_comp_id=counterparty.comp_id,
                    role=Role.ACCEPTOR,
                    heartbeat_interval=self.heartbeat_interval,
                ),
                counterparty,
            )
            for counterparty in self.counterparties
            for begin in sorted(self.begin_strings)
        ]
