"""The feed service: turns stored and live order events into feed events, pages and streams.

One :class:`Feed` per process. It reads the event store (the log is the outbox) and follows
the OMS's live hub; it shares one :class:`~ordergate.feed.directory.OrderDirectory` across
all subscribers, filling it from the events it converts and, for an order whose submission
it has not seen yet, from that order's stream in the log.
"""

from __future__ import annotations

import msgspec

from ordergate.domain.events import OrderEvent, OrderSubmitted
from ordergate.eventstore import EventRecorder, StoredEvent
from ordergate.feed.cursor import Cursor
from ordergate.feed.directory import OrderDirectory, OrderTags
from ordergate.feed.events import FeedEvent, feed_event
from ordergate.feed.filters import FeedFilter
from ordergate.feed.subscription import FeedSubscription
from ordergate.oms.codec import decode_event
from ordergate.oms.hub import EventHub

__all__ = ["Feed", "FeedPage"]


class FeedPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a polling read: the matching events and where the next read starts.

    Attributes
    ----------
    items
        The matching events, in position order.
    next_from
        The last position examined: pass it as ``from`` to read the events after it.
    """

    items: list[FeedEvent]
    next_from: int


class Feed:
    """Reads and streams the execution feed of one event store and its live hub.

    Parameters
    ----------
    store
        The event store the OMS appends to.
    hub
        The OMS's live fan-out (``OrderManager.hub``).
    batch
        How many records to read from the log per query.
    buffer
        Each subscriber's live buffer: a subscriber that falls this many events behind is
        switched to reading from the log.
    """

    def __init__(
        self, store: EventRecorder, hub: EventHub, *, batch: int = 1000, buffer: int = 1000
    ) -> None:
        if batch < 1 or buffer < 1:
            raise ValueError("batch and buffer must be at least 1")
        self.store = store
        self.hub = hub
        self.batch = batch
        self.buffer = buffer
        self.directory = OrderDirectory()

    async def head(self) -> int:
        """Return the position of the last stored event (0 when the log is empty)."""
        return await self.store.last_position()

    async def from_record(self, record: StoredEvent) -> FeedEvent:
        """Return the feed event of a record read from the log."""
        return await self.from_event(record.position, decode_event(record))

    async def from_event(self, position: int, event: OrderEvent) -> FeedEvent:
        """Return the feed event of ``event`` stored at ``position`` (e.g. from the hub)."""
        tags = self.directory.apply(event)
        if tags is None:
            tags = await self._look_up(event.order_id)
        return feed_event(position, event, tags)

    async def _look_up(self, order_id: str) -> OrderTags | None:
        # The order was submitted before anything this process has converted: its first
        # event in the log names its attributes.
        records = await self.store.read_stream(order_id, 1)
        if not records:
            return None
        first = decode_event(records[0])
        return self.directory.apply(first) if isinstance(first, OrderSubmitted) else None

    async def read(
        self, filter: FeedFilter, after: int, limit: int, scan: int = 10_000
    ) -> FeedPage:
        """Return up to ``limit`` matching events after position ``after``.

        At most ``scan`` records are examined per call, so a narrow filter over a long log
        returns a short (possibly empty) page whose ``next_from`` still moves forward.

        Raises
        ------
        ValueError
            If ``after`` is negative or ``limit`` or ``scan`` is below 1.
        """
        if limit < 1 or scan < 1:
            raise ValueError("limit and scan must be at least 1")
        cursor = Cursor(after)
        items: list[FeedEvent] = []
        scanned = 0
        while len(items) < limit and scanned < scan:
            want = min(self.batch, scan - scanned)
            records = await self.store.read_all(cursor.position + 1, want)
            for record in records:
                item = await self.from_record(record)
                cursor.advance(record.position)
                scanned += 1
                if filter.matches(item):
                    items.append(item)
                    if len(items) == limit:
                        break
            if len(records) < want:
                break
        return FeedPage(items=items, next_from=cursor.position)

    def subscribe(
        self, filter: FeedFilter, after: int, buffer: int | None = None
    ) -> FeedSubscription:
        """Return a subscription to the matching events after position ``after``.

        Parameters
        ----------
        filter
            Which events to deliver.
        after
            Deliver the events after this position (0: from the start of the log).
        buffer
            This subscriber's live buffer (default: the feed's).

        Raises
        ------
        ValueError
            If ``after`` is negative.
        """
        return FeedSubscription(self, filter, Cursor(after), buffer or self.buffer)
