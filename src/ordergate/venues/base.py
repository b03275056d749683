"""The venue adapter interface every venue implements.

One template for the simulator, FIX venues, crypto exchanges and brokers. The OMS talks to
venues only through this interface; results come back asynchronously as
:class:`~ordergate.domain.reports.ExecutionReport` objects on
:meth:`VenueAdapter.execution_reports`.

Hooks
-----
Required: ``connect``, ``disconnect``, ``submit``, ``cancel``, ``replace``, ``open_orders``,
``fills_since``, ``execution_reports``. Optional: ``market_data`` (default: no market data).

Contract
--------
- ``submit``/``cancel``/``replace`` return once the request is handed to the venue; the
  outcome (accepted, rejected, filled, cancel rejected...) arrives as execution reports.
- A request the venue refuses synchronously is reported as a REJECTED / CANCEL_REJECTED /
  REPLACE_REJECTED execution report, never as an exception, so the OMS has one path.
- ``open_orders`` and ``fills_since`` are what reconciliation uses after a restart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from decimal import Decimal

import msgspec

from ordergate.domain.reports import (
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    Quote,
    TradeTick,
    VenueOrder,
)
from ordergate.domain.values import AssetClass, OrderType, TimeInForce

__all__ = ["RateLimitRule", "ReplaceRequest", "VenueAdapter", "VenueCapabilities"]


class RateLimitRule(msgspec.Struct, frozen=True, kw_only=True):
    """One of a venue's limits, in the venue's own terms.

    ``limit`` units (requests, request weight or orders, as ``unit`` says) per
    ``window_ns`` nanoseconds; ``scope`` names the endpoints the rule covers (``"*"`` for
    all of them, ``"orders"`` for order entry).
    """

    name: str
    unit: str
    limit: int
    window_ns: int
    scope: str = "*"


class VenueCapabilities(msgspec.Struct, frozen=True, kw_only=True):
    """What a venue can take natively, its limits and its fees.

    ``maker_fee`` and ``taker_fee`` are rates of the notional (``0.001`` is 10 bp).
    """

    order_types: frozenset[OrderType]
    time_in_force: frozenset[TimeInForce]
    asset_classes: frozenset[AssetClass]
    supports_replace: bool = True
    supports_market_data: bool = False
    rate_limits: tuple[RateLimitRule, ...] = ()
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)


class ReplaceRequest(msgspec.Struct, frozen=True, kw_only=True):
    """New terms for a resting order (a cancel/replace at the venue); None keeps a term."""

    order_id: str
    venue_order_id: str | None
    symbol: str
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None


class VenueAdapter(ABC):
    """One connection to one venue."""

    name: str
    capabilities: VenueCapabilities

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection; return when orders can be sent."""

    @abstractmethod
    async def disconnect(self) -> None:
        """Close the connection and end the report stream."""

    @abstractmethod
    async def submit(self, order: VenueOrder) -> None:
        """Send a new order (NewOrderSingle(D))."""

    @abstractmethod
    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        """Ask the venue to cancel an order (OrderCancelRequest(F))."""

    @abstractmethod
    async def replace(self, request: ReplaceRequest) -> None:
        """Ask the venue to change an order's terms (OrderCancelReplaceRequest(G))."""

    @abstractmethod
    async def open_orders(self) -> list[OrderStatusReport]:
        """Return every order the venue holds open for this connection."""

    @abstractmethod
    async def fills_since(self, ts_ns: int) -> list[FillReport]:
        """Return every fill at or after ``ts_ns``."""

    @abstractmethod
    def execution_reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield execution reports in the order the venue produced them."""

    def market_data(self) -> AsyncIterator[Quote | TradeTick]:
        """Yield quotes and trades; venues without market data yield nothing."""
        return _no_market_data()


async def _no_market_data() -> AsyncIterator[Quote | TradeTick]:
    return
    yield  # pragma: no cover - makes this an async generator
