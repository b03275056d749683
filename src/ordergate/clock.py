"""Clocks. Time is injected into every core as a clock object, never read from the wall.

Timestamps are integer nanoseconds since the Unix epoch (``ts_event``, ``ts_init``).
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "LiveClock", "TestClock"]


class Clock(Protocol):
    """Anything that tells the time in integer nanoseconds since the epoch."""

    def now_ns(self) -> int:
        """Return the current time in nanoseconds."""
        ...


class LiveClock:
    """The wall clock, for the imperative shell."""

    def now_ns(self) -> int:
        """Return the wall-clock time in nanoseconds."""
        return time.time_ns()


class TestClock:
    """A clock that moves only when told to, for deterministic tests and simulations."""

    __test__ = False  # not a pytest test class

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        """Return the clock's current time."""
        return self._now

    def advance(self, ns: int) -> int:
        """Move the clock forward by ``ns`` nanoseconds and return the new time."""
        if ns < 0:
            raise ValueError("a clock never goes backwards")
        self._now += ns
        return self._now

    def set(self, now_ns: int) -> None:
        """Set the clock to ``now_ns``, which must not be in its past."""
        if now_ns < self._now:
            raise ValueError("a clock never goes backwards")
        self._now = now_ns
