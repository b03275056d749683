"""The simulated Binance's WebSocket endpoints: market streams, user data, WebSocket API.

- ``/ws/<listenKey>``: the user data stream of a listen key, raw events.
- ``/ws/<stream>[/<stream>...]`` and ``/ws``: market streams, raw payloads; more by
  ``{"method": "SUBSCRIBE", "params": [...], "id": n}`` (answered ``{"result": null, "id": n}``).
- ``/stream?streams=a/b``: market streams wrapped as ``{"stream": name, "data": {...}}``.
- ``/ws-api/v3``: the WebSocket API: ``ping``, ``time``, ``userDataStream.subscribe.signature``
  (then ``{"subscriptionId": n, "event": {...}}`` for every user data event) and
  ``userDataStream.unsubscribe``. Answers are ``{"id", "status", "result"}`` or
  ``{"id", "status", "error": {"code", "msg"}}``.

Each connection has one outgoing queue drained by one sender task, so frames go out in the
order they were published and publishing never waits on a slow socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable

import msgspec
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ordergate.sim.binance.errors import ApiError
from ordergate.sim.binance.signing import check_ws_signed
from ordergate.sim.binance.state import BinanceSim
from ordergate.sim.binance.streams import parse_stream_name

__all__ = ["websocket_routes"]

_INVALID_REQUEST = {"code": 2, "msg": "Invalid request"}


def _api_error(request_id: object, status: int, code: int, msg: str) -> dict[str, object]:
    return {"id": request_id, "status": status, "error": {"code": code, "msg": msg}}


class _Connection:
    """One accepted WebSocket: an outgoing queue and the task that sends it."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_all())

    def send(self, frame: bytes) -> None:
        self.outgoing.put_nowait(frame)

    def send_json(self, message: object) -> None:
        self.outgoing.put_nowait(msgspec.json.encode(message))

    async def _send_all(self) -> None:
        while True:
            frame = await self.outgoing.get()
            await self.websocket.send_text(frame.decode())

    async def close(self) -> None:
        self._sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._sender


async def _receive_all(connection: _Connection, handle: Callable[[object], None]) -> None:
    """Pass every JSON message the client sends to ``handle`` until it goes away."""
    try:
        while True:
            text = await connection.websocket.receive_text()
            try:
                message = msgspec.json.decode(text)
            except msgspec.DecodeError:
                connection.send_json({"error": {"code": 3, "msg": "Invalid JSON"}})
                continue
            handle(message)
    except (WebSocketDisconnect, RuntimeError):
        return


def _market_handler(
    sim: BinanceSim, connection: _Connection, combined: bool
) -> Callable[..., None]:
    def sink(name: str, frame: bytes) -> None:
        if combined:
            connection.send(b'{"stream":"' + name.encode() + b'","data":' + frame + b"}")
        else:
            connection.send(frame)

    def handle(message: object) -> None:
        if not isinstance(message, dict):
            return
        method, names, request_id = message.get("method"), message.get("params"), message.get("id")
        if method in ("SUBSCRIBE", "UNSUBSCRIBE") and isinstance(names, list):
            for name in names:
                if not isinstance(name, str) or _parse(sim, name) is None:
                    connection.send_json({"error": _INVALID_REQUEST, "id": request_id})
                    return
            for name in names:
                if method == "SUBSCRIBE":
                    sim.market_streams.subscribe(name, sink)
                else:
                    sim.market_streams.unsubscribe(name, sink)
            connection.send_json({"result": None, "id": request_id})
        else:
            connection.send_json({"error": _INVALID_REQUEST, "id": request_id})

    handle.sink = sink  # type: ignore[attr-defined]
    return handle


def _parse(sim: BinanceSim, name: str) -> tuple[str, str] | None:
    return parse_stream_name(name, sim.exchange.symbols)


def websocket_routes(sim: BinanceSim) -> list[WebSocketRoute]:
    """Return the WebSocket routes of the simulated Binance."""
    subscription_ids = itertools.count()

    async def market(websocket: WebSocket, names: list[str], combined: bool) -> None:
        # Like Binance, a path segment that names no stream (ccxt puts a connection number
        # there: /ws/0) subscribes to nothing; SUBSCRIBE adds streams later.
        names = [n for n in names if _parse(sim, n) is not None]
        await websocket.accept()
        connection = _Connection(websocket)
        handle = _market_handler(sim, connection, combined)
        sink = handle.sink  # type: ignore[attr-defined]
        for name in names:
            sim.market_streams.subscribe(name, sink)
        try:
            await _receive_all(connection, handle)
        finally:
            sim.market_streams.unsubscribe_all(sink)
            await connection.close()

    async def raw(websocket: WebSocket) -> None:
        path = websocket.path_params.get("path", "")
        if path in sim.user_streams.listen_keys:
            await websocket.accept()
            connection = _Connection(websocket)
            sim.user_streams.subscribe(connection.send)
            try:
                await _receive_all(connection, lambda message: None)
            finally:
                sim.user_streams.unsubscribe(connection.send)
                await connection.close()
            return
        await market(websocket, [n for n in path.split("/") if n], combined=False)

    async def bare(websocket: WebSocket) -> None:
        await market(websocket, [], combined=False)

    async def combined(websocket: WebSocket) -> None:
        names = [n for n in websocket.query_params.get("streams", "").split("/") if n]
        await market(websocket, names, combined=True)

    async def ws_api(websocket: WebSocket) -> None:
        await websocket.accept()
        connection = _Connection(websocket)
        sinks: dict[int, Callable[[bytes], None]] = {}

        def handle(message: object) -> None:
            if not isinstance(message, dict):
                return
            request_id = message.get("id")
            method = message.get("method")
            params = message.get("params") or {}
            try:
                if method == "ping":
                    result: object = {}
                elif method == "time":
                    result = {"serverTime": sim.now_ms()}
                elif method == "userDataStream.subscribe.signature" and isinstance(params, dict):
                    check_ws_signed(params, sim.credentials, sim.now_ms())
                    number = next(subscription_ids)
                    prefix = b'{"subscriptionId":' + str(number).encode() + b',"event":'
                    sinks[number] = lambda frame: connection.send(prefix + frame + b"}")
                    result = {"subscriptionId": number}
                elif method == "userDataStream.unsubscribe":
                    for sink in sinks.values():
                        sim.user_streams.unsubscribe(sink)
                    sinks.clear()
                    result = {}
                else:
                    connection.send_json(
                        {
                            "id": request_id,
                            "status": 400,
                            "error": {"code": -1000, "msg": "Unknown method."},
                        }
                    )
                    return
            except ApiError as e:
                connection.send_json(
                    {
                        "id": request_id,
                        "status": e.status,
                        "error": {"code": int(e.code), "msg": e.msg},
                    }
                )
                return
            connection.send_json({"id": request_id, "status": 200, "result": result})
            # Events flow only after the answer that announced the subscription.
            for sink in sinks.values():
                sim.user_streams.subscribe(sink)

        try:
            await _receive_all(connection, handle)
        finally:
            for sink in sinks.values():
                sim.user_streams.unsubscribe(sink)
            await connection.close()

    return [
        WebSocketRoute("/ws-api/v3", ws_api),
        WebSocketRoute("/stream", combined),
        WebSocketRoute("/ws", bare),
        WebSocketRoute("/ws/{path:path}", raw),
    ]
