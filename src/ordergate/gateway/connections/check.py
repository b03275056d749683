"""A live check of a broker's connections: one open-orders round trip each, timed."""

from __future__ import annotations

import asyncio

import msgspec

from ordergate.gateway.connections.managed import ManagedVenue

__all__ = ["ConnectionCheck", "check_connections"]


class ConnectionCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of checking one connection."""

    connection: str
    ok: bool
    latency_ns: int | None = None
    open_orders: int | None = None
    error: str | None = None


async def check_connections(venue: ManagedVenue) -> list[ConnectionCheck]:
    """Ask every connection that is up for its open orders and time the round trip.

    Connections that are down are reported as failed without being asked. A successful
    round trip is also a heartbeat sample of the connection's health.
    """
    results: list[ConnectionCheck] = []
    timeout = venue.settings.probe_timeout
    for conn in venue.connections:
        if not conn.up:
            error = f"connection is {conn.state}"
            results.append(ConnectionCheck(connection=conn.id, ok=False, error=error))
            continue
        started = venue.clock.now_ns()
        try:
            async with conn.queries, asyncio.timeout(timeout):
                orders = await conn.adapter.open_orders()
        except Exception as e:  # the check reports failures; it does not raise them
            message = str(e) or type(e).__name__
            results.append(ConnectionCheck(connection=conn.id, ok=False, error=message))
            continue
        latency = venue.clock.now_ns() - started
        conn.health.heartbeat.add(latency)
        results.append(
            ConnectionCheck(
                connection=conn.id, ok=True, latency_ns=latency, open_orders=len(orders)
            )
        )
    return results
