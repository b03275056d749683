"""The lifecycle of one venue connection as an explicit transition table.

Invariants
----------
- The state changes only through :meth:`StateMachine.trigger`, which looks ``(state,
  trigger)`` up in a table; a pair that is not there raises :class:`InvalidStateTransition`
  and changes nothing.
- Only ``CONNECTED`` and ``DEGRADED`` connections carry orders; ``DEGRADED`` ones only when
  no ``CONNECTED`` one is left (see ``balance.py``).
- ``ERROR`` is where a connection stops on its own: bad credentials do not heal, so the
  connection is not redialled until someone asks (``CONNECT``).
- Whether the connection *should* be up (the operator's wish) is not a state: it is kept
  beside the state by the shell, because a wanted connection passes through every state.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ordergate.fsm import InvalidStateTransition, StateMachine

__all__ = [
    "CONNECTION_TRANSITIONS",
    "ConnectionState",
    "ConnectionTrigger",
    "InvalidStateTransition",
    "StateMachine",
    "connection_machine",
]


class ConnectionState(StrEnum):
    """Where a venue connection stands."""

    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    """``connect()`` is under way (dialling, logging on)."""
    AUTHENTICATING = "AUTHENTICATING"
    """The transport is up; the first authenticated round trip is under way."""
    CONNECTED = "CONNECTED"
    DEGRADED = "DEGRADED"
    """Up, but slow or failing often: used only when no healthy connection is left."""
    ERROR = "ERROR"
    """Stopped on an error that retrying cannot fix (credentials)."""


class ConnectionTrigger(StrEnum):
    """What moves a connection from one state to another."""

    CONNECT = "CONNECT"
    TRANSPORT_OPENED = "TRANSPORT_OPENED"
    AUTHENTICATED = "AUTHENTICATED"
    AUTH_FAILED = "AUTH_FAILED"
    CONNECT_FAILED = "CONNECT_FAILED"
    HEALTH_DEGRADED = "HEALTH_DEGRADED"
    HEALTH_RECOVERED = "HEALTH_RECOVERED"
    CONNECTION_LOST = "CONNECTION_LOST"
    DISCONNECT = "DISCONNECT"


_S = ConnectionState
_T = ConnectionTrigger

CONNECTION_TRANSITIONS: Final[dict[tuple[ConnectionState, ConnectionTrigger], ConnectionState]] = {
    (_S.DISCONNECTED, _T.CONNECT): _S.CONNECTING,
    # An operator retries a connection that stopped on bad credentials (after fixing them).
    (_S.ERROR, _T.CONNECT): _S.CONNECTING,
    (_S.CONNECTING, _T.TRANSPORT_OPENED): _S.AUTHENTICATING,
    (_S.AUTHENTICATING, _T.AUTHENTICATED): _S.CONNECTED,
    (_S.CONNECTING, _T.AUTH_FAILED): _S.ERROR,
    (_S.AUTHENTICATING, _T.AUTH_FAILED): _S.ERROR,
    # Credentials revoked while trading: a request came back AUTH.
    (_S.CONNECTED, _T.AUTH_FAILED): _S.ERROR,
    (_S.DEGRADED, _T.AUTH_FAILED): _S.ERROR,
    (_S.CONNECTING, _T.CONNECT_FAILED): _S.DISCONNECTED,
    (_S.AUTHENTICATING, _T.CONNECT_FAILED): _S.DISCONNECTED,
    (_S.CONNECTED, _T.HEALTH_DEGRADED): _S.DEGRADED,
    # Health is assessed on every probe; a still-degraded verdict is not news.
    (_S.DEGRADED, _T.HEALTH_DEGRADED): _S.DEGRADED,
    (_S.DEGRADED, _T.HEALTH_RECOVERED): _S.CONNECTED,
    (_S.CONNECTED, _T.HEALTH_RECOVERED): _S.CONNECTED,
    (_S.CONNECTED, _T.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.DEGRADED, _T.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.AUTHENTICATING, _T.CONNECTION_LOST): _S.DISCONNECTED,
    # The report stream and the probe can both notice one loss; the second is not news.
    (_S.DISCONNECTED, _T.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.CONNECTED, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.DEGRADED, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.CONNECTING, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.AUTHENTICATING, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.ERROR, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.DISCONNECTED, _T.DISCONNECT): _S.DISCONNECTED,
}


def connection_machine(
    state: ConnectionState = ConnectionState.DISCONNECTED,
) -> StateMachine[ConnectionState, ConnectionTrigger]:
    """Return a connection state machine over :data:`CONNECTION_TRANSITIONS`."""
    return StateMachine(CONNECTION_TRANSITIONS, state)
