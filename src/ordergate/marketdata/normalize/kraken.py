"""Kraken WebSocket v2 market data: ``book`` (snapshot/update with CRC32), ``ticker``, ``trade``.

Kraken v2 sends prices and quantities as JSON numbers; msgspec decodes them to ``Decimal``
from their text, so nothing passes through float. The book checksum needs each pair's price
and quantity precision (Kraken's ``instrument`` channel), given in :class:`KrakenPair`.
Heartbeats, status messages and subscription acks are control messages: nothing to publish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import partial

import msgspec

from ordergate.domain.values import Side
from ordergate.marketdata.checksum import kraken_checksum
from ordergate.marketdata.errors import BadPayload, MarketDataError
from ordergate.marketdata.normalize._common import (
    check_levels,
    check_price,
    check_size,
    decoder_for,
    rfc3339_to_ns,
    symbol_of,
)
from ordergate.marketdata.sequencing import ChecksumOnlyRule
from ordergate.marketdata.streams import BookRules
from ordergate.marketdata.types import BookDelta, BookSnapshot, Level, MarketData, Ticker, Trade

__all__ = ["KrakenNormalizer", "KrakenPair"]


class KrakenPair(msgspec.Struct, frozen=True, kw_only=True):
    """One Kraken pair: ordergate's symbol and the precisions its checksum is formatted with."""

    symbol: str
    price_precision: int
    qty_precision: int


class _Level(msgspec.Struct):
    price: Decimal
    qty: Decimal


class _Book(msgspec.Struct):
    symbol: str
    bids: list[_Level]
    asks: list[_Level]
    checksum: int
    timestamp: str | None = None


class _Ticker(msgspec.Struct):
    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    timestamp: str | None = None


class _Trade(msgspec.Struct):
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    trade_id: int
    timestamp: str


class _Envelope(msgspec.Struct):
    channel: str | None = None
    type: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"")  # msgspec takes no Raw in a union: empty if absent


_decode_envelope = decoder_for(_Envelope)
_decode_books = decoder_for(list[_Book])
_decode_tickers = decoder_for(list[_Ticker])
_decode_trades = decoder_for(list[_Trade])
_CONTROL = frozenset({"heartbeat", "status", "instrument", None})
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}


def _levels(levels: list[_Level], side: str) -> tuple[Level, ...]:
    out = tuple((level.price, level.qty) for level in levels)
    check_levels(out, side)
    return out


class KrakenNormalizer:
    """Normalize one Kraken v2 public connection.

    Parameters
    ----------
    pairs
        Kraken symbol (``"BTC/USD"``) -> its :class:`KrakenPair`.
    depth
        The subscribed book depth (10, 25, 100, 500, 1000): books are truncated to it.
    venue
        The venue name to stamp on every item.
    """

    def __init__(
        self, pairs: Mapping[str, KrakenPair], *, depth: int = 10, venue: str = "KRAKEN"
    ) -> None:
        self.venue = venue
        self.depth = depth
        self.pairs = dict(pairs)
        self.symbols = {name: pair.symbol for name, pair in pairs.items()}
        self._by_symbol = {pair.symbol: pair for pair in pairs.values()}

    def book_rules(self, symbol: str) -> BookRules:
        """Return Kraken's rules: no sequence numbers, subscribed depth, CRC32 checksum."""
        pair = self._by_symbol[symbol]
        checksum = partial(
            kraken_checksum, price_precision=pair.price_precision, qty_precision=pair.qty_precision
        )
        return BookRules(rule=ChecksumOnlyRule, depth=self.depth, checksum=checksum)

    def normalize(self, raw: bytes, ts_init: int) -> Sequence[MarketData]:
        """Return the items in one Kraken v2 message."""
        envelope = _decode_envelope(raw)
        channel = envelope.channel
        if channel in _CONTROL or not envelope.data:
            return ()  # heartbeats, status, acks ({"method": ...}) carry no market data
        if channel == "book":
            if envelope.type not in ("snapshot", "update"):
                raise MarketDataError(BadPayload.UNKNOWN_MESSAGE, f"book type {envelope.type!r}")
            is_snapshot = envelope.type == "snapshot"
            return [self._book(b, is_snapshot, ts_init) for b in _decode_books(envelope.data)]
        if channel == "ticker":
            return [self._ticker(t, ts_init) for t in _decode_tickers(envelope.data)]
        if channel == "trade":
            return [self._trade(t, ts_init) for t in _decode_trades(envelope.data)]
        raise MarketDataError(BadPayload.UNKNOWN_MESSAGE, f"channel {channel!r}")

    def _book(self, msg: _Book, is_snapshot: bool, ts_init: int) -> BookSnapshot | BookDelta:
        symbol = symbol_of(self.symbols, msg.symbol)
        bids = _levels(msg.bids, "bid")
        asks = _levels(msg.asks, "ask")
        ts_event = rfc3339_to_ns(msg.timestamp) if msg.timestamp else ts_init
        if is_snapshot:
            return BookSnapshot(
                venue=self.venue,
                symbol=symbol,
                bids=bids,
                asks=asks,
                checksum=msg.checksum,
                ts_event=ts_event,
                ts_init=ts_init,
            )
        return BookDelta(
            venue=self.venue,
            symbol=symbol,
            bids=bids,
            asks=asks,
            checksum=msg.checksum,
            ts_event=ts_event,
            ts_init=ts_init,
        )

    def _ticker(self, msg: _Ticker, ts_init: int) -> Ticker:
        for price, what in ((msg.bid, "bid"), (msg.ask, "ask"), (msg.last, "last")):
            check_price(price, what)
        for size, what in ((msg.bid_qty, "bid size"), (msg.ask_qty, "ask size")):
            check_size(size, what)
        check_size(msg.volume, "volume")
        return Ticker(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.symbol),
            bid_price=msg.bid,
            bid_size=msg.bid_qty,
            ask_price=msg.ask,
            ask_size=msg.ask_qty,
            last_price=msg.last,
            volume=msg.volume,
            ts_event=rfc3339_to_ns(msg.timestamp) if msg.timestamp else ts_init,
            ts_init=ts_init,
        )

    def _trade(self, msg: _Trade, ts_init: int) -> Trade:
        check_price(msg.price, "price")
        check_price(msg.qty, "quantity")
        side = _SIDES.get(msg.side)
        if side is None:
            raise MarketDataError(BadPayload.WRONG_TYPE, f"trade side {msg.side!r}")
        return Trade(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.symbol),
            price=msg.price,
            quantity=msg.qty,
            aggressor=side,  # Kraken's side is the taker's
            trade_id=str(msg.trade_id),
            ts_event=rfc3339_to_ns(msg.timestamp),
            ts_init=ts_init,
        )
