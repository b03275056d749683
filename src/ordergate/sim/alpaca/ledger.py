"""The simulated account's cash and positions, moved only by fills.

Invariants: ``cash`` is the starting cash minus every buy's notional plus every sell's
(Alpaca equities are commission free); a position's ``qty`` is the signed sum of its fills
(negative is short); ``avg_entry_price`` is the average price of the fills that opened the
current position, unchanged by fills that reduce it. All numbers are exact Decimals.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.values import ZERO

__all__ = ["Ledger", "Position"]


class Position:
    """One symbol's holding."""

    __slots__ = ("avg_entry_price", "qty", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.qty = ZERO
        self.avg_entry_price = ZERO

    def apply(self, signed_qty: Decimal, price: Decimal) -> None:
        """Add one fill of ``signed_qty`` (positive bought, negative sold) at ``price``."""
        old = self.qty
        new = old + signed_qty
        if old == 0 or (old > 0) == (signed_qty > 0):
            # Opening or adding: the entry price averages in the new shares.
            self.avg_entry_price = (abs(old) * self.avg_entry_price + abs(signed_qty) * price) / (
                abs(new)
            )
        elif new != 0 and (new > 0) != (old > 0):
            # Flipped through flat: what is left was opened by this fill.
            self.avg_entry_price = price
        self.qty = new
        if new == 0:
            self.avg_entry_price = ZERO


class Ledger:
    """Cash and positions of the one simulated account.

    Parameters
    ----------
    cash
        Cash the account starts with, in USD.
    """

    def __init__(self, cash: Decimal) -> None:
        self.cash = cash
        self._positions: dict[str, Position] = {}

    def apply_fill(self, symbol: str, side: str, qty: Decimal, price: Decimal) -> Decimal:
        """Book one fill; return the position's quantity after it."""
        signed = qty if side == "buy" else -qty
        position = self._positions.get(symbol)
        if position is None:
            position = self._positions[symbol] = Position(symbol)
        position.apply(signed, price)
        self.cash -= signed * price
        if position.qty == 0:
            del self._positions[symbol]
        return position.qty

    def position(self, symbol: str) -> Position | None:
        """Return the open position in ``symbol``, or None when flat."""
        return self._positions.get(symbol)

    def positions(self) -> list[Position]:
        """Return every open position, by symbol."""
        return [self._positions[s] for s in sorted(self._positions)]
