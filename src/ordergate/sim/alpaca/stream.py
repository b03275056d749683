"""The trade updates stream (``/stream``): Alpaca's WebSocket protocol, served by the simulator.

Protocol, as alpaca-py's ``TradingStream`` speaks it (JSON; the paper endpoint sends binary
frames, and so does the simulator):

1. the client sends ``{"action": "authenticate", "data": {"key_id": ..., "secret_key":
   ...}}`` (the newer ``{"action": "auth", "key": ..., "secret": ...}`` works too); the
   server answers ``{"stream": "authorization", "data": {"action": "authenticate",
   "status": "authorized"}}``, or ``"unauthorized"`` and closes the connection;
2. the client sends ``{"action": "listen", "data": {"streams": ["trade_updates"]}}``; the
   server answers ``{"stream": "listening", "data": {"streams": ["trade_updates"]}}``;
3. from then on every trade update arrives as ``{"stream": "trade_updates", "data": {...}}``.

:class:`StreamHub` fans encoded messages out to every listening connection through one
queue each, so a slow client never holds up the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

import msgspec
from starlette.websockets import WebSocket, WebSocketDisconnect

from ordergate.sim.alpaca.auth import Credentials
from ordergate.sim.alpaca.schemas import TradeUpdateJson

__all__ = ["StreamHub", "serve_stream"]

_TRADE_UPDATES = "trade_updates"


class _Action(msgspec.Struct, frozen=True):
    action: str
    data: dict[str, Any] | None = None
    key: str | None = None
    secret: str | None = None


class _Message(msgspec.Struct, frozen=True):
    stream: str
    data: Any


class StreamHub:
    """Every listening stream connection, and the trade updates they are owed."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[bytes | None]] = set()
        self._closed = False

    @property
    def listeners(self) -> int:
        """Return how many connections listen to trade updates."""
        return len(self._queues)

    def publish(self, events: Iterable[TradeUpdateJson]) -> None:
        """Send each event to every listening connection, in order."""
        for event in events:
            frame = msgspec.json.encode(_Message(_TRADE_UPDATES, event))
            for queue in self._queues:
                queue.put_nowait(frame)

    def disconnect_all(self) -> None:
        """End every current connection (after what it was already sent); accept new ones."""
        for queue in self._queues:
            queue.put_nowait(None)

    def close(self) -> None:
        """End every connection (after what it was already sent) and refuse new ones."""
        self._closed = True
        for queue in self._queues:
            queue.put_nowait(None)

    def subscribe(self) -> asyncio.Queue[bytes | None]:
        """Return a new listener's queue; ``None`` on it means the connection is to end."""
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        if self._closed:
            queue.put_nowait(None)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[bytes | None]) -> None:
        """Forget a listener's queue."""
        self._queues.discard(queue)


async def serve_stream(websocket: WebSocket, hub: StreamHub, credentials: Credentials) -> None:
    """Run one ``/stream`` connection: authenticate, listen, then relay trade updates."""
    await websocket.accept()
    try:
        if not await _authenticate(websocket, credentials):
            return
        await _wait_for_listen(websocket)
        queue = hub.subscribe()
        reader = asyncio.create_task(_read_until_closed(websocket, queue))
        try:
            while (frame := await queue.get()) is not None:
                await websocket.send_bytes(frame)
        finally:
            hub.unsubscribe(queue)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        await websocket.close()
    except (WebSocketDisconnect, OSError):
        return  # the client went away; nothing is owed to it


async def _receive_action(websocket: WebSocket) -> _Action | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    raw = message.get("bytes") or message.get("text") or ""
    try:
        return msgspec.json.decode(raw, type=_Action)
    except (msgspec.DecodeError, msgspec.ValidationError):
        await _send(websocket, "error", {"error_message": "invalid syntax"})
        return None


async def _authenticate(websocket: WebSocket, credentials: Credentials) -> bool:
    while True:
        action = await _receive_action(websocket)
        if action is None:
            continue
        if action.action not in ("authenticate", "auth"):
            await _send(
                websocket, "authorization", {"action": action.action, "status": "unauthorized"}
            )
            await websocket.close(code=1008)
            return False
        data = action.data or {}
        key = data.get("key_id", action.key)
        secret = data.get("secret_key", action.secret)
        ok = credentials.authorized(
            key if isinstance(key, str) else None, secret if isinstance(secret, str) else None
        )
        status = "authorized" if ok else "unauthorized"
        await _send(websocket, "authorization", {"action": "authenticate", "status": status})
        if not ok:
            await websocket.close(code=1008)
        return ok


async def _wait_for_listen(websocket: WebSocket) -> None:
    while True:
        action = await _receive_action(websocket)
        if action is None or action.action != "listen":
            continue
        streams = (action.data or {}).get("streams")
        if isinstance(streams, list) and _TRADE_UPDATES in streams:
            await _send(websocket, "listening", {"streams": [_TRADE_UPDATES]})
            return
        await _send(websocket, "listening", {"streams": []})


async def _read_until_closed(websocket: WebSocket, queue: asyncio.Queue[bytes | None]) -> None:
    # Nothing the client says after listening changes what it gets; only its leaving does.
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    queue.put_nowait(None)


async def _send(websocket: WebSocket, stream: str, data: dict[str, Any]) -> None:
    await websocket.send_bytes(msgspec.json.encode(_Message(stream, data)))
