"""The pure circuit breaker: time passed in, no sockets, no sleeps."""

from __future__ import annotations

import pytest

from ordergate.gateway.connections import (
    COUNTED_KINDS,
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
)
from ordergate.gateway.errors import VenueErrorKind

S = 1_000_000_000
T0 = 1_700_000_000 * S
K = VenueErrorKind


def breaker(**overrides: int | float) -> CircuitBreaker:
    fields: dict[str, int | float] = {
        "failure_threshold": 3,
        "window_ns": 10 * S,
        "cooldown_ns": 5 * S,
        "min_requests": 10,
        "error_rate": 0.5,
    }
    fields.update(overrides)
    return CircuitBreaker(BreakerConfig(**fields))  # type: ignore[arg-type]


def opened(at: int = T0) -> CircuitBreaker:
    b = breaker()
    for n in range(3):
        b.record_failure(K.RETRYABLE, at + n)
    assert b.state is BreakerState.OPEN
    return b


def test_closed_breaker_lets_requests_through() -> None:
    b = breaker()
    assert b.allow(T0)
    assert b.state is BreakerState.CLOSED


def test_threshold_failures_within_the_window_open_it() -> None:
    b = breaker()
    b.record_failure(K.UNKNOWN_OUTCOME, T0)
    b.record_failure(K.RETRYABLE, T0 + S)
    assert b.state is BreakerState.CLOSED
    b.record_failure(K.RATE_LIMITED, T0 + 2 * S, "429")

    assert b.state is BreakerState.OPEN
    assert not b.allow(T0 + 2 * S)
    assert b.trips == 1
    assert b.last_failure == "RATE_LIMITED: 429"


def test_failures_older_than_the_window_do_not_count() -> None:
    b = breaker()
    b.record_failure(K.RETRYABLE, T0)
    b.record_failure(K.RETRYABLE, T0 + S)
    b.record_failure(K.RETRYABLE, T0 + 11 * S)  # the first two have aged out

    assert b.state is BreakerState.CLOSED
    assert b.snapshot(T0 + 11 * S).failures_in_window == 1


def test_error_rate_over_the_threshold_opens_it_below_the_count() -> None:
    b = breaker(failure_threshold=100, min_requests=10, error_rate=0.5)
    for n in range(5):
        b.record_success(T0 + n)
    for n in range(4):
        b.record_failure(K.RETRYABLE, T0 + 10 + n)
    assert b.state is BreakerState.CLOSED  # 9 outcomes: below min_requests
    b.record_failure(K.RETRYABLE, T0 + 20)  # 5 of 10 failed

    assert b.state is BreakerState.OPEN


def test_business_rejects_never_count() -> None:
    b = breaker()
    for n in range(50):
        assert not b.record_failure(K.REJECTED, T0 + n)

    assert b.state is BreakerState.CLOSED
    assert b.snapshot(T0 + 50).failures_in_window == 0


def test_counted_kinds_are_every_kind_but_rejected() -> None:
    assert set(K) - COUNTED_KINDS == {K.REJECTED}


def test_auth_failure_opens_it_at_once() -> None:
    b = breaker()
    b.record_failure(K.AUTH, T0, "401")
    assert b.state is BreakerState.OPEN


def test_open_breaker_refuses_until_the_cooldown_then_lets_one_trial_through() -> None:
    b = opened()
    assert not b.allow(T0 + 4 * S)
    assert b.retry_at() == T0 + 2 + 5 * S

    assert b.allow(T0 + 6 * S)
    assert b.state is BreakerState.HALF_OPEN
    assert not b.allow(T0 + 6 * S + 1)  # only one trial at a time
    assert b.retry_at() is None


def test_successful_trial_closes_it_and_clears_the_window() -> None:
    b = opened()
    assert b.allow(T0 + 6 * S)
    b.record_success(T0 + 6 * S)

    assert b.state is BreakerState.CLOSED
    assert b.allow(T0 + 6 * S)
    snap = b.snapshot(T0 + 6 * S)
    assert (snap.failures_in_window, snap.opened_at, snap.retry_at) == (0, None, None)


def test_failed_trial_opens_it_for_another_cooldown() -> None:
    b = opened()
    assert b.allow(T0 + 6 * S)
    b.record_failure(K.UNKNOWN_OUTCOME, T0 + 7 * S)

    assert b.state is BreakerState.OPEN
    assert b.trips == 2
    assert not b.allow(T0 + 11 * S)
    assert b.allow(T0 + 12 * S)


def test_trial_without_an_outcome_is_replaced_after_another_cooldown() -> None:
    b = opened()
    assert b.allow(T0 + 6 * S)
    assert not b.allow(T0 + 10 * S)
    assert b.allow(T0 + 11 * S)


def test_retry_after_longer_than_the_cooldown_holds_it_open_longer() -> None:
    b = breaker()
    for n in range(3):
        b.record_failure(K.RATE_LIMITED, T0, retry_after_ns=30 * S if n == 2 else 0)
    assert not b.allow(T0 + 29 * S)
    assert b.allow(T0 + 30 * S)


def test_retry_after_while_open_extends_the_wait() -> None:
    b = opened()
    b.record_failure(K.RATE_LIMITED, T0 + S, retry_after_ns=20 * S)
    assert b.retry_at() == T0 + 21 * S


def test_failures_and_successes_while_open_do_not_close_it() -> None:
    b = opened()
    b.record_success(T0 + S)
    assert b.state is BreakerState.OPEN


def test_reset_closes_it_by_hand() -> None:
    b = opened()
    b.reset()
    assert b.state is BreakerState.CLOSED
    assert b.allow(T0)


@pytest.mark.parametrize(
    "overrides",
    [
        {"failure_threshold": 0},
        {"min_requests": 0},
        {"window_ns": 0},
        {"cooldown_ns": -1},
        {"error_rate": 0},
        {"error_rate": 1.5},
    ],
)
def test_bad_config_is_refused(overrides: dict[str, int | float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        BreakerConfig(**overrides)  # type: ignore[arg-type]
