"""The SQLite backend of the feed store (aiosqlite): the embedded default.

One connection, in autocommit mode, with an asyncio lock so each transaction runs alone on
it (``BEGIN IMMEDIATE`` ... ``COMMIT``). A new file is readable by its owner only: it holds
token hashes, which are not secrets but are nobody else's business either.
"""

from __future__ import annotations

from ordergate.sqldb import sqlite

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


class SqliteDatabase(sqlite.SqliteDatabase):
    """A feed store in one SQLite file (see :mod:`ordergate.sqldb.sqlite`)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, _SCHEMA, name="the feed store")
