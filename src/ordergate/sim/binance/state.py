"""Everything one simulated Binance holds, shared by its REST and WebSocket routes.

:class:`BinanceSim` is the imperative shell around the pure :class:`SpotExchange`: it reads
the clock, runs an exchange call, and publishes what the call caused (user data events,
trades, book changes) to the streams before the HTTP answer goes out, so a client that has
its answer can already find the events on its stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TypeVar

from ordergate.clock import Clock, LiveClock
from ordergate.sim.binance.exchange import SpotExchange
from ordergate.sim.binance.faults import Faults
from ordergate.sim.binance.orders import SpotSymbol, default_symbols
from ordergate.sim.binance.ratelimit import WeightLimiter
from ordergate.sim.binance.schemas import ExecutionReportEvent
from ordergate.sim.binance.streams import MarketStreams, UserStreams
from ordergate.sim.market import MarketConfig

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "BinanceSim"]

T = TypeVar("T")

DEFAULT_API_KEY = "simkey"
DEFAULT_API_SECRET = "simsecret"  # noqa: S105 - the simulator's published test secret


class BinanceSim:
    """The simulated exchange's state and streams.

    Parameters
    ----------
    symbols
        Pairs listed; None for BTCUSDT and ETHUSDT.
    credentials
        Secret by API key; None for ``{"simkey": "simsecret"}``.
    balances
        Starting balances; None for the defaults of :class:`SpotExchange`.
    clock
        Server time (signed requests are checked against it).
    seed
        Seed of the simulated market.
    weight_limit
        Request weight per minute before 429.
    market_config
        Behaviour of the simulated market.
    """

    def __init__(
        self,
        symbols: Iterable[SpotSymbol] | None = None,
        *,
        credentials: Mapping[str, str] | None = None,
        balances: Mapping[str, Decimal] | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        weight_limit: int = 6_000,
        market_config: MarketConfig | None = None,
    ) -> None:
        self.clock = clock or LiveClock()
        self.exchange = SpotExchange(
            default_symbols() if symbols is None else symbols,
            balances,
            seed=seed,
            market_config=market_config,
        )
        self.credentials = dict(credentials or {DEFAULT_API_KEY: DEFAULT_API_SECRET})
        self.limiter = WeightLimiter(weight_limit)
        self.faults = Faults()
        self.user_streams = UserStreams()
        self.market_streams = MarketStreams(self.exchange)
        self.closing = asyncio.Event()  # set when the server stops; ends held-back answers

    def now_ns(self) -> int:
        """Return the server time in nanoseconds."""
        return self.clock.now_ns()

    def now_ms(self) -> int:
        """Return the server time in milliseconds."""
        return self.clock.now_ns() // 1_000_000

    def run(self, call: Callable[[int], tuple[T, list[ExecutionReportEvent]]]) -> T:
        """Run an exchange call at the current time; publish its events; return its answer."""
        now = self.now_ns()
        answer, events = call(now)
        self.user_streams.publish(events)
        self.market_streams.publish(self.exchange.engine.take_trades(), now)
        return answer

    def step_market(self) -> None:
        """Step the simulated market once and publish what it caused."""
        self.run(lambda now: (None, self.exchange.step_market(now)))

    def inject_unknown_fill(self, client_order_id: str, symbol: str = "BTCUSDT") -> None:
        """Send a TRADE event for an order the exchange never had (a fault for tests)."""
        event = self.exchange.unknown_fill_event(client_order_id, symbol, self.now_ns())
        self.user_streams.publish([event])
