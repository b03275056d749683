"""Builders shared by the connection-management tests: real SimVenues, a report collector."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from ordergate.clock import Clock
from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import ExecKind, ExecutionReport, VenueErrorKind, VenueOrder
from ordergate.domain.values import AssetClass, OrderType, Side, TimeInForce
from ordergate.gateway.connections import ConnectionSettings, ManagedVenue
from ordergate.sim.venue import SimVenue

SECOND = 1_000_000_000
AAPL = Instrument(
    symbol="AAPL",
    asset_class=AssetClass.EQUITY,
    quote_currency="USD",
    tick_size=Decimal("0.01"),
    lot_size=Decimal(1),
    min_quantity=Decimal(1),
)
FAST = ConnectionSettings(
    connect_timeout=2.0,
    probe_interval=0.01,
    probe_timeout=1.0,
    backoff_initial=0.01,
    backoff_maximum=0.05,
)


def sim(name: str, clock: Clock) -> SimVenue:
    """Return a simulated venue without a market: orders rest until a counter order comes."""
    return SimVenue([AAPL], clock=clock, name=name, step_interval_ns=0)


class RefusingVenue(SimVenue):
    """A venue whose adapter answers every new order with a refusal report.

    That is what the REST adapters do with a venue error (the venue contract: refusals are
    reports, never exceptions); ``error_kind`` is set when the refusal came from one, None
    for the venue's own business decision.
    """

    error_kind: VenueErrorKind | None = VenueErrorKind.RETRYABLE
    reason = "503 service unavailable"

    async def submit(self, order: VenueOrder) -> None:
        self._reports.put_nowait(
            ExecutionReport(
                kind=ExecKind.REJECTED,
                venue=self.name,
                order_id=order.order_id,
                reason=self.reason,
                error_kind=self.error_kind,
            )
        )


def order(
    order_id: str,
    side: Side = Side.BUY,
    quantity: str = "10",
    price: str = "100",
    *,
    symbol: str = "AAPL",
    account: str = "ACC-1",
) -> VenueOrder:
    return VenueOrder(
        order_id=order_id,
        account=account,
        symbol=symbol,
        side=side,
        order_type=OrderType.LIMIT,
        quantity=Decimal(quantity),
        price=Decimal(price),
        time_in_force=TimeInForce.GTC,
    )


class Collector:
    """Reads a managed venue's merged report stream into a list, in a task."""

    def __init__(self, venue: ManagedVenue) -> None:
        self.reports: list[ExecutionReport] = []
        self.ended = asyncio.Event()
        self._task = asyncio.create_task(self._read(venue))

    async def _read(self, venue: ManagedVenue) -> None:
        async for report in venue.execution_reports():
            self.reports.append(report)
        self.ended.set()

    def of(self, order_id: str, kind: ExecKind | None = None) -> list[ExecutionReport]:
        return [
            r for r in self.reports if r.order_id == order_id and (kind is None or r.kind is kind)
        ]

    async def wait_for(
        self, order_id: str, kind: ExecKind, count: int = 1
    ) -> list[ExecutionReport]:
        await until(lambda: len(self.of(order_id, kind)) >= count)
        return self.of(order_id, kind)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (yielding to the loop) until ``check()`` holds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.005)
