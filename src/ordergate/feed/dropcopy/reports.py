"""Order events as drop-copy ExecutionReports(8), by the rules of FIX 4.2 and FIX 4.4 (pure).

One report per reported event, built from the event and the order's state before and after
it (see :mod:`ordergate.feed.dropcopy.book`):

======================  ================  =================  ==================
event                   ExecType(150) 4.4 ExecType(150) 4.2  OrdStatus(39)
======================  ================  =================  ==================
OrderSubmitted          A pending new     A                  after the event
OrderAccepted           0 new             0                  after the event
OrderRejected           8 rejected        8                  8
OrderPendingCancel      6 pending cancel  6                  6
OrderCanceled           4 canceled        4                  4
OrderCancelRejected     D restated        D                  restored status
OrderPendingReplace     E pending replace E                  E
OrderReplaced           5 replaced        5                  after the event
OrderReplaceRejected    D restated        D                  restored status
OrderPartiallyFilled    F trade           1 partial fill     after the event
OrderFilled             F trade           2 fill             2
OrderExpired            C expired         C                  C
======================  ================  =================  ==================

FIX 4.2 reports also carry ExecTransType(20)=0 (new). A refused cancel or replace has no
ExecType of its own (FIX answers the requester with OrderCancelReject(9)); the drop copy
restates the order instead, so every state change reaches the counterparty as an
ExecutionReport with an ExecID. :data:`SKIPPED_EVENT_TYPES` lists the events that are not
reported, and why.

Identifiers: ClOrdID(11) is the ordergate order id (it survives cancel/replace, so
OrigClOrdID(41) repeats it on cancel and replace reports), OrderID(37) the venue's order id
(``NONE`` until the venue acknowledged the order), ExecID(17) ``DC-<feed position>``: the same
event always gets the same ExecID, whichever connection, resend or restart sends it. FIX 4.4
adds SecondaryClOrdID(526) (the client order id) and, on fills, SecondaryExecID(527) (the
venue's execution id). Quantities and prices are the order's exact decimals, never floats;
AvgPx(6) is the domain's average price (notional / CumQty, to 28 significant digits).
"""

from __future__ import annotations

from typing import Final

from ordergate.domain.events import (
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    OrderReplaceRejected,
)
from ordergate.domain.order import Order
from ordergate.domain.values import ZERO, Liquidity, OrderStatus, TimeInForce
from ordergate.fix.message import FieldValue, FixMessage
from ordergate.fix.venue.codes import (
    FIX42,
    FIX44,
    ORD_STATUS,
    ORD_TYPE,
    SIDE,
    TIME_IN_FORCE,
    format_utc_timestamp,
)

__all__ = [
    "EXEC_TYPE",
    "REPORTED_EVENT_TYPES",
    "SKIPPED_EVENT_TYPES",
    "SUPPORTED_BEGIN_STRINGS",
    "exec_id_of",
    "execution_report",
    "position_of",
]

SUPPORTED_BEGIN_STRINGS: Final = frozenset({FIX42, FIX44})

#: ExecType(150) per reported event type, as FIX 4.4 writes it (fills: F, trade).
EXEC_TYPE: Final[dict[str, bytes]] = {
    "OrderSubmitted": b"A",
    "OrderAccepted": b"0",
    "OrderRejected": b"8",
    "OrderPendingCancel": b"6",
    "OrderCanceled": b"4",
    "OrderCancelRejected": b"D",
    "OrderPendingReplace": b"E",
    "OrderReplaced": b"5",
    "OrderReplaceRejected": b"D",
    "OrderPartiallyFilled": b"F",
    "OrderFilled": b"F",
    "OrderExpired": b"C",
}
REPORTED_EVENT_TYPES: Final = frozenset(EXEC_TYPE)

#: Event types deliberately not reported, with the reason.
SKIPPED_EVENT_TYPES: Final[dict[str, str]] = {
    # The fill was not applied: the order's quantities and status did not change, and a
    # trade report would make the counterparty count an execution that never counted.
    "OrderFillRefused": "a refused fill changes nothing; it is flagged for review instead",
}

_EXEC_ID_PREFIX: Final = "DC-"
# Reports that answer a cancel or replace request name the order they change.
_NAMES_ORIGINAL: Final = frozenset({b"6", b"E", b"5"})
_RESTATED: Final = b"D"
_FIX44_RESTATEMENT_OTHER: Final = b"99"  # ExecRestatementReason(378): required with D in 4.4
_ABSOLUTE: Final = b"3"  # CommType(13): Commission(12) is an amount
_LIQUIDITY: Final = {Liquidity.MAKER: b"1", Liquidity.TAKER: b"2"}  # LastLiquidityInd(851)


def exec_id_of(position: int) -> str:
    """Return the ExecID(17) of the event at feed ``position`` (``DC-<position>``)."""
    return f"{_EXEC_ID_PREFIX}{position}"


def position_of(exec_id: bytes | str | None) -> int | None:
    """Return the feed position an ExecID(17) of :func:`exec_id_of` names, or None."""
    if exec_id is None:
        return None
    text = exec_id.decode("latin-1") if isinstance(exec_id, bytes) else exec_id
    digits = text.removeprefix(_EXEC_ID_PREFIX)
    if digits == text or not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits)


def execution_report(
    begin_string: str, position: int, event: OrderEvent, before: Order | None, after: Order
) -> FixMessage | None:
    """Return the drop-copy ExecutionReport(8) of ``event``, or None when it is not reported.

    Parameters
    ----------
    begin_string
        ``"FIX.4.2"`` or ``"FIX.4.4"``: which version's rules the report follows.
    position
        The event's feed position; it becomes ExecID(17).
    event
        The order event (its type picks ExecType(150), see the module docstring).
    before
        The order before the event (None for OrderSubmitted).
    after
        The order after the event: OrdStatus(39), OrderQty(38), CumQty(14), LeavesQty(151)
        and AvgPx(6) come from it.

    Raises
    ------
    ValueError
        If ``begin_string`` is not FIX 4.2 or 4.4.
    """
    if begin_string not in SUPPORTED_BEGIN_STRINGS:
        raise ValueError(f"drop copy speaks FIX.4.2 and FIX.4.4, not {begin_string!r}")
    exec_type = EXEC_TYPE.get(type(event).__name__)
    if exec_type is None:
        return None
    fix42 = begin_string == FIX42
    fields: list[tuple[int, FieldValue]] = [
        (37, after.venue_order_id or "NONE"),
        (11, after.id),
    ]
    if not fix42:
        fields.append((526, after.client_order_id))
    if exec_type in _NAMES_ORIGINAL or (
        isinstance(event, OrderCanceled)
        and before is not None
        and before.status is OrderStatus.PENDING_CANCEL
    ):
        fields.append((41, after.id))
    fields.append((17, exec_id_of(position)))
    fill = event if isinstance(event, OrderPartiallyFilled | OrderFilled) else None
    if fix42:
        if fill is not None:
            exec_type = b"2" if isinstance(fill, OrderFilled) else b"1"
        fields += [(20, b"0"), (150, exec_type)]
    else:
        fields.append((150, exec_type))
        if fill is not None:
            fields.append((527, fill.execution_id))
    fields.append((39, ORD_STATUS[after.status]))
    if exec_type == _RESTATED and not fix42:
        fields.append((378, _FIX44_RESTATEMENT_OTHER))
    fields += _order_terms(after)
    if fill is not None:
        fields += _fill_fields(fill, fix42)
    average = after.average_fill_price
    fields += [
        (151, after.leaves_quantity),
        (14, after.filled_quantity),
        (6, average if average is not None else ZERO),
        (60, format_utc_timestamp(event.ts_event)),
    ]
    text = _text_of(event)
    if text:
        fields.append((58, text))
    return FixMessage.of("8", *fields)


def _order_terms(order: Order) -> list[tuple[int, FieldValue]]:
    fields: list[tuple[int, FieldValue]] = [
        (1, order.account),
        (55, order.symbol),
        (54, SIDE[order.side]),
        (38, order.quantity),
        (40, ORD_TYPE[order.order_type]),
    ]
    if order.price is not None:
        fields.append((44, order.price))
    if order.stop_price is not None:
        fields.append((99, order.stop_price))
    fields.append((59, TIME_IN_FORCE[order.time_in_force]))
    if order.time_in_force is TimeInForce.GTD and order.expire_time is not None:
        fields.append((126, format_utc_timestamp(order.expire_time)))
    return fields


def _fill_fields(
    fill: OrderPartiallyFilled | OrderFilled, fix42: bool
) -> list[tuple[int, FieldValue]]:
    # LastQty(32) in 4.4 is LastShares(32) in 4.2: the same tag.
    fields: list[tuple[int, FieldValue]] = [
        (32, fill.last_quantity),
        (31, fill.last_price),
        (12, fill.fee),
        (13, _ABSOLUTE),
    ]
    if not fix42:
        if fill.fee_currency:
            fields.append((479, fill.fee_currency))
        if fill.liquidity is not None:
            fields.append((851, _LIQUIDITY[fill.liquidity]))
    return fields


def _text_of(event: OrderEvent) -> str | None:
    if isinstance(event, OrderRejected):
        return f"{event.code}: {event.reason}"
    if isinstance(event, OrderCancelRejected):
        return f"cancel rejected: {event.reason}"
    if isinstance(event, OrderReplaceRejected):
        return f"replace rejected: {event.reason}"
    if isinstance(event, OrderCanceled):
        return event.reason
    return None
