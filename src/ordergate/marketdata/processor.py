"""The pure core of one market data feed: normalize -> route -> book/ticker/trade streams.

:class:`FeedProcessor` takes raw messages of one feed (one connection's worth) with the time
they arrived and returns the normalized items to publish. It keeps one health-monitored
stream per (channel, symbol): a :class:`BookStream` per book, a :class:`TickerStream` and a
:class:`TradeStream` per symbol. A message that fails to normalize is counted on the feed's
own counters (its symbol may not be known) and nothing of it is applied. Snapshot requests
pile up in :meth:`FeedProcessor.take_requests` for the shell to fulfil.
"""

from __future__ import annotations

from collections.abc import Iterator

from ordergate.marketdata.errors import MarketDataError
from ordergate.marketdata.health import StreamCounters, StreamHealth, StreamState, StreamTrigger
from ordergate.marketdata.normalize.base import Normalizer
from ordergate.marketdata.streams import BookStream, NeedsSnapshot, TickerStream, TradeStream
from ordergate.marketdata.types import BookDelta, BookSnapshot, MarketData, Ticker, Trade

__all__ = ["FeedProcessor"]


class FeedProcessor:
    """Normalize, sequence-check and monitor one feed; pure, time passed in.

    Parameters
    ----------
    normalizer
        The venue's normalizer for this feed.
    stale_after_ns
        A stream with nothing for longer than this is ``STALE``.
    buffer_limit
        Deltas held per book while it waits for a snapshot.
    """

    def __init__(
        self,
        normalizer: Normalizer,
        *,
        stale_after_ns: int = 5_000_000_000,
        buffer_limit: int = 10_000,
    ) -> None:
        self.normalizer = normalizer
        self.venue = normalizer.venue
        self.stale_after_ns = stale_after_ns
        self.buffer_limit = buffer_limit
        self.counters = StreamCounters()  # the feed's own: raw messages, bad payloads
        self.errors: list[MarketDataError] = []  # the most recent refusals, for people
        self.books: dict[str, BookStream] = {}
        self.tickers: dict[str, TickerStream] = {}
        self.trades: dict[str, TradeStream] = {}
        self.pending: list[NeedsSnapshot] = []  # snapshot requests for the shell
        self._normalize = normalizer.normalize

    def on_message(self, raw: bytes, now: int) -> list[MarketData]:
        """Process one raw message received at ``now``; return the items to publish."""
        self.counters.messages += 1
        try:
            items = self._normalize(raw, now)
        except MarketDataError as e:
            self._refused(e)
            return []
        out: list[MarketData] = []
        if not items:
            # A control message (Kraken sends a heartbeat each second the market is quiet):
            # the feed is alive, so none of its streams is stale.
            for health in self._healths():
                health.last_message_ns = now
                if health.state is StreamState.STALE:
                    health.fire(StreamTrigger.MESSAGE)
            return out
        for item in items:
            cls = type(item)
            if cls is BookDelta:
                book = self.books.get(item.symbol) or self._book(item.symbol, now)
                book.on_delta(item, now, out)  # type: ignore[arg-type]
            elif cls is Ticker:
                stream = self.tickers.get(item.symbol)
                if stream is None:
                    stream = self.tickers[item.symbol] = TickerStream(
                        self.venue, item.symbol, stale_after_ns=self.stale_after_ns, now=now
                    )
                stream.on_ticker(item, now, out)  # type: ignore[arg-type]
            elif cls is Trade:
                trades = self.trades.get(item.symbol)
                if trades is None:
                    trades = self.trades[item.symbol] = TradeStream(
                        self.venue, item.symbol, stale_after_ns=self.stale_after_ns, now=now
                    )
                trades.on_trade(item, now, out)  # type: ignore[arg-type]
            else:
                assert isinstance(item, BookSnapshot)
                self._in_channel_snapshot(item, now, out)
        self.counters.published += len(out)
        return out

    def _refused(self, error: MarketDataError) -> None:
        self.counters.bad_payloads += 1
        self.errors.append(error)
        del self.errors[:-100]

    def _book(self, symbol: str, now: int) -> BookStream:
        stream = self.books.get(symbol)
        if stream is None:
            stream = self.books[symbol] = BookStream(
                self.venue,
                symbol,
                self.normalizer.book_rules(symbol),
                stale_after_ns=self.stale_after_ns,
                now=now,
                buffer_limit=self.buffer_limit,
                requests=self.pending,
            )
        return stream

    def _in_channel_snapshot(self, snapshot: BookSnapshot, now: int, out: list[MarketData]) -> None:
        stream = self._book(snapshot.symbol, now)
        applied = stream.sequence
        # A venue that numbers its snapshots (Coinbase, ccxt nonces) may deliver an old one
        # late; it must not roll the book back.
        if snapshot.sequence is not None and applied is not None and snapshot.sequence <= applied:
            counters = stream.health.counters
            counters.messages += 1
            if snapshot.sequence == applied:
                counters.duplicates += 1
            else:
                counters.out_of_order += 1
            return
        stream.on_snapshot(snapshot, now, out)

    def request_snapshot(self, symbol: str, now: int) -> None:
        """Ask for a first snapshot of ``symbol``'s book before any delta arrives."""
        self._book(symbol, now).request_snapshot("initial snapshot")

    def take_requests(self) -> list[NeedsSnapshot]:
        """Return and forget every snapshot request raised since the last call."""
        requests = self.pending[:]
        self.pending.clear()  # the books hold this very list: empty it, never replace it
        return requests

    def resync_started(self, symbol: str) -> None:
        """Record that the shell began fetching a snapshot of ``symbol``'s book."""
        self.books[symbol].resync_started()

    def on_snapshot(self, snapshot: BookSnapshot, now: int) -> list[MarketData]:
        """Apply a fetched snapshot and the deltas buffered meanwhile; return what to publish."""
        out: list[MarketData] = []
        self._book(snapshot.symbol, now).on_snapshot(snapshot, now, out)
        self.counters.published += len(out)
        return out

    def snapshot_failed(self, symbol: str) -> None:
        """Record that fetching ``symbol``'s snapshot failed (a new request follows)."""
        self.books[symbol].snapshot_failed()

    def check_stale(self, now: int) -> list[str]:
        """Mark streams with nothing for too long ``STALE``; return the names of stale ones."""
        return [h.stream for h in self._healths() if h.check_stale(now)]

    def _healths(self) -> Iterator[StreamHealth]:
        for book in self.books.values():
            yield book.health
        for ticker in self.tickers.values():
            yield ticker.health
        for trade in self.trades.values():
            yield trade.health

    def health(self) -> dict[str, StreamHealth]:
        """Return every stream's health by stream name."""
        return {h.stream: h for h in self._healths()}
