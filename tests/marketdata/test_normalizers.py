from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from ordergate.domain.reports import Quote, TradeTick
from ordergate.domain.values import Side
from ordergate.marketdata import (
    BadPayload,
    BookDelta,
    BookSnapshot,
    Channel,
    MarketDataError,
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
    SimNormalizer,
)
from ordergate.marketdata.normalize._common import rfc3339_to_ns
from tests.marketdata import payloads as p

D = Decimal
BTC = {"BTCUSDT": "BTC-USDT"}
MATIC = {"MATIC/USD": KrakenPair(symbol="MATIC-USD", price_precision=4, qty_precision=8)}


def test_binance_depth_update_keeps_ids_and_exact_levels() -> None:
    raw = p.binance_depth(157, 160, [["30000.10", "0.002"]], [["30001.00", "0"]])

    (delta,) = BinanceNormalizer(BTC, BinanceStream.DEPTH).normalize(raw, 5)

    assert delta == BookDelta(
        venue="BINANCE",
        symbol="BTC-USDT",
        bids=((D("30000.10"), D("0.002")),),
        asks=((D("30001.00"), D("0")),),
        first_update_id=157,
        last_update_id=160,
        ts_event=1_672_515_782_136_000_000,
        ts_init=5,
    )


def test_binance_futures_depth_update_carries_pu() -> None:
    raw = p.binance_futures_depth(157, 160, 156, [], [])

    (delta,) = BinanceNormalizer(BTC, BinanceStream.DEPTH).normalize(raw, 0)

    assert isinstance(delta, BookDelta)
    assert delta.previous_update_id == 156


def test_binance_book_ticker_is_a_ticker_and_a_quote() -> None:
    (ticker,) = BinanceNormalizer(BTC, BinanceStream.BOOK_TICKER).normalize(
        p.BINANCE_BOOK_TICKER, 9
    )

    assert isinstance(ticker, Ticker)
    assert isinstance(ticker, Quote)
    assert (ticker.bid_price, ticker.bid_size) == (D("30000.00000000"), D("31.21000000"))
    assert (ticker.ask_price, ticker.ask_size) == (D("30001.00000000"), D("40.66000000"))
    assert ticker.ts_event == ticker.ts_init == 9  # spot bookTicker has no time of its own


def test_binance_24h_ticker_has_last_and_volume() -> None:
    (ticker,) = BinanceNormalizer(BTC, BinanceStream.TICKER).normalize(p.BINANCE_TICKER, 0)

    assert isinstance(ticker, Ticker)
    assert ticker.last_price == D("30000.50")
    assert ticker.last_quantity == D("10")
    assert ticker.volume == D("10000")


def test_binance_trade_aggressor_is_the_seller_when_the_buyer_is_maker() -> None:
    (trade,) = BinanceNormalizer(BTC, BinanceStream.TRADE).normalize(p.BINANCE_TRADE, 0)

    assert trade == Trade(
        venue="BINANCE",
        symbol="BTC-USDT",
        price=D("30000.10"),
        quantity=D("0.25"),
        aggressor=Side.SELL,
        trade_id="12345",
        ts_event=1_672_515_782_136_000_000,
        ts_init=0,
    )
    assert isinstance(trade, TradeTick)


def test_binance_agg_trade_uses_the_aggregate_id() -> None:
    (trade,) = BinanceNormalizer(BTC, BinanceStream.AGG_TRADE).normalize(p.BINANCE_AGG_TRADE, 0)

    assert isinstance(trade, Trade)
    assert (trade.trade_id, trade.aggressor) == ("26129", Side.BUY)


def test_binance_combined_stream_is_routed_by_stream_name() -> None:
    normalizer = BinanceNormalizer(BTC)
    wrapped = b'{"stream":"btcusdt@trade","data":' + p.BINANCE_TRADE + b"}"
    wrapped_depth = (
        b'{"stream":"btcusdt@depth@100ms","data":' + p.binance_depth(1, 2, [["1", "1"]], []) + b"}"
    )

    (trade,) = normalizer.normalize(wrapped, 0)
    (delta,) = normalizer.normalize(wrapped_depth, 0)

    assert isinstance(trade, Trade)
    assert isinstance(delta, BookDelta)


def test_binance_depth_snapshot_names_the_symbol_it_was_asked_for() -> None:
    snapshot = BinanceNormalizer(BTC).depth_snapshot(p.BINANCE_SNAPSHOT, "BTC-USDT", 3)

    assert snapshot.sequence == 100
    assert snapshot.bids[0] == (D("30000.00"), D("1.5"))
    assert snapshot.asks[0] == (D("30001.00"), D("1"))


def test_kraken_snapshot_and_update() -> None:
    normalizer = KrakenNormalizer(MATIC)

    (snapshot,) = normalizer.normalize(p.KRAKEN_SNAPSHOT, 0)
    (update,) = normalizer.normalize(p.KRAKEN_UPDATE, 0)

    assert isinstance(snapshot, BookSnapshot)
    assert snapshot.bids[6] == (D("0.566"), D("18097.1547"))  # JSON number, read exactly
    assert snapshot.checksum == 2439117997
    assert snapshot.ts_event == rfc3339_to_ns("2023-10-06T17:35:55.440295Z")
    assert isinstance(update, BookDelta)
    assert update.bids == ((D("0.5657"), D("1098.3947558")),)
    assert update.checksum == 2114181697


def test_kraken_ticker_and_trades() -> None:
    normalizer = KrakenNormalizer(MATIC)

    (ticker,) = normalizer.normalize(p.KRAKEN_TICKER, 4)
    trades = normalizer.normalize(p.KRAKEN_TRADE, 4)

    assert isinstance(ticker, Ticker)
    assert (ticker.bid_price, ticker.last_price, ticker.volume) == (
        D("0.5666"),
        D("0.5667"),
        D("997038.98383185"),
    )
    assert ticker.ts_event == 4  # this ticker carries no timestamp
    assert [(t.trade_id, t.aggressor, t.quantity) for t in trades if isinstance(t, Trade)] == [
        ("4665846", Side.SELL, D("6423.46326")),
        ("4665847", Side.BUY, D("1.5")),
    ]


@pytest.mark.parametrize("raw", [p.KRAKEN_HEARTBEAT, p.KRAKEN_ACK, b'{"channel":"status"}'])
def test_kraken_control_messages_carry_nothing(raw: bytes) -> None:
    assert KrakenNormalizer(MATIC).normalize(raw, 0) == ()


def test_coinbase_l2_snapshot_and_update() -> None:
    normalizer = CoinbaseNormalizer({"BTC-USD": "BTC-USD"})
    snapshot_raw = p.coinbase_l2(
        1,
        "snapshot",
        [("bid", "21921.73", "0.06317902"), ("offer", "21921.74", "1"), ("bid", "21922", "2")],
    )

    (snapshot,) = normalizer.normalize(snapshot_raw, 0)
    (update,) = normalizer.normalize(p.coinbase_l2(2, "update", [("offer", "21921.74", "0")]), 0)

    assert isinstance(snapshot, BookSnapshot)
    assert snapshot.bids == ((D("21922"), D("2")), (D("21921.73"), D("0.06317902")))
    assert snapshot.sequence == 1
    assert snapshot.ts_event == 1_675_974_770_714_964_855  # all nine fraction digits
    assert isinstance(update, BookDelta)
    assert (update.first_update_id, update.last_update_id) == (2, 2)
    assert update.asks == ((D("21921.74"), D("0")),)


def test_coinbase_ticker_and_match() -> None:
    normalizer = CoinbaseNormalizer({"BTC-USD": "BTC-USD"})

    (ticker,) = normalizer.normalize(p.COINBASE_TICKER, 0)
    (trade,) = normalizer.normalize(p.COINBASE_MATCH, 0)

    assert isinstance(ticker, Ticker)
    assert (ticker.bid_price, ticker.ask_price, ticker.last_price) == (
        D("21921.72"),
        D("21921.74"),
        D("21921.73"),
    )
    assert ticker.volume == D("245532.79269678")
    assert isinstance(trade, Trade)
    assert trade.aggressor is Side.BUY  # the maker sold
    assert (trade.price, trade.quantity, trade.trade_id) == (D("400.23"), D("5.23512"), "10")


def test_coinbase_subscriptions_message_carries_nothing() -> None:
    assert CoinbaseNormalizer({"BTC-USD": "BTC-USD"}).normalize(p.COINBASE_SUBSCRIPTIONS, 0) == ()


def test_ccxt_order_book_is_a_snapshot_with_its_nonce() -> None:
    normalizer = CcxtNormalizer("BINANCE", Channel.BOOK, {"BTC/USDT": "BTC-USDT"})
    raw = (
        b'{"symbol":"BTC/USDT","bids":[[30000.1,0.5],[29999,1,3]],"asks":[[30001,2]],'
        b'"timestamp":1672515782136,"datetime":"2023-01-01T00:00:00.000Z","nonce":42}'
    )

    (snapshot,) = normalizer.normalize(raw, 0)

    assert isinstance(snapshot, BookSnapshot)
    assert snapshot.bids == ((D("30000.1"), D("0.5")), (D("29999"), D("1")))
    assert snapshot.sequence == 42


def test_ccxt_ticker_and_trades() -> None:
    symbols = {"BTC/USDT": "BTC-USDT"}
    ticker_raw = (
        b'{"symbol":"BTC/USDT","timestamp":1672515782136,"bid":30000.1,"bidVolume":1.5,'
        b'"ask":30000.2,"askVolume":null,"last":30000.15,"baseVolume":1234.5,"info":{}}'
    )
    trades_raw = (
        b'[{"id":"7","timestamp":1672515782136,"symbol":"BTC/USDT","side":"buy",'
        b'"price":30000.2,"amount":0.01,"cost":300.002,"info":{}}]'
    )

    (ticker,) = CcxtNormalizer("X", Channel.TICKER, symbols).normalize(ticker_raw, 0)
    (trade,) = CcxtNormalizer("X", Channel.TRADES, symbols).normalize(trades_raw, 0)

    assert isinstance(ticker, Ticker)
    assert (ticker.bid_price, ticker.ask_size, ticker.volume) == (D("30000.1"), 0, D("1234.5"))
    assert isinstance(trade, Trade)
    assert (trade.price, trade.quantity, trade.aggressor) == (D("30000.2"), D("0.01"), Side.BUY)


def test_sim_quote_and_trade_tick_round_trip_through_json() -> None:
    quote = Quote(
        venue="SIM",
        symbol="AAPL",
        bid_price=D("189.99"),
        bid_size=D(300),
        ask_price=None,
        ask_size=D(0),
        ts_event=7,
    )
    tick = TradeTick(
        venue="SIM", symbol="AAPL", price=D("190.00"), quantity=D(5), aggressor=Side.BUY, ts_event=8
    )
    normalizer = SimNormalizer(["AAPL"])

    (ticker,) = normalizer.normalize(msgspec.json.encode(quote), 9)
    (trade,) = normalizer.normalize(msgspec.json.encode(tick), 9)

    assert ticker == Ticker(**msgspec.structs.asdict(quote), ts_init=9)
    assert trade == Trade(**msgspec.structs.asdict(tick), ts_init=9)


BINANCE_BAD = [
    (BinanceStream.DEPTH, b"{not json", BadPayload.MALFORMED),
    (BinanceStream.DEPTH, b'{"s":"BTCUSDT","U":"1","u":2,"b":[],"a":[]}', BadPayload.WRONG_TYPE),
    (BinanceStream.DEPTH, p.binance_depth(1, 2, [["abc", "1"]], []), BadPayload.WRONG_TYPE),
    (BinanceStream.DEPTH, p.binance_depth(1, 2, [["1", "-1"]], []), BadPayload.INVALID_NUMBER),
    (BinanceStream.DEPTH, p.binance_depth(1, 2, [["NaN", "1"]], []), BadPayload.INVALID_NUMBER),
    (BinanceStream.DEPTH, p.binance_depth(1, 2, [], [["1", "NaN"]]), BadPayload.INVALID_NUMBER),
    (
        BinanceStream.DEPTH,
        p.binance_depth(1, 2, [["Infinity", "1"]], []),
        BadPayload.INVALID_NUMBER,
    ),
    (BinanceStream.DEPTH, p.binance_depth(1, 2, [["0", "1"]], []), BadPayload.INVALID_NUMBER),
    (BinanceStream.DEPTH, p.binance_depth(5, 2, [], []), BadPayload.INVALID_NUMBER),
    (
        BinanceStream.DEPTH,
        p.binance_depth(1, 2, [], []).replace(b"BTCUSDT", b"ETHUSDT"),
        BadPayload.UNKNOWN_SYMBOL,
    ),
    (
        BinanceStream.TRADE,
        p.BINANCE_TRADE.replace(b'"0.25"', b'"-0.25"'),
        BadPayload.INVALID_NUMBER,
    ),
    (BinanceStream.TRADE, p.BINANCE_TRADE.replace(b'"0.25"', b'"0"'), BadPayload.INVALID_NUMBER),
    (BinanceStream.TRADE, p.BINANCE_TRADE.replace(b"true", b'"yes"'), BadPayload.WRONG_TYPE),
    (
        BinanceStream.BOOK_TICKER,
        p.BINANCE_BOOK_TICKER.replace(b'"31.21000000"', b'"-1"'),
        BadPayload.INVALID_NUMBER,
    ),
    (BinanceStream.BOOK_TICKER, b"[]", BadPayload.WRONG_TYPE),
    (
        BinanceStream.BOOK_TICKER,
        p.BINANCE_BOOK_TICKER.replace(b'"30000.00000000"', b'"NaN"'),
        BadPayload.INVALID_NUMBER,
    ),
    (
        BinanceStream.BOOK_TICKER,
        p.BINANCE_BOOK_TICKER.replace(b"BTCUSDT", b"XRPUSDT"),
        BadPayload.UNKNOWN_SYMBOL,
    ),
    (
        BinanceStream.TRADE,
        p.BINANCE_TRADE.replace(b'"30000.10"', b'"sNaN"'),
        BadPayload.INVALID_NUMBER,
    ),
    (
        BinanceStream.TRADE,
        p.BINANCE_TRADE.replace(b'"30000.10"', b'"-Infinity"'),
        BadPayload.INVALID_NUMBER,
    ),
    (
        BinanceStream.TICKER,
        p.BINANCE_TICKER.replace(b'"v":"10000"', b'"v":"-1"'),
        BadPayload.INVALID_NUMBER,
    ),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), BINANCE_BAD)
def test_binance_bad_payloads_are_refused_with_their_kind(
    kind: BinanceStream, raw: bytes, expected: BadPayload
) -> None:
    with pytest.raises(MarketDataError) as caught:
        BinanceNormalizer(BTC, kind).normalize(raw, 0)

    assert caught.value.kind is expected


def test_binance_combined_stream_of_unknown_kind_is_refused() -> None:
    with pytest.raises(MarketDataError) as caught:
        BinanceNormalizer(BTC).normalize(b'{"stream":"btcusdt@kline_1m","data":{}}', 0)

    assert caught.value.kind is BadPayload.UNKNOWN_MESSAGE


def test_binance_bad_snapshot_is_refused() -> None:
    with pytest.raises(MarketDataError) as caught:
        BinanceNormalizer(BTC).depth_snapshot(
            p.BINANCE_SNAPSHOT.replace(b'"1.5"', b'"NaN"'), "BTC-USDT", 0
        )

    assert caught.value.kind is BadPayload.INVALID_NUMBER


KRAKEN_BAD = [
    (b"\xff\xfe", BadPayload.MALFORMED),
    (p.KRAKEN_UPDATE.replace(b"MATIC/USD", b"DOGE/USD"), BadPayload.UNKNOWN_SYMBOL),
    (p.KRAKEN_UPDATE.replace(b"1098.3947558", b"-1098.3947558"), BadPayload.INVALID_NUMBER),
    (p.KRAKEN_UPDATE.replace(b"1098.3947558", b'"NaN"'), BadPayload.INVALID_NUMBER),
    (p.KRAKEN_UPDATE.replace(b"2114181697", b'"x"'), BadPayload.WRONG_TYPE),
    (p.KRAKEN_UPDATE.replace(b'"update"', b'"replace"'), BadPayload.UNKNOWN_MESSAGE),
    (b'{"channel":"ohlc","type":"update","data":[]}', BadPayload.UNKNOWN_MESSAGE),
    (p.KRAKEN_TRADE.replace(b'"sell"', b'"short"'), BadPayload.WRONG_TYPE),
    (p.KRAKEN_TRADE.replace(b"07:48:36.925533Z", b"07:48:36.925533"), BadPayload.WRONG_TYPE),
]


@pytest.mark.parametrize(("raw", "expected"), KRAKEN_BAD)
def test_kraken_bad_payloads_are_refused_with_their_kind(raw: bytes, expected: BadPayload) -> None:
    with pytest.raises(MarketDataError) as caught:
        KrakenNormalizer(MATIC).normalize(raw, 0)

    assert caught.value.kind is expected


COINBASE_BAD = [
    (b"", BadPayload.MALFORMED),
    (p.coinbase_l2(1, "update", [("bid", "1", "-2")]), BadPayload.INVALID_NUMBER),
    (p.coinbase_l2(1, "update", [("middle", "1", "2")]), BadPayload.WRONG_TYPE),
    (p.coinbase_l2(1, "refresh", [("bid", "1", "2")]), BadPayload.UNKNOWN_MESSAGE),
    (p.coinbase_l2(1, "update", []).replace(b"BTC-USD", b"ETH-USD"), BadPayload.UNKNOWN_SYMBOL),
    (p.COINBASE_MATCH.replace(b'"sell"', b'"up"'), BadPayload.WRONG_TYPE),
    (p.COINBASE_TICKER.replace(b'"21921.72"', b'"NaN"'), BadPayload.INVALID_NUMBER),
    (b'{"type":"l3update"}', BadPayload.UNKNOWN_MESSAGE),
]


@pytest.mark.parametrize(("raw", "expected"), COINBASE_BAD)
def test_coinbase_bad_payloads_are_refused_with_their_kind(
    raw: bytes, expected: BadPayload
) -> None:
    with pytest.raises(MarketDataError) as caught:
        CoinbaseNormalizer({"BTC-USD": "BTC-USD"}).normalize(raw, 0)

    assert caught.value.kind is expected


@pytest.mark.parametrize(
    ("channel", "raw", "expected"),
    [
        (Channel.BOOK, b'{"symbol":"BTC/USDT","bids":[[1]],"asks":[]}', BadPayload.WRONG_TYPE),
        (
            Channel.BOOK,
            b'{"symbol":"BTC/USDT","bids":[[1,-1]],"asks":[]}',
            BadPayload.INVALID_NUMBER,
        ),
        (Channel.TICKER, b'{"symbol":"ETH/USDT"}', BadPayload.UNKNOWN_SYMBOL),
        (
            Channel.TRADES,
            b'[{"symbol":"BTC/USDT","side":"x","price":1,"amount":1}]',
            BadPayload.WRONG_TYPE,
        ),
        (
            Channel.TRADES,
            b'{"symbol":"BTC/USDT","side":"buy","price":1,"amount":0}',
            BadPayload.INVALID_NUMBER,
        ),
    ],
)
def test_ccxt_bad_payloads_are_refused_with_their_kind(
    channel: Channel, raw: bytes, expected: BadPayload
) -> None:
    with pytest.raises(MarketDataError) as caught:
        CcxtNormalizer("X", channel, {"BTC/USDT": "BTC-USDT"}).normalize(raw, 0)

    assert caught.value.kind is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"venue":"SIM","symbol":"TSLA","ts_event":1}', BadPayload.UNKNOWN_SYMBOL),
        (b'{"venue":"SIM","symbol":"AAPL","ts_event":1}', BadPayload.MALFORMED),
        (
            b'{"venue":"SIM","symbol":"AAPL","ts_event":1,"bid_price":"-1","bid_size":"1",'
            b'"ask_price":null,"ask_size":"0"}',
            BadPayload.INVALID_NUMBER,
        ),
    ],
)
def test_sim_bad_payloads_are_refused_with_their_kind(raw: bytes, expected: BadPayload) -> None:
    with pytest.raises(MarketDataError) as caught:
        SimNormalizer(["AAPL"]).normalize(raw, 0)

    assert caught.value.kind is expected


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1970-01-01T00:00:01Z", 1_000_000_000),
        ("1970-01-01T00:00:00.5Z", 500_000_000),
        ("2023-02-09T20:32:50.714964855Z", 1_675_974_770_714_964_855),
    ],
)
def test_rfc3339_keeps_nanoseconds(text: str, ns: int) -> None:
    assert rfc3339_to_ns(text) == ns


@pytest.mark.parametrize(
    "text", ["2023-02-09", "2023-02-09T20:32:50.71x4Z", "yesterdayZZZZZZZZZZZZ"]
)
def test_rfc3339_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(MarketDataError):
        rfc3339_to_ns(text)
