"""Checks and conversions every normalizer shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

import msgspec

from ordergate.marketdata.errors import BadPayload, MarketDataError
from ordergate.marketdata.types import Level

__all__ = [
    "check_levels",
    "check_price",
    "check_quote",
    "check_size",
    "check_trade",
    "decode_error",
    "decoder_for",
    "rfc3339_to_ns",
    "symbol_of",
]

_ZERO = Decimal(0)
_INFINITY = Decimal("Infinity")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_T = TypeVar("_T")


def decoder_for(kind: type[_T]) -> Callable[[bytes | msgspec.Raw], _T]:
    """Return a function that decodes JSON bytes into ``kind``, raising MarketDataError."""
    decode = msgspec.json.Decoder(kind).decode

    def run(raw: bytes | msgspec.Raw) -> _T:
        try:
            return decode(raw)
        except msgspec.ValidationError as e:
            raise MarketDataError(BadPayload.WRONG_TYPE, str(e)) from e
        except msgspec.DecodeError as e:
            raise MarketDataError(BadPayload.MALFORMED, str(e)) from e

    return run


def decode_error(error: msgspec.DecodeError) -> MarketDataError:
    """Return the MarketDataError for a msgspec decode failure."""
    if isinstance(error, msgspec.ValidationError):
        return MarketDataError(BadPayload.WRONG_TYPE, str(error))
    return MarketDataError(BadPayload.MALFORMED, str(error))


def check_levels(levels: Iterable[Level], side: str) -> None:
    """Refuse a level with a price that is not positive and finite or a negative/NaN size."""
    # Chained comparisons against Decimal bounds: NaN raises InvalidOperation, infinity and
    # negatives fail the bounds; no temporaries are made per level.
    try:
        for price, size in levels:
            if not (_ZERO < price < _INFINITY and _ZERO <= size < _INFINITY):
                raise MarketDataError(
                    BadPayload.INVALID_NUMBER, f"{side} level {price} x {size} out of range"
                )
    except InvalidOperation as e:
        raise MarketDataError(BadPayload.INVALID_NUMBER, f"{side} level is NaN") from e


def check_quote(bid: Decimal, bid_size: Decimal, ask: Decimal, ask_size: Decimal) -> None:
    """Refuse a two-sided quote with a bad price or size (one test on the hot path)."""
    try:
        if (
            _ZERO < bid < _INFINITY
            and _ZERO < ask < _INFINITY
            and _ZERO <= bid_size < _INFINITY
            and _ZERO <= ask_size < _INFINITY
        ):
            return
    except InvalidOperation:
        # A NaN compares as an error: the checks below say which value it is.
        pass
    check_price(bid, "bid")
    check_price(ask, "ask")
    check_size(bid_size, "bid size")
    check_size(ask_size, "ask size")


def check_trade(price: Decimal, quantity: Decimal) -> None:
    """Refuse a trade whose price or quantity is not positive and finite."""
    try:
        if _ZERO < price < _INFINITY and _ZERO < quantity < _INFINITY:
            return
    except InvalidOperation:
        pass
    check_price(price, "price")
    check_price(quantity, "quantity")


def check_price(value: Decimal | None, what: str) -> None:
    """Refuse a price that is present but not positive and finite."""
    if value is None:
        return
    try:
        ok = _ZERO < value < _INFINITY
    except InvalidOperation as e:
        raise MarketDataError(BadPayload.INVALID_NUMBER, f"{what} is NaN") from e
    if not ok:
        raise MarketDataError(BadPayload.INVALID_NUMBER, f"{what} {value} out of range")


def check_size(value: Decimal | None, what: str) -> None:
    """Refuse a size that is present but negative, infinite or NaN."""
    if value is None:
        return
    try:
        ok = _ZERO <= value < _INFINITY
    except InvalidOperation as e:
        raise MarketDataError(BadPayload.INVALID_NUMBER, f"{what} is NaN") from e
    if not ok:
        raise MarketDataError(BadPayload.INVALID_NUMBER, f"{what} {value} out of range")


def symbol_of(symbols: Mapping[str, str], venue_symbol: str) -> str:
    """Return ordergate's symbol for a venue symbol, refusing one not configured."""
    symbol = symbols.get(venue_symbol)
    if symbol is None:
        raise MarketDataError(BadPayload.UNKNOWN_SYMBOL, f"symbol {venue_symbol!r} not configured")
    return symbol


def rfc3339_to_ns(text: str) -> int:
    """Return integer nanoseconds for an RFC 3339 UTC time, keeping all nine fraction digits.

    ``datetime`` keeps only microseconds, so the fraction is read separately
    (Coinbase sends nanoseconds: ``2023-02-09T20:32:50.714964855Z``).
    """
    if not text.endswith("Z") or len(text) < 20:
        raise MarketDataError(BadPayload.WRONG_TYPE, f"time {text!r} is not RFC 3339 UTC")
    whole, _, fraction = text[:-1].partition(".")
    try:
        moment = datetime.fromisoformat(whole).replace(tzinfo=UTC)
        nanos = int(fraction.ljust(9, "0")[:9]) if fraction else 0
    except ValueError as e:
        raise MarketDataError(BadPayload.WRONG_TYPE, f"time {text!r}: {e}") from e
    if fraction and not fraction.isdigit():
        raise MarketDataError(BadPayload.WRONG_TYPE, f"time {text!r} has a bad fraction")
    seconds = (moment - _EPOCH) // _ONE_SECOND
    return seconds * 1_000_000_000 + nanos


_ONE_SECOND = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC) - _EPOCH
