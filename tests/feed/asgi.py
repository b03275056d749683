"""Drive an ASGI app's streaming routes in-process, on the test's own event loop.

starlette's TestClient runs the app on another thread's loop (the OMS and its hub live on
the test's loop) and httpx's ASGI transport waits for a response to end (an SSE stream does
not), so these small drivers speak ASGI directly: no sockets, no threads.
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message

_TIMEOUT = 5


def _scope(kind: str, url: str, headers: dict[str, str]) -> dict[str, Any]:
    parts = urlsplit(url)
    scope: dict[str, Any] = {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": "http" if kind == "http" else "ws",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", b"test")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    if kind == "http":
        scope["method"] = "GET"
    else:
        scope["subprotocols"] = []
    return scope


class SseStream:
    """One Server-Sent Events response; read events with :meth:`next_event`."""

    def __init__(self, app: ASGIApp, url: str, headers: dict[str, str] | None = None) -> None:
        self._app = app
        self._scope = _scope("http", url, headers or {})
        self._incoming: asyncio.Queue[Message] = asyncio.Queue()
        self._sent: asyncio.Queue[Message] = asyncio.Queue()
        self._buffer = b""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SseStream:
        self._incoming.put_nowait({"type": "http.request", "body": b"", "more_body": False})
        self._task = asyncio.ensure_future(
            self._app(self._scope, self._incoming.get, self._sent.put)  # type: ignore[arg-type]
        )
        async with asyncio.timeout(_TIMEOUT):
            start = await self._sent.get()
        assert start["type"] == "http.response.start"
        self.status = start["status"]
        self.headers = {k.decode(): v.decode() for k, v in start["headers"]}
        return self

    async def next_event(self) -> dict[str, str]:
        """Return the next event's fields (``id``, ``event``, ``data``); comments skipped."""
        async with asyncio.timeout(_TIMEOUT):
            while True:
                while b"\n\n" in self._buffer:
                    block, self._buffer = self._buffer.split(b"\n\n", 1)
                    fields: dict[str, str] = {}
                    for line in block.decode().split("\n"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                    if "data" in fields:
                        return fields
                message = await self._sent.get()
                assert message["type"] == "http.response.body"
                self._buffer += message.get("body", b"")
                if not message.get("more_body", False):
                    raise EOFError("the stream ended")

    async def next_json(self) -> tuple[dict[str, str], Any]:
        """Return the next event's fields and its decoded data."""
        fields = await self.next_event()
        return fields, json.loads(fields["data"])

    async def read_all(self) -> bytes:
        """Read a response that ends (e.g. an error) and return its body."""
        async with asyncio.timeout(_TIMEOUT):
            while True:
                message = await self._sent.get()
                self.body += message.get("body", b"")
                if not message.get("more_body", False):
                    return self.body

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._incoming.put_nowait({"type": "http.disconnect"})
        assert self._task is not None
        async with asyncio.timeout(_TIMEOUT):
            await self._task


class WebSocketSession:
    """One WebSocket connection; read frames with :meth:`receive_json`."""

    def __init__(self, app: ASGIApp, url: str) -> None:
        self._app = app
        self._scope = _scope("websocket", url, {})
        self._incoming: asyncio.Queue[Message] = asyncio.Queue()
        self._sent: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.close_code: int | None = None

    async def __aenter__(self) -> WebSocketSession:
        self._incoming.put_nowait({"type": "websocket.connect"})
        self._task = asyncio.ensure_future(
            self._app(self._scope, self._incoming.get, self._sent.put)  # type: ignore[arg-type]
        )
        async with asyncio.timeout(_TIMEOUT):
            accepted = await self._sent.get()
        assert accepted["type"] == "websocket.accept", accepted
        return self

    async def receive_json(self) -> Any:
        """Return the next text frame, decoded.

        Raises
        ------
        ConnectionError
            If the server closed the socket instead (``close_code`` says how).
        """
        async with asyncio.timeout(_TIMEOUT):
            message = await self._sent.get()
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise ConnectionError(f"closed with {self.close_code}")
        assert message["type"] == "websocket.send"
        return json.loads(message["text"])

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
        assert self._task is not None
        async with asyncio.timeout(_TIMEOUT):
            await self._task
