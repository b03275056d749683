"""The behavioural contract every durable message store backend passes.

A backend's test module subclasses ``MessageStoreContract`` and supplies two fixtures:

- ``store_url``: a URL for ``open_message_store`` pointing at a fresh, empty database;
- ``tamper``: a ``Tamper`` running raw SQL on that database behind the store's back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

import pytest

from ordergate.fix.codec import encode_fields
from ordergate.fix.store import (
    Direction,
    DurableMessageStore,
    MessageStoreError,
    open_message_database,
    open_message_store,
)

SESSION = "FIX.4.4:ORDERGATE->BROKER"
OTHER = "FIX.4.2:ORDERGATE->OTHER"
T0 = 1_700_000_000_000_000_000


class Tamper(Protocol):
    async def execute(self, sql: str) -> None: ...

    async def install_poison(self) -> None:
        """Make every insert into fix_message_log fail."""

    async def remove_poison(self) -> None: ...


def frame(msg_type: str, seq: int, *fields: tuple[int, str], begin: str = "FIX.4.4") -> bytes:
    header = [
        (35, msg_type.encode()),
        (49, b"ORDERGATE"),
        (56, b"BROKER"),
        (34, b"%d" % seq),
        (52, b"20231114-22:13:20.000"),
    ]
    return encode_fields(begin.encode(), header + [(t, v.encode()) for t, v in fields])


def send(store: DurableMessageStore, msg_type: str, *fields: tuple[int, str], now: int) -> bytes:
    """Do what the session does for an outbound message: number, keep, log."""
    seq = store.next_sender_seq()
    raw = frame(msg_type, seq, *fields)
    store.save_sent(seq, raw)
    store.set_next_sender_seq(seq + 1)
    store.log_message(Direction.OUT, raw, now)
    return raw


def receive(store: DurableMessageStore, msg_type: str, *fields: tuple[int, str], now: int) -> bytes:
    seq = store.next_target_seq()
    raw = frame(msg_type, seq, *fields)
    store.set_next_target_seq(seq + 1)
    store.log_message(Direction.IN, raw, now)
    return raw


class MessageStoreContract:
    @pytest.fixture
    async def store(self, store_url: str) -> AsyncIterator[DurableMessageStore]:
        store = await open_message_store(store_url, SESSION, now=T0)
        yield store
        await store.close()

    async def reopen(self, store: DurableMessageStore, url: str) -> DurableMessageStore:
        await store.close()
        return await open_message_store(url, SESSION, now=T0 + 999)

    # -- sequence numbers and kept messages ----------------------------------------------

    async def test_a_new_session_starts_at_one_created_now(self, store: DurableMessageStore):
        assert store.next_sender_seq() == 1
        assert store.next_target_seq() == 1
        assert store.creation_time() == T0
        assert store.get_sent(1, 100) == []
        assert await store.sessions() == [SESSION]

    async def test_sequence_numbers_survive_close_and_reopen(
        self, store: DurableMessageStore, store_url: str
    ):
        store.set_next_sender_seq(42)
        store.set_next_target_seq(17)
        await store.flush()

        reopened = await self.reopen(store, store_url)
        try:
            assert reopened.next_sender_seq() == 42
            assert reopened.next_target_seq() == 17
            assert reopened.creation_time() == T0
        finally:
            await reopened.close()

    async def test_close_flushes_what_is_pending(self, store: DurableMessageStore, store_url: str):
        send(store, "D", (11, "c1"), now=T0 + 1)

        reopened = await self.reopen(store, store_url)
        try:
            assert reopened.next_sender_seq() == 2
            assert [seq for seq, _ in reopened.get_sent(1, 1)] == [1]
            assert len(await reopened.messages()) == 1
        finally:
            await reopened.close()

    async def test_sent_messages_survive_and_are_returned_by_range(
        self, store: DurableMessageStore, store_url: str
    ):
        sent = [send(store, "D", (11, f"c{i}"), now=T0 + i) for i in range(1, 6)]
        await store.flush()

        reopened = await self.reopen(store, store_url)
        try:
            assert reopened.get_sent(2, 4) == [(2, sent[1]), (3, sent[2]), (4, sent[3])]
            assert reopened.get_sent(1, 1_000_000) == list(enumerate(sent, 1))
            assert reopened.get_sent(6, 9) == []
            send(reopened, "F", (11, "c9"), now=T0 + 9)  # numbering continues after restart
            assert reopened.get_sent(6, 6)[0][0] == 6
        finally:
            await reopened.close()

    async def test_saving_a_sequence_number_again_replaces_the_kept_message(
        self, store: DurableMessageStore, store_url: str
    ):
        store.save_sent(1, frame("D", 1, (11, "old")))
        await store.flush()
        store.save_sent(1, frame("D", 1, (11, "new")))
        await store.flush()

        reopened = await self.reopen(store, store_url)
        try:
            assert reopened.get_sent(1, 1) == [(1, frame("D", 1, (11, "new")))]
        finally:
            await reopened.close()

    async def test_reset_survives_and_drops_kept_messages(
        self, store: DurableMessageStore, store_url: str
    ):
        for i in range(3):
            send(store, "D", (11, f"c{i}"), now=T0 + i)
        receive(store, "8", now=T0 + 5)
        await store.flush()

        store.reset(T0 + 100)
        after = send(store, "D", (11, "after"), now=T0 + 101)
        await store.flush()

        reopened = await self.reopen(store, store_url)
        try:
            assert reopened.next_sender_seq() == 2
            assert reopened.next_target_seq() == 1
            assert reopened.creation_time() == T0 + 100
            assert reopened.get_sent(1, 100) == [(1, after)]
            assert len(await reopened.messages()) == 5  # the audit log is never reset
        finally:
            await reopened.close()

    async def test_reset_before_a_flush_drops_messages_never_written(
        self, store: DurableMessageStore, store_url: str
    ):
        send(store, "D", (11, "c1"), now=T0 + 1)
        store.reset(T0 + 2)
        await store.flush()

        reopened = await self.reopen(store, store_url)
        try:
            assert reopened.get_sent(1, 10) == []
            assert reopened.next_sender_seq() == 1
        finally:
            await reopened.close()

    async def test_out_of_range_sequence_numbers_are_refused(self, store: DurableMessageStore):
        for bad in (0, -1, 2**63):
            with pytest.raises(ValueError, match="out of range"):
                store.set_next_sender_seq(bad)
            with pytest.raises(ValueError, match="out of range"):
                store.save_sent(bad, b"x")

        assert store.next_sender_seq() == 1
        assert not store.has_pending()

    # -- flush ---------------------------------------------------------------------------

    async def test_flush_with_nothing_pending_writes_nothing(
        self, store: DurableMessageStore, monkeypatch: pytest.MonkeyPatch
    ):
        writes: list[object] = []
        monkeypatch.setattr(store.database, "write", writes.append)

        await store.flush()
        await store.flush()

        assert writes == []
        assert not store.has_pending()

    async def test_one_flush_writes_many_messages(self, store: DurableMessageStore):
        for i in range(500):
            send(store, "D", (11, f"c{i}"), now=T0 + i)

        await store.flush()

        assert not store.has_pending()
        assert len(await store.messages(limit=1000)) == 500

    async def test_a_crash_loses_only_changes_not_flushed(self, store_url: str):
        store = await open_message_store(store_url, SESSION, now=T0)
        first = send(store, "D", (11, "durable"), now=T0 + 1)
        await store.flush()
        send(store, "D", (11, "lost"), now=T0 + 2)
        store.set_next_target_seq(9)

        await store.database.close()  # the process dies: the cache is gone, unflushed
        reopened = await open_message_store(store_url, SESSION)
        try:
            assert reopened.next_sender_seq() == 2
            assert reopened.next_target_seq() == 1
            assert reopened.get_sent(1, 10) == [(1, first)]
            assert [m.cl_ord_id for m in await reopened.messages()] == ["durable"]
        finally:
            await reopened.close()

    async def test_a_failed_flush_keeps_the_changes_for_the_next_one(
        self, store: DurableMessageStore, store_url: str, tamper: Tamper
    ):
        send(store, "D", (11, "c1"), now=T0 + 1)
        await tamper.install_poison()

        with pytest.raises(Exception, match="poison"):
            await store.flush()
        assert store.has_pending()
        send(store, "D", (11, "c2"), now=T0 + 2)
        await tamper.remove_poison()
        await store.flush()

        reopened = await self.reopen(store, store_url)
        try:
            assert reopened.next_sender_seq() == 3
            assert [s for s, _ in reopened.get_sent(1, 10)] == [1, 2]
            assert [m.cl_ord_id for m in await reopened.messages()] == ["c1", "c2"]
        finally:
            await reopened.close()

    async def test_a_closed_store_refuses_to_flush_new_changes(self, store_url: str):
        store = await open_message_store(store_url, SESSION)
        await store.close()
        await store.close()  # closing twice is harmless

        store.set_next_sender_seq(5)
        with pytest.raises(MessageStoreError, match="closed"):
            await store.flush()

    # -- many sessions in one database ---------------------------------------------------

    async def test_two_sessions_in_one_database_are_independent(self, store_url: str):
        database = await open_message_database(store_url)
        try:
            a = await database.open_store(SESSION, now=T0)
            b = await database.open_store(OTHER, now=T0 + 5)
            send(a, "D", (11, "a1"), now=T0 + 1)
            send(a, "D", (11, "a2"), now=T0 + 2)
            receive(b, "8", (11, "b1"), now=T0 + 3)
            await asyncio.gather(a.flush(), b.flush())
            b.reset(T0 + 10)
            await b.flush()
            await a.close()
            await b.close()

            a = await database.open_store(SESSION)
            b = await database.open_store(OTHER)
            assert (a.next_sender_seq(), a.next_target_seq()) == (3, 1)
            assert (b.next_sender_seq(), b.next_target_seq()) == (1, 1)
            assert len(a.get_sent(1, 10)) == 2
            assert b.get_sent(1, 10) == []
            assert a.creation_time() == T0
            assert b.creation_time() == T0 + 10
            assert [m.cl_ord_id for m in await a.messages()] == ["a1", "a2"]
            assert [m.cl_ord_id for m in await a.messages(OTHER)] == ["b1"]
            assert await database.sessions() == sorted([SESSION, OTHER])
            await a.close()
            await b.close()
        finally:
            await database.close()

    async def test_many_sessions_flushing_at_once_all_persist(self, store_url: str):
        database = await open_message_database(store_url)
        try:
            stores = [await database.open_store(f"FIX.4.4:S{i}->T", now=T0) for i in range(8)]
            for round_ in range(5):
                for store in stores:
                    send(store, "D", (11, f"{store.session_id}-{round_}"), now=T0 + round_)
                await asyncio.gather(*(s.flush() for s in stores))
            for store in stores:
                await store.close()
            for i in range(8):
                rows = await database.messages(f"FIX.4.4:S{i}->T")
                assert [m.seq for m in rows] == [1, 2, 3, 4, 5]
        finally:
            await database.close()

    async def test_a_session_cannot_be_opened_twice_in_one_database(self, store_url: str):
        database = await open_message_database(store_url)
        try:
            store = await database.open_store(SESSION)
            with pytest.raises(MessageStoreError, match="already open"):
                await database.open_store(SESSION)
            await store.close()
            again = await database.open_store(SESSION)  # released by close
            await again.close()
        finally:
            await database.close()

    # -- the audit log -------------------------------------------------------------------

    async def test_the_audit_log_records_direction_type_seq_and_order_id(
        self, store: DurableMessageStore
    ):
        out = send(store, "D", (11, "c1"), (55, "AAPL"), now=T0 + 1)
        inbound = receive(store, "8", (37, "X1"), (11, "c1"), now=T0 + 2)
        heartbeat = send(store, "0", now=T0 + 3)
        await store.flush()

        rows = await store.messages()

        assert [(m.direction, m.msg_type, m.seq, m.cl_ord_id, m.ts_ns) for m in rows] == [
            (Direction.OUT, "D", 1, "c1", T0 + 1),
            (Direction.IN, "8", 1, "c1", T0 + 2),
            (Direction.OUT, "0", 2, None, T0 + 3),
        ]
        assert [m.raw for m in rows] == [out, inbound, heartbeat]
        assert {m.session_id for m in rows} == {SESSION}
        assert rows[0].id < rows[1].id < rows[2].id

    async def test_the_audit_log_filters_by_type_order_id_and_time(
        self, store: DurableMessageStore
    ):
        send(store, "D", (11, "c1"), now=T0 + 10)
        receive(store, "8", (11, "c1"), now=T0 + 20)
        send(store, "D", (11, "c2"), now=T0 + 30)
        receive(store, "8", (11, "c2"), now=T0 + 40)
        send(store, "0", now=T0 + 50)
        await store.flush()

        def order_ids(rows: list[object]) -> list[tuple[str, str | None]]:
            return [(m.msg_type, m.cl_ord_id) for m in rows]  # type: ignore[attr-defined]

        assert order_ids(await store.messages(msg_type="D")) == [("D", "c1"), ("D", "c2")]
        assert order_ids(await store.messages(cl_ord_id="c2")) == [("D", "c2"), ("8", "c2")]
        assert order_ids(await store.messages(since_ns=T0 + 20, until_ns=T0 + 40)) == [
            ("8", "c1"),
            ("D", "c2"),
        ]
        assert order_ids(await store.messages(msg_type="8", since_ns=T0 + 30)) == [("8", "c2")]
        assert await store.messages(msg_type="Z") == []
        assert await store.messages("FIX.4.4:NOBODY->NOWHERE") == []

    async def test_the_audit_log_pages_by_id(self, store: DurableMessageStore):
        for i in range(25):
            send(store, "D", (11, f"c{i}"), now=T0 + i)
        await store.flush()

        pages: list[list[str | None]] = []
        after: int | None = None
        while True:
            page = await store.messages(limit=10, after_id=after)
            if not page:
                break
            pages.append([m.cl_ord_id for m in page])
            after = page[-1].id

        assert [len(p) for p in pages] == [10, 10, 5]
        assert [cl_ord_id for page in pages for cl_ord_id in page] == [f"c{i}" for i in range(25)]

    @pytest.mark.parametrize("limit", [0, -1, 10_001])
    async def test_an_out_of_range_limit_is_refused(self, store: DurableMessageStore, limit: int):
        with pytest.raises(ValueError, match="limit"):
            await store.messages(limit=limit)
