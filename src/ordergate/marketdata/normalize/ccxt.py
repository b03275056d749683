"""ccxt unified market data structures (``watch_order_book``, ``watch_ticker``, ``watch_trades``).

ccxt's unified order book is a full book with a ``nonce``; each one is a snapshot, and the
stream drops any whose nonce is not newer than the book's (see
:class:`ordergate.marketdata.processor.FeedProcessor`). The structures carry no type tag, so a
normalizer reads one channel. Numbers are decoded to ``Decimal`` from the JSON text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import msgspec

from ordergate.domain.values import Side
from ordergate.marketdata.errors import BadPayload, MarketDataError
from ordergate.marketdata.normalize._common import (
    check_levels,
    check_price,
    check_size,
    decoder_for,
    symbol_of,
)
from ordergate.marketdata.sequencing import NonceRule
from ordergate.marketdata.streams import BookRules
from ordergate.marketdata.types import BookSnapshot, Channel, Level, MarketData, Ticker, Trade

__all__ = ["CcxtNormalizer"]

_MS = 1_000_000


class _OrderBook(msgspec.Struct):
    symbol: str
    bids: list[list[Decimal]]  # [price, amount] or [price, amount, extra]
    asks: list[list[Decimal]]
    timestamp: int | None = None
    nonce: int | None = None


class _Ticker(msgspec.Struct):
    symbol: str
    bid: Decimal | None = None
    bidVolume: Decimal | None = None
    ask: Decimal | None = None
    askVolume: Decimal | None = None
    last: Decimal | None = None
    baseVolume: Decimal | None = None
    timestamp: int | None = None


class _Trade(msgspec.Struct):
    symbol: str
    side: str
    price: Decimal
    amount: Decimal
    id: str | None = None
    timestamp: int | None = None


_decode_book = decoder_for(_OrderBook)
_decode_ticker = decoder_for(_Ticker)
_decode_trades: Callable[[bytes], list[_Trade] | _Trade] = decoder_for(
    list[_Trade] | _Trade  # type: ignore[arg-type]
)
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}


def _levels(rows: list[list[Decimal]], side: str) -> tuple[Level, ...]:
    if any(len(row) < 2 for row in rows):
        raise MarketDataError(BadPayload.WRONG_TYPE, f"{side} level needs price and amount")
    levels = tuple((row[0], row[1]) for row in rows)
    check_levels(levels, side)
    return levels


class CcxtNormalizer:
    """Normalize one channel of ccxt unified structures, as JSON.

    Parameters
    ----------
    venue
        The venue name (the ccxt exchange id in ordergate's words).
    channel
        Which structure the stream carries.
    symbols
        ccxt symbol (``"BTC/USDT"``) -> ordergate symbol.
    contiguous_nonce
        Whether the venue's nonces step by exactly one (then a jump is a gap).
    """

    def __init__(
        self,
        venue: str,
        channel: Channel,
        symbols: Mapping[str, str],
        *,
        contiguous_nonce: bool = False,
    ) -> None:
        self.venue = venue
        self.channel = channel
        self.symbols = dict(symbols)
        self.contiguous_nonce = contiguous_nonce

    def book_rules(self, symbol: str) -> BookRules:
        """Return the nonce rule."""
        contiguous = self.contiguous_nonce
        return BookRules(rule=lambda: NonceRule(contiguous=contiguous))

    def normalize(self, raw: bytes, ts_init: int) -> Sequence[MarketData]:
        """Return the items in one ccxt structure (a list of trades gives several)."""
        if self.channel is Channel.BOOK:
            return (self._book(_decode_book(raw), ts_init),)
        if self.channel is Channel.TICKER:
            return (self._ticker(_decode_ticker(raw), ts_init),)
        decoded = _decode_trades(raw)
        trades = decoded if isinstance(decoded, list) else [decoded]
        return [self._trade(t, ts_init) for t in trades]

    def _book(self, msg: _OrderBook, ts_init: int) -> BookSnapshot:
        return BookSnapshot(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.symbol),
            bids=_levels(msg.bids, "bid"),
            asks=_levels(msg.asks, "ask"),
            sequence=msg.nonce,
            ts_event=msg.timestamp * _MS if msg.timestamp else ts_init,
            ts_init=ts_init,
        )

    def _ticker(self, msg: _Ticker, ts_init: int) -> Ticker:
        for price, what in ((msg.bid, "bid"), (msg.ask, "ask"), (msg.last, "last")):
            check_price(price, what)
        for size, what in (
            (msg.bidVolume, "bid size"),
            (msg.askVolume, "ask size"),
            (msg.baseVolume, "volume"),
        ):
            check_size(size, what)
        return Ticker(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.symbol),
            bid_price=msg.bid,
            bid_size=msg.bidVolume or Decimal(0),
            ask_price=msg.ask,
            ask_size=msg.askVolume or Decimal(0),
            last_price=msg.last,
            volume=msg.baseVolume,
            ts_event=msg.timestamp * _MS if msg.timestamp else ts_init,
            ts_init=ts_init,
        )

    def _trade(self, msg: _Trade, ts_init: int) -> Trade:
        check_price(msg.price, "price")
        check_price(msg.amount, "amount")
        side = _SIDES.get(msg.side)
        if side is None:
            raise MarketDataError(BadPayload.WRONG_TYPE, f"trade side {msg.side!r}")
        return Trade(
            venue=self.venue,
            symbol=symbol_of(self.symbols, msg.symbol),
            price=msg.price,
            quantity=msg.amount,
            aggressor=side,  # ccxt's public trade side is the taker's
            trade_id=msg.id,
            ts_event=msg.timestamp * _MS if msg.timestamp else ts_init,
            ts_init=ts_init,
        )
