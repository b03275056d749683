"""Choose the event recorder from a URL, so the backend is configuration, not code.

``sqlite:///abs/path.db`` and ``sqlite:relative.db`` give a ``SqliteRecorder``;
``postgresql://...`` (or ``postgres://...``) gives a ``PostgresRecorder``. The recorder is
returned unstarted: ``await recorder.start()`` or use it as an async context manager.
"""

from __future__ import annotations

from ordergate.eventstore.recorder import EventRecorder

__all__ = ["open_recorder"]


def open_recorder(url: str) -> EventRecorder:
    """Return an unstarted recorder for ``url``.

    Parameters
    ----------
    url
        ``sqlite:///abs/path.db``, ``sqlite:relative.db`` or ``postgresql://...``.

    Raises
    ------
    ValueError
        If the scheme is not one of those or the SQLite path is empty.
    """
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if sep and scheme == "sqlite":
        from ordergate.eventstore.sqlite import SqliteRecorder

        path = rest[2:] if rest.startswith("//") else rest
        if not path or path == ":memory:":
            raise ValueError(f"{url!r}: give the SQLite database a file path")
        return SqliteRecorder(path)
    if sep and scheme in ("postgresql", "postgres"):
        from ordergate.eventstore.postgres import PostgresRecorder

        return PostgresRecorder(url)
    raise ValueError(f"{url!r}: unknown event store URL; use sqlite:... or postgresql://...")
