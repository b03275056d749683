"""The PostgreSQL backend of the credential store (asyncpg), for shared deployments.

The schema is created under an advisory lock, so several processes starting together do not
race on it. The audit table refuses UPDATE, DELETE and TRUNCATE through triggers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from ordergate.gateway.vault.store import Database, DuplicateKey, Transaction

__all__ = ["SCHEMA_LOCK", "PostgresDatabase"]

SCHEMA_LOCK = 0x6F67_6376  # "ogcv": serializes schema creation
_SCHEMA = """
CREATE TABLE IF NOT EXISTS credentials (
    user_id TEXT NOT NULL,
    broker TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    key_id TEXT NOT NULL,
    wrap_nonce BYTEA NOT NULL,
    wrapped_key BYTEA NOT NULL,
    nonce BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    fingerprint TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_ns BIGINT NOT NULL,
    updated_ns BIGINT NOT NULL,
    last_used_ns BIGINT,
    version BIGINT NOT NULL,
    PRIMARY KEY (user_id, broker)
);
CREATE INDEX IF NOT EXISTS credentials_key_id ON credentials (key_id);
CREATE TABLE IF NOT EXISTS credential_audit (
    seq BIGSERIAL PRIMARY KEY,
    ts_ns BIGINT NOT NULL,
    actor TEXT NOT NULL,
    user_id TEXT NOT NULL,
    broker TEXT,
    action TEXT NOT NULL,
    version BIGINT,
    key_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS credential_audit_user ON credential_audit (user_id, broker, seq);
CREATE OR REPLACE FUNCTION credential_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'credential_audit is append-only'; END $$;
CREATE OR REPLACE TRIGGER credential_audit_no_change BEFORE UPDATE OR DELETE
ON credential_audit FOR EACH ROW EXECUTE FUNCTION credential_audit_append_only();
CREATE OR REPLACE TRIGGER credential_audit_no_truncate BEFORE TRUNCATE
ON credential_audit FOR EACH STATEMENT EXECUTE FUNCTION credential_audit_append_only();
"""
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
    """A credential database in PostgreSQL.

    Parameters
    ----------
    url
        A libpq-style URL, e.g. ``postgresql://user@host:5432/db``.
    pool_size
        The most connections held at once.
    """

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self._url = url
        self._pool_size = pool_size
        self._pool: Any = None

    async def open(self) -> None:
        """Connect a pool and create the tables if missing."""
        pool = await asyncpg.create_pool(self._url, min_size=1, max_size=self._pool_size)
        try:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                await conn.execute(_SCHEMA)
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
            raise RuntimeError("the credential database is not open")
        async with self._pool.acquire() as conn, conn.transaction():
            yield _Tx(conn)
