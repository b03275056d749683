"""Where GCRA state lives: the interface every backend (memory, Redis) implements.

A store keeps one theoretical arrival time per rule of each ``(venue, account)`` and a
pause (a venue's Retry-After) per ``(venue, account)``. Each call is atomic: a request's
rules are all checked and updated together, whatever other limiters share the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ordergate.gateway.ratelimit.gcra import Decision
from ordergate.gateway.ratelimit.policy import Demand

__all__ = ["RateLimitStore"]


class RateLimitStore(Protocol):
    """GCRA state for many venues and accounts."""

    async def acquire(self, venue: str, account: str, demands: Sequence[Demand]) -> Decision:
        """Admit the request if every rule and the pause allow it, else say how long to wait.

        When admitted, ``tats`` are the rules' new states (what :meth:`refund` takes); a
        refused request changes nothing, and while paused ``wait_ns`` is the pause left.
        """
        ...

    async def refund(
        self, venue: str, account: str, demands: Sequence[Demand], tats: Sequence[int]
    ) -> None:
        """Give back a grant nobody used; ``tats`` is what :meth:`acquire` returned."""
        ...

    async def pause(self, venue: str, account: str, duration_ns: int) -> None:
        """Admit nothing for ``duration_ns`` from now (a pause never shortens)."""
        ...

    async def aclose(self) -> None:
        """Release what the store holds (connections)."""
        ...
