"""The PostgreSQL backend of the feed store (asyncpg), for shared deployments.

Several feed gateways can share one database: tokens made on one are valid on all, and a
durable subscription acknowledged through one resumes from the same cursor on another. The
schema is created under an advisory lock, so processes starting together do not race on it.
"""

from __future__ import annotations

from ordergate.sqldb import postgres

__all__ = ["SCHEMA_LOCK", "PostgresDatabase"]

SCHEMA_LOCK = 0x6F67_6664  # "ogfd": serializes schema creation
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed_tokens (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    accounts TEXT,
    created_ns BIGINT NOT NULL,
    revoked_ns BIGINT
);
CREATE TABLE IF NOT EXISTS feed_subscriptions (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    filter TEXT NOT NULL,
    cursor BIGINT NOT NULL CHECK (cursor >= 0),
    created_ns BIGINT NOT NULL,
    updated_ns BIGINT NOT NULL,
    PRIMARY KEY (owner, name)
);
"""


class PostgresDatabase(postgres.PostgresDatabase):
    """A feed store in PostgreSQL (see :mod:`ordergate.sqldb.postgres`)."""

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        super().__init__(url, _SCHEMA, SCHEMA_LOCK, name="the feed store", pool_size=pool_size)
