"""The simulator's own market data: :class:`Quote` and :class:`TradeTick`, as objects or JSON.

:class:`ordergate.sim.venue.SimVenue` yields ``Quote``/``TradeTick`` objects from
``market_data()``; :func:`sim_messages` turns that iterator into the JSON bytes a pipeline
stream consumes (the same bytes ``msgspec.json.encode`` makes of them anywhere else).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import msgspec

from ordergate.domain.reports import Quote, TradeTick
from ordergate.domain.values import Side
from ordergate.marketdata.errors import BadPayload, MarketDataError
from ordergate.marketdata.normalize._common import check_price, check_size, decoder_for
from ordergate.marketdata.sequencing import NonceRule
from ordergate.marketdata.streams import BookRules
from ordergate.marketdata.types import MarketData, Ticker, Trade

__all__ = ["SimNormalizer", "sim_messages", "ticker_of", "trade_of"]


class _Wire(msgspec.Struct):
    # The union of Quote's and TradeTick's fields: the two are told apart by which are set.
    venue: str
    symbol: str
    ts_event: int
    bid_price: Decimal | None = None
    bid_size: Decimal | None = None
    ask_price: Decimal | None = None
    ask_size: Decimal | None = None
    price: Decimal | None = None
    quantity: Decimal | None = None
    aggressor: Side | None = None


_decode = decoder_for(_Wire)


def ticker_of(quote: Quote, ts_init: int) -> Ticker:
    """Return the :class:`Ticker` of a simulator quote."""
    return Ticker(
        venue=quote.venue,
        symbol=quote.symbol,
        bid_price=quote.bid_price,
        bid_size=quote.bid_size,
        ask_price=quote.ask_price,
        ask_size=quote.ask_size,
        ts_event=quote.ts_event,
        ts_init=ts_init,
    )


def trade_of(tick: TradeTick, ts_init: int) -> Trade:
    """Return the :class:`Trade` of a simulator trade tick."""
    return Trade(
        venue=tick.venue,
        symbol=tick.symbol,
        price=tick.price,
        quantity=tick.quantity,
        aggressor=tick.aggressor,
        ts_event=tick.ts_event,
        ts_init=ts_init,
    )


async def sim_messages(items: AsyncIterator[Quote | TradeTick]) -> AsyncIterator[bytes]:
    """Yield each simulator quote or trade tick as JSON bytes."""
    encode = msgspec.json.encode
    async for item in items:
        yield encode(item)


class SimNormalizer:
    """Normalize the simulator's JSON quotes and trade ticks.

    Parameters
    ----------
    symbols
        The symbols the stream may carry (the simulator already uses ordergate's).
    venue
        The venue name the simulator stamps on its quotes.
    """

    def __init__(self, symbols: Sequence[str], *, venue: str = "SIM") -> None:
        self.venue = venue
        self.symbols = frozenset(symbols)

    def book_rules(self, symbol: str) -> BookRules:
        """Return a nonce rule (the simulator sends no books today)."""
        return BookRules(rule=NonceRule)

    def normalize(self, raw: bytes, ts_init: int) -> Sequence[MarketData]:
        """Return the ticker or trade in one simulator message."""
        msg = _decode(raw)
        if msg.symbol not in self.symbols:
            raise MarketDataError(BadPayload.UNKNOWN_SYMBOL, f"symbol {msg.symbol!r}")
        if msg.price is not None and msg.quantity is not None and msg.aggressor is not None:
            check_price(msg.price, "price")
            check_price(msg.quantity, "quantity")
            tick = TradeTick(
                venue=msg.venue,
                symbol=msg.symbol,
                price=msg.price,
                quantity=msg.quantity,
                aggressor=msg.aggressor,
                ts_event=msg.ts_event,
            )
            return (trade_of(tick, ts_init),)
        if msg.bid_size is None or msg.ask_size is None:
            raise MarketDataError(BadPayload.MALFORMED, "neither a quote nor a trade tick")
        check_price(msg.bid_price, "bid")
        check_price(msg.ask_price, "ask")
        check_size(msg.bid_size, "bid size")
        check_size(msg.ask_size, "ask size")
        quote = Quote(
            venue=msg.venue,
            symbol=msg.symbol,
            bid_price=msg.bid_price,
            bid_size=msg.bid_size,
            ask_price=msg.ask_price,
            ask_size=msg.ask_size,
            ts_event=msg.ts_event,
        )
        return (ticker_of(quote, ts_init),)
