"""The lifecycle of a FIX session as an explicit transition table.

Invariants:

- The state changes only through :meth:`SessionStateMachine.trigger`, which looks the pair
  ``(state, trigger)`` up in :data:`TRANSITIONS`; a pair that is not there raises
  :class:`InvalidStateTransition` and changes nothing.
- Application messages go on the wire only in ``ACTIVE``; admin messages in any connected
  state (every state but ``DISCONNECTED``).
- Sequence gaps, outstanding TestRequests and resends are not states: they are tracked beside
  the state (see ``sequencing.py``), because they can overlap each other and ``ACTIVE``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ordergate.fsm import InvalidStateTransition, StateMachine

__all__ = [
    "TRANSITIONS",
    "InvalidStateTransition",
    "SessionState",
    "SessionStateMachine",
    "Trigger",
]


class SessionState(StrEnum):
    """Where a session stands."""

    DISCONNECTED = "disconnected"
    LOGON_SENT = "logon_sent"
    """Initiator: our Logon(A) is out, waiting for the counterparty's."""
    AWAIT_LOGON = "await_logon"
    """Acceptor: connected, waiting for the counterparty's Logon(A)."""
    ACTIVE = "active"
    """Logged on: application messages flow."""
    LOGOUT_SENT = "logout_sent"
    """Our Logout(5) is out, waiting for the counterparty's confirmation."""


class Trigger(StrEnum):
    """What moves a session from one state to another."""

    CONNECT_AS_INITIATOR = "connect_as_initiator"
    CONNECT_AS_ACCEPTOR = "connect_as_acceptor"
    LOGON_ACCEPTED = "logon_accepted"
    LOGOUT_REQUESTED = "logout_requested"
    LOGOUT_RECEIVED = "logout_received"
    DISCONNECT = "disconnect"
    CONNECTION_LOST = "connection_lost"


_S = SessionState
_T = Trigger

TRANSITIONS: Final[dict[tuple[SessionState, Trigger], SessionState]] = {
    (_S.DISCONNECTED, _T.CONNECT_AS_INITIATOR): _S.LOGON_SENT,
    (_S.DISCONNECTED, _T.CONNECT_AS_ACCEPTOR): _S.AWAIT_LOGON,
    (_S.LOGON_SENT, _T.LOGON_ACCEPTED): _S.ACTIVE,
    (_S.AWAIT_LOGON, _T.LOGON_ACCEPTED): _S.ACTIVE,
    # A Logon(A) with ResetSeqNumFlag(141)=Y during the session resets the sequence numbers
    # and leaves the session logged on.
    (_S.ACTIVE, _T.LOGON_ACCEPTED): _S.ACTIVE,
    (_S.ACTIVE, _T.LOGOUT_REQUESTED): _S.LOGOUT_SENT,
    # Giving up during the Logon exchange: our Logout goes out, the peer confirms or we time
    # out, exactly as from ACTIVE.
    (_S.LOGON_SENT, _T.LOGOUT_REQUESTED): _S.LOGOUT_SENT,
    # We answer the counterparty's Logout(5) with ours; the handshake is then complete.
    (_S.ACTIVE, _T.LOGOUT_RECEIVED): _S.DISCONNECTED,
    (_S.LOGOUT_SENT, _T.LOGOUT_RECEIVED): _S.DISCONNECTED,
    # The acceptor refused our Logon(A) with a Logout(5).
    (_S.LOGON_SENT, _T.LOGOUT_RECEIVED): _S.DISCONNECTED,
    (_S.LOGON_SENT, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.AWAIT_LOGON, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.ACTIVE, _T.DISCONNECT): _S.DISCONNECTED,
    (_S.LOGOUT_SENT, _T.DISCONNECT): _S.DISCONNECTED,
    # The socket can close at any moment, also after we already decided to disconnect.
    (_S.DISCONNECTED, _T.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.LOGON_SENT, _T.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.AWAIT_LOGON, _T.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.ACTIVE, _T.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.LOGOUT_SENT, _T.CONNECTION_LOST): _S.DISCONNECTED,
}


class SessionStateMachine(StateMachine[SessionState, Trigger]):
    """Hold a :class:`SessionState` and move it only along :data:`TRANSITIONS`."""

    __slots__ = ()

    def __init__(self, state: SessionState = SessionState.DISCONNECTED) -> None:
        super().__init__(TRANSITIONS, state)
