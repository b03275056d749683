"""FIX message stores in one SQLite file: WAL, ``synchronous=FULL``, one writer thread.

Invariants:

- One thread writes: it owns the writer connection, takes every batch queued since its last
  commit (from any session of the file), writes them in one ``BEGIN IMMEDIATE`` transaction
  and commits once, then settles each caller's future on the event loop. Many flushes cost
  one thread hop and one fsync.
- If the transaction fails, every batch of the group gets the exception and nothing of the
  group is written; the stores keep those changes pending.
- Readers use their own connection in autocommit mode: each query is one WAL snapshot.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import threading
from typing import Any

from ordergate.fix.store.base import Direction
from ordergate.fix.store.durable import (
    LoadedSession,
    LoggedMessage,
    MessageDatabase,
    MessageStoreError,
    PendingBatch,
    check_limit,
)

__all__ = ["SqliteMessageDatabase"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fix_sessions (
    session_id TEXT PRIMARY KEY,
    next_sender_seq INTEGER NOT NULL,
    next_target_seq INTEGER NOT NULL,
    creation_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fix_sent_messages (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fix_message_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    ts_ns INTEGER NOT NULL,
    msg_type TEXT NOT NULL,
    seq INTEGER,
    cl_ord_id TEXT,
    raw BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS fix_message_log_session ON fix_message_log (session_id, id);
CREATE INDEX IF NOT EXISTS fix_message_log_type ON fix_message_log (session_id, msg_type, id);
CREATE INDEX IF NOT EXISTS fix_message_log_order
    ON fix_message_log (session_id, cl_ord_id, id) WHERE cl_ord_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS fix_message_log_time ON fix_message_log (session_id, ts_ns);
"""
_LOAD_STATE = (
    "SELECT next_sender_seq, next_target_seq, creation_time FROM fix_sessions WHERE session_id = ?"
)
_LOAD_SENT = "SELECT seq, raw FROM fix_sent_messages WHERE session_id = ? ORDER BY seq"
_SAVE_STATE = """
INSERT INTO fix_sessions (session_id, next_sender_seq, next_target_seq, creation_time)
VALUES (?, ?, ?, ?)
ON CONFLICT (session_id) DO UPDATE SET
    next_sender_seq = excluded.next_sender_seq,
    next_target_seq = excluded.next_target_seq,
    creation_time = excluded.creation_time
"""
_SAVE_SENT = (
    "INSERT INTO fix_sent_messages (session_id, seq, raw) VALUES (?, ?, ?) "
    "ON CONFLICT (session_id, seq) DO UPDATE SET raw = excluded.raw"
)
_DROP_SENT = "DELETE FROM fix_sent_messages WHERE session_id = ?"
_LOG = (
    "INSERT INTO fix_message_log (session_id, direction, ts_ns, msg_type, seq, cl_ord_id, raw) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_LOG_COLUMNS = "id, session_id, direction, ts_ns, msg_type, seq, cl_ord_id, raw"
_STOP = object()


class _Write:
    __slots__ = ("batch", "future")

    def __init__(self, batch: PendingBatch, future: asyncio.Future[None]) -> None:
        self.batch = batch
        self.future = future


class SqliteMessageDatabase(MessageDatabase):
    """The message stores of many sessions in one SQLite file (created if missing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self._path = os.fspath(path)
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        self._accepting = False

    async def start(self) -> None:
        """Open the file, create the schema if missing and start the writer thread."""
        if self._thread is not None:
            raise MessageStoreError("database already started")
        self._loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._writer_main, args=(started,), name="fix-store-sqlite-writer"
        )
        self._thread.start()
        try:
            await started
        except BaseException:
            thread, self._thread = self._thread, None
            await asyncio.to_thread(thread.join)
            raise
        self._reader = await asyncio.to_thread(self._connect)
        self._accepting = True

    async def close(self) -> None:
        """Finish queued writes, stop the writer thread and close the connections."""
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
        return conn

    # -- the writer thread ---------------------------------------------------------------

    def _writer_main(self, started: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            conn = self._connect()
            conn.executescript(_SCHEMA)
        except BaseException as e:  # report any failure to start() and end the thread
            loop.call_soon_threadsafe(_resolve, started, e)
            return
        loop.call_soon_threadsafe(_resolve, started, None)
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
                writes = [w for w in group if isinstance(w, _Write)]
                if writes:
                    outcome = self._write_group(conn, writes)
                    loop.call_soon_threadsafe(_settle, writes, outcome)
        finally:
            conn.close()

    @staticmethod
    def _write_group(conn: sqlite3.Connection, writes: list[_Write]) -> BaseException | None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for w in writes:
                    _write_batch(conn, w.batch)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except Exception as e:  # the transaction failed: every caller in the group gets it
            return e
        return None

    def _submit(self, write: _Write) -> None:
        if not self._accepting:
            raise MessageStoreError("message database is not started or is closed")
        self._queue.put(write)

    # -- MessageDatabase -----------------------------------------------------------------

    async def write(self, batch: PendingBatch) -> None:
        """Write ``batch`` in the next group transaction; see MessageDatabase.write."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._submit(_Write(batch, future))
        await future

    async def _load(self, session_id: str, now: int) -> LoadedSession:
        state = await self._query(_LOAD_STATE, (session_id,))
        if not state:
            await self.write(PendingBatch(session_id, state=(1, 1, now)))
            return LoadedSession(1, 1, now, [])
        sent = await self._query(_LOAD_SENT, (session_id,))
        sender, target, created = state[0]
        return LoadedSession(sender, target, created, [(s, bytes(r)) for s, r in sent])

    async def _query(self, sql: str, params: tuple[object, ...]) -> list[Any]:
        return await asyncio.to_thread(self._query_sync, sql, params)

    def _query_sync(self, sql: str, params: tuple[object, ...]) -> list[Any]:
        with self._reader_lock:
            if self._reader is None:
                raise MessageStoreError("message database is not started or is closed")
            return self._reader.execute(sql, params).fetchall()

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
        where = ["session_id = ?"]
        params: list[object] = [session_id]
        for clause, value in (
            ("msg_type = ?", msg_type),
            ("cl_ord_id = ?", cl_ord_id),
            ("ts_ns >= ?", since_ns),
            ("ts_ns < ?", until_ns),
            ("id > ?", after_id),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = (
            f"SELECT {_LOG_COLUMNS} FROM fix_message_log WHERE {' AND '.join(where)} "
            "ORDER BY id LIMIT ?"
        )
        params.append(limit)
        rows = await self._query(sql, tuple(params))
        return [
            LoggedMessage(r[0], r[1], Direction(r[2]), r[3], r[4], r[5], r[6], bytes(r[7]))
            for r in rows
        ]

    async def sessions(self) -> list[str]:
        """Return every session id in the file, sorted."""
        rows = await self._query("SELECT session_id FROM fix_sessions ORDER BY session_id", ())
        return [r[0] for r in rows]


def _write_batch(conn: sqlite3.Connection, batch: PendingBatch) -> None:
    session_id = batch.session_id
    if batch.reset:
        conn.execute(_DROP_SENT, (session_id,))
    if batch.sent:
        conn.executemany(_SAVE_SENT, [(session_id, seq, raw) for seq, raw in batch.sent])
    if batch.audit:
        conn.executemany(_LOG, [(session_id, *row) for row in batch.audit])
    if batch.state is not None:
        conn.execute(_SAVE_STATE, (session_id, *batch.state))


def _resolve(future: asyncio.Future[None], outcome: BaseException | None) -> None:
    if future.done():
        return
    if outcome is None:
        future.set_result(None)
    else:
        future.set_exception(outcome)


def _settle(writes: list[_Write], outcome: BaseException | None) -> None:
    for w in writes:
        _resolve(w.future, outcome)
