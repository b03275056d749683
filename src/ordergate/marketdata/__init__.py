"""Normalized market data: types, order book builder, venue normalizers, stream health, shell.

- Types: :class:`Ticker` (extends ``Quote``), :class:`Trade` (extends ``TradeTick``),
  :class:`BookSnapshot`, :class:`BookDelta`.
- :class:`OrderBook` and the venue sequencing rules in :mod:`.sequencing`.
- Normalizers per venue in :mod:`.normalize` (Binance, Kraken v2, Coinbase, ccxt, simulator).
- :class:`FeedProcessor`: the pure core of one feed (normalize, sequence, monitor).
- :class:`MarketDataPipeline`: the asyncio shell with snapshot fetchers and subscribers.
"""

from ordergate.marketdata.book import OrderBook
from ordergate.marketdata.checksum import kraken_checksum
from ordergate.marketdata.errors import BadPayload, MarketDataError
from ordergate.marketdata.health import (
    STREAM_TRANSITIONS,
    InvalidStateTransition,
    StreamCounters,
    StreamHealth,
    StreamState,
    StreamTrigger,
)
from ordergate.marketdata.pipeline import MarketDataPipeline, SnapshotFetcher, Subscription
from ordergate.marketdata.processor import FeedProcessor
from ordergate.marketdata.sequencing import (
    BinanceDepthRule,
    ChecksumOnlyRule,
    ContiguousSequenceRule,
    NonceRule,
    SequenceRule,
    Verdict,
)
from ordergate.marketdata.streams import BookRules, BookStream, NeedsSnapshot
from ordergate.marketdata.types import (
    BookDelta,
    BookSnapshot,
    Channel,
    Level,
    MarketData,
    Ticker,
    Trade,
)

__all__ = [
    "STREAM_TRANSITIONS",
    "BadPayload",
    "BinanceDepthRule",
    "BookDelta",
    "BookRules",
    "BookSnapshot",
    "BookStream",
    "Channel",
    "ChecksumOnlyRule",
    "ContiguousSequenceRule",
    "FeedProcessor",
    "InvalidStateTransition",
    "Level",
    "MarketData",
    "MarketDataError",
    "MarketDataPipeline",
    "NeedsSnapshot",
    "NonceRule",
    "OrderBook",
    "SequenceRule",
    "SnapshotFetcher",
    "StreamCounters",
    "StreamHealth",
    "StreamState",
    "StreamTrigger",
    "Subscription",
    "Ticker",
    "Trade",
    "Verdict",
    "kraken_checksum",
]
