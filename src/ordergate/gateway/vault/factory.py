"""Choose the credential store from a URL, so the backend is configuration, not code.

``sqlite:///abs/path.db`` and ``sqlite:relative.db`` give SQLite; ``postgresql://...``
(or ``postgres://...``) gives PostgreSQL. The store is returned unstarted.
"""

from __future__ import annotations

from ordergate.gateway.vault.store import CredentialStore

__all__ = ["open_credential_store"]


def open_credential_store(url: str) -> CredentialStore:
    """Return an unstarted credential store for ``url``.

    Raises
    ------
    ValueError
        If the scheme is neither SQLite nor PostgreSQL, or the SQLite path is empty.
    """
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if sep and scheme == "sqlite":
        from ordergate.gateway.vault.sqlite import SqliteDatabase

        path = rest[2:] if rest.startswith("//") else rest
        if not path or path == ":memory:":
            raise ValueError(f"{url!r}: give the credential database a file path")
        return CredentialStore(SqliteDatabase(path))
    if sep and scheme in ("postgresql", "postgres"):
        from ordergate.gateway.vault.postgres import PostgresDatabase

        return CredentialStore(PostgresDatabase(url))
    raise ValueError(f"{url!r}: unknown credential store URL; use sqlite:... or postgresql://...")
