from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordergate.marketdata import BinanceDepthRule, BookDelta, BookSnapshot, OrderBook, Verdict
from ordergate.marketdata.book import price_key

D = Decimal


def test_apply_sets_sizes_and_zero_removes_the_level() -> None:
    book = OrderBook("V", "X")
    book.load([(D("10"), D("1")), (D("9"), D("2"))], [(D("11"), D("1"))])

    book.apply([(D("10"), D("0")), (D("9.5"), D("3"))], [(D("11"), D("0.5")), (D("12"), D("4"))])

    assert book.bids() == [(D("9.5"), D("3")), (D("9"), D("2"))]
    assert book.asks() == [(D("11"), D("0.5")), (D("12"), D("4"))]
    assert book.best_bid == (D("9.5"), D("3"))
    assert book.best_ask == (D("11"), D("0.5"))


def test_removing_a_level_that_is_not_there_changes_nothing() -> None:
    book = OrderBook("V", "X")
    book.load([(D("10"), D("1"))], [])

    book.apply([(D("8"), D("0"))], [(D("20"), D("0"))])

    assert book.bids() == [(D("10"), D("1"))]
    assert book.asks() == []


def test_equal_prices_in_other_notation_are_one_level() -> None:
    book = OrderBook("V", "X")
    book.load([(D("10.00"), D("1"))], [])

    book.apply([(D("10.0"), D("2"))], [])

    assert len(book) == 1
    assert book.bids() == [(D("10.00"), D("2"))]


@pytest.mark.parametrize("notation", ["10", "10.0", "10.000", "1E+1", "1.0E+1", "0.01E+3"])
def test_a_price_in_any_notation_updates_and_removes_the_same_level(notation: str) -> None:
    book = OrderBook("V", "X")
    book.load([(D("10.00"), D("1")), (D("9.99"), D("1"))], [(D("100"), D("1"))])

    book.apply([(D(notation), D("5"))], [(D("1E+2"), D("2"))])
    assert len(book) == 3
    assert book.best_bid == (D("10"), D("5"))
    assert book.best_ask == (D("100"), D("2"))

    book.apply([(D(notation), D("0"))], [(D("100.0"), D("0"))])
    assert book.bids() == [(D("9.99"), D("1"))]
    assert book.asks() == []


@pytest.mark.parametrize(
    ("price", "key"),
    [
        ("30000.10", "30000.1"),
        ("30000.00", "30000"),
        ("30000", "30000"),
        ("3E+4", "30000"),
        ("1E-7", "0.0000001"),
        ("0.00000010", "0.0000001"),
        ("0.5666", "0.5666"),
    ],
)
def test_price_key_is_plain_and_without_trailing_zeros(price: str, key: str) -> None:
    assert price_key(D(price)) == key


def test_depth_truncates_the_worst_levels() -> None:
    book = OrderBook("V", "X", depth=2)
    book.load([(D(p), D(1)) for p in ("10", "9", "8")], [(D(p), D(1)) for p in ("11", "12")])

    book.apply([(D("9.5"), D(1))], [(D("10.5"), D(1))])

    assert [p for p, _ in book.bids()] == [D("10"), D("9.5")]
    assert [p for p, _ in book.asks()] == [D("10.5"), D("11")]


def test_crossed_when_best_bid_reaches_best_ask() -> None:
    book = OrderBook("V", "X")
    book.load([(D("10"), D(1))], [(D("11"), D(1))])
    assert not book.is_crossed()

    book.apply([(D("11"), D(1))], [])

    assert book.is_crossed()


def test_empty_book_has_no_best_prices() -> None:
    book = OrderBook("V", "X")

    assert book.best_bid is None
    assert book.best_ask is None
    assert not book.is_crossed()


def test_snapshot_lists_levels_best_first() -> None:
    book = OrderBook("V", "X")
    book.load([(D("9"), D(1)), (D("10"), D(2))], [(D("12"), D(1)), (D("11"), D(2))])

    snapshot = book.snapshot(sequence=5)

    assert snapshot.bids == ((D("10"), D(2)), (D("9"), D(1)))
    assert snapshot.asks == ((D("11"), D(2)), (D("12"), D(1)))
    assert snapshot.sequence == 5


_prices = st.integers(min_value=1, max_value=40).map(lambda n: D(n) / 4)
_sizes = st.one_of(
    st.just(D(0)), st.integers(min_value=1, max_value=10**6).map(lambda n: D(n) / 1000)
)
_changes = st.lists(st.tuples(_prices, _sizes), max_size=8)


@given(
    initial_bids=_changes,
    initial_asks=_changes,
    deltas=st.lists(st.tuples(_changes, _changes), max_size=30),
)
def test_applying_valid_deltas_equals_building_from_the_final_state(
    initial_bids: list[tuple[Decimal, Decimal]],
    initial_asks: list[tuple[Decimal, Decimal]],
    deltas: list[tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]],
) -> None:
    # Model: plain dicts updated in order; the book must end up the same, and equal to a book
    # loaded from the model's final state.
    model_bids = {p: s for p, s in initial_bids if s}
    model_asks = {p: s for p, s in initial_asks if s}
    book = OrderBook("BINANCE", "X")
    rule = BinanceDepthRule()
    snapshot = BookSnapshot(
        venue="BINANCE",
        symbol="X",
        bids=tuple(model_bids.items()),
        asks=tuple(model_asks.items()),
        sequence=100,
    )
    book.load(snapshot.bids, snapshot.asks)
    rule.reset(snapshot)
    update_id = 100
    for bids, asks in deltas:
        delta = BookDelta(
            venue="BINANCE",
            symbol="X",
            bids=tuple(bids),
            asks=tuple(asks),
            first_update_id=update_id + 1,
            last_update_id=update_id + 1 + len(bids),
        )
        update_id = delta.last_update_id or 0
        assert rule.check(delta) is Verdict.APPLY
        book.apply(delta.bids, delta.asks)
        rule.accept(delta)
        for model, changes in ((model_bids, bids), (model_asks, asks)):
            for price, size in changes:
                if size:
                    model[price] = size
                else:
                    model.pop(price, None)

    rebuilt = OrderBook("BINANCE", "X")
    rebuilt.load(model_bids.items(), model_asks.items())
    assert book.bids() == rebuilt.bids() == sorted(model_bids.items(), reverse=True)
    assert book.asks() == rebuilt.asks() == sorted(model_asks.items())
