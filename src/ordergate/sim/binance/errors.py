"""Binance error codes the simulator answers with, and the exception that carries one.

Codes, texts and HTTP statuses are Binance's own (spot REST API, "Error codes"), so a real
client maps them exactly as it would the real exchange's.
"""

from __future__ import annotations

from enum import IntEnum

from ordergate.sim.binance.schemas import ErrorBody

__all__ = ["ApiError", "ErrorCode", "filter_failure", "illegal_chars", "mandatory"]


class ErrorCode(IntEnum):
    """The Binance error codes the simulator uses."""

    UNKNOWN = -1000
    TOO_MANY_REQUESTS = -1003
    INVALID_TIMESTAMP = -1021
    INVALID_SIGNATURE = -1022
    PARAM_NOT_REQUIRED = -1106
    ILLEGAL_CHARS = -1100
    MANDATORY_PARAM_EMPTY_OR_MALFORMED = -1102
    INVALID_TIF = -1115
    INVALID_ORDER_TYPE = -1116
    INVALID_SIDE = -1117
    BAD_SYMBOL = -1121
    INVALID_RESPONSE_TYPE = -1177
    INVALID_LISTEN_KEY = -1125
    FILTER_FAILURE = -1013
    NEW_ORDER_REJECTED = -2010
    CANCEL_REJECTED = -2011
    NO_SUCH_ORDER = -2013
    BAD_API_KEY_FMT = -2014
    REJECTED_MBX_KEY = -2015


class ApiError(Exception):
    """A refused request: Binance's error body and the HTTP status it comes with.

    Parameters
    ----------
    code
        The Binance error code.
    msg
        Binance's text for it.
    status
        The HTTP status (400 for bad requests, 401 for key problems, 429/418 for limits).
    headers
        Extra response headers (``Retry-After``).
    """

    def __init__(
        self,
        code: ErrorCode,
        msg: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"[{int(code)}] {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> ErrorBody:
        """Return the JSON body of the error response."""
        return ErrorBody(code=int(self.code), msg=self.msg)


def mandatory(name: str) -> ApiError:
    """Return Binance's error for a missing or empty mandatory parameter (-1102)."""
    return ApiError(
        ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED,
        f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
    )


def illegal_chars(name: str) -> ApiError:
    """Return Binance's error for a number parameter that does not parse (-1100)."""
    return ApiError(
        ErrorCode.ILLEGAL_CHARS,
        f"Illegal characters found in parameter '{name}'; "
        "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
    )


def filter_failure(name: str) -> ApiError:
    """Return Binance's error for an order that fails a symbol filter (-1013)."""
    return ApiError(ErrorCode.FILTER_FAILURE, f"Filter failure: {name}")
