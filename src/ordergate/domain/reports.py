"""Normalized reports that venues send back: execution reports, order status, fills, market data.

Every venue adapter (the simulator, FIX, crypto exchanges, brokers) converts its own wire
messages into these types in its parser; raw venue payloads never cross the adapter boundary.
``order_id`` is always ordergate's own order id, which venues know as the client order id
(ClOrdID(11)); ``venue_order_id`` is the venue's OrderID(37).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import msgspec

from ordergate.domain.values import Liquidity, OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "ExecKind",
    "ExecutionReport",
    "FillReport",
    "OrderStatusReport",
    "Quote",
    "TradeTick",
    "VenueErrorKind",
    "VenueOrder",
]


class ExecKind(StrEnum):
    """What an execution report says happened (ExecType(150), normalized)."""

    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    TRADE = "TRADE"
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    CANCEL_REJECTED = "CANCEL_REJECTED"
    REPLACE_REJECTED = "REPLACE_REJECTED"
    EXPIRED = "EXPIRED"


class VenueErrorKind(StrEnum):
    """What a venue error means for the request that caused it (see ordergate.gateway.errors)."""

    REJECTED = "REJECTED"
    RETRYABLE = "RETRYABLE"
    UNKNOWN_OUTCOME = "UNKNOWN_OUTCOME"
    AUTH = "AUTH"
    RATE_LIMITED = "RATE_LIMITED"


class ExecutionReport(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that happened to one order at a venue.

    For ``TRADE``: ``execution_id``, ``last_quantity``, ``last_price``, ``fee``,
    ``fee_currency`` and ``liquidity`` describe the fill. For ``REPLACED``: ``quantity``,
    ``price``, ``stop_price`` and ``time_in_force`` are the order's terms after the replace.
    For rejects: ``reason`` says why, and ``error_kind`` classifies a refusal that came from
    a venue error (an HTTP or API error rather than the venue's business decision), so the
    connection manager can count it without reading the text.
    """

    kind: ExecKind
    venue: str
    order_id: str
    venue_order_id: str | None = None
    execution_id: str | None = None
    last_quantity: Decimal | None = None
    last_price: Decimal | None = None
    fee: Decimal = Decimal(0)
    fee_currency: str | None = None
    liquidity: Liquidity | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    reason: str | None = None
    error_kind: VenueErrorKind | None = None
    ts_event: int = 0


class VenueOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order as sent to a venue: ordergate's order id travels as the client order id."""

    order_id: str
    account: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_time: int | None = None


class OrderStatusReport(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's view of one order, for reconciliation."""

    venue: str
    order_id: str
    venue_order_id: str
    symbol: str
    side: Side
    status: OrderStatus
    quantity: Decimal
    filled_quantity: Decimal
    price: Decimal | None
    ts_event: int


class FillReport(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's record of one fill, for reconciliation."""

    venue: str
    order_id: str
    venue_order_id: str
    execution_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    ts_event: int


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    """Best bid and offer of one instrument at one venue."""

    venue: str
    symbol: str
    bid_price: Decimal | None
    bid_size: Decimal
    ask_price: Decimal | None
    ask_size: Decimal
    ts_event: int


class TradeTick(msgspec.Struct, frozen=True, kw_only=True):
    """One trade printed at a venue."""

    venue: str
    symbol: str
    price: Decimal
    quantity: Decimal
    aggressor: Side
    ts_event: int
