"""The SQLite backend of the feed store (aiosqlite): the embedded default.

One connection, in autocommit mode, with an asyncio lock so each transaction runs alone on
it (``BEGIN IMMEDIATE`` ... ``COMMIT``). A new file is readable by its owner only: it holds
token hashes, which are not secrets but are nobody else's business either.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from ordergate.feed.store.database import Database, DuplicateKey, Transaction

__all__ = ["SqliteDatabase"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed_tokens (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    accounts TEXT,
    created_ns INTEGER NOT NULL,
    revoked_ns INTEGER
);
CREATE TABLE IF NOT EXISTS feed_subscriptions (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    filter TEXT NOT NULL,
    cursor INTEGER NOT NULL CHECK (cursor >= 0),
    created_ns INTEGER NOT NULL,
    updated_ns INTEGER NOT NULL,
    PRIMARY KEY (owner, name)
);
"""


def _create_private(path: str) -> None:
    # O_CREAT without O_TRUNC: an existing file is left exactly as it is.
    if not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class _Tx:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        try:
            cursor = await self._conn.execute(sql, args)
        except sqlite3.IntegrityError as e:
            if "UNIQUE" in str(e) or "PRIMARY KEY" in str(e):
                raise DuplicateKey(str(e)) from None
            raise
        changed = cursor.rowcount
        await cursor.close()
        return changed

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self._conn.execute(sql, args) as cursor:
            return [tuple(r) for r in await cursor.fetchall()]


class SqliteDatabase(Database):
    """A feed store in one SQLite file.

    Parameters
    ----------
    path
        The file (created with its tables on first open; its directory must exist).
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the file in WAL mode and create the tables if missing."""
        await asyncio.to_thread(_create_private, self._path)
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA busy_timeout=5000",
            ):
                await conn.execute(pragma)
            await conn.executescript(_SCHEMA)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Hold one ``BEGIN IMMEDIATE`` transaction on the connection."""
        if self._conn is None:
            raise RuntimeError("the feed store is not open")
        conn = self._conn
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
