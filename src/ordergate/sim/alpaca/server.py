"""The simulated Alpaca trading API served on loopback: uvicorn run from asyncio.

:class:`AlpacaSimServer` builds the pure broker, the ASGI application and a uvicorn server
on ``127.0.0.1`` (port 0 picks a free port), and optionally a task that steps the simulated
market. ``await start()`` returns once the port accepts connections; ``await stop()`` ends
stream connections, answers held back by a delay fault, the market task and the server.
The server never installs signal handlers, so it can run inside another server's process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

import uvicorn

from ordergate.clock import Clock, LiveClock
from ordergate.domain.instrument import Instrument
from ordergate.domain.values import Side
from ordergate.sim.alpaca.app import AlpacaSim, create_app
from ordergate.sim.alpaca.auth import Credentials
from ordergate.sim.alpaca.broker import AlpacaBroker
from ordergate.sim.alpaca.faults import Faults, InjectedFault
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.sim.market import MarketConfig

__all__ = ["DEFAULT_KEY_ID", "DEFAULT_SECRET_KEY", "AlpacaSimServer"]

DEFAULT_KEY_ID = "SIMKEY"
DEFAULT_SECRET_KEY = "SIMSECRET"  # noqa: S105 - the simulator's published demo secret
_NS_PER_S = 1_000_000_000


def _not_injected(record: logging.LogRecord) -> bool:
    # uvicorn logs an exception that ends a connection; an injected cut is not one to log.
    return not (record.exc_info and isinstance(record.exc_info[1], InjectedFault))


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Signals belong to whoever owns the process, not to an embedded simulator.
        yield


async def _serve(server: _Server) -> None:
    try:
        await server.serve()
    except SystemExit:
        return  # uvicorn exits when it cannot bind; start() sees the task end and says so


class AlpacaSimServer:
    """An Alpaca-compatible trading API (REST and trade updates stream) on loopback.

    Parameters
    ----------
    clock
        Time of every broker call (default: the wall clock).
    port
        TCP port on 127.0.0.1; 0 picks a free one (read :attr:`port` after start).
    keys
        Secret by API key id (default: ``SIMKEY`` / ``SIMSECRET``).
    instruments, start_prices
        What the broker trades (equities only) and where each market starts (default: the
        demo universe's AAPL, MSFT and SPY).
    cash
        Cash the account starts with.
    seed
        Seed of the simulated market.
    step_interval_ns
        Clock time between market steps once started; 0 steps only on
        :meth:`step_market`.
    market_config
        Behaviour of the simulated market.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        port: int = 0,
        keys: Mapping[str, str] | None = None,
        instruments: Iterable[Instrument] | None = None,
        start_prices: Mapping[str, Decimal] | None = None,
        cash: Decimal = Decimal(100_000),
        seed: int = 0,
        step_interval_ns: int = 0,
        market_config: MarketConfig | None = None,
    ) -> None:
        self.clock: Clock = clock or LiveClock()
        self.broker = AlpacaBroker(
            default_instruments() if instruments is None else instruments,
            default_start_prices() if start_prices is None else start_prices,
            cash=cash,
            seed=seed,
            market_config=market_config,
        )
        self.faults = Faults()
        credentials = Credentials(keys or {DEFAULT_KEY_ID: DEFAULT_SECRET_KEY})
        self.sim = AlpacaSim(self.broker, self.clock, credentials, self.faults)
        self.step_interval_ns = step_interval_ns
        self._requested_port = port
        self._port: int | None = None
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._market: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """Return the port the server listens on.

        Raises
        ------
        RuntimeError
            If the server has not started.
        """
        if self._port is None:
            raise RuntimeError("the Alpaca simulator has not started")
        return self._port

    @property
    def url(self) -> str:
        """Return the REST base URL (what alpaca-py's ``url_override`` takes)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        """Return the trade updates stream URL."""
        return f"ws://127.0.0.1:{self.port}/stream"

    async def start(self) -> None:
        """Start serving; return once the port accepts connections.

        Raises
        ------
        RuntimeError
            If the server could not start (the port is taken).
        """
        config = uvicorn.Config(
            create_app(self.sim),
            host="127.0.0.1",
            port=self._requested_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="websockets-sansio",
        )
        self._server = _Server(config)
        error_log = logging.getLogger("uvicorn.error")
        if _not_injected not in error_log.filters:
            error_log.addFilter(_not_injected)
        self._serving = asyncio.create_task(_serve(self._server), name="alpaca-sim")
        while not self._server.started:
            if self._serving.done():
                self._serving = self._server = None
                raise RuntimeError("the Alpaca simulator could not start")
            await asyncio.sleep(0.01)
        self._port = self._server.servers[0].sockets[0].getsockname()[1]
        if self.step_interval_ns > 0:
            self.step_market()  # quote at once, so the first marketable order finds liquidity
            self._market = asyncio.create_task(self._run_market(), name="alpaca-sim-market")

    async def stop(self) -> None:
        """Stop the market, end every stream connection and held answer, stop serving."""
        if self._market is not None:
            self._market.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._market
            self._market = None
        self.sim.stopping.set()
        self.sim.hub.close()
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
        self._server = self._serving = None

    def step_market(self) -> None:
        """Step the simulated market once and stream the fills it caused."""
        self.broker.step_market(self.clock.now_ns())
        self.sim.publish()

    def trade_against(self, symbol: str, side: Side, qty: Decimal, price: Decimal | None) -> None:
        """Send another participant's IOC order (market when ``price`` is None); stream fills."""
        self.broker.external_order(symbol, side, qty, price, self.clock.now_ns())
        self.sim.publish()

    def drop_stream_connections(self) -> None:
        """Close every trade updates connection from the server side (a fault for tests)."""
        self.sim.hub.disconnect_all()

    def push_unknown_fill(self) -> None:
        """Stream a ``fill`` of an order the broker never had (a fault for tests)."""
        self.sim.hub.publish([self.broker.unknown_fill_event(self.clock.now_ns())])

    async def _run_market(self) -> None:
        interval = self.step_interval_ns / _NS_PER_S
        while True:
            await asyncio.sleep(interval)
            self.step_market()
