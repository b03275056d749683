"""Decisions: given an order's state and what just happened, which events to append.

Pure functions in the ``decide(state, input) -> list[Event]`` shape. They never mutate the
order; the caller appends the returned events and folds them with
:func:`ordergate.domain.order.evolve`. Each refusal raises before anything is returned.
"""

from __future__ import annotations

from typing import TypedDict, assert_never

from ordergate.domain.commands import ModifyOrder, SubmitOrder
from ordergate.domain.errors import ErrorCode, OrderError
from ordergate.domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderFillRefused,
    OrderPartiallyFilled,
    OrderPendingCancel,
    OrderPendingReplace,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    OrderSubmitted,
)
from ordergate.domain.instrument import Instrument
from ordergate.domain.order import Order
from ordergate.domain.order_status import ORDER_TRANSITIONS, InvalidStateTransition, Trigger
from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.domain.validation import validate_modify
from ordergate.domain.values import OrderStatus

__all__ = ["decide_cancel", "decide_modify", "decide_report", "decide_submit"]


class _Header(TypedDict):
    event_id: str
    order_id: str
    version: int
    ts_event: int
    ts_init: int


def _next(order: Order) -> tuple[str, int]:
    version = order.version + 1
    return f"{order.id}:{version}", version


def decide_submit(
    command: SubmitOrder, order_id: str, venue: str, digest: str, ts_event: int, ts_init: int
) -> OrderSubmitted:
    """Return the event that creates an order from a validated command."""
    return OrderSubmitted(
        event_id=f"{order_id}:1",
        order_id=order_id,
        version=1,
        ts_event=ts_event,
        ts_init=ts_init,
        client_order_id=command.client_order_id,
        account=command.account,
        portfolio=command.portfolio,
        strategy=command.strategy,
        venue=venue,
        symbol=command.symbol,
        side=command.side,
        order_type=command.order_type,
        quantity=command.quantity,
        price=command.price,
        stop_price=command.stop_price,
        time_in_force=command.time_in_force,
        expire_time=command.expire_time,
        request_digest=digest,
    )


def decide_cancel(order: Order, ts_event: int) -> OrderPendingCancel:
    """Return the event recording a cancel request.

    Raises
    ------
    OrderError
        ORDER_NOT_OPEN for a finished order, ORDER_PENDING when a cancel or replace is pending.
    """
    if order.status.is_terminal:
        raise OrderError(
            ErrorCode.ORDER_NOT_OPEN, f"order {order.id} is {order.status}; nothing to cancel"
        )
    if (order.status, Trigger.REQUEST_CANCEL) not in ORDER_TRANSITIONS:
        raise OrderError(
            ErrorCode.ORDER_PENDING,
            f"order {order.id} is {order.status}; wait for the venue's answer",
        )
    event_id, version = _next(order)
    return OrderPendingCancel(
        event_id=event_id, order_id=order.id, version=version, ts_event=ts_event, ts_init=ts_event
    )


def decide_modify(
    order: Order, command: ModifyOrder, instrument: Instrument, ts_event: int
) -> OrderPendingReplace:
    """Return the event recording a modification request (sent as a cancel/replace).

    Raises
    ------
    OrderError
        See :func:`ordergate.domain.validation.validate_modify`.
    """
    quantity, price, stop_price, tif, expire = validate_modify(order, command, instrument, ts_event)
    event_id, version = _next(order)
    return OrderPendingReplace(
        event_id=event_id,
        order_id=order.id,
        version=version,
        ts_event=ts_event,
        ts_init=ts_event,
        quantity=quantity,
        price=price,
        stop_price=stop_price,
        time_in_force=tif,
        expire_time=expire,
    )


def decide_report(order: Order, report: ExecutionReport, ts_init: int) -> list[OrderEvent]:
    """Return the events an execution report causes (none for a duplicate).

    Raises
    ------
    InvalidStateTransition
        If the report does not fit the order's status (e.g. a fill for a canceled order).
    ValueError
        If a TRADE report lacks its execution id, quantity or price.
    """
    event_id, version = _next(order)
    base = _Header(
        event_id=event_id,
        order_id=order.id,
        version=version,
        ts_event=report.ts_event or ts_init,
        ts_init=ts_init,
    )
    match report.kind:
        case ExecKind.ACCEPTED:
            acked = order.status is not OrderStatus.PENDING_NEW and not (
                order.status is OrderStatus.PENDING_CANCEL
                and order.previous_status is OrderStatus.PENDING_NEW
            )
            if acked:
                return []  # a repeated ack changes nothing
            _require(order, Trigger.ACCEPT)
            return [OrderAccepted(**base, venue=report.venue, venue_order_id=report.venue_order_id)]
        case ExecKind.REJECTED:
            _require(order, Trigger.REJECT)
            return [OrderRejected(**base, code="VENUE_REJECTED", reason=report.reason or "")]
        case ExecKind.TRADE:
            return _decide_fill(order, report, base)
        case ExecKind.CANCELED:
            _require(order, Trigger.CANCEL)
            return [OrderCanceled(**base, reason=report.reason)]
        case ExecKind.CANCEL_REJECTED:
            _require(order, Trigger.CANCEL_REJECT)
            return [OrderCancelRejected(**base, reason=report.reason or "")]
        case ExecKind.REPLACED:
            _require(order, Trigger.REPLACE)
            # The venue's report wins; terms it leaves out are the ones we asked for.
            terms = order.pending
            return [
                OrderReplaced(
                    **base,
                    # Fills on the old terms may have reached the new quantity: the order
                    # is then done at its filled quantity (FIX: OrderQty cut to CumQty).
                    quantity=max(
                        report.quantity or (terms.quantity if terms else order.quantity),
                        order.filled_quantity,
                    ),
                    price=report.price or (terms.price if terms else order.price),
                    stop_price=report.stop_price
                    or (terms.stop_price if terms else order.stop_price),
                    time_in_force=report.time_in_force
                    or (terms.time_in_force if terms else order.time_in_force),
                    expire_time=terms.expire_time if terms else order.expire_time,
                )
            ]
        case ExecKind.REPLACE_REJECTED:
            _require(order, Trigger.REPLACE_REJECT)
            return [OrderReplaceRejected(**base, reason=report.reason or "")]
        case ExecKind.EXPIRED:
            _require(order, Trigger.EXPIRE)
            return [OrderExpired(**base)]
        case _:
            assert_never(report.kind)


def _require(order: Order, trigger: Trigger) -> None:
    if (order.status, trigger) not in ORDER_TRANSITIONS:
        raise InvalidStateTransition(order.status, trigger)


def _decide_fill(order: Order, report: ExecutionReport, base: _Header) -> list[OrderEvent]:
    if report.execution_id is None or report.last_quantity is None or report.last_price is None:
        raise ValueError("a TRADE report needs execution_id, last_quantity and last_price")
    if report.execution_id in order.execution_ids:
        return []  # the same fill reported twice is counted once
    quantity = report.last_quantity
    if quantity <= 0 or report.last_price <= 0:
        raise ValueError("a fill's quantity and price must be positive")
    filled = order.filled_quantity + quantity
    if order.status.is_terminal or filled > order.quantity:
        reason = (
            f"fill of {quantity} would take the order to {filled} of {order.quantity}"
            if not order.status.is_terminal
            else f"fill for an order that is {order.status}"
        )
        return [
            OrderFillRefused(
                **base,
                execution_id=report.execution_id,
                venue=report.venue,
                last_quantity=quantity,
                last_price=report.last_price,
                reason=reason,
            )
        ]
    cls = OrderFilled if filled == order.quantity else OrderPartiallyFilled
    _require(order, Trigger.FILL if cls is OrderFilled else Trigger.PARTIAL_FILL)
    return [
        cls(
            **base,
            execution_id=report.execution_id,
            venue=report.venue,
            last_quantity=quantity,
            last_price=report.last_price,
            fee=report.fee,
            fee_currency=report.fee_currency,
            liquidity=report.liquidity,
            filled_quantity=filled,
            leaves_quantity=order.quantity - filled,
            notional=order.notional + quantity * report.last_price,
        )
    ]
