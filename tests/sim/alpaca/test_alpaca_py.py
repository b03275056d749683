"""alpaca-py's own TradingClient and TradingStream work against the simulator unchanged.

These use alpaca-py's typed models, as any Alpaca user would (the adapter itself avoids
them for money, because they hold floats): orders, fills and partial fills on the stream,
cancel, replace, positions, account, clock and assets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest

# After ordergate.venues.alpaca.library: alpaca.trading is imported, its warning handled.
from alpaca.trading.enums import OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
)

from ordergate.domain.values import Side
from ordergate.sim.alpaca import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer
from ordergate.venues.alpaca.library import APIError, TradingClient, TradingStream

WAIT_S = 10.0


@pytest.fixture
def client(sim: AlpacaSimServer) -> Iterator[TradingClient]:
    trading = TradingClient(DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, url_override=sim.url)
    yield trading
    trading._session.close()


class Updates:
    """alpaca-py's TradingStream run on this loop, collecting raw trade updates."""

    def __init__(self, sim: AlpacaSimServer) -> None:
        self.messages: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.stream = TradingStream(
            DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, raw_data=True, url_override=sim.stream_url
        )
        self.stream.subscribe_trade_updates(self._handle)
        self.task = asyncio.create_task(self.stream._run_forever())

    async def _handle(self, message: dict[str, Any]) -> None:
        self.messages.append(message["data"])
        self.arrived.set()

    def events(self, order_id: str) -> list[str]:
        return [m["event"] for m in self.messages if m["order"]["id"] == order_id]

    async def until(self, order_id: str, count: int) -> list[str]:
        async with asyncio.timeout(WAIT_S):
            while len(self.events(order_id)) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.events(order_id)

    async def close(self) -> None:
        await self.stream.stop_ws()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.stream.close()


@pytest.fixture
async def updates(sim: AlpacaSimServer) -> AsyncIterator[Updates]:
    collected = Updates(sim)
    async with asyncio.timeout(WAIT_S):
        while sim.sim.hub.listeners == 0:
            await asyncio.sleep(0.01)
    yield collected
    await collected.close()


async def test_limit_order_partial_fill_then_fill_stream_in_order(
    sim: AlpacaSimServer, client: TradingClient, updates: Updates
) -> None:
    request = LimitOrderRequest(
        symbol="AAPL",
        qty=10,
        side=OrderSide.BUY,
        time_in_force=TimeInForce.GTC,
        limit_price=190.00,
        client_order_id="py-1",
    )
    order = await asyncio.to_thread(client.submit_order, request)

    sim.trade_against("AAPL", Side.SELL, Decimal(4), Decimal("190.00"))
    sim.trade_against("AAPL", Side.SELL, Decimal(6), Decimal("190.00"))
    events = await updates.until(str(order.id), 3)
    final = await asyncio.to_thread(client.get_order_by_client_id, "py-1")

    assert order.status is OrderStatus.NEW
    assert events == ["new", "partial_fill", "fill"]
    fills = [m for m in updates.messages if m["event"] != "new"]
    assert [(m["qty"], Decimal(m["price"]), m["position_qty"]) for m in fills] == [
        ("4", Decimal(190), "4"),
        ("6", Decimal(190), "10"),
    ]
    assert (final.status, final.filled_qty, final.filled_avg_price) == (
        OrderStatus.FILLED,
        "10",
        "190",
    )


async def test_market_order_fills_and_shows_in_positions_and_account(
    sim: AlpacaSimServer, client: TradingClient, updates: Updates
) -> None:
    request = MarketOrderRequest(
        symbol="MSFT", qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
    )

    order = await asyncio.to_thread(client.submit_order, request)
    events = await updates.until(str(order.id), 2)
    (position,) = await asyncio.to_thread(client.get_all_positions)
    single = await asyncio.to_thread(client.get_open_position, "MSFT")
    account = await asyncio.to_thread(client.get_account)

    assert events == ["new", "fill"]
    assert (position.symbol, position.qty) == ("MSFT", "3")
    assert single.avg_entry_price == position.avg_entry_price
    assert account.cash is not None
    assert Decimal(account.cash) == 100_000 - 3 * Decimal(position.avg_entry_price)


async def test_cancel_and_replace_stream_their_events(
    client: TradingClient, updates: Updates
) -> None:
    request = LimitOrderRequest(
        symbol="SPY", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, limit_price=500
    )
    order = await asyncio.to_thread(client.submit_order, request)

    new = await asyncio.to_thread(
        client.replace_order_by_id, order.id, ReplaceOrderRequest(qty=4, limit_price=501)
    )
    await asyncio.to_thread(client.cancel_order_by_id, new.id)
    old_events = await updates.until(str(order.id), 2)
    new_events = await updates.until(str(new.id), 2)
    open_orders = await asyncio.to_thread(client.get_orders, GetOrdersRequest())

    assert (new.replaces, new.qty) == (order.id, "4")
    assert old_events == ["new", "replaced"]
    assert new_events == ["new", "canceled"]
    assert open_orders == []


async def test_clock_assets_and_errors_come_through_the_typed_client(
    client: TradingClient,
) -> None:
    clock = await asyncio.to_thread(client.get_clock)
    assets = await asyncio.to_thread(client.get_all_assets)
    request = LimitOrderRequest(
        symbol="AAPL", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, limit_price=1
    )
    await asyncio.to_thread(
        client.submit_order, request.model_copy(update={"client_order_id": "dup"})
    )

    with pytest.raises(APIError) as caught:
        await asyncio.to_thread(
            client.submit_order, request.model_copy(update={"client_order_id": "dup"})
        )

    assert clock.is_open
    assert [a.symbol for a in assets] == ["AAPL", "MSFT", "SPY"]
    assert (caught.value.status_code, caught.value.code) == (422, 40010001)
