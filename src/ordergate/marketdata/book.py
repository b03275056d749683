"""A price-level order book: exact Decimal levels, best prices in O(1).

Each side is a dict from a price key to its level ``(price, size)`` plus an ascending list of
its prices, kept sorted with ``bisect``: the best bid is the last bid price and the best ask
the first ask price. A size of zero removes a level; removing a level that is not there is a
no-op (Binance sends those). The book knows nothing of sequence numbers;
:mod:`ordergate.marketdata.sequencing` decides what may be applied.

Why a string key rather than the Decimal itself: hashing a fresh ``Decimal`` costs about
350 ns in CPython, and every level of every delta is a fresh one, while its canonical plain
string costs about 150 ns to make and hash. The key is the price in plain notation with
trailing fractional zeros removed (:func:`price_key`), so equal prices in any notation
(``30000.10``, ``30000.1``, ``3.00001E+4``) are one level; ordering still uses the Decimals.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from decimal import Decimal

from ordergate.marketdata.types import BookSnapshot, Level

__all__ = ["OrderBook", "price_key"]


def price_key(price: Decimal) -> str:
    """Return the canonical key of a finite price: plain notation, no trailing zeros."""
    # Inlined in OrderBook.apply (the hot path); keep the two in step.
    text = str(price)
    if "E" in text:
        text = format(price, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


class OrderBook:
    """The levels of one book at one venue.

    Parameters
    ----------
    venue, symbol
        Which book this is.
    depth
        Keep at most this many levels per side (dropping the worst), as venues that publish
        a fixed depth expect (Kraken: "truncate your book to the subscribed depth");
        ``None`` keeps every level.
    """

    __slots__ = ("_ask_prices", "_asks", "_bid_prices", "_bids", "depth", "symbol", "venue")

    def __init__(self, venue: str, symbol: str, depth: int | None = None) -> None:
        self.venue = venue
        self.symbol = symbol
        self.depth = depth
        self._bids: dict[str, Level] = {}  # price_key(price) -> (price, size)
        self._asks: dict[str, Level] = {}
        self._bid_prices: list[Decimal] = []  # ascending: best bid last
        self._ask_prices: list[Decimal] = []  # ascending: best ask first

    def clear(self) -> None:
        """Remove every level."""
        self._bids.clear()
        self._asks.clear()
        self._bid_prices.clear()
        self._ask_prices.clear()

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace the whole book with these levels (zero sizes are skipped)."""
        self.clear()
        self._bids.update((price_key(level[0]), level) for level in bids if level[1])
        self._asks.update((price_key(level[0]), level) for level in asks if level[1])
        self._bid_prices.extend(sorted(level[0] for level in self._bids.values()))
        self._ask_prices.extend(sorted(level[0] for level in self._asks.values()))
        self._truncate()

    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Set each level's size in order; zero removes the level."""
        for levels, prices, changes in (
            (self._bids, self._bid_prices, bids),
            (self._asks, self._ask_prices, asks),
        ):
            for level in changes:
                price = level[0]
                key = str(price)  # price_key(), inlined: this loop is the hot path
                if "E" in key:
                    key = format(price, "f")
                if "." in key:
                    key = key.rstrip("0").rstrip(".")
                if level[1]:
                    if key not in levels:
                        insort(prices, price)
                    levels[key] = level
                elif levels.pop(key, None) is not None:
                    del prices[bisect_left(prices, price)]
        if self.depth is not None:
            self._truncate()

    def _truncate(self) -> None:
        depth = self.depth
        if depth is None:
            return
        extra = len(self._bid_prices) - depth
        if extra > 0:
            for price in self._bid_prices[:extra]:
                del self._bids[price_key(price)]
            del self._bid_prices[:extra]
        extra = len(self._ask_prices) - depth
        if extra > 0:
            for price in self._ask_prices[depth:]:
                del self._asks[price_key(price)]
            del self._ask_prices[depth:]

    @property
    def best_bid(self) -> Level | None:
        """Return the highest bid level, or ``None`` when there are no bids."""
        if not self._bid_prices:
            return None
        return self._bids[price_key(self._bid_prices[-1])]

    @property
    def best_ask(self) -> Level | None:
        """Return the lowest ask level, or ``None`` when there are no asks."""
        if not self._ask_prices:
            return None
        return self._asks[price_key(self._ask_prices[0])]

    def is_crossed(self) -> bool:
        """Return whether the best bid is at or above the best ask."""
        return (
            bool(self._bid_prices)
            and bool(self._ask_prices)
            and self._bid_prices[-1] >= self._ask_prices[0]
        )

    def bids(self, n: int | None = None) -> list[Level]:
        """Return up to ``n`` bid levels (all when ``None``), best first."""
        prices = self._bid_prices
        chosen = prices[::-1] if n is None else prices[: -n - 1 : -1]
        levels = self._bids
        return [levels[price_key(p)] for p in chosen]

    def asks(self, n: int | None = None) -> list[Level]:
        """Return up to ``n`` ask levels (all when ``None``), best first."""
        chosen = self._ask_prices if n is None else self._ask_prices[:n]
        levels = self._asks
        return [levels[price_key(p)] for p in chosen]

    def __len__(self) -> int:
        return len(self._bids) + len(self._asks)

    def snapshot(
        self, *, sequence: int | None = None, ts_event: int = 0, ts_init: int = 0
    ) -> BookSnapshot:
        """Return the whole book as a :class:`BookSnapshot`."""
        return BookSnapshot(
            venue=self.venue,
            symbol=self.symbol,
            bids=tuple(self.bids()),
            asks=tuple(self.asks()),
            sequence=sequence,
            ts_event=ts_event,
            ts_init=ts_init,
        )
