"""The simulated Binance as a real HTTP + WebSocket server on loopback (uvicorn).

``await server.start()`` binds 127.0.0.1 (port 0 picks a free port; see :attr:`port` and
:attr:`url`), serves until ``await server.stop()``. While it runs, a background task steps
the simulated market every ``step_interval_s`` (0: only when :meth:`step_market` is called).

The HTTP protocol is uvicorn's httptools protocol with one addition: each request's scope
carries the connection's transport (``scope["extensions"]["ordergate.transport"]``), which is
how the drop-the-connection faults abort a connection mid-request as a real network would.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ordergate.sim.binance.routes import TRANSPORT_EXTENSION, rest_routes
from ordergate.sim.binance.state import BinanceSim
from ordergate.sim.binance.wsroutes import websocket_routes

__all__ = ["BinanceSimServer", "create_app"]


def create_app(sim: BinanceSim) -> Starlette:
    """Return the ASGI app of the simulated Binance spot API around ``sim``."""
    return Starlette(routes=[*rest_routes(sim), *websocket_routes(sim)])


class _TransportExposingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, exposing the transport to the app (for faults)."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions: dict[str, Any] = {TRANSPORT_EXTENSION: self.transport}
        self.scope["extensions"] = extensions


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handlers: the host process owns its signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class BinanceSimServer:
    """A simulated Binance spot exchange served on 127.0.0.1.

    Parameters
    ----------
    sim
        The exchange state; None for a default :class:`BinanceSim` (BTCUSDT, ETHUSDT,
        API key ``simkey`` / secret ``simsecret``).
    port
        Port to bind (0: a free one).
    step_interval_s
        Seconds between market steps while running (0: never by itself).
    """

    def __init__(
        self, sim: BinanceSim | None = None, *, port: int = 0, step_interval_s: float = 0.0
    ) -> None:
        self.sim = sim or BinanceSim()
        self.step_interval_s = step_interval_s
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._stepping: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """Return the bound port (after :meth:`start`)."""
        if self._socket is None:
            raise RuntimeError("the server is not started")
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """Return the REST base URL, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """Return the WebSocket base URL, ``ws://127.0.0.1:<port>``."""
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Bind, start serving, and return once connections are accepted."""
        if self._server is not None:
            return
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says
        # TCP, and without it every answer waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._requested_port))
        self._socket = sock
        config = uvicorn.Config(
            create_app(self.sim),
            http=_TransportExposingProtocol,
            ws="websockets-sansio",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = _Server(config)
        self._server = server
        self.sim.closing.clear()
        self._serving = asyncio.create_task(server.serve(sockets=[sock]), name="binance-sim")
        while not server.started:
            if self._serving.done():
                await self._serving  # raises what stopped it
            await asyncio.sleep(0.005)
        self.sim.step_market()  # quote at once, so the first marketable order finds liquidity
        if self.step_interval_s > 0:
            self._stepping = asyncio.create_task(self._step_forever(), name="binance-sim-market")

    async def stop(self) -> None:
        """Stop the market, close every connection and stop serving."""
        if self._server is None:
            return
        if self._stepping is not None:
            self._stepping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stepping
            self._stepping = None
        self.sim.closing.set()
        self._server.should_exit = True
        if self._serving is not None:
            await self._serving
        self._server = None
        self._serving = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def step_market(self) -> None:
        """Step the simulated market once."""
        self.sim.step_market()

    def inject_unknown_fill(self, client_order_id: str, symbol: str = "BTCUSDT") -> None:
        """Send a fill for an order the exchange never had on the user data stream."""
        self.sim.inject_unknown_fill(client_order_id, symbol)

    async def _step_forever(self) -> None:
        while True:
            await asyncio.sleep(self.step_interval_s)
            self.sim.step_market()
