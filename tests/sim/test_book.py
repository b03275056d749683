"""OrderBook on its own: price-time priority, O(1) cancel, in-place reduce."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.values import Side
from ordergate.sim.book import BookEntry, OrderBook


def entry(seq: int, side: Side, price: str, leaves: str) -> BookEntry:
    return BookEntry(seq, side, Decimal(price), Decimal(leaves))


def test_best_bid_is_highest_and_best_ask_is_lowest() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    for seq, (side, price) in enumerate(
        [(Side.BUY, "9.98"), (Side.BUY, "9.99"), (Side.SELL, "10.02"), (Side.SELL, "10.01")]
    ):
        book.add(entry(seq, side, price, "1"))

    assert book.best_bid() == Decimal("9.99")
    assert book.best_ask() == Decimal("10.01")
    assert book.depth(Side.BUY, 5) == [(Decimal("9.99"), Decimal(1)), (Decimal("9.98"), Decimal(1))]


def test_match_takes_best_price_first_then_arrival_order() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    first, second, better = (
        entry(1, Side.SELL, "10.01", "5"),
        entry(2, Side.SELL, "10.01", "5"),
        entry(3, Side.SELL, "10.00", "5"),
    )
    for e in (first, second, better):
        book.add(e)

    matched = book.match(Side.BUY, Decimal("10.01"), Decimal(12))

    assert [(e.seq, q) for e, q in matched] == [(3, Decimal(5)), (1, Decimal(5)), (2, Decimal(2))]
    assert book.best(Side.SELL) == (Decimal("10.01"), Decimal(3))
    assert 1 not in book
    assert 2 in book


def test_match_stops_at_the_limit_price() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    book.add(entry(1, Side.BUY, "9.99", "5"))

    assert book.match(Side.SELL, Decimal("10.00"), Decimal(5)) == []
    assert book.best(Side.BUY) == (Decimal("9.99"), Decimal(5))


def test_remove_is_by_id_and_drops_an_emptied_level() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    book.add(entry(1, Side.BUY, "9.99", "5"))
    book.add(entry(2, Side.BUY, "9.98", "5"))

    removed = book.remove(1)

    assert removed is not None
    assert removed.seq == 1
    assert not removed.live
    assert book.best_bid() == Decimal("9.98")
    assert book.remove(1) is None


def test_cancel_churn_behind_a_resting_order_is_compacted() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    book.add(entry(0, Side.SELL, "10.00", "1"))
    for seq in range(1, 1_000):
        book.add(entry(seq, Side.SELL, "10.00", "1"))
        book.remove(seq)

    assert [e.seq for e in book.queue(Side.SELL, Decimal("10.00"))] == [0]
    assert book.match(Side.BUY, None, Decimal(5))[0][0].seq == 0
    assert book.best_ask() is None


def test_reduce_keeps_time_priority() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    book.add(entry(1, Side.SELL, "10.00", "5"))
    book.add(entry(2, Side.SELL, "10.00", "5"))

    book.reduce(1, Decimal(2))

    assert book.best(Side.SELL) == (Decimal("10.00"), Decimal(7))
    assert [e.seq for e, _ in book.match(Side.BUY, None, Decimal(3))] == [1, 2]


def test_available_counts_only_levels_within_the_limit() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    book.add(entry(1, Side.SELL, "10.00", "5"))
    book.add(entry(2, Side.SELL, "10.01", "5"))

    assert book.available(Side.BUY, Decimal("10.01"), Decimal(10))
    assert not book.available(Side.BUY, Decimal("10.00"), Decimal(6))
    assert not book.available(Side.BUY, None, Decimal(11))


def test_add_refuses_an_unpriced_or_duplicate_entry() -> None:
    book: OrderBook[BookEntry] = OrderBook("X")
    book.add(entry(1, Side.SELL, "10.00", "5"))

    with pytest.raises(ValueError, match="already rests"):
        book.add(entry(1, Side.SELL, "10.00", "5"))
    with pytest.raises(ValueError, match="priced"):
        book.add(BookEntry(2, Side.SELL, None, Decimal(1)))
