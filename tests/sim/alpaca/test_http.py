"""The simulated Alpaca REST API answers bad requests as Alpaca does, and changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from ordergate.sim.alpaca import AlpacaSimServer

from .conftest import KEYS

LIMIT = {
    "symbol": "AAPL",
    "qty": "5",
    "side": "buy",
    "type": "limit",
    "limit_price": "150.00",
    "time_in_force": "gtc",
}


def _body(**changes: Any) -> dict[str, Any]:
    body = dict(LIMIT)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _nothing_placed(sim: AlpacaSimServer) -> bool:
    return sim.broker.orders() == [] and sim.broker.engine.open_orders() == []


async def test_limit_order_is_placed_with_string_numbers(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    answer = await http.post("/v2/orders", json=_body(client_order_id="A-1"))

    assert answer.status_code == 200
    order = answer.json()
    assert (order["client_order_id"], order["status"], order["qty"]) == ("A-1", "new", "5")
    assert (order["limit_price"], order["filled_qty"], order["filled_avg_price"]) == (
        "150.00",
        "0",
        None,
    )
    assert len(sim.broker.engine.open_orders()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"APCA-API-KEY-ID": "SIMKEY"},
        {"APCA-API-KEY-ID": "SIMKEY", "APCA-API-SECRET-KEY": "wrong"},
        {"APCA-API-KEY-ID": "NOBODY", "APCA-API-SECRET-KEY": "SIMSECRET"},
    ],
)
async def test_missing_or_bad_keys_are_401_and_place_nothing(
    sim: AlpacaSimServer, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=sim.url, headers=headers) as client:
        answer = await client.post("/v2/orders", json=_body())
        account = await client.get("/v2/account")

    assert answer.status_code == account.status_code == 401
    assert answer.json() == {"code": 40110000, "message": "request is not authorized"}
    assert _nothing_placed(sim)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"symbol": "NOPE"}, 'asset "NOPE" not found'),
        ({"symbol": "BTC-USD"}, 'asset "BTC-USD" not found'),
        ({"qty": "0"}, "qty must be > 0"),
        ({"qty": "-3"}, "qty must be > 0"),
        ({"qty": "1.5"}, "fractional orders are not supported; qty must be whole shares"),
        ({"qty": None}, "qty is required"),
        ({"notional": "100"}, "notional orders are not supported; send qty"),
        ({"side": "hold"}, "invalid side 'hold'"),
        ({"type": "trailing_stop"}, "invalid order type 'trailing_stop'"),
        ({"time_in_force": "opg"}, "invalid time_in_force 'opg'"),
        ({"limit_price": None}, "limit_price is required for limit orders"),
        ({"limit_price": "-1"}, "limit_price must be > 0"),
        ({"limit_price": "150.001"}, "price 150.001 is not on the tick size 0.01"),
        ({"type": "market"}, "limit_price does not apply to this order type"),
        ({"client_order_id": ""}, "client_order_id must be 1 to 128 characters"),
        ({"client_order_id": "x" * 129}, "client_order_id must be 1 to 128 characters"),
        ({"order_class": "bracket"}, "order_class 'bracket' is not supported"),
    ],
)
async def test_invalid_orders_are_422_40010001_and_place_nothing(
    sim: AlpacaSimServer, http: httpx.AsyncClient, changes: dict[str, Any], message: str
) -> None:
    answer = await http.post("/v2/orders", json=_body(**changes))

    assert answer.status_code == 422
    assert answer.json() == {"code": 40010001, "message": message}
    assert _nothing_placed(sim)


async def test_wrongly_typed_field_is_422(sim: AlpacaSimServer, http: httpx.AsyncClient) -> None:
    answer = await http.post("/v2/orders", json=_body(qty=["5"]))

    assert answer.status_code == 422
    assert answer.json()["code"] == 40010001
    assert _nothing_placed(sim)


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1, 2"])
async def test_malformed_json_is_400_40010000(
    sim: AlpacaSimServer, http: httpx.AsyncClient, content: bytes
) -> None:
    answer = await http.post("/v2/orders", content=content)

    assert answer.status_code == 400
    assert answer.json() == {"code": 40010000, "message": "request body format is invalid"}
    assert _nothing_placed(sim)


async def test_reused_client_order_id_is_422_and_keeps_the_first_order(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    first = await http.post("/v2/orders", json=_body(client_order_id="A-2"))

    again = await http.post("/v2/orders", json=_body(client_order_id="A-2", qty="9"))

    assert again.status_code == 422
    assert again.json() == {"code": 40010001, "message": "client_order_id must be unique"}
    (only,) = sim.broker.orders()
    assert (only.id, only.qty) == (first.json()["id"], 5)


async def test_insufficient_buying_power_is_403_40310000(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    answer = await http.post("/v2/orders", json=_body(qty="1000", limit_price="190.00"))

    assert answer.status_code == 403
    assert answer.json() == {"code": 40310000, "message": "insufficient buying power"}
    assert _nothing_placed(sim)


async def test_open_buy_orders_hold_buying_power(http: httpx.AsyncClient) -> None:
    await http.post("/v2/orders", json=_body(qty="500", limit_price="150.00"))  # holds 75,000

    answer = await http.post("/v2/orders", json=_body(qty="200", limit_price="150.00"))

    assert answer.status_code == 403
    assert (await http.get("/v2/account")).json()["buying_power"] == "25000"


async def test_lookups_of_unknown_things_are_404_40410000(http: httpx.AsyncClient) -> None:
    answers = [
        await http.get("/v2/orders/nope"),
        await http.get("/v2/orders:by_client_order_id", params={"client_order_id": "nope"}),
        await http.delete("/v2/orders/nope"),
        await http.patch("/v2/orders/nope", json={"qty": "1"}),
        await http.get("/v2/positions/AAPL"),
        await http.get("/v2/assets/NOPE"),
    ]

    assert [a.status_code for a in answers] == [404] * 6
    assert {a.json()["code"] for a in answers} == {40410000}


async def test_by_client_order_id_finds_the_order(http: httpx.AsyncClient) -> None:
    placed = (await http.post("/v2/orders", json=_body(client_order_id="A-3"))).json()

    found = await http.get("/v2/orders:by_client_order_id", params={"client_order_id": "A-3"})
    missing = await http.get("/v2/orders:by_client_order_id")

    assert found.json()["id"] == placed["id"]
    assert missing.status_code == 422


async def test_cancel_of_a_filled_order_is_422_42210000(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    market = _body(type="market", limit_price=None, time_in_force="day", qty="2")
    filled = (await http.post("/v2/orders", json=market)).json()

    answer = await http.delete(f"/v2/orders/{filled['id']}")
    replace = await http.patch(f"/v2/orders/{filled['id']}", json={"qty": "3"})

    assert filled["status"] == "filled"
    assert answer.status_code == replace.status_code == 422
    assert answer.json() == {"code": 42210000, "message": 'order is already in "filled" state'}
    assert sim.broker.order(filled["id"]).status == "filled"


async def test_cancel_is_204_and_cancel_all_is_207(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    one = (await http.post("/v2/orders", json=_body())).json()
    two = (await http.post("/v2/orders", json=_body())).json()
    three = (await http.post("/v2/orders", json=_body())).json()

    canceled = await http.delete(f"/v2/orders/{one['id']}")
    everything = await http.delete("/v2/orders")

    assert canceled.status_code == 204
    assert everything.status_code == 207
    assert {(e["id"], e["status"]) for e in everything.json()} == {
        (two["id"], 200),
        (three["id"], 200),
    }
    assert sim.broker.engine.open_orders() == []


async def test_replace_makes_a_new_order_and_marks_the_old_replaced(
    http: httpx.AsyncClient,
) -> None:
    old = (await http.post("/v2/orders", json=_body(client_order_id="A-4"))).json()

    new = (
        await http.patch(f"/v2/orders/{old['id']}", json={"qty": "7", "limit_price": "151"})
    ).json()
    old_now = (await http.get(f"/v2/orders/{old['id']}")).json()

    assert new["id"] != old["id"]
    assert (new["replaces"], new["qty"], new["limit_price"], new["status"]) == (
        old["id"],
        "7",
        "151",
        "new",
    )
    assert (old_now["status"], old_now["replaced_by"]) == ("replaced", new["id"])
    assert new["client_order_id"] != "A-4"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"qty": "0"}, 422, 40010001),
        ({"time_in_force": "ioc"}, 422, 40010001),
        ({"stop_price": "100"}, 422, 40010001),
        ({"client_order_id": "A-5"}, 422, 40010001),
        ({"qty": "1000"}, 403, 40310000),
    ],
)
async def test_invalid_replace_changes_nothing(
    sim: AlpacaSimServer, http: httpx.AsyncClient, body: dict[str, str], status: int, code: int
) -> None:
    old = (await http.post("/v2/orders", json=_body(client_order_id="A-5"))).json()

    answer = await http.patch(f"/v2/orders/{old['id']}", json=body)

    assert (answer.status_code, answer.json()["code"]) == (status, code)
    (only,) = sim.broker.orders()
    assert (only.status, only.qty) == ("new", 5)


async def test_order_list_filters_by_status_and_symbol(http: httpx.AsyncClient) -> None:
    resting = (await http.post("/v2/orders", json=_body())).json()
    await http.post("/v2/orders", json=_body(symbol="MSFT", limit_price="300.00"))
    market = _body(type="market", limit_price=None, time_in_force="day", qty="1")
    filled = (await http.post("/v2/orders", json=market)).json()

    open_aapl = (await http.get("/v2/orders", params={"symbols": "AAPL"})).json()
    closed = (await http.get("/v2/orders", params={"status": "closed"})).json()
    every = (await http.get("/v2/orders", params={"status": "all", "direction": "asc"})).json()
    bad = await http.get("/v2/orders", params={"status": "sideways"})

    assert [o["id"] for o in open_aapl] == [resting["id"]]
    assert [o["id"] for o in closed] == [filled["id"]]
    assert len(every) == 3
    assert every[0]["id"] == resting["id"]
    assert bad.status_code == 422


async def test_positions_account_and_fill_activities_follow_fills(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    ask = sim.broker.engine.top_of_book("AAPL").ask_price
    market = _body(type="market", limit_price=None, time_in_force="day", qty="10")
    order = (await http.post("/v2/orders", json=market)).json()

    position = (await http.get("/v2/positions/AAPL")).json()
    account = (await http.get("/v2/account")).json()
    (activity,) = (await http.get("/v2/account/activities/FILL")).json()

    assert (position["qty"], position["avg_entry_price"], position["side"]) == (
        "10",
        str(ask),
        "long",
    )
    assert ask is not None
    assert Decimal(account["cash"]) == 100_000 - 10 * ask
    assert (activity["order_id"], activity["qty"], activity["price"], activity["type"]) == (
        order["id"],
        "10",
        str(ask),
        "fill",
    )
    assert (await http.get("/v2/positions")).json() == [position]


async def test_activities_page_by_token_and_filter_by_time(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    market = _body(type="market", limit_price=None, time_in_force="day", qty="1")
    for _ in range(3):
        await http.post("/v2/orders", json=market)
    every = (await http.get("/v2/account/activities", params={"direction": "asc"})).json()

    page = await http.get(
        "/v2/account/activities/FILL",
        params={"direction": "asc", "page_size": "2", "page_token": every[0]["id"]},
    )
    later = await http.get("/v2/account/activities", params={"after": "2100-01-01T00:00:00Z"})
    naive = await http.get("/v2/account/activities", params={"after": "2100-01-01T00:00:00"})

    assert len(every) == 3
    assert [a["id"] for a in page.json()] == [every[1]["id"], every[2]["id"]]
    assert later.json() == []
    assert naive.status_code == 422


async def test_clock_and_assets(http: httpx.AsyncClient) -> None:
    clock = (await http.get("/v2/clock")).json()
    assets = (await http.get("/v2/assets")).json()
    crypto = (await http.get("/v2/assets", params={"asset_class": "crypto"})).json()

    assert clock["is_open"] is True
    assert [a["symbol"] for a in assets] == ["AAPL", "MSFT", "SPY"]
    assert assets[0]["class"] == "us_equity"
    assert crypto == []


async def test_rate_limit_fault_is_429_with_retry_after_and_changes_nothing(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    sim.faults.rate_limit(1, retry_after_s=3)

    limited = await http.post("/v2/orders", json=_body())
    after = await http.post("/v2/orders", json=_body())

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert limited.json() == {"code": 42910000, "message": "rate limit exceeded"}
    assert after.status_code == 200
    assert len(sim.broker.orders()) == 1


async def test_dropped_connection_fault_places_the_order_then_cuts(
    sim: AlpacaSimServer, http: httpx.AsyncClient
) -> None:
    sim.faults.drop_next()

    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/v2/orders", json=_body(client_order_id="A-6"))

    assert [o.client_order_id for o in sim.broker.orders()] == ["A-6"]


async def test_keys_are_checked_on_every_path(sim: AlpacaSimServer) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as client:
        paths = ["/v2/orders", "/v2/positions", "/v2/account/activities", "/v2/clock", "/v2/assets"]
        answers = [await client.get(p) for p in paths]

    assert {a.status_code for a in answers} == {401}
    assert KEYS  # the fixture's keys are the ones that work
