"""The execution feed as a gRPC service (``ordergate.feed.v1.Feed``, see ``feed.proto``).

It serves any :class:`~ordergate.feed.source.FeedSource` with the semantics of the
WebSocket, SSE and polling routes (:mod:`ordergate.api.feed`):

- ``Subscribe`` streams the matching events after ``from_position`` (absent: after the
  current head, live events only), then live ones, exactly once and in position order, with
  ``catching_up`` / ``live`` control messages. Its initial metadata
  ``feed-after-position`` names the position delivery starts after, so a client that asked
  for live events only knows where it started and that it is subscribed.
- ``Read`` pages through the log (``from_position`` default 0, ``limit`` 1 to 1000,
  default 100); ``Head`` returns the newest position.

Every call is authenticated first: the token of the ``authorization: Bearer <token>``
metadata (None when absent or of another scheme, as for the HTTP routes; see
:func:`~ordergate.feed.auth.bearer_token`) goes to the ``authenticate`` callable, and the
principal it returns narrows the filter (:meth:`~ordergate.feed.access.Principal.restrict`)
before anything is read, so no event of an account the principal may not see is ever sent.
Refusals map to status codes: unknown or missing credentials (401) to UNAUTHENTICATED, a
filter naming an account the principal is not entitled to (403) to PERMISSION_DENIED, a bad
filter, position or limit to INVALID_ARGUMENT; a refused call reads nothing and subscribes
to nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import grpc
import grpc.aio

from ordergate.feed.access import AccessDenied, Authenticate, Principal
from ordergate.feed.auth import bearer_token
from ordergate.feed.filters import FeedFilter, parse_filter
from ordergate.feed.grpc import feed_pb2, feed_pb2_grpc
from ordergate.feed.grpc.messages import event_message, feed_message
from ordergate.feed.source import FeedSource

__all__ = [
    "AFTER_POSITION_METADATA",
    "Authenticate",
    "FeedServicer",
    "GrpcFeedServer",
    "start_grpc_server",
]


AFTER_POSITION_METADATA = "feed-after-position"
"""The initial metadata key of ``Subscribe``: the position delivery starts after."""

MAX_POSITION = 10**18 - 1
"""The largest position accepted (the HTTP routes take at most 18 digits)."""

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

# Subscriptions are long-lived and mostly idle: ping the client so a vanished one is
# noticed (and its subscription closed) instead of holding a stream open for ever, and
# refuse to share a port another process holds (gRPC sets SO_REUSEPORT by default).
_SERVER_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.so_reuseport", 0),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.http2.max_pings_without_data", 0),
]

Context = grpc.aio.ServicerContext[Any, Any]


def _bearer_token(context: Context) -> str | None:
    values = [
        value
        for key, value in context.invocation_metadata() or ()
        if key.lower() == "authorization"
    ]
    if not values:
        return None
    if len(values) > 1:
        raise AccessDenied(401, "give one authorization metadata entry, not several")
    raw = values[0]
    # The same rule as the HTTP routes': another scheme (a proxy's) is no feed token.
    return bearer_token(raw.decode("latin-1") if isinstance(raw, bytes) else raw)


def _code(denied: AccessDenied) -> grpc.StatusCode:
    if denied.status == 401:
        return grpc.StatusCode.UNAUTHENTICATED
    return grpc.StatusCode.PERMISSION_DENIED


def _position(request: feed_pb2.SubscribeRequest | feed_pb2.ReadRequest) -> int | None:
    if not request.HasField("from_position"):
        return None
    if request.from_position > MAX_POSITION:
        raise ValueError(
            f"from_position must be at most {MAX_POSITION}, not {request.from_position}"
        )
    return request.from_position


def _limit(request: feed_pb2.ReadRequest) -> int:
    if not request.HasField("limit"):
        return DEFAULT_LIMIT
    if not 1 <= request.limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}, not {request.limit}")
    return request.limit


def _filter(request: feed_pb2.SubscribeRequest | feed_pb2.ReadRequest) -> FeedFilter:
    def values(given: Iterable[str]) -> list[str] | None:
        return list(given) or None

    return parse_filter(
        accounts=values(request.accounts),
        portfolios=values(request.portfolios),
        strategies=values(request.strategies),
        symbols=values(request.symbols),
        venues=values(request.venues),
        types=values(request.types),
    )


class FeedServicer(feed_pb2_grpc.FeedServicer):
    """The ``ordergate.feed.v1.Feed`` service over one feed source.

    Parameters
    ----------
    feed
        What to serve: the in-process :class:`~ordergate.feed.service.Feed` or a feed
        gateway's source.
    authenticate
        Turns each call's bearer token (None if it gave none) into a principal; raises
        :class:`~ordergate.feed.access.AccessDenied` to refuse it.
    """

    def __init__(self, feed: FeedSource, authenticate: Authenticate) -> None:
        self._feed = feed
        self._authenticate = authenticate

    async def _admit(
        self, request: feed_pb2.SubscribeRequest | feed_pb2.ReadRequest, context: Context
    ) -> tuple[FeedFilter, int | None]:
        # Authentication first, so an unauthenticated caller learns nothing about the input.
        principal = await self._principal(context)
        try:
            chosen, after = _filter(request), _position(request)
        except ValueError as e:  # a FilterError, or a position out of range
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        try:
            return principal.restrict(chosen), after
        except AccessDenied as e:
            await context.abort(_code(e), e.message)

    async def _principal(self, context: Context) -> Principal:
        try:
            return await self._authenticate(_bearer_token(context))
        except AccessDenied as e:
            await context.abort(_code(e), e.message)

    async def Subscribe(
        self,
        request: feed_pb2.SubscribeRequest,
        context: grpc.aio.ServicerContext[feed_pb2.SubscribeRequest, feed_pb2.FeedMessage],
    ) -> AsyncIterator[feed_pb2.FeedMessage]:
        """Stream the matching events after ``from_position`` (absent: the head), then live."""
        chosen, after = await self._admit(request, context)
        if after is None:
            after = await self._feed.head()
        await context.send_initial_metadata(((AFTER_POSITION_METADATA, str(after)),))
        async with self._feed.subscribe(chosen, after) as subscription:
            async for item in subscription:
                yield feed_message(item)

    async def Read(
        self,
        request: feed_pb2.ReadRequest,
        context: grpc.aio.ServicerContext[feed_pb2.ReadRequest, feed_pb2.ReadResponse],
    ) -> feed_pb2.ReadResponse:
        """Return up to ``limit`` matching events after ``from_position``, and ``next_from``."""
        chosen, after = await self._admit(request, context)
        try:
            limit = _limit(request)
        except ValueError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        page = await self._feed.read(chosen, after or 0, limit)
        return feed_pb2.ReadResponse(
            items=[event_message(e) for e in page.items], next_from=page.next_from
        )

    async def Head(
        self,
        request: feed_pb2.HeadRequest,
        context: grpc.aio.ServicerContext[feed_pb2.HeadRequest, feed_pb2.HeadResponse],
    ) -> feed_pb2.HeadResponse:
        """Return the position of the newest event (0 when the log is empty)."""
        await self._principal(context)
        return feed_pb2.HeadResponse(position=await self._feed.head())


class GrpcFeedServer:
    """A running gRPC feed server; stop it with :meth:`stop`.

    Attributes
    ----------
    host
        The address it listens on.
    port
        The port it listens on (the one picked, when asked for port 0).
    """

    def __init__(self, server: grpc.aio.Server, host: str, port: int) -> None:
        self._server = server
        self.host = host
        self.port = port

    @property
    def target(self) -> str:
        """Return the ``host:port`` a client channel connects to."""
        return f"{_host(self.host)}:{self.port}"

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting calls and end the running ones.

        Parameters
        ----------
        grace
            Seconds the running calls may go on for (subscriptions do not end on their
            own, so they are cancelled then); None cancels them at once.
        """
        await self._server.stop(grace)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


async def start_grpc_server(
    feed: FeedSource, authenticate: Authenticate, host: str, port: int
) -> GrpcFeedServer:
    """Serve ``feed`` over gRPC on ``host:port`` and return the running server.

    Parameters
    ----------
    feed
        The feed source to serve.
    authenticate
        Turns each call's bearer token (None if it gave none) into a
        :class:`~ordergate.feed.access.Principal`, or raises
        :class:`~ordergate.feed.access.AccessDenied` (401: UNAUTHENTICATED, 403:
        PERMISSION_DENIED). For an open feed, return :data:`~ordergate.feed.access.ANYONE`.
    host
        The address to listen on, e.g. ``"127.0.0.1"`` or ``"::"``.
    port
        The port to listen on; 0 picks a free one (see :attr:`GrpcFeedServer.port`).

    Raises
    ------
    OSError
        If the address cannot be bound (e.g. the port is in use).
    """
    server = grpc.aio.server(options=_SERVER_OPTIONS)
    feed_pb2_grpc.add_FeedServicer_to_server(FeedServicer(feed, authenticate), server)
    address = f"{_host(host)}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as e:  # grpcio's word for "cannot bind"
        await server.stop(None)
        raise OSError(f"cannot listen on {address}: {e}") from e
    await server.start()
    return GrpcFeedServer(server, host, bound)
