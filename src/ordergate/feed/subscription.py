"""One subscriber's feed: the backlog from the log, then live events, exactly once, in order.

Theory of operation
-------------------
The event log is the outbox: every event is durable (and readable) before the OMS publishes
it to the hub. A subscription keeps a :class:`~ordergate.feed.cursor.Cursor`, the last
position it has delivered or examined, and moves through three phases:

1. *Catch-up*: read the log after the cursor in batches, with no live subscription, until a
   read comes back short (the head as of that read).
2. *Switch-over*: subscribe to the hub, **then** read the log after the cursor once more.
   An event appended before the subscription is durable before it, so this read sees it;
   an event appended after it reaches the hub queue. Nothing falls between the two.
3. *Live*: take hub events. One at or below the cursor was already delivered from the log
   and is dropped; the next position is delivered; one beyond the next position reveals a
   gap (events published out of order by concurrent commits), refilled from the log up to
   and including it before going on.

Invariants
----------
- Positions are delivered strictly ascending, each at most once, and none is skipped: the
  cursor only moves forward and every move is either the next live position or a record the
  log returned after the cursor.
- A subscriber only ever blocks itself: the hub offers without waiting, into a bounded
  queue. When that queue overflows the hub cuts the subscriber off; the subscription then
  delivers what was queued, yields ``Control("catching_up", cursor)``, goes back to phase 1
  and, once caught up, yields ``Control("live", cursor)``. It is never silently dropped.
- Filters only decide what is yielded; every position moves the cursor, so resuming from a
  delivered event's position (or a control message's) is exact for any filter.
- When the hub closes (the process is stopping), the subscription ends after delivering
  what was queued; the subscriber resumes from its last position elsewhere or later.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from ordergate.feed.cursor import Cursor, LiveVerdict
from ordergate.feed.events import Control, FeedEvent
from ordergate.feed.filters import FeedFilter
from ordergate.feed.iteration import CursorStream
from ordergate.oms.hub import SubscriberOverflow

if TYPE_CHECKING:
    from ordergate.feed.service import LogFeed

__all__ = ["FeedSubscription"]

Item = FeedEvent | Control
LiveT = TypeVar("LiveT")


class FeedSubscription(CursorStream[Item], Generic[LiveT]):
    """An async iterator of :class:`FeedEvent` and :class:`Control` messages; close it after.

    Use it as ``async with feed.subscribe(filter, after) as subscription: async for ...``.
    It never ends on its own until the hub closes; it stops when closed (it leaves the hub)
    or when its consumer is cancelled.
    """

    def __init__(
        self, feed: LogFeed[LiveT], filter: FeedFilter, cursor: Cursor, buffer: int
    ) -> None:
        self._feed = feed
        self._buffer = buffer
        self.catch_ups = 0
        super().__init__(filter, cursor)

    async def _run(self) -> AsyncGenerator[Item, None]:
        log = self._feed.log
        behind = False
        while True:
            async with aclosing(self._read_log()) as backlog:  # 1. catch-up
                async for item in backlog:
                    yield item
            live = self._feed.hub.subscribe(self._buffer)  # 2. switch-over
            try:
                async with aclosing(self._read_log()) as backlog:
                    async for item in backlog:
                        yield item
                if behind:
                    behind = False
                    yield Control(kind="live", position=self.cursor.position)
                stream = cast(AsyncGenerator[tuple[int, LiveT], None], live.__aiter__())
                async with aclosing(stream):
                    async for position, event in stream:  # 3. live
                        if position == self.cursor.position + 1:  # the common case, inline
                            item = await log.live(position, event)
                            self.cursor.advance(position)
                            if self.filter.matches(item):
                                yield item
                            continue
                        async with aclosing(self._take_live(position, event)) as taken:
                            async for item in taken:
                                yield item
                return  # the live stream ended without an overflow: the hub closed
            except SubscriberOverflow:
                behind = True
                self.catch_ups += 1
                yield Control(kind="catching_up", position=self.cursor.position)
            finally:
                live.close()

    async def _take_live(self, position: int, event: LiveT) -> AsyncGenerator[FeedEvent, None]:
        verdict = self.cursor.judge(position)
        if verdict is LiveVerdict.DUPLICATE:
            return
        if verdict is LiveVerdict.GAP:
            async with aclosing(self._read_log(until=position)) as refill:
                async for refilled in refill:
                    yield refilled
            if self.cursor.position >= position:
                return
            # The log has nothing between the cursor and this position: deliver it as is.
        item = await self._feed.log.live(position, event)
        self.cursor.advance(position)
        if self.filter.matches(item):
            yield item

    async def _read_log(self, until: int | None = None) -> AsyncGenerator[FeedEvent, None]:
        log, batch = self._feed.log, self._feed.batch
        while True:
            limit = batch if until is None else min(batch, until - self.cursor.position)
            if limit <= 0:
                return
            events = await log.read(self.cursor.position, limit)
            for item in events:
                self.cursor.advance(item.position)
                if self.filter.matches(item):
                    yield item
            if len(events) < limit:
                return
