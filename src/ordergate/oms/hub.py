"""In-process fan-out of appended events to live subscribers (the /ws/executions socket).

Generic in what it carries with each position: the OMS's hub carries order events, a feed
gateway's hub the feed events it reads from JetStream.

Each subscriber has a bounded queue. A subscriber that falls behind by more than its queue
is cut off with an explicit overflow marker rather than slowing the OMS down or silently
losing events; it can resume from the event log by position. Closing the hub (the process
is shutting down) ends every subscription's iteration normally, after what it had queued.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Generic, TypeVar, cast

from ordergate.domain.events import OrderEvent

__all__ = ["EventHub", "OrderEventHub", "SubscriberOverflow", "Subscription"]


class SubscriberOverflow(Exception):
    """The subscriber fell more than its queue size behind and was cut off."""


_OVERFLOW = object()
_ENDED = object()

ItemT = TypeVar("ItemT")


class Subscription(Generic[ItemT]):
    """One subscriber's stream of ``(log position, item)`` pairs."""

    def __init__(self, hub: EventHub[ItemT], maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[tuple[int, ItemT] | object] = asyncio.Queue(maxsize + 1)
        self._maxsize = maxsize
        self._held: object | None = None  # an end or overflow marker met while batching
        self.closed = False

    def _offer(self, item: tuple[int, ItemT]) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= self._maxsize:
            self.closed = True
            self._queue.put_nowait(_OVERFLOW)
            self._hub.unsubscribe(self)
            return
        self._queue.put_nowait(item)

    def _end(self) -> None:
        # The hub closed: the iteration ends after what is queued (an overflow marker, if
        # one is there, still comes first: the events it stands for were not delivered).
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(_ENDED)  # the queue keeps one slot beyond maxsize free

    async def __aiter__(self) -> AsyncIterator[tuple[int, ItemT]]:
        while True:
            item = await self._queue.get()
            if item is _ENDED:
                return
            if item is _OVERFLOW:
                raise SubscriberOverflow("subscriber fell behind; resume from the log")
            assert isinstance(item, tuple)
            yield item

    async def batch(self, limit: int) -> list[tuple[int, ItemT]]:
        """Wait for the next item; return it with every item queued behind it, up to ``limit``.

        An empty list means the hub closed (after everything queued was returned).

        Raises
        ------
        SubscriberOverflow
            Once the items queued before the overflow have been returned.
        """
        marker = self._held
        self._held = None
        if marker is None:
            marker = await self._queue.get()
            if marker is not _ENDED and marker is not _OVERFLOW:
                items = [marker]
                while len(items) < limit and not self._queue.empty():
                    item = self._queue.get_nowait()
                    if item is _ENDED or item is _OVERFLOW:
                        self._held = item
                        break
                    items.append(item)
                return cast(list[tuple[int, ItemT]], items)
        if marker is _OVERFLOW:
            raise SubscriberOverflow("subscriber fell behind; resume from the log")
        return []

    def close(self) -> None:
        """Stop receiving events."""
        self.closed = True
        self._hub.unsubscribe(self)


class EventHub(Generic[ItemT]):
    """Publishes each appended event to every live subscriber, in append order."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription[ItemT]] = set()
        self.closed = False

    def subscribe(self, maxsize: int = 10_000) -> Subscription[ItemT]:
        """Return a new subscription to events appended from now on (an ended one once the
        hub is closed)."""
        subscription: Subscription[ItemT] = Subscription(self, maxsize)
        if self.closed:
            subscription._end()
        else:
            self._subscribers.add(subscription)
        return subscription

    def close(self) -> None:
        """End every subscription (after what each has queued) and every later one."""
        self.closed = True
        for subscription in tuple(self._subscribers):
            subscription._end()
        self._subscribers.clear()

    def unsubscribe(self, subscription: Subscription[ItemT]) -> None:
        """Remove a subscription (idempotent)."""
        self._subscribers.discard(subscription)

    def publish(self, position: int, item: ItemT) -> None:
        """Offer one event to every subscriber without waiting."""
        for subscription in tuple(self._subscribers):
            subscription._offer((position, item))

    @property
    def subscribers(self) -> int:
        """Return how many subscriptions are live."""
        return len(self._subscribers)


OrderEventHub = EventHub[OrderEvent]
"""The OMS's hub: order events by log position."""
