"""ccxt exception classes -> VenueErrorKind, by class, in one table."""

from __future__ import annotations

import ccxt
import pytest

from ordergate.gateway.errors import VenueErrorKind
from ordergate.venues.ccxt.errors import ERROR_KINDS, classify

K = VenueErrorKind


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ccxt.InvalidOrder, K.REJECTED),
        (ccxt.InsufficientFunds, K.REJECTED),
        (ccxt.OrderNotFound, K.REJECTED),
        (ccxt.DuplicateOrderId, K.REJECTED),
        (ccxt.BadSymbol, K.REJECTED),
        (ccxt.BadRequest, K.REJECTED),
        (ccxt.NotSupported, K.REJECTED),
        (ccxt.ExchangeError, K.REJECTED),
        (ccxt.AuthenticationError, K.AUTH),
        (ccxt.PermissionDenied, K.AUTH),
        (ccxt.AccountSuspended, K.AUTH),
        (ccxt.RateLimitExceeded, K.RATE_LIMITED),
        (ccxt.DDoSProtection, K.RATE_LIMITED),
        (ccxt.RequestTimeout, K.UNKNOWN_OUTCOME),
        (ccxt.NetworkError, K.UNKNOWN_OUTCOME),
        (ccxt.ExchangeNotAvailable, K.UNKNOWN_OUTCOME),
        (ccxt.BadResponse, K.UNKNOWN_OUTCOME),
        (ccxt.OnMaintenance, K.RETRYABLE),
        (ccxt.InvalidNonce, K.RETRYABLE),
        (ccxt.CancelPending, K.RETRYABLE),
    ],
)
def test_each_ccxt_class_has_its_kind(error: type[Exception], kind: VenueErrorKind) -> None:
    classified = classify(error("binance {}"), "BINANCE")

    assert classified.kind is kind
    assert classified.code == error.__name__
    assert classified.venue == "BINANCE"


def test_subclass_ccxt_does_not_list_takes_its_parents_kind() -> None:
    class NewKindOfTimeout(ccxt.RequestTimeout):
        pass

    assert classify(NewKindOfTimeout("slow"), "V").kind is K.UNKNOWN_OUTCOME


def test_message_text_never_decides_the_kind() -> None:
    assert classify(ccxt.ExchangeError("timeout rate limit 429"), "V").kind is K.REJECTED


def test_anything_that_is_not_a_ccxt_error_is_an_unknown_outcome() -> None:
    assert classify(OSError("reset"), "V").kind is K.UNKNOWN_OUTCOME


def test_every_ccxt_error_class_is_covered_by_the_table() -> None:
    classes = [
        c
        for c in vars(ccxt).values()
        if isinstance(c, type) and issubclass(c, ccxt.BaseError) and c is not ccxt.BaseError
    ]
    uncovered = [
        c.__name__
        for c in classes
        if not any(k in ERROR_KINDS for k in c.__mro__)
        and c.__name__ != "UnsubscribeError"  # websocket bookkeeping, never from a request
    ]
    assert uncovered == []
