"""The feed service: pages and streams over a feed log and its process's live hub.

:class:`LogFeed` is the shape every feed has (one per process): a
:class:`~ordergate.feed.log.FeedLog` to read history from and an
:class:`~ordergate.oms.hub.EventHub` to follow live. :class:`Feed` is the platform's, over
the event store and the OMS's hub; a feed gateway's reads the JetStream stream instead (see
:mod:`ordergate.feed.gateway`).
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from ordergate.domain.events import OrderEvent
from ordergate.eventstore import EventRecorder, StoredEvent
from ordergate.feed.cursor import Cursor
from ordergate.feed.events import FeedEvent
from ordergate.feed.filters import FeedFilter
from ordergate.feed.log import FeedLog, StoreLog
from ordergate.feed.subscription import FeedSubscription
from ordergate.oms.hub import EventHub

__all__ = ["Feed", "FeedPage", "LogFeed"]

LiveT = TypeVar("LiveT")


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


class LogFeed(Generic[LiveT]):
    """Reads and streams the execution feed of one log and its process's live hub.

    Parameters
    ----------
    log
        Where history is read.
    hub
        The live fan-out whose items ``log`` converts.
    batch
        How many events to read from the log per query.
    buffer
        Each subscriber's live buffer: a subscriber that falls this many events behind is
        switched to reading from the log.
    """

    def __init__(
        self, log: FeedLog[LiveT], hub: EventHub[LiveT], *, batch: int = 1000, buffer: int = 1000
    ) -> None:
        if batch < 1 or buffer < 1:
            raise ValueError("batch and buffer must be at least 1")
        self.log = log
        self.hub = hub
        self.batch = batch
        self.buffer = buffer

    async def head(self) -> int:
        """Return the newest position (0 when the log is empty)."""
        return await self.log.head()

    async def read(
        self, filter: FeedFilter, after: int, limit: int, scan: int = 10_000
    ) -> FeedPage:
        """Return up to ``limit`` matching events after position ``after``.

        At most ``scan`` events are examined per call, so a narrow filter over a long log
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
            events = await self.log.read(cursor.position, want)
            for event in events:
                cursor.advance(event.position)
                scanned += 1
                if filter.matches(event):
                    items.append(event)
                    if len(items) == limit:
                        break
            if len(events) < want:
                break
        return FeedPage(items=items, next_from=cursor.position)

    def subscribe(
        self, filter: FeedFilter, after: int, buffer: int | None = None
    ) -> FeedSubscription[LiveT]:
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


class Feed(LogFeed[OrderEvent]):
    """The platform's feed: the event store (the outbox) and the OMS's live hub.

    Parameters
    ----------
    store
        The event store the OMS appends to.
    hub
        The OMS's live fan-out (``OrderManager.hub``).
    batch, buffer
        As for :class:`LogFeed`.
    """

    def __init__(
        self,
        store: EventRecorder,
        hub: EventHub[OrderEvent],
        *,
        batch: int = 1000,
        buffer: int = 1000,
    ) -> None:
        self.store = store
        self.store_log = StoreLog(store)
        super().__init__(self.store_log, hub, batch=batch, buffer=buffer)

    async def from_record(self, record: StoredEvent) -> FeedEvent:
        """Return the feed event of a record read from the log."""
        return await self.store_log.from_record(record)
