"""The feed routes' access control, subscriber status, metrics and SSE heartbeats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from ordergate.api import create_app
from ordergate.api.feed import feed_router
from ordergate.feed import Feed
from ordergate.feed.access import ANYONE, AccessDenied, Principal
from ordergate.feed.metrics import FeedMetrics
from ordergate.oms.service import OrderManager
from tests.api.conftest import Services
from tests.api.test_feed_api import place, wait_on_hub
from tests.feed.asgi import SseStream, WebSocketSession
from tests.oms.scripted_venue import ScriptedVenue

_PRINCIPALS = {
    "tok-acc1": Principal(name="desk-1", accounts=frozenset({"ACC1"})),
    "tok-ops": ANYONE,
}


async def tokens_only(token: str | None) -> Principal:
    if token is None:
        raise AccessDenied(401, "a feed token is required")
    principal = _PRINCIPALS.get(token)
    if principal is None:
        raise AccessDenied(401, "unknown feed token")
    return principal


@pytest.fixture
def guarded(services: Services) -> FastAPI:
    services.feed_authenticate = tokens_only  # type: ignore[attr-defined]
    services.feed_metrics = FeedMetrics()  # type: ignore[attr-defined]
    return create_app(services)


@pytest.fixture
async def guarded_client(guarded: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("nope"), {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "Bearer "}],
)
async def test_polling_without_a_valid_token_is_401_and_reads_nothing(
    guarded_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await guarded_client.get("/api/feed/events", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert "items" not in response.json()


async def test_a_restricted_token_sees_only_its_accounts_and_is_403_for_others(
    guarded_client: httpx.AsyncClient, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2, "ACC1")
    await place(oms, venue, 2, "ACC2")

    mine = await guarded_client.get("/api/feed/events", headers=bearer("tok-acc1"))
    by_query = await guarded_client.get("/api/feed/events", params={"token": "tok-acc1"})
    theirs = await guarded_client.get(
        "/api/feed/events", params={"account": "ACC1,ACC2"}, headers=bearer("tok-acc1")
    )
    everything = await guarded_client.get("/api/feed/events", headers=bearer("tok-ops"))

    assert mine.status_code == 200
    assert {i["account"] for i in mine.json()["items"]} == {"ACC1"}
    assert len(mine.json()["items"]) == 4
    assert by_query.json() == mine.json()
    assert theirs.status_code == 403
    assert "ACC2" in theirs.json()["error"]["message"]
    assert {i["account"] for i in everything.json()["items"]} == {"ACC1", "ACC2"}


async def test_sse_with_a_restricted_token_never_gets_another_accounts_events(
    guarded: FastAPI, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC2")
    await place(oms, venue, 1, "ACC1")

    async with SseStream(guarded, "/api/feed/sse?from=0&token=tok-acc1") as stream:
        backlog = [(await stream.next_json())[1] for _ in range(2)]
        await wait_on_hub(oms)
        await place(oms, venue, 1, "ACC2")
        await place(oms, venue, 1, "ACC1")
        live = [(await stream.next_json())[1] for _ in range(2)]

    assert [e["position"] for e in backlog + live] == [3, 4, 7, 8]
    assert {e["account"] for e in backlog + live} == {"ACC1"}


async def test_sse_and_websocket_refuse_a_missing_token(guarded: FastAPI) -> None:
    async with SseStream(guarded, "/api/feed/sse") as stream:
        body = await stream.read_all()
    async with WebSocketSession(guarded, "/ws/feed?account=ACC1") as socket:
        error = await socket.receive_json()
        with pytest.raises(ConnectionError):
            await socket.receive_json()

    assert stream.status == 401
    assert httpx.Response(401, content=body).json()["error"]["code"] == "UNAUTHENTICATED"
    assert error["error"]["code"] == "UNAUTHENTICATED"
    assert socket.close_code == 1008


async def test_websocket_with_a_token_for_another_account_is_forbidden(guarded: FastAPI) -> None:
    async with WebSocketSession(guarded, "/ws/feed?account=ACC2&token=tok-acc1") as socket:
        error = await socket.receive_json()
        with pytest.raises(ConnectionError):
            await socket.receive_json()

    assert error["error"]["code"] == "FORBIDDEN"
    assert socket.close_code == 1008


async def test_subscribers_are_listed_with_position_and_delivered_and_counted_in_metrics(
    guarded: FastAPI,
    guarded_client: httpx.AsyncClient,
    oms: OrderManager,
    venue: ScriptedVenue,
) -> None:
    await place(oms, venue, 2, "ACC1")

    async with SseStream(guarded, "/api/feed/sse?from=0&token=tok-acc1") as stream:
        for _ in range(4):
            await stream.next_json()
        listed = await guarded_client.get("/api/feed/subscribers", headers=bearer("tok-ops"))
        refused = await guarded_client.get("/api/feed/subscribers", headers=bearer("tok-acc1"))
    metrics = await guarded_client.get("/metrics")
    after = await guarded_client.get("/api/feed/subscribers", headers=bearer("tok-ops"))

    [subscriber] = listed.json()["items"]
    assert subscriber["transport"] == "sse"
    assert subscriber["principal"] == "desk-1"
    assert subscriber["filter"] == {"accounts": ["ACC1"]}
    assert subscriber["position"] == 4
    assert subscriber["delivered"] == 4
    assert subscriber["lag_events"] == 0
    assert refused.status_code == 403
    assert after.json()["items"] == []
    text = metrics.text
    assert "ordergate_feed_deliveries_total 4.0" in text
    assert "ordergate_feed_subscribers 0.0" in text
    assert "ordergate_feed_delivery_latency_seconds_count 4.0" in text


async def test_an_idle_sse_stream_gets_keepalive_comments(services: Services) -> None:
    app = FastAPI()
    oms = services.oms
    app.include_router(feed_router(Feed(oms.store, oms.hub), heartbeat=0.01))

    async with SseStream(app, "/api/feed/sse") as stream, asyncio.timeout(5):
        while b": keepalive" not in stream.body:
            message = await stream._sent.get()
            stream.body += message.get("body", b"")

    assert stream.body.startswith(b"retry: 1000\n\n: keepalive\n\n")


@pytest.fixture
def oms(services: Services) -> OrderManager:
    return services.oms
