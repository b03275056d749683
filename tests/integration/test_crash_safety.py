"""Crash safety: SIGKILL the real server mid-stream; every acknowledged order survives intact.

The server runs as a separate process on a free port with its own data directory. Clients
submit orders concurrently; the process is killed with SIGKILL while requests are in flight,
restarted on the same data, and checked: every order whose POST returned 201 is there with
all its events, no client order id appears twice, and the hash chain verifies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    with (data_dir / "server.log").open("ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ordergate.cli",
                "--log-level",
                "warning",
                "serve",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


async def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(400):
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()}")
            try:
                if (await client.get("/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("server did not become ready")


def order_body(n: int) -> dict[str, str]:
    return {
        "client_order_id": f"crash-{n}",
        "account": "CRASH",
        "symbol": "AAPL",
        "side": "BUY" if n % 2 else "SELL",
        "order_type": "LIMIT",
        "quantity": "1",
        "price": "150.00" if n % 2 else "250.00",  # far from the market: they rest
        "time_in_force": "GTC",
    }


async def test_sigkill_mid_stream_loses_no_acknowledged_order(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server(tmp_path, port)
    acknowledged: dict[str, str] = {}
    try:
        await wait_ready(url, process, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            counter = iter(range(100_000))

            async def submitter() -> None:
                while True:
                    n = next(counter)
                    try:
                        response = await client.post("/api/orders", json=order_body(n))
                    except httpx.TransportError:
                        return  # the server is gone
                    if response.status_code == 201:
                        acknowledged[f"crash-{n}"] = response.json()["id"]

            workers = [asyncio.create_task(submitter()) for _ in range(16)]
            while len(acknowledged) < 300:
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGKILL)  # requests are in flight right now
            await asyncio.gather(*workers)
    finally:
        process.kill()
        process.wait()

    restarted = start_server(tmp_path, port)
    try:
        await wait_ready(url, restarted, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            listed: list[dict[str, object]] = []
            cursor = None
            while True:
                params = {
                    "account": "CRASH",
                    "limit": 1000,
                    **({"cursor": cursor} if cursor else {}),
                }
                page = (await client.get("/api/orders", params=params)).json()
                listed += page["items"]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            for client_order_id, order_id in list(acknowledged.items())[::15]:
                events = (await client.get(f"/api/orders/{order_id}/events")).json()["items"]
                assert events[0]["type"] == "OrderSubmitted"
                assert events[0]["data"]["client_order_id"] == client_order_id
                assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)

    by_client_id = {str(o["client_order_id"]): str(o["id"]) for o in listed}
    assert len(by_client_id) == len(listed)  # no client order id twice
    for client_order_id, order_id in acknowledged.items():
        assert by_client_id.get(client_order_id) == order_id
    verify = subprocess.run(
        [sys.executable, "-m", "ordergate.cli", "events", "verify", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "hash chain intact" in verify.stdout
