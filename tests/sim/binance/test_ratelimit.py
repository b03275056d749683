"""Request-weight accounting: 429 past the limit, 418 for a client that keeps going (pure)."""

from __future__ import annotations

from ordergate.sim.binance.ratelimit import WeightLimiter

S = 1_000_000_000
START = 1_000 * 60 * S  # the start of a one-minute window


def test_requests_under_the_limit_pass_and_report_used_weight() -> None:
    limiter = WeightLimiter(10)

    first = limiter.charge("ip", 4, START)
    second = limiter.charge("ip", 6, START + S)

    assert (first.status, first.used) == (200, 4)
    assert (second.status, second.used) == (200, 10)
    assert second.allowed


def test_request_past_the_limit_is_429_with_retry_after_to_the_window_end() -> None:
    limiter = WeightLimiter(10)
    limiter.charge("ip", 10, START)

    refused = limiter.charge("ip", 1, START + 15 * S)

    assert refused.status == 429
    assert not refused.allowed
    assert refused.retry_after_s == 45
    assert refused.used == 10  # a refused request costs nothing


def test_client_that_keeps_going_after_429_is_banned_with_418() -> None:
    limiter = WeightLimiter(1, ban_after=2, ban_ns=120 * S)
    limiter.charge("ip", 1, START)
    statuses = [limiter.charge("ip", 1, START + i).status for i in range(1, 5)]

    assert statuses == [429, 429, 418, 418]
    banned = limiter.charge("ip", 1, START + 61 * S)  # a new window: still banned
    assert banned.status == 418
    assert banned.retry_after_s > 0


def test_ban_ends_after_its_duration() -> None:
    limiter = WeightLimiter(1, ban_after=0, ban_ns=70 * S)
    limiter.charge("ip", 1, START)
    assert limiter.charge("ip", 1, START + 1).status == 418
    assert limiter.charge("ip", 1, START + 61 * S).status == 418  # a new window, still banned

    assert limiter.charge("ip", 1, START + 71 * S).status == 200


def test_new_window_resets_the_weight() -> None:
    limiter = WeightLimiter(5)
    limiter.charge("ip", 5, START)

    again = limiter.charge("ip", 5, START + 60 * S)

    assert (again.status, again.used) == (200, 5)


def test_clients_are_counted_apart() -> None:
    limiter = WeightLimiter(5)
    limiter.charge("a", 5, START)

    assert limiter.charge("b", 5, START).allowed
    assert limiter.used("a", START) == 5
