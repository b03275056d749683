"""The pure GCRA core: bursts, spacing, weights, exact boundaries, windows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.gateway.ratelimit.gcra import GcraRule, decide_all, refund

SECOND = 1_000_000_000
T0 = 1_700_000_000_000_000_000


def test_from_limit_spaces_the_units_a_burst_leaves_over_the_window() -> None:
    # 100 orders / 10 s with a burst of 10: 91 emissions per window, rounded up to whole ns.
    rule = GcraRule.from_limit("ORDERS", 100, 10 * SECOND, 10)

    assert rule.burst == 10
    assert rule.emission_ns == -(-10 * SECOND // 91)
    assert rule.capacity_ns == 10 * rule.emission_ns


def test_burst_up_to_the_burst_then_one_unit_per_emission() -> None:
    rule = GcraRule.from_limit("R", 10, 10 * SECOND, 5)  # emission 10 s / 6
    tat = 0
    for _ in range(5):
        allowed, tat, wait = rule.decide(tat, T0, 1)
        assert (allowed, wait) == (True, 0)

    allowed, same, wait = rule.decide(tat, T0, 1)

    assert not allowed
    assert same == tat
    assert wait == rule.emission_ns
    allowed, tat, _ = rule.decide(tat, T0 + wait, 1)
    assert allowed
    allowed, _, wait = rule.decide(tat, T0 + rule.emission_ns, 1)
    assert not allowed
    assert wait == rule.emission_ns


def test_wait_is_exact_to_the_nanosecond() -> None:
    rule = GcraRule("R", emission_ns=7, burst=3)
    tat = T0 + 21  # full: three units ahead
    allowed, _, wait = rule.decide(tat, T0, 2)
    assert not allowed
    assert wait == 14

    assert rule.decide(tat, T0 + 13, 2)[0] is False
    assert rule.decide(tat, T0 + 14, 2) == (True, T0 + 35, 0)


def test_weights_spend_several_units_at_once() -> None:
    rule = GcraRule.from_limit("REQUEST_WEIGHT", 6000, 60 * SECOND, 600)
    allowed, tat, _ = rule.decide(0, T0, 580)
    assert allowed
    assert rule.decide(tat, T0, 20)[0] is True
    allowed, _, wait = rule.decide(rule.decide(tat, T0, 20)[1], T0, 1)
    assert not allowed
    assert wait == rule.emission_ns


def test_a_state_far_behind_now_means_an_idle_rule() -> None:
    rule = GcraRule("R", emission_ns=SECOND, burst=4)
    assert rule.decide(T0 - 3600 * SECOND, T0, 4) == (True, T0 + 4 * SECOND, 0)


def test_a_full_window_drains_after_the_window() -> None:
    # Burst 1 is pure spacing: limit units per window, evenly.
    rule = GcraRule.from_limit("FIX", 10, SECOND, 1)
    assert rule.emission_ns == SECOND // 10
    tat, now, admitted = 0, T0, 0
    while now < T0 + SECOND:
        allowed, tat, wait = rule.decide(tat, now, 1)
        admitted += allowed
        now += wait if not allowed else 1
    assert admitted == 10


@pytest.mark.parametrize("cost", [0, -1, 6])
def test_cost_below_one_or_above_the_burst_is_refused(cost: int) -> None:
    rule = GcraRule("R", emission_ns=10, burst=5)
    with pytest.raises(ValueError, match="cost"):
        rule.decide(0, T0, cost)


@pytest.mark.parametrize(
    ("limit", "window_ns", "burst", "message"),
    [
        (0, SECOND, 1, "limit"),
        (10, 0, 1, "window_ns"),
        (10, SECOND, 0, "burst"),
        (10, SECOND, 11, "burst"),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused(
    limit: int, window_ns: int, burst: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        GcraRule.from_limit("R", limit, window_ns, burst)


def test_a_rule_needs_a_positive_emission_and_burst() -> None:
    with pytest.raises(ValueError, match="emission_ns"):
        GcraRule("R", emission_ns=0, burst=1)
    with pytest.raises(ValueError, match="burst"):
        GcraRule("R", emission_ns=1, burst=0)


def test_several_rules_admit_all_or_nothing() -> None:
    weight = GcraRule("REQUEST_WEIGHT", emission_ns=10, burst=100)
    orders = GcraRule("ORDERS", emission_ns=1000, burst=2)
    tats = [0, T0 + 2000]  # orders full, weight idle

    decision = decide_all([weight, orders], [1, 1], tats, T0)

    assert not decision.allowed
    assert decision.tats == tuple(tats)  # weight not spent either
    assert decision.wait_ns == 1000
    admitted = decide_all([weight, orders], [1, 1], tats, T0 + 1000)
    assert admitted.allowed
    assert admitted.tats == (T0 + 1000 + 10, T0 + 3000)


def test_the_longest_wait_of_several_rules_is_the_wait() -> None:
    a = GcraRule("A", emission_ns=10, burst=1)
    b = GcraRule("B", emission_ns=50, burst=1)
    decision = decide_all([a, b], [1, 1], [T0 + 10, T0 + 50], T0)
    assert decision.wait_ns == 50


def test_decide_all_checks_every_cost_before_deciding() -> None:
    a = GcraRule("A", emission_ns=10, burst=5)
    b = GcraRule("B", emission_ns=10, burst=2)
    with pytest.raises(ValueError, match="rule B"):
        decide_all([a, b], [1, 3], [0, 0], T0)
    with pytest.raises(ValueError, match="same length"):
        decide_all([a, b], [1], [0, 0], T0)
    with pytest.raises(ValueError, match="at least one rule"):
        decide_all([], [], [], T0)


def test_refund_gives_back_only_the_unused_future_part() -> None:
    rule = GcraRule("R", emission_ns=100, burst=10)
    _, granted, _ = rule.decide(0, T0, 3)  # block [T0, T0+300)
    assert refund(rule, granted, granted, 3, T0) == T0
    assert refund(rule, granted, granted, 3, T0 + 100) == T0 + 100
    # Someone stacked 2 units after it: their block moves back by ours.
    _, stacked, _ = rule.decide(granted, T0, 2)
    assert refund(rule, stacked, granted, 3, T0) == T0 + 200
    # Long after: the grant is spent, nothing comes back.
    assert refund(rule, stacked, granted, 3, T0 + 10_000) == stacked


def _max_units_in_a_window(admitted: list[tuple[int, int]], window_ns: int) -> int:
    best = 0
    for i, (start, _) in enumerate(admitted):
        units = 0
        for when, cost in admitted[i:]:
            if when >= start + window_ns:
                break
            units += cost
        best = max(best, units)
    return best


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(1, 40),
    window_ns=st.integers(1, 10_000),
    burst_share=st.floats(0, 1),
    arrivals=st.lists(
        st.tuples(st.integers(0, 3_000), st.integers(1, 40)), min_size=1, max_size=120
    ),
)
def test_never_more_than_limit_units_in_any_window(
    limit: int,
    window_ns: int,
    burst_share: float,
    arrivals: list[tuple[int, int]],
) -> None:
    burst = 1 + int(burst_share * (limit - 1))
    rule = GcraRule.from_limit("R", limit, window_ns, burst)
    tat, now = 0, T0
    admitted: list[tuple[int, int]] = []
    for gap, cost in arrivals:
        now += gap
        cost = 1 + (cost - 1) % burst
        allowed, tat, wait = rule.decide(tat, now, cost)
        if allowed:
            admitted.append((now, cost))
        else:
            assert wait > 0
            # The wait is exact: admitted then, not a nanosecond before.
            assert rule.decide(tat, now + wait - 1, cost)[0] is False
            assert rule.decide(tat, now + wait, cost)[0] is True

    assert _max_units_in_a_window(admitted, window_ns) <= limit


@settings(max_examples=100, deadline=None)
@given(limit=st.integers(1, 50), burst_share=st.floats(0, 1))
def test_a_greedy_client_gets_the_sustained_rate_the_burst_leaves(
    limit: int, burst_share: float
) -> None:
    # A divisible window so the emission is exact: burst at once, then limit-burst+1 per window.
    burst = 1 + int(burst_share * (limit - 1))
    window_ns = (limit - burst + 1) * 1_000
    rule = GcraRule.from_limit("R", limit, window_ns, burst)
    tat, now, admitted = 0, T0, []
    while now < T0 + 3 * window_ns:
        allowed, tat, wait = rule.decide(tat, now, 1)
        if allowed:
            admitted.append(now)
        else:
            now += wait
    assert admitted[:burst] == [T0] * burst
    assert len(admitted) == burst + 3 * (limit - burst + 1) - 1
