"""Sessions whose stores are at one URL share one database, closed with its last store."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.store import DurableMessageStore, MessageStoreError
from ordergate.fix.transport import FixAcceptor, FixInitiator, memory_stores, url_stores
from tests.fix.transport.helpers import TIMEOUT, Recorder, order

pytestmark = pytest.mark.integration

CLIENTS = ("CLIENT1", "CLIENT2")


def acceptor_config(client: str) -> SessionConfig:
    return SessionConfig(
        begin_string="FIX.4.4", sender_comp_id="VENUE", target_comp_id=client, role=Role.ACCEPTOR
    )


def initiator_config(client: str) -> SessionConfig:
    return SessionConfig(
        begin_string="FIX.4.4", sender_comp_id=client, target_comp_id="VENUE", role=Role.INITIATOR
    )


def writer_threads() -> int:
    return sum(t.name == "fix-store-sqlite-writer" for t in threading.enumerate())


def durable(store: object) -> DurableMessageStore:
    assert isinstance(store, DurableMessageStore)
    return store


async def test_two_acceptor_sessions_on_one_sqlite_file_persist_across_a_restart(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/fix.db"
    before = writer_threads()
    acceptor = FixAcceptor(
        "127.0.0.1", 0, [acceptor_config(c) for c in CLIENTS], url_stores(url), Recorder(echo=True)
    )
    await acceptor.start()
    try:
        first, second = (durable(s.store) for s in acceptor.sessions)
        assert first.database is second.database
        assert writer_threads() == before + 1
        # CLIENT1 sends one order, CLIENT2 three: their numbers must not mix.
        for client, orders in zip(CLIENTS, (1, 3), strict=True):
            application = Recorder()
            initiator = FixInitiator(
                initiator_config(client),
                memory_stores(),
                None,
                [("127.0.0.1", acceptor.port)],
                application,
            )
            await initiator.start()
            try:
                connection = await initiator.wait_logged_on(TIMEOUT)
                for i in range(orders):
                    connection.send(order(f"{client}-{i}"))
                    assert (await application.next_message()).get_str(11) == f"{client}-{i}"
            finally:
                await initiator.stop()
    finally:
        await acceptor.stop()
    assert writer_threads() == before
    # Logon, the echoes, Logout each way.
    expected = {
        "FIX.4.4:VENUE->CLIENT1": (4, 4),
        "FIX.4.4:VENUE->CLIENT2": (6, 6),
    }
    assert {
        s.session_id: (s.next_sender_seq(), s.next_target_seq()) for s in (first, second)
    } == expected

    restarted = FixAcceptor(
        "127.0.0.1", 0, [acceptor_config(c) for c in CLIENTS], url_stores(url), Recorder()
    )
    await restarted.start()
    try:
        reopened = {
            s.session_id: (s.store.next_sender_seq(), s.store.next_target_seq())
            for s in restarted.sessions
        }
        stored = await durable(restarted.sessions[0].store).sessions()
    finally:
        await restarted.stop()
    assert reopened == expected
    assert stored == sorted(expected)
    assert writer_threads() == before


async def test_an_acceptor_and_an_initiator_share_the_database_until_both_stop(
    tmp_path: Path,
) -> None:
    stores = url_stores(f"sqlite:///{tmp_path}/fix.db")
    before = writer_threads()
    acceptor = FixAcceptor("127.0.0.1", 0, [acceptor_config("CLIENT1")], stores, Recorder())
    await acceptor.start()
    application = Recorder()
    initiator = FixInitiator(
        initiator_config("CLIENT1"), stores, None, [("127.0.0.1", acceptor.port)], application
    )
    await initiator.start()
    try:
        await initiator.wait_logged_on(TIMEOUT)
        assert durable(initiator.store).database is durable(acceptor.sessions[0].store).database
        assert writer_threads() == before + 1
        await initiator.stop()
        await application.next_logout()
        # The acceptor still uses the database: it stays open.
        assert writer_threads() == before + 1
        store = durable(acceptor.sessions[0].store)
        await store.flush()
        logged = [m.msg_type for m in await store.messages()]
    finally:
        await initiator.stop()
        await acceptor.stop()
    assert logged == ["A", "A", "5", "5"]
    assert writer_threads() == before


async def test_a_session_open_twice_on_one_url_is_refused_and_releases_the_database(
    tmp_path: Path,
) -> None:
    stores = url_stores(f"sqlite:///{tmp_path}/fix.db")
    before = writer_threads()
    first = FixAcceptor("127.0.0.1", 0, [acceptor_config("CLIENT1")], stores, Recorder())
    await first.start()
    # Another factory of the same file (named by another URL form) shares the database too.
    other = url_stores(f"sqlite:{tmp_path}/./fix.db")
    second = FixAcceptor("127.0.0.1", 0, [acceptor_config("CLIENT1")], other, Recorder())
    try:
        with pytest.raises(MessageStoreError, match="already open"):
            await second.start()
        assert writer_threads() == before + 1
    finally:
        await second.stop()  # a no-op unless it started by mistake
        await first.stop()
    assert writer_threads() == before
