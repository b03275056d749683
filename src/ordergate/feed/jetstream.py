"""A feed gateway's side of the JetStream stream: reading history and following it live.

The publisher keeps the stream in position order with each position once (see
:mod:`ordergate.feed.publisher`), so stream sequences increase with positions, though they
need not equal them (its oldest messages can be removed by limits, or the stream may have
been recreated and refilled).

- :class:`JetStreamLog` is the gateway's :class:`~ordergate.feed.log.FeedLog`. To read the
  events after position ``P`` it binary-searches the stream for the first sequence whose
  ``Og-Position`` header is beyond ``P`` (a few direct reads; the sequence after the last
  read is remembered, so a subscriber catching up in batches searches once), then takes a
  batch through a short-lived ordered consumer.
- :class:`JetStreamFollower` is the gateway's one live consumer: an ordered consumer on
  every subject, from the stream's end, pushing each event into the gateway's hub. The
  client library recreates an ordered consumer after the last sequence it received when a
  message goes missing, so the hub sees the stream's order; a subscriber that still sees a
  gap (the follower restarted) refills it from the log.

Subscribers never get a consumer of their own on the server: however many there are, the
gateway holds one live consumer, plus one short-lived one per catch-up batch.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
import nats.js.errors
import structlog
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from ordergate.feed.events import FeedEvent
from ordergate.feed.stream import POSITION_HEADER, STREAM_NAME, SUBJECT_PREFIX, decode_feed_event
from ordergate.oms.hub import EventHub

__all__ = ["JetStreamFollower", "JetStreamLog", "StreamTooShortError"]

log = structlog.get_logger(__name__)

_EVERY_SUBJECT = f"{SUBJECT_PREFIX}.>"


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
        self, js: JetStreamContext, *, stream: str = STREAM_NAME, timeout: float = 5.0
    ) -> None:
        self.js = js
        self.stream = stream
        self.timeout = timeout
        self._after: dict[int, int] = {}  # position -> the sequence after it, recently read

    async def head(self) -> int:
        """Return the position of the stream's last message (0 when it holds none)."""
        try:
            message = await self.js.get_last_msg(self.stream, _EVERY_SUBJECT)
        except nats.js.errors.NotFoundError:
            return 0
        return int((message.headers or {})[POSITION_HEADER])

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
        try:
            message = await self.js.get_msg(self.stream, sequence)
        except nats.js.errors.NotFoundError:
            return None
        return int((message.headers or {})[POSITION_HEADER])

    async def read(self, after: int, limit: int) -> list[FeedEvent]:
        """Return up to ``limit`` events after position ``after`` from the stream.

        Raises
        ------
        StreamTooShortError
            If the stream no longer holds the events right after ``after``.
        TimeoutError
            If the stream's messages do not arrive within :attr:`timeout`.
        """
        start, last = await self.start_sequence(after)
        if start > last:
            return []
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start)
        subscription = await self.js.subscribe(
            _EVERY_SUBJECT, stream=self.stream, ordered_consumer=True, config=config
        )
        events: list[FeedEvent] = []
        sequence = start - 1
        try:
            async with asyncio.timeout(self.timeout):
                while len(events) < limit and sequence < last:
                    message = await subscription.next_msg(timeout=None)
                    sequence = message.metadata.sequence.stream
                    position = int((message.headers or {})[POSITION_HEADER])
                    if position > after and (not events or position > events[-1].position):
                        events.append(decode_feed_event(message.data))
                    if message.metadata.num_pending == 0:
                        break  # the stream's end as of this message
        finally:
            await subscription.unsubscribe()
        if events:
            if len(self._after) > 4096:
                self._after.clear()
            self._after[events[-1].position] = sequence + 1
        return events


class JetStreamFollower:
    """Pushes every new message of the stream into a hub, in stream order.

    Parameters
    ----------
    js
        A JetStream context on a connection the caller owns and closes.
    hub
        The gateway's hub; every subscriber's live events come from it.
    stream
        The stream's name.
    retry_delay
        Seconds to wait before following again after the consumer failed.
    """

    def __init__(
        self,
        js: JetStreamContext,
        hub: EventHub[FeedEvent],
        *,
        stream: str = STREAM_NAME,
        retry_delay: float = 0.5,
    ) -> None:
        self.js = js
        self.hub = hub
        self.stream = stream
        self.retry_delay = retry_delay
        self.position = 0
        self.received = 0

    async def run(self) -> None:
        """Follow the stream from its end until cancelled (restarting after failures)."""
        while True:
            try:
                await self._follow()
            except (nats.errors.Error, nats.js.errors.Error) as e:
                log.warning("feed stream follower failed; following again", error=repr(e))
                await asyncio.sleep(self.retry_delay)

    async def _follow(self) -> None:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        subscription = await self.js.subscribe(
            _EVERY_SUBJECT, stream=self.stream, ordered_consumer=True, config=config
        )
        try:
            while True:
                message = await subscription.next_msg(timeout=None)
                position = int((message.headers or {})[POSITION_HEADER])
                if position <= self.position:
                    continue
                self.position = position
                self.received += 1
                self.hub.publish(position, decode_feed_event(message.data))
        finally:
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()
