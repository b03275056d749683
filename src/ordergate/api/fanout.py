"""The feed gateway's WebSocket server: ``/ws/feed`` pushed by the fan-out dispatcher.

Same query parameters, access control, frames and close codes as the platform's
``/ws/feed`` (:mod:`ordergate.api.feed`), on a listener of its own: the handshake, pings
and the closing handshake are the ``websockets`` library's, the event frames are written
by :class:`~ordergate.feed.fanout.Fanout` (built once per event, written to each socket as
they are). No compression is negotiated, so a frame is the same bytes for every socket.

Close codes: 1008 after the error frame of a refused subscriber, 1011 when delivery cannot
go on (the stream no longer holds the resume position), 1001 when the feed stops (the hub
closed, or the server is stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
from http import HTTPStatus

import msgspec
from starlette.datastructures import QueryParams
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.protocol import State

from ordergate.api.errors import ApiError
from ordergate.api.feed import stream_start, subscriber_request
from ordergate.feed.access import Authenticate
from ordergate.feed.fanout import Fanout
from ordergate.feed.metrics import FeedMetrics

__all__ = ["ConnectionSink", "FanoutServer", "start_fanout_server"]

_PATH = "/ws/feed"
_POLICY_VIOLATION = 1008
_INTERNAL_ERROR = 1011
_REASON_BYTES = 123  # a close frame's payload is at most 125 bytes, 2 of them the code


def _close_reason(reason: str) -> str:
    # Cut by bytes, not characters, and never inside a character: a longer reason would
    # make the close frame itself invalid (and the connection would not be closed).
    return reason.encode()[:_REASON_BYTES].decode(errors="ignore")


class ConnectionSink:
    """A WebSocket connection as a fan-out sink (frames written to its transport)."""

    def __init__(self, connection: ServerConnection) -> None:
        self._connection = connection
        self._transport = connection.transport
        self._closing: asyncio.Future[None] | None = None

    def is_open(self) -> bool:
        """Return whether the connection is open (frames may be written)."""
        return self._connection.protocol.state is State.OPEN

    def buffered(self) -> int:
        """Return the bytes waiting in the socket's write buffer."""
        return self._transport.get_write_buffer_size()

    def write(self, data: bytes) -> None:
        """Write whole frames (dropped once the closing handshake has begun)."""
        if self._connection.protocol.state is State.OPEN:
            self._transport.write(data)

    async def drain(self) -> None:
        """Wait until the socket's write buffer is below its low-water mark."""
        if self.is_open():
            await self._connection.drain()

    def fail(self, reason: str) -> None:
        """Close the connection with 1011 (delivery cannot go on)."""
        self._close(_INTERNAL_ERROR, reason)

    def end(self) -> None:
        """Close the connection with 1001 (the feed is stopping: resume elsewhere)."""
        self._close(CloseCode.GOING_AWAY, "the feed is shutting down")

    def _close(self, code: int, reason: str) -> None:
        if self._closing is None:
            self._closing = asyncio.ensure_future(
                self._connection.close(code, _close_reason(reason))
            )


class FanoutServer:
    """A running fan-out WebSocket server (``port`` is the bound one)."""

    def __init__(self, server: Server, fanout: Fanout, dispatcher: asyncio.Task[None]) -> None:
        self._server = server
        self.fanout = fanout
        self._dispatcher = dispatcher
        self.port: int = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every connection and stop dispatching."""
        self._server.close()
        await self._server.wait_closed()
        self._dispatcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._dispatcher


async def start_fanout_server(
    fanout: Fanout,
    *,
    authenticate: Authenticate,
    metrics: FeedMetrics,
    host: str,
    port: int,
) -> FanoutServer:
    """Listen on ``host:port`` (0: a free port) and start the dispatcher.

    Raises
    ------
    OSError
        If the port cannot be bound.
    """

    def only_the_feed(connection: ServerConnection, request: Request) -> Response | None:
        if request.path.partition("?")[0] != _PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"only {_PATH} is served here\n")
        return None

    async def handler(connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None  # the handshake is done
        params = QueryParams(request.path.partition("?")[2])
        try:
            principal, chosen = await subscriber_request(authenticate, request.headers, params)
            after = await stream_start(fanout.feed, params, {})
        except ApiError as e:
            with contextlib.suppress(ConnectionClosed):  # the client may be gone already
                await connection.send(msgspec.json.encode(e.body()).decode())
                await connection.close(_POLICY_VIOLATION, e.code)
            return
        stats = metrics.connect("websocket", principal.name, chosen, after)
        subscriber = fanout.add(chosen, after, ConnectionSink(connection), stats)
        try:
            async for _ in connection:
                continue  # the feed takes no messages from the client
        except ConnectionClosed:
            pass
        finally:
            fanout.remove(subscriber)
            metrics.disconnect(stats)

    dispatcher = asyncio.ensure_future(fanout.run())
    try:
        server = await serve(
            handler,
            host,
            port,
            compression=None,
            process_request=only_the_feed,
            ping_interval=20,
            ping_timeout=20,
        )
    except BaseException:
        dispatcher.cancel()
        raise
    return FanoutServer(server, fanout, dispatcher)
