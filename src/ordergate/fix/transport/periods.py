"""Session schedules in the asyncio shell: waiting for period boundaries, stale stores.

The schedule itself (:mod:`ordergate.fix.schedule`) is pure; this module turns its answers
into sleeps and timers on the event loop, measured with the session's :class:`Clock`.
Waits of more than a minute are taken a minute at a time, re-reading the clock in between,
so a wall-clock step (NTP, a suspended host) moves the wake-up with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from ordergate.clock import Clock
from ordergate.fix.store.base import MessageStore

__all__ = ["PeriodEndTimer", "reset_stale_store", "sleep_until"]

log = structlog.get_logger("ordergate.fix.transport")

_NS = 1_000_000_000
#: Longest single sleep or timer towards a boundary (then the clock is re-read).
MAX_WAIT = 60.0
# Wake this much after a boundary: the loop's monotonic clock and the wall clock drift
# apart by microseconds, and waking before the boundary only means waiting again.
_SLACK = 0.001


async def sleep_until(clock: Clock, deadline: int) -> None:
    """Sleep until ``clock`` reaches ``deadline`` (ns since the epoch)."""
    while True:
        remaining = deadline - clock.now_ns()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining / _NS + _SLACK, MAX_WAIT))


def reset_stale_store(store: MessageStore, period_start: int, now: int, session_id: str) -> bool:
    """Reset ``store`` when its sequence began before ``period_start``; return True if so.

    A durable store persists the reset with its next flush.
    """
    if store.creation_time() >= period_start:
        return False
    log.info(
        "fix sequence reset for a new session period",
        session=session_id,
        next_sender_seq=store.next_sender_seq(),
        next_target_seq=store.next_target_seq(),
    )
    store.reset(now)
    return True


class PeriodEndTimer:
    """Call a function once ``clock`` reaches a period's end (one pending end at a time)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._handle: asyncio.TimerHandle | None = None

    def arm(self, end: int, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the clock reaches ``end``, replacing any pending end."""
        self.cancel()
        remaining = (end - self._clock.now_ns()) / _NS
        if remaining <= 0:
            callback()
            return
        loop = asyncio.get_running_loop()
        delay = min(remaining + _SLACK, MAX_WAIT)
        self._handle = loop.call_later(delay, self.arm, end, callback)

    def cancel(self) -> None:
        """Forget the pending end, if any."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
