"""Helpers of the ccxt adapter tests: orders, and a reader of the adapter's reports."""

from __future__ import annotations

import uuid
from decimal import Decimal

from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from tests.venues.contract import Reports

__all__ = ["Reports", "kinds", "order", "traded"]


def order(
    price: str | None = "60000.00",
    *,
    quantity: str = "0.001",
    side: Side = Side.BUY,
    order_type: OrderType = OrderType.LIMIT,
    time_in_force: TimeInForce = TimeInForce.GTC,
    symbol: str = "BTC-USD",
) -> VenueOrder:
    """Return an order with a fresh order id (a resting buy unless told otherwise)."""
    return VenueOrder(
        order_id=f"T-{uuid.uuid4().hex[:12]}",
        account="ACC1",
        symbol=symbol,
        side=side,
        order_type=order_type,
        quantity=Decimal(quantity),
        price=None if price is None else Decimal(price),
        time_in_force=time_in_force,
    )


def kinds(reports: list[ExecutionReport]) -> list[ExecKind]:
    """Return the kinds of ``reports`` in order."""
    return [r.kind for r in reports]


def traded(reports: list[ExecutionReport]) -> Decimal:
    """Return the quantity the TRADE reports add up to."""
    return sum(
        (r.last_quantity or Decimal(0) for r in reports if r.kind is ExecKind.TRADE), Decimal(0)
    )
