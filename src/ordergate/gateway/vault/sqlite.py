"""The SQLite backend of the credential store (aiosqlite): the embedded default.

One connection, in autocommit mode, with an asyncio lock so each transaction runs alone on
it (``BEGIN IMMEDIATE`` ... ``COMMIT``). ``secure_delete`` overwrites freed pages, so a
deleted credential's ciphertext does not linger in the file.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from ordergate.gateway.vault.store import Database, DuplicateKey, Transaction

__all__ = ["SqliteDatabase"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS credentials (
    user_id TEXT NOT NULL,
    broker TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    key_id TEXT NOT NULL,
    wrap_nonce BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    fingerprint TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_ns INTEGER NOT NULL,
    updated_ns INTEGER NOT NULL,
    last_used_ns INTEGER,
    version INTEGER NOT NULL,
    PRIMARY KEY (user_id, broker)
);
CREATE INDEX IF NOT EXISTS credentials_key_id ON credentials (key_id);
CREATE TABLE IF NOT EXISTS credential_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns INTEGER NOT NULL,
    actor TEXT NOT NULL,
    user_id TEXT NOT NULL,
    broker TEXT,
    action TEXT NOT NULL,
    version INTEGER,
    key_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS credential_audit_user ON credential_audit (user_id, broker, seq);
CREATE TRIGGER IF NOT EXISTS credential_audit_no_update BEFORE UPDATE ON credential_audit
BEGIN SELECT RAISE(ABORT, 'credential_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS credential_audit_no_delete BEFORE DELETE ON credential_audit
BEGIN SELECT RAISE(ABORT, 'credential_audit is append-only'); END;
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
    """A credential database in one SQLite file.

    Parameters
    ----------
    path
        The file (created with its tables on first open).
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the file in WAL mode and create the tables if missing.

        A new file is created readable by its owner only; SQLite gives its WAL and
        shared-memory files the same mode.
        """
        await asyncio.to_thread(_create_private, self._path)
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA secure_delete=ON",
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
            raise RuntimeError("the credential database is not open")
        conn = self._conn
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
