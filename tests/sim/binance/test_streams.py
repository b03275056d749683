"""The simulator's WebSocket endpoints: user data (listen key and WebSocket API), market data."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from ordergate.sim.binance import BinanceSimServer
from ordergate.sim.binance.signing import sign, ws_payload
from ordergate.sim.binance.streams import parse_stream_name

from .conftest import SignedClient

ORDER = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "60000.00",
}


async def _next(ws: ClientConnection) -> Any:
    async with asyncio.timeout(5):
        return json.loads(await ws.recv())


async def test_listen_key_stream_carries_execution_reports(
    server: BinanceSimServer, http: httpx.AsyncClient, signed: SignedClient
) -> None:
    headers = {"X-MBX-APIKEY": "simkey"}
    key = (await http.post("/api/v3/userDataStream", headers=headers)).json()["listenKey"]
    async with connect(f"{server.ws_url}/ws/{key}") as ws:
        await signed.send("POST", "/api/v3/order", {**ORDER, "newClientOrderId": "C-s1"})
        event = await _next(ws)

    assert (event["e"], event["c"], event["x"], event["X"]) == (
        "executionReport",
        "C-s1",
        "NEW",
        "NEW",
    )
    assert (event["q"], event["p"]) == ("0.001", "60000.00")


async def test_websocket_api_subscription_wraps_events(
    server: BinanceSimServer, signed: SignedClient
) -> None:
    params: dict[str, object] = {"apiKey": "simkey", "timestamp": int(time.time() * 1000)}
    params["signature"] = sign(ws_payload(params), "simsecret")
    request = {"id": "1", "method": "userDataStream.subscribe.signature", "params": params}
    async with connect(f"{server.ws_url}/ws-api/v3") as ws:
        await ws.send(json.dumps(request))
        answer = await _next(ws)
        await signed.send("POST", "/api/v3/order", {**ORDER, "price": "70000.00"})
        new, trade = await _next(ws), await _next(ws)

    assert answer == {"id": "1", "status": 200, "result": {"subscriptionId": 0}}
    assert new["subscriptionId"] == 0
    assert new["event"]["x"] == "NEW"
    assert (trade["event"]["x"], trade["event"]["X"]) == ("TRADE", "FILLED")


async def test_websocket_api_bad_signature_is_refused(server: BinanceSimServer) -> None:
    params = {"apiKey": "simkey", "timestamp": int(time.time() * 1000), "signature": "00"}
    request = {"id": 7, "method": "userDataStream.subscribe.signature", "params": params}
    async with connect(f"{server.ws_url}/ws-api/v3") as ws:
        await ws.send(json.dumps(request))
        answer = await _next(ws)
        await ws.send(json.dumps({"id": 8, "method": "launch"}))
        unknown = await _next(ws)
        await ws.send(json.dumps({"id": 9, "method": "ping"}))
        pong = await _next(ws)

    assert answer["status"] == 400
    assert answer["error"]["code"] == -1022
    assert unknown["status"] == 400
    assert pong == {"id": 9, "status": 200, "result": {}}


async def test_market_streams_send_book_ticker_trades_and_depth(
    server: BinanceSimServer, signed: SignedClient
) -> None:
    names = "btcusdt@bookTicker/btcusdt@trade/btcusdt@depth5"
    async with connect(f"{server.ws_url}/stream?streams={names}") as ws:
        market = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
        await signed.send("POST", "/api/v3/order", market)
        seen: dict[str, Any] = {}
        while len(seen) < 3:
            message = await _next(ws)
            seen.setdefault(message["stream"], message["data"])

    assert seen["btcusdt@trade"]["e"] == "trade"
    assert seen["btcusdt@trade"]["q"] == "0.001"
    assert set(seen["btcusdt@bookTicker"]) >= {"b", "B", "a", "A", "u"}
    assert len(seen["btcusdt@depth5"]["bids"]) == 5


async def test_market_order_with_blank_price_is_refused(signed: SignedClient) -> None:
    response = await signed.send(
        "POST", "/api/v3/order", {**ORDER, "type": "MARKET", "timeInForce": "", "price": ""}
    )
    assert response.json()["code"] == -1102


async def test_subscribe_on_bare_ws_and_diff_depth_continues_the_snapshot(
    server: BinanceSimServer, http: httpx.AsyncClient
) -> None:
    async with connect(f"{server.ws_url}/ws") as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@depth"], "id": 1}))
        assert await _next(ws) == {"result": None, "id": 1}
        snapshot = (await http.get("/api/v3/depth", params={"symbol": "BTCUSDT"})).json()
        server.step_market()
        update = await _next(ws)
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["nope@trade"], "id": 2}))
        refused = await _next(ws)

    assert update["e"] == "depthUpdate"
    assert update["U"] <= snapshot["lastUpdateId"] + 1 <= update["u"]
    assert refused["error"]["code"] == 2


def test_stream_names_are_parsed_strictly() -> None:
    symbols = ["BTCUSDT"]
    assert parse_stream_name("btcusdt@bookTicker", symbols) == ("BTCUSDT", "bookTicker")
    assert parse_stream_name("btcusdt@depth@100ms", symbols) == ("BTCUSDT", "depth")
    assert parse_stream_name("btcusdt@depth10", symbols) == ("BTCUSDT", "depth10")
    assert parse_stream_name("btcusdt@depth7", symbols) is None
    assert parse_stream_name("btcusdt@kline_1m", symbols) is None
    assert parse_stream_name("dogeusdt@trade", symbols) is None
