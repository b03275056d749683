"""The SQLite event recorder: one file, WAL, one writer thread doing group commit.

Invariants:

- Exactly one thread writes: it owns the writer connection, takes every request queued
  since its last commit, writes them in one ``BEGIN IMMEDIATE`` transaction and commits
  once (``synchronous=FULL``: durable at commit), then settles each caller's future on the
  event loop. A whole group costs one thread hop and one fsync.
- Inside that transaction the writer reads the head (last position and hash) before
  planning, so positions stay contiguous and the chain unbroken even if another process
  wrote to the file; the unique ``(stream_id, version)`` key is the last guard.
- Readers use their own connection in autocommit mode, so each query is one WAL snapshot
  and a reader never sees part of a group.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from ordergate.eventstore._groupcommit import (
    AppendRequest,
    GroupPlan,
    GroupPlanner,
    SnapshotRequest,
    check_batch,
    resolve,
)
from ordergate.eventstore.hashchain import GENESIS_HASH, ChainWalker, Row
from ordergate.eventstore.recorder import (
    EventRecorder,
    EventStoreError,
    NewEvent,
    Snapshot,
    StoredEvent,
    VerifyReport,
    stored_events,
)

__all__ = ["SqliteRecorder"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data BLOB NOT NULL,
    ts INTEGER NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS snapshots (
    stream_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data BLOB NOT NULL,
    ts INTEGER NOT NULL
);
"""
_COLUMNS = "position, stream_id, version, type, schema_version, data, ts, prev_hash, hash"
_INSERT = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HEAD = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
_UPSERT_SNAPSHOT = """
INSERT INTO snapshots (stream_id, version, type, schema_version, data, ts)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (stream_id) DO UPDATE SET
    version = excluded.version, type = excluded.type,
    schema_version = excluded.schema_version, data = excluded.data, ts = excluded.ts
WHERE excluded.version >= snapshots.version
"""
_VERSIONS_CHUNK = 500
_STOP = object()


class SqliteRecorder(EventRecorder):
    """Store events in one SQLite file.

    Parameters
    ----------
    path
        The database file; created with its schema if missing.
    max_cached_streams
        How many stream versions the writer keeps in memory before dropping its cache.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_cached_streams: int = 200_000) -> None:
        self._path = os.fspath(path)
        self._planner = GroupPlanner(max_cached_streams)
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        self._accepting = False

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Open the file, create the schema if missing and start the writer thread."""
        if self._thread is not None:
            raise EventStoreError("recorder already started")
        self._loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._writer_main, args=(started,), name="eventstore-sqlite-writer"
        )
        self._thread.start()
        await started
        self._reader = await asyncio.to_thread(self._connect)
        self._accepting = True

    async def close(self) -> None:
        """Flush pending appends, stop the writer thread and close the connections."""
        self._accepting = False
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(thread.join)
        reader, self._reader = self._reader, None
        if reader is not None:
            with self._reader_lock:
                reader.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA mmap_size = 268435456")
        conn.execute("PRAGMA temp_store = MEMORY")
        return conn

    # -- the writer thread ---------------------------------------------------------------

    def _writer_main(self, started: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            conn = self._connect()
            conn.executescript(_SCHEMA)
        except BaseException as e:  # report any failure to start() and end the thread
            loop.call_soon_threadsafe(resolve, started, e)
            return
        loop.call_soon_threadsafe(resolve, started, None)
        try:
            stop = False
            while not stop:
                group = [self._queue.get()]
                while True:
                    try:
                        group.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                stop = _STOP in group
                settled = self._write_group(conn, [r for r in group if r is not _STOP])
                if settled:
                    loop.call_soon_threadsafe(_settle, settled)
        finally:
            conn.close()

    def _write_group(
        self, conn: sqlite3.Connection, group: list[object]
    ) -> list[tuple[asyncio.Future[Any], object]]:
        appends = [r for r in group if isinstance(r, AppendRequest)]
        snapshots = [r for r in group if isinstance(r, SnapshotRequest)]
        if not appends and not snapshots:
            return []
        planner = self._planner
        plan: GroupPlan | None = None
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                head = conn.execute(_HEAD).fetchone()
                planner.sync_head(*(head if head is not None else (0, GENESIS_HASH)))
                if appends:
                    self._load_versions(conn, planner.unknown_streams(appends))
                    plan = planner.plan(appends)
                    conn.executemany(_INSERT, plan.rows)
                if snapshots:
                    conn.executemany(
                        _UPSERT_SNAPSHOT,
                        [
                            (s.stream_id, s.version, s.type, s.schema_version, s.data, s.ts)
                            for s in (r.snapshot for r in snapshots)
                        ],
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except Exception as e:  # the transaction failed: every caller in the group gets it
            planner.forget()
            failed: list[tuple[asyncio.Future[Any], object]] = [(r.future, e) for r in appends]
            failed.extend((r.future, e) for r in snapshots)
            return failed
        settled: list[tuple[asyncio.Future[Any], object]] = []
        if plan is not None:
            planner.commit(plan)
            settled.extend((r.future, o) for r, o in zip(appends, plan.outcomes, strict=True))
        settled.extend((r.future, None) for r in snapshots)
        return settled

    def _load_versions(self, conn: sqlite3.Connection, stream_ids: list[str]) -> None:
        for i in range(0, len(stream_ids), _VERSIONS_CHUNK):
            chunk = stream_ids[i : i + _VERSIONS_CHUNK]
            marks = ", ".join("?" * len(chunk))
            found = conn.execute(
                "SELECT stream_id, MAX(version) FROM events "
                f"WHERE stream_id IN ({marks}) GROUP BY stream_id",
                chunk,
            ).fetchall()
            self._planner.learn(chunk, dict(found))

    def _submit(self, request: object) -> None:
        if not self._accepting:
            raise EventStoreError("recorder is not started or is closed")
        self._queue.put(request)

    # -- the port ------------------------------------------------------------------------

    async def append(self, events: Sequence[NewEvent]) -> list[int]:
        """Append events atomically; see ``EventRecorder.append``."""
        spans = check_batch(events)
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._submit(AppendRequest(events, spans, future))
        return await future

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Save a snapshot through the writer; see ``EventRecorder.save_snapshot``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._submit(SnapshotRequest(snapshot, future))
        await future

    async def _query(self, sql: str, params: tuple[object, ...]) -> list[Any]:
        return await asyncio.to_thread(self._query_sync, sql, params)

    def _query_sync(self, sql: str, params: tuple[object, ...]) -> list[Any]:
        with self._reader_lock:
            if self._reader is None:
                raise EventStoreError("recorder is not started or is closed")
            return self._reader.execute(sql, params).fetchall()

    def _read_sync(self, sql: str, params: tuple[object, ...]) -> list[StoredEvent]:
        return stored_events(self._query_sync(sql, params))

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        """Return a stream's events from ``from_version`` on, in version order."""
        sql = f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? AND version >= ? ORDER BY version"
        return await asyncio.to_thread(self._read_sync, sql, (stream_id, from_version))

    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[StoredEvent]:
        """Return up to ``limit`` events from ``from_position`` on, ascending."""
        sql = f"SELECT {_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?"
        return await asyncio.to_thread(self._read_sync, sql, (from_position, limit))

    async def last_position(self) -> int:
        """Return the last position, 0 when empty."""
        rows = await self._query("SELECT COALESCE(MAX(position), 0) FROM events", ())
        return int(rows[0][0])

    async def stream_version(self, stream_id: str) -> int:
        """Return the stream's version, 0 when it does not exist."""
        sql = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?"
        rows = await self._query(sql, (stream_id,))
        return int(rows[0][0])

    async def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the stream's snapshot, or None."""
        sql = (
            "SELECT stream_id, version, type, schema_version, data, ts "
            "FROM snapshots WHERE stream_id = ?"
        )
        rows = await self._query(sql, (stream_id,))
        if not rows:
            return None
        r = rows[0]
        return Snapshot(
            stream_id=r[0], version=r[1], type=r[2], schema_version=r[3], data=r[4], ts=r[5]
        )

    async def verify(self, batch: int = 10_000) -> VerifyReport:
        """Walk the whole chain in batches; see ``EventRecorder.verify``."""
        walker = ChainWalker()
        after = 0
        sql = f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
        while True:
            rows: list[Row] = await self._query(sql, (after, batch))
            if not walker.feed(rows) or len(rows) < batch:
                return walker.finish()
            after = rows[-1][0]


def _settle(settled: list[tuple[asyncio.Future[Any], object]]) -> None:
    for future, outcome in settled:
        resolve(future, outcome)
