"""The broker and connection API, in process, over real SimVenue connections."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from ordergate.api.brokers import brokers_router
from ordergate.api.errors import ApiError, handle_api_error
from ordergate.clock import TestClock
from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderType, TimeInForce
from ordergate.fix.transport import Backoff
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.gateway.connections import (
    BrokerRegistry,
    ConnectionSettings,
    ConnectionSpec,
    ManagedVenue,
    Role,
)
from ordergate.sim.venue import SimVenue
from ordergate.venues.base import RateLimitRule, VenueCapabilities
from tests.gateway.connections.helpers import AAPL, FAST, Collector, order, until

CAPS = VenueCapabilities(
    order_types=frozenset({OrderType.LIMIT, OrderType.MARKET}),
    time_in_force=frozenset({TimeInForce.GTC, TimeInForce.IOC}),
    asset_classes=SimVenue([AAPL], clock=TestClock()).capabilities.asset_classes,
    rate_limits=(RateLimitRule(name="orders", unit="orders", limit=10, window_ns=1_000_000_000),),
    maker_fee=Decimal("0.0001"),
    taker_fee=Decimal("0.0002"),
)


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def dead_fix() -> FixVenue:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return FixVenue(
        FixVenueConfig(
            name="DEAD",
            begin_string="FIX.4.4",
            sender_comp_id="OGATE",
            target_comp_id="EXCH",
            endpoints=[("127.0.0.1", port)],
            logon_timeout=0.2,
        ),
        backoff=Backoff(0.01, 0.05),
    )


@pytest.fixture
async def brokers(clock: TestClock, dead_fix: FixVenue) -> AsyncIterator[BrokerRegistry]:
    sim = ManagedVenue(
        "SIM",
        [
            ConnectionSpec(adapter=SimVenue([AAPL], clock=clock, step_interval_ns=0), id="key-a"),
            ConnectionSpec(
                adapter=SimVenue([AAPL], clock=clock, step_interval_ns=0),
                id="key-b",
                role=Role.BACKUP,
            ),
        ],
        clock=clock,
        kind="sim",
        settings=FAST,
        capabilities=CAPS,
    )
    dead = ManagedVenue(
        "DEAD", [dead_fix], clock=clock, kind="fix", settings=ConnectionSettings(connect_timeout=1)
    )
    await sim.connect()
    registry = BrokerRegistry([sim, dead])
    yield registry
    for venue in registry:
        await venue.disconnect()


@pytest.fixture
async def client(brokers: BrokerRegistry) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.add_exception_handler(ApiError, handle_api_error)
    app.include_router(brokers_router(brokers))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_list_shows_each_broker_with_connections_state_and_capabilities(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/brokers")

    assert response.status_code == 200
    sim, dead = response.json()["items"]
    assert sim == {
        "id": "SIM",
        "name": "SIM",
        "kind": "sim",
        "state": "CONNECTED",
        "suspended": False,
        "breaker": "CLOSED",
        "connections": [
            {"id": "key-a", "role": "PRIMARY", "state": "CONNECTED"},
            {"id": "key-b", "role": "BACKUP", "state": "CONNECTED"},
        ],
        "capabilities": {
            "order_types": ["LIMIT", "MARKET"],
            "time_in_force": ["GTC", "IOC"],
            "asset_classes": sorted(a.value for a in CAPS.asset_classes),
            "supports_replace": True,
        },
    }
    assert (dead["id"], dead["kind"], dead["state"], dead["suspended"]) == (
        "DEAD",
        "fix",
        "DISCONNECTED",
        True,
    )


async def test_status_shows_breaker_and_health_of_each_connection(
    client: httpx.AsyncClient, brokers: BrokerRegistry
) -> None:
    sim = brokers.get("SIM")
    assert sim is not None
    reports = Collector(sim)
    await sim.submit(order("O-1"))
    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    await reports.close()

    response = await client.get("/api/brokers/SIM/status")

    assert response.status_code == 200
    body = response.json()
    assert body["breaker"]["state"] == "CLOSED"
    key_a = body["connections"][0]
    assert key_a["id"] == "key-a"
    assert key_a["state"] == "CONNECTED"
    assert key_a["requests_in_window"] == 1
    assert key_a["request_latency_ns"] == 0  # the test clock stands still
    assert key_a["connected_since"] is not None
    assert key_a["reconnects"] == 0
    assert key_a["last_error"] is None


async def test_features_show_order_types_limits_and_fees(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/brokers/SIM/features")

    assert response.status_code == 200
    assert response.json() == {
        "order_types": ["LIMIT", "MARKET"],
        "time_in_force": ["GTC", "IOC"],
        "asset_classes": sorted(a.value for a in CAPS.asset_classes),
        "supports_replace": True,
        "supports_market_data": False,
        "rate_limits": [
            {
                "name": "orders",
                "unit": "orders",
                "limit": 10,
                "window_ns": 1_000_000_000,
                "scope": "*",
            }
        ],
        "fees": {"maker": "0.0001", "taker": "0.0002"},
    }


async def test_live_check_times_an_open_orders_round_trip_per_connection(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/brokers/SIM/test")

    assert response.status_code == 200
    assert response.json() == {
        "broker": "SIM",
        "ok": True,
        "connections": [
            {"connection": "key-a", "ok": True, "latency_ns": 0, "open_orders": 0, "error": None},
            {"connection": "key-b", "ok": True, "latency_ns": 0, "open_orders": 0, "error": None},
        ],
    }


async def test_live_check_of_a_broker_that_is_down_fails_each_connection(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/brokers/DEAD/test")

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert response.json()["connections"][0]["error"] == "connection is DISCONNECTED"


async def test_disconnect_then_connect_takes_the_broker_down_and_back(
    client: httpx.AsyncClient,
) -> None:
    down = await client.delete("/api/brokers/SIM/disconnect")
    assert down.status_code == 200
    assert (down.json()["state"], down.json()["suspended"]) == ("DISCONNECTED", True)

    up = await client.post("/api/brokers/SIM/connect")
    assert up.status_code == 200
    assert (up.json()["state"], up.json()["suspended"]) == ("CONNECTED", False)
    assert [c["reconnects"] for c in up.json()["connections"]] == [1, 1]


async def test_connect_to_an_unreachable_broker_is_a_502(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/brokers/DEAD/connect")

    assert response.status_code == 502
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("BROKER_UNREACHABLE", "broker_id")
    assert "no connection came up" in error["message"]


async def test_connections_lists_the_health_of_every_connection(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/connections")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["broker"], i["id"], i["state"]) for i in items] == [
        ("SIM", "key-a", "CONNECTED"),
        ("SIM", "key-b", "CONNECTED"),
        ("DEAD", "DEAD-1", "DISCONNECTED"),
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/brokers/NOPE/status"),
        ("GET", "/api/brokers/NOPE/features"),
        ("POST", "/api/brokers/NOPE/connect"),
        ("POST", "/api/brokers/NOPE/test"),
        ("DELETE", "/api/brokers/NOPE/disconnect"),
    ],
)
async def test_unknown_broker_is_a_404(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "BROKER_NOT_FOUND", "message": "no broker 'NOPE'", "field": "broker_id"}
    }


async def test_orders_to_a_disconnected_broker_are_refused(
    client: httpx.AsyncClient, brokers: BrokerRegistry
) -> None:
    sim = brokers.get("SIM")
    assert sim is not None
    reports = Collector(sim)
    await client.delete("/api/brokers/SIM/disconnect")
    await sim.submit(order("O-1"))
    await until(lambda: bool(reports.of("O-1")))
    await reports.close()
    assert [r.kind for r in reports.of("O-1")] == [ExecKind.REJECTED]
