"""Scale-out: the platform publishes its log to JetStream, two feed gateways serve it.

Three real processes and a throwaway nats-server: ``ordergate serve`` with
``ORDERGATE_NATS_URL`` set, and two ``ordergate feed-gateway`` processes. Subscribers on
either gateway get exactly what the platform's own feed holds, in order, with no gap and no
duplicate, and one that leaves a gateway resumes on the other from its last position.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.feed.conftest import nats_server  # noqa: F401  (fixture)
from tests.integration.test_crash_safety import free_port, order_body
from tests.servers import NatsServer

pytestmark = pytest.mark.integration


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ordergate.cli", "--log-level", "warning", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def processes(tmp_path: Path, nats_server: NatsServer) -> Iterator[dict[str, str]]:  # noqa: F811
    """Start the platform and two feed gateways; return their base URLs."""
    env = {
        "ORDERGATE_NATS_URL": nats_server.url(),
        "ORDERGATE_FIX_SIM": "0",
        "ORDERGATE_ALPACA_SIM": "0",
        "ORDERGATE_BINANCE_SIM": "0",
    }
    ports = {name: free_port() for name in ("platform", "gw1", "gw2", "gw1-ws", "gw2-ws")}
    started = [
        _spawn(
            ["serve", "--data-dir", str(tmp_path), "--port", str(ports["platform"])],
            tmp_path / "platform.log",
            env,
        )
    ]
    for name in ("gw1", "gw2"):
        started.append(
            _spawn(
                [
                    *("feed-gateway", "--port", str(ports[name])),
                    *("--ws-port", str(ports[f"{name}-ws"]), "--buffer", "64"),
                ],
                tmp_path / f"{name}.log",
                env,
            )
        )
    try:
        yield {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        for process in started:
            _stop(process)
        for name in ("platform", "gw1", "gw2"):
            assert "Traceback" not in (tmp_path / f"{name}.log").read_text(), name


async def _ready(base: str, tmp_path: Path, name: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{base}") as client:
        for _ in range(400):
            try:
                if (await client.get("/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never ready: {(tmp_path / f'{name}.log').read_text()}")


@asynccontextmanager
async def _ws(base: str, query: str) -> AsyncIterator[websockets.ClientConnection]:
    async with websockets.connect(f"ws://{base}/ws/feed?{query}") as socket:
        yield socket


async def _events(socket: websockets.ClientConnection, n: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while len(got) < n:
            frame = json.loads(await socket.recv())
            if frame["type"] != "control":
                got.append(frame)
    return got


async def _place(client: httpx.AsyncClient, first: int, n: int, account: str) -> None:
    for k in range(first, first + n):
        body = order_body(k) | {"account": account, "client_order_id": f"gw-{account}-{k}"}
        response = await client.post("/api/orders", json=body)
        assert response.status_code in (200, 201), response.text


async def _accepted(client: httpx.AsyncClient, orders: int) -> None:
    """Wait until the venue has accepted ``orders`` orders (each is then 2 events)."""
    async with asyncio.timeout(20):
        while len(await _platform_feed(client, {"types": "OrderAccepted"})) < orders:
            await asyncio.sleep(0.02)


async def _platform_feed(client: httpx.AsyncClient, query: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/feed/events", params={"from": "0", "limit": "1000", **query})
    assert response.status_code == 200
    return list(response.json()["items"])


async def test_two_gateways_serve_exactly_the_platforms_feed_and_a_subscriber_moves_between_them(
    processes: dict[str, str], tmp_path: Path
) -> None:
    platform = processes["platform"]
    for name in ("platform", "gw1", "gw2"):
        await _ready(processes[name], tmp_path, name)
    async with httpx.AsyncClient(base_url=f"http://{platform}", timeout=30) as client:
        await _place(client, 0, 5, "ACC-A")
        await _place(client, 5, 5, "ACC-B")
        async with (
            _ws(processes["gw1-ws"], "from=0") as everything,
            _ws(processes["gw2-ws"], "from=0&account=ACC-B") as only_b,
            _ws(processes["gw1-ws"], "from=0&account=ACC-A") as mover,
        ):
            first_of_mover = await _events(mover, 3)
            await _place(client, 10, 5, "ACC-A")
            await _place(client, 15, 5, "ACC-B")
            await _accepted(client, 20)
            expected_all = await _platform_feed(client, {})
            expected_b = await _platform_feed(client, {"account": "ACC-B"})
            expected_a = await _platform_feed(client, {"account": "ACC-A"})
            got_all = await _events(everything, len(expected_all))
            got_b = await _events(only_b, len(expected_b))
        resume_from = first_of_mover[-1]["position"]
        async with _ws(processes["gw2-ws"], f"from={resume_from}&account=ACC-A") as resumed:
            rest_of_mover = await _events(resumed, len(expected_a) - 3)

    assert len(expected_all) == 40  # 20 resting orders: submitted and accepted each
    assert got_all == expected_all
    assert got_b == expected_b
    assert {e["account"] for e in got_b} == {"ACC-B"}
    assert first_of_mover + rest_of_mover == expected_a
