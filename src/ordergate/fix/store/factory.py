"""Open a message database or a session's durable store from a URL.

``sqlite:///abs/path/fix.db`` or ``sqlite:relative.db`` give SQLite (one file can hold many
sessions); ``postgresql://...`` (or ``postgres://...``) gives PostgreSQL.
"""

from __future__ import annotations

from ordergate.fix.store.durable import DurableMessageStore, MessageDatabase

__all__ = ["open_message_database", "open_message_store", "sqlite_path"]


async def open_message_database(url: str) -> MessageDatabase:
    """Return a started database for ``url``; share it between sessions with ``open_store``.

    Raises
    ------
    ValueError
        If the scheme is not sqlite or postgresql, or the SQLite path is empty.
    """
    scheme = url.partition(":")[0].lower()
    database: MessageDatabase
    path = sqlite_path(url)
    if path is not None:
        from ordergate.fix.store.sqlite import SqliteMessageDatabase

        sqlite_database = SqliteMessageDatabase(path)
        await sqlite_database.start()
        database = sqlite_database
    elif ":" in url and scheme in ("postgresql", "postgres"):
        from ordergate.fix.store.postgres import PostgresMessageDatabase

        postgres_database = PostgresMessageDatabase(url)
        await postgres_database.start()
        database = postgres_database
    else:
        raise ValueError(f"{url!r}: unknown message store URL; use sqlite:... or postgresql://...")
    return database


def sqlite_path(url: str) -> str | None:
    """Return the file path of a ``sqlite:`` URL, None for another scheme.

    Raises
    ------
    ValueError
        If the SQLite URL has no file path (in-memory databases are not durable).
    """
    scheme, sep, rest = url.partition(":")
    if not sep or scheme.lower() != "sqlite":
        return None
    path = rest[2:] if rest.startswith("//") else rest
    if not path or path.lstrip("/") == ":memory:":
        raise ValueError(f"{url!r}: give the SQLite database a file path")
    return path


async def open_message_store(
    url: str, session_id: str, *, now: int | None = None
) -> DurableMessageStore:
    """Open the durable store of ``session_id`` in its own database connection(s).

    The store closes the database when it closes. Sessions that share a database (and its
    group commit) open it once with :func:`open_message_database` and call ``open_store``.

    Parameters
    ----------
    url
        ``sqlite:///path/fix.db``, ``sqlite:relative.db`` or ``postgresql://...``.
    session_id
        The session's name, ``BeginString:Sender->Target``.
    now
        Creation time of a new session (ns since the epoch); the clock when None.
    """
    database = await open_message_database(url)
    try:
        return await database.open_store(session_id, now=now, owns_database=True)
    except BaseException:
        await database.close()
        raise
