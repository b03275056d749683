"""The simulator's own order record and the checks an order must pass to be accepted.

A :class:`SimOrder` is the engine's mutable working copy of one order: the book rests it
directly (it is a :class:`~ordergate.sim.book.BookEntry`), so filling it touches one object.
It is private to the ``sim`` package; clients only ever see execution and status reports.

Invariants: ``0 <= filled <= quantity`` and, while the order is open,
``leaves == quantity - filled``; once the order is finished (``status`` terminal) its
leaves are zero. Every number is a ``Decimal``.

The validation functions return a reason string (the text of the REJECTED report) or None;
they never raise, because the venue contract reports refusals as execution reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import VenueOrder
from ordergate.domain.values import ZERO, OrderStatus, OrderType, Side, TimeInForce
from ordergate.sim.book import BookEntry
from ordergate.venues.base import ReplaceRequest

__all__ = [
    "RESTING_TIF",
    "SimOrder",
    "check_cancel",
    "check_new_order",
    "check_replace",
    "check_terms",
    "stop_triggered",
]

# Times in force under which an unfilled remainder rests in the book.
RESTING_TIF = frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.GTD})


class SimOrder(BookEntry):
    """One order as the simulated venue holds it (mutable; private to the engine)."""

    __slots__ = (
        "account",
        "expire_at",
        "filled",
        "internal",
        "order_id",
        "order_type",
        "quantity",
        "status",
        "stop_price",
        "symbol",
        "time_in_force",
        "ts_event",
        "venue_order_id",
    )

    def __init__(
        self, seq: int, order: VenueOrder, venue_order_id: str, internal: bool, now: int
    ) -> None:
        super().__init__(seq, order.side, order.price, order.quantity)
        self.order_id = order.order_id
        self.venue_order_id = venue_order_id
        self.account = order.account
        self.symbol = order.symbol
        self.order_type = order.order_type
        self.quantity = order.quantity
        self.stop_price = order.stop_price
        self.time_in_force = order.time_in_force
        # GTD carries its own expiry; DAY gets one from the engine's session close.
        gtd = order.time_in_force is TimeInForce.GTD
        self.expire_at: int | None = order.expire_time if gtd else None
        self.filled = ZERO
        self.internal = internal
        self.status = OrderStatus.NEW
        self.ts_event = now


def check_terms(
    instrument: Instrument,
    order_type: OrderType,
    quantity: Decimal,
    price: Decimal | None,
    stop_price: Decimal | None,
) -> str | None:
    """Return why these terms are unacceptable for ``instrument``, or None when they are fine."""
    if quantity <= 0:
        return f"quantity {quantity} must be positive"
    if quantity < instrument.min_quantity:
        return f"quantity {quantity} is below the minimum {instrument.min_quantity}"
    if not instrument.quantity_in_lots(quantity):
        return f"quantity {quantity} is not a multiple of the lot size {instrument.lot_size}"
    needs_price = order_type is OrderType.LIMIT or order_type is OrderType.STOP_LIMIT
    if needs_price:
        if price is None:
            return f"{order_type} order needs a price"
        if price <= 0:
            return f"price {price} must be positive"
        if not instrument.price_on_tick(price):
            return f"price {price} is not on the tick size {instrument.tick_size}"
        if price * quantity < instrument.min_notional:
            return f"notional {price * quantity} is below the minimum {instrument.min_notional}"
    elif price is not None:
        return f"{order_type} order takes no price"
    if order_type is OrderType.STOP or order_type is OrderType.STOP_LIMIT:
        if stop_price is None:
            return f"{order_type} order needs a stop price"
        if stop_price <= 0:
            return f"stop price {stop_price} must be positive"
        if not instrument.price_on_tick(stop_price):
            return f"stop price {stop_price} is not on the tick size {instrument.tick_size}"
    elif stop_price is not None:
        return f"{order_type} order takes no stop price"
    return None


def check_new_order(instrument: Instrument | None, order: VenueOrder, now: int) -> str | None:
    """Return why ``order`` must be rejected, or None when the venue can accept it."""
    if instrument is None:
        return f"unknown symbol {order.symbol!r}"
    reason = check_terms(
        instrument, order.order_type, order.quantity, order.price, order.stop_price
    )
    if reason is not None:
        return reason
    if order.time_in_force is TimeInForce.GTD:
        if order.expire_time is None:
            return "GTD order needs an expire time"
        if order.expire_time <= now:
            return f"expire time {order.expire_time} is not in the future"
    return None


def stop_triggered(side: Side, stop_price: Decimal, last: Decimal) -> bool:
    """Return True when the last trade price ``last`` crosses ``stop_price`` for ``side``."""
    return last >= stop_price if side is Side.BUY else last <= stop_price


def check_replace(
    instruments: Mapping[str, Instrument], order: SimOrder | None, request: ReplaceRequest
) -> str | None:
    """Return why ``request`` cannot replace ``order``, or None when it can."""
    if order is None:
        return f"unknown order {request.order_id!r}"
    if order.status.is_terminal:
        return f"order {request.order_id!r} is already {order.status}"
    if request.symbol != order.symbol:
        return f"order {request.order_id!r} is for {order.symbol}, not {request.symbol}"
    quantity = order.quantity if request.quantity is None else request.quantity
    if quantity <= order.filled:
        return f"new quantity {quantity} is not above the filled quantity {order.filled}"
    # A triggered stop has become a MARKET or LIMIT order; its stop price is history.
    is_stop = order.order_type is OrderType.STOP or order.order_type is OrderType.STOP_LIMIT
    if request.stop_price is not None and not is_stop:
        return "stop price can change only on a stop order that has not triggered"
    tif = request.time_in_force
    if tif is not None and tif not in RESTING_TIF:
        return f"cannot replace a resting order to {tif}"
    if tif is TimeInForce.GTD and order.time_in_force is not TimeInForce.GTD:
        return "a replace carries no expire time, so it cannot change an order to GTD"
    return check_terms(
        instruments[order.symbol],
        order.order_type,
        quantity,
        order.price if request.price is None else request.price,
        (order.stop_price if request.stop_price is None else request.stop_price)
        if is_stop
        else None,
    )


def check_cancel(order: SimOrder | None, order_id: str, symbol: str | None) -> str | None:
    """Return why order ``order_id`` (found as ``order``) cannot be canceled, or None."""
    if order is None:
        return f"unknown order {order_id!r}"
    if order.status.is_terminal:
        return f"order {order_id!r} is already {order.status}"
    if symbol is not None and symbol != order.symbol:
        return f"order {order_id!r} is for {order.symbol}, not {symbol}"
    return None
