"""The execution feed over HTTP: polling (REST), Server-Sent Events and WebSocket.

Every route takes the same query parameters:

- ``from``: deliver the events after this log position (a non-negative integer). For the
  polling route it defaults to 0 (the start of the log); for the streams, to the current
  head (live events only). On SSE the ``Last-Event-ID`` header, sent by a reconnecting
  ``EventSource``, wins over ``from``.
- ``account``, ``portfolio``, ``strategy``, ``symbol``, ``venue``, ``types``: filters, each
  comma-separated or repeated; empty means all.

Every event frame carries its ``position``; control frames (``catching_up``, ``live``) carry
the position the subscriber has reached. Bad parameters get 422 with the API's error body
(on the WebSocket: that body as a frame, then close code 1008).

Access: every route turns the caller's token (``Authorization: Bearer <token>``, or
``?token=`` where a browser's ``EventSource`` or WebSocket cannot set headers) into a
principal and narrows the filter to the accounts it is entitled to: no token or an unknown
one gets 401, a filter naming an account it may not see 403 (on the WebSocket: close code
1008 after the error frame).

Idle streams are kept open: SSE sends a comment line every ``heartbeat`` seconds without an
event (proxies and load balancers close silent connections); the WebSocket server pings.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping

import msgspec
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import QueryParams

from ordergate.api.errors import ApiError
from ordergate.api.orders import json_response
from ordergate.feed import Control, FeedEvent, FeedFilter, FilterError, parse_filter
from ordergate.feed.access import ANYONE, AccessDenied, Authenticate, Principal
from ordergate.feed.auth import request_token
from ordergate.feed.metrics import FeedMetrics, SubscriberStats
from ordergate.feed.source import FeedSource, FeedStream

__all__ = ["feed_router"]

_MAX_LIMIT = 1000
_DEFAULT_LIMIT = 100
_POSITION = re.compile(r"[0-9]{1,18}")
_encoder = msgspec.json.Encoder()


async def open_access(token: str | None) -> Principal:
    """Let everyone see every account (the embedded default on a trusted host)."""
    return ANYONE


async def principal_of(
    authenticate: Authenticate, headers: Mapping[str, str], params: QueryParams
) -> Principal:
    """Return the caller's principal.

    Raises
    ------
    ApiError
        (401) Without a valid token where one is needed; (403) never here.
    """
    try:
        return await authenticate(request_token(headers, params))
    except AccessDenied as e:
        code = "UNAUTHENTICATED" if e.status == 401 else "FORBIDDEN"
        raise ApiError(e.status, code, e.message) from None


def restricted(principal: Principal, filter: FeedFilter) -> FeedFilter:
    """Return ``filter`` narrowed to ``principal``'s accounts (403 if it names others)."""
    try:
        return principal.restrict(filter)
    except AccessDenied as e:
        raise ApiError(e.status, "FORBIDDEN", e.message, "account") from None


class _Frames:
    """Each event's JSON encoded once per process, however many subscribers it goes to."""

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._encoded: OrderedDict[int, tuple[bytes, str]] = OrderedDict()

    def _frame(self, item: FeedEvent | Control) -> tuple[bytes, str]:
        if isinstance(item, Control):
            data = _encoder.encode(item.to_json())
            return data, data.decode()
        frame = self._encoded.get(item.position)
        if frame is None:
            data = _encoder.encode(item.to_json())
            frame = self._encoded[item.position] = (data, data.decode())
            if len(self._encoded) > self._size:
                self._encoded.popitem(last=False)
        return frame

    def encode(self, item: FeedEvent | Control) -> bytes:
        """Return the item's JSON as bytes (for SSE)."""
        return self._frame(item)[0]

    def text(self, item: FeedEvent | Control) -> str:
        """Return the item's JSON as text (for WebSocket text frames)."""
        return self._frame(item)[1]


def _position(raw: str, field: str) -> int:
    if not _POSITION.fullmatch(raw):
        raise ApiError(
            422, "INVALID_POSITION", f"{field} must be a non-negative integer, not {raw!r}", field
        )
    return int(raw)


def limit_param(raw: str | None) -> int:
    """Return a page size from the ``limit`` query parameter (422 unless 1 to 1000)."""
    if raw is None:
        return _DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= _MAX_LIMIT:
        raise ApiError(
            422, "INVALID_LIMIT", f"limit must be 1 to {_MAX_LIMIT}, not {raw[:20]!r}", "limit"
        )
    return int(raw)


def request_filter(params: QueryParams) -> FeedFilter:
    """Return the filter of a request's query parameters (422 if one is bad)."""

    def values(name: str) -> list[str] | None:
        given = params.getlist(name)
        return given or None

    try:
        return parse_filter(
            accounts=values("account"),
            portfolios=values("portfolio"),
            strategies=values("strategy"),
            symbols=values("symbol"),
            venues=values("venue"),
            types=values("types"),
        )
    except FilterError as e:
        code = "UNKNOWN_EVENT_TYPE" if e.field == "types" else "INVALID_FILTER"
        raise ApiError(422, code, e.message, e.field) from None


async def stream_start(feed: FeedSource, params: QueryParams, headers: Mapping[str, str]) -> int:
    """Return where a stream starts: ``Last-Event-ID``, else ``from``, else the head."""
    last_event_id = headers.get("last-event-id")
    if last_event_id:
        return _position(last_event_id, "Last-Event-ID")
    raw = params.get("from")
    if raw is not None:
        return _position(raw, "from")
    return await feed.head()


async def subscriber_request(
    authenticate: Authenticate, headers: Mapping[str, str], params: QueryParams
) -> tuple[Principal, FeedFilter]:
    """Return the caller's principal and its filter, narrowed to what it may see.

    Raises
    ------
    ApiError
        401 without valid credentials, 403 for a non-entitled account, 422 for a bad filter.
    """
    principal = await principal_of(authenticate, headers, params)
    return principal, restricted(principal, request_filter(params))


def _sse(item: FeedEvent | Control, data: bytes) -> bytes:
    if isinstance(item, Control):
        return b"id: %d\nevent: control\ndata: %s\n\n" % (item.position, data)
    return b"id: %d\ndata: %s\n\n" % (item.position, data)


async def _with_heartbeats(
    stream: FeedStream, interval: float
) -> AsyncIterator[FeedEvent | Control | None]:
    """Yield the stream's items, and None after every ``interval`` seconds without one."""
    pending: asyncio.Future[FeedEvent | Control] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(stream))
            done, _ = await asyncio.wait({pending}, timeout=interval)
            if not done:
                yield None
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield item
    finally:
        if pending is not None:  # the stream's step must end before the stream is closed
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)


def feed_router(
    feed: FeedSource,
    *,
    authenticate: Authenticate = open_access,
    metrics: FeedMetrics | None = None,
    heartbeat: float = 15.0,
    serve_websocket: bool = True,
) -> APIRouter:
    """Return the feed routes over ``feed``.

    Parameters
    ----------
    feed
        The feed to serve: the platform's (log and hub) or a feed gateway's (JetStream).
    authenticate
        Turns a caller's token into a principal (default: everyone sees everything).
    metrics
        Where subscribers are counted (a new set by default).
    heartbeat
        Seconds of silence after which an SSE stream gets a comment line.
    serve_websocket
        Whether to serve ``/ws/feed`` here (a feed gateway serves it from its fan-out
        server instead, see :mod:`ordergate.api.fanout`).
    """
    frames = _Frames()
    metrics = metrics or FeedMetrics()
    router = APIRouter(tags=["feed"])

    async def caller(
        headers: Mapping[str, str], params: QueryParams
    ) -> tuple[Principal, FeedFilter]:
        return await subscriber_request(authenticate, headers, params)

    @router.get("/api/feed/events")
    async def events(request: Request) -> Response:
        """Return up to ``limit`` matching events after ``from``, and the next ``from``.

        ``next_from`` is the last position examined; it moves forward even when a narrow
        filter matched nothing in the part of the log read.
        """
        params = request.query_params
        _, chosen = await caller(request.headers, params)
        raw = params.get("from")
        after = 0 if raw is None else _position(raw, "from")
        limit = limit_param(params.get("limit"))
        page = await feed.read(chosen, after, limit)
        return json_response(
            {"items": [e.to_json() for e in page.items], "next_from": page.next_from}
        )

    @router.get("/metrics", tags=["operations"])
    async def prometheus() -> Response:
        """Return the feed's metrics in the Prometheus text format."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/api/feed/subscribers")
    async def subscribers(request: Request) -> Response:
        """Return every connected subscriber of this process: position, lag, delivered.

        ``lag_events`` is the feed's newest position minus the subscriber's; ``lag_seconds``
        the age of the last event it was sent while it is behind (0 when caught up).
        Only a principal entitled to every account may list them.
        """
        principal = await principal_of(authenticate, request.headers, request.query_params)
        if principal.accounts is not None:
            raise ApiError(403, "FORBIDDEN", f"{principal.name} may not list subscribers")
        return json_response({"items": metrics.status(await feed.head())})

    @router.get("/api/feed/sse")
    async def sse(request: Request) -> Response:
        """Stream matching events as Server-Sent Events (``id:`` is the event's position).

        Control messages are sent as the named event ``control``.
        """
        principal, chosen = await caller(request.headers, request.query_params)
        after = await stream_start(feed, request.query_params, request.headers)
        subscription = feed.subscribe(chosen, after)

        async def body() -> AsyncIterator[bytes]:
            stats = metrics.connect("sse", principal.name, chosen, after)
            try:
                async with subscription:
                    yield b"retry: 1000\n\n"
                    async for item in _with_heartbeats(subscription, heartbeat):
                        if item is None:
                            yield b": keepalive\n\n"
                            continue
                        yield _sse(item, frames.encode(item))
                        stats.sent(item)
            finally:
                metrics.disconnect(stats)

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    if not serve_websocket:
        return router

    @router.websocket("/ws/feed")
    async def ws_feed(websocket: WebSocket) -> None:
        """Push matching events as JSON frames, then live ones, until the client leaves."""
        await websocket.accept()
        try:
            principal, chosen = await caller(websocket.headers, websocket.query_params)
            after = await stream_start(feed, websocket.query_params, {})
        except ApiError as e:
            await websocket.send_text(_encoder.encode(e.body()).decode())
            await websocket.close(code=1008)
            return
        stats = metrics.connect("websocket", principal.name, chosen, after)
        try:
            await _serve_websocket(websocket, feed.subscribe(chosen, after), frames, stats)
        finally:
            metrics.disconnect(stats)

    return router


async def _serve_websocket(
    websocket: WebSocket, subscription: FeedStream, frames: _Frames, stats: SubscriberStats
) -> None:
    async def pump() -> None:
        async with subscription:
            async for item in subscription:
                await websocket.send_text(frames.text(item))
                stats.sent(item)

    async def watch() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            continue  # the feed takes no messages from the client

    tasks = {asyncio.create_task(pump()), asyncio.create_task(watch())}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception) and not isinstance(
            result, WebSocketDisconnect | RuntimeError | OSError
        ):
            raise result
