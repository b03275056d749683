"""One connection of a managed broker: its adapter, state, health and what it holds.

This is the bookkeeping half of the shell; :class:`~.managed.ManagedVenue` and its
:class:`~.supervisor.ConnectionSupervisor` run the tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import msgspec

from ordergate.gateway.connections.balance import Candidate, Role
from ordergate.gateway.connections.health import ConnectionHealth, HealthSnapshot
from ordergate.gateway.connections.state import (
    ConnectionState,
    ConnectionTrigger,
    connection_machine,
)
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.gateway.ratelimit import VenueRateLimiter
from ordergate.venues.base import VenueAdapter

__all__ = ["ConnectionSpec", "Probe", "VenueConnection", "classify", "round_trip_probe"]

#: A live check of one connection; raises when the connection cannot serve requests.
Probe = Callable[[VenueAdapter], Awaitable[object]]

_UP = frozenset({ConnectionState.CONNECTED, ConnectionState.DEGRADED})


async def round_trip_probe(adapter: VenueAdapter) -> object:
    """Ask the venue for its open orders: an authenticated request every adapter has."""
    return await adapter.open_orders()


def classify(e: BaseException, *, sent: bool) -> VenueErrorKind:
    """Return the kind of an exception out of an adapter call.

    ``sent`` says whether the call may have reached the venue: a timeout or a dropped
    connection during a request is an unknown outcome, during a connect it changed nothing.
    """
    if isinstance(e, VenueError):
        return e.kind
    # Anything else (a timeout, a dropped socket, an adapter bug) is unclassified: during a
    # request it may have gone out, so it is never treated as a clean refusal.
    return VenueErrorKind.UNKNOWN_OUTCOME if sent else VenueErrorKind.RETRYABLE


class ConnectionSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One underlying connection of a broker, as configured.

    ``id`` names the connection in status pages (default: ``"<broker>-<n>"``). ``limiter``
    paces the connection's order entry within the venue's limits for its account (None:
    the adapter is not paced here).
    """

    adapter: VenueAdapter
    role: Role = Role.PRIMARY
    id: str | None = None
    limiter: VenueRateLimiter | None = None


class VenueConnection:
    """State, health and held orders of one underlying adapter."""

    def __init__(
        self,
        index: int,
        id: str,
        adapter: VenueAdapter,
        role: Role,
        limiter: VenueRateLimiter | None = None,
    ) -> None:
        self.index = index
        self.id = id
        self.adapter = adapter
        self.role = role
        self.limiter = limiter
        self.fsm = connection_machine()
        self.health = ConnectionHealth()
        self.known = False
        """True once an open-orders round trip told us every order this connection holds."""
        self.last_seen_ts = 0
        """The latest ``ts_event`` of a report from this connection: where a re-sync starts."""
        self.lost = asyncio.Event()
        self.queries = asyncio.Lock()
        """Held around open-orders round trips and probes: a FIX session answers one
        OrderStatusRequest(H) per order, and two overlapping rounds would steal each
        other's replies."""
        self.pump: asyncio.Task[None] | None = None

    @property
    def state(self) -> ConnectionState:
        """Return the connection's state."""
        return self.fsm.state

    @property
    def up(self) -> bool:
        """Return True while the connection carries orders (CONNECTED or DEGRADED)."""
        return self.fsm.state in _UP

    def fire(self, trigger: ConnectionTrigger, now: int) -> ConnectionState:
        """Move the state machine and keep the health's up/down times in step."""
        was_up = self.up
        state = self.fsm.trigger(trigger)
        if not was_up and self.up:
            self.health.on_connected(now)
        elif was_up and not self.up:
            self.health.on_disconnected()
        return state

    def candidate(self) -> Candidate:
        """Return what the balancer needs to know about this connection."""
        return Candidate(
            index=self.index, state=self.fsm.state, role=self.role, in_flight=self.health.in_flight
        )

    def snapshot(self, now: int) -> HealthSnapshot:
        """Return this connection's health as of ``now``."""
        return self.health.snapshot(self.fsm.state, now)
