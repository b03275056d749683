"""Domain errors with machine-readable codes.

Each refusal names a stable ``code`` (for programs), the offending ``field`` (or None) and a
human message. A refused command writes nothing.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ErrorCode", "OrderError"]


class ErrorCode(StrEnum):
    """Why a command was refused."""

    UNKNOWN_INSTRUMENT = "UNKNOWN_INSTRUMENT"
    UNKNOWN_VENUE = "UNKNOWN_VENUE"
    UNSUPPORTED_BY_VENUE = "UNSUPPORTED_BY_VENUE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    QUANTITY_NOT_LOT_MULTIPLE = "QUANTITY_NOT_LOT_MULTIPLE"
    QUANTITY_BELOW_MINIMUM = "QUANTITY_BELOW_MINIMUM"
    NOTIONAL_BELOW_MINIMUM = "NOTIONAL_BELOW_MINIMUM"
    INVALID_PRICE = "INVALID_PRICE"
    PRICE_OFF_TICK = "PRICE_OFF_TICK"
    PRICE_REQUIRED = "PRICE_REQUIRED"
    PRICE_NOT_ALLOWED = "PRICE_NOT_ALLOWED"
    STOP_PRICE_REQUIRED = "STOP_PRICE_REQUIRED"
    STOP_PRICE_NOT_ALLOWED = "STOP_PRICE_NOT_ALLOWED"
    EXPIRE_TIME_REQUIRED = "EXPIRE_TIME_REQUIRED"
    EXPIRE_TIME_NOT_ALLOWED = "EXPIRE_TIME_NOT_ALLOWED"
    EXPIRE_TIME_IN_PAST = "EXPIRE_TIME_IN_PAST"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    ORDER_NOT_OPEN = "ORDER_NOT_OPEN"
    ORDER_PENDING = "ORDER_PENDING"
    MODIFY_BELOW_FILLED = "MODIFY_BELOW_FILLED"
    NOTHING_TO_MODIFY = "NOTHING_TO_MODIFY"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    INVALID_FIELD = "INVALID_FIELD"


class OrderError(Exception):
    """A command the OMS refuses; nothing was written."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"OrderError({self.code}, {self.message!r}, field={self.field!r})"
