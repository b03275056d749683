"""Adapter calls that raise: failover, refusals, the breaker — over SimVenues with faults.

:class:`FaultySim` is a real SimVenue whose next requests raise the errors queued on it,
the way a REST adapter's call would raise on a 503, a 429 or a timeout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.clock import TestClock
from ordergate.domain.reports import ExecKind, VenueOrder
from ordergate.gateway.connections import (
    BreakerConfig,
    BreakerState,
    ConnectionState,
    ManagedVenue,
)
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.sim.venue import SimVenue
from ordergate.venues.base import ReplaceRequest

from .helpers import AAPL, FAST, SECOND, Collector, order, until

K = VenueErrorKind


class FaultySim(SimVenue):
    """A SimVenue whose next requests raise the queued errors (fault injection)."""

    def __init__(self, clock: TestClock) -> None:
        super().__init__([AAPL], clock=clock, name="SIM", step_interval_ns=0)
        self.faults: list[Exception] = []

    def _fault(self) -> None:
        if self.faults:
            raise self.faults.pop(0)

    async def submit(self, order: VenueOrder) -> None:
        self._fault()
        await super().submit(order)

    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        self._fault()
        await super().cancel(order_id, venue_order_id, symbol)

    async def replace(self, request: ReplaceRequest) -> None:
        self._fault()
        await super().replace(request)


def error(kind: VenueErrorKind, code: str = "E", retry_after: float | None = None) -> VenueError:
    return VenueError(kind, "SIM", code, f"{kind.value.lower()} error", retry_after=retry_after)


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def venues(clock: TestClock) -> list[FaultySim]:
    return [FaultySim(clock), FaultySim(clock)]


@pytest.fixture
async def managed(clock: TestClock, venues: list[FaultySim]) -> AsyncIterator[ManagedVenue]:
    venue = ManagedVenue(
        "SIM",
        venues,
        clock=clock,
        settings=FAST,
        breaker=BreakerConfig(failure_threshold=3, cooldown_ns=5 * SECOND),
    )
    await venue.connect()
    yield venue
    await venue.disconnect()


@pytest.fixture
async def reports(managed: ManagedVenue) -> AsyncIterator[Collector]:
    collector = Collector(managed)
    yield collector
    await collector.close()


@pytest.mark.parametrize("kind", [K.RETRYABLE, K.RATE_LIMITED])
async def test_submit_the_venue_did_not_act_on_fails_over_to_the_next_connection(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector, kind: VenueErrorKind
) -> None:
    venues[0].faults.append(error(kind, "503"))

    await managed.submit(order("O-1"))

    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    assert [r.order_id for r in venues[1].engine.open_orders()] == ["O-1"]
    assert managed.ledger.holder("O-1") == 1
    last_error = managed.connections[0].health.last_error
    assert last_error is not None
    assert last_error.kind is kind
    assert managed.breaker.snapshot(0).failures_in_window == 1


async def test_submit_refused_by_every_connection_is_rejected_with_the_last_error(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector
) -> None:
    venues[0].faults.append(error(K.RETRYABLE, "503"))
    venues[1].faults.append(error(K.RATE_LIMITED, "429"))

    await managed.submit(order("O-1"))

    (refusal,) = await reports.wait_for("O-1", ExecKind.REJECTED)
    assert refusal.reason == (
        "every connection of SIM refused it "
        "(last error on SIM-2: SIM RATE_LIMITED [429]: rate_limited error)"
    )
    assert managed.ledger.holder("O-1") is None


async def test_submit_refused_by_the_venue_is_rejected_and_does_not_count(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector
) -> None:
    venues[0].faults.append(error(K.REJECTED, "-2010"))

    await managed.submit(order("O-1"))

    (refusal,) = await reports.wait_for("O-1", ExecKind.REJECTED)
    assert refusal.reason == "SIM-1: SIM REJECTED [-2010]: rejected error"
    assert venues[1].engine.open_orders() == []  # a business reject is not retried
    assert managed.breaker.snapshot(0).failures_in_window == 0


async def test_submit_with_an_unknown_outcome_is_left_to_reconciliation(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector
) -> None:
    venues[0].faults.append(TimeoutError())

    await managed.submit(order("O-1"))
    await managed.submit(order("O-2"))  # a marker: every report of O-1 would come first

    await reports.wait_for("O-2", ExecKind.ACCEPTED)
    assert reports.of("O-1") == []  # neither refused nor resent: it may be at the venue
    assert managed.ledger.holder("O-1") == 0
    last_error = managed.connections[0].health.last_error
    assert last_error is not None
    assert (last_error.kind, last_error.message) == (K.UNKNOWN_OUTCOME, "TimeoutError")


async def test_submit_failing_on_credentials_stops_the_connection(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector
) -> None:
    venues[0].faults.append(error(K.AUTH, "401"))

    await managed.submit(order("O-1"))

    await reports.wait_for("O-1", ExecKind.REJECTED)
    assert managed.connections[0].state is ConnectionState.ERROR
    assert managed.breaker.state is BreakerState.OPEN


async def test_retry_after_holds_the_breaker_open_longer_than_the_cooldown(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector, clock: TestClock
) -> None:
    for n in range(3):
        venues[n % 2].faults.append(error(K.RATE_LIMITED, "429", retry_after=30))
        await managed.submit(order(f"O-{n}"))
    assert managed.breaker.state is BreakerState.OPEN

    clock.advance(10 * SECOND)
    await managed.submit(order("O-late"))
    (refusal,) = await reports.wait_for("O-late", ExecKind.REJECTED)
    assert refusal.reason is not None
    assert refusal.reason.startswith("circuit breaker open for SIM")


async def test_cancel_that_raises_is_answered_with_a_cancel_reject(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector
) -> None:
    await managed.submit(order("O-1"))
    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    venues[0].faults.append(error(K.RETRYABLE, "503"))

    await managed.cancel("O-1", None, "AAPL")

    (refusal,) = await reports.wait_for("O-1", ExecKind.CANCEL_REJECTED)
    assert refusal.reason == "SIM-1: SIM RETRYABLE [503]: retryable error"


async def test_replace_that_raises_is_answered_with_a_replace_reject(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector
) -> None:
    await managed.submit(order("O-1"))
    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    venues[0].faults.append(error(K.UNKNOWN_OUTCOME, "504"))

    await managed.replace(
        ReplaceRequest(order_id="O-1", venue_order_id=None, symbol="AAPL", price=Decimal(99))
    )

    (refusal,) = await reports.wait_for("O-1", ExecKind.REPLACE_REJECTED)
    assert refusal.reason == "SIM-1: SIM UNKNOWN_OUTCOME [504]: unknown_outcome error"


async def test_open_breaker_refuses_replaces_but_lets_cancels_through(
    managed: ManagedVenue, reports: Collector, clock: TestClock
) -> None:
    await managed.submit(order("O-1"))
    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    managed.breaker.record_failure(K.AUTH, clock.now_ns(), "revoked")

    await managed.replace(
        ReplaceRequest(order_id="O-1", venue_order_id=None, symbol="AAPL", price=Decimal(99))
    )
    await managed.cancel("O-1", None, "AAPL")

    (refusal,) = await reports.wait_for("O-1", ExecKind.REPLACE_REJECTED)
    assert refusal.reason is not None
    assert refusal.reason.startswith("circuit breaker open for SIM (AUTH: revoked)")
    await reports.wait_for("O-1", ExecKind.CANCELED)


async def test_cancel_of_an_order_whose_connection_is_down_is_refused(
    managed: ManagedVenue, venues: list[FaultySim], reports: Collector
) -> None:
    await managed.submit(order("O-1"))
    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    venues[1].faults.append(error(K.AUTH, "401"))
    await managed.submit(order("O-2"))  # round robin: to the second connection, which stops
    managed.breaker.reset()  # the AUTH failure opened it; let the next order reach a venue
    venues[0].faults.append(error(K.AUTH, "401"))
    await managed.submit(order("O-3"))  # to the first, the only one left, which stops too
    await until(lambda: not any(c.up for c in managed.connections))

    await managed.cancel("O-1", None, "AAPL")

    (refusal,) = await reports.wait_for("O-1", ExecKind.CANCEL_REJECTED)
    assert refusal.reason == "connection SIM-1 holding order 'O-1' is ERROR"
    # Its orders are still known, so reconciliation sees them open rather than guessing.
    (assumed,) = [r for r in await managed.open_orders() if r.order_id == "O-1"]
    assert assumed.venue == "SIM"
