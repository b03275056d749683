"""Where a feed reads its history: the event store itself, or the JetStream stream.

A :class:`FeedLog` returns every event after a position in position order (unfiltered: the
subscription filters, and every position moves its cursor), tells the newest position, and
turns what its process's hub carries into a :class:`~ordergate.feed.events.FeedEvent`.
:class:`StoreLog` is the platform's: it converts stored order events, tagging each with its
order's account, portfolio, strategy, symbol and venue.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from ordergate.domain.events import OrderEvent, OrderSubmitted
from ordergate.eventstore import EventRecorder, StoredEvent
from ordergate.feed.directory import OrderDirectory, OrderTags
from ordergate.feed.events import FeedEvent, feed_event
from ordergate.oms.codec import decode_event

__all__ = ["FeedLog", "StoreLog"]

LiveT_contra = TypeVar("LiveT_contra", contravariant=True)


class FeedLog(Protocol, Generic[LiveT_contra]):
    """A feed's history and the conversion of its live items."""

    async def head(self) -> int:
        """Return the newest position (0 when there is none)."""
        ...

    async def read(self, after: int, limit: int) -> list[FeedEvent]:
        """Return up to ``limit`` events after position ``after``, ascending.

        Fewer than ``limit`` means the log held no more when read.
        """
        ...

    async def live(self, position: int, item: LiveT_contra) -> FeedEvent:
        """Return the feed event of a live ``item`` the hub carried at ``position``."""
        ...


class StoreLog:
    """The event store as a feed log; its live items are the OMS hub's order events.

    It shares one :class:`~ordergate.feed.directory.OrderDirectory` across all readers,
    filling it from the events it converts and, for an order whose submission it has not
    seen yet, from that order's stream in the log.
    """

    def __init__(self, store: EventRecorder) -> None:
        self.store = store
        self.directory = OrderDirectory()

    async def head(self) -> int:
        """Return the position of the last stored event (0 when the log is empty)."""
        return await self.store.last_position()

    async def read(self, after: int, limit: int) -> list[FeedEvent]:
        """Return up to ``limit`` stored events after ``after`` as feed events."""
        return [await self.from_record(r) for r in await self.store.read_all(after + 1, limit)]

    async def live(self, position: int, item: OrderEvent) -> FeedEvent:
        """Return the feed event of an order event the OMS's hub carried."""
        return await self.from_event(position, item)

    async def from_record(self, record: StoredEvent) -> FeedEvent:
        """Return the feed event of a record read from the log."""
        return await self.from_event(record.position, decode_event(record))

    async def from_event(self, position: int, event: OrderEvent) -> FeedEvent:
        """Return the feed event of ``event`` stored at ``position``."""
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
