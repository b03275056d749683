"""A feed gateway: serves the execution feed from the JetStream stream, not from the log.

Run as many as the subscribers need (``ordergate feed-gateway``): each connects to NATS,
follows the stream with one consumer into its own hub, and reads history from the stream,
so gateways share nothing but the stream and need no access to the event store. The
platform's process publishes the log to the stream (:mod:`ordergate.feed.publisher`).
"""

from __future__ import annotations

import asyncio
import contextlib

import nats
from nats.aio.client import Client as NATS

from ordergate.feed.events import FeedEvent
from ordergate.feed.filters import FeedFilter
from ordergate.feed.jetstream import JetStreamFollower, JetStreamLog, RecentEvents
from ordergate.feed.service import FeedPage, LogFeed
from ordergate.feed.stream import STREAM_NAME
from ordergate.feed.subscription import FeedSubscription
from ordergate.oms.hub import EventHub

__all__ = ["FeedGateway"]


class FeedGateway:
    """One gateway process's feed over a NATS server's JetStream stream (a feed source).

    Parameters
    ----------
    nats_url
        The NATS server (or comma-separated cluster URLs).
    stream
        The stream's name.
    buffer
        Each subscriber's live buffer before it is switched to catch-up.
    recent
        How many of the newest events to keep in memory for catch-up near the head.

    Examples
    --------
    ::

        gateway = FeedGateway("nats://127.0.0.1:4222")
        await gateway.start()
        async with gateway.feed.subscribe(parse_filter(accounts="ACC1"), after=0) as events:
            ...
        await gateway.stop()
    """

    def __init__(
        self,
        nats_url: str,
        *,
        stream: str = STREAM_NAME,
        buffer: int = 1000,
        recent: int = 100_000,
    ) -> None:
        self.nats_url = nats_url
        self.stream = stream
        self.buffer = buffer
        self.hub: EventHub[FeedEvent] = EventHub()
        self.recent = RecentEvents(recent)
        self._connection: NATS | None = None
        self._follower_task: asyncio.Task[None] | None = None
        self._feed: LogFeed[FeedEvent] | None = None
        self.follower: JetStreamFollower | None = None

    @property
    def feed(self) -> LogFeed[FeedEvent]:
        """The gateway's feed (available once started)."""
        if self._feed is None:
            raise RuntimeError("the feed gateway is not started")
        return self._feed

    async def head(self) -> int:
        """Return the stream's newest position (0 when it holds none)."""
        return await self.feed.head()

    async def read(self, filter: FeedFilter, after: int, limit: int) -> FeedPage:
        """Return up to ``limit`` matching events after ``after`` (see :meth:`LogFeed.read`)."""
        return await self.feed.read(filter, after, limit)

    def subscribe(self, filter: FeedFilter, after: int) -> FeedSubscription[FeedEvent]:
        """Return a subscription to the matching events after ``after``, from the stream."""
        return self.feed.subscribe(filter, after)

    async def start(self) -> None:
        """Connect to NATS and start following the stream."""
        servers = [u.strip() for u in self.nats_url.split(",") if u.strip()]
        self._connection = await nats.connect(servers=servers, max_reconnect_attempts=-1)
        js = self._connection.jetstream()
        log = JetStreamLog(js, stream=self.stream, recent=self.recent)
        self._feed = LogFeed(log, self.hub, buffer=self.buffer)
        self.follower = JetStreamFollower(
            self._connection, self.hub, stream=self.stream, recent=self.recent
        )
        self._follower_task = asyncio.create_task(self.follower.run())

    async def stop(self) -> None:
        """End every subscription, stop following and close the connection."""
        self.hub.close()
        if self._follower_task is not None:
            self._follower_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower_task
        if self._connection is not None:
            await self._connection.drain()
