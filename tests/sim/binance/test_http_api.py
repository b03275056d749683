"""The simulator over real HTTP, with raw httpx: bad input gets Binance's error, changes nothing."""

from __future__ import annotations

import time

import httpx

from ordergate.sim.binance import BinanceSimServer

from .conftest import SignedClient

ORDER = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "60000.00",
}


def _error(response: httpx.Response) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


async def test_ping_time_and_exchange_info_are_public(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v3/ping")).json() == {}
    assert abs((await http.get("/api/v3/time")).json()["serverTime"] - time.time() * 1000) < 60_000
    info = (await http.get("/api/v3/exchangeInfo")).json()

    symbols = {s["symbol"]: s for s in info["symbols"]}
    assert set(symbols) == {"BTCUSDT", "ETHUSDT"}
    filters = {f["filterType"]: f for f in symbols["BTCUSDT"]["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001"
    assert filters["NOTIONAL"]["minNotional"] == "5"
    assert info["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"


async def test_every_answer_reports_the_used_weight(http: httpx.AsyncClient) -> None:
    first = await http.get("/api/v3/exchangeInfo")
    second = await http.get("/api/v3/ping")

    assert first.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    assert second.headers["X-MBX-USED-WEIGHT-1M"] == "21"


async def test_depth_and_book_ticker(http: httpx.AsyncClient) -> None:
    depth = (await http.get("/api/v3/depth", params={"symbol": "BTCUSDT", "limit": 5})).json()
    ticker = (await http.get("/api/v3/ticker/bookTicker", params={"symbol": "BTCUSDT"})).json()

    assert len(depth["bids"]) == 5
    assert depth["bids"][0][0] == ticker["bidPrice"]
    assert isinstance(depth["lastUpdateId"], int)


async def test_depth_of_an_unknown_symbol_is_minus_1121(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v3/depth", params={"symbol": "NOPE"})
    assert _error(response) == (400, -1121)


async def test_signed_order_is_placed_and_found_by_client_order_id(
    signed: SignedClient, server: BinanceSimServer
) -> None:
    placed = await signed.send("POST", "/api/v3/order", {**ORDER, "newClientOrderId": "C-h1"})
    found = await signed.send(
        "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "C-h1"}
    )

    assert placed.status_code == 200
    assert placed.json()["clientOrderId"] == "C-h1"
    assert found.json()["status"] == "NEW"
    assert found.json()["price"] == "60000.00"
    assert server.sim.exchange.orders_placed == 1


async def test_bad_signature_is_minus_1022_and_places_nothing(
    http: httpx.AsyncClient, server: BinanceSimServer
) -> None:
    wrong = SignedClient(http, secret="not-the-secret")

    response = await wrong.send("POST", "/api/v3/order", ORDER)

    assert _error(response) == (400, -1022)
    assert server.sim.exchange.orders_placed == 0


async def test_missing_api_key_is_minus_2014(http: httpx.AsyncClient, signed: SignedClient) -> None:
    response = await http.get(f"/api/v3/account?{signed.query({})}")
    assert _error(response) == (401, -2014)


async def test_unknown_api_key_is_minus_2015(http: httpx.AsyncClient) -> None:
    response = await SignedClient(http, key="stranger").send("GET", "/api/v3/account", {})
    assert _error(response) == (401, -2015)


async def test_missing_timestamp_is_minus_1102(
    http: httpx.AsyncClient, server: BinanceSimServer
) -> None:
    response = await http.post(
        "/api/v3/order",
        content="symbol=BTCUSDT&signature=00",
        headers={"X-MBX-APIKEY": "simkey"},
    )
    assert _error(response) == (400, -1102)
    assert server.sim.exchange.orders_placed == 0


async def test_expired_timestamp_is_minus_1021_and_places_nothing(
    signed: SignedClient, server: BinanceSimServer
) -> None:
    stale = int(time.time() * 1000) - 60_000

    response = await signed.send("POST", "/api/v3/order", ORDER, timestamp=stale)

    assert _error(response) == (400, -1021)
    assert server.sim.exchange.orders_placed == 0


async def test_bad_orders_get_binance_codes_and_place_nothing(
    signed: SignedClient, server: BinanceSimServer
) -> None:
    cases = {
        "unknown symbol": ({"symbol": "NOPEUSDT"}, -1121),
        "zero quantity": ({"quantity": "0"}, -1013),
        "negative quantity": ({"quantity": "-0.001"}, -1100),
        "price off tick": ({"price": "60000.005"}, -1013),
        "malformed price": ({"price": "six"}, -1100),
        "missing side": ({"side": ""}, -1102),
        "bad side": ({"side": "UP"}, -1117),
        "bad type": ({"type": "ICEBERG"}, -1116),
        "bad time in force": ({"timeInForce": "GTX"}, -1115),
    }
    for name, (change, code) in cases.items():
        response = await signed.send("POST", "/api/v3/order", {**ORDER, **change})
        assert _error(response) == (400, code), name

    assert server.sim.exchange.orders_placed == 0
    assert (await signed.send("GET", "/api/v3/openOrders", {})).json() == []


async def test_unknown_order_query_is_minus_2013(signed: SignedClient) -> None:
    response = await signed.send(
        "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "never-sent"}
    )
    assert response.json() == {"code": -2013, "msg": "Order does not exist."}


async def test_cancel_open_orders_and_account(signed: SignedClient) -> None:
    await signed.send("POST", "/api/v3/order", {**ORDER, "newClientOrderId": "C-h2"})

    canceled = await signed.send("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    account = await signed.send("GET", "/api/v3/account", {})

    assert [o["status"] for o in canceled.json()] == ["CANCELED"]
    balances = {b["asset"]: b for b in account.json()["balances"]}
    assert balances["USDT"] == {"asset": "USDT", "free": "1000000", "locked": "0"}


async def test_throttle_fault_answers_429_with_retry_after(
    http: httpx.AsyncClient, server: BinanceSimServer
) -> None:
    server.sim.faults.throttle(2, retry_after_s=3)

    first = await http.get("/api/v3/ping")
    second = await http.get("/api/v3/ping")
    third = await http.get("/api/v3/ping")

    assert _error(first) == (429, -1003)
    assert first.headers["Retry-After"] == "3"
    assert second.status_code == 429
    assert third.status_code == 200


async def test_weight_limit_answers_429_then_418() -> None:
    from ordergate.sim.binance import BinanceSim

    server = BinanceSimServer(BinanceSim(weight_limit=2))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            statuses = [(await http.get("/api/v3/ping")).status_code for _ in range(7)]
    finally:
        await server.stop()

    assert statuses == [200, 200, 429, 429, 429, 418, 418]


async def test_listen_key_lifecycle(http: httpx.AsyncClient) -> None:
    headers = {"X-MBX-APIKEY": "simkey"}
    key = (await http.post("/api/v3/userDataStream", headers=headers)).json()["listenKey"]

    kept = await http.put(f"/api/v3/userDataStream?listenKey={key}", headers=headers)
    closed = await http.delete(f"/api/v3/userDataStream?listenKey={key}", headers=headers)
    again = await http.put(f"/api/v3/userDataStream?listenKey={key}", headers=headers)

    assert (kept.status_code, closed.status_code) == (200, 200)
    assert _error(again) == (400, -1125)
    assert _error(await http.post("/api/v3/userDataStream")) == (401, -2014)
