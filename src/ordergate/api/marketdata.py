"""Market data routes: every stream's health, and the live books the gateway keeps.

``{venue}`` is the feed's venue name and ``{symbol}`` ordergate's symbol. Prices and sizes
are decimal strings; times integer nanoseconds since the epoch.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter
from fastapi.responses import Response

from ordergate.api.errors import ApiError
from ordergate.api.orders import json_response
from ordergate.marketdata.health import StreamHealth
from ordergate.marketdata.pipeline import MarketDataPipeline

__all__ = ["marketdata_router"]

_MAX_DEPTH = 1000


def _health(health: StreamHealth) -> dict[str, Any]:
    return {
        "stream": health.stream,
        "state": health.state.value,
        "last_message_ns": health.last_message_ns,
        "counters": msgspec.structs.asdict(health.counters),
    }


def marketdata_router(pipeline: MarketDataPipeline) -> APIRouter:
    """Return the ``/api/marketdata`` routes over ``pipeline``."""
    router = APIRouter(tags=["market data"])

    @router.get("/api/marketdata/streams")
    async def streams() -> Response:
        """Return the health of every book, ticker and trade stream: state and counters."""
        items = [_health(h) for _, h in sorted(pipeline.health().items())]
        return json_response({"items": items, "next_cursor": None})

    @router.get("/api/marketdata/books/{venue}/{symbol}")
    async def book(venue: str, symbol: str, depth: int = 10) -> Response:
        """Return the top ``depth`` levels of a live book, its best prices and its state."""
        if not 1 <= depth <= _MAX_DEPTH:
            raise ApiError(422, "INVALID_DEPTH", f"depth must be 1 to {_MAX_DEPTH}", "depth")
        try:
            live = pipeline.book(venue, symbol)
        except KeyError:
            raise ApiError(
                404, "BOOK_NOT_FOUND", f"no book of {symbol!r} at {venue!r}", "symbol"
            ) from None
        health = pipeline.health().get(f"{venue}:BOOK:{symbol}")
        best_bid, best_ask = live.best_bid, live.best_ask
        return json_response(
            {
                "venue": venue,
                "symbol": symbol,
                "state": health.state.value if health is not None else None,
                "best_bid": [str(p) for p in best_bid] if best_bid else None,
                "best_ask": [str(p) for p in best_ask] if best_ask else None,
                "crossed": live.is_crossed(),
                "bids": [[str(p), str(s)] for p, s in live.bids(depth)],
                "asks": [[str(p), str(s)] for p, s in live.asks(depth)],
            }
        )

    return router
