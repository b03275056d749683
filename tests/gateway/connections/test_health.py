"""Connection health: exact latency percentiles, rolling rates, the degraded verdict."""

from __future__ import annotations

import random

import pytest

from ordergate.gateway.connections import (
    ConnectionHealth,
    ConnectionState,
    HealthThresholds,
    LatencyWindow,
    RollingCounter,
    assess,
)
from ordergate.gateway.errors import VenueErrorKind

S = 1_000_000_000
T0 = 1_700_000_000 * S


def nearest_rank(samples: list[int], fraction: float) -> int:
    ordered = sorted(samples)
    index = max(1, -(-len(ordered) * round(fraction * 100) // 100)) - 1
    return ordered[index]


def test_percentiles_are_exact_over_the_window() -> None:
    rng = random.Random(3)
    window = LatencyWindow(size=200)
    samples = [rng.randrange(1_000_000) for _ in range(500)]
    for sample in samples:
        window.add(sample)

    kept = samples[-200:]
    assert len(window) == 200
    assert window.percentile(0.5) == nearest_rank(kept, 0.5)
    assert window.percentile(0.99) == nearest_rank(kept, 0.99)
    assert window.percentile(0) == min(kept)
    assert window.percentile(1) == max(kept)
    assert window.last == samples[-1]


def test_oldest_sample_leaves_the_window() -> None:
    window = LatencyWindow(size=2)
    for sample in (900, 10, 20):
        window.add(sample)
    assert window.percentile(1) == 20


def test_empty_window_has_no_percentiles() -> None:
    window = LatencyWindow()
    assert window.percentile(0.5) is None
    assert window.last is None


@pytest.mark.parametrize("fraction", [-0.1, 1.01])
def test_percentile_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match="fraction"):
        LatencyWindow().percentile(fraction)


def test_negative_latency_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        LatencyWindow().add(-1)


@pytest.mark.parametrize("factory", [lambda: LatencyWindow(0), lambda: RollingCounter(0)])
def test_empty_windows_are_refused(factory: object) -> None:
    with pytest.raises(ValueError, match="at least"):
        factory()  # type: ignore[operator]


def test_rolling_counter_rate_is_per_second_over_the_window() -> None:
    counter = RollingCounter(window_s=10)
    for n in range(20):
        counter.add(T0 + n * S // 2)  # two a second for ten seconds

    assert counter.in_window(T0 + 9 * S) == 20
    assert counter.rate(T0 + 9 * S) == 2.0
    assert counter.in_window(T0 + 15 * S) == 8  # seconds 6..9 remain
    assert counter.in_window(T0 + 100 * S) == 0
    assert counter.total == 20


def test_snapshot_reports_rates_errors_and_latencies() -> None:
    health = ConnectionHealth()
    health.on_connected(T0)
    for n in range(10):
        health.messages_out.add(T0 + n)
        health.request.add(1_000 * (n + 1))
    health.messages_in.add(T0)
    health.on_error(VenueErrorKind.RETRYABLE, "503", T0 + S)
    health.heartbeat.add(500)

    snap = health.snapshot(ConnectionState.CONNECTED, T0 + S)

    assert snap.state is ConnectionState.CONNECTED
    assert (snap.request_latency_ns, snap.request_p50_ns, snap.request_p99_ns) == (
        10_000,
        5_000,
        10_000,
    )
    assert snap.heartbeat_latency_ns == 500
    assert snap.messages_out_per_s == 1.0
    assert snap.messages_in_per_s == 0.1
    assert snap.requests_in_window == 10
    assert snap.error_rate == 0.1
    assert snap.last_error is not None
    assert (snap.last_error.kind, snap.last_error.message) == (VenueErrorKind.RETRYABLE, "503")
    assert snap.connected_since == T0
    assert snap.reconnects == 0


def test_every_connect_after_the_first_is_a_reconnect() -> None:
    health = ConnectionHealth()
    health.on_connected(T0)
    health.on_disconnected()
    assert health.connected_since is None
    health.on_connected(T0 + S)
    health.on_disconnected()
    health.on_connected(T0 + 2 * S)
    assert health.reconnects == 2
    assert health.connected_since == T0 + 2 * S


def test_error_rate_above_the_threshold_is_degraded() -> None:
    health = ConnectionHealth()
    for n in range(10):
        health.messages_out.add(T0 + n)
    for n in range(3):
        health.on_error(VenueErrorKind.UNKNOWN_OUTCOME, "timeout", T0 + n)
    thresholds = HealthThresholds(max_error_rate=0.2, min_requests=10)

    assert assess(health.snapshot(ConnectionState.CONNECTED, T0), thresholds)


def test_errors_below_the_minimum_request_count_are_not_degraded() -> None:
    health = ConnectionHealth()
    for n in range(3):
        health.messages_out.add(T0 + n)
        health.on_error(VenueErrorKind.UNKNOWN_OUTCOME, "timeout", T0 + n)
    thresholds = HealthThresholds(max_error_rate=0.2, min_requests=10)

    assert not assess(health.snapshot(ConnectionState.CONNECTED, T0), thresholds)


@pytest.mark.parametrize("window", ["request", "heartbeat"])
def test_slow_p99_is_degraded(window: str) -> None:
    health = ConnectionHealth()
    getattr(health, window).add(3 * S)
    thresholds = HealthThresholds(max_p99_ns=2 * S)

    assert assess(health.snapshot(ConnectionState.CONNECTED, T0), thresholds)
    assert not assess(ConnectionHealth().snapshot(ConnectionState.CONNECTED, T0), thresholds)
