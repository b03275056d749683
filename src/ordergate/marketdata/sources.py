"""Where raw market data comes from: a venue's websocket streams and its REST snapshots.

The pipeline consumes an async iterator of raw messages per feed and calls a fetcher for
book snapshots; this module makes both for a Binance-style exchange (the real one or the
simulator: only the URLs differ). The stream reconnects by itself with exponential backoff
and jitter and never ends until it is closed; a delta lost while it was down shows up as a
sequence gap, which the book's rule turns into a resync from a fresh snapshot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import httpx
import structlog
import websockets

from ordergate.clock import Clock
from ordergate.fix.transport.backoff import Backoff
from ordergate.marketdata.normalize.binance import BinanceNormalizer
from ordergate.marketdata.streams import NeedsSnapshot
from ordergate.marketdata.types import BookSnapshot

__all__ = ["BinanceSource"]

log = structlog.get_logger("ordergate.marketdata")


class BinanceSource:
    """The combined depth, bookTicker and trade streams of some symbols, and their snapshots.

    Parameters
    ----------
    ws_url
        The websocket base (``wss://stream.binance.com:9443`` or the simulator's ``ws_url``).
    rest_url
        The REST base (``https://api.binance.com`` or the simulator's ``url``).
    symbols
        Binance symbol (``"BTCUSDT"``) -> ordergate symbol (``"BTC-USD"``).
    clock
        Where the snapshots' ``ts_init`` comes from.
    venue
        The venue name stamped on every item.
    depth_limit
        Levels asked of ``GET /api/v3/depth``.
    """

    def __init__(
        self,
        ws_url: str,
        rest_url: str,
        symbols: Mapping[str, str],
        *,
        clock: Clock,
        venue: str = "BINANCE",
        depth_limit: int = 1000,
        backoff: Backoff | None = None,
    ) -> None:
        self.venue = venue
        self.symbols = dict(symbols)
        self.normalizer = BinanceNormalizer(self.symbols, venue=venue)
        self.clock = clock
        self.depth_limit = depth_limit
        self.backoff = backoff or Backoff(0.2, 10.0)
        streams = "/".join(
            f"{s.lower()}@{kind}" for s in self.symbols for kind in ("depth", "bookTicker", "trade")
        )
        self.stream_url = f"{ws_url.rstrip('/')}/stream?streams={streams}"
        self._http = httpx.AsyncClient(base_url=rest_url, timeout=10.0)
        self._binance_symbol = {ours: theirs for theirs, ours in self.symbols.items()}
        self.connects = 0

    async def messages(self) -> AsyncIterator[bytes]:
        """Yield every raw message of the combined stream, reconnecting when it drops."""
        attempt = 0
        while True:
            try:
                async with websockets.connect(self.stream_url, max_size=None) as stream:
                    self.connects += 1
                    attempt = 0
                    async for message in stream:
                        yield message if isinstance(message, bytes) else message.encode()
            except (OSError, websockets.WebSocketException) as e:
                log.warning("market data stream lost", venue=self.venue, error=str(e))
            attempt += 1
            await asyncio.sleep(self.backoff.delay(attempt))

    async def snapshot(self, request: NeedsSnapshot) -> BookSnapshot:
        """Fetch the book of ``request.symbol`` over REST (``GET /api/v3/depth``).

        Raises
        ------
        httpx.HTTPError
            When the venue does not answer with a snapshot (the pipeline retries).
        """
        response = await self._http.get(
            "/api/v3/depth",
            params={"symbol": self._binance_symbol[request.symbol], "limit": self.depth_limit},
        )
        response.raise_for_status()
        return self.normalizer.depth_snapshot(response.content, request.symbol, self.clock.now_ns())

    async def aclose(self) -> None:
        """Close the REST client (the stream ends with the task that reads it)."""
        await self._http.aclose()
