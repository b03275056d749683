"""The JetStream publisher: the event log is the outbox, the stream is its published copy.

Theory of operation
-------------------
The publisher keeps no state of its own. On start it asks the stream for its last message
and reads that message's ``Og-Position`` header: that is the last published position. It
then reads the log after it in batches and publishes each record, converted by
:meth:`Feed.from_record <ordergate.feed.service.Feed.from_record>`, one at a time, waiting
for JetStream's acknowledgement before publishing the next. When a read comes back short it
waits for a wake-up (an append signalled by the OMS's hub) or for the poll interval, and
reads again. The hub is only a wake-up: what is published always comes from the log.

Invariants
----------
- *Nothing stored is left unpublished*: positions are contiguous from 1 and the publisher
  publishes every one after the stream's last, in order; a publish that fails is retried,
  after re-reading the last published position from the stream, so a failure never moves
  the publisher past an event the stream does not hold.
- *Nothing is published twice*: each message carries ``Nats-Msg-Id: <position>``. The only
  way to publish a position again is a publisher that read the stream's last position while
  an earlier publish was still in flight (a crash between publishing and being told, or a
  second publisher on the same stream); JetStream drops the copy as a duplicate within its
  duplicate window, which only has to cover the in-flight overlap, not any outage.
- *The stream is in position order*: one publish at a time, each acknowledged before the
  next, so the stream sequence order is the position order. Two publishers racing on one
  stream keep it too: each publishes ascending with no gap, so the first copy of every
  position to arrive arrives after the first copy of the one before it.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
import structlog
from nats.js import JetStreamContext

from ordergate.eventstore import StoredEvent
from ordergate.feed.metrics import FeedMetrics
from ordergate.feed.service import Feed
from ordergate.feed.stream import (
    MSG_ID_HEADER,
    POSITION_HEADER,
    STREAM_NAME,
    encode_feed_event,
    ensure_stream,
    event_subject,
    last_published_position,
)
from ordergate.oms.hub import SubscriberOverflow

__all__ = ["JetStreamPublisher"]

log = structlog.get_logger(__name__)


class JetStreamPublisher:
    """Publishes every event of a feed's log to a JetStream stream, in position order.

    Parameters
    ----------
    feed
        The feed whose store is read (and whose hub wakes the publisher up).
    js
        A JetStream context on a connection the caller owns and closes.
    stream
        The stream's name.
    batch
        How many records to read from the log per query.
    poll_interval
        Seconds to wait for a wake-up before reading the log anyway (appends made by
        another process do not reach this process's hub).
    duplicate_window
        The stream's duplicate window in seconds.
    retry_delay
        Seconds to wait after a failed publish before resynchronising and retrying.
    metrics
        Where published events are counted, if anywhere.

    Raises
    ------
    ValueError
        If ``batch`` is below 1 or a duration is not positive.

    Examples
    --------
    In the process that owns the event store::

        connection = await nats.connect(url)
        publisher = JetStreamPublisher(Feed(oms.store, oms.hub), connection.jetstream())
        task = asyncio.create_task(publisher.run())
        ...
        task.cancel()  # at shutdown; nothing is lost, the next run resumes from the stream
        await connection.drain()
    """

    def __init__(
        self,
        feed: Feed,
        js: JetStreamContext,
        *,
        stream: str = STREAM_NAME,
        batch: int = 500,
        poll_interval: float = 0.5,
        duplicate_window: float = 120.0,
        retry_delay: float = 0.5,
        metrics: FeedMetrics | None = None,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        if poll_interval <= 0 or duplicate_window <= 0 or retry_delay <= 0:
            raise ValueError("poll_interval, duplicate_window and retry_delay must be positive")
        self.feed = feed
        self.js = js
        self.stream = stream
        self.batch = batch
        self.poll_interval = poll_interval
        self.duplicate_window = duplicate_window
        self.retry_delay = retry_delay
        self.metrics = metrics
        self.position = 0
        self.published = 0
        self.duplicates = 0
        self._wake = asyncio.Event()

    async def start(self) -> None:
        """Create or update the stream and read the last published position from it."""
        await ensure_stream(self.js, self.stream, duplicate_window=self.duplicate_window)
        self.position = await last_published_position(self.js, self.stream)

    async def run(self) -> None:
        """Start, then publish the backlog and every later append until cancelled.

        Run it as a task and cancel the task to stop; a cancelled publisher loses nothing
        (the next one resumes from the stream).
        """
        await self.start()
        waker = asyncio.ensure_future(self._follow_hub())
        try:
            while True:
                _raise_if_cancelled()
                self._wake.clear()  # before reading: an append during the read wakes again
                try:
                    await self.publish_pending()
                except nats.errors.Error as e:
                    log.warning("feed publish failed; retrying", error=repr(e))
                    await asyncio.sleep(self.retry_delay)
                    await self._resync()
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
        finally:
            waker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waker

    async def publish_pending(self) -> int:
        """Publish every stored event after :attr:`position`; return the new position.

        Raises
        ------
        nats.errors.Error
            If a publish is not acknowledged; :attr:`position` stays at the last one that
            was.
        """
        while True:
            records = await self.feed.store.read_all(self.position + 1, self.batch)
            for record in records:
                await self._publish(record)
            if len(records) < self.batch:
                return self.position

    async def _publish(self, record: StoredEvent) -> None:
        if record.position != self.position + 1:  # the log's positions are contiguous
            raise RuntimeError(f"log position {record.position} after {self.position}")
        event = await self.feed.from_record(record)
        position = str(record.position)
        ack = await self.js.publish(
            event_subject(event),
            encode_feed_event(event),
            stream=self.stream,
            headers={MSG_ID_HEADER: position, POSITION_HEADER: position},
        )
        self.position = record.position
        _raise_if_cancelled()
        if ack.duplicate:
            self.duplicates += 1
        else:
            self.published += 1
            if self.metrics is not None:
                self.metrics.published.inc()

    async def _resync(self) -> None:
        # The stream is the authority on what was published (and may have been recreated).
        while True:
            try:
                await self.start()
                return
            except nats.errors.Error as e:
                log.warning("feed stream unreachable; retrying", error=repr(e))
                await asyncio.sleep(self.retry_delay)

    async def _follow_hub(self) -> None:
        # A wake-up source only: what is published is always read from the log.
        hub = self.feed.hub
        while not hub.closed:
            subscription = hub.subscribe(16)
            try:
                async for _ in subscription:
                    self._wake.set()
            except SubscriberOverflow:
                self._wake.set()
            finally:
                subscription.close()


def _raise_if_cancelled() -> None:
    # Python 3.11's asyncio.wait_for (inside nats-py's request) returns the result instead
    # of raising when a cancellation arrives just as the reply does; without this check a
    # cancelled publisher could go on running and its canceller wait forever.
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
