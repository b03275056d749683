"""A venue test double whose answers the test scripts (the real simulator is tested elsewhere)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    VenueOrder,
)
from ordergate.domain.values import AssetClass, Liquidity, OrderType, TimeInForce
from ordergate.venues.base import ReplaceRequest, VenueAdapter, VenueCapabilities


class ScriptedVenue(VenueAdapter):
    """Records every request; the test pushes the venue's reports with :meth:`report`."""

    def __init__(self, name: str = "SCRIPT", *, fail_sends: bool = False) -> None:
        self.name = name
        self.capabilities = VenueCapabilities(
            order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
            time_in_force=frozenset(TimeInForce),
            asset_classes=frozenset({AssetClass.EQUITY}),
        )
        self.submitted: list[VenueOrder] = []
        self.canceled: list[str] = []
        self.replaced: list[ReplaceRequest] = []
        self.fail_sends = fail_sends
        self._queue: asyncio.Queue[ExecutionReport | None] = asyncio.Queue()
        self._executions = 0

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        await self._queue.put(None)

    async def submit(self, order: VenueOrder) -> None:
        if self.fail_sends:
            raise ConnectionError("venue down")
        self.submitted.append(order)

    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        if self.fail_sends:
            raise ConnectionError("venue down")
        self.canceled.append(order_id)

    async def replace(self, request: ReplaceRequest) -> None:
        if self.fail_sends:
            raise ConnectionError("venue down")
        self.replaced.append(request)

    async def open_orders(self) -> list[OrderStatusReport]:
        return []

    async def fills_since(self, ts_ns: int) -> list[FillReport]:
        return []

    async def execution_reports(self) -> AsyncIterator[ExecutionReport]:
        while (report := await self._queue.get()) is not None:
            yield report

    def trade(self, order_id: str, quantity: str, price: str, execution_id: str | None = None):
        from decimal import Decimal

        self._executions += 1
        return ExecutionReport(
            kind=ExecKind.TRADE,
            venue=self.name,
            order_id=order_id,
            execution_id=execution_id or f"E{self._executions}",
            last_quantity=Decimal(quantity),
            last_price=Decimal(price),
            fee=Decimal("0.01"),
            fee_currency="USD",
            liquidity=Liquidity.TAKER,
        )

    def ack(self, order_id: str) -> ExecutionReport:
        return ExecutionReport(
            kind=ExecKind.ACCEPTED,
            venue=self.name,
            order_id=order_id,
            venue_order_id=f"V-{order_id}",
        )
