"""FIX code values of the order flow and their domain counterparts, in both directions.

One table per FIX field: Side(54), OrdType(40), TimeInForce(59), OrdStatus(39). Each
domain enum member has exactly one FIX value (a test proves every member is covered);
inbound lookups fail with :class:`FixMappingError` naming the tag and the value, never with
a silent default. ExecType(150) is mapped in :mod:`ordergate.fix.venue.inbound`, because
its meaning depends on the FIX version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final, TypeVar

from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.fix.session.timefmt import parse_utc_timestamp as _parse_usual

__all__ = [
    "FIX42",
    "FIX44",
    "ORD_STATUS",
    "ORD_TYPE",
    "SIDE",
    "TIME_IN_FORCE",
    "FixMappingError",
    "format_utc_timestamp",
    "ord_status_of",
    "ord_type_of",
    "parse_utc_timestamp",
    "side_of",
    "time_in_force_of",
]

_T = TypeVar("_T")

FIX42: Final = "FIX.4.2"
FIX44: Final = "FIX.4.4"


class FixMappingError(ValueError):
    """An inbound value has no domain meaning, or an outbound term has no FIX form."""


SIDE: Final[dict[Side, bytes]] = {Side.BUY: b"1", Side.SELL: b"2"}
ORD_TYPE: Final[dict[OrderType, bytes]] = {
    OrderType.MARKET: b"1",
    OrderType.LIMIT: b"2",
    OrderType.STOP: b"3",
    OrderType.STOP_LIMIT: b"4",
}
TIME_IN_FORCE: Final[dict[TimeInForce, bytes]] = {
    TimeInForce.DAY: b"0",
    TimeInForce.GTC: b"1",
    TimeInForce.IOC: b"3",
    TimeInForce.FOK: b"4",
    TimeInForce.GTD: b"6",
}
# OrdStatus(39) for reports we send; the reverse map below reads what counterparties send.
ORD_STATUS: Final[dict[OrderStatus, bytes]] = {
    OrderStatus.NEW: b"0",
    OrderStatus.PARTIALLY_FILLED: b"1",
    OrderStatus.FILLED: b"2",
    OrderStatus.CANCELED: b"4",
    OrderStatus.PENDING_CANCEL: b"6",
    OrderStatus.REJECTED: b"8",
    OrderStatus.PENDING_NEW: b"A",
    OrderStatus.EXPIRED: b"C",
    OrderStatus.PENDING_REPLACE: b"E",
}
# Inbound OrdStatus values beyond the ones we send. Stopped(7), Suspended(9), Calculated(B)
# and Accepted for bidding(D) are working orders as far as reconciliation goes: the venue
# still holds them. Done for day(3) is finished for the session, like an expiry. Replaced(5)
# (FIX 4.2) is a working order; whether it traded is told by CumQty(14).
_ORD_STATUS_IN: Final[dict[bytes, OrderStatus]] = {
    **{v: k for k, v in ORD_STATUS.items()},
    b"3": OrderStatus.EXPIRED,
    b"5": OrderStatus.NEW,
    b"7": OrderStatus.NEW,
    b"9": OrderStatus.NEW,
    b"B": OrderStatus.NEW,
    b"D": OrderStatus.NEW,
}
_SIDE_IN: Final = {v: k for k, v in SIDE.items()}
_ORD_TYPE_IN: Final = {v: k for k, v in ORD_TYPE.items()}
_TIF_IN: Final = {v: k for k, v in TIME_IN_FORCE.items()}


def _lookup(table: Mapping[bytes, _T], tag: int, value: bytes | None) -> _T:
    if value is None:
        raise FixMappingError(f"tag {tag} is missing")
    found = table.get(value)
    if found is None:
        raise FixMappingError(f"tag {tag} value {value.decode('latin-1')!r} is not supported")
    return found


def side_of(value: bytes | None) -> Side:
    """Return the Side of Side(54) ``value``; FixMappingError if it is not 1 or 2."""
    return _lookup(_SIDE_IN, 54, value)


def ord_type_of(value: bytes | None) -> OrderType:
    """Return the OrderType of OrdType(40) ``value``; FixMappingError if unsupported."""
    return _lookup(_ORD_TYPE_IN, 40, value)


def time_in_force_of(value: bytes | None) -> TimeInForce:
    """Return the TimeInForce of TimeInForce(59) ``value`` (absent: DAY, the FIX default)."""
    return TimeInForce.DAY if value is None else _lookup(_TIF_IN, 59, value)


def ord_status_of(value: bytes | None) -> OrderStatus:
    """Return the OrderStatus of OrdStatus(39) ``value``; FixMappingError if unknown."""
    return _lookup(_ORD_STATUS_IN, 39, value)


_second_cache: list[tuple[int, bytes]] = [(-1, b"")]


def format_utc_timestamp(ts_ns: int) -> bytes:
    """Return UTCTimestamp ``YYYYMMDD-HH:MM:SS.sss`` (millisecond precision) of ``ts_ns``."""
    seconds, ns = divmod(ts_ns, 1_000_000_000)
    cached_second, text = _second_cache[0]
    if cached_second != seconds:  # formatting the date part is the slow bit: once a second
        text = datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%d-%H:%M:%S").encode("ascii")
        _second_cache[0] = (seconds, text)
    return b"%s.%03d" % (text, ns // 1_000_000)


def parse_utc_timestamp(value: bytes) -> int:
    """Return nanoseconds since the epoch of a UTCTimestamp (seconds, ms, us or ns precision).

    Raises
    ------
    FixMappingError
        If ``value`` is not a UTCTimestamp.
    """
    # The usual form (whole seconds, or a 3/6/9-digit fraction) is read by the session's
    # parser; anything else, and a leap second (60), which the standard library refuses,
    # by strptime below.
    if value[15:17] != b"60":
        fast = _parse_usual(value)
        if fast is not None:
            return fast
    text = value.decode("latin-1")
    whole, _, fraction = text.partition(".")
    try:
        moment = datetime.strptime(whole, "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise FixMappingError(f"{text!r} is not a UTCTimestamp") from None
    if fraction and (not fraction.isdigit() or len(fraction) > 9):
        raise FixMappingError(f"{text!r} is not a UTCTimestamp")
    return int(moment.timestamp()) * 1_000_000_000 + int(fraction.ljust(9, "0") or "0")
