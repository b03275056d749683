"""The pure hash chain: hashing and the verify walk, without a database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from tests.eventstore.contract import event

from ordergate.eventstore.hashchain import GENESIS_HASH, ChainWalker, Row, chain_rows, event_hash


def chain(n: int) -> list[Row]:
    rows: list[Row] = []
    chain_rows(0, GENESIS_HASH, [event(f"O-{i % 3}", i // 3 + 1) for i in range(n)], rows)
    return rows


def walk(rows: list[Row], batch: int = 4) -> tuple[int, str] | None:
    walker = ChainWalker()
    for i in range(0, len(rows), batch):
        if not walker.feed(rows[i : i + batch]):
            break
    report = walker.finish()
    if report.first_break is None:
        return None
    return report.first_break.position, report.first_break.kind


def renumbered(rows: list[Row]) -> list[Row]:
    return [(i + 1, *row[1:]) for i, row in enumerate(rows)]  # type: ignore[misc]


def test_hash_covers_every_field():
    base = (GENESIS_HASH, 1, "O-1", 1, "OrderSubmitted", 1, b"{}", 5)
    variants = [
        (b"\x01" * 32, *base[1:]),
        (base[0], 2, *base[2:]),
        (*base[:2], "O-2", *base[3:]),
        (*base[:3], 2, *base[4:]),
        (*base[:4], "OrderFilled", *base[5:]),
        (*base[:5], 2, *base[6:]),
        (*base[:6], b"{ }", base[7]),
        (*base[:7], 6),
    ]

    hashes = {event_hash(*v) for v in [base, *variants]}  # type: ignore[arg-type]

    assert len(hashes) == 9


def test_length_prefixes_keep_field_boundaries_apart():
    one = event_hash(GENESIS_HASH, 1, "ab", 1, "c", 1, b"", 0)
    other = event_hash(GENESIS_HASH, 1, "a", 1, "bc", 1, b"", 0)

    assert one != other


@given(n=st.integers(1, 30), batch=st.integers(1, 8))
def test_untouched_chain_verifies(n: int, batch: int):
    assert walk(chain(n), batch) is None


@given(data=st.data(), n=st.integers(2, 30), batch=st.integers(1, 8))
def test_first_tampered_position_and_kind_are_found(data: st.DataObject, n: int, batch: int):
    rows = chain(n)
    at = data.draw(st.integers(0, n - 2), label="index")  # not the last row: no lookahead there
    kind = data.draw(st.sampled_from(["edited", "deleted", "inserted", "reordered"]))
    if kind == "edited":
        row = rows[at]
        rows[at] = (*row[:5], row[5] + b" ", *row[6:])  # type: ignore[assignment]
    elif kind == "deleted":
        del rows[at]
        rows = renumbered(rows)
    elif kind == "inserted":
        forged: Row = (0, "X", 1, "T", 1, b"{}", 0, rows[at][7], b"\x00" * 32)
        rows = renumbered([*rows[:at], forged, *rows[at:]])
    else:
        rows[at], rows[at + 1] = (at + 1, *rows[at + 1][1:]), (at + 2, *rows[at][1:])  # type: ignore[assignment]

    assert walk(rows, batch) == (at + 1, kind)
