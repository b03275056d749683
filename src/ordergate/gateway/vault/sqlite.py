"""The SQLite backend of the credential store (aiosqlite): the embedded default.

One connection, in autocommit mode, with an asyncio lock so each transaction runs alone on
it (``BEGIN IMMEDIATE`` ... ``COMMIT``). ``secure_delete`` overwrites freed pages, so a
deleted credential's ciphertext does not linger in the file.
"""

from __future__ import annotations

from ordergate.sqldb import sqlite

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


class SqliteDatabase(sqlite.SqliteDatabase):
    """A credential database in one SQLite file (see :mod:`ordergate.sqldb.sqlite`)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, _SCHEMA, name="the credential database", secure_delete=True)
