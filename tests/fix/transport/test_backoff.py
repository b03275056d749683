"""Reconnect delays: exponential ceiling, full jitter, repeatable with a seed."""

from __future__ import annotations

import random

import pytest

from ordergate.fix.transport import Backoff


def test_delays_stay_under_an_exponential_ceiling_capped_at_the_maximum() -> None:
    backoff = Backoff(initial=0.5, maximum=10.0, factor=2.0, rng=random.Random(1))

    ceilings = [backoff.ceiling(n) for n in range(8)]
    delays = [backoff.delay(n) for n in range(200)]

    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert all(0.0 <= d <= backoff.ceiling(n) for n, d in enumerate(delays))
    assert backoff.ceiling(10_000) == 10.0  # a long outage does not overflow


def test_full_jitter_spreads_delays_and_a_seed_repeats_them() -> None:
    first = [Backoff(rng=random.Random(42)).delay(5) for _ in range(1)]
    again = [Backoff(rng=random.Random(42)).delay(5) for _ in range(1)]
    spread = Backoff(maximum=30.0, rng=random.Random(3))
    samples = [spread.delay(6) for _ in range(100)]

    assert first == again
    assert min(samples) < 5.0 < max(samples)


@pytest.mark.parametrize(
    ("initial", "maximum", "factor", "message"),
    [
        (-1.0, 1.0, 2.0, "initial <= maximum"),
        (2.0, 1.0, 2.0, "initial <= maximum"),
        (0.5, 1.0, 0.5, "factor must be >= 1"),
    ],
)
def test_bad_bounds_are_refused(
    initial: float, maximum: float, factor: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Backoff(initial, maximum, factor)
