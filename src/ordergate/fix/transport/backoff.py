"""Reconnect delays: exponential backoff with full jitter."""

from __future__ import annotations

import random

__all__ = ["Backoff"]


class Backoff:
    """Delays before reconnect attempts: ``uniform(0, min(maximum, initial * factor**n))``.

    Full jitter spreads the reconnects of many clients after a venue outage instead of having
    them all retry in lockstep. Pass a seeded :class:`random.Random` for repeatable delays.

    Raises:
        ValueError: when a bound is negative, ``maximum < initial`` or ``factor < 1``.
    """

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        factor: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        if initial < 0 or maximum < initial:
            raise ValueError(f"need 0 <= initial <= maximum, got {initial} and {maximum}")
        if factor < 1:
            raise ValueError(f"backoff factor must be >= 1, got {factor}")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self._rng = rng if rng is not None else random.Random()

    def ceiling(self, attempt: int) -> float:
        """Return the largest delay of failed attempt number ``attempt`` (0-based)."""
        # Cap the exponent so a long outage cannot overflow the float.
        return min(self.maximum, self.initial * self.factor ** min(attempt, 64))

    def delay(self, attempt: int) -> float:
        """Return a random delay in ``[0, ceiling(attempt)]`` for failed attempt ``attempt``."""
        return self._rng.uniform(0.0, self.ceiling(attempt))
