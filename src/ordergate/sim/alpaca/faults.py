"""Faults the simulated broker can be told to inject, for tests of the adapter's recovery.

Each fault is armed by a test and consumed by the next request it applies to, so a test
says exactly which request goes wrong. ``operation`` is ``"submit"`` (POST /v2/orders),
``"replace"`` (PATCH /v2/orders/{id}) or ``"cancel"`` (DELETE /v2/orders/{id}):

- :meth:`Faults.drop_next`: the request is carried out, then the connection is cut before
  the answer is complete (an unknown outcome for the client; the change did happen).
- :meth:`Faults.delay_next`: the request is carried out, then its answer is held back for
  a while (longer than the client waits: a timeout; the change did happen).
- :meth:`Faults.fail_next`: the request is answered 500 *without* being carried out (an
  unknown outcome for the client; nothing changed).
- :meth:`Faults.rate_limit`: the next ``count`` API requests of any kind are answered 429
  with a Retry-After header and change nothing.

Pushing a fill for an order the broker never had goes through
:meth:`ordergate.sim.alpaca.server.AlpacaSimServer.push_unknown_fill`.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

__all__ = ["Faults", "InjectedFault", "Operation"]

Operation = Literal["submit", "replace", "cancel"]


class InjectedFault(ConnectionAbortedError):
    """Raised inside the server to cut a connection on purpose (not a bug to log)."""


class Faults:
    """Armed faults; all off until a test arms one."""

    def __init__(self) -> None:
        self._drops: Counter[str] = Counter()
        self._failures: Counter[str] = Counter()
        self._delays: dict[str, list[float]] = {}
        self._rate_limited = 0
        self.retry_after_s = 0

    def drop_next(self, operation: Operation = "submit", count: int = 1) -> None:
        """Carry out each of the next ``count`` such requests, then cut the connection."""
        self._drops[operation] += count

    def delay_next(self, seconds: float, operation: Operation = "submit") -> None:
        """Carry out the next such request, then hold its answer back by ``seconds``."""
        self._delays.setdefault(operation, []).append(seconds)

    def fail_next(self, operation: Operation = "submit", count: int = 1) -> None:
        """Answer each of the next ``count`` such requests 500 without carrying it out."""
        self._failures[operation] += count

    def rate_limit(self, count: int, retry_after_s: int = 0) -> None:
        """Answer the next ``count`` requests 429 with ``Retry-After: retry_after_s``."""
        self._rate_limited += count
        self.retry_after_s = retry_after_s

    def take_rate_limit(self) -> bool:
        """Return True (and use one up) when this request is to be rate limited."""
        if self._rate_limited == 0:
            return False
        self._rate_limited -= 1
        return True

    def take_drop(self, operation: Operation) -> bool:
        """Return True (and use it up) when this request's connection is to be cut."""
        return _take(self._drops, operation)

    def take_failure(self, operation: Operation) -> bool:
        """Return True (and use it up) when this request is to fail before it is carried out."""
        return _take(self._failures, operation)

    def take_delay(self, operation: Operation) -> float | None:
        """Return the delay of this request's answer, if one is armed (and use it up)."""
        delays = self._delays.get(operation)
        return delays.pop(0) if delays else None


def _take(counter: Counter[str], operation: str) -> bool:
    if counter[operation] == 0:
        return False
    counter[operation] -= 1
    return True
