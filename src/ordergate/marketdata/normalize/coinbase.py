"""Coinbase market data: Advanced Trade ``level2`` (``l2_data``), Exchange ``ticker`` and ``match``.

- ``l2_data`` (Advanced Trade WebSocket): ``{"channel": "l2_data", "sequence_num": n,
  "events": [{"type": "snapshot" | "update", "product_id", "updates": [{"side": "bid" |
  "offer", "price_level", "new_quantity", "event_time"}]}]}``; ``new_quantity`` is the new
  size, ``"0"`` removes the level. ``sequence_num`` counts every message on the connection,
  so a book is checked for contiguity when its connection carries only ``level2`` for one
  product (Coinbase's guidance for keeping a book); the snapshot carries its own number.
- ``ticker`` and ``match``/``last_match`` (Exchange WebSocket feed): ``match``'s ``side``
  is the maker's, so the aggressor is the opposite side.

Prices and sizes are strings, decoded straight to ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import msgspec

from ordergate.domain.values import Side
from ordergate.marketdata.errors import BadPayload, MarketDataError
from ordergate.marketdata.normalize._common import (
    check_levels,
    check_price,
    check_size,
    decoder_for,
    rfc3339_to_ns,
    symbol_of,
)
from ordergate.marketdata.sequencing import ContiguousSequenceRule
from ordergate.marketdata.streams import BookRules
from ordergate.marketdata.types import BookDelta, BookSnapshot, Level, MarketData, Ticker, Trade

__all__ = ["CoinbaseNormalizer"]


class _L2Update(msgspec.Struct):
    side: str
    price_level: Decimal
    new_quantity: Decimal


class _L2Event(msgspec.Struct):
    type: str
    product_id: str
    updates: list[_L2Update]


class _L2Data(msgspec.Struct):
    timestamp: str
    sequence_num: int
    events: list[_L2Event]


class _Ticker(msgspec.Struct):
    product_id: str
    price: Decimal
    volume_24h: Decimal
    best_bid: Decimal
    best_bid_size: Decimal
    best_ask: Decimal
    best_ask_size: Decimal
    time: str
    last_size: Decimal | None = None


class _Match(msgspec.Struct):
    trade_id: int
    product_id: str
    size: Decimal
    price: Decimal
    side: str
    time: str


class _Envelope(msgspec.Struct):
    channel: str | None = None
    type: str | None = None


_decode_envelope = decoder_for(_Envelope)
_decode_l2 = decoder_for(_L2Data)
_decode_ticker = decoder_for(_Ticker)
_decode_match = decoder_for(_Match)
_CONTROL_TYPES = frozenset({"subscriptions", "heartbeat", "error"})
_CONTROL_CHANNELS = frozenset({"subscriptions", "heartbeats"})
_MAKER_TO_AGGRESSOR = {"buy": Side.SELL, "sell": Side.BUY}


class CoinbaseNormalizer:
    """Normalize one Coinbase connection.

    Parameters
    ----------
    symbols
        Coinbase product id (``"BTC-USD"``) -> ordergate symbol.
    venue
        The venue name to stamp on every item.
    """

    def __init__(self, symbols: Mapping[str, str], *, venue: str = "COINBASE") -> None:
        self.venue = venue
        self.symbols = dict(symbols)

    def book_rules(self, symbol: str) -> BookRules:
        """Return Coinbase's rule: contiguous ``sequence_num``, no checksum."""
        return BookRules(rule=ContiguousSequenceRule)

    def normalize(self, raw: bytes, ts_init: int) -> Sequence[MarketData]:
        """Return the items in one Coinbase message."""
        envelope = _decode_envelope(raw)
        if envelope.channel == "l2_data":
            return self._l2(_decode_l2(raw), ts_init)
        if envelope.channel in _CONTROL_CHANNELS or envelope.type in _CONTROL_TYPES:
            return ()
        if envelope.type == "ticker":
            return (self._ticker(_decode_ticker(raw), ts_init),)
        if envelope.type in ("match", "last_match"):
            return (self._match(_decode_match(raw), ts_init),)
        raise MarketDataError(
            BadPayload.UNKNOWN_MESSAGE, f"channel {envelope.channel!r} type {envelope.type!r}"
        )

    def _l2(self, msg: _L2Data, ts_init: int) -> list[MarketData]:
        ts_event = rfc3339_to_ns(msg.timestamp)
        out: list[MarketData] = []
        for event in msg.events:
            symbol = symbol_of(self.symbols, event.product_id)
            bids: list[Level] = []
            asks: list[Level] = []
            for update in event.updates:
                if update.side == "bid":
                    bids.append((update.price_level, update.new_quantity))
                elif update.side == "offer":
                    asks.append((update.price_level, update.new_quantity))
                else:
                    raise MarketDataError(BadPayload.WRONG_TYPE, f"l2 side {update.side!r}")
            check_levels(bids, "bid")
            check_levels(asks, "ask")
            if event.type == "snapshot":
                out.append(
                    BookSnapshot(
                        venue=self.venue,
                        symbol=symbol,
                        bids=tuple(sorted(bids, reverse=True)),
                        asks=tuple(sorted(asks)),
                        sequence=msg.sequence_num,
                        ts_event=ts_event,
                        ts_init=ts_init,
                    )
                )
            elif event.type == "update":
                out.append(
                    BookDelta(
                        venue=self.venue,
                        symbol=symbol,
                        bids=tuple(bids),
                        asks=tuple(asks),
                        first_update_id=msg.sequence_num,
                        last_update_id=msg.sequence_num,
                        ts_event=ts_event,
                        ts_init=ts_init,
                    )
                )
            else:
                raise MarketDataError(BadPayload.UNKNOWN_MESSAGE, f"l2 event {event.type!r}")
        return out

    def _ticker(self, msg: _Ticker, ts_init: int) -> Ticker:
        for price, what in ((msg.best_bid, "bid"), (msg.best_ask, "ask"), (msg.price, "last")):
            check_price(price, what)
        for size, what in (
            (msg.best_bid_size, "bid size"),
            (msg.best_ask_size, "ask size"),
            (msg.volume_24h, "volume"),
            (msg.last_size, "last size"),
        ):
            check_size(size, what)
        return Ticker(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.product_id),
            bid_price=msg.best_bid,
            bid_size=msg.best_bid_size,
            ask_price=msg.best_ask,
            ask_size=msg.best_ask_size,
            last_price=msg.price,
            last_quantity=msg.last_size,
            volume=msg.volume_24h,
            ts_event=rfc3339_to_ns(msg.time),
            ts_init=ts_init,
        )

    def _match(self, msg: _Match, ts_init: int) -> Trade:
        check_price(msg.price, "price")
        check_price(msg.size, "size")
        aggressor = _MAKER_TO_AGGRESSOR.get(msg.side)
        if aggressor is None:
            raise MarketDataError(BadPayload.WRONG_TYPE, f"match side {msg.side!r}")
        return Trade(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.product_id),
            price=msg.price,
            quantity=msg.size,
            aggressor=aggressor,
            trade_id=str(msg.trade_id),
            ts_event=rfc3339_to_ns(msg.time),
            ts_init=ts_init,
        )
