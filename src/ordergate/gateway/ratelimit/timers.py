"""Wake-ups at a clock's time: the asyncio loop's for live use, a simulated one for tests.

The limiter never sleeps on the wall clock itself; it asks a :class:`Timer` to call it back
at an instant of its clock. :class:`LoopTimer` arms the running loop; :class:`SimulatedTimer`
fires callbacks only when the simulation moves its :class:`~ordergate.clock.TestClock` on,
so tests and simulations run the limiter in simulated time without sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ordergate.clock import Clock, TestClock

__all__ = ["LoopTimer", "SimulatedTimer", "Timer", "TimerHandle"]


class TimerHandle(Protocol):
    """An armed wake-up."""

    def cancel(self) -> None:
        """Disarm it; a fired or cancelled handle ignores this."""
        ...


@runtime_checkable
class Timer(Protocol):
    """A clock that can also call back at one of its instants."""

    def now_ns(self) -> int:
        """Return the current time in nanoseconds."""
        ...

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> TimerHandle:
        """Call ``callback`` once the time reaches ``when_ns``."""
        ...


class LoopTimer:
    """Wake-ups on the running asyncio loop, at instants of ``clock`` (a live clock)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now_ns(self) -> int:
        """Return the clock's time."""
        return self._clock.now_ns()

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> TimerHandle:
        """Arm the running loop to call ``callback`` after the time left until ``when_ns``."""
        delay_s = max(0, when_ns - self._clock.now_ns()) / 1e9
        return asyncio.get_running_loop().call_later(delay_s, callback)


class _SimulatedHandle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class SimulatedTimer:
    """Wake-ups in simulated time: :meth:`advance` moves the clock and fires what is due.

    Parameters
    ----------
    clock
        The clock it owns; move it only through :meth:`advance` so nothing due is missed.
    """

    def __init__(self, clock: TestClock) -> None:
        self.clock = clock
        self._due: list[tuple[int, int, _SimulatedHandle, Callable[[], None]]] = []
        self._seq = itertools.count()

    def now_ns(self) -> int:
        """Return the clock's time."""
        return self.clock.now_ns()

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> TimerHandle:
        """Call ``callback`` when :meth:`advance` reaches ``when_ns`` (at once if past)."""
        handle = _SimulatedHandle()
        heapq.heappush(self._due, (when_ns, next(self._seq), handle, callback))
        self._fire()
        return handle

    def advance(self, ns: int) -> int:
        """Move the clock on by ``ns``, fire every callback now due, and return the time."""
        now = self.clock.advance(ns)
        self._fire()
        return now

    def next_due(self) -> int | None:
        """Return the earliest armed instant, or None."""
        while self._due and self._due[0][2].cancelled:
            heapq.heappop(self._due)
        return self._due[0][0] if self._due else None

    def _fire(self) -> None:
        now = self.clock.now_ns()
        while self._due and self._due[0][0] <= now:
            _, _, handle, callback = heapq.heappop(self._due)
            if not handle.cancelled:
                handle.cancelled = True
                callback()
