"""API errors: every error is JSON ``{"error": {"code", "message", "field"}}`` with a 4xx status."""

from __future__ import annotations

import re

import msgspec
from fastapi import Request
from fastapi.responses import Response

from ordergate.domain.errors import ErrorCode, OrderError

__all__ = ["ApiError", "error_response", "from_order_error", "from_validation_error"]

_STATUS: dict[ErrorCode, int] = {
    ErrorCode.ORDER_NOT_FOUND: 404,
    ErrorCode.DUPLICATE_CLIENT_ORDER_ID: 409,
    ErrorCode.ORDER_NOT_OPEN: 409,
    ErrorCode.ORDER_PENDING: 409,
}

_PATH = re.compile(r"at `\$\.?([^`]*)`")


class ApiError(Exception):
    """An HTTP error with a machine-readable code and the offending field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict[str, object]:
        """Return the JSON body of this error."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


def from_order_error(e: OrderError) -> ApiError:
    """Map a domain refusal to its HTTP status (422 unless it is a conflict or not found)."""
    return ApiError(_STATUS.get(e.code, 422), str(e.code), e.message, e.field)


def from_validation_error(e: msgspec.ValidationError | msgspec.DecodeError) -> ApiError:
    """Map a body that does not decode to 400 (malformed JSON) or 422 (wrong field)."""
    message = str(e)
    if isinstance(e, msgspec.ValidationError):
        match = _PATH.search(message)
        field = match.group(1) if match and match.group(1) else None
        if field is None and "missing required field" in message:
            named = re.search(r"`([^`]+)`", message)
            field = named.group(1) if named else None
        return ApiError(422, "INVALID_FIELD", message, field)
    return ApiError(400, "MALFORMED_JSON", f"the body is not valid JSON: {message}")


def error_response(e: ApiError) -> Response:
    """Return the JSON response for ``e``."""
    return Response(msgspec.json.encode(e.body()), e.status, media_type="application/json")


async def handle_api_error(_: Request, e: Exception) -> Response:
    """Exception handler for :class:`ApiError`."""
    assert isinstance(e, ApiError)
    return error_response(e)


async def handle_order_error(_: Request, e: Exception) -> Response:
    """Exception handler for domain :class:`OrderError`."""
    assert isinstance(e, OrderError)
    return error_response(from_order_error(e))
