"""Positions: signed quantity, average entry price and P&L per account and instrument.

Arithmetic is exact. The average entry price and realized P&L are kept as
:class:`fractions.Fraction` (an average of decimal prices need not be a finite decimal) and
shown as Decimals rounded half-even to :data:`DISPLAY_PLACES` places only at the edge.

Invariants
----------
- ``quantity`` is the signed sum of fill quantities (+ buys, - sells).
- Fills that add to a position move the average entry price; fills that reduce it realize
  P&L at (fill price - average entry) x closed quantity x direction and leave the average
  unchanged; a fill that crosses through zero closes the old position and opens the rest
  at the fill price.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from ordergate.domain.values import ZERO, Side, strip_zeros

__all__ = ["DISPLAY_PLACES", "Position", "to_display"]

DISPLAY_PLACES = 10
_QUANTUM = Decimal(1).scaleb(-DISPLAY_PLACES)


def to_display(value: Fraction) -> Decimal:
    """Return ``value`` as a Decimal rounded half-even to DISPLAY_PLACES places, normalized."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    # Compare as fractions: a Decimal product would round and hide a non-terminating quotient.
    if Fraction(exact) == value:
        return strip_zeros(exact) if exact != 0 else ZERO
    rounded = exact.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    return strip_zeros(rounded) if rounded != 0 else ZERO


class Position:
    """One account's position in one instrument (an immutable value)."""

    __slots__ = ("_average", "_realized", "account", "fees", "quantity", "symbol")

    def __init__(
        self,
        account: str,
        symbol: str,
        quantity: Decimal = ZERO,
        average: Fraction = Fraction(0),
        realized: Fraction = Fraction(0),
        fees: Decimal = ZERO,
    ) -> None:
        self.account = account
        self.symbol = symbol
        self.quantity = quantity
        self.fees = fees
        self._average = average
        self._realized = realized

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Position):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Position({self.account}, {self.symbol}, quantity={self.quantity}, "
            f"average={self.average_price}, realized={self.realized_pnl})"
        )

    def _key(self) -> tuple[object, ...]:
        return (self.account, self.symbol, self.quantity, self._average, self._realized, self.fees)

    @property
    def average_price(self) -> Decimal | None:
        """Average entry price of the open quantity (None when flat)."""
        return None if self.quantity == 0 else to_display(self._average)

    @property
    def realized_pnl(self) -> Decimal:
        """Profit or loss realized by closing trades, before fees."""
        return to_display(self._realized)

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """Profit or loss of the open quantity if it were closed at ``mark``."""
        return to_display((Fraction(mark) - self._average) * Fraction(self.quantity))

    def apply_fill(self, side: Side, quantity: Decimal, price: Decimal, fee: Decimal) -> Position:
        """Return the position after a fill of ``quantity`` at ``price``.

        Raises
        ------
        ValueError
            If quantity or price is not positive.
        """
        if quantity <= 0 or price <= 0:
            raise ValueError("a fill's quantity and price must be positive")
        signed = quantity if side is Side.BUY else -quantity
        current = self.quantity
        new_quantity = current + signed
        average = self._average
        realized = self._realized
        fill_price = Fraction(price)
        if current == 0 or (current > 0) == (signed > 0):
            # Opening or adding: the average moves towards the fill price.
            total = abs(current) + quantity
            average = (
                average * Fraction(abs(current)) + fill_price * Fraction(quantity)
            ) / Fraction(total)
        else:
            closed = min(quantity, abs(current))
            direction = 1 if current > 0 else -1
            realized += (fill_price - average) * Fraction(closed) * direction
            if new_quantity == 0:
                average = Fraction(0)
            elif (new_quantity > 0) != (current > 0):
                average = fill_price  # crossed through zero: the rest opens at the fill price
        return Position(self.account, self.symbol, new_quantity, average, realized, self.fees + fee)
