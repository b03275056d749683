"""One pushed-to subscriber: catch-up from the log, then live events written in place.

Theory of operation
-------------------
The pull subscription (:mod:`ordergate.feed.subscription`) gives each subscriber a task,
a queue and a chain of generators per event: right for a few subscribers, too much work
per delivery for a thousand. Here the gateway's :class:`~ordergate.feed.fanout.Fanout`
takes each batch of live events once and calls :meth:`PushSubscriber.offer` on every live
subscriber, which writes the already-encoded frames straight to its socket's buffer. Only
catch-up runs as a task of the subscriber's own. The phases and the exactly-once rule are
those of the pull subscription:

1. *Catch-up* (a task): read the log after the cursor in batches, writing each batch and
   waiting for the socket to drain after it, until a read comes back short.
2. *Switch-over*: join the live set with a pending list, then read the log after the
   cursor once more (the dispatcher follows the hub from before the read, see
   :meth:`~ordergate.feed.fanout.Fanout.add`); live batches offered meanwhile are kept in
   the pending list. Afterwards the pending events are offered as if live: the cursor
   drops those already read from the log.
3. *Live*: each offered event at the next position is written if the filter takes it; one
   at or below the cursor is dropped; one beyond the next position (a gap) sends the
   subscriber back to phase 1, which refills it from the log.

Invariants
----------
- Positions go out strictly ascending, each at most once, none skipped (the cursor rules).
- A slow subscriber only slows itself: a live batch finds the socket's buffer above the
  high-water mark, so the subscriber leaves the live set, is sent
  ``Control("catching_up")`` and goes back to phase 1, then ``Control("live")`` once
  caught up. Phase 1 waits for the socket to drain after every read, the last one too, so
  it goes live again only with its socket below the low-water mark (not bouncing between
  catch-up and live while the client does not read). Pending events past the buffer during
  switch-over send it back to phase 1 as well. Nobody is dropped silently.
- Filters decide only what is written; every position moves the cursor.
- A catch-up ends with its connection: once the sink is closed nothing more is read for it.
- When the fan-out ends (its hub closed), every subscriber's connection is ended
  (:meth:`Sink.end`) after what was queued, never left open with nothing coming.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from ordergate.feed.cursor import Cursor, LiveVerdict
from ordergate.feed.events import Control, ControlKind, FeedEvent
from ordergate.feed.filters import FeedFilter
from ordergate.feed.metrics import SubscriberStats

if TYPE_CHECKING:
    from ordergate.feed.fanout.dispatcher import Fanout

__all__ = ["PushSubscriber", "Round", "Sink"]


class Round:
    """A live batch with contiguous positions, its frames joined once for every subscriber.

    Attributes
    ----------
    first, last
        Its first and last positions.
    events
        Its events, in order.
    frames
        Their frames, concatenated.
    """

    __slots__ = ("events", "first", "frames", "last")

    def __init__(self, events: list[FeedEvent], frames: bytes) -> None:
        self.events = events
        self.first = events[0].position
        self.last = events[-1].position
        self.frames = frames


class Sink(Protocol):
    """Where a subscriber's frames go: a WebSocket connection's socket."""

    def is_open(self) -> bool:
        """Return whether frames may still be written."""
        ...

    def buffered(self) -> int:
        """Return how many bytes wait in the socket's write buffer."""
        ...

    def write(self, data: bytes) -> None:
        """Queue whole frames for sending, without waiting."""
        ...

    async def drain(self) -> None:
        """Wait until the write buffer is below its low-water mark."""
        ...

    def fail(self, reason: str) -> None:
        """Close the connection because delivery cannot go on (e.g. the stream is too short)."""
        ...

    def end(self) -> None:
        """Close the connection normally: nothing more will come (the feed is stopping)."""
        ...


class PushSubscriber:
    """A subscriber whose live events are written by the fan-out's dispatcher.

    Parameters
    ----------
    fanout
        The gateway's fan-out (its feed, frames, live set and limits).
    filter
        What to deliver.
    after
        Deliver the events after this position.
    sink
        The subscriber's connection.
    stats
        Its figures.
    """

    def __init__(
        self,
        fanout: Fanout,
        filter: FeedFilter,
        after: int,
        sink: Sink,
        stats: SubscriberStats,
    ) -> None:
        self._fanout = fanout
        self.filter = filter
        self._takes_all = filter == FeedFilter()
        self.cursor = Cursor(after)
        self._sink = sink
        self._stats = stats
        self._pending: list[tuple[int, FeedEvent]] | None = None
        self._pending_overflowed = False
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    @property
    def position(self) -> int:
        """Return the last position written or examined."""
        return self.cursor.position

    def start(self) -> None:
        """Begin with catch-up from the log (then live)."""
        self._catch_up(behind=False)

    def close(self) -> None:
        """Stop: leave the live set and end any catch-up (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._fanout.live.discard(self)
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    def end(self) -> None:
        """Stop and end the connection normally: nothing more will come (idempotent)."""
        if not self.closed:
            self.close()
            self._sink.end()

    async def wait(self) -> None:
        """Wait for the current catch-up task, if any, to end (cancelling this wait does not
        cancel the catch-up)."""
        # asyncio.wait neither raises when the task was cancelled nor swallows the
        # cancellation of the waiter (a shield in suppress(CancelledError) did both).
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    # -- live ----------------------------------------------------------------------------

    def offer(self, batch: list[tuple[int, FeedEvent]], whole: Round | None = None) -> int:
        """Take a batch of live events (called by the dispatcher, never awaits).

        ``whole`` is the batch's frames joined, when its positions are contiguous: a
        subscriber that takes every event and is right before it writes it as is.
        Returns how many events were written.
        """
        if self.closed:
            return 0
        if self._pending is not None:  # switching over: keep them for after the log read
            if not self._pending_overflowed:
                self._pending.extend(batch)
                if len(self._pending) > self._fanout.buffer:
                    self._pending_overflowed = True
                    self._pending.clear()
            return 0
        if self._sink.buffered() > self._fanout.high_water:
            self._fall_behind(announce=True)
            return 0
        if whole is not None and self._takes_all and self.cursor.position + 1 == whole.first:
            self._sink.write(whole.frames)
            self.cursor.advance(whole.last)
            self._stats.sent_events(whole.events, whole.last)
            return len(whole.events)
        frames: list[bytes] = []
        delivered: list[FeedEvent] = []
        for position, event in batch:
            verdict = self.cursor.judge(position)
            if verdict is LiveVerdict.DUPLICATE:
                continue
            if verdict is LiveVerdict.GAP:
                self._flush(frames, delivered)
                self._fall_behind(announce=False)  # the log refills it
                return len(delivered)
            self.cursor.advance(position)
            if self.filter.matches(event):
                frames.append(self._fanout.frames.frame(event))
                delivered.append(event)
        self._flush(frames, delivered)
        return len(delivered)

    def _flush(self, frames: list[bytes], delivered: list[FeedEvent]) -> None:
        if frames:
            self._sink.write(b"".join(frames))
            self._stats.sent_events(delivered, self.cursor.position)

    def _control(self, kind: ControlKind) -> None:
        control = Control(kind=kind, position=self.position)
        self._sink.write(self._fanout.frames.frame(control))
        self._stats.sent(control)

    def fall_behind(self) -> None:
        """Leave the live set for catch-up from the log, telling the subscriber."""
        if self.closed or self not in self._fanout.live:
            return
        if self._pending is not None:  # switching over: its catch-up task reads it again
            self._pending_overflowed = True
            self._pending.clear()
            return
        self._fall_behind(announce=True)

    def _fall_behind(self, *, announce: bool) -> None:
        self._fanout.live.discard(self)
        if announce:
            self._control("catching_up")
        self._catch_up(behind=announce)

    # -- catch-up ------------------------------------------------------------------------

    def _catch_up(self, *, behind: bool) -> None:
        self._task = asyncio.ensure_future(self._run_catch_up(behind))

    async def _run_catch_up(self, behind: bool) -> None:
        try:
            while True:
                if not await self._copy_log():  # 1. catch-up
                    self._fanout.remove(self)
                    return
                self._pending, self._pending_overflowed = [], False  # 2. switch-over
                self._fanout.live.add(self)
                if not await self._copy_log():
                    self._fanout.remove(self)
                    return
                pending, self._pending = self._pending, None
                if not self._pending_overflowed:
                    break
                self._fanout.live.discard(self)  # too much arrived meanwhile: read it
            if behind:
                self._control("live")
            if pending:  # 3. live (this may send it back to catch-up)
                written = self.offer(pending)
                self._fanout.metrics.fanned_out(written, pending[0][1].ts_event)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # e.g. the stream no longer holds what it asks for
            self._sink.fail(str(e))
            self._fanout.remove(self)

    async def _copy_log(self) -> bool:
        # Write the log after the cursor up to a short read (the head as of that read),
        # waiting for the socket to drain after every read, the last one too: a subscriber
        # sent to catch-up because its socket is full goes live again only once it drained.
        # False if the connection closed meanwhile.
        log, batch = self._fanout.feed.log, self._fanout.feed.batch
        while True:
            read = await self._write_from_log(log.read, batch)
            await self._sink.drain()
            if not self._sink.is_open():
                return False  # nobody to read the rest of the log for
            if read < batch:
                return True

    async def _write_from_log(
        self, read: Callable[[int, int], Awaitable[list[FeedEvent]]], batch: int
    ) -> int:
        events = await read(self.cursor.position, batch)
        frames: list[bytes] = []
        delivered: list[FeedEvent] = []
        for event in events:
            self.cursor.advance(event.position)
            if self.filter.matches(event):
                frames.append(self._fanout.frames.frame(event))
                delivered.append(event)
        self._flush(frames, delivered)
        if delivered:
            self._fanout.metrics.fanned_out(len(delivered), delivered[0].ts_event)
        return len(events)
