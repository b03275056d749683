"""Alpaca's errors, classified into :class:`~ordergate.gateway.errors.VenueErrorKind`.

One explicit table by Alpaca's error ``code`` (the JSON body's), a second by HTTP status
for answers without a known code; message text is never read. Transport failures (a
timeout, a refused or dropped connection) are UNKNOWN_OUTCOME: the request may have
reached Alpaca.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.venues.alpaca.library import APIError

__all__ = ["CODE_KINDS", "STATUS_KINDS", "classify", "kind_of"]

_R, _AUTH, _LIMIT, _UNKNOWN = (
    VenueErrorKind.REJECTED,
    VenueErrorKind.AUTH,
    VenueErrorKind.RATE_LIMITED,
    VenueErrorKind.UNKNOWN_OUTCOME,
)

CODE_KINDS: dict[int, VenueErrorKind] = {
    40010000: _R,  # malformed request body
    40010001: _R,  # invalid request: validation, unknown asset, reused client_order_id
    40110000: _AUTH,  # request is not authorized: missing or wrong keys
    40310000: _R,  # forbidden for this order: insufficient buying power, not shortable
    40410000: _R,  # order, position or asset not found
    42210000: _R,  # the order's state does not allow it (already filled, canceled...)
    42910000: _LIMIT,  # rate limit exceeded
}

STATUS_KINDS: dict[int, VenueErrorKind] = {
    400: _R,
    401: _AUTH,
    403: _AUTH,  # without a known code: the key lacks a permission
    404: _R,
    422: _R,
    429: _LIMIT,
    # 5xx: the request may have been acted on before the failure; ask before resending.
    500: _UNKNOWN,
    502: _UNKNOWN,
    503: _UNKNOWN,
    504: _UNKNOWN,
}


def kind_of(status: int | None, code: int | None) -> VenueErrorKind:
    """Return the kind of an Alpaca answer with HTTP ``status`` and error ``code``."""
    if code is not None and code in CODE_KINDS:
        return CODE_KINDS[code]
    if status is not None and status in STATUS_KINDS:
        return STATUS_KINDS[status]
    if status is not None and 400 <= status < 500:
        return _R
    return _UNKNOWN


def classify(error: Exception, venue: str) -> VenueError:
    """Return ``error`` (from alpaca-py or requests) as a classified :class:`VenueError`."""
    if isinstance(error, APIError):
        status = error.status_code
        code, message = _body(str(error))
        retry_after = None
        response = error.response
        if response is not None:
            retry_after = _seconds(response.headers.get("Retry-After"))
        shown = str(code) if code is not None else str(status)
        return VenueError(kind_of(status, code), venue, shown, message, retry_after=retry_after)
    if isinstance(error, requests.RequestException):
        name = type(error).__name__
        return VenueError(_UNKNOWN, venue, name, str(error))
    raise error


def _body(text: str) -> tuple[int | None, str]:
    try:
        body: Any = json.loads(text)
    except ValueError:
        return None, text
    if not isinstance(body, dict):
        return None, text
    code = body.get("code")
    message = body.get("message")
    return (code if isinstance(code, int) else None), (
        message if isinstance(message, str) else text
    )


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)  # a wait in seconds, not money
    except ValueError:
        return None  # an HTTP date: the adapter's own backoff applies
    return max(seconds, 0.0)
