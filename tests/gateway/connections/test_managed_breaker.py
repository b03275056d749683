"""The broker's circuit breaker in the managed venue, over real SimVenue connections.

Failures come from the probe (the injectable live check), the way a venue that stops
answering its health requests would produce them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ordergate.clock import TestClock
from ordergate.domain.reports import ExecKind
from ordergate.gateway.connections import (
    BreakerConfig,
    BreakerState,
    ConnectionState,
    ManagedVenue,
)
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.sim.venue import SimVenue
from ordergate.venues.base import VenueAdapter

from .helpers import AAPL, FAST, SECOND, Collector, RefusingVenue, order, sim, until

BREAKER = BreakerConfig(failure_threshold=3, window_ns=10 * SECOND, cooldown_ns=5 * SECOND)


class FlakyProbe:
    """An open-orders round trip that fails with ``failure`` while one is set."""

    def __init__(self) -> None:
        self.failure: VenueError | None = None
        self.calls = 0

    async def __call__(self, adapter: VenueAdapter) -> object:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return await adapter.open_orders()


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def probe() -> FlakyProbe:
    return FlakyProbe()


@pytest.fixture
def venue(clock: TestClock) -> SimVenue:
    return sim("SIM", clock)


@pytest.fixture
async def managed(
    clock: TestClock, venue: SimVenue, probe: FlakyProbe
) -> AsyncIterator[ManagedVenue]:
    managed = ManagedVenue("SIM", [venue], clock=clock, breaker=BREAKER, settings=FAST, probe=probe)
    await managed.connect()
    yield managed
    await managed.disconnect()


@pytest.fixture
async def reports(managed: ManagedVenue) -> AsyncIterator[Collector]:
    collector = Collector(managed)
    yield collector
    await collector.close()


async def test_repeated_failures_open_the_breaker_and_orders_are_refused_fast(
    managed: ManagedVenue, venue: SimVenue, probe: FlakyProbe, reports: Collector
) -> None:
    probe.failure = VenueError(VenueErrorKind.RETRYABLE, "SIM", "503", "maintenance")
    await until(lambda: managed.breaker.state is BreakerState.OPEN)
    probe.failure = None

    await managed.submit(order("O-1"))

    (refusal,) = await reports.wait_for("O-1", ExecKind.REJECTED)
    assert refusal.reason is not None
    assert refusal.reason.startswith("circuit breaker open for SIM (RETRYABLE: SIM-1: ")
    assert venue.engine.open_orders() == []  # it never reached the venue


async def test_breaker_half_opens_after_the_cooldown_and_closes_on_a_successful_trial(
    managed: ManagedVenue,
    venue: SimVenue,
    probe: FlakyProbe,
    reports: Collector,
    clock: TestClock,
) -> None:
    probe.failure = VenueError(VenueErrorKind.UNKNOWN_OUTCOME, "SIM", "504", "timeout")
    await until(lambda: managed.breaker.state is BreakerState.OPEN)
    probe.failure = None
    await until(lambda: managed.connections[0].state is ConnectionState.CONNECTED)
    clock.advance(5 * SECOND)

    await managed.submit(order("O-trial"))  # the one trial of the half-open breaker

    await reports.wait_for("O-trial", ExecKind.ACCEPTED)
    assert managed.breaker.state is BreakerState.CLOSED
    await managed.submit(order("O-next"))
    await reports.wait_for("O-next", ExecKind.ACCEPTED)


async def test_business_rejects_never_open_the_breaker(
    managed: ManagedVenue, reports: Collector
) -> None:
    for n in range(10):
        await managed.submit(order(f"O-{n}", symbol="NOPE"))
    rejects = [r for n in range(10) for r in await reports.wait_for(f"O-{n}", ExecKind.REJECTED)]

    assert len(rejects) == 10
    assert managed.breaker.state is BreakerState.CLOSED
    assert managed.breaker.trips == 0


async def test_auth_failure_stops_the_connection_until_connect_is_called_again(
    managed: ManagedVenue, probe: FlakyProbe, reports: Collector
) -> None:
    probe.failure = VenueError(VenueErrorKind.AUTH, "SIM", "401", "key revoked")
    conn = managed.connections[0]
    await until(lambda: conn.state is ConnectionState.ERROR)
    calls = probe.calls
    assert managed.breaker.state is BreakerState.OPEN  # credentials do not heal: at once
    assert conn.health.last_error is not None
    assert conn.health.last_error.kind is VenueErrorKind.AUTH

    await managed.submit(order("O-1"))
    await reports.wait_for("O-1", ExecKind.REJECTED)
    assert probe.calls == calls  # not redialled on its own

    probe.failure = None
    managed.breaker.reset()
    await managed.connect()
    await until(lambda: conn.state is ConnectionState.CONNECTED)
    await managed.submit(order("O-2"))
    await reports.wait_for("O-2", ExecKind.ACCEPTED)


async def test_refusals_reported_with_a_venue_error_kind_open_the_breaker(
    clock: TestClock, probe: FlakyProbe
) -> None:
    venue = RefusingVenue([AAPL], clock=clock, name="SIM", step_interval_ns=0)
    managed = ManagedVenue("SIM", [venue], clock=clock, breaker=BREAKER, settings=FAST, probe=probe)
    await managed.connect()
    reports = Collector(managed)
    try:
        for n in range(3):
            await managed.submit(order(f"e{n}"))
            await reports.wait_for(f"e{n}", ExecKind.REJECTED)

        assert managed.breaker.state is BreakerState.OPEN
        assert managed.connections[0].health.last_error is not None
        assert managed.connections[0].health.last_error.kind is VenueErrorKind.RETRYABLE
    finally:
        await reports.close()
        await managed.disconnect()


async def test_business_refusal_reports_never_open_the_breaker(
    clock: TestClock, probe: FlakyProbe
) -> None:
    venue = RefusingVenue([AAPL], clock=clock, name="SIM", step_interval_ns=0)
    venue.error_kind = None  # the venue's own decision (say, insufficient funds)
    managed = ManagedVenue("SIM", [venue], clock=clock, breaker=BREAKER, settings=FAST, probe=probe)
    await managed.connect()
    reports = Collector(managed)
    try:
        for n in range(5):
            await managed.submit(order(f"r{n}"))
            await reports.wait_for(f"r{n}", ExecKind.REJECTED)

        assert managed.breaker.state is BreakerState.CLOSED
    finally:
        await reports.close()
        await managed.disconnect()
