"""The limiter in front of the simulated Binance's fixed-window weight counter: never a 429."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.gateway.ratelimit import RateLimitPolicy, decide_all
from ordergate.sim.binance.ratelimit import ENDPOINT_WEIGHTS, WeightLimiter

from .rules import BINANCE_RULES, SECOND

T0 = 1_700_000_000_000_000_000
WEIGHTS = sorted(ENDPOINT_WEIGHTS.values())


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), offset=st.integers(0, 60 * SECOND))
def test_requests_the_limiter_admits_are_never_refused_by_the_venue(seed: int, offset: int) -> None:
    # Binance counts weight per calendar minute; the limiter knows nothing of where the
    # minute starts (offset), and still never lets a minute see more than 6000, however
    # greedy the client: 3000 requests as fast as the limiter lets them go.
    rng = random.Random(seed)
    policy = RateLimitPolicy(BINANCE_RULES)
    venue = WeightLimiter(limit=6000)
    tats = [0]
    now = T0 + offset
    busiest = 0
    for _ in range(3000):
        now += rng.choice([0, 0, 0, rng.randrange(SECOND // 10)])
        weight = rng.choice(WEIGHTS)
        demands = policy.demands("query", weight)
        while True:
            decision = decide_all([d.rule for d in demands], [d.cost for d in demands], tats, now)
            if decision.allowed:
                break
            now += decision.wait_ns
        tats = list(decision.tats)
        answer = venue.charge("us", weight, now)
        assert answer.status == 200
        busiest = max(busiest, answer.used)
    assert busiest > 5000  # the limiter ran the venue close to its limit
