"""Scenarios of the pure feed core: sequencing, monitoring and resync, without asyncio."""

from __future__ import annotations

from decimal import Decimal

from ordergate.marketdata import (
    BookDelta,
    BookSnapshot,
    Channel,
    FeedProcessor,
    NeedsSnapshot,
    StreamState,
    Ticker,
    Trade,
)
from ordergate.marketdata.normalize import (
    BinanceNormalizer,
    BinanceStream,
    CcxtNormalizer,
    CoinbaseNormalizer,
    KrakenNormalizer,
    KrakenPair,
)
from tests.marketdata import payloads as p

D = Decimal
BOOK = "BINANCE:BOOK:BTC-USDT"


def binance() -> tuple[FeedProcessor, BinanceNormalizer]:
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.DEPTH)
    return FeedProcessor(normalizer, stale_after_ns=1_000), normalizer


def synced_binance() -> FeedProcessor:
    processor, normalizer = binance()
    processor.request_snapshot("BTC-USDT", 0)
    processor.take_requests()
    processor.on_snapshot(normalizer.depth_snapshot(p.BINANCE_SNAPSHOT, "BTC-USDT", 0), 0)
    processor.on_message(p.binance_depth(95, 101, [["29999.50", "1"]], []), 1)
    return processor


def test_deltas_before_the_snapshot_are_buffered_and_a_snapshot_is_asked_for() -> None:
    processor, _ = binance()

    out = processor.on_message(p.binance_depth(90, 95, [["30000.00", "9"]], []), 1)

    assert out == []
    assert processor.take_requests() == [
        NeedsSnapshot(venue="BINANCE", symbol="BTC-USDT", reason="no snapshot yet")
    ]
    assert processor.health()[BOOK].state is StreamState.RESYNCING
    assert processor.books["BTC-USDT"].book.bids() == []


def test_snapshot_then_buffered_deltas_follow_binance_rules() -> None:
    processor, normalizer = binance()
    processor.on_message(p.binance_depth(90, 95, [["30000.00", "9"]], []), 1)  # older: dropped
    processor.on_message(p.binance_depth(96, 101, [["30000.00", "2"]], []), 2)  # straddles 101
    processor.on_message(p.binance_depth(102, 103, [], [["30001.00", "0"]]), 3)
    processor.take_requests()

    out = processor.on_snapshot(normalizer.depth_snapshot(p.BINANCE_SNAPSHOT, "BTC-USDT", 4), 4)

    assert [type(item) for item in out] == [BookSnapshot, BookDelta, BookDelta]
    book = processor.books["BTC-USDT"].book
    assert book.best_bid == (D("30000.00"), D("2"))
    assert book.best_ask == (D("30002.00"), D("3"))
    health = processor.health()[BOOK]
    assert health.state is StreamState.HEALTHY
    assert health.counters.skipped == 1
    assert processor.books["BTC-USDT"].sequence == 103


def test_snapshot_older_than_every_buffered_delta_needs_another_snapshot() -> None:
    processor, normalizer = binance()
    processor.on_message(p.binance_depth(150, 160, [["30000.00", "2"]], []), 1)
    processor.take_requests()

    out = processor.on_snapshot(normalizer.depth_snapshot(p.BINANCE_SNAPSHOT, "BTC-USDT", 2), 2)

    assert [type(item) for item in out] == [BookSnapshot]
    assert processor.health()[BOOK].state is StreamState.DEGRADED
    assert processor.health()[BOOK].counters.gaps == 1
    assert [r.reason for r in processor.take_requests()] == ["sequence gap"]


def test_gap_marks_the_book_degraded_asks_once_and_buffers_until_resync() -> None:
    processor = synced_binance()

    processor.on_message(p.binance_depth(105, 106, [["29990", "1"]], []), 5)  # 102..104 lost
    processor.on_message(p.binance_depth(107, 108, [["29991", "1"]], []), 6)
    processor.on_message(p.binance_depth(109, 110, [["29992", "1"]], []), 7)

    health = processor.health()[BOOK]
    assert health.state is StreamState.DEGRADED
    assert health.counters.gaps == 1
    assert health.counters.buffered == 2
    assert [r.reason for r in processor.take_requests()] == ["sequence gap"]
    assert D("29990") not in dict(processor.books["BTC-USDT"].book.bids())


def test_resync_applies_the_snapshot_and_the_buffer_after_it() -> None:
    processor = synced_binance()
    processor.on_message(p.binance_depth(105, 106, [], []), 5)  # gap
    processor.on_message(p.binance_depth(107, 111, [["29995.00", "7"]], []), 6)
    processor.on_message(p.binance_depth(112, 112, [["29996.00", "8"]], []), 7)
    processor.take_requests()
    processor.resync_started("BTC-USDT")
    assert processor.health()[BOOK].state is StreamState.RESYNCING
    fresh = BookSnapshot(
        venue="BINANCE",
        symbol="BTC-USDT",
        bids=((D("30000.00"), D("1")),),
        asks=((D("30001.00"), D("1")),),
        sequence=108,
    )

    out = processor.on_snapshot(fresh, 8)

    assert [type(item) for item in out] == [BookSnapshot, BookDelta, BookDelta]
    assert processor.books["BTC-USDT"].book.bids() == [
        (D("30000.00"), D("1")),
        (D("29996.00"), D("8")),
        (D("29995.00"), D("7")),
    ]
    assert processor.health()[BOOK].state is StreamState.HEALTHY
    assert processor.take_requests() == []


def test_failed_snapshot_fetch_asks_again() -> None:
    processor = synced_binance()
    processor.on_message(p.binance_depth(105, 106, [], []), 5)
    processor.take_requests()
    processor.resync_started("BTC-USDT")

    processor.snapshot_failed("BTC-USDT")

    assert processor.health()[BOOK].state is StreamState.DEGRADED
    assert processor.health()[BOOK].counters.snapshot_failures == 1
    assert [r.reason for r in processor.take_requests()] == ["snapshot fetch failed"]


def test_duplicate_and_out_of_order_deltas_are_counted_and_dropped() -> None:
    processor = synced_binance()
    processor.on_message(p.binance_depth(102, 104, [["29000", "1"]], []), 2)

    assert processor.on_message(p.binance_depth(102, 104, [["29000", "5"]], []), 3) == []
    assert processor.on_message(p.binance_depth(95, 101, [["29000", "6"]], []), 4) == []

    counters = processor.health()[BOOK].counters
    assert (counters.duplicates, counters.out_of_order) == (1, 1)
    assert processor.health()[BOOK].state is StreamState.HEALTHY
    assert dict(processor.books["BTC-USDT"].book.bids())[D("29000")] == D("1")


def test_crossed_book_is_a_problem_and_asks_for_a_snapshot() -> None:
    processor = synced_binance()

    out = processor.on_message(p.binance_depth(102, 102, [["30001.00", "1"]], []), 2)

    assert out == []
    health = processor.health()[BOOK]
    assert health.counters.crossed == 1
    assert health.state is StreamState.DEGRADED
    assert [r.reason for r in processor.take_requests()] == ["crossed book"]


def test_bad_payload_is_counted_applies_nothing_and_does_not_break_the_stream() -> None:
    processor = synced_binance()
    before = processor.books["BTC-USDT"].book.bids()

    assert processor.on_message(p.binance_depth(102, 102, [["30000.50", "-1"]], []), 2) == []
    assert processor.on_message(b"\x00garbage", 3) == []

    assert processor.counters.bad_payloads == 2
    assert [e.kind.value for e in processor.errors] == ["INVALID_NUMBER", "MALFORMED"]
    assert processor.books["BTC-USDT"].book.bids() == before
    assert processor.health()[BOOK].state is StreamState.HEALTHY
    # The venue's next delta still lines up: nothing of the bad one was taken.
    assert len(processor.on_message(p.binance_depth(102, 102, [["30000.50", "1"]], []), 4)) == 1


def test_stale_stream_recovers_on_the_next_message() -> None:
    processor = synced_binance()

    assert processor.check_stale(10_000) == [BOOK]
    assert processor.health()[BOOK].state is StreamState.STALE
    processor.on_message(p.binance_depth(102, 102, [["29000", "1"]], []), 10_001)

    assert processor.health()[BOOK].state is StreamState.HEALTHY
    assert processor.health()[BOOK].counters.stale == 1


def test_buffer_is_bounded_and_counts_what_it_drops() -> None:
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.DEPTH)
    processor = FeedProcessor(normalizer, buffer_limit=2)

    for n in range(5):
        processor.on_message(p.binance_depth(200 + n, 200 + n, [], []), n)

    counters = processor.health()[BOOK].counters
    assert (counters.buffered, counters.buffer_overflows) == (5, 3)


KRAKEN = KrakenNormalizer(
    {"MATIC/USD": KrakenPair(symbol="MATIC-USD", price_precision=4, qty_precision=8)}
)
KRAKEN_BOOK = "KRAKEN:BOOK:MATIC-USD"


def test_kraken_documented_snapshot_and_update_pass_the_checksum() -> None:
    processor = FeedProcessor(KRAKEN)

    out = processor.on_message(p.KRAKEN_SNAPSHOT, 1) + processor.on_message(p.KRAKEN_UPDATE, 2)

    assert [type(item) for item in out] == [BookSnapshot, BookDelta]
    assert processor.health()[KRAKEN_BOOK].state is StreamState.HEALTHY
    assert processor.health()[KRAKEN_BOOK].counters.checksum_mismatches == 0


def test_kraken_checksum_mismatch_degrades_and_asks_for_a_snapshot() -> None:
    processor = FeedProcessor(KRAKEN)
    processor.on_message(p.KRAKEN_SNAPSHOT, 1)

    out = processor.on_message(p.KRAKEN_UPDATE.replace(b"2114181697", b"2114181698"), 2)

    assert out == []
    assert processor.health()[KRAKEN_BOOK].state is StreamState.DEGRADED
    assert processor.health()[KRAKEN_BOOK].counters.checksum_mismatches == 1
    assert [r.reason for r in processor.take_requests()] == ["checksum mismatch"]


def test_kraken_snapshot_with_a_wrong_checksum_is_not_published() -> None:
    processor = FeedProcessor(KRAKEN)

    out = processor.on_message(p.KRAKEN_SNAPSHOT.replace(b"2439117997", b"1"), 1)

    assert out == []
    assert processor.health()[KRAKEN_BOOK].state is StreamState.DEGRADED


def test_kraken_resubscribe_snapshot_resyncs_in_channel() -> None:
    processor = FeedProcessor(KRAKEN)
    processor.on_message(p.KRAKEN_SNAPSHOT, 1)
    processor.on_message(p.KRAKEN_UPDATE.replace(b"2114181697", b"7"), 2)  # mismatch
    processor.take_requests()

    out = processor.on_message(p.KRAKEN_SNAPSHOT, 3)

    assert [type(item) for item in out] == [BookSnapshot]
    assert processor.health()[KRAKEN_BOOK].state is StreamState.HEALTHY


def test_kraken_heartbeat_keeps_streams_from_going_stale() -> None:
    processor = FeedProcessor(KRAKEN, stale_after_ns=100)
    processor.on_message(p.KRAKEN_SNAPSHOT, 0)

    processor.on_message(p.KRAKEN_HEARTBEAT, 90)

    assert processor.check_stale(150) == []
    assert processor.check_stale(191) == [KRAKEN_BOOK]
    processor.on_message(p.KRAKEN_HEARTBEAT, 200)
    assert processor.health()[KRAKEN_BOOK].state is StreamState.HEALTHY


COINBASE_BOOK = "COINBASE:BOOK:BTC-USD"


def test_coinbase_sequence_gap_degrades_and_a_new_snapshot_resyncs() -> None:
    processor = FeedProcessor(CoinbaseNormalizer({"BTC-USD": "BTC-USD"}))
    processor.on_message(
        p.coinbase_l2(1, "snapshot", [("bid", "100", "1"), ("offer", "101", "1")]), 1
    )
    processor.on_message(p.coinbase_l2(2, "update", [("bid", "100", "2")]), 2)

    processor.on_message(p.coinbase_l2(4, "update", [("bid", "100", "3")]), 3)  # 3 lost
    assert processor.health()[COINBASE_BOOK].state is StreamState.DEGRADED
    assert processor.health()[COINBASE_BOOK].counters.gaps == 1

    processor.on_message(
        p.coinbase_l2(5, "snapshot", [("bid", "100", "4"), ("offer", "101", "1")]), 4
    )
    processor.on_message(p.coinbase_l2(6, "update", [("bid", "99", "1")]), 5)

    assert processor.health()[COINBASE_BOOK].state is StreamState.HEALTHY
    assert processor.books["BTC-USD"].book.bids() == [(D("100"), D("4")), (D("99"), D("1"))]


def test_ccxt_older_nonce_snapshot_does_not_roll_the_book_back() -> None:
    processor = FeedProcessor(CcxtNormalizer("X", Channel.BOOK, {"BTC/USDT": "BTC-USDT"}))

    def book(nonce: int, bid: str) -> bytes:
        return (
            f'{{"symbol":"BTC/USDT","bids":[[{bid},1]],"asks":[[200,1]],"nonce":{nonce}}}'.encode()
        )

    processor.on_message(book(10, "100"), 1)
    processor.on_message(book(12, "101"), 2)
    processor.on_message(book(11, "99"), 3)
    processor.on_message(book(12, "98"), 4)

    assert processor.books["BTC-USDT"].book.best_bid == (D("101"), D("1"))
    counters = processor.health()["X:BOOK:BTC-USDT"].counters
    assert (counters.out_of_order, counters.duplicates) == (1, 1)


def test_tickers_crossed_or_older_are_dropped_and_counted() -> None:
    processor = FeedProcessor(BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.TICKER))
    crossed = p.BINANCE_TICKER.replace(b'"b":"30000.00"', b'"b":"30001.00"')
    older = p.BINANCE_TICKER.replace(b"1672515782136", b"1672515782000")

    assert len(processor.on_message(p.BINANCE_TICKER, 1)) == 1
    assert processor.on_message(crossed, 2) == []
    assert processor.on_message(older, 3) == []

    counters = processor.health()["BINANCE:TICKER:BTC-USDT"].counters
    assert (counters.crossed, counters.out_of_order, counters.published) == (1, 1, 1)


def test_repeated_and_older_trade_ids_are_dropped_and_counted() -> None:
    processor = FeedProcessor(BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.TRADE))
    older = p.BINANCE_TRADE.replace(b'"t":12345', b'"t":12000')

    first = processor.on_message(p.BINANCE_TRADE, 1)
    processor.on_message(p.BINANCE_TRADE, 2)
    processor.on_message(older, 3)

    assert [type(item) for item in first] == [Trade]
    counters = processor.health()["BINANCE:TRADES:BTC-USDT"].counters
    assert (counters.duplicates, counters.out_of_order, counters.published) == (1, 1, 1)


def test_ticker_stream_recovers_from_stale() -> None:
    processor = FeedProcessor(
        BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.BOOK_TICKER), stale_after_ns=10
    )
    processor.on_message(p.BINANCE_BOOK_TICKER, 0)
    processor.check_stale(100)

    (ticker,) = processor.on_message(p.BINANCE_BOOK_TICKER, 101)

    assert isinstance(ticker, Ticker)
    assert processor.health()["BINANCE:TICKER:BTC-USDT"].state is StreamState.HEALTHY
