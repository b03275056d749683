"""A circuit breaker per broker: stop sending to a venue that keeps failing, then probe it.

Theory of operation
-------------------
The breaker is a pure object; every call takes the current time in nanoseconds.

- ``CLOSED``: requests flow. Each outcome is recorded; failures within the last
  ``window_ns`` are counted. The breaker opens when ``failure_threshold`` failures fall in
  the window, or when at least ``min_requests`` outcomes fall in it and the failed share
  reaches ``error_rate``. An ``AUTH`` failure opens it at once: credentials do not heal.
- ``OPEN``: :meth:`CircuitBreaker.allow` refuses everything, so orders are refused fast
  instead of queueing behind a venue that is not answering. After ``cooldown_ns`` (or the
  venue's Retry-After, if longer) the next :meth:`allow` moves to ``HALF_OPEN``.
- ``HALF_OPEN``: exactly one trial is let through (another one only if the first has had
  no outcome for a further cool-down). Its success closes the breaker (and
  clears the window); its failure opens it again for another cool-down.

Which errors count (:data:`COUNTED_KINDS`): ``UNKNOWN_OUTCOME`` (timeouts, dropped
connections: the venue is not answering), ``RETRYABLE`` (overloaded, in maintenance),
``RATE_LIMITED`` (sending more only makes it worse, so backing off is the cure) and ``AUTH``
(nothing will work until the credentials are fixed). ``REJECTED`` never counts: a business
reject is the venue working correctly, and a strategy sending bad orders must not cut every
other strategy off the broker.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum
from typing import Final

import msgspec

from ordergate.gateway.connections.state import StateMachine
from ordergate.gateway.errors import VenueErrorKind

__all__ = [
    "BREAKER_TRANSITIONS",
    "COUNTED_KINDS",
    "BreakerConfig",
    "BreakerSnapshot",
    "BreakerState",
    "BreakerTrigger",
    "CircuitBreaker",
]

_NS_PER_S = 1_000_000_000


class BreakerState(StrEnum):
    """Whether the breaker lets requests through."""

    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class BreakerTrigger(StrEnum):
    """What moves the breaker."""

    TRIP = "TRIP"
    COOLED_DOWN = "COOLED_DOWN"
    TRIAL_SUCCEEDED = "TRIAL_SUCCEEDED"
    TRIAL_FAILED = "TRIAL_FAILED"
    RESET = "RESET"


_B = BreakerState
_BT = BreakerTrigger

BREAKER_TRANSITIONS: Final[dict[tuple[BreakerState, BreakerTrigger], BreakerState]] = {
    (_B.CLOSED, _BT.TRIP): _B.OPEN,
    (_B.OPEN, _BT.COOLED_DOWN): _B.HALF_OPEN,
    (_B.HALF_OPEN, _BT.TRIAL_SUCCEEDED): _B.CLOSED,
    (_B.HALF_OPEN, _BT.TRIAL_FAILED): _B.OPEN,
    # An operator closes the breaker by hand (after fixing credentials, say).
    (_B.OPEN, _BT.RESET): _B.CLOSED,
    (_B.HALF_OPEN, _BT.RESET): _B.CLOSED,
    (_B.CLOSED, _BT.RESET): _B.CLOSED,
}

COUNTED_KINDS: Final = frozenset(
    {
        VenueErrorKind.UNKNOWN_OUTCOME,
        VenueErrorKind.RETRYABLE,
        VenueErrorKind.RATE_LIMITED,
        VenueErrorKind.AUTH,
    }
)


class BreakerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """When the breaker opens and how long it stays open.

    Raises
    ------
    ValueError
        A threshold below 1, a window or cool-down not positive, or an error rate outside
        ``(0, 1]``.
    """

    failure_threshold: int = 5
    window_ns: int = 10 * _NS_PER_S
    error_rate: float = 0.5
    min_requests: int = 20
    cooldown_ns: int = 5 * _NS_PER_S

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.min_requests < 1:
            raise ValueError("failure_threshold and min_requests must be at least 1")
        if self.window_ns <= 0 or self.cooldown_ns <= 0:
            raise ValueError("window_ns and cooldown_ns must be positive")
        if not 0 < self.error_rate <= 1:
            raise ValueError(f"error_rate must be in (0, 1], got {self.error_rate}")


class BreakerSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The breaker as it stands, for status pages."""

    state: BreakerState
    failures_in_window: int
    requests_in_window: int
    opened_at: int | None
    retry_at: int | None
    last_failure: str | None
    trips: int


class CircuitBreaker:
    """The pure breaker of one broker (see the module docstring).

    Parameters
    ----------
    config
        Thresholds and cool-down.
    """

    def __init__(self, config: BreakerConfig | None = None) -> None:
        self.config = config if config is not None else BreakerConfig()
        self._fsm = StateMachine(BREAKER_TRANSITIONS, BreakerState.CLOSED)
        self._outcomes: deque[tuple[int, bool]] = deque()  # (ts, failed), oldest first
        self._failures = 0
        self._opened_at: int | None = None
        self._retry_at: int | None = None
        self._trial_at: int | None = None
        self.last_failure: str | None = None
        self.trips = 0

    @property
    def state(self) -> BreakerState:
        """Return the current state (as of the last call; ``allow`` moves OPEN on)."""
        return self._fsm.state

    def allow(self, now: int) -> bool:
        """Return True if a request may go out now; in HALF_OPEN, only the one trial may."""
        state = self._fsm.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN:
            assert self._retry_at is not None
            if now < self._retry_at:
                return False
            self._fsm.trigger(BreakerTrigger.COOLED_DOWN)
            self._trial_at = now
            return True
        # A trial whose outcome never came back (nobody answered) must not wedge the
        # breaker: after another cool-down the next request becomes the trial.
        if self._trial_at is not None and now < self._trial_at + self.config.cooldown_ns:
            return False
        self._trial_at = now
        return True

    def record_success(self, now: int) -> None:
        """Record a request the venue answered (or a probe that went through)."""
        state = self._fsm.state
        if state is BreakerState.HALF_OPEN:
            self._fsm.trigger(BreakerTrigger.TRIAL_SUCCEEDED)
            self._clear()
        elif state is BreakerState.CLOSED:
            self._add(now, failed=False)

    def record_failure(
        self, kind: VenueErrorKind, now: int, reason: str = "", retry_after_ns: int = 0
    ) -> bool:
        """Record a failed request; return True if it counted (``REJECTED`` never does)."""
        if kind not in COUNTED_KINDS:
            return False
        self.last_failure = f"{kind.value}: {reason}" if reason else kind.value
        state = self._fsm.state
        if state is BreakerState.HALF_OPEN:
            self._fsm.trigger(BreakerTrigger.TRIAL_FAILED)
            self._open(now, retry_after_ns)
        elif state is BreakerState.CLOSED:
            self._add(now, failed=True)
            if kind is VenueErrorKind.AUTH or self._should_trip():
                self._fsm.trigger(BreakerTrigger.TRIP)
                self._open(now, retry_after_ns)
        elif self._retry_at is not None:  # OPEN: a longer Retry-After still extends the wait
            self._retry_at = max(self._retry_at, now + retry_after_ns)
        return True

    def reset(self) -> None:
        """Close the breaker by hand and forget the window."""
        self._fsm.trigger(BreakerTrigger.RESET)
        self._clear()

    def retry_at(self) -> int | None:
        """Return when an OPEN breaker lets its trial through (None unless OPEN)."""
        return self._retry_at if self._fsm.state is BreakerState.OPEN else None

    def snapshot(self, now: int) -> BreakerSnapshot:
        """Return the breaker's state and window as of ``now``."""
        self._expire(now)
        return BreakerSnapshot(
            state=self._fsm.state,
            failures_in_window=self._failures,
            requests_in_window=len(self._outcomes),
            opened_at=self._opened_at,
            retry_at=self.retry_at(),
            last_failure=self.last_failure,
            trips=self.trips,
        )

    def _add(self, now: int, *, failed: bool) -> None:
        self._outcomes.append((now, failed))
        self._failures += failed
        self._expire(now)

    def _expire(self, now: int) -> None:
        horizon = now - self.config.window_ns
        outcomes = self._outcomes
        while outcomes and outcomes[0][0] <= horizon:
            _, failed = outcomes.popleft()
            self._failures -= failed

    def _should_trip(self) -> bool:
        config = self.config
        if self._failures >= config.failure_threshold:
            return True
        total = len(self._outcomes)
        return total >= config.min_requests and self._failures >= config.error_rate * total

    def _open(self, now: int, retry_after_ns: int) -> None:
        self.trips += 1
        self._opened_at = now
        self._retry_at = now + max(self.config.cooldown_ns, retry_after_ns)
        self._trial_at = None
        self._outcomes.clear()
        self._failures = 0

    def _clear(self) -> None:
        self._outcomes.clear()
        self._failures = 0
        self._opened_at = None
        self._retry_at = None
        self._trial_at = None
