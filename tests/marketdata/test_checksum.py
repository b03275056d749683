from __future__ import annotations

from decimal import Decimal

from ordergate.marketdata import OrderBook, kraken_checksum
from ordergate.marketdata.checksum import kraken_checksum_string
from ordergate.marketdata.normalize import KrakenNormalizer, KrakenPair
from ordergate.marketdata.types import BookDelta, BookSnapshot
from tests.marketdata.payloads import KRAKEN_SNAPSHOT, KRAKEN_UPDATE

MATIC = KrakenPair(symbol="MATIC-USD", price_precision=4, qty_precision=8)


def documented_book() -> tuple[OrderBook, BookSnapshot]:
    (snapshot,) = KrakenNormalizer({"MATIC/USD": MATIC}).normalize(KRAKEN_SNAPSHOT, 0)
    assert isinstance(snapshot, BookSnapshot)
    book = OrderBook("KRAKEN", "MATIC-USD", depth=10)
    book.load(snapshot.bids, snapshot.asks)
    return book, snapshot


def test_documented_snapshot_checksum_matches() -> None:
    book, snapshot = documented_book()

    assert kraken_checksum(book, 4, 8) == snapshot.checksum == 2439117997


def test_documented_update_checksum_matches_after_applying_and_truncating() -> None:
    book, _ = documented_book()
    (update,) = KrakenNormalizer({"MATIC/USD": MATIC}).normalize(KRAKEN_UPDATE, 0)
    assert isinstance(update, BookDelta)

    book.apply(update.bids, update.asks)

    assert kraken_checksum(book, 4, 8) == update.checksum == 2114181697


def test_a_changed_quantity_no_longer_matches() -> None:
    book, snapshot = documented_book()

    book.apply([(Decimal("0.5666"), Decimal("4831.75496357"))], [])

    assert kraken_checksum(book, 4, 8) != snapshot.checksum


def test_wrong_precision_does_not_match() -> None:
    book, snapshot = documented_book()

    assert kraken_checksum(book, 5, 8) != snapshot.checksum


def test_checksum_string_removes_dot_and_leading_zeros() -> None:
    text = kraken_checksum_string(
        [(Decimal("45285.2"), Decimal("0.001"))], [(Decimal("45283.5"), Decimal("10"))], 1, 8
    )

    assert text == "452852" + "100000" + "452835" + "1000000000"
