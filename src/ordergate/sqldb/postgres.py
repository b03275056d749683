"""The PostgreSQL backend (asyncpg), for shared deployments.

Statements are written with ``?`` placeholders and numbered (``$1``, ``$2``, ...) here. The
schema is created under an advisory lock, so several processes starting together do not race
on it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from ordergate.sqldb.database import Database, DuplicateKey, Transaction

__all__ = ["PostgresDatabase"]

_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class _Tx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        try:
            status: str = await self._conn.execute(_numbered(sql), *args)
        except asyncpg.UniqueViolationError as e:
            raise DuplicateKey(str(e)) from None
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        records = await self._conn.fetch(_numbered(sql), *args)
        return [tuple(r.values()) for r in records]


class PostgresDatabase(Database):
    """A database in PostgreSQL.

    Parameters
    ----------
    url
        A libpq-style URL, e.g. ``postgresql://user@host:5432/db``.
    schema
        The SQL creating the tables if missing (run as one script).
    lock_key
        The advisory-lock key held while the schema is created.
    name
        What the database is called in errors, e.g. ``"the feed store"``.
    pool_size
        The most connections held at once.
    """

    def __init__(
        self,
        url: str,
        schema: str,
        lock_key: int,
        *,
        name: str = "the database",
        pool_size: int = 4,
    ) -> None:
        self._url = url
        self._schema = schema
        self._lock_key = lock_key
        self._name = name
        self._pool_size = pool_size
        self._pool: Any = None

    async def open(self) -> None:
        """Connect a pool and create the tables if missing."""
        pool = await asyncpg.create_pool(self._url, min_size=1, max_size=self._pool_size)
        try:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
                await conn.execute(self._schema)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        """Close the pool."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Hold one transaction on a pooled connection."""
        if self._pool is None:
            raise RuntimeError(f"{self._name} is not open")
        async with self._pool.acquire() as conn, conn.transaction():
            yield _Tx(conn)
