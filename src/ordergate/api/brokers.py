"""Broker and connection routes: what each broker can do, how its connections are doing.

``{broker_id}`` is the broker's venue name. Times are integer nanoseconds since the epoch,
latencies integer nanoseconds, rates per second over the health window, fees decimal
strings (a rate of the notional: ``"0.001"`` is 10 bp).
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter
from fastapi.responses import Response

from ordergate.api.errors import ApiError
from ordergate.api.orders import json_response
from ordergate.gateway.connections import (
    BrokerRegistry,
    ManagedVenue,
    VenueConnection,
    check_connections,
)
from ordergate.venues.base import VenueCapabilities

__all__ = ["brokers_router"]


def brokers_router(brokers: BrokerRegistry) -> APIRouter:
    """Return the ``/api/brokers`` and ``/api/connections`` routes over ``brokers``."""
    router = APIRouter(tags=["brokers"])

    def broker(broker_id: str) -> ManagedVenue:
        found = brokers.get(broker_id)
        if found is None:
            raise ApiError(404, "BROKER_NOT_FOUND", f"no broker {broker_id!r}", "broker_id")
        return found

    @router.get("/api/brokers")
    async def list_brokers() -> Response:
        """Return every broker: kind, state, connections and a capabilities summary."""
        return json_response({"items": [_summary(b) for b in brokers], "next_cursor": None})

    @router.get("/api/brokers/{broker_id}/status")
    async def broker_status(broker_id: str) -> Response:
        """Return a broker's state, circuit breaker and the health of each connection."""
        return json_response(_status(broker(broker_id)))

    @router.get("/api/brokers/{broker_id}/features")
    async def broker_features(broker_id: str) -> Response:
        """Return what a broker takes: order types, TIFs, asset classes, limits and fees."""
        return json_response(_features(broker(broker_id).capabilities))

    @router.post("/api/brokers/{broker_id}/connect")
    async def connect_broker(broker_id: str) -> Response:
        """Connect a broker (or retry its connections stopped on errors); return its status."""
        venue = broker(broker_id)
        try:
            await venue.connect()
        except ConnectionError as e:
            raise ApiError(502, "BROKER_UNREACHABLE", str(e), "broker_id") from None
        return json_response(_status(venue))

    @router.post("/api/brokers/{broker_id}/test")
    async def test_broker(broker_id: str) -> Response:
        """Check every connection live with an open-orders round trip, timed."""
        venue = broker(broker_id)
        checks = await check_connections(venue)
        return json_response(
            {
                "broker": venue.name,
                "ok": bool(checks) and all(c.ok for c in checks),
                "connections": [msgspec.to_builtins(c) for c in checks],
            }
        )

    @router.delete("/api/brokers/{broker_id}/disconnect")
    async def disconnect_broker(broker_id: str) -> Response:
        """Take a broker's connections down; its orders are refused until it connects again."""
        venue = broker(broker_id)
        await venue.suspend()
        return json_response(_status(venue))

    @router.get("/api/connections")
    async def list_connections() -> Response:
        """Return the health of every connection of every broker."""
        items = [_connection(b, conn, b.clock.now_ns()) for b in brokers for conn in b.connections]
        return json_response({"items": items, "next_cursor": None})

    return router


def _summary(venue: ManagedVenue) -> dict[str, Any]:
    caps = venue.capabilities
    return {
        "id": venue.name,
        "name": venue.name,
        "kind": venue.kind,
        "state": venue.state,
        "suspended": venue.suspended,
        "breaker": venue.breaker.state,
        "connections": [{"id": c.id, "role": c.role, "state": c.state} for c in venue.connections],
        "capabilities": {
            "order_types": sorted(caps.order_types),
            "time_in_force": sorted(caps.time_in_force),
            "asset_classes": sorted(caps.asset_classes),
            "supports_replace": caps.supports_replace,
        },
    }


def _status(venue: ManagedVenue) -> dict[str, Any]:
    now = venue.clock.now_ns()
    return {
        "id": venue.name,
        "kind": venue.kind,
        "state": venue.state,
        "suspended": venue.suspended,
        "resyncs": venue.resyncs,
        "breaker": msgspec.to_builtins(venue.breaker.snapshot(now)),
        "connections": [_connection(venue, conn, now) for conn in venue.connections],
    }


def _connection(venue: ManagedVenue, conn: VenueConnection, now: int) -> dict[str, Any]:
    health: dict[str, Any] = msgspec.to_builtins(conn.snapshot(now))
    return {"id": conn.id, "broker": venue.name, "role": conn.role, **health}


def _features(caps: VenueCapabilities) -> dict[str, Any]:
    return {
        "order_types": sorted(caps.order_types),
        "time_in_force": sorted(caps.time_in_force),
        "asset_classes": sorted(caps.asset_classes),
        "supports_replace": caps.supports_replace,
        "supports_market_data": caps.supports_market_data,
        "rate_limits": [msgspec.to_builtins(rule) for rule in caps.rate_limits],
        "fees": {"maker": caps.maker_fee, "taker": caps.taker_fee},
    }
