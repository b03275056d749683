"""The order aggregate: a fold over its events, plus the decisions that produce new events.

``evolve(order, event) -> order`` applies one event; ``replay(events)`` folds a stream.
The ``decide_*`` functions take the current order and a command or an execution report and
return the events to append; they never mutate anything and raise
:class:`~ordergate.domain.errors.OrderError` or
:class:`~ordergate.domain.order_status.InvalidStateTransition` when refused.

Invariants
----------
- ``version`` equals the number of events applied; ``evolve`` refuses any other version.
- ``0 <= filled_quantity <= quantity`` and ``leaves_quantity = quantity - filled_quantity``
  while the order is open (0 once it is finished).
- Every execution id is counted once: a duplicate fill produces no event; a fill beyond the
  order's quantity is refused and recorded as ``OrderFillRefused``.
- ``notional`` is the exact sum of fill quantity x price; the average price derives from it.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import msgspec

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
from ordergate.domain.order_status import Trigger, transition
from ordergate.domain.values import ZERO, OrderStatus, OrderType, Side, TimeInForce, strip_zeros

__all__ = ["Order", "average_price", "evolve", "replay"]

_replace = msgspec.structs.replace


class Order(msgspec.Struct, frozen=True, kw_only=True):
    """The current state of one order (derived from its events; never set by hand)."""

    id: str
    client_order_id: str
    account: str
    portfolio: str | None
    strategy: str | None
    venue: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    expire_time: int | None
    status: OrderStatus
    previous_status: OrderStatus
    filled_quantity: Decimal
    notional: Decimal
    fees: Decimal
    fee_currency: str | None
    venue_order_id: str | None
    last_reason: str | None
    pending: OrderPendingReplace | None
    execution_ids: frozenset[str]
    request_digest: str
    created_at: int
    updated_at: int
    version: int

    @property
    def leaves_quantity(self) -> Decimal:
        """Quantity still working at the venue (0 once the order is finished)."""
        if self.status.is_terminal:
            return ZERO
        return self.quantity - self.filled_quantity

    @property
    def average_fill_price(self) -> Decimal | None:
        """Volume-weighted average fill price, or None before the first fill."""
        return average_price(self.notional, self.filled_quantity)


def average_price(notional: Decimal, quantity: Decimal) -> Decimal | None:
    """Return notional / quantity to 28 significant digits (None when nothing traded)."""
    if quantity == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return strip_zeros(notional / quantity)


def _fill_trigger(event: OrderPartiallyFilled | OrderFilled) -> Trigger:
    return Trigger.FILL if isinstance(event, OrderFilled) else Trigger.PARTIAL_FILL


def evolve(order: Order | None, event: OrderEvent) -> Order:
    """Return the order after ``event``.

    Raises
    ------
    ValueError
        If the event belongs to another order or is out of sequence.
    InvalidStateTransition
        If the order's status does not allow the event.
    """
    if order is None:
        if not isinstance(event, OrderSubmitted) or event.version != 1:
            raise ValueError(f"order {event.order_id} must start with OrderSubmitted version 1")
        return _created(event)
    if event.order_id != order.id:
        raise ValueError(f"event for order {event.order_id} applied to order {order.id}")
    if event.version != order.version + 1:
        raise ValueError(
            f"order {order.id}: event version {event.version}, expected {order.version + 1}"
        )
    common = {"version": event.version, "updated_at": event.ts_event}
    match event:
        case OrderAccepted():
            status = transition(order.status, Trigger.ACCEPT, order.previous_status)
            return _replace(
                order,
                status=status,
                # Acked while a cancel is pending: a cancel reject must now restore NEW.
                previous_status=OrderStatus.NEW
                if order.previous_status is OrderStatus.PENDING_NEW
                else order.previous_status,
                venue_order_id=event.venue_order_id,
                **common,
            )
        case OrderRejected():
            status = transition(order.status, Trigger.REJECT, order.previous_status)
            return _replace(order, status=status, last_reason=event.reason, **common)
        case OrderPendingCancel():
            status = transition(order.status, Trigger.REQUEST_CANCEL, order.previous_status)
            return _replace(order, status=status, previous_status=order.status, **common)
        case OrderCanceled():
            status = transition(order.status, Trigger.CANCEL, order.previous_status)
            return _replace(order, status=status, pending=None, last_reason=event.reason, **common)
        case OrderCancelRejected():
            status = transition(order.status, Trigger.CANCEL_REJECT, order.previous_status)
            return _replace(order, status=status, last_reason=event.reason, **common)
        case OrderPendingReplace():
            status = transition(order.status, Trigger.REQUEST_REPLACE, order.previous_status)
            return _replace(
                order, status=status, previous_status=order.status, pending=event, **common
            )
        case OrderReplaced():
            # A replace down to the filled quantity finishes the order.
            done = event.quantity <= order.filled_quantity
            trigger = Trigger.FILL if done else Trigger.REPLACE
            status = transition(order.status, trigger, order.previous_status)
            return _replace(
                order,
                status=status,
                quantity=event.quantity,
                price=event.price,
                stop_price=event.stop_price,
                time_in_force=event.time_in_force,
                expire_time=event.expire_time,
                pending=None,
                **common,
            )
        case OrderReplaceRejected():
            status = transition(order.status, Trigger.REPLACE_REJECT, order.previous_status)
            return _replace(order, status=status, pending=None, last_reason=event.reason, **common)
        case OrderPartiallyFilled() | OrderFilled():
            status = transition(order.status, _fill_trigger(event), order.previous_status)
            previous = order.previous_status
            if status in (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_REPLACE):
                # A fill while a request is pending: a later reject restores PARTIALLY_FILLED.
                previous = OrderStatus.PARTIALLY_FILLED
            return _replace(
                order,
                status=status,
                previous_status=previous,
                filled_quantity=event.filled_quantity,
                notional=event.notional,
                fees=order.fees + event.fee,
                fee_currency=order.fee_currency or event.fee_currency,
                execution_ids=order.execution_ids | {event.execution_id},
                pending=None if status is OrderStatus.FILLED else order.pending,
                **common,
            )
        case OrderFillRefused():
            return _replace(order, last_reason=event.reason, **common)
        case OrderExpired():
            status = transition(order.status, Trigger.EXPIRE, order.previous_status)
            return _replace(order, status=status, pending=None, **common)
    raise TypeError(f"unknown order event {type(event).__name__}")


def _created(event: OrderSubmitted) -> Order:
    return Order(
        id=event.order_id,
        client_order_id=event.client_order_id,
        account=event.account,
        portfolio=event.portfolio,
        strategy=event.strategy,
        venue=event.venue,
        symbol=event.symbol,
        side=event.side,
        order_type=event.order_type,
        quantity=event.quantity,
        price=event.price,
        stop_price=event.stop_price,
        time_in_force=event.time_in_force,
        expire_time=event.expire_time,
        status=OrderStatus.PENDING_NEW,
        previous_status=OrderStatus.PENDING_NEW,
        filled_quantity=ZERO,
        notional=ZERO,
        fees=ZERO,
        fee_currency=None,
        venue_order_id=None,
        last_reason=None,
        pending=None,
        execution_ids=frozenset(),
        request_digest=event.request_digest,
        created_at=event.ts_event,
        updated_at=event.ts_event,
        version=1,
    )


def replay(events: list[OrderEvent], order: Order | None = None) -> Order:
    """Fold ``events`` onto ``order`` (or onto nothing, starting from OrderSubmitted)."""
    state = order
    for event in events:
        state = evolve(state, event)
    if state is None:
        raise ValueError("no events to replay")
    return state
