"""The FIX routes in process: session status, the message log with its filters, the export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from ordergate.api import create_app
from ordergate.fix.codec import encode_fields
from ordergate.fix.logfile import format_line
from ordergate.fix.registry import SessionRegistry, SessionStatus
from ordergate.fix.store import Direction, DurableMessageStore, MemoryStore, open_message_store
from ordergate.oms.service import OrderManager
from tests.api.conftest import Services

SESSION = "FIX.4.4:ORDERGATE->BROKER"
PATH = f"/api/fix/sessions/{quote(SESSION, safe='')}"
T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z


class Source:
    def __init__(self, session_id: str, store: DurableMessageStore | MemoryStore) -> None:
        self.session_id = session_id
        self.store = store

    def status(self) -> SessionStatus:
        begin, _, pair = self.session_id.partition(":")
        sender, _, target = pair.partition("->")
        return SessionStatus(
            session_id=self.session_id,
            begin_string=begin,
            sender_comp_id=sender,
            target_comp_id=target,
            role="initiator",
            state="ACTIVE",
            connected=True,
            logged_on=True,
            next_sender_seq=self.store.next_sender_seq(),
            next_target_seq=self.store.next_target_seq(),
            last_sent_ns=T0 + 3_000,
            latency_ns=250_000,
        )


class FixServices(Services):
    def __init__(self, oms: OrderManager, fix: SessionRegistry) -> None:
        super().__init__(oms)
        self.fix = fix


def frame(msg_type: str, seq: int, *fields: tuple[int, bytes]) -> bytes:
    header = [(35, msg_type.encode()), (49, b"ORDERGATE"), (56, b"BROKER"), (34, b"%d" % seq)]
    return encode_fields(b"FIX.4.4", header + list(fields))


@pytest.fixture
async def fix_store(tmp_path: Path) -> AsyncIterator[DurableMessageStore]:
    store = await open_message_store(f"sqlite:///{tmp_path / 'fix.db'}", SESSION, now=T0)
    store.log_message(Direction.OUT, frame("A", 1, (98, b"0"), (108, b"30")), T0)
    store.log_message(Direction.IN, frame("A", 1, (98, b"0"), (108, b"30")), T0 + 1_000)
    for i in range(1, 6):
        raw = frame("D", i + 1, (11, b"c%d" % i), (55, b"AAPL"), (54, b"1"))
        store.log_message(Direction.OUT, raw, T0 + i * 1_000_000_000)
        store.log_message(Direction.IN, frame("8", i + 1, (11, b"c%d" % i)), T0 + i * 1_000_000_001)
    store.set_next_sender_seq(7)
    store.set_next_target_seq(7)
    await store.flush()
    yield store
    await store.close()


@pytest.fixture
def registry(fix_store: DurableMessageStore) -> SessionRegistry:
    registry = SessionRegistry()
    registry.register(Source(SESSION, fix_store))
    registry.register(Source("FIX.4.2:ORDERGATE->MEMORY", MemoryStore()))
    return registry


@pytest.fixture
def fix_app(services: Services, registry: SessionRegistry) -> FastAPI:
    return create_app(FixServices(services.oms, registry))


@pytest.fixture
async def fix_client(fix_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=fix_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def assert_error(response: httpx.Response, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


async def test_sessions_lists_every_status(fix_client: httpx.AsyncClient):
    response = await fix_client.get("/api/fix/sessions")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [s["session_id"] for s in items] == ["FIX.4.2:ORDERGATE->MEMORY", SESSION]
    session = items[1]
    assert session["begin_string"] == "FIX.4.4"
    assert (session["sender_comp_id"], session["target_comp_id"]) == ("ORDERGATE", "BROKER")
    assert (session["state"], session["logged_on"], session["role"]) == (
        "ACTIVE",
        True,
        "initiator",
    )
    assert (session["next_sender_seq"], session["next_target_seq"]) == (7, 7)
    assert session["latency_ns"] == 250_000
    assert session["last_sent_at"] == "2023-11-14T22:13:20.000003Z"
    assert session["last_received_at"] is None


async def test_messages_come_oldest_first_decoded(fix_client: httpx.AsyncClient):
    response = await fix_client.get(f"{PATH}/messages")

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    items = body["items"]
    assert len(items) == 12
    first_order = items[2]
    assert first_order["direction"] == "out"
    assert (first_order["msg_type"], first_order["msg_type_name"]) == ("D", "NewOrderSingle")
    assert (first_order["seq"], first_order["cl_ord_id"]) == (2, "c1")
    assert first_order["ts"] == "2023-11-14T22:13:21Z"
    assert first_order["raw"].startswith("8=FIX.4.4|9=")
    assert "\x01" not in first_order["raw"]
    assert {"tag": 11, "name": "ClOrdID", "value": "c1"} in first_order["fields"]
    assert first_order["problems"] == []
    assert [m["id"] for m in items] == sorted(m["id"] for m in items)


async def test_messages_filter_by_type_order_id_and_time(fix_client: httpx.AsyncClient):
    by_type = await fix_client.get(f"{PATH}/messages", params={"msg_type": "D"})
    by_order = await fix_client.get(f"{PATH}/messages", params={"cl_ord_id": "c3"})
    by_iso = await fix_client.get(
        f"{PATH}/messages",
        params={"since": "2023-11-14T22:13:22Z", "until": "2023-11-14T23:13:24+01:00"},
    )
    by_ns = await fix_client.get(
        f"{PATH}/messages", params={"since": str(T0 + 2_000_000_000), "until": str(T0 + 4 * 10**9)}
    )

    assert [m["cl_ord_id"] for m in by_type.json()["items"]] == ["c1", "c2", "c3", "c4", "c5"]
    assert [m["msg_type"] for m in by_order.json()["items"]] == ["D", "8"]
    assert [m["cl_ord_id"] for m in by_iso.json()["items"]] == ["c2", "c2", "c3", "c3"]
    assert by_ns.json()["items"] == by_iso.json()["items"]


async def test_messages_page_with_a_cursor(fix_client: httpx.AsyncClient):
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "5"} | ({"cursor": cursor} if cursor else {})
        body = (await fix_client.get(f"{PATH}/messages", params=params)).json()
        seen.extend(m["id"] for m in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert len(seen) == len(set(seen)) == 12


async def test_messages_show_what_the_session_logged_since_the_last_flush(
    fix_client: httpx.AsyncClient, fix_store: DurableMessageStore
):
    fix_store.log_message(Direction.OUT, frame("0", 7), T0 + 10**10)

    response = await fix_client.get(f"{PATH}/messages", params={"msg_type": "0"})

    assert [m["seq"] for m in response.json()["items"]] == [7]


async def test_an_unknown_session_is_404(fix_client: httpx.AsyncClient):
    response = await fix_client.get(f"/api/fix/sessions/{quote('FIX.4.4:A->B', safe='')}/messages")

    assert_error(response, 404, "SESSION_NOT_FOUND", "session_id")


async def test_a_session_without_a_durable_log_is_404(fix_client: httpx.AsyncClient):
    path = quote("FIX.4.2:ORDERGATE->MEMORY", safe="")
    response = await fix_client.get(f"/api/fix/sessions/{path}/messages")

    assert_error(response, 404, "MESSAGE_LOG_NOT_FOUND", None)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2023-11-14T22:13:20"}, "until"),
        ({"since": str(T0 + 5), "until": str(T0)}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJvcmRlcnMiLDFd"}, "cursor"),
        ({"msg_type": " "}, "msg_type"),
        ({"cl_ord_id": ""}, "cl_ord_id"),
    ],
)
async def test_bad_filters_are_422_and_name_the_field(
    fix_client: httpx.AsyncClient, params: dict[str, str], field: str
):
    response = await fix_client.get(f"{PATH}/messages", params=params)

    assert_error(response, 422, "INVALID_FIELD", field)


async def test_export_is_the_tag_value_log(
    fix_client: httpx.AsyncClient, fix_store: DurableMessageStore
):
    response = await fix_client.get(f"{PATH}/messages/export")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'filename="FIX.4.4_ORDERGATE_BROKER.log"' in response.headers["content-disposition"]
    rows = await fix_store.messages(limit=100)
    assert response.content == b"".join(format_line(m.ts_ns, m.raw) for m in rows)


async def test_export_filters_and_renders_pipes(fix_client: httpx.AsyncClient):
    response = await fix_client.get(
        f"{PATH}/messages/export", params={"msg_type": "D", "delimiter": "pipe"}
    )

    lines = response.content.splitlines()
    assert len(lines) == 5
    assert all(b"|35=D|" in line and b"\x01" not in line for line in lines)


async def test_export_errors(fix_client: httpx.AsyncClient):
    bad_delimiter = await fix_client.get(f"{PATH}/messages/export", params={"delimiter": ","})
    unknown = await fix_client.get("/api/fix/sessions/nope/messages/export")

    assert_error(bad_delimiter, 422, "INVALID_FIELD", "delimiter")
    assert_error(unknown, 404, "SESSION_NOT_FOUND", "session_id")


async def test_the_routes_are_documented(fix_client: httpx.AsyncClient):
    schema = (await fix_client.get("/openapi.json")).json()

    parameters = schema["paths"]["/api/fix/sessions/{session_id}/messages"]["get"]["parameters"]
    since = next(p for p in parameters if p["name"] == "since")
    assert "nanoseconds" in since["description"]
    assert "ISO-8601" in since["description"]
    assert "/api/fix/sessions/{session_id}/messages/export" in schema["paths"]


async def test_without_fix_sessions_the_routes_are_not_mounted(client: httpx.AsyncClient):
    response = await client.get("/api/fix/sessions")

    assert response.status_code == 404
