"""The live FIX sessions of the process and their status (for the API and the CLI)."""

from __future__ import annotations

from typing import Protocol

import msgspec

from ordergate.fix.store.base import MessageStore

__all__ = ["SessionRegistry", "SessionSource", "SessionStatus"]


class SessionStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of one session: who, where it stands, sequence numbers, liveness.

    Times are ns since the epoch, None when it never happened; ``latency_ns`` is the round
    trip of the last TestRequest(1) -> Heartbeat(0) pair, None until measured.
    """

    session_id: str
    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    role: str
    state: str
    connected: bool
    logged_on: bool
    peer: str | None = None
    connected_since_ns: int | None = None
    next_sender_seq: int = 1
    next_target_seq: int = 1
    last_sent_ns: int | None = None
    last_received_ns: int | None = None
    last_heartbeat_ns: int | None = None
    latency_ns: int | None = None


class SessionSource(Protocol):
    """What the registry holds for each session: an initiator or an acceptor's session."""

    @property
    def session_id(self) -> str:
        """Return the session's id (``BeginString:Sender->Target``)."""
        ...

    @property
    def store(self) -> MessageStore:
        """Return the session's message store."""
        ...

    def status(self) -> SessionStatus:
        """Return the session's current status."""
        ...


class SessionRegistry:
    """Sessions by id; initiators and acceptors register themselves when they start."""

    def __init__(self) -> None:
        self._sources: dict[str, SessionSource] = {}

    def register(self, source: SessionSource) -> None:
        """Add a session.

        Raises:
            ValueError: a session with the same id is already registered.
        """
        if source.session_id in self._sources:
            raise ValueError(f"session {source.session_id} is already registered")
        self._sources[source.session_id] = source

    def unregister(self, session_id: str) -> None:
        """Remove a session (no error when it is not there)."""
        self._sources.pop(session_id, None)

    def get(self, session_id: str) -> SessionSource | None:
        """Return the session with this id, or None."""
        return self._sources.get(session_id)

    def statuses(self) -> list[SessionStatus]:
        """Return the status of every session, ordered by session id."""
        return [self._sources[key].status() for key in sorted(self._sources)]

    def store_for(self, session_id: str) -> MessageStore | None:
        """Return the store of the session with this id, or None."""
        source = self._sources.get(session_id)
        return source.store if source is not None else None

    def __len__(self) -> int:
        return len(self._sources)
