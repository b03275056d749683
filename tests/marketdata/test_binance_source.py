"""Books from a Binance-style exchange's real streams: the simulated Binance on loopback.

The pipeline reads the combined depth/bookTicker/trade stream over a websocket, takes the
first snapshot over REST, and keeps the books by Binance's update-id rule; when the
exchange goes away and comes back, the deltas it sent meanwhile are missing, the rule sees
the gap, and the book is resynchronised from a fresh snapshot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import httpx
import pytest

from ordergate.clock import LiveClock
from ordergate.fix.transport.backoff import Backoff
from ordergate.marketdata import StreamState
from ordergate.marketdata.pipeline import MarketDataPipeline
from ordergate.marketdata.sources import BinanceSource
from ordergate.sim.binance import BinanceSim, BinanceSimServer

BOOK = "BINANCE:BOOK:BTC-USD"


@pytest.fixture
async def server() -> AsyncIterator[BinanceSimServer]:
    server = BinanceSimServer(BinanceSim(seed=11))  # the market moves only when stepped
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def source(server: BinanceSimServer) -> AsyncIterator[BinanceSource]:
    source = BinanceSource(
        server.ws_url,
        server.url,
        {"BTCUSDT": "BTC-USD"},
        clock=LiveClock(),
        backoff=Backoff(0.01, 0.05),
    )
    yield source
    await source.aclose()


@pytest.fixture
async def pipeline(source: BinanceSource) -> AsyncIterator[MarketDataPipeline]:
    pipeline = MarketDataPipeline(LiveClock(), retry_delay=0.05)
    pipeline.add_feed(
        "BINANCE",
        source.normalizer,
        source.messages(),
        fetcher=source.snapshot,
        initial_snapshots=["BTC-USD"],
    )
    task = asyncio.create_task(pipeline.run())
    yield pipeline
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not check():
            await asyncio.sleep(0.01)


async def venue_depth(server: BinanceSimServer) -> tuple[list[list[Decimal]], list[list[Decimal]]]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        reply = (await client.get("/api/v3/depth", params={"symbol": "BTCUSDT"})).json()
    return (
        [[Decimal(p), Decimal(q)] for p, q in reply["bids"]],
        [[Decimal(p), Decimal(q)] for p, q in reply["asks"]],
    )


async def in_step_with_the_venue(pipeline: MarketDataPipeline, server: BinanceSimServer) -> None:
    bids, asks = await venue_depth(server)

    def same() -> bool:
        book = pipeline.book("BINANCE", "BTC-USD")
        return [list(lv) for lv in book.bids()] == bids and [list(lv) for lv in book.asks()] == asks

    await until(same)


async def test_the_book_follows_the_venue_through_snapshot_and_deltas(
    pipeline: MarketDataPipeline, server: BinanceSimServer
) -> None:
    await until(lambda: BOOK in pipeline.health() and pipeline.health()[BOOK].counters.snapshots)

    for _ in range(5):
        server.step_market()  # the market moves: diff depth updates go out
    await in_step_with_the_venue(pipeline, server)

    health = pipeline.health()[BOOK]
    assert health.state is StreamState.HEALTHY
    assert health.counters.gaps == 0
    assert not pipeline.book("BINANCE", "BTC-USD").is_crossed()


async def test_a_lost_stream_comes_back_and_the_gap_is_resynchronised(
    pipeline: MarketDataPipeline, server: BinanceSimServer, source: BinanceSource
) -> None:
    await until(lambda: BOOK in pipeline.health() and pipeline.health()[BOOK].counters.snapshots)
    port = server.port

    await server.stop()  # every websocket drops; the market moves while nobody listens
    server.sim.step_market()
    server.sim.step_market()
    restarted = BinanceSimServer(server.sim, port=port)
    await restarted.start()
    try:
        await until(lambda: source.connects >= 2)
        for _ in range(3):
            restarted.step_market()
        await until(lambda: pipeline.health()[BOOK].counters.snapshots >= 2)
        await in_step_with_the_venue(pipeline, restarted)

        health = pipeline.health()[BOOK]
        assert health.counters.gaps >= 1
        assert health.state is StreamState.HEALTHY
    finally:
        await restarted.stop()
