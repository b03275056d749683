"""Scheduled sessions over real sockets: a window a couple of seconds wide, from now.

Only ordering is asserted (refused before the window, logged on inside it, logged out at
its end); the timeouts are hang guards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ordergate.clock import LiveClock
from ordergate.fix.schedule import SessionSchedule
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.store.memory import MemoryStore
from ordergate.fix.transport import (
    Backoff,
    FixAcceptor,
    FixInitiator,
    NullApplication,
    StoreFactory,
    memory_stores,
    url_stores,
)
from ordergate.fix.transport.periods import sleep_until
from ordergate.fix.transport.stores import close_store
from tests.fix.transport.helpers import TIMEOUT, RawPeer, Recorder

pytestmark = pytest.mark.integration

NS = 1_000_000_000
CLOCK = LiveClock()


def window(opens_in: float, width: float) -> tuple[SessionSchedule, int, int]:
    """Return a daily UTC schedule whose period opens ``opens_in`` s from now, and its bounds."""

    def wall(offset: float) -> datetime:
        return datetime.fromtimestamp(time.time() + offset, UTC)

    schedule = SessionSchedule(
        start_time=wall(opens_in).time(), end_time=wall(opens_in + width).time()
    )
    now = time.time_ns()
    start = schedule.period_start(now)
    if start is None:
        start = schedule.next_start(now)
    return schedule, start, schedule.next_end(now)


def config(role: Role, schedule: SessionSchedule | None) -> SessionConfig:
    ours, theirs = ("VENUE", "CLIENT") if role is Role.ACCEPTOR else ("CLIENT", "VENUE")
    return SessionConfig(
        begin_string="FIX.4.4",
        sender_comp_id=ours,
        target_comp_id=theirs,
        role=role,
        schedule=schedule,
    )


def stores_of(store: MessageStore) -> StoreFactory:
    async def factory(_: SessionConfig) -> MessageStore:
        return store

    return factory


def stale_store(sender: int, target: int) -> MemoryStore:
    """Return a store whose sequence began long ago, at these numbers."""
    store = MemoryStore(now=0)
    store.set_next_sender_seq(sender)
    store.set_next_target_seq(target)
    return store


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not condition():
            await asyncio.sleep(0.01)


async def started_acceptor(
    schedule: SessionSchedule | None, stores: StoreFactory, application: Recorder
) -> FixAcceptor:
    acceptor = FixAcceptor(
        "127.0.0.1", 0, [config(Role.ACCEPTOR, schedule)], stores, application, logon_timeout=5
    )
    await acceptor.start()
    return acceptor


async def refused_logon(port: int) -> str | None:
    peer = await RawPeer.connect(port, sender="CLIENT", target="VENUE")
    try:
        reply = await peer.logon()
        assert reply.msg_type == "5"
        assert await peer.closed()
        return reply.get_str(58)
    finally:
        await peer.close()


# -- acceptor ------------------------------------------------------------------------------


async def test_an_acceptor_serves_a_session_only_inside_its_period() -> None:
    schedule, start, end = window(2.0, 2.0)
    store = stale_store(7, 9)
    application = Recorder()
    acceptor = await started_acceptor(schedule, stores_of(store), application)
    try:
        # Before the period: refused, and the sequence numbers are left alone.
        assert await refused_logon(acceptor.port) == "session is not active"
        assert time.time_ns() < start
        assert (store.next_sender_seq(), store.next_target_seq()) == (7, 9)
        assert acceptor.sessions[0].connection is None

        # Inside it: the stale sequence is reset before the Logon is processed.
        await sleep_until(CLOCK, start)
        peer = await RawPeer.connect(acceptor.port, sender="CLIENT", target="VENUE")
        reply = await peer.logon()
        assert reply.msg_type == "A"
        assert reply.get_int(34) == 1
        assert store.creation_time() >= start
        await application.next_logon()

        # At its end: the acceptor logs the connection out.
        logout = await peer.receive_type("5")
        assert logout.get_str(58) == "session period ended"
        assert time.time_ns() >= end
        await peer.send(peer.frame("5"))
        assert await peer.closed()
        await peer.close()
        await application.next_logout()
        await until(lambda: acceptor.sessions[0].connection is None)
        numbers = (store.next_sender_seq(), store.next_target_seq())
        assert numbers == (3, 3)  # Logon and Logout each way

        # After it: refused again, numbers kept for the record until the next period.
        assert await refused_logon(acceptor.port) == "session is not active"
        assert (store.next_sender_seq(), store.next_target_seq()) == numbers
    finally:
        await acceptor.stop()


@pytest.mark.parametrize("created_in_period", [True, False])
async def test_an_acceptor_resets_only_a_sequence_from_before_the_period(
    created_in_period: bool,
) -> None:
    schedule, start, _ = window(-1.0, 30.0)  # open since a second ago
    store = MemoryStore(now=time.time_ns() if created_in_period else start - 1)
    store.set_next_sender_seq(5)
    acceptor = await started_acceptor(schedule, stores_of(store), Recorder())
    peer = await RawPeer.connect(acceptor.port, sender="CLIENT", target="VENUE")
    try:
        reply = await peer.logon()

        assert reply.msg_type == "A"
        assert reply.get_int(34) == (5 if created_in_period else 1)
    finally:
        await peer.close()
        await acceptor.stop()


async def test_an_acceptor_persists_the_period_reset_of_a_durable_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fix.db'}"
    schedule, start, _ = window(1.0, 30.0)
    session = config(Role.ACCEPTOR, schedule)
    earlier = await url_stores(url)(session)
    earlier.set_next_sender_seq(40)
    earlier.set_next_target_seq(50)
    await close_store(earlier)  # flushes: this sequence began before the period

    acceptor = await started_acceptor(schedule, url_stores(url), Recorder())
    await sleep_until(CLOCK, start)
    peer = await RawPeer.connect(acceptor.port, sender="CLIENT", target="VENUE")
    try:
        reply = await peer.logon()
        assert reply.get_int(34) == 1
    finally:
        await peer.close()
        await acceptor.stop(logout=False)

    reopened = await url_stores(url)(session)
    try:
        assert reopened.next_sender_seq() == 2
        assert reopened.next_target_seq() == 2
        assert reopened.creation_time() >= start
    finally:
        await close_store(reopened)


# -- initiator -----------------------------------------------------------------------------


def initiator_of(
    schedule: SessionSchedule, store: MessageStore, port: int, application: Recorder
) -> FixInitiator:
    return FixInitiator(
        config(Role.INITIATOR, schedule),
        stores_of(store),
        None,
        [("127.0.0.1", port)],
        application,
        backoff=Backoff(initial=0.05, maximum=0.2),
    )


async def test_an_initiator_connects_in_its_period_and_leaves_at_its_end() -> None:
    schedule, start, end = window(2.0, 2.0)
    acceptor_app, initiator_app = Recorder(), Recorder()
    acceptor = await started_acceptor(None, memory_stores(), acceptor_app)
    store = stale_store(40, 30)
    initiator = initiator_of(schedule, store, acceptor.port, initiator_app)
    try:
        await initiator.start()
        await until(lambda: initiator.inactive_until is not None)
        assert initiator.inactive_until == start
        assert initiator.attempts == 0

        connection = await initiator.wait_logged_on(TIMEOUT)
        assert time.time_ns() >= start
        assert initiator.inactive_until is None
        # The stale sequence was reset before the Logon: it went out as MsgSeqNum 1.
        assert store.creation_time() >= start
        assert store.next_sender_seq() == 2
        assert acceptor.sessions[0].store.next_target_seq() == 2

        assert await initiator_app.next_logout() is connection
        assert time.time_ns() >= end
        await acceptor_app.next_logout()
        await until(lambda: initiator.inactive_until is not None)
        assert initiator.inactive_until == schedule.next_start(end)
        assert initiator.connection is None
        assert initiator.attempts == 1
    finally:
        await initiator.stop()
        await acceptor.stop()


async def test_both_ends_on_one_schedule_meet_inside_it() -> None:
    schedule, start, end = window(1.5, 2.0)
    acceptor_app, initiator_app = Recorder(), Recorder()
    acceptor = await started_acceptor(schedule, memory_stores(), acceptor_app)
    initiator = initiator_of(
        schedule, MemoryStore(now=time.time_ns()), acceptor.port, initiator_app
    )
    try:
        await initiator.start()
        await initiator.wait_logged_on(TIMEOUT)
        await acceptor_app.next_logon()
        assert time.time_ns() >= start

        await initiator_app.next_logout()
        await acceptor_app.next_logout()
        await until(lambda: initiator.inactive_until is not None)
        assert time.time_ns() >= end
        assert initiator.attempts == 1
    finally:
        await initiator.stop()
        await acceptor.stop()


async def test_an_initiator_waiting_for_its_period_stops_at_once() -> None:
    schedule, start, _ = window(3600.0, 60.0)
    initiator = initiator_of(schedule, MemoryStore(), 1, Recorder())
    await initiator.start()
    await until(lambda: initiator.inactive_until is not None)

    await asyncio.wait_for(initiator.stop(), TIMEOUT)

    assert initiator.inactive_until == start
    assert initiator.attempts == 0


async def test_an_initiator_without_a_peer_keeps_retrying_only_inside_the_period() -> None:
    schedule, _, end = window(-1.0, 1.5)  # open now, closes within 0.5 s
    initiator = FixInitiator(
        config(Role.INITIATOR, schedule),
        memory_stores(),
        None,
        [("127.0.0.1", 1)],  # nothing listens on port 1
        NullApplication(),
        backoff=Backoff(initial=0.05, maximum=0.1),
    )
    await initiator.start()
    try:
        await until(lambda: initiator.inactive_until is not None)
        assert time.time_ns() >= end
        tried = initiator.attempts
        assert tried >= 1
        await asyncio.sleep(0.3)
        assert initiator.attempts == tried
    finally:
        await initiator.stop()
