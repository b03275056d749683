"""The REST API end to end in process: status codes, JSON shapes, and every kind of bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ordergate.eventstore import EventRecorder
from tests.api.conftest import Services
from tests.oms.scripted_venue import ScriptedVenue

ORDER: dict[str, Any] = {
    "client_order_id": "c1",
    "account": "ACC1",
    "symbol": "AAPL",
    "side": "BUY",
    "order_type": "LIMIT",
    "quantity": "100",
    "price": "190.25",
    "time_in_force": "GTC",
}


async def place(client: httpx.AsyncClient, **changes: Any) -> httpx.Response:
    return await client.post("/api/orders", json={**ORDER, **changes})


async def test_place_order_returns_201_with_the_order(client: httpx.AsyncClient) -> None:
    response = await place(client)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "PENDING_NEW"
    assert body["price"] == "190.25"
    assert body["quantity"] == "100"
    assert body["remaining_quantity"] == "100"
    assert body["filled_quantity"] == "0"
    assert body["average_fill_price"] is None
    assert body["venue"] == "SCRIPT"
    assert body["created_at"].endswith("Z")


async def test_json_numbers_are_read_exactly(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/orders",
        content=b'{"client_order_id":"n1","account":"A","symbol":"AAPL","side":"BUY",'
        b'"order_type":"LIMIT","quantity":3,"price":190.01}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 201
    assert response.json()["price"] == "190.01"


async def test_resubmission_is_idempotent_and_conflicting_reuse_is_409(
    client: httpx.AsyncClient,
) -> None:
    first = await place(client)
    again = await place(client)
    conflict = await place(client, quantity="5")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "DUPLICATE_CLIENT_ORDER_ID"


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"symbol": "NOPE"}, 422, "UNKNOWN_INSTRUMENT", "symbol"),
        ({"quantity": "0"}, 422, "INVALID_QUANTITY", "quantity"),
        ({"quantity": "-5"}, 422, "INVALID_QUANTITY", "quantity"),
        ({"quantity": "1.5"}, 422, "QUANTITY_NOT_LOT_MULTIPLE", "quantity"),
        ({"price": "190.255"}, 422, "PRICE_OFF_TICK", "price"),
        ({"price": None}, 422, "PRICE_REQUIRED", "price"),
        ({"order_type": "MARKET"}, 422, "PRICE_NOT_ALLOWED", "price"),
        ({"time_in_force": "GTD"}, 422, "EXPIRE_TIME_REQUIRED", "expire_time"),
        ({"venue": "ELSEWHERE"}, 422, "UNKNOWN_VENUE", "venue"),
        ({"side": "HOLD"}, 422, "INVALID_FIELD", "side"),
        ({"quantity": [1]}, 422, "INVALID_FIELD", "quantity"),
        ({"quantity": "ten"}, 422, "INVALID_FIELD", "quantity"),
        ({"quantity": True}, 422, "INVALID_FIELD", "quantity"),
        ({"price": "NaN"}, 422, "INVALID_FIELD", "price"),
        ({"account": 7}, 422, "INVALID_FIELD", "account"),
        ({"colour": "red"}, 422, "INVALID_FIELD", None),
        ({"expire_time": "2030-01-01T00:00:00"}, 422, "INVALID_FIELD", "expire_time"),
    ],
)
async def test_bad_orders_get_a_clear_error_and_write_nothing(
    client: httpx.AsyncClient,
    store: EventRecorder,
    changes: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    response = await place(client, **changes)

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"]
    assert await store.last_position() == 0


async def test_missing_required_field_names_it(client: httpx.AsyncClient) -> None:
    body = {k: v for k, v in ORDER.items() if k != "side"}

    response = await client.post("/api/orders", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "side"


@pytest.mark.parametrize("payload", [b"{", b"not json", b"", b'{"side": "BUY"'])
async def test_malformed_json_is_400(
    client: httpx.AsyncClient, store: EventRecorder, payload: bytes
) -> None:
    response = await client.post(
        "/api/orders", content=payload, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_JSON"
    assert await store.last_position() == 0


async def test_modify_and_cancel_through_the_api(
    client: httpx.AsyncClient, services: Services, venue: ScriptedVenue
) -> None:
    order_id = (await place(client)).json()["id"]
    await services.oms.handle_report(venue.ack(order_id))

    modified = await client.put(f"/api/orders/{order_id}", json={"price": "190.50"})
    bad_modify = await client.put(f"/api/orders/{order_id}", json={"price": "-1"})
    canceled = await client.delete(f"/api/orders/{order_id}")

    assert modified.status_code == 200
    assert modified.json()["status"] == "PENDING_REPLACE"
    assert venue.replaced[0].price is not None
    assert bad_modify.status_code == 409  # a replace is already pending
    assert bad_modify.json()["error"]["code"] == "ORDER_PENDING"
    assert canceled.status_code == 409


async def test_modify_validation_errors(
    client: httpx.AsyncClient, services: Services, venue: ScriptedVenue
) -> None:
    order_id = (await place(client)).json()["id"]
    await services.oms.handle_report(venue.ack(order_id))

    negative = await client.put(f"/api/orders/{order_id}", json={"quantity": "-1"})
    same = await client.put(f"/api/orders/{order_id}", json={"price": "190.25"})
    unknown = await client.put("/api/orders/O-missing", json={"price": "1"})

    assert negative.json()["error"]["code"] == "INVALID_QUANTITY"
    assert same.json()["error"]["code"] == "NOTHING_TO_MODIFY"
    assert unknown.status_code == 404


async def test_get_order_fills_and_events(
    client: httpx.AsyncClient, services: Services, venue: ScriptedVenue
) -> None:
    order_id = (await place(client)).json()["id"]
    await services.oms.handle_report(venue.ack(order_id))
    await services.oms.handle_report(venue.trade(order_id, "40", "190.25"))

    order = (await client.get(f"/api/orders/{order_id}")).json()
    fills = (await client.get(f"/api/orders/{order_id}/fills")).json()["items"]
    events = (await client.get(f"/api/orders/{order_id}/events")).json()["items"]
    missing = await client.get("/api/orders/O-missing")

    assert order["status"] == "PARTIALLY_FILLED"
    assert order["remaining_quantity"] == "60"
    assert order["average_fill_price"] == "190.25"
    assert [(f["quantity"], f["price"]) for f in fills] == [("40", "190.25")]
    assert [e["type"] for e in events] == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderPartiallyFilled",
    ]
    assert [e["position"] for e in events] == [1, 2, 3]
    assert len(events[0]["hash"]) == 64
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ORDER_NOT_FOUND"


async def test_list_filters_sorts_and_paginates(client: httpx.AsyncClient) -> None:
    for n in range(5):
        await place(client, client_order_id=f"c{n}", side="BUY" if n % 2 else "SELL")

    buys = (await client.get("/api/orders", params={"side": "BUY"})).json()["items"]
    page1 = (await client.get("/api/orders", params={"limit": 2, "sort": "created_at"})).json()
    page2 = (
        await client.get(
            "/api/orders", params={"limit": 2, "sort": "created_at", "cursor": page1["next_cursor"]}
        )
    ).json()
    page3 = (
        await client.get(
            "/api/orders", params={"limit": 2, "sort": "created_at", "cursor": page2["next_cursor"]}
        )
    ).json()

    assert {o["client_order_id"] for o in buys} == {"c1", "c3"}
    ids = [o["client_order_id"] for p in (page1, page2, page3) for o in p["items"]]
    assert sorted(ids) == ["c0", "c1", "c2", "c3", "c4"]
    assert len(set(ids)) == 5
    assert page3["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "SLEEPING"}, "status"),
        ({"sort": "price"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"created_from": "yesterday"}, "created_from"),
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/orders", params=params)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


async def test_batch_reports_each_order_separately(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/orders/batch",
        json={"orders": [ORDER, {**ORDER, "client_order_id": "c2", "quantity": "0"}]},
    )

    items = response.json()["items"]
    assert response.status_code == 200
    assert items[0]["status"] == 201
    assert items[1]["status"] == 422
    assert items[1]["error"]["code"] == "INVALID_QUANTITY"


async def test_cancel_all_with_filters(
    client: httpx.AsyncClient, services: Services, venue: ScriptedVenue
) -> None:
    a = (await place(client, client_order_id="a")).json()["id"]
    b = (await place(client, client_order_id="b", account="ACC2")).json()["id"]
    for order_id in (a, b):
        await services.oms.handle_report(venue.ack(order_id))

    response = await client.post("/api/orders/cancel-all", json={"account": "ACC1"})
    bad = await client.post("/api/orders/cancel-all", json={"side": "UP"})

    assert [o["id"] for o in response.json()["items"]] == [a]
    assert bad.status_code == 422


async def test_positions_instruments_health_ready_and_docs(
    client: httpx.AsyncClient, services: Services, venue: ScriptedVenue
) -> None:
    order_id = (await place(client)).json()["id"]
    await services.oms.handle_report(venue.trade(order_id, "100", "190.25"))

    positions = (await client.get("/api/positions")).json()["items"]
    instruments = (await client.get("/api/instruments")).json()["items"]
    health = await client.get("/health")
    ready = await client.get("/ready")
    openapi = (await client.get("/openapi.json")).json()

    assert positions == [
        {
            "account": "ACC1",
            "symbol": "AAPL",
            "quantity": "100",
            "average_price": "190.25",
            "realized_pnl": "0",
            "unrealized_pnl": "0",
            "mark_price": "190.25",
            "fees": "0.01",
        }
    ]
    assert instruments[0]["symbol"] == "AAPL"
    assert instruments[0]["tick_size"] == "0.01"
    assert health.status_code == 200
    assert ready.json()["status"] == "ready"
    assert "OrderRequest" in openapi["components"]["schemas"]
    assert "/api/orders/{order_id}/events" in openapi["paths"]
