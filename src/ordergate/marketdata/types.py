"""Normalized market data: tickers, trades, order book snapshots and deltas.

Every venue normalizer turns its own wire messages into these types; raw venue payloads never
leave the normalizer. Prices and sizes are exact ``Decimal``; ``ts_event`` is the venue's
time and ``ts_init`` the time ordergate received the message, both integer nanoseconds.

:class:`Ticker` extends :class:`ordergate.domain.reports.Quote` and :class:`Trade` extends
:class:`ordergate.domain.reports.TradeTick`, so code that already consumes quotes and trade
ticks (the OMS's market-order collars, the simulator's subscribers) accepts them unchanged.
Book levels are plain ``(price, size)`` tuples rather than objects: a depth update carries
tens of them and a tuple costs the least to make and to read. None of these types can be
part of a reference cycle (they hold only strings, numbers and tuples of them), so they are
not tracked by the garbage collector (``gc=False``): a feed makes hundreds of thousands a
second.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

import msgspec

from ordergate.domain.reports import Quote, TradeTick

__all__ = [
    "BookDelta",
    "BookSnapshot",
    "Channel",
    "Level",
    "MarketData",
    "Ticker",
    "Trade",
]

#: One price level: (price, size). A size of zero in a delta removes the level.
Level: TypeAlias = tuple[Decimal, Decimal]


class Channel(StrEnum):
    """What a market data stream carries."""

    BOOK = "BOOK"
    TICKER = "TICKER"
    TRADES = "TRADES"


class Ticker(Quote, frozen=True, kw_only=True, gc=False):
    """Best bid and ask, with the last trade and the rolling volume where the venue gives them.

    ``volume`` is the venue's rolling (usually 24 hour) volume in the base currency.
    """

    last_price: Decimal | None = None
    last_quantity: Decimal | None = None
    volume: Decimal | None = None
    ts_init: int = 0


class Trade(TradeTick, frozen=True, kw_only=True, gc=False):
    """One public trade, with the venue's trade id where it gives one."""

    trade_id: str | None = None
    ts_init: int = 0


class BookSnapshot(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A full view of one book.

    ``bids`` run best (highest) first, ``asks`` best (lowest) first. ``sequence`` is the
    venue's id of the last change the snapshot includes: Binance ``lastUpdateId``, Coinbase
    ``sequence_num``, a ccxt ``nonce``; ``None`` where the venue has none (Kraken).
    ``checksum`` is the venue's CRC32 of the book where it sends one (Kraken).
    """

    venue: str
    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    sequence: int | None = None
    checksum: int | None = None
    ts_event: int = 0
    ts_init: int = 0


class BookDelta(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Changes to price levels of one book, in the venue's order.

    Each level gives the new total size at its price; zero removes the level.
    ``first_update_id``/``last_update_id`` are the venue's update ids the delta spans
    (Binance ``U``/``u``; both the message sequence for Coinbase; both the nonce for ccxt);
    ``previous_update_id`` is the id of the delta before it where the venue sends it
    (Binance futures ``pu``). ``checksum`` is the venue's CRC32 of the book after the delta.
    """

    venue: str
    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    first_update_id: int | None = None
    last_update_id: int | None = None
    previous_update_id: int | None = None
    checksum: int | None = None
    ts_event: int = 0
    ts_init: int = 0


#: Everything a normalizer produces.
MarketData: TypeAlias = Ticker | Trade | BookSnapshot | BookDelta
