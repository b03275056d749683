"""FIX message stores in PostgreSQL (asyncpg): one writer task doing group commit.

Invariants:

- One task writes, on its own connection: it takes every batch queued since its last commit
  (from any session of the database) and writes them in one transaction, committed once
  (durable with ``synchronous_commit=on``). If the transaction fails, every batch of the
  group gets the exception and nothing of the group is written.
- Queries go through a small pool, each in its own snapshot.
- ``fix_message_log.id`` is a ``bigserial``: ids of concurrent writers may commit out of
  order, but one database has one writer task per process, and a session is open in one
  process, so a session's rows commit in id order and ``after_id`` paging misses none.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from ordergate.fix.store.base import Direction
from ordergate.fix.store.durable import (
    LoadedSession,
    LoggedMessage,
    MessageDatabase,
    MessageStoreError,
    PendingBatch,
    check_limit,
)

__all__ = ["PostgresMessageDatabase"]

SCHEMA_LOCK = 0x6F67_6678  # "ogfx": serializes schema creation by concurrent processes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS fix_sessions (
    session_id TEXT PRIMARY KEY,
    next_sender_seq BIGINT NOT NULL,
    next_target_seq BIGINT NOT NULL,
    creation_time BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS fix_sent_messages (
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    raw BYTEA NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS fix_message_log (
    id BIGSERIAL PRIMARY KEY,
    session_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    ts_ns BIGINT NOT NULL,
    msg_type TEXT NOT NULL,
    seq BIGINT,
    cl_ord_id TEXT,
    raw BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_message_log_session ON fix_message_log (session_id, id);
CREATE INDEX IF NOT EXISTS fix_message_log_type ON fix_message_log (session_id, msg_type, id);
CREATE INDEX IF NOT EXISTS fix_message_log_order
    ON fix_message_log (session_id, cl_ord_id, id) WHERE cl_ord_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS fix_message_log_time ON fix_message_log (session_id, ts_ns);
"""
_LOAD_STATE = (
    "SELECT next_sender_seq, next_target_seq, creation_time FROM fix_sessions WHERE session_id = $1"
)
_LOAD_SENT = "SELECT seq, raw FROM fix_sent_messages WHERE session_id = $1 ORDER BY seq"
_SAVE_STATE = """
INSERT INTO fix_sessions (session_id, next_sender_seq, next_target_seq, creation_time)
VALUES ($1, $2, $3, $4)
ON CONFLICT (session_id) DO UPDATE SET
    next_sender_seq = excluded.next_sender_seq,
    next_target_seq = excluded.next_target_seq,
    creation_time = excluded.creation_time
"""
_SAVE_SENT = (
    "INSERT INTO fix_sent_messages (session_id, seq, raw) VALUES ($1, $2, $3) "
    "ON CONFLICT (session_id, seq) DO UPDATE SET raw = excluded.raw"
)
_DROP_SENT = "DELETE FROM fix_sent_messages WHERE session_id = $1"
_LOG_COLUMNS = ("session_id", "direction", "ts_ns", "msg_type", "seq", "cl_ord_id", "raw")
_LOG = (
    f"INSERT INTO fix_message_log ({', '.join(_LOG_COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
)
_COPY_THRESHOLD = 64  # below this many rows a pipelined executemany beats COPY's set-up

_Write = tuple[PendingBatch, "asyncio.Future[None]"]


class PostgresMessageDatabase(MessageDatabase):
    """The message stores of many sessions in one PostgreSQL database.

    Parameters
    ----------
    url
        A libpq-style URL, e.g. ``postgresql://user@host:5432/db``.
    pool_size
        How many connections serve queries (the writer has its own).
    """

    def __init__(self, url: str, *, pool_size: int = 2) -> None:
        super().__init__()
        self._url = url
        self._pool_size = pool_size
        self._queue: asyncio.Queue[_Write | None] = asyncio.Queue()
        self._writer: Any = None
        self._pool: Any = None
        self._task: asyncio.Task[None] | None = None
        self._accepting = False

    async def start(self) -> None:
        """Connect, create the schema if missing and start the writer task."""
        if self._task is not None:
            raise MessageStoreError("database already started")
        self._writer = await asyncpg.connect(self._url)
        try:
            async with self._writer.transaction():
                await self._writer.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                await self._writer.execute(_SCHEMA)
            self._pool = await asyncpg.create_pool(self._url, min_size=1, max_size=self._pool_size)
        except BaseException:
            await self._writer.close()
            self._writer = None
            raise
        self._task = asyncio.create_task(self._run(), name="fix-store-postgres-writer")
        self._accepting = True

    async def close(self) -> None:
        """Finish queued writes, stop the writer task and close the connections."""
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
            writes = [w for w in group if w is not None]
            if writes:
                outcome = await self._write_group([batch for batch, _ in writes])
                for _, future in writes:
                    if future.done():
                        continue
                    if outcome is None:
                        future.set_result(None)
                    else:
                        future.set_exception(outcome)
            if len(writes) < len(group):
                return

    async def _write_group(self, batches: list[PendingBatch]) -> Exception | None:
        conn = self._writer
        try:
            async with conn.transaction():
                for batch in batches:
                    await _write_batch(conn, batch)
        except Exception as e:  # the transaction failed: every caller in the group gets it
            return e
        return None

    # -- MessageDatabase -----------------------------------------------------------------

    async def write(self, batch: PendingBatch) -> None:
        """Write ``batch`` in the next group transaction; see MessageDatabase.write."""
        if not self._accepting:
            raise MessageStoreError("message database is not started or is closed")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((batch, future))
        await future

    def _readers(self) -> Any:
        if self._pool is None:
            raise MessageStoreError("message database is not started or is closed")
        return self._pool

    async def _load(self, session_id: str, now: int) -> LoadedSession:
        state = await self._readers().fetchrow(_LOAD_STATE, session_id)
        if state is None:
            await self.write(PendingBatch(session_id, state=(1, 1, now)))
            return LoadedSession(1, 1, now, [])
        sent = await self._readers().fetch(_LOAD_SENT, session_id)
        return LoadedSession(state[0], state[1], state[2], [(r[0], bytes(r[1])) for r in sent])

    async def messages(
        self,
        session_id: str,
        *,
        msg_type: str | None = None,
        cl_ord_id: str | None = None,
        since_ns: int | None = None,
        until_ns: int | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[LoggedMessage]:
        """Return audit rows oldest first; see MessageDatabase.messages."""
        check_limit(limit)
        where = ["session_id = $1"]
        params: list[object] = [session_id]
        for clause, value in (
            ("msg_type = ", msg_type),
            ("cl_ord_id = ", cl_ord_id),
            ("ts_ns >= ", since_ns),
            ("ts_ns < ", until_ns),
            ("id > ", after_id),
        ):
            if value is not None:
                params.append(value)
                where.append(f"{clause}${len(params)}")
        params.append(limit)
        sql = (
            f"SELECT id, {', '.join(_LOG_COLUMNS)} FROM fix_message_log "
            f"WHERE {' AND '.join(where)} ORDER BY id LIMIT ${len(params)}"
        )
        rows = await self._readers().fetch(sql, *params)
        return [
            LoggedMessage(r[0], r[1], Direction(r[2]), r[3], r[4], r[5], r[6], bytes(r[7]))
            for r in rows
        ]

    async def sessions(self) -> list[str]:
        """Return every session id in the database, sorted."""
        rows = await self._readers().fetch(
            "SELECT session_id FROM fix_sessions ORDER BY session_id"
        )
        return [r[0] for r in rows]


async def _write_batch(conn: Any, batch: PendingBatch) -> None:
    session_id = batch.session_id
    if batch.reset:
        await conn.execute(_DROP_SENT, session_id)
    if batch.sent:
        await conn.executemany(_SAVE_SENT, [(session_id, seq, raw) for seq, raw in batch.sent])
    if batch.audit:
        rows = [(session_id, *row) for row in batch.audit]
        if len(rows) >= _COPY_THRESHOLD:
            await conn.copy_records_to_table("fix_message_log", records=rows, columns=_LOG_COLUMNS)
        else:
            await conn.executemany(_LOG, rows)
    if batch.state is not None:
        await conn.execute(_SAVE_STATE, session_id, *batch.state)
