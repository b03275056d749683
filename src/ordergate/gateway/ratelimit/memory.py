"""The in-process store, for an ordergate instance that is alone on its accounts."""

from __future__ import annotations

from collections.abc import Sequence

from ordergate.clock import Clock
from ordergate.gateway.ratelimit.gcra import Decision, decide_all, refund
from ordergate.gateway.ratelimit.policy import Demand

__all__ = ["MemoryRateLimitStore"]


class MemoryRateLimitStore:
    """GCRA state in a dict, timed by ``clock``; the same contract as the Redis store.

    Parameters
    ----------
    clock
        The time every decision is made at.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tats: dict[tuple[str, str, str], int] = {}
        self._paused_until: dict[tuple[str, str], int] = {}

    async def acquire(self, venue: str, account: str, demands: Sequence[Demand]) -> Decision:
        """Admit the request if every rule and the pause allow it, else say how long to wait."""
        return self.acquire_now(venue, account, demands)

    def acquire_now(self, venue: str, account: str, demands: Sequence[Demand]) -> Decision:
        """Do what :meth:`acquire` does, synchronously."""
        now = self._clock.now_ns()
        rules = [demand.rule for demand in demands]
        costs = [demand.cost for demand in demands]
        keys = [(venue, account, rule.name) for rule in rules]
        # A stale state (behind now) means the same as none; 0 is behind every now.
        tats = [self._tats.get(key, 0) for key in keys]
        decision = decide_all(rules, costs, tats, now)
        paused_for = self._paused_until.get((venue, account), 0) - now
        if paused_for > 0:
            return Decision(False, tuple(tats), max(paused_for, decision.wait_ns))
        if decision.allowed:
            for key, tat in zip(keys, decision.tats, strict=True):
                self._tats[key] = tat
        return decision

    async def refund(
        self, venue: str, account: str, demands: Sequence[Demand], tats: Sequence[int]
    ) -> None:
        """Give back a grant nobody used; ``tats`` is what :meth:`acquire` returned."""
        now = self._clock.now_ns()
        for demand, granted in zip(demands, tats, strict=True):
            key = (venue, account, demand.rule.name)
            current = self._tats.get(key)
            if current is not None:
                self._tats[key] = refund(demand.rule, current, granted, demand.cost, now)

    async def pause(self, venue: str, account: str, duration_ns: int) -> None:
        """Admit nothing for ``duration_ns`` from now (a pause never shortens).

        Raises
        ------
        ValueError
            If ``duration_ns`` is negative.
        """
        if duration_ns < 0:
            raise ValueError(f"a pause cannot be negative, got {duration_ns} ns")
        key = (venue, account)
        until = self._clock.now_ns() + duration_ns
        self._paused_until[key] = max(self._paused_until.get(key, 0), until)

    def tat(self, venue: str, account: str, rule: str) -> int | None:
        """Return a rule's stored state, or None if it has none (for inspection and tests)."""
        return self._tats.get((venue, account, rule))

    async def aclose(self) -> None:
        """Release nothing: the store holds no connections."""
