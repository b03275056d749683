"""Brokers of a brokers file trade through the platform like its simulated venues.

A ``kind = "ccxt"`` broker of exchange ``binance`` and a ``kind = "alpaca"`` broker, both
pointed at simulators started here on loopback, with their keys stored in the vault first.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ordergate.api import create_app
from ordergate.cli import _banner, main
from ordergate.config import Settings
from ordergate.gateway.brokers_file import BrokerCredentialMissing, BrokersFileError
from ordergate.gateway.vault import BrokerSecret
from ordergate.gateway.vault.admin import STORE_URL_ENV
from ordergate.gateway.vault.admin import main as vault_main
from ordergate.platform import PLATFORM_USER, Platform
from ordergate.sim.alpaca import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer
from ordergate.sim.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BinanceSim,
    BinanceSimServer,
)
from ordergate.sim.fix import SimFixExchange, acceptor_session
from ordergate.sim.instruments import default_instruments, default_start_prices
from tests.integration.helpers import until_status

USER = {"X-Ordergate-User": PLATFORM_USER}


@pytest.fixture(autouse=True)
def no_master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ORDERGATE_MASTER_KEY", "ORDERGATE_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def binance() -> AsyncIterator[BinanceSimServer]:
    server = BinanceSimServer(BinanceSim(seed=5))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def alpaca() -> AsyncIterator[AlpacaSimServer]:
    server = AlpacaSimServer(seed=6, step_interval_ns=50_000_000)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def brokers_toml(binance: BinanceSimServer, alpaca: AlpacaSimServer) -> str:
    url, ws = binance.url, binance.ws_url
    return f"""
[[broker]]
kind = "ccxt"
name = "BINANCE2"
exchange = "binance"
symbols = {{ "BTC-USD" = "BTC/USDT" }}
[broker.urls]
public = "{url}/api/v3"
private = "{url}/api/v3"
v1 = "{url}/api/v1"
[broker.urls.ws]
spot = "{ws}/ws"
margin = "{ws}/ws"
ws-api = {{ spot = "{ws}/ws-api/v3" }}

[[broker]]
kind = "alpaca"
name = "ALPACA2"
base_url = "{alpaca.url}"
"""


def platform_settings(tmp_path: Path, brokers_file: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        store_url=None,
        fix_store_url=None,
        credential_store_url=None,
        alpaca_sim=False,
        fix_sim=False,
        binance_sim=False,
        brokers_file=brokers_file,
    )


async def store_credentials(platform: Platform, secrets: dict[str, BrokerSecret]) -> None:
    # As an operator would have done through the API on an earlier run.
    await platform.credential_store.start()
    try:
        for broker, secret in secrets.items():
            await platform.vault.create(PLATFORM_USER, broker, secret)
    finally:
        await platform.credential_store.close()


@pytest.fixture
async def platform(
    tmp_path: Path, binance: BinanceSimServer, alpaca: AlpacaSimServer
) -> AsyncIterator[Platform]:
    path = tmp_path / "brokers.toml"
    path.write_text(brokers_toml(binance, alpaca))
    platform = Platform(platform_settings(tmp_path, path))
    await store_credentials(
        platform,
        {
            "BINANCE2": BrokerSecret(api_key=DEFAULT_API_KEY, api_secret=DEFAULT_API_SECRET),
            "ALPACA2": BrokerSecret(api_key=DEFAULT_KEY_ID, api_secret=DEFAULT_SECRET_KEY),
        },
    )
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


async def test_the_configured_brokers_are_managed_and_connected(
    client: httpx.AsyncClient,
) -> None:
    brokers = (await client.get("/api/brokers")).json()["items"]

    assert {b["id"]: b["kind"] for b in brokers} == {
        "SIM": "sim",
        "BINANCE2": "ccxt",
        "ALPACA2": "alpaca",
    }
    assert all(b["state"] == "CONNECTED" for b in brokers)


async def test_an_order_routed_to_a_configured_ccxt_broker_fills(
    client: httpx.AsyncClient, binance: BinanceSimServer
) -> None:
    body = {
        "client_order_id": "binance2-1",
        "account": "DEMO",
        "symbol": "BTC-USD",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": "0.01",
        "time_in_force": "IOC",
        "venue": "BINANCE2",
    }

    created = await client.post("/api/orders", json=body)
    filled = await until_status(client, created.json()["id"], "FILLED")
    tested = await client.post("/api/credentials/BINANCE2/test", headers=USER)

    assert created.status_code == 201
    assert filled["filled_quantity"] == "0.01"
    fills = binance.sim.exchange.engine.fills_since(0)
    assert filled["id"] in {f.order_id for f in fills}
    assert tested.json()["ok"] is True


async def test_an_order_routed_to_a_configured_alpaca_broker_fills(
    client: httpx.AsyncClient, alpaca: AlpacaSimServer
) -> None:
    body = {
        "client_order_id": "alpaca2-1",
        "account": "DEMO",
        "symbol": "AAPL",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": "3",
        "time_in_force": "DAY",
        "venue": "ALPACA2",
    }

    created = await client.post("/api/orders", json=body)
    filled = await until_status(client, created.json()["id"], "FILLED")
    tested = await client.post("/api/credentials/ALPACA2/test", headers=USER)

    assert filled["filled_quantity"] == "3"
    assert alpaca.broker.order_by_client_id(filled["id"]).filled_qty == 3
    assert tested.json()["ok"] is True


async def test_a_configured_broker_without_a_credential_stops_the_start(
    tmp_path: Path, binance: BinanceSimServer, alpaca: AlpacaSimServer
) -> None:
    path = tmp_path / "brokers.toml"
    path.write_text(brokers_toml(binance, alpaca))
    platform = Platform(platform_settings(tmp_path, path))

    with pytest.raises(BrokerCredentialMissing) as raised:
        await platform.start()

    assert raised.value.broker == "BINANCE2"
    assert "python -m ordergate.gateway.vault store BINANCE2 --user platform" in str(raised.value)


async def test_keys_stored_with_the_vault_command_let_the_configured_broker_start(
    tmp_path: Path,
    binance: BinanceSimServer,
    alpaca: AlpacaSimServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ORDERGATE_MASTER_KEY", "ORDERGATE_MASTER_KEY_FILE", STORE_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    environ = {"ORDERGATE_DATA_DIR": str(tmp_path / "data")}
    for broker, key, secret in (
        ("BINANCE2", DEFAULT_API_KEY, DEFAULT_API_SECRET),
        ("ALPACA2", DEFAULT_KEY_ID, DEFAULT_SECRET_KEY),
    ):
        body = io.StringIO(f'{{"api_key": "{key}", "api_secret": "{secret}"}}')
        assert (
            # The operator's command runs its own event loop: off this test's loop.
            await asyncio.to_thread(
                vault_main, ["store", broker, "--user", PLATFORM_USER], environ, io.StringIO(), body
            )
            == 0
        )
    path = tmp_path / "brokers.toml"
    path.write_text(brokers_toml(binance, alpaca))
    platform = Platform(platform_settings(tmp_path, path))

    await platform.start()
    try:
        states = {b.name: b.state.value for b in platform.brokers}
    finally:
        await platform.stop()

    assert states["BINANCE2"] == "CONNECTED"
    assert states["ALPACA2"] == "CONNECTED"


def test_a_bad_brokers_file_stops_the_platform_before_it_opens_anything(tmp_path: Path) -> None:
    path = tmp_path / "brokers.toml"
    path.write_text('[[broker]]\nkind = "ccxt"\nname = "SIM"\nexchange = "binance"\n')

    with pytest.raises(BrokersFileError, match="simulated venue"):
        Platform(platform_settings(tmp_path, path))


async def test_an_order_routed_to_a_configured_fix_broker_fills(tmp_path: Path) -> None:
    exchange = SimFixExchange(
        default_instruments(), name="FIXBROKER", start_prices=default_start_prices(), seed=3
    )
    await exchange.start([acceptor_session("FIX.4.4", "BROKERX", "OGATE2")])
    path = tmp_path / "brokers.toml"
    path.write_text(
        '[[broker]]\nkind = "fix"\nname = "FIXBROKER"\nbegin_string = "FIX.4.4"\n'
        'sender_comp_id = "OGATE2"\ntarget_comp_id = "BROKERX"\n'
        f'endpoints = ["127.0.0.1:{exchange.port}"]\nsupports_mass_cancel = true\n'
    )
    platform = Platform(platform_settings(tmp_path, path))
    await platform.start()  # no username: the Logon carries no password, no credential needed
    try:
        transport = httpx.ASGITransport(app=create_app(platform))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {
                "client_order_id": "fix-1",
                "account": "DEMO",
                "symbol": "MSFT",
                "side": "BUY",
                "order_type": "MARKET",
                "quantity": "5",
                "time_in_force": "DAY",
                "venue": "FIXBROKER",
            }
            created = await client.post("/api/orders", json=body)
            filled = await until_status(client, created.json()["id"], "FILLED")
            sessions = (await client.get("/api/fix/sessions")).json()
    finally:
        await platform.stop()
        await exchange.stop()

    assert filled["filled_quantity"] == "5"
    assert "FIX.4.4:OGATE2->BROKERX" in str(sessions)


def test_serve_with_a_bad_brokers_file_exits_with_its_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "brokers.toml"
    path.write_text('[[broker]]\nkind = "ccxt"\nname = "X"\nexchange = "binance"\nsecret = "s"\n')

    status = main(["serve", "--brokers", str(path), "--data-dir", str(tmp_path / "data")])

    assert status == 2
    error = capsys.readouterr().err
    assert "broker[0] (X): secret:" in error
    assert "credential vault" in error


def test_serve_with_a_broker_whose_keys_are_not_stored_says_how_to_store_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ORDERGATE_FIX_SIM", "ORDERGATE_ALPACA_SIM", "ORDERGATE_BINANCE_SIM"):
        monkeypatch.setenv(name, "0")
    path = tmp_path / "brokers.toml"
    path.write_text(
        '[[broker]]\nkind = "ccxt"\nname = "KRAKEN"\nexchange = "kraken"\n'
        'credential_user = "desk-1"\n'
    )

    status = main(["serve", "--brokers", str(path), "--data-dir", str(tmp_path / "data")])

    assert status == 2
    error = capsys.readouterr().err
    assert "'KRAKEN'" in error
    assert "python -m ordergate.gateway.vault store KRAKEN --user desk-1" in error


def test_the_demo_banner_lists_the_configured_brokers(
    tmp_path: Path, binance: BinanceSimServer, alpaca: AlpacaSimServer
) -> None:
    path = tmp_path / "brokers.toml"
    path.write_text(brokers_toml(binance, alpaca))
    settings = platform_settings(tmp_path, path)

    banner = _banner("http://127.0.0.1:8000", settings, Platform(settings))

    assert 'BINANCE2 (ccxt broker of the brokers file; add "venue":"BINANCE2")' in banner
    assert "ALPACA2 (alpaca broker" in banner
