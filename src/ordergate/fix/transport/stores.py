"""How the transport obtains, closes and reports on a session's message store.

Durable stores of one URL share one database: :func:`url_stores` opens it
(:func:`~ordergate.fix.store.open_message_database`) when the first session of that URL
opens its store, gives every session ``database.open_store(session_id)`` (one writer, one
group commit for all of them), and closes it when :func:`close_store` closed the last of
those stores. This holds across factories: two ``url_stores`` of the same URL, on one event
loop, share the database too (two owners of one SQLite file would otherwise each run a
writer on it).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec

from ordergate.fix.registry import SessionStatus
from ordergate.fix.session.config import SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.store.memory import MemoryStore

if TYPE_CHECKING:
    from ordergate.fix.session import FixSession
    from ordergate.fix.store import MessageDatabase
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
    """Return a factory of durable stores at ``url`` (``sqlite:///path`` or ``postgresql://``).

    Every store the factory opens lives in one shared database of ``url``, opened with the
    first store and closed with the last (see the module docstring); close the stores with
    :func:`close_store`.
    """

    async def factory(config: SessionConfig) -> MessageStore:
        shared = await _SharedDatabase.acquire(url)
        try:
            store: MessageStore = await shared.open_store(config.session_id)
        except BaseException:
            await shared.release()
            raise
        _leases[store] = shared
        return store

    return factory


async def close_store(store: MessageStore) -> None:
    """Close ``store`` if it holds resources (durable stores flush and close).

    A store from :func:`url_stores` also gives back its share of the database, which closes
    after its last store.
    """
    close: Callable[[], Awaitable[None]] | None = getattr(store, "close", None)
    try:
        if close is not None:
            await close()
    finally:
        shared = _leases.pop(store, None)
        if shared is not None:
            await shared.release()


class _SharedDatabase:
    """The database of one URL on one event loop, and how many open stores use it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.users = 0
        self.database: MessageDatabase | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def acquire(cls, url: str) -> _SharedDatabase:
        """Return the shared database of ``url``, opening it if no store uses it; count a user.

        Raises:
            ValueError: not a message store URL.
        """
        by_url = _databases.setdefault(asyncio.get_running_loop(), {})
        key = _key(url)
        shared = by_url.get(key)
        if shared is None:
            shared = by_url[key] = cls(url)
        async with shared._lock:
            if shared.database is None:
                from ordergate.fix.store import open_message_database

                shared.database = await open_message_database(url)
            shared.users += 1
        return shared

    async def open_store(self, session_id: str) -> MessageStore:
        """Open the store of ``session_id`` in the database (acquired first)."""
        assert self.database is not None
        store: MessageStore = await self.database.open_store(session_id)
        return store

    async def release(self) -> None:
        """Count a user out; the last one closes the database."""
        async with self._lock:
            self.users -= 1
            if self.users == 0 and self.database is not None:
                database, self.database = self.database, None
                await database.close()


def _key(url: str) -> str:
    # One SQLite file may be named by several URLs (sqlite:///abs, sqlite:rel); key it by its
    # resolved path so they share the database too.
    from ordergate.fix.store.factory import sqlite_path

    try:
        path = sqlite_path(url)
    except ValueError:
        return url  # opening it reports the error
    return f"sqlite:{os.path.realpath(path)}" if path is not None else url


#: Shared databases per event loop (a database is bound to the loop that opened it) and URL.
_databases: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _SharedDatabase]] = (
    weakref.WeakKeyDictionary()
)
#: The shared database each open store from :func:`url_stores` holds a share of.
_leases: dict[MessageStore, _SharedDatabase] = {}


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
