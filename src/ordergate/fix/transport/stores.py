"""How the transport obtains, closes and reports on a session's message store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec

from ordergate.fix.registry import SessionStatus
from ordergate.fix.session.config import SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.store.memory import MemoryStore

if TYPE_CHECKING:
    from ordergate.fix.session import FixSession
    from ordergate.fix.transport.connection import FixConnection

__all__ = ["StoreFactory", "close_store", "memory_stores", "session_status", "url_stores"]

#: Opens the store of one session (called once per session, when its owner starts).
StoreFactory = Callable[[SessionConfig], Awaitable[MessageStore]]


def memory_stores() -> StoreFactory:
    """Return a factory of in-memory stores (sequence numbers die with the process)."""

    async def factory(config: SessionConfig) -> MessageStore:
        return MemoryStore()

    return factory


def url_stores(url: str) -> StoreFactory:
    """Return a factory of durable stores at ``url`` (``sqlite:///path`` or ``postgresql://``)."""

    async def factory(config: SessionConfig) -> MessageStore:
        from ordergate.fix.store import open_message_store

        store: MessageStore = await open_message_store(url, config.session_id)
        return store

    return factory


async def close_store(store: MessageStore) -> None:
    """Close ``store`` if it holds resources (durable stores flush and close)."""
    close: Callable[[], Awaitable[None]] | None = getattr(store, "close", None)
    if close is not None:
        await close()


def session_status(
    config: SessionConfig,
    session: FixSession | None,
    store: MessageStore | None,
    connection: FixConnection | None,
    now: int,
) -> SessionStatus:
    """Return the status of a session from its parts (any of which may not exist yet)."""
    live = connection if connection is not None and connection.is_open else None
    status = SessionStatus(
        session_id=config.session_id,
        begin_string=config.begin_string,
        sender_comp_id=config.sender_comp_id,
        target_comp_id=config.target_comp_id,
        role=config.role.value,
        state="disconnected",
        connected=live is not None,
        logged_on=False,
        peer=live.peer if live is not None else None,
        connected_since_ns=live.connected_at if live is not None else None,
        next_sender_seq=store.next_sender_seq() if store is not None else 1,
        next_target_seq=store.next_target_seq() if store is not None else 1,
    )
    if session is None:
        return status
    snapshot = session.status(now)
    return msgspec.structs.replace(
        status,
        state=snapshot.state.value,
        logged_on=snapshot.logged_on,
        next_sender_seq=snapshot.next_sender_seq,
        next_target_seq=snapshot.next_target_seq,
        last_sent_ns=snapshot.last_sent_ns or None,
        last_received_ns=snapshot.last_received_ns or None,
        last_heartbeat_ns=snapshot.last_heartbeat_ns or None,
        latency_ns=snapshot.latency_ns,
    )
