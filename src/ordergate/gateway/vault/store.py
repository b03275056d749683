"""The credential store: one interface over SQLite and PostgreSQL, written once in SQL.

A backend supplies only a :class:`Database` (how to run a statement, how to hold a
transaction) and its schema; :class:`CredentialStore` holds every query. Each change to a
credential and its audit line are written in one transaction, so the log cannot miss a
change. The audit table is append-only in the database itself (triggers refuse UPDATE and
DELETE), so the store's own code could not rewrite history either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ordergate.gateway.vault.envelope import Sealed
from ordergate.gateway.vault.errors import CredentialExists
from ordergate.gateway.vault.models import (
    AuditAction,
    AuditEntry,
    CredentialRow,
    CredentialStatus,
    Permission,
)
from ordergate.sqldb import Database, DatabaseStore, DuplicateKey, Transaction

__all__ = ["CredentialStore", "Database", "DuplicateKey", "Transaction"]

_COLUMNS = (
    "user_id, broker, label, status, key_id, wrap_nonce, wrapped_key, nonce, ciphertext, "
    "fingerprint, permissions, created_ns, updated_ns, last_used_ns, version"
)
_SELECT = f"SELECT {_COLUMNS} FROM credentials"
_INSERT = f"INSERT INTO credentials ({_COLUMNS}) VALUES ({', '.join('?' * 15)})"
_AUDIT_COLUMNS = "ts_ns, actor, user_id, broker, action, version, key_id, detail"
_INSERT_AUDIT = f"INSERT INTO credential_audit ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_REPLACE = (
    "UPDATE credentials SET label = ?, status = ?, key_id = ?, wrap_nonce = ?, wrapped_key = ?, "
    "nonce = ?, ciphertext = ?, fingerprint = ?, permissions = ?, updated_ns = ?, "
    "last_used_ns = ?, version = ? "
    "WHERE user_id = ? AND broker = ? AND version = ?"
)
_REWRAP = (
    "UPDATE credentials SET key_id = ?, wrap_nonce = ?, wrapped_key = ? "
    "WHERE user_id = ? AND broker = ? AND version = ? AND key_id = ?"
)


def _row(values: Sequence[Any]) -> CredentialRow:
    perms = tuple(Permission(p) for p in str(values[10]).split(",") if p)
    return CredentialRow(
        user=values[0],
        broker=values[1],
        label=values[2],
        status=CredentialStatus(values[3]),
        key_id=values[4],
        wrap_nonce=bytes(values[5]),
        wrapped_key=bytes(values[6]),
        nonce=bytes(values[7]),
        ciphertext=bytes(values[8]),
        fingerprint=values[9],
        permissions=perms,
        created_ns=int(values[11]),
        updated_ns=int(values[12]),
        last_used_ns=None if values[13] is None else int(values[13]),
        version=int(values[14]),
    )


def _permissions(row: CredentialRow) -> str:
    return ",".join(sorted(row.permissions))


def _audit_args(entry: AuditEntry) -> tuple[Any, ...]:
    return (
        entry.ts_ns,
        entry.actor,
        entry.user,
        entry.broker,
        str(entry.action),
        entry.version,
        entry.key_id,
        entry.detail,
    )


class CredentialStore(DatabaseStore):
    """Store encrypted credential rows and their audit log.

    Parameters
    ----------
    database
        The backend (:class:`~ordergate.gateway.vault.sqlite.SqliteDatabase` or
        :class:`~ordergate.gateway.vault.postgres.PostgresDatabase`).
    """

    async def insert(self, row: CredentialRow, audit: AuditEntry) -> None:
        """Store a new credential and its audit line.

        Raises
        ------
        CredentialExists
            If the user already has a credential at that broker.
        """
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    _INSERT,
                    row.user,
                    row.broker,
                    row.label,
                    str(row.status),
                    row.key_id,
                    row.wrap_nonce,
                    row.wrapped_key,
                    row.nonce,
                    row.ciphertext,
                    row.fingerprint,
                    _permissions(row),
                    row.created_ns,
                    row.updated_ns,
                    row.last_used_ns,
                    row.version,
                )
                await tx.execute(_INSERT_AUDIT, *_audit_args(audit))
        except DuplicateKey:
            raise CredentialExists(row.user, row.broker) from None

    async def get(self, user: str, broker: str) -> CredentialRow | None:
        """Return the row of ``user`` at ``broker``, or None."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(f"{_SELECT} WHERE user_id = ? AND broker = ?", user, broker)
        return _row(rows[0]) if rows else None

    async def rows_of(self, user: str) -> list[CredentialRow]:
        """Return every row of ``user``, by broker."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(f"{_SELECT} WHERE user_id = ? ORDER BY broker", user)
        return [_row(r) for r in rows]

    async def replace(self, row: CredentialRow, expected_version: int, audit: AuditEntry) -> bool:
        """Overwrite the row if it is still at ``expected_version``; False if it is not."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                _REPLACE,
                row.label,
                str(row.status),
                row.key_id,
                row.wrap_nonce,
                row.wrapped_key,
                row.nonce,
                row.ciphertext,
                row.fingerprint,
                _permissions(row),
                row.updated_ns,
                row.last_used_ns,
                row.version,
                row.user,
                row.broker,
                expected_version,
            )
            if changed:
                await tx.execute(_INSERT_AUDIT, *_audit_args(audit))
        return changed == 1

    async def delete(self, user: str, broker: str, audit: AuditEntry) -> bool:
        """Delete the row of ``user`` at ``broker``; False if there was none."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "DELETE FROM credentials WHERE user_id = ? AND broker = ?", user, broker
            )
            if changed:
                await tx.execute(_INSERT_AUDIT, *_audit_args(audit))
        return changed == 1

    async def rewrap(self, row: CredentialRow, sealed: Sealed, audit: AuditEntry) -> bool:
        """Replace the wrap of ``row`` if the row is unchanged since read; False otherwise."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                _REWRAP,
                sealed.key_id,
                sealed.wrap_nonce,
                sealed.wrapped_key,
                row.user,
                row.broker,
                row.version,
                row.key_id,
            )
            if changed:
                await tx.execute(_INSERT_AUDIT, *_audit_args(audit))
        return changed == 1

    async def mark(
        self,
        row: CredentialRow,
        *,
        status: CredentialStatus | None = None,
        last_used_ns: int | None = None,
        audit: AuditEntry,
    ) -> None:
        """Record a status or a use of ``row`` (if still at its version), with ``audit``.

        The audit line is written whatever the row has become meanwhile.
        """
        async with self._db.transaction() as tx:
            if status is not None:
                await tx.execute(
                    "UPDATE credentials SET status = ? WHERE user_id = ? AND broker = ? "
                    "AND version = ?",
                    str(status),
                    row.user,
                    row.broker,
                    row.version,
                )
            if last_used_ns is not None:
                await tx.execute(
                    "UPDATE credentials SET last_used_ns = ? WHERE user_id = ? AND broker = ? "
                    "AND version = ?",
                    last_used_ns,
                    row.user,
                    row.broker,
                    row.version,
                )
            await tx.execute(_INSERT_AUDIT, *_audit_args(audit))

    async def append_audit(self, entry: AuditEntry) -> None:
        """Append one audit line."""
        async with self._db.transaction() as tx:
            await tx.execute(_INSERT_AUDIT, *_audit_args(entry))

    async def rows_not_under(
        self, key_id: str, after: tuple[str, str] | None, limit: int
    ) -> list[CredentialRow]:
        """Return up to ``limit`` rows not wrapped under ``key_id``, after ``(user, broker)``."""
        user, broker = after if after is not None else ("", "")
        async with self._db.transaction() as tx:
            rows = await tx.fetch(
                f"{_SELECT} WHERE key_id <> ? AND (user_id > ? OR (user_id = ? AND broker > ?)) "
                "ORDER BY user_id, broker LIMIT ?",
                key_id,
                user,
                user,
                broker,
                limit,
            )
        return [_row(r) for r in rows]

    async def count_by_key(self) -> dict[str, int]:
        """Return how many rows each master key id wraps."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch("SELECT key_id, COUNT(*) FROM credentials GROUP BY key_id")
        return {str(k): int(n) for k, n in rows}

    async def audit(
        self, user: str, broker: str | None = None, *, limit: int = 1000
    ) -> list[AuditEntry]:
        """Return the first ``limit`` audit lines about ``user`` (at ``broker``), oldest first."""
        where, args = (
            ("user_id = ?", [user])
            if broker is None
            else (
                "user_id = ? AND broker = ?",
                [user, broker],
            )
        )
        async with self._db.transaction() as tx:
            rows = await tx.fetch(
                f"SELECT seq, {_AUDIT_COLUMNS} FROM credential_audit WHERE {where} "
                "ORDER BY seq LIMIT ?",
                *args,
                limit,
            )
        return [
            AuditEntry(
                seq=int(r[0]),
                ts_ns=int(r[1]),
                actor=r[2],
                user=r[3],
                broker=r[4],
                action=AuditAction(r[5]),
                version=None if r[6] is None else int(r[6]),
                key_id=r[7],
                detail=r[8],
            )
            for r in rows
        ]
