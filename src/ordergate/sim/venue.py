"""The simulated venue as a :class:`~ordergate.venues.base.VenueAdapter`: the asyncio shell.

Everything that decides anything lives in the pure core (:class:`MatchingEngine`,
:class:`SimulatedMarket`); this module only moves requests in and reports out:

- ``submit``/``cancel``/``replace`` reach the engine after ``latency_ns`` through one FIFO
  delay line, so requests keep their order. With zero latency they are processed in the
  calling task, and their reports are on the queue before the call returns.
- A background task steps the market every ``step_interval_ns`` of clock time (sleeping
  with ``asyncio.sleep``), and publishes the client reports a step causes.
- Reports go to one ``asyncio.Queue`` read by :meth:`SimVenue.execution_reports`; a ``None``
  sentinel put there by :meth:`SimVenue.disconnect` ends the iterator after the reports
  already queued. Market data goes to one queue per :meth:`SimVenue.market_data` reader and is
  only built while someone reads it.

Invariants: reports are published in the order the engine produced them; after
``disconnect`` no request reaches the engine: requests still in the delay line and requests
sent while disconnected are refused with a REJECTED / CANCEL_REJECTED / REPLACE_REJECTED
report instead, so every request gets an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from decimal import Decimal

from ordergate.clock import Clock
from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    Quote,
    TradeTick,
    VenueOrder,
)
from ordergate.domain.values import AssetClass, OrderType, TimeInForce
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.sim.market import MarketConfig, SimulatedMarket
from ordergate.venues.base import ReplaceRequest, VenueAdapter, VenueCapabilities

__all__ = ["SimVenue"]

_NS_PER_S = 1_000_000_000
_Request = Callable[[int], list[ExecutionReport]]


class SimVenue(VenueAdapter):
    """A simulated exchange that orders really fill against.

    Parameters
    ----------
    instruments
        What the venue trades; None for :func:`default_instruments`.
    clock
        Source of the current time for every engine call.
    start_prices
        Start mid price by symbol; the simulated market makes a market in every instrument
        that has one. None: the default start prices when ``instruments`` is None, else none
        (clients then trade only with each other).
    name
        Venue name on every report.
    seed
        Seed of the simulated market.
    latency_ns
        Delay between a request and its processing (0: processed before the call returns).
    maker_fee_rate, taker_fee_rate
        Fees as a fraction of notional.
    step_interval_ns
        Clock time between market steps once connected (0: the market only moves when
        :meth:`step_market` is called).
    market_config
        Behaviour of the simulated market.
    """

    def __init__(
        self,
        instruments: Iterable[Instrument] | None = None,
        *,
        clock: Clock,
        start_prices: Mapping[str, Decimal] | None = None,
        name: str = "SIM",
        seed: int = 0,
        latency_ns: int = 0,
        maker_fee_rate: Decimal = Decimal("0.0001"),
        taker_fee_rate: Decimal = Decimal("0.0002"),
        step_interval_ns: int = 100_000_000,
        market_config: MarketConfig | None = None,
    ) -> None:
        if instruments is None:
            instruments = default_instruments()
            start_prices = default_start_prices() if start_prices is None else start_prices
        universe = list(instruments)
        prices = start_prices or {}
        self.name = name
        self.capabilities = VenueCapabilities(
            order_types=frozenset(OrderType),
            time_in_force=frozenset(TimeInForce),
            asset_classes=frozenset({AssetClass.EQUITY, AssetClass.CRYPTO_SPOT}),
        )
        self.clock = clock
        self.latency_ns = latency_ns
        self.step_interval_ns = step_interval_ns
        self.engine = MatchingEngine(
            universe, venue=name, maker_fee_rate=maker_fee_rate, taker_fee_rate=taker_fee_rate
        )
        self.market = SimulatedMarket(
            self.engine,
            [i for i in universe if i.symbol in prices],
            prices,
            seed=seed,
            config=market_config,
        )
        self._symbols = [i.symbol for i in universe]
        self._reports: asyncio.Queue[ExecutionReport | None] = asyncio.Queue()
        self._known = frozenset(self._symbols)
        self._delay_line: asyncio.Queue[tuple[int, str, str, ExecKind, _Request]] = asyncio.Queue()
        self._subscribers: list[asyncio.Queue[Quote | TradeTick | None]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._connected = False

    @property
    def connected(self) -> bool:
        """Return True between :meth:`connect` and :meth:`disconnect`."""
        return self._connected

    async def connect(self) -> None:
        """Start the market and the delay line; return at once (nothing to dial)."""
        if self._connected:
            return
        self._connected = True
        if self.step_interval_ns > 0:
            self.step_market()  # quote at once, so the first marketable order finds liquidity
            self._tasks.append(asyncio.create_task(self._run_market(), name=f"{self.name}-market"))
        if self.latency_ns > 0:
            self._tasks.append(
                asyncio.create_task(self._run_delay_line(), name=f"{self.name}-delay")
            )

    async def disconnect(self) -> None:
        """Stop the background tasks and end the report and market data streams."""
        if not self._connected:
            return
        self._connected = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        # Requests still on the wire never reach the engine; say so rather than lose them.
        while not self._delay_line.empty():
            _, order_id, _, refusal, _ = self._delay_line.get_nowait()
            self._refuse(order_id, refusal, "venue disconnected before the request arrived")
        self._reports.put_nowait(None)
        for subscriber in self._subscribers:
            subscriber.put_nowait(None)

    async def submit(self, order: VenueOrder) -> None:
        """Send a new order (NewOrderSingle(D)); its reports arrive on the report stream."""
        self._request(
            order.order_id,
            order.symbol,
            ExecKind.REJECTED,
            lambda now: self.engine.submit(order, now),
        )

    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        """Ask to cancel an order (OrderCancelRequest(F)); the venue order id is not needed."""
        self._request(
            order_id,
            symbol,
            ExecKind.CANCEL_REJECTED,
            lambda now: self.engine.cancel(order_id, now, symbol=symbol),
        )

    async def replace(self, request: ReplaceRequest) -> None:
        """Ask to change an order's terms (OrderCancelReplaceRequest(G))."""
        self._request(
            request.order_id,
            request.symbol,
            ExecKind.REPLACE_REJECTED,
            lambda now: self.engine.replace(request, now),
        )

    async def open_orders(self) -> list[OrderStatusReport]:
        """Return every client order the venue holds open."""
        return self.engine.open_orders()

    async def fills_since(self, ts_ns: int) -> list[FillReport]:
        """Return every client fill at or after ``ts_ns``."""
        return self.engine.fills_since(ts_ns)

    async def execution_reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield execution reports in the order the engine produced them until disconnect."""
        while (report := await self._reports.get()) is not None:
            yield report

    async def market_data(self) -> AsyncIterator[Quote | TradeTick]:
        """Yield the current quotes, then every trade and quote change until disconnect."""
        queue: asyncio.Queue[Quote | TradeTick | None] = asyncio.Queue()
        now = self.clock.now_ns()
        for symbol in self._symbols:
            queue.put_nowait(self.engine.top_of_book(symbol, now))
        self._subscribers.append(queue)
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            self._subscribers.remove(queue)

    def step_market(self) -> None:
        """Step the simulated market once at the clock's current time and publish the result."""
        now = self.clock.now_ns()
        self._publish(self.market.step(now), now, self._symbols)

    def _request(self, order_id: str, symbol: str, refusal: ExecKind, request: _Request) -> None:
        if not self._connected:
            self._refuse(order_id, refusal, "venue not connected")
        elif self.latency_ns == 0:
            now = self.clock.now_ns()
            self._publish(request(now), now, [symbol])
        else:
            due = self.clock.now_ns() + self.latency_ns
            self._delay_line.put_nowait((due, order_id, symbol, refusal, request))

    def _refuse(self, order_id: str, refusal: ExecKind, reason: str) -> None:
        report = ExecutionReport(
            kind=refusal,
            venue=self.name,
            order_id=order_id,
            reason=reason,
            ts_event=self.clock.now_ns(),
        )
        self._reports.put_nowait(report)

    def _publish(self, reports: list[ExecutionReport], now: int, symbols: list[str]) -> None:
        put = self._reports.put_nowait
        for report in reports:
            put(report)
        trades = self.engine.take_trades()  # always drained, so it cannot grow unread
        if not self._subscribers:
            return
        # Unknown symbols (a rejected order's) have no book and so no quote.
        items: list[Quote | TradeTick] = [*trades]
        items += [self.engine.top_of_book(s, now) for s in symbols if s in self._known]
        for subscriber in self._subscribers:
            for item in items:
                subscriber.put_nowait(item)

    async def _run_market(self) -> None:
        interval = self.step_interval_ns / _NS_PER_S
        while True:
            await asyncio.sleep(interval)
            self.step_market()

    async def _run_delay_line(self) -> None:
        # One FIFO line with a constant delay keeps requests in the order they were sent.
        while True:
            due, _, symbol, _, request = await self._delay_line.get()
            wait = due - self.clock.now_ns()
            if wait > 0:
                await asyncio.sleep(wait / _NS_PER_S)
            now = self.clock.now_ns()
            self._publish(request(now), now, [symbol])
