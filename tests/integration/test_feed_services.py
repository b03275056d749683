"""The platform's feed services as configured: tokens, gRPC and the FIX drop copy, wired."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest

from ordergate.api import create_app
from ordergate.config import Settings
from ordergate.feed.dropcopy import Counterparty
from ordergate.feed.grpc import feed_pb2, feed_pb2_grpc
from ordergate.feed.services import parse_counterparties
from ordergate.platform import Platform
from tests.feed.test_dropcopy_server import Client
from tests.integration.helpers import until_status

pytestmark = pytest.mark.integration

ORDER = {
    "client_order_id": "feed-1",
    "account": "DESK1",
    "symbol": "AAPL",
    "side": "BUY",
    "order_type": "LIMIT",
    "quantity": "5",
    "price": "150.00",
    "time_in_force": "GTC",
}


def settings(data_dir: Path, *, auth: str = "open") -> Settings:
    return Settings(
        data_dir=data_dir,
        store_url=None,
        fix_store_url=None,
        fix_sim=False,
        alpaca_sim=False,
        binance_sim=False,
        grpc_port=0,
        dropcopy_port=0,
        dropcopy_comp_id="OGATE",
        dropcopy_counterparties="CLIENT=DESK1",
        feed_auth=auth,
    )


@pytest.fixture
async def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Platform]:
    for name in ("ORDERGATE_MASTER_KEY", "ORDERGATE_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    platform = Platform(settings(tmp_path))
    await platform.start()
    yield platform
    await platform.stop()


RISK_BOTH = Counterparty(comp_id="RISK", accounts=frozenset({"ACC1", "ACC2"}))
RISK_A = Counterparty(comp_id="RISK", accounts=frozenset({"A"}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("RISK=ACC1+ACC2", (RISK_BOTH,)), ("OPS=*, RISK=A", (Counterparty(comp_id="OPS"), RISK_A))],
)
def test_counterparties_are_parsed(text: str, expected: tuple[Counterparty, ...]) -> None:
    assert parse_counterparties(text) == expected


@pytest.mark.parametrize("text", ["", "RISK", "=ACC1", "RISK=", "RISK=+", " , "])
def test_bad_counterparties_are_refused_with_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match="counterparty"):
        parse_counterparties(text)


def test_an_unknown_feed_auth_mode_stops_the_platform_before_it_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="feed auth mode"):
        Platform(settings(tmp_path, auth="maybe"))


async def test_an_order_reaches_grpc_the_drop_copy_and_a_durable_subscription(
    platform: Platform,
) -> None:
    assert platform.feed_services.grpc is not None
    assert platform.feed_services.dropcopy is not None
    transport = httpx.ASGITransport(app=create_app(platform))
    drop_copy = Client(comp_id="CLIENT")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/api/subscriptions", json={"name": "blotter", "from": 0})
        await drop_copy.connect(platform.feed_services.dropcopy)
        placed = await client.post("/api/orders", json=ORDER)
        order_id = placed.json()["id"]
        await until_status(client, order_id, "NEW")
        reports = await drop_copy.take(2)  # pending new, then new
        events = await client.get("/api/subscriptions/blotter/events")
        async with grpc.aio.insecure_channel(platform.feed_services.grpc.target) as channel:
            stub = feed_pb2_grpc.FeedStub(channel)
            head = await stub.Head(feed_pb2.HeadRequest())
            page = await stub.Read(feed_pb2.ReadRequest(from_position=0))
        await drop_copy.disconnect()

    assert created.status_code == 201
    assert [e["type"] for e in events.json()["items"]] == ["OrderSubmitted", "OrderAccepted"]
    assert head.position == 2
    assert [e.type for e in page.items] == ["OrderSubmitted", "OrderAccepted"]
    assert json.loads(page.items[0].body_json)["quantity"] == "5"
    assert [message.get_str(11) for message, _ in reports] == [order_id, order_id]
    assert [message.get_str(1) for message, _ in reports] == ["DESK1", "DESK1"]
