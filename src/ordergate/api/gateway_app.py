"""The feed gateway's ASGI application: the feed routes over JetStream, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import Response

from ordergate import __version__
from ordergate.api.errors import ApiError, handle_api_error
from ordergate.api.fanout import start_fanout_server
from ordergate.api.feed import feed_router, open_access
from ordergate.api.orders import json_response
from ordergate.feed.access import Authenticate
from ordergate.feed.fanout import Fanout
from ordergate.feed.gateway import FeedGateway
from ordergate.feed.metrics import FeedMetrics

__all__ = ["create_gateway_app"]


def create_gateway_app(
    gateway: FeedGateway,
    *,
    authenticate: Authenticate = open_access,
    metrics: FeedMetrics | None = None,
    ws_host: str = "127.0.0.1",
    ws_port: int = 0,
    high_water: int = 1 << 20,
) -> FastAPI:
    """Return the application of one feed gateway process (started and stopped with it).

    HTTP (polling, SSE, status, metrics) is served by the application; WebSocket
    subscribers by the fan-out server it starts on ``ws_host:ws_port`` (``app.state.ws_port``
    is the bound port).
    """
    metrics = metrics or FeedMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        try:
            server = await start_fanout_server(
                Fanout(gateway.feed, buffer=gateway.buffer, high_water=high_water, metrics=metrics),
                authenticate=authenticate,
                metrics=metrics,
                host=ws_host,
                port=ws_port,
            )
        except BaseException:
            await gateway.stop()
            raise
        app.state.ws_port = server.port
        try:
            yield
        finally:
            await gateway.stop()  # closes the hub: the dispatcher ends its subscribers
            await server.stop()

    app = FastAPI(
        title="ordergate feed gateway",
        version=__version__,
        description="The execution feed, served from the NATS JetStream stream.",
        lifespan=lifespan,
    )
    app.add_exception_handler(ApiError, handle_api_error)
    app.include_router(feed_router(gateway, authenticate=authenticate, metrics=metrics))

    @app.get("/health", tags=["operations"])
    async def health() -> Response:
        """Return 200 while the process is alive."""
        return json_response({"status": "ok"})

    @app.get("/ready", tags=["operations"])
    async def ready() -> Response:
        """Return 200 once the gateway follows the stream, else 503."""
        follower = gateway.follower
        if follower is None or not follower.started:
            return json_response({"status": "starting"}, 503)
        return json_response({"status": "ready", "position": follower.position})

    return app
