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
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import msgspec
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import QueryParams

from ordergate.api.errors import ApiError
from ordergate.api.orders import json_response
from ordergate.feed import Control, Feed, FeedEvent, FeedFilter, FilterError, parse_filter
from ordergate.oms.service import OrderManager

__all__ = ["feed_router"]

_MAX_LIMIT = 1000
_DEFAULT_LIMIT = 100
_POSITION = re.compile(r"[0-9]{1,18}")
_encoder = msgspec.json.Encoder()


def _position(raw: str, field: str) -> int:
    if not _POSITION.fullmatch(raw):
        raise ApiError(
            422, "INVALID_POSITION", f"{field} must be a non-negative integer, not {raw!r}", field
        )
    return int(raw)


def _limit(raw: str | None) -> int:
    if raw is None:
        return _DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= _MAX_LIMIT:
        raise ApiError(
            422, "INVALID_LIMIT", f"limit must be 1 to {_MAX_LIMIT}, not {raw!r}", "limit"
        )
    return int(raw)


def _filter(params: QueryParams) -> FeedFilter:
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


async def _stream_start(feed: Feed, params: QueryParams, headers: Mapping[str, str]) -> int:
    last_event_id = headers.get("last-event-id")
    if last_event_id:
        return _position(last_event_id, "Last-Event-ID")
    raw = params.get("from")
    if raw is not None:
        return _position(raw, "from")
    return await feed.head()


def _frame(item: FeedEvent | Control) -> dict[str, Any]:
    return item.to_json()


def _sse(item: FeedEvent | Control) -> bytes:
    data = _encoder.encode(_frame(item))
    if isinstance(item, Control):
        return b"id: %d\nevent: control\ndata: %s\n\n" % (item.position, data)
    return b"id: %d\ndata: %s\n\n" % (item.position, data)


def feed_router(source: Feed | OrderManager) -> APIRouter:
    """Return the feed routes over ``source`` (a :class:`Feed`, or the OMS to build one of).

    Parameters
    ----------
    source
        The feed to serve; given the OMS, a :class:`Feed` over its store and hub is made.
    """
    feed = source if isinstance(source, Feed) else Feed(source.store, source.hub)
    router = APIRouter(tags=["feed"])

    @router.get("/api/feed/events")
    async def events(request: Request) -> Response:
        """Return up to ``limit`` matching events after ``from``, and the next ``from``.

        ``next_from`` is the last position examined; it moves forward even when a narrow
        filter matched nothing in the part of the log read.
        """
        params = request.query_params
        raw = params.get("from")
        after = 0 if raw is None else _position(raw, "from")
        limit = _limit(params.get("limit"))
        page = await feed.read(_filter(params), after, limit)
        return json_response(
            {"items": [_frame(e) for e in page.items], "next_from": page.next_from}
        )

    @router.get("/api/feed/sse")
    async def sse(request: Request) -> Response:
        """Stream matching events as Server-Sent Events (``id:`` is the event's position).

        Control messages are sent as the named event ``control``.
        """
        chosen = _filter(request.query_params)
        after = await _stream_start(feed, request.query_params, request.headers)
        subscription = feed.subscribe(chosen, after)

        async def body() -> AsyncIterator[bytes]:
            async with subscription:
                yield b"retry: 1000\n\n"
                async for item in subscription:
                    yield _sse(item)

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.websocket("/ws/feed")
    async def ws_feed(websocket: WebSocket) -> None:
        """Push matching events as JSON frames, then live ones, until the client leaves."""
        await websocket.accept()
        try:
            chosen = _filter(websocket.query_params)
            after = await _stream_start(feed, websocket.query_params, {})
        except ApiError as e:
            await websocket.send_text(_encoder.encode(e.body()).decode())
            await websocket.close(code=1008)
            return
        await _serve_websocket(websocket, feed, chosen, after)

    return router


async def _serve_websocket(
    websocket: WebSocket, feed: Feed, chosen: FeedFilter, after: int
) -> None:
    async def pump() -> None:
        async with feed.subscribe(chosen, after) as subscription:
            async for item in subscription:
                await websocket.send_text(_encoder.encode(_frame(item)).decode())

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
