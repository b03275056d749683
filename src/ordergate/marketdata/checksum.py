"""Kraken's book checksum (WebSocket v2 ``book`` channel).

Kraken sends a CRC32 of the top 10 levels with every snapshot and update. Per Kraken's
documented algorithm: for each of the top 10 asks (low to high), then each of the top 10 bids
(high to low), format price and quantity with the pair's price and quantity precision
(from the ``instrument`` channel: ``price_precision``, ``qty_precision``), remove the ``.``,
remove leading zeros, and append price then quantity; the checksum is the CRC32 of the whole
string as an unsigned 32-bit integer. Kraken's v2 messages carry numbers as JSON floats with
trailing zeros dropped (``0.566``), which is why the precision must come from elsewhere.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from ordergate.marketdata.book import OrderBook
from ordergate.marketdata.types import Level

__all__ = ["kraken_checksum", "kraken_checksum_string"]


def _field(value: object, precision: int) -> str:
    return format(value, f".{precision}f").replace(".", "").lstrip("0")


def kraken_checksum_string(
    asks: Iterable[Level], bids: Iterable[Level], price_precision: int, qty_precision: int
) -> str:
    """Return the string Kraken's CRC32 is taken of, from asks and bids best first."""
    parts = [_field(p, price_precision) + _field(q, qty_precision) for p, q in asks]
    parts += [_field(p, price_precision) + _field(q, qty_precision) for p, q in bids]
    return "".join(parts)


def kraken_checksum(book: OrderBook, price_precision: int, qty_precision: int) -> int:
    """Return Kraken's CRC32 of the top 10 levels of ``book``."""
    text = kraken_checksum_string(book.asks(10), book.bids(10), price_precision, qty_precision)
    return zlib.crc32(text.encode("ascii"))
