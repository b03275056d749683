"""The JSON shapes of Alpaca's trading API v2, as the simulator reads and writes them.

Requests are decoded straight into these structs (numbers and numeric strings become exact
``Decimal``); responses are encoded from them, and msgspec writes every ``Decimal`` as a
string, which is how Alpaca sends quantities and prices. Field names are Alpaca's own.
Optional fields a response does not use are ``None`` and written as ``null``, as Alpaca does.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = [
    "AccountJson",
    "ActivityJson",
    "AssetJson",
    "CancelResultJson",
    "ClockJson",
    "ErrorJson",
    "OrderBody",
    "OrderJson",
    "PositionJson",
    "ReplaceBody",
    "TradeUpdateJson",
]


class OrderBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """POST /v2/orders: a new order."""

    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal | None = None
    notional: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    client_order_id: str | None = None
    extended_hours: bool = False
    order_class: str | None = None


class ReplaceBody(msgspec.Struct, frozen=True, kw_only=True):
    """PATCH /v2/orders/{order_id}: new terms; a missing field keeps the old term."""

    qty: Decimal | None = None
    time_in_force: str | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail: Decimal | None = None
    client_order_id: str | None = None


class ErrorJson(msgspec.Struct, frozen=True):
    """Every error body: ``{"code": 40010001, "message": "..."}``."""

    code: int
    message: str


class OrderJson(msgspec.Struct, frozen=True, kw_only=True):
    """An order, as GET /v2/orders/{order_id} returns it."""

    id: str
    client_order_id: str
    created_at: str
    updated_at: str
    submitted_at: str
    filled_at: str | None
    expired_at: str | None
    canceled_at: str | None
    failed_at: str | None
    replaced_at: str | None
    replaced_by: str | None
    replaces: str | None
    asset_id: str
    symbol: str
    asset_class: str
    notional: Decimal | None
    qty: Decimal
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    order_class: str
    order_type: str
    type: str
    side: str
    time_in_force: str
    limit_price: Decimal | None
    stop_price: Decimal | None
    status: str
    extended_hours: bool
    legs: None = None
    trail_percent: None = None
    trail_price: None = None
    hwm: None = None
    position_intent: str


class CancelResultJson(msgspec.Struct, frozen=True):
    """One entry of DELETE /v2/orders (HTTP 207): the order and the status of its cancel."""

    id: str
    status: int
    body: OrderJson


class TradeUpdateJson(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The ``data`` of one ``trade_updates`` stream message."""

    event: str
    order: OrderJson
    timestamp: str
    execution_id: str | None = None
    price: Decimal | None = None
    qty: Decimal | None = None
    position_qty: Decimal | None = None


class PositionJson(msgspec.Struct, frozen=True, kw_only=True):
    """An open position, as GET /v2/positions returns it."""

    asset_id: str
    symbol: str
    exchange: str
    asset_class: str
    asset_marginable: bool
    avg_entry_price: Decimal
    qty: Decimal
    qty_available: Decimal
    side: str
    market_value: Decimal
    cost_basis: Decimal
    unrealized_pl: Decimal
    unrealized_plpc: Decimal
    unrealized_intraday_pl: Decimal
    unrealized_intraday_plpc: Decimal
    current_price: Decimal
    lastday_price: Decimal
    change_today: Decimal


class AccountJson(msgspec.Struct, frozen=True, kw_only=True):
    """GET /v2/account."""

    id: str
    account_number: str
    status: str
    crypto_status: str
    currency: str
    buying_power: Decimal
    regt_buying_power: Decimal
    daytrading_buying_power: Decimal
    non_marginable_buying_power: Decimal
    options_buying_power: Decimal
    cash: Decimal
    accrued_fees: Decimal
    pending_transfer_in: Decimal
    portfolio_value: Decimal
    pattern_day_trader: bool
    trading_blocked: bool
    transfers_blocked: bool
    account_blocked: bool
    created_at: str
    trade_suspended_by_user: bool
    multiplier: str
    shorting_enabled: bool
    equity: Decimal
    last_equity: Decimal
    long_market_value: Decimal
    short_market_value: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    last_maintenance_margin: Decimal
    sma: Decimal
    daytrade_count: int


class ActivityJson(msgspec.Struct, frozen=True, kw_only=True):
    """One FILL account activity (GET /v2/account/activities)."""

    id: str
    account_id: str
    activity_type: str
    transaction_time: str
    type: str
    price: Decimal
    qty: Decimal
    side: str
    symbol: str
    leaves_qty: Decimal
    order_id: str
    cum_qty: Decimal
    order_status: str


class ClockJson(msgspec.Struct, frozen=True):
    """GET /v2/clock."""

    timestamp: str
    is_open: bool
    next_open: str
    next_close: str


class AssetJson(msgspec.Struct, frozen=True, kw_only=True, rename={"asset_class": "class"}):
    """One asset of GET /v2/assets (``class`` is a Python keyword, hence the rename)."""

    id: str
    asset_class: str
    exchange: str
    symbol: str
    name: str
    status: str
    tradable: bool
    marginable: bool
    shortable: bool
    easy_to_borrow: bool
    fractionable: bool
    min_order_size: Decimal
    min_trade_increment: Decimal
    price_increment: Decimal
    attributes: list[str]
