"""Binance market data: diff depth, bookTicker, 24hr ticker, trade and aggTrade streams.

Payload shapes follow Binance's public WebSocket and REST documentation (spot, and USD-M
futures where it adds ``pu``/``T``): prices and quantities arrive as strings and are decoded
straight to ``Decimal`` by msgspec. A raw stream (``/ws/btcusdt@depth``) carries one kind of
message, given as ``kind``; a combined stream (``/stream?streams=...``) wraps each message
as ``{"stream": "btcusdt@depth", "data": {...}}`` and is read with ``kind=None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum

import msgspec

from ordergate.domain.values import Side
from ordergate.marketdata.errors import BadPayload, MarketDataError
from ordergate.marketdata.normalize._common import (
    check_levels,
    check_price,
    check_quote,
    check_size,
    check_trade,
    decode_error,
    decoder_for,
    symbol_of,
)
from ordergate.marketdata.sequencing import BinanceDepthRule
from ordergate.marketdata.streams import BookRules
from ordergate.marketdata.types import BookDelta, BookSnapshot, MarketData, Ticker, Trade

__all__ = ["BinanceNormalizer", "BinanceStream"]

_MS = 1_000_000
_Levels = tuple[tuple[Decimal, Decimal], ...]


class BinanceStream(StrEnum):
    """The kind of a raw Binance stream (the suffix of its name)."""

    DEPTH = "depth"
    BOOK_TICKER = "bookTicker"
    TICKER = "ticker"
    TRADE = "trade"
    AGG_TRADE = "aggTrade"


class _DepthUpdate(msgspec.Struct, gc=False):
    s: str
    U: int
    u: int
    b: _Levels
    a: _Levels
    E: int = 0
    pu: int | None = None  # futures only


class _BookTicker(msgspec.Struct, gc=False):
    s: str
    b: Decimal
    B: Decimal
    a: Decimal
    A: Decimal
    u: int = 0
    E: int = 0  # futures only


class _Ticker24h(msgspec.Struct, gc=False):
    s: str
    b: Decimal
    B: Decimal
    a: Decimal
    A: Decimal
    c: Decimal
    Q: Decimal
    v: Decimal
    E: int = 0


class _Trade(msgspec.Struct, gc=False):
    s: str
    t: int
    p: Decimal
    q: Decimal
    T: int
    m: bool  # buyer is the maker: the seller was the aggressor


class _AggTrade(msgspec.Struct, gc=False):
    s: str
    a: int
    p: Decimal
    q: Decimal
    T: int
    m: bool


class _DepthSnapshot(msgspec.Struct):
    lastUpdateId: int
    bids: _Levels
    asks: _Levels
    E: int = 0  # futures only


class _Combined(msgspec.Struct):
    stream: str
    data: msgspec.Raw


_decode_combined = decoder_for(_Combined)
_decode_snapshot = decoder_for(_DepthSnapshot)


class BinanceNormalizer:
    """Normalize one Binance stream.

    Parameters
    ----------
    symbols
        Binance symbol (``"BTCUSDT"``) -> ordergate symbol (``"BTC-USDT"``); any other symbol
        is refused.
    kind
        The kind of a raw stream, or ``None`` for a combined stream.
    venue
        The venue name to stamp on every item.
    """

    def __init__(
        self,
        symbols: Mapping[str, str],
        kind: BinanceStream | None = None,
        *,
        venue: str = "BINANCE",
    ) -> None:
        self.venue = venue
        self.symbols = dict(symbols)
        self.kind = kind
        # Raw msgspec decoders: normalize() maps their errors once, off the hot path.
        self._depth_decode = msgspec.json.Decoder(_DepthUpdate).decode
        self._book_ticker_decode = msgspec.json.Decoder(_BookTicker).decode
        self._ticker_decode = msgspec.json.Decoder(_Ticker24h).decode
        self._trade_decode = msgspec.json.Decoder(_Trade).decode
        self._agg_trade_decode = msgspec.json.Decoder(_AggTrade).decode
        self._parsers: dict[BinanceStream, Callable[[bytes | msgspec.Raw, int], MarketData]] = {
            BinanceStream.DEPTH: self._depth,
            BinanceStream.BOOK_TICKER: self._book_ticker,
            BinanceStream.TICKER: self._ticker,
            BinanceStream.TRADE: self._trade,
            BinanceStream.AGG_TRADE: self._agg_trade,
        }
        self._parse = self._parsers[kind] if kind is not None else None

    def book_rules(self, symbol: str) -> BookRules:
        """Return Binance's diff depth rule (U/u/pu), no depth limit, no checksum."""
        return BookRules(rule=BinanceDepthRule)

    def normalize(self, raw: bytes, ts_init: int) -> Sequence[MarketData]:
        """Return the item in one Binance message."""
        try:
            if self._parse is not None:
                return (self._parse(raw, ts_init),)
            return (self._combined(raw, ts_init),)
        except msgspec.DecodeError as e:
            raise decode_error(e) from e

    def _combined(self, raw: bytes, ts_init: int) -> MarketData:
        envelope = _decode_combined(raw)
        name = envelope.stream.partition("@")[2].partition("@")[0]
        try:
            parse = self._parsers[BinanceStream(name)]
        except ValueError as e:
            raise MarketDataError(BadPayload.UNKNOWN_MESSAGE, f"stream {envelope.stream!r}") from e
        return parse(envelope.data, ts_init)

    def depth_snapshot(self, raw: bytes, symbol: str, ts_init: int) -> BookSnapshot:
        """Return the book of a REST depth snapshot (``GET /api/v3/depth``) for ``symbol``.

        ``symbol`` is ordergate's symbol: the REST reply does not name it.
        """
        msg = _decode_snapshot(raw)
        check_levels(msg.bids, "bid")
        check_levels(msg.asks, "ask")
        return BookSnapshot(
            venue=self.venue,
            symbol=symbol,
            bids=msg.bids,
            asks=msg.asks,
            sequence=msg.lastUpdateId,
            ts_event=msg.E * _MS if msg.E else ts_init,
            ts_init=ts_init,
        )

    def _depth(self, raw: bytes | msgspec.Raw, ts_init: int) -> BookDelta:
        msg = self._depth_decode(raw)
        if msg.u < msg.U:
            raise MarketDataError(BadPayload.INVALID_NUMBER, f"U {msg.U} > u {msg.u}")
        check_levels(msg.b, "bid")
        check_levels(msg.a, "ask")
        symbol = self.symbols.get(msg.s) or symbol_of(self.symbols, msg.s)
        return BookDelta(
            venue=self.venue,
            symbol=symbol,
            bids=msg.b,
            asks=msg.a,
            first_update_id=msg.U,
            last_update_id=msg.u,
            previous_update_id=msg.pu,
            ts_event=msg.E * _MS,
            ts_init=ts_init,
        )

    def _book_ticker(self, raw: bytes | msgspec.Raw, ts_init: int) -> Ticker:
        msg = self._book_ticker_decode(raw)
        check_quote(msg.b, msg.B, msg.a, msg.A)
        symbol = self.symbols.get(msg.s) or symbol_of(self.symbols, msg.s)
        return Ticker(
            venue=self.venue,
            symbol=symbol,
            bid_price=msg.b,
            bid_size=msg.B,
            ask_price=msg.a,
            ask_size=msg.A,
            ts_event=msg.E * _MS if msg.E else ts_init,  # spot bookTicker has no time
            ts_init=ts_init,
        )

    def _ticker(self, raw: bytes | msgspec.Raw, ts_init: int) -> Ticker:
        msg = self._ticker_decode(raw)
        check_price(msg.b, "bid")
        check_price(msg.a, "ask")
        check_price(msg.c, "last")
        for value, what in ((msg.B, "bid size"), (msg.A, "ask size"), (msg.Q, "last size")):
            check_size(value, what)
        check_size(msg.v, "volume")
        return Ticker(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.s),
            bid_price=msg.b,
            bid_size=msg.B,
            ask_price=msg.a,
            ask_size=msg.A,
            last_price=msg.c,
            last_quantity=msg.Q,
            volume=msg.v,
            ts_event=msg.E * _MS,
            ts_init=ts_init,
        )

    def _trade(self, raw: bytes | msgspec.Raw, ts_init: int) -> Trade:
        msg = self._trade_decode(raw)
        return self._trade_of(msg.s, msg.t, msg.p, msg.q, msg.m, msg.T, ts_init)

    def _agg_trade(self, raw: bytes | msgspec.Raw, ts_init: int) -> Trade:
        msg = self._agg_trade_decode(raw)
        return self._trade_of(msg.s, msg.a, msg.p, msg.q, msg.m, msg.T, ts_init)

    def _trade_of(
        self,
        venue_symbol: str,
        trade_id: int,
        price: Decimal,
        quantity: Decimal,
        buyer_is_maker: bool,
        ts_ms: int,
        ts_init: int,
    ) -> Trade:
        check_trade(price, quantity)  # a trade of nothing is not a trade either
        symbol = self.symbols.get(venue_symbol) or symbol_of(self.symbols, venue_symbol)
        return Trade(
            venue=self.venue,
            symbol=symbol,
            price=price,
            quantity=quantity,
            aggressor=Side.SELL if buyer_is_maker else Side.BUY,
            trade_id=str(trade_id),
            ts_event=ts_ms * _MS,
            ts_init=ts_init,
        )
