"""The pure per-stream cores: a book kept in sync with its venue, and ticker/trade streams.

A :class:`BookStream` owns one :class:`OrderBook`, the venue's :class:`SequenceRule`, an
optional checksum and the stream's :class:`StreamHealth`. Invariants:

- A delta is applied only in ``HEALTHY``/``STALE`` and only when the rule says ``APPLY``.
- After every applied delta or snapshot the book is checked for a crossed top and (where the
  venue sends one) its checksum; either failing is a problem.
- A problem moves the stream to ``DEGRADED`` and asks once for a snapshot
  (:class:`NeedsSnapshot`); from then until a snapshot is applied deltas are buffered
  (bounded: the oldest is dropped and counted when full).
- Applying a snapshot resets the rule, then replays the buffer through the same rule, so the
  venue's documented "drop the old, the first must straddle" steps apply to buffered deltas
  exactly as to live ones.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import msgspec

from ordergate.marketdata.book import OrderBook
from ordergate.marketdata.health import StreamHealth, StreamState, StreamTrigger
from ordergate.marketdata.sequencing import SequenceRule, Verdict
from ordergate.marketdata.types import BookDelta, BookSnapshot, MarketData, Ticker, Trade

__all__ = ["BookRules", "BookStream", "NeedsSnapshot", "TickerStream", "TradeStream"]

_HEALTHY = StreamState.HEALTHY
_STALE = StreamState.STALE
_MESSAGE = StreamTrigger.MESSAGE
_APPLY = Verdict.APPLY


class NeedsSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """An action for the shell: fetch a snapshot of this book and hand it back."""

    venue: str
    symbol: str
    reason: str


class BookRules(msgspec.Struct, frozen=True, kw_only=True):
    """How one venue's book for one symbol is kept: sequencing, depth and checksum."""

    rule: Callable[[], SequenceRule]
    depth: int | None = None
    checksum: Callable[[OrderBook], int] | None = None


class BookStream:
    """One venue book kept in sync: rule, checks, health, resync buffer.

    Parameters
    ----------
    venue, symbol
        Which book.
    rules
        The venue's rules for it.
    stale_after_ns, now
        Staleness interval and the current time.
    buffer_limit
        How many deltas to hold while waiting for a snapshot.
    requests
        Where to append snapshot requests (shared by a feed's books); a list of its own if
        ``None``.
    """

    __slots__ = (
        "_awaiting",
        "_buffer",
        "_checksum",
        "_counters",
        "_requests",
        "_rule",
        "book",
        "health",
        "sequence",
        "venue",
    )

    def __init__(
        self,
        venue: str,
        symbol: str,
        rules: BookRules,
        *,
        stale_after_ns: int,
        now: int,
        buffer_limit: int = 10_000,
        requests: list[NeedsSnapshot] | None = None,
    ) -> None:
        self.venue = venue
        self.book = OrderBook(venue, symbol, rules.depth)
        self._rule = rules.rule()
        self._checksum = rules.checksum
        # A book has nothing to be healthy about until its first snapshot.
        self.health = StreamHealth(
            f"{venue}:BOOK:{symbol}", StreamState.RESYNCING, stale_after_ns, now
        )
        self._counters = self.health.counters
        self._buffer: deque[BookDelta] = deque(maxlen=buffer_limit)
        self._requests: list[NeedsSnapshot] = [] if requests is None else requests
        self._awaiting = False  # a snapshot was asked for and has not arrived
        self.sequence: int | None = None  # last update id applied, for people and snapshots

    @property
    def symbol(self) -> str:
        """Return the book's symbol."""
        return self.book.symbol

    def on_delta(self, delta: BookDelta, now: int, out: list[MarketData]) -> None:
        """Check and apply (or buffer, or drop) one delta; append what to publish to ``out``."""
        self.health.last_message_ns = now
        self._counters.messages += 1
        self._process(delta, out)

    def _process(self, delta: BookDelta, out: list[MarketData]) -> None:
        health = self.health
        counters = self._counters
        state = health.state
        if state is not _HEALTHY:
            if state is not _STALE:
                self._hold(delta)
                return
            health.fire(_MESSAGE)  # it arrived: not stale, whatever the rule says of it
        rule = self._rule
        verdict = rule.check(delta)
        if verdict is _APPLY:
            book = self.book
            book.apply(delta.bids, delta.asks)
            rule.accept(delta)
            checksum = delta.checksum
            # The common case (no checksum, not crossed) without a call to _verify.
            if (checksum is None and not book.is_crossed()) or self._verify(checksum):
                self.sequence = delta.last_update_id
                counters.published += 1
                out.append(delta)
        elif verdict is Verdict.SKIP:
            counters.skipped += 1
        elif verdict is Verdict.DUPLICATE:
            counters.duplicates += 1
        elif verdict is Verdict.OUT_OF_ORDER:
            counters.out_of_order += 1
        else:
            counters.gaps += 1
            self._problem("sequence gap")

    def _hold(self, delta: BookDelta) -> None:
        if not self._awaiting:
            # Deltas before any snapshot (Binance: always; others: a missed snapshot).
            self._request("no snapshot yet")
        if len(self._buffer) == self._buffer.maxlen:
            self._counters.buffer_overflows += 1
        self._buffer.append(delta)
        self._counters.buffered += 1

    def _verify(self, checksum: int | None) -> bool:
        if self.book.is_crossed():
            self._counters.crossed += 1
            self._problem("crossed book")
            return False
        verify = self._checksum
        if checksum is not None and verify is not None and verify(self.book) != checksum:
            self._counters.checksum_mismatches += 1
            self._problem("checksum mismatch")
            return False
        return True

    def _problem(self, reason: str) -> None:
        before = self.health.state
        self.health.fire(StreamTrigger.PROBLEM)
        if before is _HEALTHY or before is _STALE:
            self._buffer.clear()
            self._request(reason)

    def _request(self, reason: str) -> None:
        self._awaiting = True
        self._counters.resyncs += 1
        self._requests.append(NeedsSnapshot(venue=self.venue, symbol=self.symbol, reason=reason))

    def request_snapshot(self, reason: str) -> None:
        """Ask for a snapshot for a book that has none yet (at start, before any delta)."""
        if not self._awaiting and self.health.state is StreamState.RESYNCING:
            self._request(reason)

    def resync_started(self) -> None:
        """Record that the shell began fetching a snapshot."""
        if self.health.state is StreamState.DEGRADED:
            self.health.fire(StreamTrigger.RESYNC_STARTED)

    def snapshot_failed(self) -> None:
        """Record a failed fetch and ask again."""
        self._counters.snapshot_failures += 1
        if self.health.state is StreamState.RESYNCING:
            self.health.fire(StreamTrigger.SNAPSHOT_FAILED)
            self._request("snapshot fetch failed")

    def on_snapshot(self, snapshot: BookSnapshot, now: int, out: list[MarketData]) -> None:
        """Load a snapshot, replay the buffered deltas, and append what to publish to ``out``."""
        health = self.health
        health.last_message_ns = now
        self._counters.snapshots += 1
        self.book.load(snapshot.bids, snapshot.asks)
        self._rule.reset(snapshot)
        self.sequence = snapshot.sequence
        buffered = list(self._buffer)
        self._buffer.clear()
        self._awaiting = False
        health.fire(StreamTrigger.SNAPSHOT_APPLIED)
        if not self._verify(snapshot.checksum):
            self._buffer.extend(buffered)  # still needed after the next snapshot
            return
        self._counters.published += 1
        out.append(snapshot)
        for delta in buffered:
            self._process(delta, out)


class TickerStream:
    """Best bid/ask updates of one symbol: crossed and out-of-order ones are dropped."""

    __slots__ = ("_last_ts", "health")

    def __init__(self, venue: str, symbol: str, *, stale_after_ns: int, now: int) -> None:
        self.health = StreamHealth(
            f"{venue}:TICKER:{symbol}", StreamState.HEALTHY, stale_after_ns, now
        )
        self._last_ts = 0

    def on_ticker(self, ticker: Ticker, now: int, out: list[MarketData]) -> None:
        """Check one ticker and append it to ``out`` when it passes."""
        health = self.health
        health.last_message_ns = now
        counters = health.counters
        counters.messages += 1
        if health.state is not _HEALTHY:
            health.fire(_MESSAGE)
        bid = ticker.bid_price
        ask = ticker.ask_price
        if bid is not None and ask is not None and bid >= ask:
            counters.crossed += 1
            return
        ts = ticker.ts_event
        if ts and ts < self._last_ts:
            counters.out_of_order += 1
            return
        self._last_ts = ts
        counters.published += 1
        out.append(ticker)


class TradeStream:
    """Trades of one symbol: repeated or older numeric trade ids are dropped and counted."""

    __slots__ = ("_last_id", "health")

    def __init__(self, venue: str, symbol: str, *, stale_after_ns: int, now: int) -> None:
        self.health = StreamHealth(
            f"{venue}:TRADES:{symbol}", StreamState.HEALTHY, stale_after_ns, now
        )
        self._last_id = -1

    def on_trade(self, trade: Trade, now: int, out: list[MarketData]) -> None:
        """Check one trade and append it to ``out`` when it is new."""
        health = self.health
        health.last_message_ns = now
        counters = health.counters
        counters.messages += 1
        if health.state is not _HEALTHY:
            health.fire(_MESSAGE)
        trade_id = trade.trade_id
        if trade_id is not None and trade_id.isdigit():
            number = int(trade_id)
            if number <= self._last_id:
                if number == self._last_id:
                    counters.duplicates += 1
                else:
                    counters.out_of_order += 1
                return
            self._last_id = number
        counters.published += 1
        out.append(trade)
