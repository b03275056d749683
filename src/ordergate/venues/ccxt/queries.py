"""Queries the adapter makes to learn what the venue knows: one order, one order's fills.

Both answer "nothing" rather than raise when the venue cannot be asked: the callers (the
resolution of a lost request, the catch-up after a stream outage) ask again later, and a
reconciliation that must not guess uses the raising ccxt calls directly.
"""

from __future__ import annotations

from typing import Any

import ccxt
import structlog

__all__ = ["find_order", "order_trades"]

log = structlog.get_logger(__name__)


async def find_order(
    exchange: Any, query_param: str | None, order_id: str, symbol: str
) -> dict[str, Any] | None:
    """Return the venue's order with client order id ``order_id``, None if it has none.

    With ``query_param`` the venue is asked for the order by client order id (Binance:
    ``origClientOrderId``); without, its open and closed orders are looked through.
    A query that itself fails counts as "not found yet".
    """
    try:
        if query_param is not None:
            order: dict[str, Any] = await exchange.fetch_order(
                None, symbol, {query_param: order_id}
            )
            return order
        candidates = list(await exchange.fetch_open_orders(symbol))
        if exchange.has.get("fetchClosedOrders"):
            candidates += await exchange.fetch_closed_orders(symbol)
    except ccxt.OrderNotFound:
        return None
    except ccxt.BaseError as e:
        log.warning("order query failed", order_id=order_id, error=str(e))
        return None
    return next((o for o in candidates if o.get("clientOrderId") == order_id), None)


async def order_trades(
    exchange: Any, order_id: str, venue_order_id: str, symbol: str | None
) -> list[dict[str, Any]]:
    """Return the fills of one order (``fetch_order_trades``, else filtered ``fetch_my_trades``).

    A query that fails is logged and answers no fills.
    """
    try:
        if exchange.has.get("fetchOrderTrades"):
            trades: list[dict[str, Any]] = await exchange.fetch_order_trades(venue_order_id, symbol)
            return trades
        return [
            t
            for t in await exchange.fetch_my_trades(symbol)
            if str(t.get("order")) == venue_order_id
        ]
    except ccxt.BaseError as e:
        log.warning("could not fetch an order's fills", order_id=order_id, error=str(e))
        return []
