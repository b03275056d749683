"""ccxt's own binance class, its URLs pointed at the simulator: what a real client sees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import ccxt
import ccxt.pro
import pytest

from ordergate.sim.binance import BinanceSimServer


@pytest.fixture
async def client(server: BinanceSimServer) -> AsyncIterator[Any]:
    exchange = ccxt.pro.binance(
        {
            "apiKey": "simkey",
            "secret": "simsecret",
            "options": {
                "defaultType": "spot",
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "warnOnFetchOpenOrdersWithoutSymbol": False,
            },
        }
    )
    exchange.urls["api"] = {
        **exchange.urls["api"],
        "public": f"{server.url}/api/v3",
        "private": f"{server.url}/api/v3",
        "ws": {
            "spot": f"{server.ws_url}/ws",
            "ws-api": {"spot": f"{server.ws_url}/ws-api/v3"},
        },
    }
    exchange.number = str  # exact decimal strings instead of floats
    exchange.timeout_on_exit = 0  # plain HTTP: no TLS shutdown to wait for on close
    await exchange.load_markets()
    try:
        yield exchange
    finally:
        await exchange.close()


async def test_markets_load_with_their_filters(client: Any) -> None:
    market = client.market("BTC/USDT")

    assert (market["id"], market["base"], market["quote"], market["spot"]) == (
        "BTCUSDT",
        "BTC",
        "USDT",
        True,
    )
    assert market["precision"]["price"] == "0.01"
    assert market["limits"]["amount"]["min"] == "0.00001"
    assert market["limits"]["cost"]["min"] == "5"


async def test_balance(client: Any) -> None:
    balance = await client.fetch_balance()

    assert balance["USDT"]["free"] == "1000000"
    assert balance["BTC"]["total"] == "10"


async def test_limit_order_is_placed_queried_listed_and_canceled(client: Any) -> None:
    placed = await client.create_order(
        "BTC/USDT", "limit", "buy", "0.001", "60000", {"newClientOrderId": "C-c1"}
    )
    found = await client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "C-c1"})
    listed = await client.fetch_open_orders("BTC/USDT")
    canceled = await client.cancel_order(None, "BTC/USDT", {"origClientOrderId": "C-c1"})

    assert (placed["clientOrderId"], placed["status"]) == ("C-c1", "open")
    assert found["id"] == placed["id"]
    assert [o["clientOrderId"] for o in listed] == ["C-c1"]
    assert canceled["status"] == "canceled"
    assert await client.fetch_open_orders("BTC/USDT") == []


async def test_market_order_fills_with_trades_and_fees(client: Any) -> None:
    placed = await client.create_order(
        "ETH/USDT", "market", "sell", "0.5", None, {"newClientOrderId": "C-c2"}
    )
    trades = await client.fetch_my_trades("ETH/USDT")

    assert placed["status"] == "closed"
    assert placed["filled"] == "0.5"
    assert sum(float(t["amount"]) for t in trades) == 0.5
    assert all(t["order"] == placed["id"] for t in trades)
    assert all(t["fee"]["currency"] == "USDT" for t in trades)


async def test_unknown_order_is_order_not_found(client: Any) -> None:
    with pytest.raises(ccxt.OrderNotFound):
        await client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "never"})
    with pytest.raises(ccxt.OrderNotFound):
        await client.cancel_order(None, "BTC/USDT", {"origClientOrderId": "never"})


async def test_insufficient_balance_is_refused(client: Any) -> None:
    with pytest.raises(ccxt.InsufficientFunds):
        await client.create_order("BTC/USDT", "limit", "sell", "11", "60000")


async def test_order_and_fill_arrive_on_the_user_data_websocket(client: Any) -> None:
    await client.authenticate()  # subscribes the WebSocket API user data stream
    orders = asyncio.create_task(client.watch_orders())
    trades = asyncio.create_task(client.watch_my_trades())
    await asyncio.sleep(0)

    placed = await client.create_order(
        "BTC/USDT", "limit", "buy", "0.002", "70000", {"newClientOrderId": "C-c3"}
    )
    async with asyncio.timeout(5):
        watched_orders = await orders
        watched_trades = await trades

    assert watched_orders[0]["clientOrderId"] == "C-c3"
    assert watched_trades[0]["order"] == placed["id"]
    assert watched_trades[0]["info"]["c"] == "C-c3"
    assert sum(float(t["amount"]) for t in watched_trades) <= 0.002


async def test_book_ticker_over_the_market_websocket(client: Any, server: BinanceSimServer) -> None:
    watching = asyncio.create_task(client.watch_bids_asks(["BTC/USDT"]))
    await asyncio.sleep(0.2)
    server.step_market()

    async with asyncio.timeout(5):
        tickers = await watching

    ticker = tickers["BTC/USDT"]
    assert float(ticker["bid"]) < float(ticker["ask"])
