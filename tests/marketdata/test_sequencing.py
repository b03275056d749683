from __future__ import annotations

import pytest

from ordergate.marketdata import (
    BinanceDepthRule,
    BookDelta,
    BookSnapshot,
    ContiguousSequenceRule,
    NonceRule,
    Verdict,
)


def snapshot(sequence: int | None) -> BookSnapshot:
    return BookSnapshot(venue="V", symbol="X", bids=(), asks=(), sequence=sequence)


def delta(first: int | None, last: int | None, previous: int | None = None) -> BookDelta:
    return BookDelta(
        venue="V",
        symbol="X",
        bids=(),
        asks=(),
        first_update_id=first,
        last_update_id=last,
        previous_update_id=previous,
    )


def binance_after(last_update_id: int) -> BinanceDepthRule:
    rule = BinanceDepthRule()
    rule.reset(snapshot(last_update_id))
    return rule


@pytest.mark.parametrize(("first", "last"), [(90, 95), (95, 100)])
def test_binance_spot_drops_deltas_not_newer_than_the_snapshot(first: int, last: int) -> None:
    assert binance_after(100).check(delta(first, last)) is Verdict.SKIP


@pytest.mark.parametrize(("first", "last"), [(95, 101), (101, 101), (100, 105), (101, 110)])
def test_binance_spot_first_delta_straddling_last_update_id_plus_one_applies(
    first: int, last: int
) -> None:
    assert binance_after(100).check(delta(first, last)) is Verdict.APPLY


def test_binance_spot_first_delta_after_a_hole_is_a_gap() -> None:
    assert binance_after(100).check(delta(102, 110)) is Verdict.GAP


def test_binance_spot_each_next_delta_starts_at_previous_u_plus_one() -> None:
    rule = binance_after(100)
    first = delta(99, 105)
    rule.accept(first)

    assert rule.check(delta(106, 108)) is Verdict.APPLY
    assert rule.check(delta(107, 108)) is Verdict.GAP  # overlaps: not U == u + 1
    assert rule.check(delta(108, 110)) is Verdict.GAP  # skips 106..107


def test_binance_spot_repeated_and_older_deltas_are_duplicate_and_out_of_order() -> None:
    rule = binance_after(100)
    rule.accept(delta(99, 105))

    assert rule.check(delta(99, 105)) is Verdict.DUPLICATE
    assert rule.check(delta(90, 98)) is Verdict.OUT_OF_ORDER


def test_binance_futures_uses_pu_and_drops_only_u_below_the_snapshot() -> None:
    rule = binance_after(100)

    assert rule.check(delta(90, 99, previous=89)) is Verdict.SKIP
    # Futures: the first event has U <= lastUpdateId <= u (u == lastUpdateId counts).
    assert rule.check(delta(95, 100, previous=94)) is Verdict.APPLY
    assert rule.check(delta(101, 104, previous=100)) is Verdict.GAP
    rule.accept(delta(95, 100, previous=94))
    assert rule.check(delta(101, 104, previous=100)) is Verdict.APPLY
    assert rule.check(delta(101, 104, previous=99)) is Verdict.GAP


def test_binance_delta_without_ids_is_a_gap() -> None:
    assert binance_after(100).check(delta(None, None)) is Verdict.GAP


def test_contiguous_sequence_applies_next_and_flags_gaps_and_repeats() -> None:
    rule = ContiguousSequenceRule()
    rule.reset(snapshot(7))

    assert rule.check(delta(8, 8)) is Verdict.APPLY
    assert rule.check(delta(9, 9)) is Verdict.GAP
    assert rule.check(delta(7, 7)) is Verdict.DUPLICATE
    assert rule.check(delta(5, 5)) is Verdict.OUT_OF_ORDER
    assert rule.check(delta(None, None)) is Verdict.GAP


def test_nonce_rule_only_increases_and_optionally_steps_by_one() -> None:
    loose = NonceRule()
    loose.reset(snapshot(10))
    strict = NonceRule(contiguous=True)
    strict.reset(snapshot(10))

    assert loose.check(delta(15, 15)) is Verdict.APPLY
    assert strict.check(delta(15, 15)) is Verdict.GAP
    assert strict.check(delta(11, 11)) is Verdict.APPLY
    assert loose.check(delta(10, 10)) is Verdict.DUPLICATE
    assert loose.check(delta(3, 3)) is Verdict.OUT_OF_ORDER


def test_nonce_rule_without_nonces_applies_in_order() -> None:
    rule = NonceRule()
    rule.reset(snapshot(None))

    assert rule.check(delta(None, None)) is Verdict.APPLY
