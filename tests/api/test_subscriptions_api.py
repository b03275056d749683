"""Durable subscriptions over HTTP, in-process: a real OMS log, a real SQLite feed store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordergate.api.errors import ApiError, handle_api_error
from ordergate.api.subscriptions import subscriptions_router
from ordergate.clock import TestClock
from ordergate.feed import Feed, FeedEvent, FeedFilter, FeedPage
from ordergate.feed.auth import FeedAuthenticator
from ordergate.feed.store import FeedStore, open_feed_store
from ordergate.oms.service import OrderManager
from tests.api.conftest import Services
from tests.feed.conftest import order
from tests.oms.scripted_venue import ScriptedVenue

START = 1_700_000_000_000_000_000  # the OMS's TestClock: every event's ts_event
LATER = START + 90 * 10**9
PATHS = [
    ("POST", "/api/subscriptions", {"name": "fills"}),
    ("GET", "/api/subscriptions", None),
    ("GET", "/api/subscriptions/fills", None),
    ("DELETE", "/api/subscriptions/fills", None),
    ("GET", "/api/subscriptions/fills/events", None),
    ("POST", "/api/subscriptions/fills/ack", {"position": 1}),
]


@pytest.fixture
def oms(services: Services) -> OrderManager:
    return services.oms


@pytest.fixture
async def feed_store(tmp_path: Path) -> AsyncIterator[FeedStore]:
    async with open_feed_store(f"sqlite:///{tmp_path / 'feed.db'}", clock=TestClock()) as store:
        yield store


@pytest.fixture
async def tokens(feed_store: FeedStore) -> dict[str, str]:
    return {
        "desk1": await feed_store.create_token("desk-1", ["ACC1"]),
        "desk2": await feed_store.create_token("desk-2", ["ACC2"]),
        "ops": await feed_store.create_token("ops", None),
    }


def build(source: Any, store: FeedStore, mode: str) -> FastAPI:
    app = FastAPI()
    app.add_exception_handler(ApiError, handle_api_error)
    authenticate = FeedAuthenticator(store, mode)
    app.include_router(subscriptions_router(source, store, authenticate, clock=TestClock(LATER)))
    return app


async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def api(oms: OrderManager, feed_store: FeedStore) -> AsyncIterator[httpx.AsyncClient]:
    """The routes with ``ORDERGATE_FEED_AUTH=token``."""
    async for client in client_of(build(Feed(oms.store, oms.hub), feed_store, "token")):
        yield client


@pytest.fixture
async def open_api(oms: OrderManager, feed_store: FeedStore) -> AsyncIterator[httpx.AsyncClient]:
    """The routes with ``ORDERGATE_FEED_AUTH=open``."""
    async for client in client_of(build(Feed(oms.store, oms.hub), feed_store, "open")):
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    assert body["message"]
    return response.status_code, body["code"], body["field"]


async def place(oms: OrderManager, venue: ScriptedVenue, n: int, account: str) -> None:
    """Place ``n`` orders, each acknowledged: 2 events per order."""
    for _ in range(n):
        placed = await oms.submit(order(f"c{len(oms.projections.orders)}", account))
        await oms.handle_report(venue.ack(placed.order.id))


async def snapshot(store: FeedStore) -> list[Any]:
    return [await store.subscriptions(owner) for owner in ("desk-1", "desk-2", "ops", "anyone")]


# -- create, list, read, delete --------------------------------------------------------------


async def test_create_defaults_to_the_head_and_reads_nothing_old(
    api: httpx.AsyncClient, tokens: dict[str, str], oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2, "ACC1")  # 1..4

    made = await api.post(
        "/api/subscriptions", json={"name": "fills"}, headers=bearer(tokens["ops"])
    )
    empty = await api.get("/api/subscriptions/fills/events", headers=bearer(tokens["ops"]))
    await place(oms, venue, 1, "ACC1")  # 5, 6
    fresh = await api.get("/api/subscriptions/fills/events", headers=bearer(tokens["ops"]))

    assert made.status_code == 201
    assert (made.json()["cursor"], made.json()["head"], made.json()["lag_positions"]) == (4, 4, 0)
    assert made.json()["created_at"] == made.json()["updated_at"]
    assert empty.json() == {"items": [], "next_from": 4, "cursor": 4}
    assert [e["position"] for e in fresh.json()["items"]] == [5, 6]


async def test_a_restricted_token_never_sees_another_accounts_events(
    api: httpx.AsyncClient, tokens: dict[str, str], oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC1")  # 1, 2
    await place(oms, venue, 2, "ACC2")  # 3..6
    await place(oms, venue, 1, "ACC1")  # 7, 8
    headers = bearer(tokens["desk1"])

    made = await api.post("/api/subscriptions", json={"name": "all", "from": 0}, headers=headers)
    page = await api.get("/api/subscriptions/all/events", headers=headers)
    asked = await api.post(
        "/api/subscriptions", json={"name": "theirs", "account": "ACC2", "from": 0}, headers=headers
    )

    assert made.json()["filter"]["account"] == ["ACC1"]
    assert [(e["position"], e["account"]) for e in page.json()["items"]] == [
        (1, "ACC1"), (2, "ACC1"), (7, "ACC1"), (8, "ACC1")
    ]  # fmt: skip
    assert error(asked) == (403, "FORBIDDEN", "account")
    names = [
        s["name"] for s in (await api.get("/api/subscriptions", headers=headers)).json()["items"]
    ]
    assert names == ["all"]


async def test_filters_select_events_by_type_and_account(
    api: httpx.AsyncClient, tokens: dict[str, str], oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2, "ACC1")
    await place(oms, venue, 1, "ACC2")
    body = {"name": "acks", "from": 0, "types": ["OrderAccepted"], "account": "ACC1,ACC2"}

    made = await api.post("/api/subscriptions", json=body, headers=bearer(tokens["ops"]))
    page = await api.get("/api/subscriptions/acks/events", headers=bearer(tokens["ops"]))

    assert made.json()["filter"]["types"] == ["OrderAccepted"]
    assert [(e["position"], e["type"]) for e in page.json()["items"]] == [
        (2, "OrderAccepted"), (4, "OrderAccepted"), (6, "OrderAccepted")
    ]  # fmt: skip


async def test_one_principal_never_sees_or_touches_anothers_subscription(
    api: httpx.AsyncClient, tokens: dict[str, str], feed_store: FeedStore, oms: OrderManager,
    venue: ScriptedVenue,
) -> None:  # fmt: skip
    await place(oms, venue, 1, "ACC1")
    mine = bearer(tokens["desk1"])
    await api.post("/api/subscriptions", json={"name": "fills", "from": 0}, headers=mine)
    before = await snapshot(feed_store)
    theirs = bearer(tokens["desk2"])

    responses = [
        await api.request(method, path, json=body, headers=theirs)
        for method, path, body in PATHS[2:]
    ]
    listed = await api.get("/api/subscriptions", headers=theirs)
    after = await snapshot(feed_store)
    own = await api.post("/api/subscriptions", json={"name": "fills"}, headers=theirs)

    assert [error(r) for r in responses] == [(404, "SUBSCRIPTION_NOT_FOUND", "name")] * 4
    assert listed.json()["items"] == []
    assert after == before
    assert own.status_code == 201  # the name is theirs to take too


async def test_delete_removes_it_and_frees_the_name(
    api: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    headers = bearer(tokens["ops"])
    await api.post("/api/subscriptions", json={"name": "fills"}, headers=headers)

    deleted = await api.delete("/api/subscriptions/fills", headers=headers)
    again = await api.delete("/api/subscriptions/fills", headers=headers)
    gone = await api.get("/api/subscriptions/fills", headers=headers)
    remade = await api.post("/api/subscriptions", json={"name": "fills"}, headers=headers)

    assert deleted.json() == {"name": "fills", "deleted": True}
    assert error(again) == error(gone) == (404, "SUBSCRIPTION_NOT_FOUND", "name")
    assert remade.status_code == 201


async def test_a_taken_name_is_409_and_keeps_the_first(
    api: httpx.AsyncClient, tokens: dict[str, str], feed_store: FeedStore, oms: OrderManager,
    venue: ScriptedVenue,
) -> None:  # fmt: skip
    headers = bearer(tokens["ops"])
    await api.post(
        "/api/subscriptions", json={"name": "fills", "types": "OrderFilled"}, headers=headers
    )
    await place(oms, venue, 1, "ACC1")
    before = await snapshot(feed_store)

    taken = await api.post("/api/subscriptions", json={"name": "fills", "from": 0}, headers=headers)

    assert error(taken) == (409, "SUBSCRIPTION_EXISTS", "name")
    assert await snapshot(feed_store) == before


# -- reading and acknowledging ---------------------------------------------------------------


async def test_reading_does_not_move_the_cursor_and_ack_does(
    api: httpx.AsyncClient, tokens: dict[str, str], oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 3, "ACC1")  # 1..6
    headers = bearer(tokens["desk1"])
    await api.post("/api/subscriptions", json={"name": "fills", "from": 0}, headers=headers)
    path = "/api/subscriptions/fills"

    first = await api.get(f"{path}/events", params={"limit": 4}, headers=headers)
    repeat = await api.get(f"{path}/events", params={"limit": 4}, headers=headers)
    acked = await api.post(
        f"{path}/ack", json={"position": first.json()["next_from"]}, headers=headers
    )
    rest = await api.get(f"{path}/events", headers=headers)
    again = await api.post(f"{path}/ack", json={"position": 4}, headers=headers)
    lower = await api.post(f"{path}/ack", json={"position": 1}, headers=headers)

    assert [e["position"] for e in first.json()["items"]] == [1, 2, 3, 4]
    assert repeat.json() == first.json()
    assert (acked.json()["cursor"], acked.json()["advanced"]) == (4, True)
    assert [e["position"] for e in rest.json()["items"]] == [5, 6]
    assert rest.json()["cursor"] == 4
    assert [(r.status_code, r.json()["cursor"], r.json()["advanced"]) for r in (again, lower)] == [
        (200, 4, False), (200, 4, False)
    ]  # fmt: skip
    assert acked.json()["updated_at"] == lower.json()["updated_at"]


async def test_status_gives_head_lag_positions_and_lag_seconds(
    api: httpx.AsyncClient, tokens: dict[str, str], oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC2")  # 1, 2: not desk-1's
    await place(oms, venue, 2, "ACC1")  # 3..6
    headers = bearer(tokens["desk1"])
    await api.post("/api/subscriptions", json={"name": "fills", "from": 0}, headers=headers)

    pending = (await api.get("/api/subscriptions/fills", headers=headers)).json()
    await api.post("/api/subscriptions/fills/ack", json={"position": 6}, headers=headers)
    done = (await api.get("/api/subscriptions/fills", headers=headers)).json()
    listed = (await api.get("/api/subscriptions", headers=headers)).json()["items"]

    oldest = pending["oldest_pending"]
    assert oldest["position"] == 3
    assert (pending["cursor"], pending["head"], pending["lag_positions"]) == (0, 6, 6)
    assert pending["lag_seconds"] == (LATER - oldest["ts_event"]) / 1e9
    assert pending["lag_seconds"] > 0
    assert (done["cursor"], done["lag_positions"], done["lag_seconds"]) == (6, 0, 0.0)
    assert done["oldest_pending"] is None
    assert [(s["name"], s["cursor"], s["head"], s["lag_positions"]) for s in listed] == [
        ("fills", 6, 6, 0)
    ]


class NarrowSource:
    """A feed whose bounded read found no match before the head (a very narrow filter)."""

    async def head(self) -> int:
        return 50_000

    async def read(self, filter: FeedFilter, after: int, limit: int) -> FeedPage:
        items: list[FeedEvent] = []
        return FeedPage(items=items, next_from=after + 10_000)

    def subscribe(self, filter: FeedFilter, after: int) -> Any:
        raise NotImplementedError


async def test_lag_seconds_is_null_when_one_read_cannot_find_the_oldest_pending(
    feed_store: FeedStore, tokens: dict[str, str]
) -> None:
    async for client in client_of(build(NarrowSource(), feed_store, "token")):
        headers = bearer(tokens["ops"])
        await client.post("/api/subscriptions", json={"name": "rare", "from": 0}, headers=headers)

        status = (await client.get("/api/subscriptions/rare", headers=headers)).json()

    assert (status["lag_positions"], status["lag_seconds"], status["oldest_pending"]) == (
        50_000, None, None
    )  # fmt: skip


# -- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), PATHS)
@pytest.mark.parametrize(
    "auth", [{}, {"Authorization": "Bearer ogf_" + "x" * 43}, {"Authorization": "Bearer "}]
)
async def test_every_route_needs_a_valid_token_in_token_mode(
    api: httpx.AsyncClient, feed_store: FeedStore, tokens: dict[str, str], method: str,
    path: str, body: dict[str, Any] | None, auth: dict[str, str],
) -> None:  # fmt: skip
    await api.post("/api/subscriptions", json={"name": "fills"}, headers=bearer(tokens["ops"]))
    before = await snapshot(feed_store)

    response = await api.request(method, path, json=body, headers=auth)

    assert error(response) == (401, "UNAUTHENTICATED", None)
    assert await snapshot(feed_store) == before


async def test_a_revoked_token_is_refused_and_a_query_token_works(
    api: httpx.AsyncClient, feed_store: FeedStore, tokens: dict[str, str]
) -> None:
    by_query = await api.get("/api/subscriptions", params={"token": tokens["desk2"]})
    await feed_store.revoke_token("desk-2")

    revoked = await api.get("/api/subscriptions", headers=bearer(tokens["desk2"]))

    assert by_query.status_code == 200
    assert error(revoked) == (401, "UNAUTHENTICATED", None)


async def test_open_mode_serves_anyone_and_keeps_tokens_restricted(
    open_api: httpx.AsyncClient, tokens: dict[str, str], oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC1")
    await place(oms, venue, 1, "ACC2")

    anonymous = await open_api.post("/api/subscriptions", json={"name": "all", "from": 0})
    everything = await open_api.get("/api/subscriptions/all/events")
    await open_api.post(
        "/api/subscriptions", json={"name": "all", "from": 0}, headers=bearer(tokens["desk2"])
    )
    restricted = await open_api.get(
        "/api/subscriptions/all/events", headers=bearer(tokens["desk2"])
    )
    bad = await open_api.get("/api/subscriptions", headers=bearer("ogf_" + "y" * 43))

    assert anonymous.json()["filter"]["account"] == []
    assert {e["account"] for e in everything.json()["items"]} == {"ACC1", "ACC2"}
    assert {e["account"] for e in restricted.json()["items"]} == {"ACC2"}
    assert error(bad) == (401, "UNAUTHENTICATED", None)


# -- bad input -------------------------------------------------------------------------------

CREATE_ERRORS: list[tuple[bytes | dict[str, Any], tuple[int, str, str | None]]] = [
    (b"{not json", (400, "MALFORMED_JSON", None)),
    (b"", (400, "MALFORMED_JSON", None)),
    (b"[]", (422, "INVALID_FIELD", None)),
    ({}, (422, "INVALID_FIELD", "name")),
    ({"name": 7}, (422, "INVALID_FIELD", "name")),
    ({"name": "fills", "colour": "red"}, (422, "INVALID_FIELD", None)),
    ({"name": ""}, (422, "INVALID_NAME", "name")),
    ({"name": "a b"}, (422, "INVALID_NAME", "name")),
    ({"name": "-fills"}, (422, "INVALID_NAME", "name")),
    ({"name": "x" * 65}, (422, "INVALID_NAME", "name")),
    ({"name": "fills", "types": "OrderFilled,OrderVanished"}, (422, "UNKNOWN_EVENT_TYPE", "types")),
    ({"name": "fills", "account": "A,,B"}, (422, "INVALID_FILTER", "account")),
    ({"name": "fills", "symbol": ["AAPL", 5]}, (422, "INVALID_FIELD", "symbol[1]")),
    ({"name": "fills", "venue": {"a": 1}}, (422, "INVALID_FIELD", "venue")),
    ({"name": "fills", "from": -1}, (422, "INVALID_POSITION", "from")),
    ({"name": "fills", "from": "tail"}, (422, "INVALID_FIELD", "from")),
    ({"name": "fills", "from": 1.5}, (422, "INVALID_FIELD", "from")),
    ({"name": "fills", "from": True}, (422, "INVALID_FIELD", "from")),
    ({"name": "fills", "from": 3}, (422, "POSITION_BEYOND_HEAD", "from")),
    ({"name": "fills", "from": 10**30}, (422, "POSITION_BEYOND_HEAD", "from")),
]


@pytest.mark.parametrize(("body", "expected"), CREATE_ERRORS)
async def test_a_bad_create_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, feed_store: FeedStore, tokens: dict[str, str], oms: OrderManager,
    venue: ScriptedVenue, body: bytes | dict[str, Any], expected: tuple[int, str, str | None],
) -> None:  # fmt: skip
    await place(oms, venue, 1, "ACC1")  # head 2
    headers = bearer(tokens["ops"])
    await api.post("/api/subscriptions", json={"name": "keep"}, headers=headers)
    before = await snapshot(feed_store)

    if isinstance(body, bytes):
        headers = {**headers, "Content-Type": "application/json"}
        response = await api.post("/api/subscriptions", content=body, headers=headers)
    else:
        response = await api.post("/api/subscriptions", json=body, headers=headers)

    assert error(response) == expected
    assert await snapshot(feed_store) == before


ACK_ERRORS: list[tuple[bytes | dict[str, Any], tuple[int, str, str | None]]] = [
    (b"{", (400, "MALFORMED_JSON", None)),
    ({}, (422, "INVALID_FIELD", "position")),
    ({"position": "3"}, (422, "INVALID_FIELD", "position")),
    ({"position": 2.0}, (422, "INVALID_FIELD", "position")),
    ({"position": None}, (422, "INVALID_FIELD", "position")),
    ({"position": False}, (422, "INVALID_FIELD", "position")),
    ({"position": 1, "also": 2}, (422, "INVALID_FIELD", None)),
    ({"position": -1}, (422, "INVALID_POSITION", "position")),
    ({"position": 5}, (422, "POSITION_BEYOND_HEAD", "position")),
]


@pytest.mark.parametrize(("body", "expected"), ACK_ERRORS)
async def test_a_bad_ack_is_refused_and_leaves_the_cursor(
    api: httpx.AsyncClient, feed_store: FeedStore, tokens: dict[str, str], oms: OrderManager,
    venue: ScriptedVenue, body: bytes | dict[str, Any], expected: tuple[int, str, str | None],
) -> None:  # fmt: skip
    await place(oms, venue, 2, "ACC1")  # head 4
    headers = bearer(tokens["ops"])
    await api.post("/api/subscriptions", json={"name": "fills", "from": 1}, headers=headers)
    before = await snapshot(feed_store)

    if isinstance(body, bytes):
        response = await api.post("/api/subscriptions/fills/ack", content=body, headers=headers)
    else:
        response = await api.post("/api/subscriptions/fills/ack", json=body, headers=headers)

    assert error(response) == expected
    assert await snapshot(feed_store) == before


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/subscriptions/fills/events?limit=0", (422, "INVALID_LIMIT", "limit")),
        ("GET", "/api/subscriptions/fills/events?limit=1001", (422, "INVALID_LIMIT", "limit")),
        ("GET", "/api/subscriptions/fills/events?limit=ten", (422, "INVALID_LIMIT", "limit")),
        ("GET", "/api/subscriptions/a%20b", (422, "INVALID_NAME", "name")),
        ("GET", "/api/subscriptions/.hidden/events", (422, "INVALID_NAME", "name")),
        ("DELETE", "/api/subscriptions/" + "x" * 65, (422, "INVALID_NAME", "name")),
        ("GET", "/api/subscriptions/nope", (404, "SUBSCRIPTION_NOT_FOUND", "name")),
        ("GET", "/api/subscriptions/nope/events", (404, "SUBSCRIPTION_NOT_FOUND", "name")),
    ],
)
async def test_bad_paths_and_limits_are_refused_and_change_nothing(
    api: httpx.AsyncClient, feed_store: FeedStore, tokens: dict[str, str], method: str,
    path: str, expected: tuple[int, str, str | None],
) -> None:  # fmt: skip
    headers = bearer(tokens["ops"])
    await api.post("/api/subscriptions", json={"name": "fills"}, headers=headers)
    before = await snapshot(feed_store)

    response = await api.request(method, path, headers=headers)

    assert error(response) == expected
    assert await snapshot(feed_store) == before


async def test_acking_an_unknown_subscription_is_404(
    api: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    response = await api.post(
        "/api/subscriptions/nope/ack", json={"position": 0}, headers=bearer(tokens["ops"])
    )

    assert error(response) == (404, "SUBSCRIPTION_NOT_FOUND", "name")


async def test_an_ack_racing_a_delete_is_404(
    api: httpx.AsyncClient, feed_store: FeedStore, tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    headers = bearer(tokens["ops"])
    await api.post("/api/subscriptions", json={"name": "fills"}, headers=headers)
    ack = feed_store.ack

    async def ack_after_a_delete(owner: str, name: str, position: int, *, head: int) -> Any:
        await feed_store.delete_subscription(owner, name)
        return await ack(owner, name, position, head=head)

    monkeypatch.setattr(feed_store, "ack", ack_after_a_delete)

    response = await api.post("/api/subscriptions/fills/ack", json={"position": 0}, headers=headers)

    assert error(response) == (404, "SUBSCRIPTION_NOT_FOUND", "name")
