"""The Redis store against a real throwaway redis-server: the contract, then Redis matters."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from ordergate.clock import LiveClock, TestClock
from ordergate.gateway.ratelimit import (
    MemoryRateLimitStore,
    Priority,
    RateLimitPolicy,
    RateLimitStore,
    RateLimitTimeout,
    RedisRateLimitStore,
    SimulatedTimer,
    VenueRateLimiter,
)
from ordergate.gateway.ratelimit.gcra import GcraRule
from ordergate.gateway.ratelimit.policy import Demand
from ordergate.venues.base import RateLimitRule

from .contract import T0, RateLimiterContract
from .rules import BINANCE_RULES, DAY, SECOND, capabilities

pytestmark = pytest.mark.integration


class TestRedisRateLimiter(RateLimiterContract):
    @pytest.fixture
    async def stores(
        self, redis_url: str, timer: SimulatedTimer
    ) -> AsyncIterator[tuple[RateLimitStore, RateLimitStore]]:
        first = RedisRateLimitStore.from_url(redis_url, clock=timer)
        second = RedisRateLimitStore.from_url(redis_url, clock=timer)
        try:
            yield first, second
        finally:
            await first.aclose()
            await second.aclose()


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def account() -> str:
    return f"acct-{uuid.uuid4().hex[:12]}"


def _demands(*pairs: tuple[GcraRule, int]) -> list[Demand]:
    return [Demand(rule, cost) for rule, cost in pairs]


async def test_keys_are_named_per_venue_account_and_rule_and_expire(
    client: aioredis.Redis, account: str
) -> None:
    clock = TestClock(T0)
    store = RedisRateLimitStore(client, clock=clock)
    rule = GcraRule("ORDERS", emission_ns=SECOND, burst=5)

    decision = await store.acquire("binance", account, _demands((rule, 2)))

    key = f"og:rl:binance:{account}:ORDERS"
    assert decision.allowed
    assert await client.get(key) == str(T0 + 2 * SECOND) == str(decision.tats[0])
    ttl = await client.pttl(key)
    assert 0 < ttl <= 2_000 + 60_000
    await store.pause("binance", account, 3 * SECOND)
    assert await client.get(f"og:rl:binance:{account}:!pause") == str(T0 + 3 * SECOND)


async def test_a_flushed_script_cache_falls_back_to_eval(
    client: aioredis.Redis, account: str
) -> None:
    store = RedisRateLimitStore(client, clock=TestClock(T0))
    rule = GcraRule("R", emission_ns=SECOND, burst=2)
    assert (await store.acquire("v", account, _demands((rule, 1)))).allowed
    await client.script_flush()

    assert (await store.acquire("v", account, _demands((rule, 1)))).allowed
    assert not (await store.acquire("v", account, _demands((rule, 1)))).allowed


async def test_redis_decides_exactly_as_the_memory_store_does(
    client: aioredis.Redis, account: str
) -> None:
    # Same arrivals, same clock: every decision, state and wait identical to the ns, across
    # second boundaries and with the epoch far beyond what a Lua double holds exactly.
    clock = TestClock(T0)
    memory = MemoryRateLimitStore(clock)
    shared = RedisRateLimitStore(client, clock=clock)
    weight = GcraRule.from_limit("REQUEST_WEIGHT", 6000, 60 * SECOND, 600)
    orders = GcraRule.from_limit("ORDERS", 7, 3 * SECOND, 3)
    daily = GcraRule.from_limit("ORDERS_DAY", 200_000, DAY, 20_000)
    rng = random.Random(20261201)
    outcomes = []
    for _ in range(400):
        clock.advance(rng.choice([0, 1, 999, rng.randrange(2 * SECOND)]))
        if rng.random() < 0.5:
            demands = _demands((weight, 1), (orders, rng.randint(1, 3)), (daily, 1))
        else:
            demands = _demands((weight, rng.randint(1, 600)))
        expected = await memory.acquire("v", account, demands)
        actual = await shared.acquire("v", account, demands)
        assert actual.allowed == expected.allowed
        assert actual.wait_ns == expected.wait_ns
        if expected.allowed:
            assert actual.tats == expected.tats
            if rng.random() < 0.1:
                await memory.refund("v", account, demands, expected.tats)
                await shared.refund("v", account, demands, actual.tats)
        outcomes.append(expected.allowed)
    assert any(outcomes)
    assert not all(outcomes)


async def test_a_refund_after_the_key_expired_changes_nothing(
    client: aioredis.Redis, account: str
) -> None:
    clock = TestClock(T0)
    store = RedisRateLimitStore(client, clock=clock)
    rule = GcraRule("R", emission_ns=SECOND, burst=1)
    granted = await store.acquire("v", account, _demands((rule, 1)))
    await client.delete(f"og:rl:v:{account}:R")
    await store.refund("v", account, _demands((rule, 1)), granted.tats)
    assert await client.get(f"og:rl:v:{account}:R") is None


async def test_server_time_shares_the_budget_between_two_clients(
    redis_url: str, account: str
) -> None:
    # Decided at Redis's own TIME: two stores, two connections, one budget of 10 a minute.
    first = RedisRateLimitStore.from_url(redis_url)
    second = RedisRateLimitStore.from_url(redis_url)
    rule = GcraRule.from_limit("ORDERS", 10, 60 * SECOND, 10)  # no refill within the test
    try:
        results = [
            (await store.acquire("v", account, _demands((rule, 1)))).allowed
            for store in (first, second) * 8
        ]
        refused = await second.acquire("v", account, _demands((rule, 1)))
    finally:
        await first.aclose()
        await second.aclose()
    assert results == [True] * 10 + [False] * 6
    assert 0 < refused.wait_ns <= rule.emission_ns


async def test_two_live_limiters_on_server_time_never_overspend(
    redis_url: str, account: str
) -> None:
    rules = (RateLimitRule(name="ORDERS", unit="orders", limit=5, window_ns=60 * SECOND),)
    stores = [RedisRateLimitStore.from_url(redis_url) for _ in range(2)]
    limiters = [
        VenueRateLimiter("v", account, RateLimitPolicy(rules, bursts={"ORDERS": 5}), s, LiveClock())
        for s in stores
    ]
    admitted = refused = 0
    try:
        for limiter in limiters * 4:
            try:
                await limiter.acquire("orders", 1, Priority.NEW_ORDER, timeout_ns=0)
                admitted += 1
            except RateLimitTimeout:
                refused += 1
    finally:
        for limiter in limiters:
            await limiter.aclose()
        for store in stores:
            await store.aclose()
    assert (admitted, refused) == (5, 3)


@pytest.mark.parametrize(("venue", "account_name"), [("a:b", "x"), ("v", "with space")])
async def test_names_unusable_in_keys_are_refused(
    client: aioredis.Redis, venue: str, account_name: str
) -> None:
    store = RedisRateLimitStore(client, clock=TestClock(T0))
    rule = GcraRule("R", emission_ns=SECOND, burst=1)
    with pytest.raises(ValueError, match=r"bad (venue|account) name"):
        await store.acquire(venue, account_name, _demands((rule, 1)))


async def test_a_rule_too_long_for_lua_doubles_is_refused(
    client: aioredis.Redis, account: str
) -> None:
    store = RedisRateLimitStore(client, clock=TestClock(T0))
    rule = GcraRule.from_limit("YEAR", 1000, 365 * DAY, 1000)
    with pytest.raises(ValueError, match="too long for the Redis store"):
        await store.acquire("v", account, _demands((rule, 1)))


async def test_bad_store_inputs_are_refused(client: aioredis.Redis, account: str) -> None:
    store = RedisRateLimitStore(client, clock=TestClock(T0))
    rule = GcraRule("R", emission_ns=SECOND, burst=2)
    with pytest.raises(ValueError, match="at least one rule"):
        await store.acquire("v", account, [])
    with pytest.raises(ValueError, match="above the burst"):
        await store.acquire("v", account, _demands((rule, 3)))
    with pytest.raises(ValueError, match="pause must be in"):
        await store.pause("v", account, -1)
    with pytest.raises(ValueError, match="ttl_slack_ms"):
        RedisRateLimitStore(client, ttl_slack_ms=0)
    assert await client.keys(f"og:rl:v:{account}:*") == []


async def test_a_limiter_built_from_capabilities_uses_the_shared_store(
    client: aioredis.Redis, account: str
) -> None:
    timer = SimulatedTimer(TestClock(T0))
    store = RedisRateLimitStore(client, clock=timer)
    caps = capabilities(*BINANCE_RULES)
    async with VenueRateLimiter.from_capabilities("binance", account, caps, store, timer) as lim:
        await lim.acquire("orders", 1, Priority.NEW_ORDER, timeout_ns=0)
    keys = sorted(await client.keys(f"og:rl:binance:{account}:*"))
    assert keys == [
        f"og:rl:binance:{account}:{name}" for name in ("ORDERS", "ORDERS_DAY", "REQUEST_WEIGHT")
    ]


async def test_a_live_limiter_waits_the_time_redis_names(redis_url: str, account: str) -> None:
    # 20 a second, burst 1, decided at the server's TIME: each order after the first waits
    # about 50 ms on the local loop for the wait Redis computed.
    rules = (RateLimitRule(name="ORDERS", unit="orders", limit=20, window_ns=SECOND),)
    store = RedisRateLimitStore.from_url(redis_url)
    policy = RateLimitPolicy(rules, bursts={"ORDERS": 1})
    try:
        async with VenueRateLimiter("v", account, policy, store, LiveClock()) as limiter:
            for _ in range(3):
                await asyncio.wait_for(limiter.acquire("orders", 1, Priority.NEW_ORDER), 5)
    finally:
        await store.aclose()
