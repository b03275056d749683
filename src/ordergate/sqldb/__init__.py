"""Shared SQL plumbing: one transaction interface over SQLite (aiosqlite) and PostgreSQL (asyncpg).

A store writes its queries once, with ``?`` placeholders, against :class:`Database`; a
backend supplies only how a statement is run and a transaction is held. The stores built on
it (the credential vault's, the feed's) give their own schema and, on PostgreSQL, the
advisory-lock key that serializes its creation.
"""

from ordergate.sqldb.database import Database, DatabaseStore, DuplicateKey, Transaction

__all__ = ["Database", "DatabaseStore", "DuplicateKey", "Transaction"]
