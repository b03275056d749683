"""Choose the feed store from a URL, so the backend is configuration, not code.

``sqlite:///abs/path.db`` and ``sqlite:relative.db`` give SQLite; ``postgresql://...``
(or ``postgres://...``) gives PostgreSQL. The store is returned unstarted.
"""

from __future__ import annotations

from ordergate.clock import Clock
from ordergate.feed.store.store import FeedStore

__all__ = ["open_feed_store"]


def open_feed_store(url: str, *, clock: Clock | None = None) -> FeedStore:
    """Return an unstarted feed store for ``url``.

    Use it as ``async with open_feed_store(url) as store:`` or call ``start()`` and
    ``close()``.

    Parameters
    ----------
    url
        ``sqlite:///abs/path.db``, ``sqlite:relative.db`` or ``postgresql://...``.
    clock
        Tells the store's timestamps (default: the wall clock).

    Raises
    ------
    ValueError
        If the scheme is neither SQLite nor PostgreSQL, or the SQLite path is empty.
    """
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if sep and scheme == "sqlite":
        from ordergate.feed.store.sqlite import SqliteDatabase

        path = rest[2:] if rest.startswith("//") else rest
        if not path or path == ":memory:" or path.endswith("/"):
            raise ValueError(f"{url!r}: give the feed database a file path")
        return FeedStore(SqliteDatabase(path), clock)
    if sep and scheme in ("postgresql", "postgres"):
        from ordergate.feed.store.postgres import PostgresDatabase

        return FeedStore(PostgresDatabase(url), clock)
    raise ValueError(f"{url!r}: unknown feed store URL; use sqlite:... or postgresql://...")
