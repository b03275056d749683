"""The FIX drop copy end to end: the real OMS and feed, loopback sockets, our FIX initiator."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ordergate.domain.commands import CancelOrder
from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.feed import Feed, parse_filter
from ordergate.feed.dropcopy import (
    Counterparty,
    DropCopyConfig,
    DropCopyServer,
    exec_id_of,
    start_drop_copy,
)
from ordergate.feed.dropcopy.reports import REPORTED_EVENT_TYPES
from ordergate.fix.message import FixMessage
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.store import MemoryStore
from ordergate.fix.store.base import MessageStore
from ordergate.fix.transport import Backoff, FixConnection, FixInitiator, StoreFactory
from ordergate.oms.service import OrderManager
from tests.feed.conftest import order
from tests.fix.transport.helpers import TIMEOUT, RawPeer
from tests.oms.scripted_venue import ScriptedVenue

pytestmark = pytest.mark.integration

FAST = Backoff(initial=0.01, maximum=0.05, rng=random.Random(7))
Report = tuple[FixMessage, bool]  # an ExecutionReport and its PossDupFlag


class Reports:
    """The counterparty's application: every ExecutionReport, in order, with PossDupFlag."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Report] = asyncio.Queue()
        self.others: list[FixMessage] = []

    def on_logon(self, connection: FixConnection) -> None:
        pass

    def on_logout(self, connection: FixConnection) -> None:
        pass

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        if message.msg_type == "8":
            self.queue.put_nowait((message, poss_dup))
        else:
            self.others.append(message)


def kept(store: MessageStore) -> StoreFactory:
    """Return a store factory that always gives ``store`` (it outlives initiators)."""

    async def factory(config: SessionConfig) -> MessageStore:
        return store

    return factory


class Client:
    """A drop-copy counterparty on our own FIX initiator; its store outlives reconnects."""

    def __init__(
        self, begin: str = "FIX.4.4", comp_id: str = "CLIENT", store: MemoryStore | None = None
    ) -> None:
        self.config = SessionConfig(
            begin_string=begin, sender_comp_id=comp_id, target_comp_id="OGATE", role=Role.INITIATOR
        )
        self.store = store if store is not None else MemoryStore()
        self.reports = Reports()
        self.initiator: FixInitiator | None = None

    async def connect(self, server: DropCopyServer) -> None:
        self.initiator = FixInitiator(
            self.config,
            kept(self.store),
            None,
            [("127.0.0.1", server.port)],
            self.reports,
            backoff=FAST,
        )
        await self.initiator.start()
        await self.initiator.wait_logged_on(TIMEOUT)
        await started(server, f"{self.config.begin_string}:OGATE->{self.config.sender_comp_id}")

    async def disconnect(self) -> None:
        if self.initiator is not None:
            await self.initiator.stop()
            self.initiator = None

    async def take(self, n: int) -> list[Report]:
        async with asyncio.timeout(TIMEOUT):  # a hang guard only
            return [await self.reports.queue.get() for _ in range(n)]


async def started(server: DropCopyServer, session_id: str) -> None:
    """Wait until a session that just logged on has its start (a new one reads the head)."""
    async with asyncio.timeout(TIMEOUT):  # a hang guard only
        while server.streams[session_id].sent is None:
            await asyncio.sleep(0.001)


async def raw_logon(server: DropCopyServer, peer: RawPeer) -> FixMessage:
    reply = await peer.logon()
    await started(server, "FIX.4.4:OGATE->CLIENT")
    return reply


def config(*counterparties: Counterparty, store_url: str | None = None) -> DropCopyConfig:
    return DropCopyConfig(
        comp_id="OGATE", counterparties=counterparties, store_url=store_url, heartbeat_interval=30
    )


ACC1_ONLY = Counterparty(comp_id="CLIENT", accounts=frozenset({"ACC1"}))


@pytest.fixture
def feed(oms: OrderManager) -> Feed:
    return Feed(oms.store, oms.hub)


@pytest.fixture
async def server(feed: Feed) -> AsyncIterator[DropCopyServer]:
    running = await start_drop_copy(feed, config(ACC1_ONLY))
    yield running
    await running.stop()


async def place(oms: OrderManager, venue: ScriptedVenue, name: str, account: str = "ACC1") -> str:
    """Submit an order and have the venue acknowledge it (two events); return its id."""
    placed = await oms.submit(order(name, account))
    await oms.handle_report(venue.ack(placed.order.id))
    return placed.order.id


async def trade(oms: OrderManager, venue: ScriptedVenue, order_id: str, quantity: str) -> None:
    await oms.handle_report(venue.trade(order_id, quantity, "190.00"))


async def expected_exec_ids(feed: Feed, account: str, after: int = 0) -> list[str]:
    """Return the ExecIDs the drop copy owes an ``account`` counterparty after ``after``."""
    page = await feed.read(parse_filter(accounts=account), after, 10_000)
    return [exec_id_of(e.position) for e in page.items if e.type in REPORTED_EVENT_TYPES]


def exec_ids(reports: list[Report]) -> list[str]:
    return [message.get_str(17) or "" for message, _ in reports]


@pytest.mark.parametrize("begin", ["FIX.4.2", "FIX.4.4"])
async def test_an_entitled_accounts_orders_and_fills_arrive_and_no_other_accounts_ever_do(
    oms: OrderManager, venue: ScriptedVenue, feed: Feed, begin: str
) -> None:
    history = await place(oms, venue, "old")  # before the first logon
    await trade(oms, venue, history, "100")
    await place(oms, venue, "other-old", "ACC2")
    everything = Counterparty(comp_id="CLIENT", accounts=frozenset({"ACC1"}), start_from="zero")
    server = await start_drop_copy(feed, config(everything))
    client = Client(begin)
    try:
        await client.connect(server)
        historic = await client.take(3)
        live = await place(oms, venue, "new")
        await place(oms, venue, "other-new", "ACC2")
        await trade(oms, venue, live, "40")
        await trade(oms, venue, live, "60")
        await place(oms, venue, "sentinel")  # after every ACC2 event, in feed order
        current = await client.take(6)
    finally:
        await client.disconnect()
        await server.stop()

    reports = historic + current
    assert exec_ids(reports) == await expected_exec_ids(feed, "ACC1")
    assert {message.get_str(1) for message, _ in reports} == {"ACC1"}
    assert not any(poss_dup for _, poss_dup in reports)
    fill = "F" if begin == "FIX.4.4" else "2"
    partial = "F" if begin == "FIX.4.4" else "1"
    assert [(m.get_str(150), m.get_str(39)) for m, _ in reports] == [
        ("A", "A"), ("0", "0"), (fill, "2"), ("A", "A"), ("0", "0"), (partial, "1"), (fill, "2"),
        ("A", "A"), ("0", "0"),
    ]  # fmt: skip
    last_fill = reports[6][0]
    assert (last_fill.get_str(11), last_fill.get_str(32), last_fill.get_str(14)) == (
        live, "60", "100",
    )  # fmt: skip
    assert (last_fill.get_str(151), last_fill.get_str(6), last_fill.get_str(31)) == (
        "0", "190", "190.00",
    )  # fmt: skip
    assert not client.reports.others


async def test_a_new_counterparty_starts_at_the_head(
    oms: OrderManager, venue: ScriptedVenue, server: DropCopyServer, feed: Feed
) -> None:
    old = await place(oms, venue, "before-logon")
    head = await feed.head()
    client = Client()
    try:
        await client.connect(server)
        await trade(oms, venue, old, "100")  # an order from before still reports exactly
        reports = await client.take(1)
    finally:
        await client.disconnect()

    ((fill, _),) = reports
    assert fill.get_str(17) == exec_id_of(head + 1)
    assert (fill.get_str(11), fill.get_str(14), fill.get_str(151)) == (old, "100", "0")


async def test_a_reconnect_resumes_with_no_gap_and_no_duplicate(
    oms: OrderManager, venue: ScriptedVenue, server: DropCopyServer, feed: Feed
) -> None:
    client = Client()
    try:
        await client.connect(server)
        first = await place(oms, venue, "a")
        before = await client.take(2)
        await client.disconnect()
        # While it is away: its fills, a new order, and another account's order.
        await trade(oms, venue, first, "30")
        await place(oms, venue, "noise", "ACC2")
        await place(oms, venue, "b")
        await client.connect(server)
        after = await client.take(3)
        await place(oms, venue, "sentinel")
        after += await client.take(2)
    finally:
        await client.disconnect()

    assert exec_ids(before + after) == await expected_exec_ids(feed, "ACC1")
    assert not any(poss_dup for _, poss_dup in before + after)


async def test_a_resend_request_gets_the_same_reports_as_poss_dup_copies(
    oms: OrderManager, venue: ScriptedVenue, server: DropCopyServer
) -> None:
    client = Client()
    try:
        await client.connect(server)
        first = await place(oms, venue, "a")
        await trade(oms, venue, first, "25")
        originals = await client.take(3)
        await client.disconnect()
        # Forget having received them: the next logon reveals a gap, answered by resend.
        client.store.set_next_target_seq(2)
        await client.connect(server)
        resent = await client.take(3)
        await trade(oms, venue, first, "75")
        ((new, poss_dup),) = await client.take(1)
    finally:
        await client.disconnect()

    assert exec_ids(resent) == exec_ids(originals)
    assert all(poss_dup for _, poss_dup in resent)
    assert all(m.get_bool(43) and 122 in m for m, _ in resent)
    assert [m.get_int(34) for m, _ in resent] == [m.get_int(34) for m, _ in originals]
    assert not poss_dup
    assert new.get_str(17) not in exec_ids(originals)
    assert new.get_str(14) == "100"


async def test_a_restart_over_a_durable_store_resumes_each_counterparty(
    oms: OrderManager, venue: ScriptedVenue, feed: Feed, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'dropcopy.db'}"
    quiet = Counterparty(comp_id="QUIET", accounts=frozenset({"ACC3"}))
    settings = config(ACC1_ONLY, quiet, store_url=url)
    await place(oms, venue, "history")
    client, listener = Client(), Client(comp_id="QUIET")
    server = await start_drop_copy(feed, settings)
    try:
        await client.connect(server)
        await listener.connect(server)  # starts at the head; is sent nothing
        busy = await place(oms, venue, "a")
        before = await client.take(2)
        await listener.disconnect()
        await client.disconnect()
    finally:
        await server.stop()
    # While the drop copy is down: more for both counterparties.
    await trade(oms, venue, busy, "100")
    await place(oms, venue, "c", "ACC3")
    server = await start_drop_copy(Feed(oms.store, oms.hub), settings)
    try:
        await client.connect(server)
        await listener.connect(server)
        after = await client.take(1)
        heard = await listener.take(2)
    finally:
        await client.disconnect()
        await listener.disconnect()
        await server.stop()

    history_ids = await expected_exec_ids(feed, "ACC1")
    assert exec_ids(before + after) == history_ids[2:]  # "history" was before the first logon
    assert exec_ids(heard) == await expected_exec_ids(feed, "ACC3")
    assert not any(poss_dup for _, poss_dup in before + after + heard)
    # Sequence numbers went on: our Logout(5), our Logon(A) reply, then the report.
    assert after[0][0].get_int(34) == (before[-1][0].get_int(34) or 0) + 3


async def test_a_logon_from_an_unknown_comp_id_or_version_is_refused(
    server: DropCopyServer,
) -> None:
    strangers = [("FIX.4.4", "STRANGER"), ("FIX.4.0", "CLIENT")]
    for begin, sender in strangers:
        peer = await RawPeer.connect(server.port, begin=begin, sender=sender, target="OGATE")
        try:
            reply = await peer.logon()
            assert await peer.closed()
        finally:
            await peer.close()
        assert reply.msg_type == "5"
        assert "unknown session" in (reply.get_str(58) or "")


async def test_garbled_frames_do_not_change_the_stream(
    oms: OrderManager, venue: ScriptedVenue, server: DropCopyServer, feed: Feed
) -> None:
    peer = await RawPeer.connect(server.port, sender="CLIENT", target="OGATE")
    try:
        logon = await raw_logon(server, peer)
        first = await place(oms, venue, "a")
        received = [await peer.receive() for _ in range(2)]
        good = peer.frame("1", (112, b"PING"), seq=peer.seq)  # keeps the peer's next seq
        wrong = b"%03d" % ((int(good[-4:-1]) + 1) % 256)
        await peer.send(good[:-4] + wrong + b"\x01")  # bad CheckSum(10)
        await peer.send(b"8=FIX.4.4\x019=5\x0135=0\x01garbage\x01")  # bad BodyLength(9)
        await peer.send(b"\x00\xff not fix at all \x01")
        await trade(oms, venue, first, "100")
        received.append(await peer.receive())
        await peer.send(peer.frame("1", (112, b"STILL-THERE")))
        heartbeat = await peer.receive()
    finally:
        await peer.close()

    assert logon.msg_type == "A"
    assert [m.msg_type for m in received] == ["8", "8", "8"]
    assert [m.get_int(34) for m in received] == [2, 3, 4]
    assert [m.get_str(17) for m in received] == await expected_exec_ids(feed, "ACC1")
    assert (heartbeat.msg_type, heartbeat.get_str(112)) == ("0", "STILL-THERE")


async def test_a_logon_that_resets_sequence_numbers_keeps_the_feed_position(
    oms: OrderManager, venue: ScriptedVenue, server: DropCopyServer, feed: Feed
) -> None:
    client = Client()
    try:
        await client.connect(server)
        await place(oms, venue, "a")
        before = await client.take(2)
        await client.disconnect()
    finally:
        await client.disconnect()
    peer = await RawPeer.connect(server.port, sender="CLIENT", target="OGATE")
    try:
        await peer.send(peer.frame("A", (98, b"0"), (108, b"30"), (141, b"Y")))
        logon = await peer.receive()
        await place(oms, venue, "b")
        after = [await peer.receive() for _ in range(2)]
    finally:
        await peer.close()

    assert (logon.msg_type, logon.get_str(141), logon.get_int(34)) == ("A", "Y", 1)
    assert [m.get_int(34) for m in after] == [2, 3]
    got = exec_ids(before) + [m.get_str(17) or "" for m in after]
    assert got == await expected_exec_ids(feed, "ACC1")


async def test_application_messages_from_the_counterparty_are_refused(
    server: DropCopyServer,
) -> None:
    peer = await RawPeer.connect(server.port, sender="CLIENT", target="OGATE")
    try:
        await raw_logon(server, peer)
        await peer.send(peer.order_frame("NOT-HERE"))
        reject = await peer.receive()
    finally:
        await peer.close()

    assert reject.msg_type == "j"
    assert (reject.get_str(372), reject.get_str(380), reject.get_str(379)) == ("D", "3", "NOT-HERE")


async def test_a_cancel_reaches_the_counterparty_as_pending_then_canceled(
    oms: OrderManager, venue: ScriptedVenue, server: DropCopyServer
) -> None:
    client = Client("FIX.4.2")
    try:
        await client.connect(server)
        order_id = await place(oms, venue, "a")
        await trade(oms, venue, order_id, "10")
        await oms.cancel(CancelOrder(order_id=order_id))
        await oms.handle_report(
            ExecutionReport(kind=ExecKind.CANCELED, venue=venue.name, order_id=order_id)
        )
        reports = await client.take(5)
    finally:
        await client.disconnect()

    assert [(m.get_str(150), m.get_str(39)) for m, _ in reports] == [
        ("A", "A"), ("0", "0"), ("1", "1"), ("6", "6"), ("4", "4"),
    ]  # fmt: skip
    canceled = reports[-1][0]
    assert (canceled.get_str(20), canceled.get_str(41), canceled.get_str(14)) == (
        "0", order_id, "10",
    )  # fmt: skip
    assert canceled.get_str(151) == "0"
