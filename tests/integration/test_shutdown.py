"""Ctrl+C on the real server while a client holds an execution feed stream open.

The feed's SSE stream never ends by itself; the server must still stop: the stream is
ended (after what it had queued) as soon as the server is asked to exit, the platform
shuts down, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from tests.integration.test_crash_safety import free_port, start_server, wait_ready

pytestmark = pytest.mark.integration


async def test_sigint_with_an_open_feed_stream_ends_the_stream_and_the_server(
    tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, port)
    try:
        await wait_ready(url, server, tmp_path / "server.log")
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as client,
            client.stream("GET", "/api/feed/sse", params={"from": "0"}) as stream,
        ):
            lines = stream.aiter_lines()
            assert (await anext(lines)).startswith("retry:")  # the stream is open

            server.send_signal(signal.SIGINT)
            rest = [line async for line in lines]  # ends: the server closed the stream

        exit_code = await asyncio.to_thread(server.wait, 30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert all(not line.startswith("data:") for line in rest)  # nothing was appended
    assert exit_code == 0
    assert "Traceback" not in (tmp_path / "server.log").read_text()
