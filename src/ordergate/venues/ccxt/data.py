"""Market data from a ccxt exchange's websocket streams: best bid/offer and public trades.

Quotes come from ``watch_bids_asks`` and trades from ``watch_trades_for_symbols``, for the
symbols of the venue's symbol map, with the exchange's ``number`` set to ``str`` so every
price and size is parsed to ``Decimal`` from the exchange's own string.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import structlog

from ordergate.domain.reports import Quote, TradeTick
from ordergate.domain.values import Side
from ordergate.venues.ccxt.parsing import ParseError, venue_decimal

__all__ = ["has_market_data", "market_data", "quote_of", "trade_tick_of"]

log = structlog.get_logger(__name__)

_NS_PER_MS = 1_000_000
_RETRY_S = 0.5


def has_market_data(has: Mapping[str, Any]) -> bool:
    """Return True when the exchange streams quotes (``watchBidsAsks``)."""
    return bool(has.get("watchBidsAsks"))


def _ts(structure: Mapping[str, Any], now_ns: int) -> int:
    timestamp = structure.get("timestamp")
    return timestamp * _NS_PER_MS if isinstance(timestamp, int) else now_ns


def quote_of(venue: str, symbol: str, ticker: Mapping[str, Any], now_ns: int) -> Quote:
    """Return a ccxt bid/ask ticker as a Quote (``symbol`` is ordergate's).

    Raises
    ------
    ParseError
        If a price or size is a float or not a number.
    """
    bid, ask = ticker.get("bid"), ticker.get("ask")
    return Quote(
        venue=venue,
        symbol=symbol,
        bid_price=None if bid is None else venue_decimal(bid, "bid"),
        bid_size=venue_decimal(ticker.get("bidVolume") or "0", "bidVolume"),
        ask_price=None if ask is None else venue_decimal(ask, "ask"),
        ask_size=venue_decimal(ticker.get("askVolume") or "0", "askVolume"),
        ts_event=_ts(ticker, now_ns),
    )


def trade_tick_of(venue: str, symbol: str, trade: Mapping[str, Any], now_ns: int) -> TradeTick:
    """Return a ccxt public trade as a TradeTick; ``side`` is the aggressor's.

    Raises
    ------
    ParseError
        If the price or amount is missing or a float, or the side is unknown.
    """
    side = trade.get("side")
    if side not in ("buy", "sell"):
        raise ParseError(f"unknown side {side!r}")
    return TradeTick(
        venue=venue,
        symbol=symbol,
        price=venue_decimal(trade.get("price"), "price"),
        quantity=venue_decimal(trade.get("amount"), "amount"),
        aggressor=Side.BUY if side == "buy" else Side.SELL,
        ts_event=_ts(trade, now_ns),
    )


async def market_data(
    exchange: Any,
    venue: str,
    symbols: Mapping[str, str],
    now_ns: Callable[[], int],
) -> AsyncIterator[Quote | TradeTick]:
    """Yield quotes and trades of ``symbols`` (ccxt symbol -> ours) until the reader stops."""
    queue: asyncio.Queue[Quote | TradeTick] = asyncio.Queue()
    ccxt_symbols = sorted(symbols)

    async def quotes() -> None:
        while True:
            try:
                tickers = await exchange.watch_bids_asks(ccxt_symbols)
                for ccxt_symbol, ticker in tickers.items():
                    ours = symbols.get(ccxt_symbol, ccxt_symbol)
                    queue.put_nowait(quote_of(venue, ours, ticker, now_ns()))
            except asyncio.CancelledError:
                raise
            except Exception as e:  # reconnects; a bad item is logged and skipped
                log.warning("quote stream failed", venue=venue, error=str(e))
                await asyncio.sleep(_RETRY_S)

    async def trades() -> None:
        while True:
            try:
                for trade in await exchange.watch_trades_for_symbols(ccxt_symbols):
                    ours = symbols.get(trade["symbol"], trade["symbol"])
                    queue.put_nowait(trade_tick_of(venue, ours, trade, now_ns()))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("trade stream failed", venue=venue, error=str(e))
                await asyncio.sleep(_RETRY_S)

    tasks = [asyncio.create_task(quotes())]
    if exchange.has.get("watchTradesForSymbols"):
        tasks.append(asyncio.create_task(trades()))
    try:
        while True:
            yield await queue.get()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
