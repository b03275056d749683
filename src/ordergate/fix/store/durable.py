"""The durable message store: an in-memory cache the session writes, persisted by ``flush``.

Invariants:

- The session calls the synchronous :class:`~ordergate.fix.store.base.MessageStore`
  methods; they only touch the cache and record what changed as *pending*. Nothing blocks.
- ``flush`` hands every pending change of the store to its :class:`MessageDatabase` as one
  :class:`PendingBatch`; the database writes it in one transaction, grouped with the batches
  other sessions flushed meanwhile (group commit). When ``flush`` returns, every change made
  before the call is durable. The transport awaits it *before* it writes the session's
  outbound bytes, so the peer never sees a message that a crash could lose.
- Flushes of one store are serialized. A ``flush`` with nothing pending returns at once,
  unless another flush is in flight: then it waits for that one, because the caller's
  changes may be in it.
- If a write fails, the batch goes back in front of the changes made since, so the next
  ``flush`` retries it; a reset made in between still wins (it drops the sent messages).
  A cancelled ``flush`` lets its queued write finish (it may commit) before the next flush
  starts, and keeps the batch pending only if the write failed: nothing is written twice.
- The audit log is not cached: logged messages stay in memory only until flushed.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import partial

import msgspec

from ordergate.fix.store.base import Direction

__all__ = [
    "AuditRow",
    "DurableMessageStore",
    "LoadedSession",
    "LoggedMessage",
    "MessageDatabase",
    "MessageStoreError",
    "PendingBatch",
    "audit_row",
    "tag_value",
]

MAX_QUERY_LIMIT = 10_000


class MessageStoreError(Exception):
    """A message store that is closed, already open for a session, or failed to write."""


class LoggedMessage(msgspec.Struct, frozen=True):
    """One row of the audit log: a message as it went over the wire, in or out.

    ``id`` orders the log (and pages it); ``seq`` is MsgSeqNum(34), ``cl_ord_id`` ClOrdID(11),
    both None when the message has none.
    """

    id: int
    session_id: str
    direction: Direction
    ts_ns: int
    msg_type: str
    seq: int | None
    cl_ord_id: str | None
    raw: bytes


#: ``(direction, ts_ns, msg_type, seq, cl_ord_id, raw)``: an audit row before it has an id.
AuditRow = tuple[str, int, str, int | None, str | None, bytes]


def tag_value(raw: bytes, tag: int) -> bytes | None:
    """Return the first value of ``tag`` in a raw frame without parsing it, or None.

    BeginString(8) is the first field, so every other tag is found after an SOH.
    """
    if tag == 8:
        if not raw.startswith(b"8="):
            return None
        end = raw.find(b"\x01")
        return raw[2:end] if end >= 0 else raw[2:]
    marker = b"\x01%d=" % tag
    start = raw.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = raw.find(b"\x01", start)
    return raw[start:end] if end >= 0 else raw[start:]


def audit_row(direction: Direction, raw: bytes, now: int) -> AuditRow:
    """Return the audit row of ``raw``: MsgType(35), MsgSeqNum(34), ClOrdID(11) picked out."""
    msg_type = tag_value(raw, 35)
    seq = tag_value(raw, 34)
    cl_ord_id = tag_value(raw, 11)
    return (
        direction.value,
        now,
        _text(msg_type) or "",
        int(seq) if seq is not None and seq.isdigit() and len(seq) < 19 else None,
        _text(cl_ord_id),
        raw,
    )


def _text(value: bytes | None) -> str | None:
    # NUL cannot be stored in a PostgreSQL text column; it is never valid in these tags.
    return value.replace(b"\x00", b"").decode("latin-1") if value is not None else None


@dataclass(slots=True)
class PendingBatch:
    """The changes of one session since its last flush, written in one transaction.

    ``reset`` first deletes the session's kept messages; then ``sent`` are upserted, ``audit``
    appended and, when ``state`` is set, ``(next_sender, next_target, creation_time)`` saved.
    """

    session_id: str
    reset: bool = False
    state: tuple[int, int, int] | None = None
    sent: list[tuple[int, bytes]] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)

    def empty(self) -> bool:
        """Return True when there is nothing to write."""
        return not (self.reset or self.state is not None or self.sent or self.audit)


@dataclass(slots=True)
class LoadedSession:
    """A session's persisted state, read when its store opens."""

    next_sender_seq: int
    next_target_seq: int
    creation_time: int
    sent: list[tuple[int, bytes]]


class MessageDatabase(ABC):
    """One database (SQLite file or PostgreSQL) holding the stores of many sessions.

    Open one with :func:`~ordergate.fix.store.open_message_database`, then a store per session
    with :meth:`open_store`; sessions of one database share its writer (group commit).
    """

    def __init__(self) -> None:
        self._open_sessions: set[str] = set()

    async def open_store(
        self, session_id: str, *, now: int | None = None, owns_database: bool = False
    ) -> DurableMessageStore:
        """Load (or create, with ``now`` as creation time) a session and return its store.

        Raises
        ------
        MessageStoreError
            If the session is already open in this database, or the database is closed.
        """
        if not session_id:
            raise ValueError("session_id must not be empty")
        if session_id in self._open_sessions:
            raise MessageStoreError(f"session {session_id!r} is already open in this database")
        self._open_sessions.add(session_id)
        try:
            created = time.time_ns() if now is None else now
            loaded = await self._load(session_id, created)
        except BaseException:
            self._open_sessions.discard(session_id)
            raise
        return DurableMessageStore(self, session_id, loaded, owns_database=owns_database)

    def _release(self, session_id: str) -> None:
        self._open_sessions.discard(session_id)

    @abstractmethod
    async def _load(self, session_id: str, now: int) -> LoadedSession:
        """Read a session's state and kept messages; create its state row if missing."""

    @abstractmethod
    async def write(self, batch: PendingBatch) -> None:
        """Write ``batch`` durably in one transaction (possibly with other sessions')."""

    @abstractmethod
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
        """Return up to ``limit`` audit rows of a session matching every filter given.

        Rows come oldest first, by id; pass the last id as ``after_id`` for the next page.
        ``since_ns`` is inclusive, ``until_ns`` exclusive.

        Raises
        ------
        ValueError
            If ``limit`` is not from 1 to 10000.
        """

    @abstractmethod
    async def sessions(self) -> list[str]:
        """Return the ids of every session stored in the database, sorted."""

    @abstractmethod
    async def close(self) -> None:
        """Finish queued writes and close the connections."""


def check_limit(limit: int) -> None:
    """Raise ValueError unless ``1 <= limit <= 10000``."""
    if not 1 <= limit <= MAX_QUERY_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_QUERY_LIMIT}, not {limit}")


class DurableMessageStore:
    """A session's :class:`~ordergate.fix.store.base.MessageStore`, cached and flushed.

    Created by :func:`~ordergate.fix.store.open_message_store` or
    :meth:`MessageDatabase.open_store`; call :meth:`flush` before sending what the session
    queued, and :meth:`close` when done.
    """

    def __init__(
        self,
        database: MessageDatabase,
        session_id: str,
        loaded: LoadedSession,
        *,
        owns_database: bool = False,
    ) -> None:
        self.session_id = session_id
        self.database = database
        self._owns_database = owns_database
        self._next_sender = loaded.next_sender_seq
        self._next_target = loaded.next_target_seq
        self._created = loaded.creation_time
        self._sent: dict[int, bytes] = dict(loaded.sent)
        self._pending = PendingBatch(session_id)
        self._lock = asyncio.Lock()
        self._closed = False

    # -- MessageStore (sync, cache only) -------------------------------------------------

    def next_sender_seq(self) -> int:
        """Return the MsgSeqNum(34) the next outbound message gets."""
        return self._next_sender

    def next_target_seq(self) -> int:
        """Return the MsgSeqNum(34) expected on the next inbound message."""
        return self._next_target

    def set_next_sender_seq(self, seq: int) -> None:
        """Set the next outbound sequence number (persisted by the next flush)."""
        self._check_seq(seq)
        self._next_sender = seq
        self._mark_state()

    def set_next_target_seq(self, seq: int) -> None:
        """Set the next expected inbound sequence number (persisted by the next flush)."""
        self._check_seq(seq)
        self._next_target = seq
        self._mark_state()

    def save_sent(self, seq: int, raw: bytes) -> None:
        """Keep an outbound message for resends (persisted by the next flush)."""
        self._check_seq(seq)
        self._sent[seq] = raw
        self._pending.sent.append((seq, raw))

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        """Return kept outbound messages with ``begin <= seq <= end``, in order."""
        sent = self._sent
        if end - begin < len(sent):
            return [(seq, sent[seq]) for seq in range(begin, end + 1) if seq in sent]
        return [(seq, sent[seq]) for seq in sorted(sent) if begin <= seq <= end]

    def reset(self, now: int) -> None:
        """Start a new sequence: numbers back to 1, kept messages dropped, ``now`` created."""
        self._next_sender = 1
        self._next_target = 1
        self._created = now
        self._sent.clear()
        pending = self._pending
        pending.reset = True
        pending.sent.clear()  # the delete would remove them anyway
        self._mark_state()

    def creation_time(self) -> int:
        """Return when the current sequence started (ns since the epoch)."""
        return self._created

    def log_message(self, direction: Direction, raw: bytes, now: int) -> None:
        """Append a message to the audit log (persisted by the next flush)."""
        self._pending.audit.append(audit_row(direction, raw, now))

    def _mark_state(self) -> None:
        self._pending.state = (self._next_sender, self._next_target, self._created)

    @staticmethod
    def _check_seq(seq: int) -> None:
        if not 1 <= seq < 2**63:
            raise ValueError(f"sequence number {seq} is out of range")

    # -- persistence ---------------------------------------------------------------------

    def has_pending(self) -> bool:
        """Return True when changes wait for a flush."""
        return not self._pending.empty()

    async def flush(self) -> None:
        """Persist every change made so far in one transaction; cheap when none are pending.

        Raises
        ------
        MessageStoreError
            If the store is closed while changes are pending.
        Exception
            Whatever the database raised; the changes stay pending for the next flush.
        """
        if self._pending.empty() and not self._lock.locked():
            return
        await self._lock.acquire()
        release = True
        try:
            batch = self._pending
            if batch.empty():
                return
            if self._closed:
                raise MessageStoreError(f"store of {self.session_id!r} is closed")
            self._pending = PendingBatch(self.session_id)
            write = asyncio.ensure_future(self.database.write(batch))
            try:
                await asyncio.shield(write)
            except asyncio.CancelledError:
                # The batch is queued and may commit: let the write finish, then settle it and
                # free the next flush, so a committed batch is never written twice.
                write.add_done_callback(partial(self._settle_abandoned, batch))
                release = False
                raise
            except BaseException:
                self._restore(batch)
                raise
        finally:
            if release:
                self._lock.release()

    def _settle_abandoned(self, batch: PendingBatch, write: asyncio.Future[None]) -> None:
        if write.cancelled() or write.exception() is not None:
            self._restore(batch)
        self._lock.release()

    def _restore(self, failed: PendingBatch) -> None:
        newer = self._pending
        if newer.reset:
            # A reset since the failed flush drops the failed batch's kept messages.
            failed.sent.clear()
        failed.reset = failed.reset or newer.reset
        failed.sent.extend(newer.sent)
        failed.audit.extend(newer.audit)
        if newer.state is not None:
            failed.state = newer.state
        self._pending = failed

    async def messages(
        self,
        session_id: str | None = None,
        *,
        msg_type: str | None = None,
        cl_ord_id: str | None = None,
        since_ns: int | None = None,
        until_ns: int | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[LoggedMessage]:
        """Query the audit log (of this session by default); see MessageDatabase.messages."""
        return await self.database.messages(
            self.session_id if session_id is None else session_id,
            msg_type=msg_type,
            cl_ord_id=cl_ord_id,
            since_ns=since_ns,
            until_ns=until_ns,
            after_id=after_id,
            limit=limit,
        )

    async def sessions(self) -> list[str]:
        """Return the ids of every session in this store's database."""
        return await self.database.sessions()

    async def close(self) -> None:
        """Flush, release the session and close the database if this store opened it."""
        if self._closed:
            return
        try:
            await self.flush()
        finally:
            self._closed = True
            self.database._release(self.session_id)
            if self._owns_database:
                await self.database.close()
