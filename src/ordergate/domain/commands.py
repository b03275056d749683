"""Commands: what a client asks the OMS to do. Imperative, frozen, validated before use."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce

__all__ = ["CancelAllOrders", "CancelOrder", "ModifyOrder", "SubmitOrder"]


class SubmitOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Place a new order. ``client_order_id`` is unique per account (idempotency key)."""

    client_order_id: str
    account: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_time: int | None = None
    venue: str = "smart"
    portfolio: str | None = None
    strategy: str | None = None


class ModifyOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Change a working order's terms (a cancel/replace at the venue); None keeps a term."""

    order_id: str
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    expire_time: int | None = None


class CancelOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Cancel one working order."""

    order_id: str


class CancelAllOrders(msgspec.Struct, frozen=True, kw_only=True):
    """Cancel every open order that matches all the given filters (None matches anything)."""

    account: str | None = None
    symbol: str | None = None
    side: Side | None = None
    venue: str | None = None
    strategy: str | None = None
    statuses: frozenset[OrderStatus] | None = None
