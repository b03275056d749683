"""Checks of Binance's SIGNED requests: API key, timestamp window and HMAC-SHA256 signature.

Pure functions; the current time is passed in as integer milliseconds.

A SIGNED REST request carries the key in the ``X-MBX-APIKEY`` header, and ``timestamp``,
optional ``recvWindow`` and ``signature`` among its parameters. The signature is the hex
HMAC-SHA256, keyed with the secret, of *totalParams*: the query string followed by the
request body, exactly as sent, less the ``signature`` parameter itself. The server takes the
request when ``timestamp < now + 1000`` and ``now - timestamp <= recvWindow``
(5000 ms unless given; at most 60000).

A WebSocket API request carries ``apiKey``, ``timestamp`` and ``signature`` in its
``params``; its payload is the other params sorted by name and joined as ``k=v&...``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from ordergate.sim.binance.errors import ApiError, ErrorCode, mandatory

__all__ = [
    "DEFAULT_RECV_WINDOW_MS",
    "check_key",
    "check_signed",
    "check_timestamp",
    "check_ws_signed",
    "sign",
    "strip_signature",
    "ws_payload",
]

DEFAULT_RECV_WINDOW_MS = 5_000
MAX_RECV_WINDOW_MS = 60_000
_AHEAD_MS = 1_000  # how far ahead of the server a client's clock may be


def sign(payload: str, secret: str) -> str:
    """Return the hex HMAC-SHA256 of ``payload`` keyed with ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def strip_signature(encoded: str) -> tuple[str, str | None]:
    """Split ``signature=...`` off a urlencoded string; return the rest and the signature."""
    if not encoded:
        return "", None
    kept: list[str] = []
    signature: str | None = None
    for part in encoded.split("&"):
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def check_key(api_key: str | None, credentials: Mapping[str, str]) -> str:
    """Return the secret of ``api_key``.

    Raises
    ------
    ApiError
        -2014 when the key is missing or malformed, -2015 when it is not known.
    """
    if not api_key or not api_key.isascii() or not api_key.isalnum():
        raise ApiError(ErrorCode.BAD_API_KEY_FMT, "API-key format invalid.", 401)
    secret = credentials.get(api_key)
    if secret is None:
        raise ApiError(
            ErrorCode.REJECTED_MBX_KEY, "Invalid API-key, IP, or permissions for action.", 401
        )
    return secret


def check_timestamp(params: Mapping[str, str], now_ms: int) -> None:
    """Check ``timestamp`` and ``recvWindow`` against the server time ``now_ms``.

    Raises
    ------
    ApiError
        -1102 when ``timestamp`` is missing or malformed (or ``recvWindow`` is), -1021 when
        the request is outside its receive window.
    """
    raw = params.get("timestamp")
    if not raw or not raw.isdigit():
        raise mandatory("timestamp")
    timestamp = int(raw)
    window_raw = params.get("recvWindow")
    window = DEFAULT_RECV_WINDOW_MS
    if window_raw is not None:
        if not window_raw.isdigit() or int(window_raw) > MAX_RECV_WINDOW_MS:
            raise mandatory("recvWindow")
        window = int(window_raw)
    if timestamp >= now_ms + _AHEAD_MS:
        raise ApiError(
            ErrorCode.INVALID_TIMESTAMP,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        )
    if now_ms - timestamp > window:
        raise ApiError(
            ErrorCode.INVALID_TIMESTAMP, "Timestamp for this request is outside of the recvWindow."
        )


def check_signed(
    api_key: str | None,
    query: str,
    body: str,
    params: Mapping[str, str],
    credentials: Mapping[str, str],
    now_ms: int,
) -> str:
    """Check a SIGNED REST request; return its API key.

    Parameters
    ----------
    api_key
        The ``X-MBX-APIKEY`` header, or None.
    query, body
        The raw query string and request body, as received.
    params
        Both parsed into one mapping.
    credentials
        Secret by API key.
    now_ms
        Server time in milliseconds.

    Raises
    ------
    ApiError
        -2014/-2015 for the key, -1102/-1021 for the timestamp, -1102 for a missing
        signature and -1022 for a wrong one.
    """
    secret = check_key(api_key, credentials)
    check_timestamp(params, now_ms)
    query_rest, query_signature = strip_signature(query)
    body_rest, body_signature = strip_signature(body)
    signature = query_signature or body_signature
    if not signature:
        raise mandatory("signature")
    expected = sign(query_rest + body_rest, secret)
    if not hmac.compare_digest(expected, signature.lower()):
        raise ApiError(ErrorCode.INVALID_SIGNATURE, "Signature for this request is not valid.")
    assert api_key is not None  # check_key refused it otherwise
    return api_key


def ws_payload(params: Mapping[str, object]) -> str:
    """Return the signed payload of WebSocket API ``params``: sorted ``k=v`` pairs."""
    return "&".join(f"{k}={_ws_value(v)}" for k, v in sorted(params.items()) if k != "signature")


def _ws_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_ws_signed(
    params: Mapping[str, object], credentials: Mapping[str, str], now_ms: int
) -> str:
    """Check a signed WebSocket API request's ``params``; return its API key.

    Raises
    ------
    ApiError
        As :func:`check_signed`.
    """
    api_key = params.get("apiKey")
    secret = check_key(api_key if isinstance(api_key, str) else None, credentials)
    check_timestamp({k: _ws_value(v) for k, v in params.items()}, now_ms)
    signature = params.get("signature")
    if not isinstance(signature, str) or not signature:
        raise mandatory("signature")
    if not hmac.compare_digest(sign(ws_payload(params), secret), signature.lower()):
        raise ApiError(ErrorCode.INVALID_SIGNATURE, "Signature for this request is not valid.")
    assert isinstance(api_key, str)
    return api_key
