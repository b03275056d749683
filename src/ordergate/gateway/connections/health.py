"""Health of one venue connection: latency percentiles, message and error rates, last error.

Everything here is pure: every call takes the current time in nanoseconds.

- Latency: the last ``size`` samples in arrival order plus the same samples kept sorted
  (``bisect.insort``), so p50/p99 are exact over the window and cost one binary search to
  read; adding a sample costs one insort and one removal, which for a window of about a
  thousand integers is a short memmove.
- Rates: counts in one-second buckets over a rolling window (default ten seconds), so a
  rate is "per second over the last ten seconds" and old traffic ages out.
- The verdict (:func:`assess`) says whether a connected connection is degraded: too many
  errors, or a p99 above a limit. The shell feeds it into the connection state machine.
"""

from __future__ import annotations

import bisect
import math
from collections import deque

import msgspec

from ordergate.gateway.connections.state import ConnectionState
from ordergate.gateway.errors import VenueErrorKind

__all__ = [
    "ConnectionHealth",
    "HealthSnapshot",
    "HealthThresholds",
    "LastError",
    "LatencyWindow",
    "RollingCounter",
    "assess",
]

_NS_PER_S = 1_000_000_000


class LatencyWindow:
    """The last ``size`` latency samples, with exact percentiles over them.

    Raises
    ------
    ValueError
        If ``size`` is below 1.
    """

    def __init__(self, size: int = 1024) -> None:
        if size < 1:
            raise ValueError(f"window size must be at least 1, got {size}")
        self.size = size
        self._arrivals: deque[int] = deque()
        self._sorted: list[int] = []
        self.last: int | None = None

    def __len__(self) -> int:
        return len(self._arrivals)

    def add(self, latency_ns: int) -> None:
        """Add one sample, dropping the oldest once the window is full.

        Raises
        ------
        ValueError
            If ``latency_ns`` is negative.
        """
        if latency_ns < 0:
            raise ValueError(f"latency cannot be negative, got {latency_ns}")
        self.last = latency_ns
        self._arrivals.append(latency_ns)
        bisect.insort(self._sorted, latency_ns)
        if len(self._arrivals) > self.size:
            oldest = self._arrivals.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, oldest)]

    def percentile(self, fraction: float) -> int | None:
        """Return the sample at ``fraction`` (nearest rank), or None with no samples.

        Raises
        ------
        ValueError
            If ``fraction`` is outside ``[0, 1]``.
        """
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be in [0, 1], got {fraction}")
        samples = self._sorted
        if not samples:
            return None
        # Nearest rank: the smallest sample with at least `fraction` of the samples at or below.
        rank = max(1, math.ceil(fraction * len(samples)))
        return samples[rank - 1]


class RollingCounter:
    """Counts in one-second buckets over the last ``window_s`` seconds.

    Raises
    ------
    ValueError
        If ``window_s`` is below 1.
    """

    def __init__(self, window_s: int = 10) -> None:
        if window_s < 1:
            raise ValueError(f"window must be at least one second, got {window_s}")
        self.window_s = window_s
        self._buckets: deque[tuple[int, int]] = deque()  # (second, count)
        self.total = 0

    def add(self, now: int, count: int = 1) -> None:
        """Count ``count`` events at ``now``."""
        second = now // _NS_PER_S
        self.total += count
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1] = (second, self._buckets[-1][1] + count)
        else:
            self._buckets.append((second, count))
        self._expire(second)

    def in_window(self, now: int) -> int:
        """Return the events counted in the window ending at ``now``."""
        self._expire(now // _NS_PER_S)
        return sum(count for _, count in self._buckets)

    def rate(self, now: int) -> float:
        """Return events per second over the window ending at ``now``."""
        return self.in_window(now) / self.window_s

    def _expire(self, second: int) -> None:
        horizon = second - self.window_s
        while self._buckets and self._buckets[0][0] <= horizon:
            self._buckets.popleft()


class LastError(msgspec.Struct, frozen=True, kw_only=True):
    """The most recent error on a connection."""

    kind: VenueErrorKind
    message: str
    ts_event: int


class HealthSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A connection's health as of one instant (what the status API shows)."""

    state: ConnectionState
    heartbeat_latency_ns: int | None
    heartbeat_p50_ns: int | None
    heartbeat_p99_ns: int | None
    request_latency_ns: int | None
    request_p50_ns: int | None
    request_p99_ns: int | None
    messages_in_per_s: float
    messages_out_per_s: float
    errors_per_s: float
    requests_in_window: int
    error_rate: float
    """Errors over requests sent, in the rate window (0 with no requests)."""
    last_error: LastError | None
    connected_since: int | None
    reconnects: int
    in_flight: int


class HealthThresholds(msgspec.Struct, frozen=True, kw_only=True):
    """When a connected connection counts as degraded.

    ``max_error_rate`` applies once ``min_requests`` requests fell in the window;
    ``max_p99_ns`` applies to the request (ack) latency, and to the heartbeat latency.
    """

    max_error_rate: float = 0.2
    min_requests: int = 10
    max_p99_ns: int = 2 * _NS_PER_S


class ConnectionHealth:
    """What is known about one connection's health (pure: time passed in)."""

    def __init__(self, latency_window: int = 1024, rate_window_s: int = 10) -> None:
        self.heartbeat = LatencyWindow(latency_window)
        self.request = LatencyWindow(latency_window)
        self.messages_in = RollingCounter(rate_window_s)
        self.messages_out = RollingCounter(rate_window_s)
        self.errors = RollingCounter(rate_window_s)
        self.last_error: LastError | None = None
        self.connected_since: int | None = None
        self.reconnects = 0
        self.in_flight = 0
        self._ever_connected = False

    def on_connected(self, now: int) -> None:
        """Note that the connection came up; every time after the first is a reconnect."""
        if self._ever_connected:
            self.reconnects += 1
        self._ever_connected = True
        self.connected_since = now

    def on_disconnected(self) -> None:
        """Note that the connection went down."""
        self.connected_since = None

    def on_error(self, kind: VenueErrorKind, message: str, now: int) -> None:
        """Count one error and keep it as the last error."""
        self.errors.add(now)
        self.last_error = LastError(kind=kind, message=message, ts_event=now)

    def snapshot(self, state: ConnectionState, now: int) -> HealthSnapshot:
        """Return the health as of ``now``, in ``state``."""
        sent = self.messages_out.in_window(now)
        errors = self.errors.in_window(now)
        return HealthSnapshot(
            state=state,
            heartbeat_latency_ns=self.heartbeat.last,
            heartbeat_p50_ns=self.heartbeat.percentile(0.5),
            heartbeat_p99_ns=self.heartbeat.percentile(0.99),
            request_latency_ns=self.request.last,
            request_p50_ns=self.request.percentile(0.5),
            request_p99_ns=self.request.percentile(0.99),
            messages_in_per_s=self.messages_in.rate(now),
            messages_out_per_s=self.messages_out.rate(now),
            errors_per_s=self.errors.rate(now),
            requests_in_window=sent,
            error_rate=min(1.0, errors / sent) if sent else 0.0,
            last_error=self.last_error,
            connected_since=self.connected_since,
            reconnects=self.reconnects,
            in_flight=self.in_flight,
        )


def assess(snapshot: HealthSnapshot, thresholds: HealthThresholds) -> bool:
    """Return True if the connection is degraded: failing too often, or too slow at p99."""
    if (
        snapshot.requests_in_window >= thresholds.min_requests
        and snapshot.error_rate > thresholds.max_error_rate
    ):
        return True
    for p99 in (snapshot.request_p99_ns, snapshot.heartbeat_p99_ns):
        if p99 is not None and p99 > thresholds.max_p99_ns:
            return True
    return False
