"""A feed gateway's reader of the JetStream stream: events after a position, then live.

The publisher keeps the stream in position order with each position once (see
:mod:`ordergate.feed.publisher`), so stream sequences increase with positions, though they
need not equal them (its oldest messages can be removed by limits, or the stream may have
been recreated and refilled). To resume after position ``P`` the reader binary-searches the
stream for the first sequence whose ``Og-Position`` header is beyond ``P`` (a few direct
reads, no map to keep) and starts an ordered consumer there: the server pushes messages in
sequence order and the client recreates the consumer after the last sequence it received
if a message goes missing, so what it yields is the stream's order with no gap.

The consumer's subject is :func:`~ordergate.feed.stream.filter_subject` of the filter
(account, symbol and type when one value each: one subject pattern, as nats-server 2.9 allows
one filter subject per consumer); every event is still checked against the
whole filter in process, and against a :class:`~ordergate.feed.cursor.Cursor`: a position at
or below the last one taken is never yielded again.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from ordergate.feed.cursor import Cursor
from ordergate.feed.events import FeedEvent
from ordergate.feed.filters import FeedFilter
from ordergate.feed.iteration import CursorStream
from ordergate.feed.stream import POSITION_HEADER, STREAM_NAME, decode_feed_event, filter_subject

__all__ = ["JetStreamFeedReader", "JetStreamSubscription", "StreamTooShortError"]


class StreamTooShortError(LookupError):
    """The stream no longer holds the events right after the resume position.

    Its oldest messages were removed (by limits or by hand); read the events from
    ``after + 1`` to ``first_position - 1`` from the event log, then resume from the stream.

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


class JetStreamFeedReader:
    """Reads the execution feed from a JetStream stream filled by a publisher.

    Parameters
    ----------
    js
        A JetStream context on a connection the caller owns and closes.
    stream
        The stream's name.

    Examples
    --------
    In a feed gateway process, per subscriber::

        reader = JetStreamFeedReader(connection.jetstream())
        async with reader.subscribe(parse_filter(accounts="ACC1"), after=from_) as events:
            async for event in events:
                await websocket.send_json(event.to_json())
    """

    def __init__(self, js: JetStreamContext, *, stream: str = STREAM_NAME) -> None:
        self.js = js
        self.stream = stream

    async def start_sequence(self, after: int) -> int:
        """Return the first stream sequence holding a position beyond ``after``.

        That is one past the stream's last sequence when every stored position is at or
        below ``after`` (the consumer then waits for new messages).

        Raises
        ------
        StreamTooShortError
            If the stream's oldest message is beyond ``after + 1``.
        """
        info = await self.js.stream_info(self.stream)
        low, high = info.state.first_seq, info.state.last_seq + 1
        if not info.state.messages:
            return high
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
        return low

    async def _position_at(self, sequence: int) -> int | None:
        try:
            message = await self.js.get_msg(self.stream, sequence)
        except nats.js.errors.NotFoundError:
            return None
        return int((message.headers or {})[POSITION_HEADER])

    def subscribe(self, filter: FeedFilter, after: int) -> JetStreamSubscription:
        """Return a subscription to the matching events after position ``after``.

        The subscription raises, on its first step, :class:`StreamTooShortError` if the
        stream no longer holds the events right after ``after``, and
        ``nats.js.errors.NotFoundError`` if the stream does not exist (no publisher has
        started yet).

        Raises
        ------
        ValueError
            If ``after`` is negative.
        """
        return JetStreamSubscription(self, filter, Cursor(after))


class JetStreamSubscription(CursorStream[FeedEvent]):
    """An async iterator of :class:`FeedEvent`, from the stream; close it after.

    Use it as ``async with reader.subscribe(filter, after) as subscription: async for ...``.
    It never ends on its own; it stops when closed (its consumer is deleted) or cancelled.
    """

    def __init__(self, reader: JetStreamFeedReader, filter: FeedFilter, cursor: Cursor) -> None:
        self._reader = reader
        super().__init__(filter, cursor)

    async def _run(self) -> AsyncGenerator[FeedEvent, None]:
        reader = self._reader
        start = await reader.start_sequence(self.cursor.position)
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start)
        subscription = await reader.js.subscribe(
            filter_subject(self.filter),
            stream=reader.stream,
            ordered_consumer=True,
            config=config,
        )
        try:
            while True:
                message = await subscription.next_msg(timeout=None)
                position = int((message.headers or {})[POSITION_HEADER])
                if position <= self.cursor.position:
                    continue  # delivered already (a consumer recreated a little early)
                event = decode_feed_event(message.data)
                self.cursor.advance(position)
                if self.filter.matches(event):
                    yield event
        finally:
            await subscription.unsubscribe()
