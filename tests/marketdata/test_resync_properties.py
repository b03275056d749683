"""Property: however the Binance stream and the snapshot interleave, the book ends right."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.marketdata import FeedProcessor, StreamState
from ordergate.marketdata.normalize import BinanceNormalizer, BinanceStream

D = Decimal
_level = st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=3))
_delta = st.tuples(st.lists(_level, max_size=4), st.lists(_level, max_size=4), st.integers(0, 3))


def _price(n: int, side: str) -> str:
    # Bids at 1..12, asks at 101..112: the book can never cross.
    return f"{n if side == 'b' else 100 + n}.50"


@settings(max_examples=150, deadline=None)
@given(
    deltas=st.lists(_delta, min_size=1, max_size=25),
    data=st.data(),
)
def test_binance_resync_from_any_snapshot_point_reaches_the_final_state(
    deltas: list[tuple[list[tuple[int, int]], list[tuple[int, int]], int]],
    data: st.DataObject,
) -> None:
    # Arrange: the venue's updates, with contiguous U/u ranges from 1.
    raws: list[bytes] = []
    states: list[tuple[dict[str, str], dict[str, str], int]] = [({}, {}, 0)]
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    last = 0
    for bid_changes, ask_changes, width in deltas:
        first, last = last + 1, last + 1 + width
        b = [[_price(p, "b"), str(s)] for p, s in bid_changes]
        a = [[_price(p, "a"), str(s)] for p, s in ask_changes]
        for book, changes in ((bids, b), (asks, a)):
            for price, size in changes:
                if size == "0":
                    book.pop(price, None)
                else:
                    book[price] = size
        states.append((dict(bids), dict(asks), last))
        raws.append(
            msgspec.json.encode(
                {"e": "depthUpdate", "E": 1, "s": "BTCUSDT", "U": first, "u": last, "b": b, "a": a}
            )
        )
    # The snapshot reflects the book after update k; the stream was joined at update
    # start <= k (so the buffer bridges it) and the snapshot arrives after update arrival >= k.
    k = data.draw(st.integers(0, len(raws)), label="snapshot after update")
    start = data.draw(st.integers(0, k), label="stream joined at")
    arrival = data.draw(st.integers(k, len(raws)), label="snapshot arrives after")
    snap_bids, snap_asks, snap_id = states[k]
    snapshot_raw = msgspec.json.encode(
        {
            "lastUpdateId": snap_id,
            "bids": [[p, s] for p, s in snap_bids.items()],
            "asks": [[p, s] for p, s in snap_asks.items()],
        }
    )
    normalizer = BinanceNormalizer({"BTCUSDT": "BTC-USDT"}, BinanceStream.DEPTH)
    processor = FeedProcessor(normalizer)
    processor.request_snapshot("BTC-USDT", 0)

    # Act
    for n in range(start, len(raws)):
        if n == arrival:
            processor.on_snapshot(normalizer.depth_snapshot(snapshot_raw, "BTC-USDT", 0), 0)
        processor.on_message(raws[n], 0)
    if arrival == len(raws):
        processor.on_snapshot(normalizer.depth_snapshot(snapshot_raw, "BTC-USDT", 0), 0)

    # Assert
    book = processor.books["BTC-USDT"].book
    assert book.bids() == sorted(((D(p), D(s)) for p, s in bids.items()), reverse=True)
    assert book.asks() == sorted((D(p), D(s)) for p, s in asks.items())
    health = processor.health()["BINANCE:BOOK:BTC-USDT"]
    assert health.state is StreamState.HEALTHY
    assert health.counters.gaps == 0
