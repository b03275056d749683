"""Which rules a request spends, and the bad inputs the policy refuses."""

from __future__ import annotations

import pytest

from ordergate.gateway.ratelimit.policy import RateLimitPolicy, default_burst
from ordergate.venues.base import RateLimitRule

from .rules import ALPACA_RULES, BINANCE_RULES, SECOND


def test_an_order_spends_weight_and_both_order_counts() -> None:
    policy = RateLimitPolicy(BINANCE_RULES)
    demands = policy.demands("orders", 1)
    assert [(d.rule.name, d.cost) for d in demands] == [
        ("REQUEST_WEIGHT", 1),
        ("ORDERS", 1),
        ("ORDERS_DAY", 1),
    ]


def test_a_query_spends_only_the_rules_for_every_endpoint() -> None:
    policy = RateLimitPolicy(BINANCE_RULES)
    assert [(d.rule.name, d.cost) for d in policy.demands("query", 20)] == [("REQUEST_WEIGHT", 20)]


def test_a_cost_per_rule_sets_weight_and_order_count_apart() -> None:
    policy = RateLimitPolicy(BINANCE_RULES)
    demands = policy.demands("orders", {"REQUEST_WEIGHT": 1, "ORDERS": 5, "ORDERS_DAY": 5})
    assert [d.cost for d in demands] == [1, 5, 5]


def test_default_burst_is_a_tenth_of_the_limit_and_bursts_override_it() -> None:
    assert default_burst(6000) == 600
    assert default_burst(5) == 1
    policy = RateLimitPolicy(ALPACA_RULES, bursts={"REQUESTS": 50})
    assert policy.gcra("REQUESTS").burst == 50
    assert RateLimitPolicy(ALPACA_RULES).gcra("REQUESTS").burst == 20


def test_a_rule_scope_is_a_known_endpoint() -> None:
    policy = RateLimitPolicy(
        [RateLimitRule(name="X", unit="requests", limit=5, window_ns=SECOND, scope="market")],
        endpoints=(),
    )
    assert policy.endpoints == frozenset({"market"})
    assert [d.rule.name for d in policy.demands("market")] == ["X"]


@pytest.mark.parametrize(
    ("endpoint", "cost", "message"),
    [
        ("order", 1, "unknown endpoint 'order'"),
        ("query", 0, "cost must be at least 1"),
        ("query", -3, "cost must be at least 1"),
        ("query", 601, "above the burst of 600"),
        ("query", True, "must be an int"),
        ("query", 1.5, "must be an int"),
        ("query", {"WEIGHT": 1}, "unknown rate limit rule 'WEIGHT'"),
        ("query", {"REQUEST_WEIGHT": 1, "ORDERS": 1}, "do not cover endpoint 'query'"),
        ("orders", {"REQUEST_WEIGHT": 1}, "no cost given for rules"),
        ("orders", {"REQUEST_WEIGHT": 1, "ORDERS": 0, "ORDERS_DAY": 1}, "at least 1"),
    ],
)
def test_bad_requests_are_refused_with_a_clear_error(
    endpoint: str, cost: object, message: str
) -> None:
    policy = RateLimitPolicy(BINANCE_RULES)
    with pytest.raises(ValueError, match=message):
        policy.demands(endpoint, cost)  # type: ignore[arg-type]


def test_an_endpoint_no_rule_covers_is_refused() -> None:
    policy = RateLimitPolicy(
        [RateLimitRule(name="X", unit="orders", limit=5, window_ns=SECOND, scope="orders")]
    )
    with pytest.raises(ValueError, match="no rule covers endpoint 'query'"):
        policy.demands("query")


def test_a_policy_without_rules_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one rule"):
        RateLimitPolicy([])


def test_duplicate_rule_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate rule names"):
        RateLimitPolicy([ALPACA_RULES[0], ALPACA_RULES[0]])


def test_a_burst_for_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown rules"):
        RateLimitPolicy(ALPACA_RULES, bursts={"ORDERS": 3})


def test_a_burst_above_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match=r"burst must be in 1\.\.200"):
        RateLimitPolicy(ALPACA_RULES, bursts={"REQUESTS": 201})


@pytest.mark.parametrize("name", ["", "a:b", "with space", "x" * 65, "pause!"])
def test_a_rule_name_unusable_in_a_key_is_refused(name: str) -> None:
    rule = RateLimitRule(name=name, unit="requests", limit=5, window_ns=SECOND)
    with pytest.raises(ValueError, match="bad rule name"):
        RateLimitPolicy([rule])


def test_an_endpoint_name_unusable_in_a_key_is_refused() -> None:
    with pytest.raises(ValueError, match="bad endpoint name"):
        RateLimitPolicy(ALPACA_RULES, endpoints=("a:b",))


def test_unknown_rule_lookup_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown rate limit rule"):
        RateLimitPolicy(ALPACA_RULES).gcra("NOPE")
