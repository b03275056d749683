"""The behavioural contract every venue adapter passes (STYLE.md §9).

A test module for an adapter subclasses :class:`VenueAdapterContract` and supplies one
fixture, ``harness``: a :class:`Harness` around a *connected* adapter that talks to a real
venue (the in-process simulator, a simulated exchange over a real socket), plus the terms
of orders that rest and orders that fill there. The contract then checks, through the
adapter's public interface only, what the OMS relies on:

- the adapter declares what it takes (order types, TIFs, asset classes);
- our order id travels as the client order id and comes back on every report;
- a resting order is ACCEPTED with a venue order id, listed by ``open_orders`` and
  CANCELED on request; a marketable order TRADEs to its full quantity with exact decimal
  prices and unique execution ids, and the same fills come back from ``fills_since``;
- refusals (an unknown symbol, cancelling an unknown order) are reports, never exceptions;
- a replace comes back as REPLACED with the new terms, or, where the venue declares no
  modify support, as REPLACE_REJECTED with the order unchanged;
- ``disconnect`` ends the report stream.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.venues.base import ReplaceRequest, VenueAdapter

__all__ = ["Harness", "Reports", "VenueAdapterContract"]

WAIT_S = 10.0


class Reports:
    """Every execution report the adapter yields, collected by one reader task."""

    def __init__(self, adapter: VenueAdapter) -> None:
        self.items: list[ExecutionReport] = []
        self.ended = asyncio.Event()
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read(adapter))

    async def _read(self, adapter: VenueAdapter) -> None:
        try:
            async for report in adapter.execution_reports():
                async with self._changed:
                    self.items.append(report)
                    self._changed.notify_all()
        finally:
            self.ended.set()

    def of(self, order_id: str) -> list[ExecutionReport]:
        """Return the reports received so far for ``order_id``."""
        return [r for r in self.items if r.order_id == order_id]

    async def wait_for(
        self, check: Callable[[list[ExecutionReport]], bool], order_id: str
    ) -> list[ExecutionReport]:
        """Wait until ``check`` holds for the order's reports; return them."""
        async with asyncio.timeout(WAIT_S), self._changed:
            await self._changed.wait_for(lambda: check(self.of(order_id)))
        return self.of(order_id)

    async def wait_kind(self, order_id: str, kind: ExecKind) -> ExecutionReport:
        """Wait for the order's first report of ``kind``; return it."""
        reports = await self.wait_for(lambda rs: any(r.kind is kind for r in rs), order_id)
        return next(r for r in reports if r.kind is kind)

    async def close(self) -> None:
        """Stop reading (the adapter is disconnected by then, or will not be read again)."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class Harness:
    """A connected adapter and the terms of orders that rest and that fill at its venue.

    ``resting_buy_price`` is a valid limit price far below the market (the order rests);
    ``marketable_buy_price`` is a limit price through the market (the order fills at once).
    ``tick`` is the symbol's price increment; ``unknown_symbol`` a symbol the venue does not
    list.
    """

    adapter: VenueAdapter
    symbol: str
    quantity: Decimal
    resting_buy_price: Decimal
    marketable_buy_price: Decimal
    tick: Decimal = Decimal("0.01")
    account: str = "ACC1"
    unknown_symbol: str = "NOPE"
    reports: Reports = field(init=False)

    def __post_init__(self) -> None:
        self.reports = Reports(self.adapter)

    def order(
        self,
        price: Decimal,
        *,
        symbol: str | None = None,
        quantity: Decimal | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> VenueOrder:
        """Return a new limit buy at ``price`` with a fresh order id."""
        return VenueOrder(
            order_id=f"C-{uuid.uuid4().hex[:16]}",
            account=self.account,
            symbol=symbol or self.symbol,
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            quantity=quantity or self.quantity,
            price=price,
            time_in_force=time_in_force,
        )


def _traded(reports: list[ExecutionReport]) -> Decimal:
    return sum(
        (r.last_quantity or Decimal(0) for r in reports if r.kind is ExecKind.TRADE), Decimal(0)
    )


class VenueAdapterContract:
    """Subclass in a ``Test...`` class and provide the ``harness`` fixture."""

    @pytest.fixture
    def harness(self) -> Harness:
        raise NotImplementedError("an adapter's test class provides the harness")

    async def test_declares_what_it_takes(self, harness: Harness) -> None:
        caps = harness.adapter.capabilities
        assert OrderType.LIMIT in caps.order_types
        assert caps.time_in_force
        assert caps.asset_classes
        assert harness.adapter.name

    async def test_resting_order_is_accepted_listed_and_canceled(self, harness: Harness) -> None:
        order = harness.order(harness.resting_buy_price)

        await harness.adapter.submit(order)
        accepted = await harness.reports.wait_kind(order.order_id, ExecKind.ACCEPTED)

        assert accepted.venue == harness.adapter.name
        assert accepted.venue_order_id
        listed = {o.order_id: o for o in await harness.adapter.open_orders()}
        assert order.order_id in listed
        assert listed[order.order_id].venue_order_id == accepted.venue_order_id
        assert listed[order.order_id].quantity == order.quantity
        assert listed[order.order_id].filled_quantity == 0
        assert listed[order.order_id].status in (OrderStatus.NEW, OrderStatus.PENDING_NEW)

        await harness.adapter.cancel(order.order_id, accepted.venue_order_id, order.symbol)
        await harness.reports.wait_kind(order.order_id, ExecKind.CANCELED)

        assert order.order_id not in {o.order_id for o in await harness.adapter.open_orders()}

    async def test_marketable_order_trades_in_full_with_exact_fills(self, harness: Harness) -> None:
        order = harness.order(harness.marketable_buy_price, time_in_force=TimeInForce.IOC)

        await harness.adapter.submit(order)
        reports = await harness.reports.wait_for(
            lambda rs: _traded(rs) == order.quantity, order.order_id
        )

        trades = [r for r in reports if r.kind is ExecKind.TRADE]
        assert all(isinstance(t.last_price, Decimal) for t in trades)
        assert order.price is not None
        assert all(t.last_price is not None and t.last_price <= order.price for t in trades)
        ids = [t.execution_id for t in trades]
        assert all(ids)
        assert len(set(ids)) == len(ids)
        fills = {f.execution_id: f for f in await harness.adapter.fills_since(0)}
        for trade in trades:
            fill = fills[trade.execution_id]  # type: ignore[index]
            assert fill.order_id == order.order_id
            assert (fill.quantity, fill.price) == (trade.last_quantity, trade.last_price)

    async def test_unknown_symbol_is_a_rejected_report_not_an_exception(
        self, harness: Harness
    ) -> None:
        order = harness.order(harness.resting_buy_price, symbol=harness.unknown_symbol)

        await harness.adapter.submit(order)
        rejected = await harness.reports.wait_kind(order.order_id, ExecKind.REJECTED)

        assert rejected.reason
        assert order.order_id not in {o.order_id for o in await harness.adapter.open_orders()}

    async def test_cancel_of_an_unknown_order_is_a_cancel_reject(self, harness: Harness) -> None:
        await harness.adapter.cancel("C-never-sent", None, harness.symbol)

        rejected = await harness.reports.wait_kind("C-never-sent", ExecKind.CANCEL_REJECTED)

        assert rejected.reason

    async def test_replace_comes_back_with_the_new_terms_or_is_refused(
        self, harness: Harness
    ) -> None:
        order = harness.order(harness.resting_buy_price)
        await harness.adapter.submit(order)
        accepted = await harness.reports.wait_kind(order.order_id, ExecKind.ACCEPTED)
        new_price = harness.resting_buy_price - 10 * harness.tick
        new_quantity = order.quantity * 2

        await harness.adapter.replace(
            ReplaceRequest(
                order_id=order.order_id,
                venue_order_id=accepted.venue_order_id,
                symbol=order.symbol,
                quantity=new_quantity,
                price=new_price,
            )
        )
        if not harness.adapter.capabilities.supports_replace:
            # A venue without modify support refuses it as a report; the order stands as it was.
            refused = await harness.reports.wait_kind(order.order_id, ExecKind.REPLACE_REJECTED)
            assert refused.reason
            listed = {o.order_id: o for o in await harness.adapter.open_orders()}
            assert listed[order.order_id].quantity == order.quantity
            await harness.adapter.cancel(order.order_id, accepted.venue_order_id, order.symbol)
            await harness.reports.wait_kind(order.order_id, ExecKind.CANCELED)
            return
        replaced = await harness.reports.wait_kind(order.order_id, ExecKind.REPLACED)

        assert (replaced.quantity, replaced.price) == (new_quantity, new_price)
        listed = {o.order_id: o for o in await harness.adapter.open_orders()}
        assert listed[order.order_id].quantity == new_quantity
        await harness.adapter.cancel(order.order_id, replaced.venue_order_id, order.symbol)
        await harness.reports.wait_kind(order.order_id, ExecKind.CANCELED)

    async def test_disconnect_ends_the_report_stream(self, harness: Harness) -> None:
        await harness.adapter.disconnect()

        async with asyncio.timeout(WAIT_S):
            await harness.reports.ended.wait()
