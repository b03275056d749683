"""The feed routes: polling, Server-Sent Events and the WebSocket, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordergate.api import create_app
from ordergate.feed import Feed
from ordergate.oms.service import OrderManager
from tests.api.conftest import Services
from tests.feed.asgi import SseStream, WebSocketSession
from tests.feed.conftest import order
from tests.oms.scripted_venue import ScriptedVenue


@pytest.fixture
def feed_app(app: FastAPI) -> FastAPI:
    return app  # create_app serves the feed over the services' OMS


@pytest.fixture
async def feed_client(feed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=feed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def oms(services: Services) -> OrderManager:
    return services.oms


async def place(oms: OrderManager, venue: ScriptedVenue, n: int, account: str = "ACC1") -> None:
    """Place ``n`` orders, each acknowledged: 2 events per order."""
    for _ in range(n):
        placed = await oms.submit(order(f"c{len(oms.projections.orders)}", account))
        await oms.handle_report(venue.ack(placed.order.id))


async def wait_on_hub(oms: OrderManager) -> None:
    for _ in range(10_000):
        if oms.hub._subscribers:
            return
        await asyncio.sleep(0)
    raise AssertionError("no subscriber joined the hub")


# -- polling -------------------------------------------------------------------------------


async def test_polling_returns_items_after_from_and_the_next_from(
    feed_client: httpx.AsyncClient, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2, "ACC1")
    await place(oms, venue, 1, "ACC2")

    first = await feed_client.get("/api/feed/events", params={"from": 1, "limit": 2})
    nxt = first.json()["next_from"]
    rest = await feed_client.get("/api/feed/events", params={"from": nxt})
    acc2 = await feed_client.get(
        "/api/feed/events", params={"account": "ACC2", "types": "OrderAccepted"}
    )

    assert first.status_code == 200
    assert [i["position"] for i in first.json()["items"]] == [2, 3]
    assert nxt == 3
    assert [i["position"] for i in rest.json()["items"]] == [4, 5, 6]
    assert rest.json()["next_from"] == 6
    items = acc2.json()["items"]
    assert [(i["position"], i["type"], i["account"]) for i in items] == [
        (6, "OrderAccepted", "ACC2")
    ]
    assert items[0]["symbol"] == "AAPL"
    assert items[0]["venue"] == venue.name


async def test_polling_body_keeps_exact_decimals_as_strings(
    feed_client: httpx.AsyncClient, oms: OrderManager
) -> None:
    await oms.submit(order("c1", quantity="100", price="190.10"))

    response = await feed_client.get("/api/feed/events")

    event = response.json()["items"][0]["event"]
    assert (event["quantity"], event["price"]) == ("100", "190.10")


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"from": "-1"}, "INVALID_POSITION", "from"),
        ({"from": "abc"}, "INVALID_POSITION", "from"),
        ({"from": "1.5"}, "INVALID_POSITION", "from"),
        ({"from": ""}, "INVALID_POSITION", "from"),
        ({"limit": "0"}, "INVALID_LIMIT", "limit"),
        ({"limit": "1001"}, "INVALID_LIMIT", "limit"),
        ({"limit": "ten"}, "INVALID_LIMIT", "limit"),
        ({"types": "OrderFilled,OrderVanished"}, "UNKNOWN_EVENT_TYPE", "types"),
        ({"account": "A,,B"}, "INVALID_FILTER", "account"),
    ],
)
async def test_polling_refuses_bad_input_with_422(
    feed_client: httpx.AsyncClient, params: dict[str, str], code: str, field: str
) -> None:
    response = await feed_client.get("/api/feed/events", params=params)

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


# -- Server-Sent Events --------------------------------------------------------------------


async def test_sse_resumes_after_from_then_streams_live_events(
    feed_app: FastAPI, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2)  # positions 1..4

    async with SseStream(feed_app, "/api/feed/sse?from=2") as stream:
        backlog = [await stream.next_json() for _ in range(2)]
        await place(oms, venue, 1)  # 5, 6
        live = [await stream.next_json() for _ in range(2)]

    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    got = backlog + live
    assert [fields["id"] for fields, _ in got] == ["3", "4", "5", "6"]
    assert [data["position"] for _, data in got] == [3, 4, 5, 6]
    assert all("event" not in fields for fields, _ in got)  # default "message" events


async def test_sse_filters_by_account_and_type(
    feed_app: FastAPI, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC1")  # 1, 2
    await place(oms, venue, 1, "ACC2")  # 3, 4

    async with SseStream(feed_app, "/api/feed/sse?from=0&account=ACC2&types=OrderAccepted") as s:
        first = await s.next_json()
        await place(oms, venue, 1, "ACC1")  # 5, 6: not wanted
        await place(oms, venue, 1, "ACC2")  # 7, 8
        second = await s.next_json()

    assert [(f["id"], d["account"], d["type"]) for f, d in (first, second)] == [
        ("4", "ACC2", "OrderAccepted"),
        ("8", "ACC2", "OrderAccepted"),
    ]


async def test_sse_subscriber_that_disconnects_resumes_with_last_event_id_once_each(
    feed_app: FastAPI, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2)  # 1..4
    seen: list[int] = []

    async with SseStream(feed_app, "/api/feed/sse?from=0") as stream:
        for _ in range(3):
            fields, data = await stream.next_json()
            seen.append(data["position"])
    last_id = fields["id"]
    await place(oms, venue, 2)  # 5..8 while disconnected
    # An EventSource reconnects to the same URL (from=0) with the Last-Event-ID header.
    async with SseStream(feed_app, "/api/feed/sse?from=0", {"Last-Event-ID": last_id}) as again:
        for _ in range(5):  # 4, then 5..8
            seen.append((await again.next_json())[1]["position"])
        await place(oms, venue, 1)  # 9, 10 live
        for _ in range(2):
            seen.append((await again.next_json())[1]["position"])

    assert seen == list(range(1, 11))
    assert not oms.hub._subscribers  # both streams left the hub


async def test_sse_slow_subscriber_gets_a_named_control_event_and_no_event_twice(
    services: Services, venue: ScriptedVenue
) -> None:
    oms = services.oms
    services.feed = Feed(oms.store, oms.hub, buffer=1)  # type: ignore[attr-defined]
    app = create_app(services)
    placed = await oms.submit(order("c1"))  # 1

    async with SseStream(app, "/api/feed/sse?from=0") as stream:
        got = [await stream.next_json()]
        await wait_on_hub(oms)
        # One batch of three events published at once overflows a buffer of one.
        await oms.handle_reports(
            [venue.ack(placed.order.id), venue.trade(placed.order.id, "40", "190"),
             venue.trade(placed.order.id, "60", "190")]
        )  # fmt: skip
        while len([d for f, d in got if f.get("event") != "control"]) < 4:
            got.append(await stream.next_json())

    controls = [(f, d) for f, d in got if f.get("event") == "control"]
    events = [d["position"] for f, d in got if f.get("event") != "control"]
    assert events == [1, 2, 3, 4]
    assert controls
    fields, data = controls[0]
    assert data["control"] == "catching_up"
    assert fields["id"] == str(data["position"])


@pytest.mark.parametrize(
    ("url", "headers", "field"),
    [
        ("/api/feed/sse?from=-5", {}, "from"),
        ("/api/feed/sse", {"Last-Event-ID": "x7"}, "Last-Event-ID"),
        ("/api/feed/sse?types=Nope", {}, "types"),
    ],
)
async def test_sse_refuses_bad_input_with_422(
    feed_app: FastAPI, url: str, headers: dict[str, str], field: str
) -> None:
    async with SseStream(feed_app, url, headers) as stream:
        body = await stream.read_all()

    assert stream.status == 422
    assert httpx.Response(422, content=body).json()["error"]["field"] == field


# -- WebSocket -----------------------------------------------------------------------------


async def test_websocket_resumes_after_from_filters_and_streams_live(
    feed_app: FastAPI, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC1")  # 1, 2
    await place(oms, venue, 1, "ACC2")  # 3, 4

    frames: list[Any] = []
    async with WebSocketSession(feed_app, "/ws/feed?from=1&account=ACC1,ACC2") as ws:
        frames += [await ws.receive_json() for _ in range(3)]
        await place(oms, venue, 1, "ACC3")  # 5, 6: filtered out
        await place(oms, venue, 1, "ACC1")  # 7, 8
        frames += [await ws.receive_json() for _ in range(2)]

    assert [f["position"] for f in frames] == [2, 3, 4, 7, 8]
    assert [f["account"] for f in frames] == ["ACC1", "ACC2", "ACC2", "ACC1", "ACC1"]
    assert not oms.hub._subscribers


async def test_websocket_client_that_reconnects_from_its_last_position_gets_each_once(
    feed_app: FastAPI, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2)  # 1..4
    seen: list[int] = []

    async with WebSocketSession(feed_app, "/ws/feed?from=0") as ws:
        seen += [(await ws.receive_json())["position"] for _ in range(3)]
    await place(oms, venue, 1)  # 5, 6
    async with WebSocketSession(feed_app, f"/ws/feed?from={seen[-1]}") as ws:
        seen += [(await ws.receive_json())["position"] for _ in range(3)]

    assert seen == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("from=x", "INVALID_POSITION", "from"),
        ("types=OrderSent", "UNKNOWN_EVENT_TYPE", "types"),
        ("venue=,", "INVALID_FILTER", "venue"),
    ],
)
async def test_websocket_bad_input_gets_an_error_frame_and_close_1008(
    feed_app: FastAPI, query: str, code: str, field: str
) -> None:
    async with WebSocketSession(feed_app, f"/ws/feed?{query}") as ws:
        frame = await ws.receive_json()
        with pytest.raises(ConnectionError):
            await ws.receive_json()

    assert (frame["error"]["code"], frame["error"]["field"]) == (code, field)
    assert ws.close_code == 1008


async def test_websocket_without_from_streams_only_new_events(
    feed_app: FastAPI, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1)  # 1, 2: before the client came

    async with WebSocketSession(feed_app, "/ws/feed") as ws:
        await wait_on_hub(oms)
        await place(oms, venue, 1)  # 3, 4
        frames = [await ws.receive_json() for _ in range(2)]

    assert [f["position"] for f in frames] == [3, 4]
