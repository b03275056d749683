"""The feed's metrics: per subscriber (lag, delivered, sent to catch-up) and per process.

Per-subscriber figures are kept in :class:`SubscriberStats` and listed by
``GET /api/feed/subscribers`` (a Prometheus label per subscriber would grow without bound);
Prometheus gets the process's totals, a gauge of connected subscribers and the histogram of
end-to-end latency: from the event's timestamp (the OMS stamps an event as it commits it)
to the moment its frame is written to the subscriber's socket.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ordergate.feed.events import Control, FeedEvent
from ordergate.feed.filters import FeedFilter

__all__ = ["FeedMetrics", "SubscriberStats"]

_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)


def _filter_json(filter: FeedFilter) -> dict[str, list[str]]:
    return {
        name: sorted(values)
        for name, values in (
            ("accounts", filter.accounts),
            ("portfolios", filter.portfolios),
            ("strategies", filter.strategies),
            ("symbols", filter.symbols),
            ("venues", filter.venues),
            ("types", filter.types),
        )
        if values
    }


class SubscriberStats:
    """One connected subscriber's figures, updated as its frames are written."""

    def __init__(
        self,
        metrics: FeedMetrics,
        id: int,
        transport: str,
        principal: str,
        filter: FeedFilter,
        position: int,
    ) -> None:
        self._metrics = metrics
        self.id = id
        self.transport = transport
        self.principal = principal
        self.filter = filter
        self.position = position
        self.delivered = 0
        self.catch_ups = 0
        self.last_event_ts: int | None = None
        self.connected_ns = metrics.clock()

    def sent(self, item: FeedEvent | Control) -> None:
        """Count ``item`` as written to the subscriber's socket."""
        self.position = item.position
        if isinstance(item, Control):
            if item.kind == "catching_up":
                self.catch_ups += 1
                self._metrics.catch_ups.inc()
            return
        self.delivered += 1
        self.last_event_ts = item.ts_event
        self._metrics.deliveries.inc()
        self._metrics.latency.observe(max(0, self._metrics.clock() - item.ts_event) / 1e9)

    def sent_events(self, events: list[FeedEvent], position: int) -> None:
        """Count a batch of events written in one go, the cursor then at ``position``.

        Only this subscriber's figures: the fan-out adds the process's totals once per
        round (see :meth:`FeedMetrics.fanned_out`), not once per subscriber.
        """
        self.position = position
        self.delivered += len(events)
        self.last_event_ts = events[-1].ts_event

    def to_json(self, head: int, now_ns: int) -> dict[str, Any]:
        """Return the subscriber's status against the feed's ``head`` position."""
        lag_events = max(0, head - self.position)
        lag_seconds = (
            max(0, now_ns - self.last_event_ts) / 1e9
            if lag_events and self.last_event_ts is not None
            else 0.0
        )
        return {
            "id": self.id,
            "transport": self.transport,
            "principal": self.principal,
            "filter": _filter_json(self.filter),
            "position": self.position,
            "lag_events": lag_events,
            "lag_seconds": lag_seconds,
            "delivered": self.delivered,
            "catch_ups": self.catch_ups,
            "connected_seconds": max(0, now_ns - self.connected_ns) / 1e9,
        }


class FeedMetrics:
    """The feed's metrics in one process, on a registry of its own.

    Parameters
    ----------
    registry
        Where the Prometheus metrics are registered (a new one by default, so several
        applications in one process do not collide).
    clock
        Wall-clock nanoseconds (the timebase of event timestamps).
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self.clock = clock
        self.deliveries = Counter(
            "ordergate_feed_deliveries", "Events written to subscribers", registry=self.registry
        )
        self.catch_ups = Counter(
            "ordergate_feed_catch_ups",
            "Times a subscriber fell behind and was switched to catch-up",
            registry=self.registry,
        )
        self.published = Counter(
            "ordergate_feed_published", "Events published to JetStream", registry=self.registry
        )
        self.connected = Gauge(
            "ordergate_feed_subscribers", "Connected subscribers", registry=self.registry
        )
        self.latency = Histogram(
            "ordergate_feed_delivery_latency_seconds",
            "Event timestamp to frame written to the subscriber's socket",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._ids = itertools.count(1)
        self.subscribers: dict[int, SubscriberStats] = {}

    def connect(
        self, transport: str, principal: str, filter: FeedFilter, position: int
    ) -> SubscriberStats:
        """Register a subscriber; :meth:`disconnect` it when it leaves."""
        stats = SubscriberStats(self, next(self._ids), transport, principal, filter, position)
        self.subscribers[stats.id] = stats
        self.connected.inc()
        return stats

    def fanned_out(self, deliveries: int, oldest_ts: int) -> None:
        """Count one fan-out round: ``deliveries`` events written, the oldest stamped
        ``oldest_ts``; its latency (to the round's end, the last socket written) bounds that
        of every delivery in the round."""
        if deliveries:
            self.deliveries.inc(deliveries)
            self.latency.observe(max(0, self.clock() - oldest_ts) / 1e9)

    def disconnect(self, stats: SubscriberStats) -> None:
        """Forget a subscriber (idempotent)."""
        if self.subscribers.pop(stats.id, None) is not None:
            self.connected.dec()

    def status(self, head: int) -> list[dict[str, Any]]:
        """Return every connected subscriber's status against ``head``."""
        now = self.clock()
        return [s.to_json(head, now) for s in self.subscribers.values()]
