"""Exact decimals at the door, and the small value types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.values import OrderStatus, Side, is_multiple, strip_zeros, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100.25", Decimal("100.25")),
        (" 100.25 ", Decimal("100.25")),
        ("1e3", Decimal("1000")),
        ("-0.5", Decimal("-0.5")),
        (5, Decimal("5")),
        (Decimal("0.1"), Decimal("0.1")),
    ],
    ids=["string", "padded_string", "exponent", "negative", "int", "decimal"],
)
def test_to_decimal_accepts_exact_numbers(value: object, expected: Decimal) -> None:
    # Act
    result = to_decimal(value)

    # Assert
    assert isinstance(result, Decimal)
    assert result == expected


def test_to_decimal_keeps_the_string_exponent() -> None:
    # Act / Assert: "10.10" stays 10.10, not 10.1, so ticks and displays are unchanged.
    assert to_decimal("10.10").as_tuple() == Decimal("10.10").as_tuple()


@pytest.mark.parametrize(
    "value",
    [0.1, 1.0, True, False, None, [1], b"1"],
    ids=["float", "float_one", "true", "false", "none", "list", "bytes"],
)
def test_to_decimal_refuses_inexact_or_unsupported_types(value: object) -> None:
    # Act / Assert
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize(
    "value",
    ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", Decimal("NaN"), Decimal("Infinity")],
)
def test_to_decimal_refuses_non_finite_values(value: object) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="not a finite number"):
        to_decimal(value)


@pytest.mark.parametrize("value", ["", "abc", "1,000", "10.0.1", "0x10", "12abc"])
def test_to_decimal_refuses_garbage_strings(value: str) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="is not a number"):
        to_decimal(value)


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("10.05", "0.01", True),
        ("10.005", "0.01", False),
        ("300", "100", True),
        ("350", "100", False),
        ("0", "0.01", True),
        ("-0.30", "0.10", True),
        ("0.3", "0.1", True),
        ("1.5", "0.5", True),
        ("1.5", "0", True),
        ("1.5", "-1", True),
    ],
)
def test_is_multiple(value: str, step: str, expected: bool) -> None:
    # Act / Assert
    assert is_multiple(Decimal(value), Decimal(step)) is expected


def test_side_sign() -> None:
    # Act / Assert
    assert Side.BUY.sign == 1
    assert Side.SELL.sign == -1


def test_side_opposite() -> None:
    # Act / Assert
    assert Side.BUY.opposite is Side.SELL
    assert Side.SELL.opposite is Side.BUY


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (OrderStatus.PENDING_NEW, False),
        (OrderStatus.NEW, False),
        (OrderStatus.PARTIALLY_FILLED, False),
        (OrderStatus.PENDING_CANCEL, False),
        (OrderStatus.PENDING_REPLACE, False),
        (OrderStatus.FILLED, True),
        (OrderStatus.CANCELED, True),
        (OrderStatus.REJECTED, True),
        (OrderStatus.EXPIRED, True),
    ],
)
def test_order_status_is_terminal_and_is_open_are_complements(
    status: OrderStatus, terminal: bool
) -> None:
    # Act / Assert
    assert status.is_terminal is terminal
    assert status.is_open is not terminal


def test_every_order_status_is_classified() -> None:
    # Assert: a new status added to the enum must be placed in the parametrized table above.
    assert len(OrderStatus) == 9


@pytest.mark.parametrize(
    ("value", "text"),
    [("420.00", "420"), ("4.2E+2", "420"), ("0.500", "0.5"), ("-1000", "-1000"), ("0", "0")],
)
def test_strip_zeros_never_gives_exponent_form(value: str, text: str) -> None:
    assert str(strip_zeros(Decimal(value))) == text
