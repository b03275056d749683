"""A feed gateway's side of the JetStream stream: reading history and following it live.

The publisher keeps the stream in position order with each position once (see
:mod:`ordergate.feed.publisher`), so stream sequences increase with positions, though they
need not equal them (its oldest messages can be removed by limits, or the stream may have
been recreated and refilled).

- :class:`JetStreamLog` is the gateway's :class:`~ordergate.feed.log.FeedLog`. To read the
  events after position ``P`` it binary-searches the stream for the first sequence whose
  ``Og-Position`` header is beyond ``P`` (a few direct reads; the sequence after the last
  read is remembered, so a subscriber catching up in batches searches once), then takes a
  batch by direct gets (pipelined on the connection; no consumer on the server).
- :class:`JetStreamFollower` is the gateway's one live subscription: a plain NATS
  subscription to every subject of the stream, pushing each event into the gateway's hub
  and refilling from the stream whatever it missed.

Subscribers never get a consumer of their own on the server: however many there are, the
gateway holds one plain subscription and reads history by direct gets.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque

import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from ordergate.feed.events import FeedEvent
from ordergate.feed.stream import (
    POSITION_HEADER,
    STREAM_NAME,
    SUBJECT_PREFIX,
    decode_feed_event,
    last_published_position,
)
from ordergate.oms.hub import EventHub

__all__ = ["JetStreamFollower", "JetStreamLog", "RecentEvents", "StreamTooShortError"]

log = structlog.get_logger(__name__)

_EVERY_SUBJECT = f"{SUBJECT_PREFIX}.>"
_GETS_IN_FLIGHT = 256


class StreamTooShortError(LookupError):
    """The stream no longer holds the events right after the resume position.

    Its oldest messages were removed (by limits or by hand); the events from ``after + 1``
    to ``first_position - 1`` are only in the event log (the platform's
    ``/api/feed/events`` serves them).

    Attributes
    ----------
    after
        The resume position asked for.
    first_position
        The position of the stream's oldest message.
    """

    def __init__(self, after: int, first_position: int) -> None:
        super().__init__(
            f"the stream starts at position {first_position}; "
            f"positions {after + 1}..{first_position - 1} are only in the event log"
        )
        self.after = after
        self.first_position = first_position


class RecentEvents:
    """The newest events a gateway has followed, contiguous by position, in memory.

    A subscriber resuming or catching up near the head (the usual case: a reconnect, a
    slow spell) is served from here instead of the stream.

    Parameters
    ----------
    capacity
        How many events to keep.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._events: deque[FeedEvent] = deque(maxlen=capacity)

    def append(self, event: FeedEvent) -> None:
        """Keep ``event``; one not right after the newest starts the window afresh."""
        if self._events and event.position != self._events[-1].position + 1:
            self._events.clear()
        self._events.append(event)

    def read(self, after: int, limit: int) -> list[FeedEvent] | None:
        """Return up to ``limit`` events after ``after``; None if the window does not
        start at or before ``after + 1``."""
        if not self._events or after + 1 < self._events[0].position:
            return None
        first = after + 1 - self._events[0].position
        return list(itertools.islice(self._events, first, first + limit))


class JetStreamLog:
    """The JetStream stream as a feed log; its live items are feed events already.

    Parameters
    ----------
    js
        A JetStream context on a connection the caller owns and closes.
    stream
        The stream's name.
    timeout
        Seconds to wait for a batch's messages before giving up on the read.
    """

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str = STREAM_NAME,
        timeout: float = 5.0,
        recent: RecentEvents | None = None,
    ) -> None:
        self.js = js
        self.stream = stream
        self.timeout = timeout
        self.recent = recent
        self._after: dict[int, int] = {}  # position -> the sequence after it, recently read

    async def head(self) -> int:
        """Return the position of the stream's last message (0 when it holds none)."""
        return await last_published_position(self.js, self.stream)

    async def live(self, position: int, item: FeedEvent) -> FeedEvent:
        """Return ``item``: the follower publishes feed events."""
        return item

    async def start_sequence(self, after: int) -> tuple[int, int]:
        """Return the first stream sequence holding a position beyond ``after``, and the
        stream's last sequence.

        The first is one past the last when every stored position is at or below ``after``.

        Raises
        ------
        StreamTooShortError
            If the stream's oldest message is beyond ``after + 1``.
        """
        info = await self.js.stream_info(self.stream)
        low, last = info.state.first_seq, info.state.last_seq
        high = last + 1
        if not info.state.messages:
            return high, last
        remembered = self._after.get(after)
        if remembered is not None and low <= remembered <= high:
            return remembered, last
        first = await self._position_at(low)
        if first is not None and first > after + 1:
            raise StreamTooShortError(after, first)
        while low < high:  # the first sequence in [low, high) whose position is > after
            middle = (low + high) // 2
            position = await self._position_at(middle)
            if position is not None and position <= after:
                low = middle + 1
            else:  # beyond ``after``, or deleted: starting early is safe, the cursor skips
                high = middle
        return low, last

    async def _position_at(self, sequence: int) -> int | None:
        message = await self._message_at(sequence)
        return None if message is None else int((message.headers or {})[POSITION_HEADER])

    async def read(self, after: int, limit: int) -> list[FeedEvent]:
        """Return up to ``limit`` events after position ``after`` from the stream.

        Raises
        ------
        StreamTooShortError
            If the stream no longer holds the events right after ``after``.
        TimeoutError
            If the stream's messages do not arrive within :attr:`timeout`.
        """
        if self.recent is not None:
            # Served from memory when the window holds ``after + 1``: what the follower has
            # not pushed yet reaches live subscribers through the hub, in order.
            kept = self.recent.read(after, limit)
            if kept is not None:
                return kept
        start, last = await self.start_sequence(after)
        events: list[FeedEvent] = []
        sequence = start
        async with asyncio.timeout(self.timeout):
            while len(events) < limit and sequence <= last:
                # Direct gets, pipelined on the connection: no consumer state on the server.
                size = min(_GETS_IN_FLIGHT, limit - len(events))
                chunk = range(sequence, min(last, sequence + size - 1) + 1)
                found = await asyncio.gather(*(self._message_at(n) for n in chunk))
                for message in found:
                    if message is None:
                        continue  # removed from the stream
                    position = int((message.headers or {})[POSITION_HEADER])
                    if position > after and (not events or position > events[-1].position):
                        events.append(decode_feed_event(message.data or b""))
                sequence = chunk[-1] + 1
        if events:
            if len(self._after) > 4096:
                self._after.clear()
            self._after[events[-1].position] = sequence
        return events

    async def _message_at(self, sequence: int) -> RawStreamMsg | None:
        try:
            return await self.js.get_msg(self.stream, sequence)
        except nats.js.errors.NotFoundError:
            return None


class JetStreamFollower:
    """Pushes every new event of the stream into a hub, in position order, with no gap.

    Live events come from a plain NATS subscription to the stream's subjects (what the
    publisher publishes reaches it as it is stored, with no consumer state on the server to
    lose); it is at most once, so a position beyond the next one, or an idle spell while
    the stream moved on, is refilled from the stream through :class:`JetStreamLog` before
    going on. The hub thus carries each position once, ascending, from the stream's head
    at start.

    Parameters
    ----------
    connection
        A NATS connection the caller owns and closes.
    hub
        The gateway's hub; every subscriber's live events come from it.
    stream
        The stream's name.
    retry_delay
        Seconds to wait before following again after a failure.
    idle_check
        Seconds without a message after which the stream's head is compared with the
        last position pushed (and any difference refilled).
    recent
        Where every pushed event is also kept, for catch-up reads near the head.
    """

    def __init__(
        self,
        connection: NATS,
        hub: EventHub[FeedEvent],
        *,
        stream: str = STREAM_NAME,
        retry_delay: float = 0.5,
        idle_check: float = 1.0,
        recent: RecentEvents | None = None,
    ) -> None:
        self.connection = connection
        self.recent = recent
        self.hub = hub
        self.log = JetStreamLog(connection.jetstream(), stream=stream)
        self.retry_delay = retry_delay
        self.idle_check = idle_check
        self.position = 0
        self.started = False
        self.received = 0
        self.refilled = 0

    async def run(self) -> None:
        """Follow the stream until cancelled, restarting after any failure."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the stream is missing, NATS is down, a bad message
                log.warning("feed stream follower failed; following again", error=repr(e))
                await asyncio.sleep(self.retry_delay)

    async def _follow(self) -> None:
        subscription = await self.connection.subscribe(_EVERY_SUBJECT)
        try:
            if not self.started:  # from the head as of now (subscribed first: no gap)
                self.position = await self.log.head()
                self.started = True
            await self._refill_to(await self.log.head())
            while True:
                try:
                    message = await subscription.next_msg(timeout=self.idle_check)
                except nats.errors.TimeoutError:
                    await self._refill_to(await self.log.head())
                    continue
                position = int((message.headers or {})[POSITION_HEADER])
                if position <= self.position:
                    continue  # already pushed (refilled, or a republished duplicate)
                if position > self.position + 1:
                    await self._refill_to(position - 1)
                    if position <= self.position:
                        continue
                self._push(position, decode_feed_event(message.data))
                self.received += 1
        finally:
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()

    async def _refill_to(self, until: int) -> None:
        while self.position < until:
            events = await self.log.read(self.position, min(1000, until - self.position))
            if not events:
                return
            for event in events:
                self._push(event.position, event)
                self.refilled += 1

    def _push(self, position: int, event: FeedEvent) -> None:
        self.position = position
        if self.recent is not None:
            self.recent.append(event)
        self.hub.publish(position, event)
