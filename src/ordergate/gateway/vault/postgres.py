"""The PostgreSQL backend of the credential store (asyncpg), for shared deployments.

The schema is created under an advisory lock, so several processes starting together do not
race on it. The audit table refuses UPDATE, DELETE and TRUNCATE through triggers.
"""

from __future__ import annotations

from ordergate.sqldb import postgres

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


class PostgresDatabase(postgres.PostgresDatabase):
    """A credential database in PostgreSQL (see :mod:`ordergate.sqldb.postgres`)."""

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        super().__init__(
            url, _SCHEMA, SCHEMA_LOCK, name="the credential database", pool_size=pool_size
        )
