"""The gateway's fan-out: one task takes live events and writes them to every subscriber.

The dispatcher follows the gateway's hub with one subscription of its own, taking what is
queued in batches, and offers each batch to every live
:class:`~ordergate.feed.fanout.subscriber.PushSubscriber` without awaiting. If the
dispatcher itself falls more than its buffer behind the hub, every live subscriber is sent
to catch-up from the log (announced to each), so nobody misses an event.

The dispatcher's hub subscription is taken, at the latest, when the first subscriber is
added: a subscriber's switch-over reads the log *after* joining the live set, so an event
appended after that read must already be queued for the dispatcher (the pull
subscription's "subscribe, then read" rule), even when the dispatcher has not run yet.
When the hub closes, the dispatcher delivers what was queued, then ends every subscriber
(their connections are closed normally) and any subscriber added later.
"""

from __future__ import annotations

from ordergate.feed.events import FeedEvent
from ordergate.feed.fanout.frames import FrameCache
from ordergate.feed.fanout.subscriber import PushSubscriber, Round, Sink
from ordergate.feed.filters import FeedFilter
from ordergate.feed.metrics import FeedMetrics, SubscriberStats
from ordergate.feed.service import LogFeed
from ordergate.oms.hub import SubscriberOverflow, Subscription

__all__ = ["Fanout"]


class Fanout:
    """Pushes a feed's live events to many subscribers.

    Parameters
    ----------
    feed
        The gateway's feed: its log for catch-up, its hub for live events.
    buffer
        Events a subscriber may gather while switching over from catch-up to live.
    high_water
        Bytes waiting in a subscriber's socket buffer beyond which it is sent to catch-up.
    batch
        At most this many live events are taken from the hub at a time.
    hub_buffer
        The dispatcher's own queue on the hub.
    metrics
        Where deliveries and their latency are counted.
    """

    def __init__(
        self,
        feed: LogFeed[FeedEvent],
        *,
        buffer: int = 1000,
        high_water: int = 1 << 20,
        batch: int = 256,
        hub_buffer: int = 100_000,
        metrics: FeedMetrics | None = None,
    ) -> None:
        if min(buffer, high_water, batch, hub_buffer) < 1:
            raise ValueError("buffer, high_water, batch and hub_buffer must be positive")
        self.feed = feed
        self.buffer = buffer
        self.high_water = high_water
        self.batch = batch
        self.hub_buffer = hub_buffer
        self.metrics = metrics or FeedMetrics()
        self.frames = FrameCache()
        self.live: set[PushSubscriber] = set()
        self.subscribers: set[PushSubscriber] = set()
        self.ended = False
        self._subscription: Subscription[FeedEvent] | None = None

    def add(
        self, filter: FeedFilter, after: int, sink: Sink, stats: SubscriberStats
    ) -> PushSubscriber:
        """Start delivering to a new subscriber: catch-up from ``after``, then live.

        Once the dispatcher has ended (its hub closed), the subscriber is ended at once.
        """
        subscriber = PushSubscriber(self, filter, after, sink, stats)
        if self.ended:
            subscriber.end()
            return subscriber
        self._follow()
        self.subscribers.add(subscriber)
        subscriber.start()
        return subscriber

    def _follow(self) -> Subscription[FeedEvent]:
        if self._subscription is None:
            self._subscription = self.feed.hub.subscribe(self.hub_buffer)
        return self._subscription

    def remove(self, subscriber: PushSubscriber) -> None:
        """Stop delivering to ``subscriber`` (idempotent)."""
        subscriber.close()
        self.subscribers.discard(subscriber)

    def _round(self, batch: list[tuple[int, FeedEvent]]) -> Round | None:
        first = batch[0][0]
        # Every position, not just the ends: [1, 3, 2, 4] or [5, 6, 6, 8] span as many
        # positions as they hold events, but are not consecutive.
        for offset, (position, _) in enumerate(batch):
            if position != first + offset:
                return None  # each subscriber judges every position
        events = [event for _, event in batch]
        return Round(events, b"".join(self.frames.frame(e) for e in events))

    async def run(self) -> None:
        """Dispatch live events until the hub closes (then end every subscriber)."""
        hub = self.feed.hub
        try:
            while not hub.closed:
                subscription = self._follow()
                try:
                    while batch := await subscription.batch(self.batch):
                        whole = self._round(batch)
                        written = 0
                        for subscriber in tuple(self.live):
                            written += subscriber.offer(batch, whole)
                        self.metrics.fanned_out(written, batch[0][1].ts_event)
                    return
                except SubscriberOverflow:
                    for subscriber in tuple(self.live):
                        subscriber.fall_behind()
                finally:
                    subscription.close()
                    self._subscription = None
        finally:
            self.ended = True
            for subscriber in tuple(self.subscribers):
                subscriber.end()
            self.subscribers.clear()
