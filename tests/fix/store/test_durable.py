"""The durable store's cache and pending changes, over a scripted in-memory database."""

from __future__ import annotations

import asyncio

import pytest

from ordergate.fix.store import Direction, DurableMessageStore, LoggedMessage, MessageStore
from ordergate.fix.store.durable import (
    LoadedSession,
    MessageDatabase,
    PendingBatch,
    audit_row,
    tag_value,
)


class ScriptedDatabase(MessageDatabase):
    """Records every batch; fails or blocks writes on request."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[PendingBatch] = []
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def _load(self, session_id: str, now: int) -> LoadedSession:
        return LoadedSession(1, 1, now, [])

    async def write(self, batch: PendingBatch) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.batches.append(batch)

    async def messages(self, session_id: str, **filters: object) -> list[LoggedMessage]:  # type: ignore[override]
        return []

    async def sessions(self) -> list[str]:
        return []

    async def close(self) -> None:
        pass


@pytest.fixture
async def database() -> ScriptedDatabase:
    return ScriptedDatabase()


@pytest.fixture
async def store(database: ScriptedDatabase) -> DurableMessageStore:
    return await database.open_store("FIX.4.4:A->B", now=5)


def test_the_durable_store_is_a_message_store(store: DurableMessageStore):
    as_protocol: MessageStore = store

    assert as_protocol.creation_time() == 5


async def test_a_flush_hands_over_every_change_as_one_batch(
    store: DurableMessageStore, database: ScriptedDatabase
):
    store.save_sent(1, b"one")
    store.set_next_sender_seq(2)
    store.log_message(Direction.OUT, b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01", 7)
    store.set_next_target_seq(3)

    await store.flush()

    [batch] = database.batches
    assert batch.sent == [(1, b"one")]
    assert batch.state == (2, 3, 5)
    assert batch.audit[0][:4] == ("out", 7, "0", None)
    assert not batch.reset
    assert not store.has_pending()


async def test_a_reset_after_a_failed_flush_drops_the_failed_kept_messages(
    store: DurableMessageStore, database: ScriptedDatabase
):
    store.save_sent(1, b"before")
    store.log_message(Direction.OUT, b"8=FIX.4.4\x0135=D\x01", 1)
    database.fail = OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        await store.flush()

    store.reset(9)
    store.save_sent(1, b"after")
    database.fail = None
    await store.flush()

    [batch] = database.batches
    assert batch.reset
    assert batch.sent == [(1, b"after")]
    assert len(batch.audit) == 1  # the audit row of the failed flush is kept
    assert batch.state == (1, 1, 9)


async def test_a_failed_flush_is_retried_before_later_changes(
    store: DurableMessageStore, database: ScriptedDatabase
):
    store.save_sent(1, b"first")
    database.fail = OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        await store.flush()
    store.save_sent(2, b"second")
    database.fail = None

    await store.flush()

    assert database.batches[0].sent == [(1, b"first"), (2, b"second")]


async def test_a_flush_with_nothing_new_waits_for_the_flush_in_flight(
    store: DurableMessageStore, database: ScriptedDatabase
):
    database.gate = asyncio.Event()
    store.save_sent(1, b"one")
    first = asyncio.create_task(store.flush())
    await asyncio.sleep(0)  # the first flush took the batch and waits on the database
    assert not store.has_pending()

    second = asyncio.create_task(store.flush())
    await asyncio.sleep(0)
    assert not second.done()  # the caller's change is in the flush in flight
    database.gate.set()
    await asyncio.gather(first, second)

    assert len(database.batches) == 1


def test_get_sent_returns_the_range_in_order(store: DurableMessageStore):
    for seq in (3, 1, 2, 7):
        store.save_sent(seq, b"m%d" % seq)

    assert store.get_sent(2, 7) == [(2, b"m2"), (3, b"m3"), (7, b"m7")]
    assert store.get_sent(1, 2**62) == [(1, b"m1"), (2, b"m2"), (3, b"m3"), (7, b"m7")]
    assert store.get_sent(8, 9) == []


RAW = b"8=FIX.4.4\x019=40\x0135=D\x0134=12\x0149=A\x0156=B\x0111=ord-1\x0110=123\x01"


@pytest.mark.parametrize(
    ("tag", "value"),
    [(8, b"FIX.4.4"), (35, b"D"), (34, b"12"), (11, b"ord-1"), (10, b"123"), (58, None)],
)
def test_tag_value_reads_a_field_without_parsing(tag: int, value: bytes | None):
    assert tag_value(RAW, tag) == value


def test_tag_value_of_a_frame_without_begin_string_or_final_soh():
    assert tag_value(b"35=D\x0111=x", 8) is None
    assert tag_value(b"8=FIX.4.2", 8) == b"FIX.4.2"
    assert tag_value(b"8=FIX.4.2\x0111=x", 11) == b"x"


def test_audit_row_picks_type_seq_and_order_id():
    assert audit_row(Direction.IN, RAW, 99) == ("in", 99, "D", 12, "ord-1", RAW)


def test_audit_row_of_a_garbled_frame_keeps_it_without_fields():
    raw = b"8=FIX.4.4\x0134=x1\x0111=a\x00b\x01"

    assert audit_row(Direction.IN, raw, 1) == ("in", 1, "", None, "ab", raw)


async def test_a_cancelled_flush_lets_its_write_finish_once(
    store: DurableMessageStore, database: ScriptedDatabase
):
    database.gate = asyncio.Event()
    store.save_sent(1, b"one")
    flush = asyncio.create_task(store.flush())
    await asyncio.sleep(0)

    flush.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flush
    store.save_sent(2, b"two")
    following = asyncio.create_task(store.flush())
    await asyncio.sleep(0)
    assert not following.done()  # waits for the abandoned write
    database.gate.set()
    await following

    assert [b.sent for b in database.batches] == [[(1, b"one")], [(2, b"two")]]


async def test_a_cancelled_flush_whose_write_fails_keeps_the_batch(
    store: DurableMessageStore, database: ScriptedDatabase
):
    database.gate = asyncio.Event()
    database.fail = OSError("disk full")
    store.save_sent(1, b"one")
    flush = asyncio.create_task(store.flush())
    await asyncio.sleep(0)
    flush.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flush

    database.gate.set()
    next_flush = asyncio.create_task(store.flush())  # waits until the abandoned write fails
    with pytest.raises(OSError, match="disk full"):
        await next_flush
    database.fail = None
    await store.flush()

    assert [b.sent for b in database.batches] == [[(1, b"one")]]
