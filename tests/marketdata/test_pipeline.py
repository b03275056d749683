"""The asyncio shell end to end: raw messages in, snapshot fetches on resync, subscribers out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.clock import TestClock
from ordergate.marketdata import (
    BookDelta,
    BookSnapshot,
    Channel,
    MarketData,
    MarketDataPipeline,
    NeedsSnapshot,
    StreamState,
    Ticker,
    Trade,
)
from ordergate.marketdata.normalize import (
    BinanceNormalizer,
    BinanceStream,
    KrakenNormalizer,
    KrakenPair,
    SimNormalizer,
    sim_messages,
)
from ordergate.sim.venue import SimVenue
from tests.marketdata import payloads as p

D = Decimal
BOOK = "BINANCE:BOOK:BTC-USDT"


async def feed(messages: list[bytes]) -> AsyncIterator[bytes]:
    for raw in messages:
        await asyncio.sleep(0)  # a socket suspends between reads
        yield raw


async def collect(subscription: AsyncIterator[MarketData]) -> list[MarketData]:
    return [item async for item in subscription]


class DepthSnapshots:
    """A REST depth endpoint stand-in: hands out the queued snapshot replies in order."""

    def __init__(self, normalizer: BinanceNormalizer, replies: list[bytes | Exception]) -> None:
        self.normalizer = normalizer
        self.replies = replies
        self.requests: list[NeedsSnapshot] = []

    async def __call__(self, request: NeedsSnapshot) -> BookSnapshot:
        self.requests.append(request)
        await asyncio.sleep(0)  # a round trip: deltas keep arriving meanwhile
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return self.normalizer.depth_snapshot(reply, request.symbol, 0)


async def test_binance_book_resyncs_after_a_gap_through_the_fetcher() -> None:
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.DEPTH)
    later = b'{"lastUpdateId":120,"bids":[["29990.00","4"]],"asks":[["30005.00","1"]]}'
    fetch = DepthSnapshots(normalizer, [p.BINANCE_SNAPSHOT, later])
    messages = [
        p.binance_depth(95, 101, [["30000.00", "2"]], []),  # straddles lastUpdateId 100
        p.binance_depth(102, 104, [["29999.00", "0"]], []),
        p.binance_depth(110, 112, [["29000.00", "1"]], []),  # gap: 105..109 lost
        p.binance_depth(113, 118, [["29001.00", "1"]], []),  # older than the next snapshot
        p.binance_depth(119, 125, [["29995.00", "3"]], []),  # straddles 121
        p.binance_depth(126, 126, [], [["30005.00", "2"]]),
    ]
    pipeline = MarketDataPipeline(TestClock(), retry_delay=0)
    pipeline.add_feed(
        "depth", normalizer, feed(messages), fetcher=fetch, initial_snapshots=["BTC-USDT"]
    )
    subscription = pipeline.subscribe()
    received = asyncio.create_task(collect(subscription))

    await pipeline.run()
    items = await received

    assert [r.reason for r in fetch.requests] == ["initial snapshot", "sequence gap"]
    assert [type(i).__name__ for i in items].count("BookSnapshot") == 2
    book = pipeline.book("depth", "BTC-USDT")
    assert book.bids() == [(D("29995.00"), D("3")), (D("29990.00"), D("4"))]
    assert book.asks() == [(D("30005.00"), D("2"))]
    health = pipeline.health()[BOOK]
    assert health.state is StreamState.HEALTHY
    assert (health.counters.gaps, health.counters.snapshots, health.counters.resyncs) == (1, 2, 2)
    # Everything published after the second snapshot continues from it.
    last_snapshot = max(i for i, item in enumerate(items) if isinstance(item, BookSnapshot))
    assert all(isinstance(item, BookDelta) for item in items[last_snapshot + 1 :])


async def test_failed_fetch_is_retried_and_the_book_then_syncs() -> None:
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.DEPTH)
    fetch = DepthSnapshots(normalizer, [OSError("connection reset"), p.BINANCE_SNAPSHOT])
    messages = [p.binance_depth(95, 101 + n, [["30000.00", str(n + 1)]], []) for n in range(1)]
    messages += [p.binance_depth(102 + n, 102 + n, [], []) for n in range(10)]
    pipeline = MarketDataPipeline(TestClock(), retry_delay=0)
    pipeline.add_feed(
        "depth", normalizer, feed(messages), fetcher=fetch, initial_snapshots=["BTC-USDT"]
    )

    await pipeline.run()

    assert len(fetch.requests) == 2
    health = pipeline.health()[BOOK]
    assert health.counters.snapshot_failures == 1
    assert health.state is StreamState.HEALTHY
    assert pipeline.book("depth", "BTC-USDT").best_bid == (D("30000.00"), D("1"))


async def test_kraken_checksum_mismatch_asks_the_fetcher_and_recovers() -> None:
    pair = KrakenPair(symbol="MATIC-USD", price_precision=4, qty_precision=8)
    normalizer = KrakenNormalizer({"MATIC/USD": pair})
    requests: list[NeedsSnapshot] = []

    async def resubscribe(request: NeedsSnapshot) -> BookSnapshot:
        requests.append(request)
        (snapshot,) = normalizer.normalize(p.KRAKEN_SNAPSHOT, 0)
        assert isinstance(snapshot, BookSnapshot)
        return snapshot

    messages = [
        p.KRAKEN_SNAPSHOT,
        p.KRAKEN_UPDATE.replace(b"2114181697", b"2114181696"),  # corrupted
        p.KRAKEN_HEARTBEAT,
        p.KRAKEN_HEARTBEAT,
    ]
    pipeline = MarketDataPipeline(TestClock())
    pipeline.add_feed("kraken", normalizer, feed(messages), fetcher=resubscribe)

    await pipeline.run()

    assert [r.reason for r in requests] == ["checksum mismatch"]
    health = pipeline.health()["KRAKEN:BOOK:MATIC-USD"]
    assert health.state is StreamState.HEALTHY
    assert health.counters.checksum_mismatches == 1


async def test_bad_payloads_are_counted_and_the_feed_goes_on() -> None:
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.TRADE)
    messages = [b"{", p.BINANCE_TRADE.replace(b"BTCUSDT", b"DOGEUSDT"), p.BINANCE_TRADE]
    pipeline = MarketDataPipeline(TestClock())
    processor = pipeline.add_feed("trades", normalizer, feed(messages))
    subscription = pipeline.subscribe()
    received = asyncio.create_task(collect(subscription))

    await pipeline.run()

    assert [type(item) for item in await received] == [Trade]
    assert processor.counters.bad_payloads == 2


async def test_subscriber_filters_and_bounded_queue_counts_drops() -> None:
    trades = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.TRADE)
    tickers = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.BOOK_TICKER)
    trade_messages = [p.BINANCE_TRADE.replace(b"12345", str(n).encode()) for n in range(1, 6)]

    async def burst(messages: list[bytes]) -> AsyncIterator[bytes]:
        for raw in messages:  # no suspension: the subscriber cannot read in between
            yield raw

    pipeline = MarketDataPipeline(TestClock())
    pipeline.add_feed("trades", trades, burst(trade_messages))
    pipeline.add_feed("tickers", tickers, burst([p.BINANCE_BOOK_TICKER]))
    only_tickers = pipeline.subscribe(channels=[Channel.TICKER])
    small = pipeline.subscribe(maxsize=2, channels=[Channel.TRADES])
    tickers_seen = asyncio.create_task(collect(only_tickers))
    small_seen = asyncio.create_task(collect(small))

    await pipeline.run()

    assert [type(item) for item in await tickers_seen] == [Ticker]
    assert len(await small_seen) == 2
    assert small.dropped == 3


async def test_stale_feed_is_marked_by_the_timer() -> None:
    clock = TestClock()
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.TRADE)
    gate = asyncio.Event()

    async def quiet() -> AsyncIterator[bytes]:
        yield p.BINANCE_TRADE
        await gate.wait()  # the venue goes silent

    pipeline = MarketDataPipeline(clock, stale_check_interval=0.001)
    pipeline.add_feed("trades", normalizer, quiet(), stale_after=1.0)
    run = asyncio.create_task(pipeline.run())
    while "BINANCE:TRADES:BTC-USDT" not in pipeline.health():
        await asyncio.sleep(0)
    clock.advance(2_000_000_000)
    while pipeline.health()["BINANCE:TRADES:BTC-USDT"].state is not StreamState.STALE:
        await asyncio.sleep(0.001)

    gate.set()
    await run

    assert pipeline.health()["BINANCE:TRADES:BTC-USDT"].counters.stale == 1


async def test_simulator_quotes_and_trades_flow_through_the_pipeline() -> None:
    clock = TestClock()
    venue = SimVenue(clock=clock, step_interval_ns=0, seed=3)
    await venue.connect()
    pipeline = MarketDataPipeline(clock)
    symbols = ["AAPL", "MSFT", "SPY", "BTC-USD", "ETH-USD"]
    pipeline.add_feed("sim", SimNormalizer(symbols), sim_messages(venue.market_data()))
    subscription = pipeline.subscribe()
    received = asyncio.create_task(collect(subscription))
    run = asyncio.create_task(pipeline.run())
    for _ in range(5):
        await asyncio.sleep(0)
    for _ in range(20):
        clock.advance(100_000_000)
        venue.step_market()
        await asyncio.sleep(0)

    await venue.disconnect()
    await run
    items = await received

    tickers = [item for item in items if isinstance(item, Ticker)]
    assert {t.symbol for t in tickers} == set(symbols)
    assert all(t.venue == "SIM" for t in tickers)
    assert pipeline.health()["SIM:TICKER:AAPL"].state is StreamState.HEALTHY
    assert sum(h.counters.bad_payloads for h in pipeline.health().values()) == 0


async def test_cancelling_the_run_cancels_fetches_and_closes_subscriptions() -> None:
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.DEPTH)
    never = asyncio.Event()
    fetching = asyncio.Event()

    async def hanging_fetch(request: NeedsSnapshot) -> BookSnapshot:
        fetching.set()
        await never.wait()
        raise AssertionError("unreachable")

    async def silent() -> AsyncIterator[bytes]:
        await never.wait()
        yield b""

    pipeline = MarketDataPipeline(TestClock())
    pipeline.add_feed(
        "depth", normalizer, silent(), fetcher=hanging_fetch, initial_snapshots=["BTC-USDT"]
    )
    subscription = pipeline.subscribe()
    received = asyncio.create_task(collect(subscription))
    run = asyncio.create_task(pipeline.run())
    await fetching.wait()

    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert await received == []
    assert pipeline.health()[BOOK].state is StreamState.RESYNCING


async def test_unsubscribed_subscription_ends_and_gets_nothing_more() -> None:
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.TRADE)
    pipeline = MarketDataPipeline(TestClock())
    pipeline.add_feed("trades", normalizer, feed([p.BINANCE_TRADE]))
    subscription = pipeline.subscribe()

    pipeline.unsubscribe(subscription)
    await pipeline.run()

    assert await collect(subscription) == []
    assert subscription.qsize() == 0
