"""Alpaca's JSON, as the adapter reads it: every number a string, parsed to Decimal later.

alpaca-py's pydantic models turn some quantities and prices into floats
(``TradeUpdate.qty``/``price``, the activity models), so the adapter asks alpaca-py for raw
data (``raw_data=True``) and converts the decoded JSON into these structs. Numbers are typed
``str`` on purpose: Alpaca sends them as strings, and a JSON float here fails conversion
(``strict``) rather than being rounded into money.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

_T = TypeVar("_T")

__all__ = ["FillActivity", "OrderRecord", "TradeUpdateRecord", "convert"]


class OrderRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An order (REST answers and the ``order`` of trade updates)."""

    id: str
    client_order_id: str
    symbol: str
    side: str
    status: str
    time_in_force: str
    type: str | None = None
    order_type: str | None = None
    qty: str | None = None
    filled_qty: str | None = None
    filled_avg_price: str | None = None
    limit_price: str | None = None
    stop_price: str | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class TradeUpdateRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The ``data`` of one ``trade_updates`` message."""

    event: str
    order: OrderRecord
    timestamp: str | None = None
    execution_id: str | None = None
    price: str | None = None
    qty: str | None = None
    position_qty: str | None = None


class FillActivity(msgspec.Struct, frozen=True, kw_only=True):
    """One FILL account activity (GET /v2/account/activities/FILL)."""

    id: str
    transaction_time: str
    price: str
    qty: str
    side: str
    symbol: str
    order_id: str
    activity_type: str = "FILL"


def convert(data: Any, kind: type[_T]) -> _T:
    """Return decoded JSON ``data`` as ``kind``.

    Raises
    ------
    msgspec.ValidationError
        If ``data`` does not have the shape, or carries a float where a string belongs.
    """
    return msgspec.convert(data, kind, strict=True)
