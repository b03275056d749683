"""When DAY and GTD orders expire.

A DAY order expires at the first session close strictly after it was accepted (the close is
a time of day in UTC, the same every day: the simulator has no holiday calendar); a GTD order
at its own ``expire_time``. Due orders come out of a heap ordered by ``(expire_at, seq)``,
so expiries are reported in time order and, at equal times, in arrival order.

Entries are never removed early: an order that finished or whose time in force was replaced
leaves a stale entry behind, recognised on the way out because the order is terminal or its
``expire_at`` no longer matches. That keeps cancels O(1).
"""

from __future__ import annotations

import heapq

from ordergate.domain.values import TimeInForce
from ordergate.sim.orders import SimOrder

__all__ = ["DAY_NS", "ExpiryQueue"]

DAY_NS = 86_400 * 1_000_000_000


class ExpiryQueue:
    """Open DAY and GTD orders by the time they expire.

    Parameters
    ----------
    session_close_ns
        Time of day (nanoseconds after UTC midnight) at which DAY orders expire.
    """

    __slots__ = ("_heap", "session_close_ns")

    def __init__(self, session_close_ns: int) -> None:
        if not 0 <= session_close_ns < DAY_NS:
            raise ValueError("session close must be a time of day in [0, 24h)")
        self.session_close_ns = session_close_ns
        self._heap: list[tuple[int, int, SimOrder]] = []

    def schedule(self, order: SimOrder, now: int) -> None:
        """Set ``order.expire_at`` from its time in force and remember it (GTC: no-op)."""
        if order.time_in_force is TimeInForce.DAY:
            expire_at = now - now % DAY_NS + self.session_close_ns
            if expire_at <= now:
                expire_at += DAY_NS
            order.expire_at = expire_at
        elif order.time_in_force is TimeInForce.GTD and order.expire_at is not None:
            expire_at = order.expire_at
        else:
            order.expire_at = None
            return
        heapq.heappush(self._heap, (expire_at, order.seq, order))

    def pop_due(self, now: int) -> list[SimOrder]:
        """Remove and return the open orders whose expiry is at or before ``now``."""
        heap = self._heap
        due: list[SimOrder] = []
        while heap and heap[0][0] <= now:
            expire_at, _, order = heapq.heappop(heap)
            if not order.status.is_terminal and order.expire_at == expire_at:
                due.append(order)
        return due
