"""The platform as `make demo` wires it: every venue managed, the vault, the broker APIs.

In process (the API through httpx's ASGI transport), with the real simulated exchanges on
loopback: the FIX exchange and the Alpaca trading API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis

from ordergate.api import create_app
from ordergate.config import Settings
from ordergate.gateway.connections import ManagedVenue
from ordergate.platform import ALPACA_VENUE, BINANCE_VENUE, PLATFORM_USER, Platform
from tests.integration.helpers import until_status

USER = {"X-Ordergate-User": PLATFORM_USER}


def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, store_url=None, fix_store_url=None, sim_step_ns=50_000_000)


@pytest.fixture
async def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Platform]:
    for name in ("ORDERGATE_MASTER_KEY", "ORDERGATE_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    platform = Platform(settings(tmp_path))
    await platform.start()
    yield platform
    await platform.stop()


async def test_every_venue_is_a_managed_broker_and_connected(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    brokers = (await client.get("/api/brokers")).json()["items"]
    connections = (await client.get("/api/connections")).json()["items"]

    assert {b["id"]: b["kind"] for b in brokers} == {
        "SIM": "sim",
        "FIXSIM": "fix",
        ALPACA_VENUE: "alpaca",
        BINANCE_VENUE: "ccxt",
    }
    assert all(b["state"] == "CONNECTED" and b["breaker"] == "CLOSED" for b in brokers)
    assert {c["broker"] for c in connections} == {"SIM", "FIXSIM", ALPACA_VENUE, BINANCE_VENUE}
    assert all(isinstance(v, ManagedVenue) for v in platform.oms.venues.values())


async def test_an_order_routed_to_alpaca_fills_through_the_alpaca_adapter(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    body = {
        "client_order_id": "alpaca-1",
        "account": "DEMO",
        "symbol": "AAPL",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": "7",
        "time_in_force": "DAY",
        "venue": ALPACA_VENUE,
    }

    created = await client.post("/api/orders", json=body)
    filled = await until_status(client, created.json()["id"], "FILLED")

    assert created.status_code == 201
    assert filled["filled_quantity"] == "7"
    assert filled["venue_order_id"]
    assert platform.alpaca_sim is not None
    at_venue = platform.alpaca_sim.broker.order_by_client_id(filled["id"])
    assert at_venue.filled_qty == 7


async def test_the_alpaca_keys_live_in_the_vault_and_test_against_the_broker(
    client: httpx.AsyncClient,
) -> None:
    listed = (await client.get("/api/credentials", headers=USER)).json()["items"]
    tested = await client.post(f"/api/credentials/{ALPACA_VENUE}/test", headers=USER)

    assert sorted(c["broker"] for c in listed) == [ALPACA_VENUE, BINANCE_VENUE]
    assert "api_secret" not in str(listed)
    assert tested.status_code == 200
    assert tested.json()["ok"] is True
    assert tested.json()["credential"]["status"] == "verified"


async def test_an_order_routed_to_binance_fills_through_ccxt(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    body = {
        "client_order_id": "binance-1",
        "account": "DEMO",
        "symbol": "BTC-USD",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": "0.01",
        "time_in_force": "IOC",
        "venue": BINANCE_VENUE,
    }

    created = await client.post("/api/orders", json=body)
    filled = await until_status(client, created.json()["id"], "FILLED")
    tested = await client.post(f"/api/credentials/{BINANCE_VENUE}/test", headers=USER)

    assert created.status_code == 201
    assert filled["filled_quantity"] == "0.01"
    assert filled["fee_currency"]
    assert platform.binance_sim is not None
    fills = platform.binance_sim.sim.exchange.engine.fills_since(0)
    assert {f.order_id for f in fills} >= {filled["id"]}
    assert tested.json()["ok"] is True


async def test_a_wrong_key_stored_for_alpaca_is_refused_by_the_broker(
    client: httpx.AsyncClient,
) -> None:
    replaced = await client.put(
        f"/api/credentials/{ALPACA_VENUE}",
        headers=USER,
        json={"api_key": "PKWRONG", "api_secret": "not-the-secret"},
    )
    tested = await client.post(f"/api/credentials/{ALPACA_VENUE}/test", headers=USER)

    assert replaced.status_code == 200
    assert tested.json()["ok"] is False
    assert tested.json()["credential"]["status"] == "rejected"


async def test_credentials_for_a_venue_without_api_keys_are_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/credentials/FIXSIM", headers=USER, json={"api_key": "k", "api_secret": "s"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "UNKNOWN_BROKER"


async def test_the_vault_keeps_the_credential_across_restarts(tmp_path: Path) -> None:
    first = Platform(settings(tmp_path))
    await first.start()
    fingerprint = (await first.vault.info(PLATFORM_USER, ALPACA_VENUE)).fingerprint
    await first.stop()

    second = Platform(settings(tmp_path))
    await second.start()
    try:
        again = await second.vault.info(PLATFORM_USER, ALPACA_VENUE)
    finally:
        await second.stop()

    assert again.fingerprint == fingerprint
    assert (tmp_path / "master.key").stat().st_mode & 0o077 == 0


async def test_with_redis_the_alpaca_order_budget_is_kept_in_redis(
    tmp_path: Path, redis_url: str
) -> None:
    configured = settings(tmp_path)
    configured.redis_url = redis_url
    platform = Platform(configured)
    await platform.start()
    try:
        transport = httpx.ASGITransport(app=create_app(platform))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {
                "client_order_id": "paced-1",
                "account": "DEMO",
                "symbol": "MSFT",
                "side": "BUY",
                "order_type": "MARKET",
                "quantity": "1",
                "time_in_force": "DAY",
                "venue": ALPACA_VENUE,
            }
            created = await client.post("/api/orders", json=body)
            await until_status(client, created.json()["id"], "FILLED")
        fingerprint = (await platform.vault.info(PLATFORM_USER, ALPACA_VENUE)).fingerprint
    finally:
        await platform.stop()

    check = redis.Redis.from_url(redis_url)
    try:
        keys = {k.decode() for k in await check.keys(f"og:rl:{ALPACA_VENUE}:*")}
    finally:
        await check.aclose()
    assert keys == {f"og:rl:{ALPACA_VENUE}:{fingerprint}:trading-api"}


async def test_binance_books_are_served_live_with_their_stream_health(
    client: httpx.AsyncClient,
) -> None:
    async with asyncio.timeout(10):
        while True:
            book = await client.get(f"/api/marketdata/books/{BINANCE_VENUE}/BTC-USD?depth=5")
            if book.status_code == 200 and book.json()["state"] == "HEALTHY":
                break
            await asyncio.sleep(0.05)
    streams = {
        s["stream"]: s for s in (await client.get("/api/marketdata/streams")).json()["items"]
    }
    too_deep = await client.get(f"/api/marketdata/books/{BINANCE_VENUE}/BTC-USD?depth=0")
    unknown = await client.get(f"/api/marketdata/books/{BINANCE_VENUE}/DOGE-USD")

    levels = book.json()
    assert len(levels["bids"]) == 5
    assert Decimal(levels["best_bid"][0]) < Decimal(levels["best_ask"][0])
    assert levels["crossed"] is False
    assert streams[f"{BINANCE_VENUE}:BOOK:BTC-USD"]["counters"]["snapshots"] >= 1
    assert "SIM:TICKER:AAPL" in streams
    assert (too_deep.status_code, too_deep.json()["error"]["code"]) == (422, "INVALID_DEPTH")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "BOOK_NOT_FOUND")
