"""Building the ASGI application explicitly from its services (no module globals)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response

from ordergate import __version__
from ordergate.api.body import schema_components
from ordergate.api.brokers import brokers_router
from ordergate.api.credentials import CredentialRequest, credentials_router
from ordergate.api.errors import ApiError, handle_api_error, handle_order_error
from ordergate.api.feed import feed_router, open_access
from ordergate.api.fix import fix_router
from ordergate.api.marketdata import marketdata_router
from ordergate.api.orders import json_response, orders_router
from ordergate.api.schemas import (
    BatchRequest,
    CancelAllRequest,
    ModifyRequest,
    OrderRequest,
    instrument_json,
    position_json,
)
from ordergate.api.subscriptions import AckRequest, SubscriptionRequest, subscriptions_router
from ordergate.api.ws import stream_executions
from ordergate.domain.errors import OrderError
from ordergate.feed import Feed
from ordergate.oms.service import OrderManager

__all__ = ["Services", "create_app"]


class Services(Protocol):
    """What the API needs: the OMS, and a way to start and stop everything behind it."""

    oms: OrderManager

    async def start(self) -> None:
        """Start the services (open the store, connect venues)."""

    async def stop(self) -> None:
        """Stop the services, flushing what is pending."""


def create_app(services: Services) -> FastAPI:
    """Return the ordergate API application serving ``services``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = FastAPI(
        title="ordergate",
        version=__version__,
        description="Trading execution platform: orders, fills, positions, live executions.",
        lifespan=lifespan,
    )
    app.state.oms = services.oms
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_exception_handler(OrderError, handle_order_error)
    app.include_router(orders_router)
    # The execution feed: the services' own when they keep one, else one over the OMS.
    feed = getattr(services, "feed", None) or Feed(services.oms.store, services.oms.hub)
    authenticate = getattr(services, "feed_authenticate", None) or open_access
    app.include_router(
        feed_router(
            feed, authenticate=authenticate, metrics=getattr(services, "feed_metrics", None)
        )
    )
    # Durable named subscriptions, when the services keep a feed store.
    feed_store = getattr(services, "feed_store", None)
    if feed_store is not None:
        app.include_router(subscriptions_router(feed, feed_store, authenticate))
    # FIX session status and message logs, when the services run FIX sessions (a registry).
    fix_registry = getattr(services, "fix", None)
    if fix_registry is not None:
        app.state.fix = fix_registry
        app.include_router(fix_router)
    # Brokers and their connections' health, when the services manage their venues.
    brokers = getattr(services, "brokers", None)
    if brokers is not None:
        app.include_router(brokers_router(brokers))
    marketdata = getattr(services, "marketdata", None)
    if marketdata is not None:
        app.include_router(marketdata_router(marketdata))
    # The credential vault, when the services keep one (with the brokers' credential checks).
    vault = getattr(services, "vault", None)
    checks = getattr(services, "credential_checks", None)
    if vault is not None and checks is not None:
        app.include_router(credentials_router(vault, checker=checks, is_known_broker=checks.knows))

    @app.get("/api/positions", tags=["positions"])
    async def positions(request: Request, account: str | None = None) -> Response:
        """Return positions with realized and unrealized P&L against the latest mark."""
        oms: OrderManager = request.app.state.oms
        items = [
            position_json(p, oms.marks.get(p.symbol, oms.projections.last_price.get(p.symbol)))
            for (acct, _), p in sorted(oms.projections.positions.items())
            if account is None or acct == account
        ]
        return json_response({"items": items, "next_cursor": None})

    @app.get("/api/instruments", tags=["reference data"])
    async def instruments(request: Request) -> Response:
        """Return every tradable instrument with its tick, lot and minimums."""
        oms: OrderManager = request.app.state.oms
        items = [instrument_json(i) for i in oms.instruments.values()]
        return json_response({"items": items, "next_cursor": None})

    @app.get("/health", tags=["operations"])
    async def health() -> Response:
        """Return 200 while the process is alive."""
        return json_response({"status": "ok"})

    @app.get("/ready", tags=["operations"])
    async def ready(request: Request) -> Response:
        """Return 200 once the log is replayed and venues are connected, else 503."""
        oms: OrderManager = request.app.state.oms
        if not oms.ready:
            return json_response({"status": "starting"}, 503)
        return json_response({"status": "ready", "orders": len(oms.projections.orders)})

    @app.websocket("/ws/executions")
    async def executions(websocket: WebSocket) -> None:
        """Push every new order event as a JSON frame, with its log position."""
        try:
            await stream_executions(websocket, websocket.app.state.oms)
        except WebSocketDisconnect:
            return

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(
                schema_components(
                    [
                        OrderRequest,
                        ModifyRequest,
                        BatchRequest,
                        CancelAllRequest,
                        CredentialRequest,
                        SubscriptionRequest,
                        AckRequest,
                    ]
                )
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
