"""Instruments: what can be traded, in which units, and what each venue calls it."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ordergate.domain.values import AssetClass, is_multiple

__all__ = ["Instrument"]


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """A tradable instrument.

    ``tick_size`` is the price increment, ``lot_size`` the quantity increment,
    ``min_quantity`` the smallest order and ``min_notional`` the smallest price x quantity
    a venue takes. ``venue_symbols`` maps a venue name to that venue's own symbol.
    """

    symbol: str
    asset_class: AssetClass
    quote_currency: str
    base_currency: str | None = None
    tick_size: Decimal
    lot_size: Decimal
    min_quantity: Decimal
    min_notional: Decimal = Decimal(0)
    venue_symbols: dict[str, str] = msgspec.field(default_factory=dict)

    def venue_symbol(self, venue: str) -> str:
        """Return the symbol ``venue`` uses for this instrument (ours when unmapped)."""
        return self.venue_symbols.get(venue, self.symbol)

    def price_on_tick(self, price: Decimal) -> bool:
        """Return True when ``price`` is a multiple of the tick size."""
        return is_multiple(price, self.tick_size)

    def quantity_in_lots(self, quantity: Decimal) -> bool:
        """Return True when ``quantity`` is a multiple of the lot size."""
        return is_multiple(quantity, self.lot_size)
