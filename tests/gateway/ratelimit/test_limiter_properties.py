"""Whatever arrives, two limiters on one store never put more than a limit into a window."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.clock import TestClock
from ordergate.gateway.ratelimit import (
    MemoryRateLimitStore,
    Priority,
    RateLimitPolicy,
    SimulatedTimer,
    VenueRateLimiter,
)
from ordergate.venues.base import RateLimitRule

from .helpers import advance, settle

WINDOW = 1_000_000
RULES = (
    RateLimitRule(name="WEIGHT", unit="weight", limit=30, window_ns=WINDOW),
    RateLimitRule(name="ORDERS", unit="orders", limit=5, window_ns=WINDOW // 2, scope="orders"),
)

arrival = st.tuples(
    st.integers(0, WINDOW // 3),  # gap before it
    st.sampled_from(["orders", "cancel", "query"]),
    st.integers(1, 6),  # cost
    st.sampled_from(list(Priority)),
    st.booleans(),  # which limiter
)


async def _run(
    arrivals: list[tuple[int, str, int, Priority, bool]], bursts: dict[str, int]
) -> dict[str, list[tuple[int, int]]]:
    timer = SimulatedTimer(TestClock(0))
    store = MemoryRateLimitStore(timer)
    limiters = [
        VenueRateLimiter("v", "a", RateLimitPolicy(RULES, bursts=bursts), store, timer)
        for _ in range(2)
    ]
    spent: dict[str, list[tuple[int, int]]] = {"WEIGHT": [], "ORDERS": []}

    async def send(limiter: VenueRateLimiter, endpoint: str, cost: int, priority: Priority) -> None:
        await limiter.acquire(endpoint, cost, priority)
        for demand in limiter.policy.demands(endpoint, cost):
            spent[demand.rule.name].append((timer.now_ns(), demand.cost))

    tasks = []
    for gap, endpoint, cost, priority, second in arrivals:
        await advance(timer, gap, *limiters)
        cost = min(cost, bursts["ORDERS"]) if endpoint == "orders" else cost
        limiter = limiters[second]
        tasks.append(asyncio.ensure_future(send(limiter, endpoint, cost, priority)))
        await settle(*limiters)
    while not all(task.done() for task in tasks):
        due = timer.next_due()
        assert due is not None
        await advance(timer, due - timer.now_ns(), *limiters)
    await asyncio.gather(*tasks)
    for limiter in limiters:
        await limiter.aclose()
    return spent


@settings(max_examples=60, deadline=None)
@given(
    arrivals=st.lists(arrival, min_size=1, max_size=40),
    weight_burst=st.integers(6, 30),
    orders_burst=st.integers(1, 5),
)
def test_two_limiters_never_overspend_any_rule_in_any_window(
    arrivals: list[tuple[int, str, int, Priority, bool]], weight_burst: int, orders_burst: int
) -> None:
    bursts = {"WEIGHT": weight_burst, "ORDERS": orders_burst}
    spent = asyncio.run(_run(arrivals, bursts))
    for rule in RULES:
        events = sorted(spent[rule.name])
        for i, (start, _) in enumerate(events):
            in_window = sum(cost for when, cost in events[i:] if when < start + rule.window_ns)
            assert in_window <= rule.limit
    assert len(spent["WEIGHT"]) == len(arrivals)
