"""The asyncio shell: raw message streams in, normalized market data out to subscribers.

For each feed the shell reads its async iterator of raw messages, hands each one with the
clock's time to the feed's pure :class:`FeedProcessor`, and publishes what comes back to
every subscriber's bounded queue. When a book asks for a snapshot (at start, or after a gap,
a crossed book or a checksum mismatch) the shell calls the feed's injected async fetcher in a
task of its own, so deltas keep arriving and are buffered by the core while it runs; the
snapshot then goes back to the core, which replays the buffer by the venue's rules. A failed
fetch is retried after ``retry_delay``. Staleness is checked on a timer.

A subscriber that cannot keep up loses items (its queue is bounded; the feed never waits for
it): each loss is counted on the subscription, which can re-read a book with
:meth:`MarketDataPipeline.book`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass

from ordergate.clock import Clock
from ordergate.marketdata.book import OrderBook
from ordergate.marketdata.health import StreamHealth
from ordergate.marketdata.normalize.base import Normalizer
from ordergate.marketdata.processor import FeedProcessor
from ordergate.marketdata.streams import NeedsSnapshot
from ordergate.marketdata.types import BookDelta, BookSnapshot, Channel, MarketData, Ticker

__all__ = ["MarketDataPipeline", "SnapshotFetcher", "Subscription"]

#: Fetch a snapshot for a request: Binance calls ``GET /api/v3/depth``; venues that snapshot
#: in-channel (Kraken, Coinbase) resubscribe and return the snapshot that arrives.
SnapshotFetcher = Callable[[NeedsSnapshot], Awaitable[BookSnapshot]]

_NS_PER_S = 1_000_000_000


def _channel_of(item: MarketData) -> Channel:
    if isinstance(item, BookDelta | BookSnapshot):
        return Channel.BOOK
    return Channel.TICKER if isinstance(item, Ticker) else Channel.TRADES


class Subscription:
    """A subscriber's bounded queue of normalized market data; iterate it until it closes.

    A deque with a single waiter rather than an ``asyncio.Queue``: publishing is on the
    feed's hot path, and appending to a deque (waking the reader only when it waits) costs a
    fraction of a queue's put.
    """

    def __init__(
        self, maxsize: int, channels: Collection[Channel] | None, symbols: Collection[str] | None
    ) -> None:
        self.maxsize = maxsize
        self.channels = frozenset(channels) if channels is not None else None
        self.symbols = frozenset(symbols) if symbols is not None else None
        self.everything = channels is None and symbols is None
        self.dropped = 0  # items lost because the queue was full
        self.closed = False
        self._items: deque[MarketData] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def wants(self, item: MarketData) -> bool:
        """Return whether this subscription takes ``item``."""
        if self.symbols is not None and item.symbol not in self.symbols:
            return False
        return self.channels is None or _channel_of(item) in self.channels

    def put(self, items: list[MarketData]) -> None:
        """Queue the items this subscription takes, counting those that do not fit."""
        queue = self._items
        for item in items:
            if self.everything or self.wants(item):
                if len(queue) < self.maxsize:
                    queue.append(item)
                else:
                    self.dropped += 1
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def qsize(self) -> int:
        """Return how many items wait to be read."""
        return len(self._items)

    def close(self) -> None:
        """End iteration once everything queued has been read."""
        self.closed = True
        self._wake()

    def __aiter__(self) -> AsyncIterator[MarketData]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[MarketData]:
        queue = self._items
        while True:
            while queue:
                yield queue.popleft()
            if self.closed:
                return
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None


@dataclass
class _Feed:
    name: str
    processor: FeedProcessor
    messages: AsyncIterator[bytes]
    fetcher: SnapshotFetcher | None
    initial_snapshots: tuple[str, ...]


class MarketDataPipeline:
    """Run feeds through their pure cores and publish to subscribers.

    Parameters
    ----------
    clock
        Where ``ts_init`` and staleness times come from.
    stale_check_interval
        Seconds between staleness checks.
    retry_delay
        Seconds to wait before asking again after a failed snapshot fetch.
    """

    def __init__(
        self, clock: Clock, *, stale_check_interval: float = 1.0, retry_delay: float = 0.5
    ) -> None:
        self.clock = clock
        self.stale_check_interval = stale_check_interval
        self.retry_delay = retry_delay
        self._feeds: dict[str, _Feed] = {}
        self._subscribers: list[Subscription] = []
        self._fetches: set[asyncio.Task[None]] = set()

    def add_feed(
        self,
        name: str,
        normalizer: Normalizer,
        messages: AsyncIterator[bytes],
        *,
        fetcher: SnapshotFetcher | None = None,
        stale_after: float = 5.0,
        initial_snapshots: Collection[str] = (),
        buffer_limit: int = 10_000,
    ) -> FeedProcessor:
        """Add a feed and return its core.

        Parameters
        ----------
        name
            The feed's name.
        normalizer
            The venue's normalizer.
        messages
            The raw messages, in arrival order; the feed ends when it is exhausted.
        fetcher
            Fetches book snapshots; without one, books rely on in-channel snapshots.
        stale_after
            Seconds without a message after which a stream is ``STALE``.
        initial_snapshots
            Symbols whose snapshot to fetch at start (Binance: the depth snapshot, fetched
            while the first deltas are buffered).
        buffer_limit
            Deltas held per book during a resync.
        """
        processor = FeedProcessor(
            normalizer, stale_after_ns=int(stale_after * _NS_PER_S), buffer_limit=buffer_limit
        )
        self._feeds[name] = _Feed(name, processor, messages, fetcher, tuple(initial_snapshots))
        return processor

    def subscribe(
        self,
        maxsize: int = 10_000,
        *,
        channels: Collection[Channel] | None = None,
        symbols: Collection[str] | None = None,
    ) -> Subscription:
        """Return a new subscription to every item (or only these channels and symbols)."""
        subscription = Subscription(maxsize, channels, symbols)
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop publishing to ``subscription`` and close it."""
        self._subscribers.remove(subscription)
        subscription.close()

    def book(self, feed: str, symbol: str) -> OrderBook:
        """Return the live book of ``symbol`` on ``feed`` (read it, do not change it)."""
        return self._feeds[feed].processor.books[symbol].book

    def health(self) -> dict[str, StreamHealth]:
        """Return every stream's health, by stream name, across feeds."""
        out: dict[str, StreamHealth] = {}
        for feed in self._feeds.values():
            out.update(feed.processor.health())
        return out

    async def run(self) -> None:
        """Run every feed until its messages end, then close the subscriptions.

        An exception from a feed's messages (a dropped connection) ends every feed with it;
        reconnecting is the caller's business.
        """
        stale_timer = asyncio.create_task(self._check_stale())
        try:
            async with asyncio.TaskGroup() as group:
                for feed in self._feeds.values():
                    group.create_task(self._consume(feed))
        finally:
            # Once every feed has ended (or run() is cancelled) a snapshot has nothing left to
            # sync with: fetches still in flight are cancelled, never waited for.
            stale_timer.cancel()
            for task in [*self._fetches]:
                task.cancel()
            await asyncio.gather(stale_timer, *self._fetches, return_exceptions=True)
            for subscription in self._subscribers:
                subscription.close()

    def _publish(self, items: list[MarketData]) -> None:
        for subscription in self._subscribers:
            subscription.put(items)

    async def _consume(self, feed: _Feed) -> None:
        processor = feed.processor
        on_message = processor.on_message
        now_ns = self.clock.now_ns
        publish = self._publish
        pending = processor.pending
        for symbol in feed.initial_snapshots:
            processor.request_snapshot(symbol, now_ns())
        self._dispatch(feed)
        async for raw in feed.messages:
            out = on_message(raw, now_ns())
            if out:
                publish(out)
            if pending:
                self._dispatch(feed)

    def _dispatch(self, feed: _Feed) -> None:
        for request in feed.processor.take_requests():
            if feed.fetcher is None:
                continue  # the venue will push a snapshot in-channel
            feed.processor.resync_started(request.symbol)
            task = asyncio.create_task(self._fetch(feed, request))
            self._fetches.add(task)
            task.add_done_callback(self._fetches.discard)

    async def _fetch(self, feed: _Feed, request: NeedsSnapshot) -> None:
        assert feed.fetcher is not None
        try:
            snapshot = await feed.fetcher(request)
        except Exception:  # any failure of the fetch: the core asks again
            feed.processor.snapshot_failed(request.symbol)
            await asyncio.sleep(self.retry_delay)
            self._dispatch(feed)
            return
        self._publish(feed.processor.on_snapshot(snapshot, self.clock.now_ns()))
        self._dispatch(feed)  # the buffered deltas may have shown a gap already

    async def _check_stale(self) -> None:
        while True:
            await asyncio.sleep(self.stale_check_interval)
            now = self.clock.now_ns()
            for feed in self._feeds.values():
                feed.processor.check_stale(now)
