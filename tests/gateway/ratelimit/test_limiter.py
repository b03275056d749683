"""Limiter behaviour that does not depend on the store: construction, live time, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
import redis.exceptions

from ordergate.clock import LiveClock, TestClock
from ordergate.gateway.ratelimit import (
    Decision,
    Demand,
    MemoryRateLimitStore,
    Priority,
    RateLimitPolicy,
    RedisRateLimitStore,
    SimulatedTimer,
    VenueRateLimiter,
)
from ordergate.venues.base import RateLimitRule

from .helpers import advance, settle
from .rules import ALPACA_RULES, BINANCE_RULES, FIX_RULES, SECOND, capabilities

T0 = 1_700_000_000_000_000_000


class GatedStore(MemoryRateLimitStore):
    """A memory store whose answers wait for a gate, like a slow round trip to Redis."""

    def __init__(self, timer: SimulatedTimer) -> None:
        super().__init__(timer)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def acquire(self, venue: str, account: str, demands: Sequence[Demand]) -> Decision:
        self.entered.set()
        await self.gate.wait()
        return await super().acquire(venue, account, demands)


def _limiter(timer: SimulatedTimer, **kwargs: object) -> VenueRateLimiter:
    store = MemoryRateLimitStore(timer)
    return VenueRateLimiter("v", "a", RateLimitPolicy(ALPACA_RULES), store, timer, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_queue": 0}, "max_queue"),
        ({"default_timeout_ns": -1}, "default_timeout_ns"),
    ],
)
def test_a_limiter_that_makes_no_sense_is_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _limiter(SimulatedTimer(TestClock(T0)), **kwargs)


@pytest.mark.parametrize(("venue", "account"), [("bin ance", "a"), ("v", "a:b")])
def test_venue_and_account_names_unusable_in_keys_are_refused(venue: str, account: str) -> None:
    timer = SimulatedTimer(TestClock(T0))
    with pytest.raises(ValueError, match=r"bad (venue|account) name"):
        VenueRateLimiter(
            venue, account, RateLimitPolicy(ALPACA_RULES), MemoryRateLimitStore(timer), timer
        )


def test_a_venue_without_rules_cannot_have_a_limiter() -> None:
    timer = SimulatedTimer(TestClock(T0))
    with pytest.raises(ValueError, match="at least one rule"):
        VenueRateLimiter.from_capabilities(
            "v", "a", capabilities(), MemoryRateLimitStore(timer), timer
        )


async def test_from_capabilities_builds_the_venue_rules_and_endpoints() -> None:
    timer = SimulatedTimer(TestClock(T0))
    caps = capabilities(*BINANCE_RULES)
    async with VenueRateLimiter.from_capabilities(
        "binance", "main", caps, MemoryRateLimitStore(timer), timer, bursts={"ORDERS": 20}
    ) as limiter:
        assert limiter.policy.gcra("ORDERS").burst == 20
        assert limiter.policy.endpoints == {"orders", "cancel", "replace", "query"}
        await limiter.acquire("cancel", 1, Priority.CANCEL, timeout_ns=0)


async def test_the_default_timeout_applies_to_requests_that_give_none() -> None:
    timer = SimulatedTimer(TestClock(T0))
    async with _limiter(timer, default_timeout_ns=SECOND // 10) as limiter:
        await limiter.acquire("query", 20)  # the burst; the next waits 60 s / 181 = 331 ms
        with pytest.raises(TimeoutError):
            await limiter.acquire("query", 1)


async def test_a_live_clock_waits_on_the_event_loop() -> None:
    # 20 orders a second, burst 1: the second order waits 50 ms on the real loop.
    rules = (RateLimitRule(name="ORDERS", unit="orders", limit=20, window_ns=SECOND),)
    clock = LiveClock()
    store = MemoryRateLimitStore(clock)
    policy = RateLimitPolicy(rules, bursts={"ORDERS": 1})
    async with VenueRateLimiter("v", "a", policy, store, clock) as limiter:
        await limiter.acquire("orders", 1, Priority.NEW_ORDER)
        before = clock.now_ns()
        await asyncio.wait_for(limiter.acquire("orders", 1, Priority.NEW_ORDER), 5)
        assert clock.now_ns() > before


async def test_a_store_that_is_down_fails_the_request_with_its_error() -> None:
    timer = SimulatedTimer(TestClock(T0))
    # A port nobody listens on: connection refused, from the real client.
    store = RedisRateLimitStore.from_url("redis://127.0.0.1:1/0", clock=timer)
    try:
        async with VenueRateLimiter("v", "a", RateLimitPolicy(FIX_RULES), store, timer) as limiter:
            with pytest.raises(redis.exceptions.ConnectionError, match="connecting to"):
                await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            assert limiter.waiting == 0
    finally:
        await store.aclose()


async def test_a_waiter_cancelled_during_the_round_trip_gives_its_grant_back() -> None:
    timer = SimulatedTimer(TestClock(T0))
    store = GatedStore(timer)
    policy = RateLimitPolicy(FIX_RULES, bursts={"ORDERS": 1})
    async with VenueRateLimiter("v", "a", policy, store, timer) as limiter:
        waiter = asyncio.ensure_future(limiter.acquire("orders", 1, Priority.NEW_ORDER))
        await store.entered.wait()
        waiter.cancel()
        await asyncio.sleep(0)
        store.gate.set()  # the store grants, but nobody is waiting any more
        await settle(limiter)
        assert waiter.cancelled()
        assert store.tat("v", "a", "ORDERS") == T0  # given back
        await limiter.acquire("orders", 1, Priority.NEW_ORDER, timeout_ns=0)


async def test_a_success_after_429s_makes_the_next_backoff_short_again() -> None:
    timer = SimulatedTimer(TestClock(T0))
    async with _limiter(timer) as limiter:
        for _ in range(4):
            await limiter.on_response(429, {})
        assert await limiter.on_response(200, {}) is None
        pause = await limiter.on_response(429, {})
        assert pause is not None
        assert pause <= SECOND
        await advance(timer, 60 * SECOND, limiter)


def test_the_simulated_timer_fires_in_time_order_and_skips_cancelled() -> None:
    timer = SimulatedTimer(TestClock(T0))
    fired: list[str] = []
    timer.call_at(T0 + 20, lambda: fired.append("b"))
    cancelled = timer.call_at(T0 + 5, lambda: fired.append("x"))
    timer.call_at(T0 + 10, lambda: fired.append("a"))
    cancelled.cancel()
    assert timer.next_due() == T0 + 10
    timer.advance(30)
    assert fired == ["a", "b"]
    assert timer.next_due() is None
    timer.call_at(T0, lambda: fired.append("past"))
    assert fired == ["a", "b", "past"]


async def test_memory_store_refuses_a_negative_pause_and_ignores_unknown_refunds() -> None:
    timer = SimulatedTimer(TestClock(T0))
    store = MemoryRateLimitStore(timer)
    with pytest.raises(ValueError, match="negative"):
        await store.pause("v", "a", -1)
    demands = RateLimitPolicy(ALPACA_RULES).demands("query", 1)
    await store.refund("v", "a", demands, (T0 + SECOND,))
    assert store.tat("v", "a", "REQUESTS") is None


class CountingStore(MemoryRateLimitStore):
    """A memory store that counts the requests it is asked to admit."""

    calls = 0

    async def acquire(self, venue: str, account: str, demands: Sequence[Demand]) -> Decision:
        self.calls += 1
        return await super().acquire(venue, account, demands)


async def test_newcomers_behind_a_refused_head_do_not_make_it_ask_the_store_again() -> None:
    timer = SimulatedTimer(TestClock(T0))
    store = CountingStore(timer)
    policy = RateLimitPolicy(FIX_RULES, bursts={"ORDERS": 1})
    async with VenueRateLimiter("v", "a", policy, store, timer) as limiter:
        await limiter.acquire("orders", 1, Priority.NEW_ORDER)
        waiters = [
            asyncio.ensure_future(limiter.acquire("orders", 1, Priority.NEW_ORDER))
            for _ in range(5)
        ]
        await settle(limiter)
        assert store.calls == 2  # the first order, then the head once
        for _ in waiters:
            await advance(timer, SECOND // 10, limiter)
        await asyncio.gather(*waiters)
        assert store.calls == 2 + 5 + 4  # a grant each step, and a try of the next head
