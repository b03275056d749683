"""ccxt's exception classes mapped onto :class:`~ordergate.gateway.errors.VenueErrorKind`.

One explicit table, by class, never by message text. ccxt raises a subclass of
``ccxt.BaseError`` for everything an exchange or the network does; :func:`classify` walks
the exception's class hierarchy (most specific first) to the first class in the table, so a
new ccxt subclass falls back to its parent's meaning.

Why the non-obvious rows are what they are:

- ``RequestTimeout`` and ``ExchangeNotAvailable`` (which ccxt raises for a dropped
  connection and for HTTP 5xx too) may have reached the venue: UNKNOWN_OUTCOME, resolve by
  asking for the order before doing anything else. Any other ``NetworkError`` likewise.
- ``OnMaintenance`` is an ``ExchangeNotAvailable`` the venue answered on purpose: it did not
  act, so RETRYABLE.
- ``InvalidNonce`` (Binance -1021, timestamp outside recvWindow) was refused without acting:
  RETRYABLE once the clock is right.
- ``DDoSProtection`` (HTTP 418/429) and ``RateLimitExceeded`` (-1003): RATE_LIMITED.
- ``BadResponse`` (unparseable answer) says nothing of whether the request acted:
  UNKNOWN_OUTCOME.
"""

from __future__ import annotations

import ccxt

from ordergate.gateway.errors import VenueError, VenueErrorKind

__all__ = ["ERROR_KINDS", "classify"]

ERROR_KINDS: dict[type[BaseException], VenueErrorKind] = {
    # the network and the venue's availability
    ccxt.RequestTimeout: VenueErrorKind.UNKNOWN_OUTCOME,
    ccxt.OnMaintenance: VenueErrorKind.RETRYABLE,
    ccxt.ExchangeNotAvailable: VenueErrorKind.UNKNOWN_OUTCOME,
    ccxt.InvalidNonce: VenueErrorKind.RETRYABLE,
    ccxt.RateLimitExceeded: VenueErrorKind.RATE_LIMITED,
    ccxt.DDoSProtection: VenueErrorKind.RATE_LIMITED,
    ccxt.NetworkError: VenueErrorKind.UNKNOWN_OUTCOME,
    ccxt.BadResponse: VenueErrorKind.UNKNOWN_OUTCOME,
    ccxt.CancelPending: VenueErrorKind.RETRYABLE,
    ccxt.OperationFailed: VenueErrorKind.UNKNOWN_OUTCOME,
    # credentials
    ccxt.AccountSuspended: VenueErrorKind.AUTH,
    ccxt.AccountNotEnabled: VenueErrorKind.AUTH,
    ccxt.PermissionDenied: VenueErrorKind.AUTH,
    ccxt.AuthenticationError: VenueErrorKind.AUTH,
    # the venue refused this request and changed nothing
    ccxt.InsufficientFunds: VenueErrorKind.REJECTED,
    ccxt.OrderNotFound: VenueErrorKind.REJECTED,
    ccxt.DuplicateOrderId: VenueErrorKind.REJECTED,
    ccxt.OrderImmediatelyFillable: VenueErrorKind.REJECTED,
    ccxt.OrderNotFillable: VenueErrorKind.REJECTED,
    ccxt.InvalidOrder: VenueErrorKind.REJECTED,
    ccxt.BadSymbol: VenueErrorKind.REJECTED,
    ccxt.BadRequest: VenueErrorKind.REJECTED,
    ccxt.ArgumentsRequired: VenueErrorKind.REJECTED,
    ccxt.NotSupported: VenueErrorKind.REJECTED,
    ccxt.MarketClosed: VenueErrorKind.REJECTED,
    ccxt.OperationRejected: VenueErrorKind.REJECTED,
    ccxt.ExchangeError: VenueErrorKind.REJECTED,
}


def classify(error: BaseException, venue: str) -> VenueError:
    """Return ``error`` (raised by ccxt) as a classified :class:`VenueError`.

    The code is the ccxt class name (``"InsufficientFunds"``), which is stable across
    exchanges; the venue's own text stays in the message, for people.
    """
    kind = VenueErrorKind.UNKNOWN_OUTCOME  # not a ccxt error: assume the worst
    for cls in type(error).__mro__:
        found = ERROR_KINDS.get(cls)
        if found is not None:
            kind = found
            break
    return VenueError(kind, venue, type(error).__name__, str(error))
