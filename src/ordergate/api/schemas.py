"""Request bodies (decoded with msgspec, so JSON numbers become exact Decimals) and responses.

Field names follow the platform's data model. Prices, quantities and amounts leave as JSON
strings ("100.25") so nothing is rounded; on input both strings and numbers are accepted,
and numbers are read exactly, never through a float. Unknown fields are refused, so a typo
cannot silently drop a term of an order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from ordergate.domain.commands import CancelAllOrders, ModifyOrder, SubmitOrder
from ordergate.domain.fill import Fill
from ordergate.domain.instrument import Instrument
from ordergate.domain.order import Order
from ordergate.domain.position import Position
from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "BatchRequest",
    "CancelAllRequest",
    "ModifyRequest",
    "OrderRequest",
    "fill_json",
    "instrument_json",
    "iso",
    "order_json",
    "parse_time",
    "position_json",
]

Timestamp = int | datetime


def parse_time(value: Timestamp | None, field: str) -> int | None:
    """Return integer nanoseconds from an int (ns) or a timezone-aware datetime."""
    if value is None or isinstance(value, int):
        return value
    if value.tzinfo is None:
        raise msgspec.ValidationError(f"a timestamp needs a time zone - at `$.{field}`")
    return int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1_000


def iso(ns: int | None) -> str | None:
    """Return an ISO-8601 UTC timestamp (microseconds) for integer nanoseconds."""
    if ns is None:
        return None
    moment = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC)
    return moment.replace(microsecond=(ns // 1_000) % 1_000_000).isoformat().replace("+00:00", "Z")


def _finite(request: msgspec.Struct) -> None:
    for name in ("quantity", "price", "stop_price"):
        value = getattr(request, name)
        if value is not None and not value.is_finite():
            raise ValueError(f"{name} must be a finite number - at `$.{name}`")


class OrderRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of POST /api/orders."""

    client_order_id: str
    account: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_time: Timestamp | None = None
    venue: str = "smart"
    portfolio: str | None = None
    strategy: str | None = None

    def __post_init__(self) -> None:
        _finite(self)

    def command(self) -> SubmitOrder:
        """Return the OMS command for this request."""
        return SubmitOrder(
            client_order_id=self.client_order_id,
            account=self.account,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            quantity=self.quantity,
            price=self.price,
            stop_price=self.stop_price,
            time_in_force=self.time_in_force,
            expire_time=parse_time(self.expire_time, "expire_time"),
            venue=self.venue,
            portfolio=self.portfolio,
            strategy=self.strategy,
        )


class ModifyRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of PUT /api/orders/{id}: the terms to change."""

    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    expire_time: Timestamp | None = None

    def __post_init__(self) -> None:
        _finite(self)

    def command(self, order_id: str) -> ModifyOrder:
        """Return the OMS command for this request."""
        return ModifyOrder(
            order_id=order_id,
            quantity=self.quantity,
            price=self.price,
            stop_price=self.stop_price,
            time_in_force=self.time_in_force,
            expire_time=parse_time(self.expire_time, "expire_time"),
        )


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /api/orders/batch."""

    orders: list[OrderRequest]


class CancelAllRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of POST /api/orders/cancel-all: every filter given must match."""

    account: str | None = None
    symbol: str | None = None
    side: Side | None = None
    venue: str | None = None
    strategy: str | None = None
    statuses: list[OrderStatus] | None = None

    def command(self) -> CancelAllOrders:
        """Return the OMS command for this request."""
        return CancelAllOrders(
            account=self.account,
            symbol=self.symbol,
            side=self.side,
            venue=self.venue,
            strategy=self.strategy,
            statuses=frozenset(self.statuses) if self.statuses is not None else None,
        )


def _d(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def order_json(order: Order) -> dict[str, Any]:
    """Return the API form of an order."""
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "account": order.account,
        "portfolio": order.portfolio,
        "strategy": order.strategy,
        "venue": order.venue,
        "symbol": order.symbol,
        "side": order.side,
        "order_type": order.order_type,
        "quantity": str(order.quantity),
        "price": _d(order.price),
        "stop_price": _d(order.stop_price),
        "time_in_force": order.time_in_force,
        "expire_time": iso(order.expire_time),
        "status": order.status,
        "filled_quantity": str(order.filled_quantity),
        "remaining_quantity": str(order.leaves_quantity),
        "average_fill_price": _d(order.average_fill_price),
        "fees": str(order.fees),
        "fee_currency": order.fee_currency,
        "venue_order_id": order.venue_order_id,
        "reason": order.last_reason,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "version": order.version,
    }


def fill_json(fill: Fill) -> dict[str, Any]:
    """Return the API form of a fill."""
    return {
        "execution_id": fill.execution_id,
        "order_id": fill.order_id,
        "account": fill.account,
        "symbol": fill.symbol,
        "side": fill.side,
        "venue": fill.venue,
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "fee": str(fill.fee),
        "fee_currency": fill.fee_currency,
        "liquidity": fill.liquidity,
        "time": iso(fill.ts_event),
    }


def position_json(position: Position, mark: Decimal | None) -> dict[str, Any]:
    """Return the API form of a position, with unrealized P&L against ``mark``."""
    return {
        "account": position.account,
        "symbol": position.symbol,
        "quantity": str(position.quantity),
        "average_price": _d(position.average_price),
        "realized_pnl": str(position.realized_pnl),
        "unrealized_pnl": None if mark is None else str(position.unrealized_pnl(mark)),
        "mark_price": _d(mark),
        "fees": str(position.fees),
    }


def instrument_json(instrument: Instrument) -> dict[str, Any]:
    """Return the API form of an instrument."""
    return msgspec.to_builtins(instrument)  # type: ignore[no-any-return]
