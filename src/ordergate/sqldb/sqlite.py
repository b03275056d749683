"""The SQLite backend (aiosqlite): the embedded default.

One connection, in autocommit mode, with an asyncio lock so each transaction runs alone on
it (``BEGIN IMMEDIATE`` ... ``COMMIT``). A new file is created readable by its owner only;
SQLite gives its WAL and shared-memory files the same mode.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from ordergate.sqldb.database import Database, DuplicateKey, Transaction

__all__ = ["SqliteDatabase"]


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
    """A database in one SQLite file.

    Parameters
    ----------
    path
        The file (created with its tables on first open; its directory must exist).
    schema
        The SQL script creating the tables if missing (``CREATE ... IF NOT EXISTS``).
    name
        What the database is called in errors, e.g. ``"the feed store"``.
    secure_delete
        Overwrite freed pages (``PRAGMA secure_delete=ON``), so deleted rows do not linger
        in the file.
    """

    def __init__(
        self, path: str, schema: str, *, name: str = "the database", secure_delete: bool = False
    ) -> None:
        self._path = path
        self._schema = schema
        self._name = name
        self._pragmas = (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            *(("PRAGMA secure_delete=ON",) if secure_delete else ()),
            "PRAGMA busy_timeout=5000",
        )
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the file in WAL mode and create the tables if missing."""
        await asyncio.to_thread(_create_private, self._path)
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            for pragma in self._pragmas:
                await conn.execute(pragma)
            await conn.executescript(self._schema)
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
            raise RuntimeError(f"{self._name} is not open")
        conn = self._conn
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
