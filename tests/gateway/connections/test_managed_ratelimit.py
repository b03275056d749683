"""Order entry paced by each connection's rate limiter, inside the managed venue.

Real SimVenue connections and real limiters (in-memory store); each connection stands for
one API key with its own budget of two orders a minute.
"""

from __future__ import annotations

import msgspec
import pytest

from ordergate.clock import LiveClock
from ordergate.domain.reports import ExecKind
from ordergate.gateway.connections import ConnectionSpec, ManagedVenue, Role
from ordergate.gateway.errors import VenueErrorKind
from ordergate.gateway.ratelimit import MemoryRateLimitStore, VenueRateLimiter
from ordergate.sim.venue import SimVenue
from ordergate.venues.base import RateLimitRule

from .helpers import AAPL, FAST, SECOND, Collector, RefusingVenue, order, until

TWO_A_MINUTE = RateLimitRule(name="ORDERS", unit="orders", limit=2, window_ns=60 * SECOND)
PACED = msgspec.structs.replace(FAST, rate_limit_wait=0.05)


def paced_connection(
    name: str, clock: LiveClock, store: MemoryRateLimitStore, role: Role = Role.PRIMARY
) -> ConnectionSpec:
    venue = SimVenue([AAPL], clock=clock, name="SIM", step_interval_ns=0)
    caps = msgspec.structs.replace(venue.capabilities, rate_limits=(TWO_A_MINUTE,))
    limiter = VenueRateLimiter.from_capabilities(
        "SIM", name, caps, store, clock, bursts={"ORDERS": 2}
    )
    return ConnectionSpec(adapter=venue, id=name, limiter=limiter, role=role)


@pytest.fixture
def clock() -> LiveClock:
    return LiveClock()


@pytest.fixture
def store(clock: LiveClock) -> MemoryRateLimitStore:
    return MemoryRateLimitStore(clock)


async def managed_venue(
    specs: list[ConnectionSpec], clock: LiveClock
) -> tuple[ManagedVenue, Collector]:
    venue = ManagedVenue("SIM", specs, clock=clock, settings=PACED)
    await venue.connect()
    return venue, Collector(venue)


async def close(venue: ManagedVenue, reports: Collector, specs: list[ConnectionSpec]) -> None:
    await reports.close()
    await venue.disconnect()
    for spec in specs:
        assert spec.limiter is not None
        await spec.limiter.aclose()


async def test_an_order_past_its_keys_budget_goes_out_on_another_key(
    clock: LiveClock, store: MemoryRateLimitStore
) -> None:
    # The backup key takes orders only when the primary cannot: here, when its budget is out.
    specs = [
        paced_connection("key-a", clock, store),
        paced_connection("key-b", clock, store, Role.BACKUP),
    ]
    venue, reports = await managed_venue(specs, clock)
    try:
        for n in range(4):
            await venue.submit(order(f"o{n}", price=str(100 - n)))
            await reports.wait_for(f"o{n}", ExecKind.ACCEPTED)

        holders = [venue.connections[venue.ledger.holder(f"o{n}") or 0].id for n in range(4)]
        assert holders == ["key-a", "key-a", "key-b", "key-b"]
    finally:
        await close(venue, reports, specs)


async def test_an_order_past_every_keys_budget_is_refused_as_rate_limited(
    clock: LiveClock, store: MemoryRateLimitStore
) -> None:
    specs = [paced_connection("key-a", clock, store)]
    venue, reports = await managed_venue(specs, clock)
    try:
        for n in range(2):
            await venue.submit(order(f"o{n}"))
            await reports.wait_for(f"o{n}", ExecKind.ACCEPTED)

        await venue.submit(order("o2"))
        [refused] = await reports.wait_for("o2", ExecKind.REJECTED)

        assert refused.reason is not None
        assert "rate limit" in refused.reason
        last_error = venue.connections[0].health.last_error
        assert last_error is not None
        assert last_error.kind is VenueErrorKind.RATE_LIMITED
        sim = specs[0].adapter
        assert isinstance(sim, SimVenue)
        assert [o.order_id for o in sim.engine.open_orders()] == ["o0", "o1"]
    finally:
        await close(venue, reports, specs)


class RateLimitedVenue(RefusingVenue):
    """A venue that answers every new order with a 429, reported as a refusal."""

    error_kind = VenueErrorKind.RATE_LIMITED
    reason = "429 too many requests"


async def test_a_429_from_the_venue_pauses_the_keys_limiter(
    clock: LiveClock, store: MemoryRateLimitStore
) -> None:
    venue_429 = RateLimitedVenue([AAPL], clock=clock, name="SIM", step_interval_ns=0)
    caps = msgspec.structs.replace(venue_429.capabilities, rate_limits=(TWO_A_MINUTE,))
    limiter = VenueRateLimiter.from_capabilities(
        "SIM", "key-a", caps, store, clock, bursts={"ORDERS": 2}
    )
    specs = [ConnectionSpec(adapter=venue_429, id="key-a", limiter=limiter)]
    venue, reports = await managed_venue(specs, clock)
    try:
        await venue.submit(order("o0"))
        await reports.wait_for("o0", ExecKind.REJECTED)
        await until(lambda: bool(store._paused_until))

        # The budget has one order left, but the venue said to wait: nothing goes out.
        await venue.submit(order("o1"))
        [refused] = await reports.wait_for("o1", ExecKind.REJECTED)

        assert refused.reason is not None
        assert "rate limit" in refused.reason
    finally:
        await close(venue, reports, specs)
