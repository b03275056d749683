"""What every venue normalizer offers the stream processor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ordergate.marketdata.streams import BookRules
from ordergate.marketdata.types import MarketData

__all__ = ["Normalizer"]


class Normalizer(Protocol):
    """Turns one venue's raw messages into normalized market data (pure, no I/O).

    ``normalize`` returns the items in one message, in order; an empty sequence for control
    messages (heartbeats, subscription acks). It raises
    :class:`ordergate.marketdata.errors.MarketDataError` for anything it cannot normalize
    and then returns nothing from that message.
    """

    venue: str

    def normalize(self, raw: bytes, ts_init: int) -> Sequence[MarketData]:
        """Return the normalized items in one raw message."""
        ...

    def book_rules(self, symbol: str) -> BookRules:
        """Return how this venue's book for ``symbol`` is sequenced and checked."""
        ...
