"""The PostgreSQL event recorder (asyncpg): one writer task doing group commit.

Invariants:

- Positions are assigned by the writer (no sequence, so no gaps) inside a transaction that
  holds ``pg_advisory_xact_lock(EVENTS_LOCK)``. Commits of different writers are therefore
  serialized, and readers never see position ``n`` committed before ``n - 1``.
- After taking the lock the writer reads the head (last position and hash) in a separate
  statement: under READ COMMITTED a statement's snapshot is taken when it starts, so a head
  read in the same statement as the lock wait could predate another writer's commit. If the
  head is not the one the writer left, its stream-version cache is dropped. So two
  processes appending to one database stay correct; the unique ``(stream_id, version)`` key
  is the last guard.
- A group is one transaction and one commit (durable with ``synchronous_commit=on``). If
  it fails, every caller of the group gets the exception and the cache is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg

from ordergate.eventstore._groupcommit import (
    AppendRequest,
    GroupPlanner,
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

__all__ = ["EVENTS_LOCK", "PostgresRecorder"]

EVENTS_LOCK = 0x6F67_6576  # "ogev": the advisory lock key serializing appends
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position BIGINT PRIMARY KEY,
    stream_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data BYTEA NOT NULL,
    ts BIGINT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS snapshots (
    stream_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data BYTEA NOT NULL,
    ts BIGINT NOT NULL
);
"""
_COLUMNS = (
    "position",
    "stream_id",
    "version",
    "type",
    "schema_version",
    "data",
    "ts",
    "prev_hash",
    "hash",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM events"
_HEAD = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
_VERSIONS = (
    "SELECT stream_id, MAX(version) FROM events WHERE stream_id = ANY($1::text[]) "
    "GROUP BY stream_id"
)
_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
_UPSERT_SNAPSHOT = """
INSERT INTO snapshots (stream_id, version, type, schema_version, data, ts)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (stream_id) DO UPDATE SET
    version = excluded.version, type = excluded.type,
    schema_version = excluded.schema_version, data = excluded.data, ts = excluded.ts
WHERE excluded.version >= snapshots.version
"""
_COPY_THRESHOLD = 64  # below this many rows a pipelined executemany beats COPY's set-up


class PostgresRecorder(EventRecorder):
    """Store events in PostgreSQL.

    Parameters
    ----------
    url
        A libpq-style URL, e.g. ``postgresql://user@host:5432/db``.
    pool_size
        How many connections serve reads (the writer has its own).
    max_cached_streams
        How many stream versions the writer keeps in memory before dropping its cache.
    """

    def __init__(self, url: str, *, pool_size: int = 4, max_cached_streams: int = 200_000):
        self._url = url
        self._pool_size = pool_size
        self._planner = GroupPlanner(max_cached_streams)
        self._queue: asyncio.Queue[AppendRequest | None] = asyncio.Queue()
        self._writer: Any = None
        self._pool: Any = None
        self._task: asyncio.Task[None] | None = None
        self._accepting = False

    async def start(self) -> None:
        """Connect, create the schema if missing and start the writer task."""
        if self._task is not None:
            raise EventStoreError("recorder already started")
        self._writer = await asyncpg.connect(self._url)
        try:
            async with self._writer.transaction():
                await self._writer.execute("SELECT pg_advisory_xact_lock($1)", EVENTS_LOCK)
                await self._writer.execute(_SCHEMA)
            self._pool = await asyncpg.create_pool(self._url, min_size=1, max_size=self._pool_size)
        except BaseException:
            await self._writer.close()
            self._writer = None
            raise
        self._task = asyncio.create_task(self._run(), name="eventstore-postgres-writer")
        self._accepting = True

    async def close(self) -> None:
        """Flush pending appends, stop the writer task and close the connections."""
        self._accepting = False
        task, self._task = self._task, None
        if task is not None:
            await self._queue.put(None)
            await task
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty():
                group.append(self._queue.get_nowait())
            requests = [r for r in group if r is not None]
            if requests:
                await self._write_group(requests)
            if len(requests) < len(group):
                return

    async def _write_group(self, requests: list[AppendRequest]) -> None:
        planner = self._planner
        conn = self._writer
        try:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", EVENTS_LOCK)
                head = await conn.fetchrow(_HEAD)
                planner.sync_head(*(head if head is not None else (0, GENESIS_HASH)))
                unknown = planner.unknown_streams(requests)
                if unknown:
                    found = await conn.fetch(_VERSIONS, unknown)
                    planner.learn(unknown, {r[0]: r[1] for r in found})
                plan = planner.plan(requests)
                if len(plan.rows) >= _COPY_THRESHOLD:
                    await conn.copy_records_to_table("events", records=plan.rows, columns=_COLUMNS)
                elif plan.rows:
                    await conn.executemany(_INSERT, plan.rows)
        except Exception as e:  # the transaction failed: every caller in the group gets it
            planner.forget()
            for request in requests:
                resolve(request.future, e)
            return
        planner.commit(plan)
        for request, outcome in zip(requests, plan.outcomes, strict=True):
            resolve(request.future, outcome)

    async def append(self, events: Sequence[NewEvent]) -> list[int]:
        """Append events atomically; see ``EventRecorder.append``."""
        spans = check_batch(events)
        if not self._accepting:
            raise EventStoreError("recorder is not started or is closed")
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(AppendRequest(events, spans, future))
        return await future

    def _readers(self) -> Any:
        if self._pool is None:
            raise EventStoreError("recorder is not started or is closed")
        return self._pool

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Save a snapshot; see ``EventRecorder.save_snapshot``."""
        s = snapshot
        await self._readers().execute(
            _UPSERT_SNAPSHOT, s.stream_id, s.version, s.type, s.schema_version, s.data, s.ts
        )

    async def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the stream's snapshot, or None."""
        r = await self._readers().fetchrow(
            "SELECT stream_id, version, type, schema_version, data, ts "
            "FROM snapshots WHERE stream_id = $1",
            stream_id,
        )
        if r is None:
            return None
        return Snapshot(
            stream_id=r[0], version=r[1], type=r[2], schema_version=r[3], data=r[4], ts=r[5]
        )

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        """Return a stream's events from ``from_version`` on, in version order."""
        sql = f"{_SELECT} WHERE stream_id = $1 AND version >= $2 ORDER BY version"
        return stored_events(await self._readers().fetch(sql, stream_id, from_version))

    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[StoredEvent]:
        """Return up to ``limit`` events from ``from_position`` on, ascending."""
        sql = f"{_SELECT} WHERE position >= $1 ORDER BY position LIMIT $2"
        return stored_events(await self._readers().fetch(sql, from_position, limit))

    async def last_position(self) -> int:
        """Return the last position, 0 when empty."""
        value = await self._readers().fetchval("SELECT COALESCE(MAX(position), 0) FROM events")
        return int(value)

    async def stream_version(self, stream_id: str) -> int:
        """Return the stream's version, 0 when it does not exist."""
        value = await self._readers().fetchval(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = $1", stream_id
        )
        return int(value)

    async def verify(self, batch: int = 10_000) -> VerifyReport:
        """Walk the whole chain in batches; see ``EventRecorder.verify``."""
        walker = ChainWalker()
        after = 0
        sql = f"{_SELECT} WHERE position > $1 ORDER BY position LIMIT $2"
        while True:
            records = await self._readers().fetch(sql, after, batch)
            rows: list[Row] = [tuple(r) for r in records]
            if not walker.feed(rows) or len(rows) < batch:
                return walker.finish()
            after = rows[-1][0]
