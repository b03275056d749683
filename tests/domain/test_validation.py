"""Refusals of new orders, modifications and cancels: each with its code and field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from builders import (
    NOW,
    OrderBook,
    a_report,
    a_submit,
    an_accepted_order,
    an_instrument,
    d,
)

from ordergate.domain.commands import ModifyOrder
from ordergate.domain.decisions import decide_cancel, decide_modify
from ordergate.domain.errors import ErrorCode, OrderError
from ordergate.domain.events import OrderPendingCancel, OrderPendingReplace
from ordergate.domain.reports import ExecKind
from ordergate.domain.validation import validate_modify, validate_submit
from ordergate.domain.values import OrderStatus, OrderType, TimeInForce

FUTURE = NOW + 3_600_000_000_000


# -- submit: valid orders ---------------------------------------------------------------


@pytest.mark.parametrize(
    "terms",
    [
        {"order_type": OrderType.MARKET, "price": None},
        {"order_type": OrderType.LIMIT, "price": d("10.00")},
        {"order_type": OrderType.STOP, "price": None, "stop_price": d("9.50")},
        {"order_type": OrderType.STOP_LIMIT, "price": d("9.40"), "stop_price": d("9.50")},
        {"time_in_force": TimeInForce.GTD, "expire_time": FUTURE},
        {"time_in_force": TimeInForce.IOC},
        {"client_order_id": "x" * 64},
    ],
    ids=["market", "limit", "stop", "stop_limit", "gtd", "ioc", "longest_client_order_id"],
)
def test_valid_order_passes(terms: dict[str, Any]) -> None:
    # Arrange
    command = a_submit(**terms)

    # Act
    result = validate_submit(command, an_instrument(), NOW)

    # Assert
    assert result is None


def test_unknown_instrument_is_refused() -> None:
    # Act
    with pytest.raises(OrderError) as raised:
        validate_submit(a_submit(symbol="NOPE"), None, NOW)

    # Assert
    assert raised.value.code is ErrorCode.UNKNOWN_INSTRUMENT
    assert raised.value.field == "symbol"
    assert "NOPE" in raised.value.message


# -- submit: refusals, one rule at a time -------------------------------------------------


_SUBMIT_REFUSALS: list[tuple[str, dict[str, Any], dict[str, Any], ErrorCode, str]] = [
    ("zero_quantity", {"quantity": d("0")}, {}, ErrorCode.INVALID_QUANTITY, "quantity"),
    ("negative_quantity", {"quantity": d("-5")}, {}, ErrorCode.INVALID_QUANTITY, "quantity"),
    (
        "not_a_lot_multiple",
        {"quantity": d("150")},
        {"lot_size": d("100"), "min_quantity": d("100")},
        ErrorCode.QUANTITY_NOT_LOT_MULTIPLE,
        "quantity",
    ),
    (
        "fractional_quantity",
        {"quantity": d("1.5")},
        {},
        ErrorCode.QUANTITY_NOT_LOT_MULTIPLE,
        "quantity",
    ),
    (
        "below_min_quantity",
        {"quantity": d("5")},
        {"min_quantity": d("10")},
        ErrorCode.QUANTITY_BELOW_MINIMUM,
        "quantity",
    ),
    (
        "below_min_notional",
        {"quantity": d("1"), "price": d("9.99")},
        {},
        ErrorCode.NOTIONAL_BELOW_MINIMUM,
        "quantity",
    ),
    (
        "stop_below_min_notional",
        {"order_type": OrderType.STOP, "price": None, "quantity": d("1"), "stop_price": d("9.99")},
        {},
        ErrorCode.NOTIONAL_BELOW_MINIMUM,
        "quantity",
    ),
    ("price_off_tick", {"price": d("10.001")}, {}, ErrorCode.PRICE_OFF_TICK, "price"),
    ("zero_price", {"price": d("0")}, {}, ErrorCode.INVALID_PRICE, "price"),
    ("negative_price", {"price": d("-10.00")}, {}, ErrorCode.INVALID_PRICE, "price"),
    ("limit_without_price", {"price": None}, {}, ErrorCode.PRICE_REQUIRED, "price"),
    (
        "stop_limit_without_price",
        {"order_type": OrderType.STOP_LIMIT, "price": None, "stop_price": d("9.50")},
        {},
        ErrorCode.PRICE_REQUIRED,
        "price",
    ),
    (
        "market_with_price",
        {"order_type": OrderType.MARKET, "price": d("10.00")},
        {},
        ErrorCode.PRICE_NOT_ALLOWED,
        "price",
    ),
    (
        "stop_without_stop_price",
        {"order_type": OrderType.STOP, "price": None},
        {},
        ErrorCode.STOP_PRICE_REQUIRED,
        "stop_price",
    ),
    (
        "stop_price_off_tick",
        {"order_type": OrderType.STOP, "price": None, "stop_price": d("9.505")},
        {},
        ErrorCode.PRICE_OFF_TICK,
        "stop_price",
    ),
    (
        "non_positive_stop_price",
        {"order_type": OrderType.STOP, "price": None, "stop_price": d("0")},
        {},
        ErrorCode.INVALID_PRICE,
        "stop_price",
    ),
    (
        "stop_price_on_limit",
        {"stop_price": d("9.50")},
        {},
        ErrorCode.STOP_PRICE_NOT_ALLOWED,
        "stop_price",
    ),
    (
        "gtd_without_expire_time",
        {"time_in_force": TimeInForce.GTD},
        {},
        ErrorCode.EXPIRE_TIME_REQUIRED,
        "expire_time",
    ),
    (
        "expire_time_in_past",
        {"time_in_force": TimeInForce.GTD, "expire_time": NOW - 1},
        {},
        ErrorCode.EXPIRE_TIME_IN_PAST,
        "expire_time",
    ),
    (
        "expire_time_now",
        {"time_in_force": TimeInForce.GTD, "expire_time": NOW},
        {},
        ErrorCode.EXPIRE_TIME_IN_PAST,
        "expire_time",
    ),
    (
        "expire_time_on_day_order",
        {"expire_time": FUTURE},
        {},
        ErrorCode.EXPIRE_TIME_NOT_ALLOWED,
        "expire_time",
    ),
    (
        "empty_client_order_id",
        {"client_order_id": ""},
        {},
        ErrorCode.INVALID_FIELD,
        "client_order_id",
    ),
    (
        "too_long_client_order_id",
        {"client_order_id": "x" * 65},
        {},
        ErrorCode.INVALID_FIELD,
        "client_order_id",
    ),
    (
        "unprintable_client_order_id",
        {"client_order_id": "C\n1"},
        {},
        ErrorCode.INVALID_FIELD,
        "client_order_id",
    ),
    ("empty_account", {"account": ""}, {}, ErrorCode.INVALID_FIELD, "account"),
]


@pytest.mark.parametrize(
    ("terms", "instrument_overrides", "code", "field"),
    [case[1:] for case in _SUBMIT_REFUSALS],
    ids=[case[0] for case in _SUBMIT_REFUSALS],
)
def test_submit_breaking_a_rule_is_refused_with_code_and_field(
    terms: dict[str, Any], instrument_overrides: dict[str, Any], code: ErrorCode, field: str
) -> None:
    # Arrange
    command = a_submit(**terms)
    instrument = an_instrument(**instrument_overrides)

    # Act
    with pytest.raises(OrderError) as raised:
        validate_submit(command, instrument, NOW)

    # Assert
    assert raised.value.code is code
    assert raised.value.field == field


def test_order_exactly_at_min_notional_passes() -> None:
    # Arrange: 1 x 10.00 is exactly the 10 minimum.
    command = a_submit(quantity=d("1"), price=d("10.00"))

    # Act / Assert
    assert validate_submit(command, an_instrument(), NOW) is None


def test_market_order_is_not_held_to_min_notional() -> None:
    # Arrange: no price to compute a notional from.
    command = a_submit(order_type=OrderType.MARKET, price=None, quantity=d("1"))

    # Act / Assert
    assert validate_submit(command, an_instrument(), NOW) is None


def test_huge_quantity_that_is_a_lot_multiple_passes_instead_of_crashing() -> None:
    # Arrange: 10**30 is a whole number of 0.01 lots, but the quotient has 33 digits.
    command = a_submit(quantity=Decimal("1E+30"))
    instrument = an_instrument(lot_size=d("0.01"), min_quantity=d("0.01"))

    # Act
    result = validate_submit(command, instrument, NOW)

    # Assert
    assert result is None


# -- modify ----------------------------------------------------------------------------


def _modify_error(book: OrderBook, **terms: Any) -> OrderError:
    command = ModifyOrder(order_id=book.order.id, **terms)
    with pytest.raises(OrderError) as raised:
        decide_modify(book.order, command, an_instrument(), NOW)
    return raised.value


def test_modify_returns_the_full_new_terms() -> None:
    # Arrange
    book = an_accepted_order()
    command = ModifyOrder(order_id=book.order.id, price=d("10.05"))

    # Act
    terms = validate_modify(book.order, command, an_instrument(), NOW)

    # Assert
    assert terms == (d("300"), d("10.05"), None, TimeInForce.DAY, None)


def test_modify_to_gtd_carries_the_expire_time() -> None:
    # Arrange
    book = an_accepted_order()

    # Act
    (event,) = book.request_modify(time_in_force=TimeInForce.GTD, expire_time=FUTURE)

    # Assert
    assert isinstance(event, OrderPendingReplace)
    assert event.time_in_force is TimeInForce.GTD
    assert event.expire_time == FUTURE
    assert event.quantity == d("300")
    assert event.version == 3


def test_modify_of_gtd_order_to_day_drops_the_expire_time() -> None:
    # Arrange
    book = an_accepted_order(time_in_force=TimeInForce.GTD, expire_time=FUTURE)

    # Act
    (event,) = book.request_modify(time_in_force=TimeInForce.DAY)

    # Assert
    assert isinstance(event, OrderPendingReplace)
    assert event.expire_time is None


@pytest.mark.parametrize(
    "finish",
    [ExecKind.CANCELED, ExecKind.EXPIRED, ExecKind.REJECTED],
)
def test_modify_of_a_finished_order_is_refused_not_open(finish: ExecKind) -> None:
    # Arrange
    book = OrderBook() if finish is ExecKind.REJECTED else an_accepted_order()
    book.report(a_report(finish))

    # Act
    error = _modify_error(book, quantity=d("400"))

    # Assert
    assert error.code is ErrorCode.ORDER_NOT_OPEN
    assert error.field is None


def test_modify_of_a_filled_order_is_refused_not_open() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "300", "10.00")

    # Act
    error = _modify_error(book, quantity=d("400"))

    # Assert
    assert error.code is ErrorCode.ORDER_NOT_OPEN


def test_modify_while_cancel_pending_is_refused_pending() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_cancel()

    # Act
    error = _modify_error(book, quantity=d("400"))

    # Assert
    assert error.code is ErrorCode.ORDER_PENDING


def test_modify_while_replace_pending_is_refused_pending() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_modify(quantity=d("400"))

    # Act
    error = _modify_error(book, quantity=d("500"))

    # Assert
    assert error.code is ErrorCode.ORDER_PENDING


def test_modify_before_ack_is_refused_pending() -> None:
    # Arrange
    book = OrderBook()

    # Act
    error = _modify_error(book, quantity=d("400"))

    # Assert
    assert error.code is ErrorCode.ORDER_PENDING


@pytest.mark.parametrize(
    "terms",
    [{}, {"quantity": d("300")}, {"price": d("10.00"), "time_in_force": TimeInForce.DAY}],
    ids=["nothing", "same_quantity", "same_price_and_tif"],
)
def test_modify_to_the_same_terms_is_refused(terms: dict[str, Any]) -> None:
    # Arrange
    book = an_accepted_order()

    # Act
    error = _modify_error(book, **terms)

    # Assert
    assert error.code is ErrorCode.NOTHING_TO_MODIFY
    assert error.field is None


@pytest.mark.parametrize("quantity", ["100", "50"], ids=["equal_to_filled", "below_filled"])
def test_modify_to_quantity_not_above_filled_is_refused(quantity: str) -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")

    # Act
    error = _modify_error(book, quantity=d(quantity))

    # Assert
    assert error.code is ErrorCode.MODIFY_BELOW_FILLED
    assert error.field == "quantity"


def test_modify_just_above_filled_is_allowed() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")

    # Act
    (event,) = book.request_modify(quantity=d("101"))

    # Assert
    assert isinstance(event, OrderPendingReplace)
    assert event.quantity == d("101")
    assert book.order.status is OrderStatus.PENDING_REPLACE


@pytest.mark.parametrize(
    ("terms", "code", "field"),
    [
        ({"quantity": d("0")}, ErrorCode.INVALID_QUANTITY, "quantity"),
        ({"price": d("10.003")}, ErrorCode.PRICE_OFF_TICK, "price"),
        ({"stop_price": d("9.50")}, ErrorCode.STOP_PRICE_NOT_ALLOWED, "stop_price"),
        ({"time_in_force": TimeInForce.GTD}, ErrorCode.EXPIRE_TIME_REQUIRED, "expire_time"),
        ({"expire_time": FUTURE}, ErrorCode.EXPIRE_TIME_NOT_ALLOWED, "expire_time"),
        (
            {"time_in_force": TimeInForce.GTD, "expire_time": NOW},
            ErrorCode.EXPIRE_TIME_IN_PAST,
            "expire_time",
        ),
    ],
    ids=["zero_quantity", "off_tick", "stop_on_limit", "gtd_no_expiry", "expiry_on_day", "past"],
)
def test_modify_to_terms_breaking_a_rule_is_refused(
    terms: dict[str, Any], code: ErrorCode, field: str
) -> None:
    # Arrange
    book = an_accepted_order()

    # Act
    error = _modify_error(book, **terms)

    # Assert
    assert error.code is code
    assert error.field == field


# -- cancel ----------------------------------------------------------------------------


@pytest.mark.parametrize("finish", [ExecKind.CANCELED, ExecKind.EXPIRED, ExecKind.REJECTED])
def test_cancel_of_a_finished_order_is_refused_not_open(finish: ExecKind) -> None:
    # Arrange
    book = OrderBook()
    book.report(a_report(finish))

    # Act
    with pytest.raises(OrderError) as raised:
        decide_cancel(book.order, NOW)

    # Assert
    assert raised.value.code is ErrorCode.ORDER_NOT_OPEN
    assert raised.value.field is None


def test_cancel_of_a_filled_order_is_refused_not_open() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "300", "10.00")

    # Act
    with pytest.raises(OrderError) as raised:
        decide_cancel(book.order, NOW)

    # Assert
    assert raised.value.code is ErrorCode.ORDER_NOT_OPEN


@pytest.mark.parametrize("pending", ["cancel", "replace"])
def test_cancel_while_a_request_is_pending_is_refused_pending(pending: str) -> None:
    # Arrange
    book = an_accepted_order()
    if pending == "cancel":
        book.request_cancel()
    else:
        book.request_modify(quantity=d("400"))

    # Act
    with pytest.raises(OrderError) as raised:
        decide_cancel(book.order, NOW)

    # Assert
    assert raised.value.code is ErrorCode.ORDER_PENDING


@pytest.mark.parametrize("fill", [None, "100"], ids=["new", "partially_filled"])
def test_cancel_of_a_working_order_records_the_request(fill: str | None) -> None:
    # Arrange
    book = an_accepted_order()
    if fill is not None:
        book.fill("E1", fill, "10.00")

    # Act
    event = decide_cancel(book.order, NOW)

    # Assert
    assert isinstance(event, OrderPendingCancel)
    assert event.order_id == book.order.id
    assert event.version == book.order.version + 1
    assert event.ts_event == NOW
