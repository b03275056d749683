"""Positions: exact average cost, realized and unrealized P&L."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from builders import d
from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.domain.position import Position, to_display
from ordergate.domain.values import Side


def _flat() -> Position:
    return Position("ACC-1", "ACME")


def _fills(position: Position, *fills: tuple[Side, str, str]) -> Position:
    for side, quantity, price in fills:
        position = position.apply_fill(side, d(quantity), d(price), d("0"))
    return position


def test_open_long_position() -> None:
    # Act
    position = _fills(_flat(), (Side.BUY, "100", "10.00"))

    # Assert
    assert position.quantity == d("100")
    assert position.average_price == d("10")
    assert position.realized_pnl == d("0")


def test_adding_moves_the_average_exactly() -> None:
    # Arrange
    position = _fills(_flat(), (Side.BUY, "100", "10.00"))

    # Act
    position = _fills(position, (Side.BUY, "300", "10.20"))

    # Assert: (1000 + 3060) / 400
    assert position.quantity == d("400")
    assert position.average_price == d("10.15")


def test_partial_close_realizes_exact_pnl_and_keeps_the_average() -> None:
    # Arrange
    position = _fills(_flat(), (Side.BUY, "100", "10.00"), (Side.BUY, "300", "10.20"))

    # Act
    position = _fills(position, (Side.SELL, "150", "10.33"))

    # Assert: (10.33 - 10.15) x 150
    assert position.quantity == d("250")
    assert position.average_price == d("10.15")
    assert position.realized_pnl == d("27")


def test_close_to_flat_clears_the_average_and_keeps_realized() -> None:
    # Arrange
    position = _fills(_flat(), (Side.BUY, "100", "10.00"))

    # Act
    position = _fills(position, (Side.SELL, "100", "9.75"))

    # Assert
    assert position.quantity == d("0")
    assert position.average_price is None
    assert position.realized_pnl == d("-25")
    assert position.unrealized_pnl(d("12.00")) == d("0")


def test_flip_through_zero_opens_the_rest_at_the_fill_price() -> None:
    # Arrange
    position = _fills(_flat(), (Side.BUY, "100", "10.00"))

    # Act
    position = _fills(position, (Side.SELL, "250", "11.00"))

    # Assert
    assert position.quantity == d("-150")
    assert position.average_price == d("11")
    assert position.realized_pnl == d("100")


def test_short_position_is_symmetric() -> None:
    # Arrange
    position = _fills(_flat(), (Side.SELL, "100", "10.00"), (Side.SELL, "100", "10.10"))

    # Act
    covered = _fills(position, (Side.BUY, "50", "9.80"))

    # Assert: short 200 at 10.05; covering 50 at 9.80 earns 0.25 x 50.
    assert position.quantity == d("-200")
    assert position.average_price == d("10.05")
    assert position.unrealized_pnl(d("10.15")) == d("-20")
    assert covered.quantity == d("-150")
    assert covered.average_price == d("10.05")
    assert covered.realized_pnl == d("12.5")


def test_short_flip_to_long_opens_at_the_fill_price() -> None:
    # Arrange
    position = _fills(_flat(), (Side.SELL, "100", "10.00"))

    # Act
    position = _fills(position, (Side.BUY, "130", "10.50"))

    # Assert
    assert position.quantity == d("30")
    assert position.average_price == d("10.5")
    assert position.realized_pnl == d("-50")


def test_unrealized_pnl_against_a_mark() -> None:
    # Arrange
    position = _fills(_flat(), (Side.BUY, "100", "10.00"), (Side.BUY, "100", "10.50"))

    # Act
    unrealized = position.unrealized_pnl(d("10.40"))

    # Assert: (10.40 - 10.25) x 200
    assert unrealized == d("30")


def test_non_terminating_average_is_rounded_for_display_but_realized_pnl_is_exact() -> None:
    # Arrange: average 32/3 = 10.666...
    position = _fills(_flat(), (Side.BUY, "1", "10"), (Side.BUY, "2", "11"))

    # Act
    closed = _fills(position, (Side.SELL, "3", "12"))

    # Assert
    assert position.average_price == d("10.6666666667")
    assert position.unrealized_pnl(d("12")) == d("4")
    assert closed.quantity == d("0")
    assert closed.realized_pnl == d("4")
    assert closed.average_price is None


def test_partial_close_of_non_terminating_average_realizes_exact_remainder() -> None:
    # Arrange: average 32/3; sell one at 12 realizes 4/3, then the other two realize 8/3.
    position = _fills(_flat(), (Side.BUY, "1", "10"), (Side.BUY, "2", "11"))

    # Act
    partly = _fills(position, (Side.SELL, "1", "12"))
    closed = _fills(partly, (Side.SELL, "2", "12"))

    # Assert
    assert partly.realized_pnl == d("1.3333333333")
    assert closed.realized_pnl == d("4")


def test_average_of_two_thirds_is_displayed_to_ten_places() -> None:
    # Arrange / Act: (0.50 + 2 x 0.75) / 3 = 2/3, whose 28-digit quotient x 3 rounds back to 2.
    position = _fills(_flat(), (Side.BUY, "1", "0.50"), (Side.BUY, "2", "0.75"))

    # Assert
    assert position.average_price == d("0.6666666667")


def test_fees_accumulate() -> None:
    # Arrange
    position = _flat()

    # Act
    position = position.apply_fill(Side.BUY, d("100"), d("10.00"), d("1.25"))
    position = position.apply_fill(Side.SELL, d("100"), d("10.10"), d("0.75"))

    # Assert
    assert position.fees == d("2.00")
    assert position.realized_pnl == d("10")


@pytest.mark.parametrize(
    ("quantity", "price"), [("0", "10"), ("-1", "10"), ("1", "0"), ("1", "-10")]
)
def test_non_positive_quantity_or_price_is_refused(quantity: str, price: str) -> None:
    # Arrange
    position = _fills(_flat(), (Side.BUY, "100", "10.00"))

    # Act / Assert
    with pytest.raises(ValueError, match="must be positive"):
        position.apply_fill(Side.BUY, d(quantity), d(price), d("0"))


def test_apply_fill_returns_a_new_position_and_leaves_the_old_one() -> None:
    # Arrange
    position = _fills(_flat(), (Side.BUY, "100", "10.00"))

    # Act
    after = position.apply_fill(Side.SELL, d("40"), d("11.00"), d("0"))

    # Assert
    assert position.quantity == d("100")
    assert position.realized_pnl == d("0")
    assert after != position
    assert after == _fills(_flat(), (Side.BUY, "100", "10.00"), (Side.SELL, "40", "11.00"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(0), "0"),
        (Fraction(5), "5"),
        (Fraction(1, 4), "0.25"),
        (Fraction(2, 3), "0.6666666667"),
        (Fraction(-1, 3), "-0.3333333333"),
        (Fraction(1, 3 * 10**11), "0"),
    ],
)
def test_to_display_rounds_half_even_to_ten_places(value: Fraction, expected: str) -> None:
    # Act / Assert
    assert to_display(value) == Decimal(expected)


# -- properties ------------------------------------------------------------------------

_quantities = st.integers(min_value=1, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))
_prices = st.integers(min_value=1, max_value=1_000_000).map(lambda n: Decimal(n).scaleb(-4))
_fill = st.tuples(st.sampled_from(Side), _quantities, _prices)


@settings(database=None)
@given(st.lists(_fill, min_size=1, max_size=30))
def test_quantity_is_the_signed_sum_of_fills(fills: list[tuple[Side, Decimal, Decimal]]) -> None:
    # Arrange
    position = _flat()

    # Act
    for side, quantity, price in fills:
        position = position.apply_fill(side, quantity, price, Decimal(0))

    # Assert
    assert position.quantity == sum((q * s.sign for s, q, _ in fills), Decimal(0))


@settings(database=None)
@given(st.lists(_fill, min_size=1, max_size=30))
def test_flat_position_realizes_exactly_sells_minus_buys(
    fills: list[tuple[Side, Decimal, Decimal]],
) -> None:
    # Arrange: append the fill that closes whatever is open, at a drawn price.
    net = sum((q * s.sign for s, q, _ in fills), Decimal(0))
    if net != 0:
        fills = [*fills, (Side.SELL if net > 0 else Side.BUY, abs(net), fills[0][2])]
    position = _flat()

    # Act
    for side, quantity, price in fills:
        position = position.apply_fill(side, quantity, price, Decimal(0))

    # Assert
    sells = sum((q * p for s, q, p in fills if s is Side.SELL), Decimal(0))
    buys = sum((q * p for s, q, p in fills if s is Side.BUY), Decimal(0))
    assert position.quantity == 0
    assert position.average_price is None
    assert position.realized_pnl == sells - buys
