"""Validation of new orders and modifications against an instrument's rules.

Pure functions: each raises :class:`~ordergate.domain.errors.OrderError` with a code and the
offending field, or returns None. The checks run before anything is written.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.commands import ModifyOrder, SubmitOrder
from ordergate.domain.errors import ErrorCode, OrderError
from ordergate.domain.instrument import Instrument
from ordergate.domain.order import Order
from ordergate.domain.values import OrderStatus, OrderType, TimeInForce

__all__ = ["validate_modify", "validate_submit"]

_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_STOPPED = (OrderType.STOP, OrderType.STOP_LIMIT)


def _check_quantity(quantity: Decimal, instrument: Instrument) -> None:
    if quantity <= 0:
        raise OrderError(ErrorCode.INVALID_QUANTITY, "quantity must be positive", "quantity")
    if not instrument.quantity_in_lots(quantity):
        raise OrderError(
            ErrorCode.QUANTITY_NOT_LOT_MULTIPLE,
            f"quantity {quantity} is not a multiple of the lot size {instrument.lot_size}",
            "quantity",
        )
    if quantity < instrument.min_quantity:
        raise OrderError(
            ErrorCode.QUANTITY_BELOW_MINIMUM,
            f"quantity {quantity} is below the minimum {instrument.min_quantity}",
            "quantity",
        )


def _check_price(value: Decimal, field: str, instrument: Instrument) -> None:
    if value <= 0:
        raise OrderError(ErrorCode.INVALID_PRICE, f"{field} must be positive", field)
    if not instrument.price_on_tick(value):
        raise OrderError(
            ErrorCode.PRICE_OFF_TICK,
            f"{field} {value} is not a multiple of the tick size {instrument.tick_size}",
            field,
        )


def _check_terms(
    order_type: OrderType,
    quantity: Decimal,
    price: Decimal | None,
    stop_price: Decimal | None,
    time_in_force: TimeInForce,
    expire_time: int | None,
    instrument: Instrument,
    now_ns: int,
) -> None:
    _check_quantity(quantity, instrument)
    if order_type in _PRICED:
        if price is None:
            raise OrderError(
                ErrorCode.PRICE_REQUIRED, f"a {order_type} order needs a price", "price"
            )
        _check_price(price, "price", instrument)
    elif price is not None:
        raise OrderError(
            ErrorCode.PRICE_NOT_ALLOWED, f"a {order_type} order takes no price", "price"
        )
    if order_type in _STOPPED:
        if stop_price is None:
            raise OrderError(
                ErrorCode.STOP_PRICE_REQUIRED,
                f"a {order_type} order needs a stop_price",
                "stop_price",
            )
        _check_price(stop_price, "stop_price", instrument)
    elif stop_price is not None:
        raise OrderError(
            ErrorCode.STOP_PRICE_NOT_ALLOWED,
            f"a {order_type} order takes no stop_price",
            "stop_price",
        )
    if time_in_force is TimeInForce.GTD:
        if expire_time is None:
            raise OrderError(
                ErrorCode.EXPIRE_TIME_REQUIRED, "a GTD order needs an expire_time", "expire_time"
            )
        if expire_time <= now_ns:
            raise OrderError(
                ErrorCode.EXPIRE_TIME_IN_PAST, "expire_time is in the past", "expire_time"
            )
    elif expire_time is not None:
        raise OrderError(
            ErrorCode.EXPIRE_TIME_NOT_ALLOWED,
            "only a GTD order takes an expire_time",
            "expire_time",
        )
    notional_price = price if price is not None else stop_price
    if notional_price is not None and quantity * notional_price < instrument.min_notional:
        raise OrderError(
            ErrorCode.NOTIONAL_BELOW_MINIMUM,
            f"notional {quantity * notional_price} is below the minimum {instrument.min_notional}",
            "quantity",
        )


def validate_submit(command: SubmitOrder, instrument: Instrument | None, now_ns: int) -> None:
    """Check a new order against its instrument's rules.

    Raises
    ------
    OrderError
        With the first rule the order breaks.
    """
    if instrument is None:
        raise OrderError(
            ErrorCode.UNKNOWN_INSTRUMENT, f"unknown instrument {command.symbol!r}", "symbol"
        )
    for field in ("client_order_id", "account"):
        value: str = getattr(command, field)
        if not value or len(value) > 64 or not value.isprintable():
            raise OrderError(
                ErrorCode.INVALID_FIELD, f"{field} must be 1 to 64 printable characters", field
            )
    _check_terms(
        command.order_type,
        command.quantity,
        command.price,
        command.stop_price,
        command.time_in_force,
        command.expire_time,
        instrument,
        now_ns,
    )


def validate_modify(
    order: Order, command: ModifyOrder, instrument: Instrument, now_ns: int
) -> tuple[Decimal, Decimal | None, Decimal | None, TimeInForce, int | None]:
    """Check a modification and return the order's full new terms.

    Returns
    -------
    tuple
        (quantity, price, stop_price, time_in_force, expire_time) after the change.

    Raises
    ------
    OrderError
        If the order is finished or pending, nothing changes, or the new terms break a rule.
    """
    if order.status.is_terminal:
        raise OrderError(
            ErrorCode.ORDER_NOT_OPEN, f"order {order.id} is {order.status}; it cannot be modified"
        )
    if order.status not in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
        raise OrderError(
            ErrorCode.ORDER_PENDING,
            f"order {order.id} is {order.status}; wait for the venue's answer",
        )
    quantity = command.quantity if command.quantity is not None else order.quantity
    price = command.price if command.price is not None else order.price
    stop_price = command.stop_price if command.stop_price is not None else order.stop_price
    tif = command.time_in_force if command.time_in_force is not None else order.time_in_force
    expire = command.expire_time if command.expire_time is not None else order.expire_time
    if tif is not TimeInForce.GTD and command.expire_time is None:
        expire = None
    if (quantity, price, stop_price, tif, expire) == (
        order.quantity,
        order.price,
        order.stop_price,
        order.time_in_force,
        order.expire_time,
    ):
        raise OrderError(ErrorCode.NOTHING_TO_MODIFY, "the new terms equal the current ones")
    _check_terms(order.order_type, quantity, price, stop_price, tif, expire, instrument, now_ns)
    if quantity <= order.filled_quantity:
        raise OrderError(
            ErrorCode.MODIFY_BELOW_FILLED,
            f"quantity {quantity} must exceed the filled quantity {order.filled_quantity}",
            "quantity",
        )
    return quantity, price, stop_price, tif, expire
