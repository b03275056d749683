"""The drop copy over a scripted feed: pacing, events it cannot fold, and feeds that end or fail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

import pytest

from ordergate.feed.cursor import Cursor
from ordergate.feed.dropcopy import (
    Counterparty,
    DropCopyConfig,
    DropCopyServer,
    exec_id_of,
    start_drop_copy,
)
from ordergate.feed.dropcopy.stream import DRAIN_EVERY
from ordergate.feed.events import Control, FeedEvent
from ordergate.feed.filters import FeedFilter
from ordergate.feed.iteration import CursorStream
from ordergate.feed.service import FeedPage
from ordergate.fix.message import FixMessage
from tests.feed.test_dropcopy_reports import Events
from tests.fix.transport.helpers import TIMEOUT, RawPeer

pytestmark = pytest.mark.integration

Item = FeedEvent | Control


class ScriptedStream(CursorStream[Item]):
    def __init__(self, feed: ScriptedFeed, filter: FeedFilter, after: int) -> None:
        self._feed = feed
        super().__init__(filter, Cursor(after))

    async def _run(self) -> AsyncGenerator[Item, None]:
        for item in self._feed.items:
            if isinstance(item, FeedEvent):
                if item.position <= self.cursor.position:
                    continue
                self.cursor.advance(item.position)
                if not self.filter.matches(item):
                    continue
            yield item
        if self._feed.failure is not None:
            raise self._feed.failure
        if not self._feed.ends:
            await asyncio.Event().wait()  # live, with nothing more to say


@dataclass
class ScriptedFeed:
    """A :class:`~ordergate.feed.source.FeedSource` that plays a fixed list of items."""

    items: list[Item]
    ends: bool = False
    failure: Exception | None = None
    head_failure: Exception | None = None

    async def head(self) -> int:
        if self.head_failure is not None:
            raise self.head_failure
        positions = [i.position for i in self.items if isinstance(i, FeedEvent)]
        return max(positions, default=0)

    async def read(self, filter: FeedFilter, after: int, limit: int) -> FeedPage:
        raise NotImplementedError

    def subscribe(self, filter: FeedFilter, after: int) -> ScriptedStream:
        return ScriptedStream(self, filter, after)


@pytest.fixture
async def start() -> AsyncIterator[list[DropCopyServer]]:
    servers: list[DropCopyServer] = []
    yield servers
    for server in servers:
        await server.stop()


async def serve(started: list[DropCopyServer], feed: ScriptedFeed) -> DropCopyServer:
    everything = Counterparty(comp_id="CLIENT", start_from="zero")
    server = await start_drop_copy(
        feed, DropCopyConfig(comp_id="OGATE", counterparties=(everything,))
    )
    started.append(server)
    return server


async def logged_on(server: DropCopyServer) -> RawPeer:
    peer = await RawPeer.connect(server.port, sender="CLIENT", target="OGATE")
    assert (await peer.logon()).msg_type == "A"
    return peer


async def logged_out(peer: RawPeer) -> FixMessage:
    """Return our Logout(5), answered, once the peer saw the socket close."""
    logout = await peer.receive_type("5")
    await peer.send(peer.frame("5"))
    assert await peer.closed()
    return logout


def orders(count: int) -> list[Item]:
    """Return ``count`` orders' OrderSubmitted events, at positions 1..count."""
    items: list[Item] = []
    for n in range(count):
        order = Events(f"O-{n}", first_position=n + 1)
        items.append(order.feed(order.submitted()))
    return items


async def test_a_long_backlog_is_paced_by_the_socket_and_arrives_whole(
    start: list[DropCopyServer],
) -> None:
    count = 3 * DRAIN_EVERY + 7
    server = await serve(start, ScriptedFeed(orders(count)))
    peer = await logged_on(server)
    try:
        async with asyncio.timeout(TIMEOUT):  # a hang guard only
            received = [await peer.receive_type("8") for _ in range(count)]
    finally:
        await peer.close()

    assert [m.get_str(17) for m in received] == [exec_id_of(p) for p in range(1, count + 1)]


async def test_events_the_book_cannot_fold_and_control_messages_are_passed_over(
    start: list[DropCopyServer],
) -> None:
    stray = Events("O-stray", first_position=1)
    stray.submitted()  # its submission is not in the feed
    items: list[Item] = [
        stray.feed(stray.accepted()),
        Control(kind="catching_up", position=1),
        Control(kind="live", position=1),
        *orders(3)[1:],
    ]
    server = await serve(start, ScriptedFeed(items))
    peer = await logged_on(server)
    try:
        received = [await peer.receive_type("8") for _ in range(2)]
    finally:
        await peer.close()

    assert [m.get_str(17) for m in received] == [exec_id_of(2), exec_id_of(3)]
    assert server.streams["FIX.4.4:OGATE->CLIENT"].book.position == 3


@pytest.mark.parametrize(
    ("feed", "text"),
    [
        (ScriptedFeed(orders(2), ends=True), "drop copy feed ended"),
        (ScriptedFeed(orders(2), failure=RuntimeError("log unreadable")), "drop copy failed"),
    ],
)
async def test_a_feed_that_ends_or_fails_logs_the_counterparty_out(
    start: list[DropCopyServer], feed: ScriptedFeed, text: str
) -> None:
    server = await serve(start, feed)
    peer = await logged_on(server)
    try:
        reports = [await peer.receive_type("8") for _ in range(2)]
        logout = await logged_out(peer)
    finally:
        await peer.close()
    await server.streams["FIX.4.4:OGATE->CLIENT"].wait_idle()

    assert [m.get_str(17) for m in reports] == [exec_id_of(1), exec_id_of(2)]
    assert logout.get_str(58) == text
    assert server.streams["FIX.4.4:OGATE->CLIENT"].sent == 2  # the next logon resumes after it


async def test_a_feed_without_a_head_logs_a_new_counterparty_out(
    start: list[DropCopyServer],
) -> None:
    feed = ScriptedFeed(orders(1), head_failure=ConnectionError("feed gateway down"))
    server = await start_drop_copy(
        feed, DropCopyConfig(comp_id="OGATE", counterparties=(Counterparty(comp_id="CLIENT"),))
    )
    start.append(server)
    peer = await logged_on(server)
    try:
        logout = await logged_out(peer)
    finally:
        await peer.close()
    await server.streams["FIX.4.4:OGATE->CLIENT"].wait_idle()

    assert logout.get_str(58) == "drop copy failed"
    assert server.streams["FIX.4.4:OGATE->CLIENT"].sent is None  # still never given a start


async def test_a_counterparty_that_does_not_read_holds_up_no_other(
    start: list[DropCopyServer],
) -> None:
    count = 2000
    parties = (
        Counterparty(comp_id="SLOW", start_from="zero"),
        Counterparty(comp_id="FAST", start_from="zero"),
    )
    server = await start_drop_copy(
        ScriptedFeed(orders(count)), DropCopyConfig(comp_id="OGATE", counterparties=parties)
    )
    start.append(server)
    slow = await RawPeer.connect(server.port, sender="SLOW", target="OGATE")
    fast = await RawPeer.connect(server.port, sender="FAST", target="OGATE")
    try:
        await slow.send(slow.frame("A", (98, b"0"), (108, b"30")))  # and then reads nothing
        assert (await fast.logon()).msg_type == "A"
        async with asyncio.timeout(TIMEOUT):  # a hang guard only
            at_fast = [await fast.receive_type("8") for _ in range(count)]
            at_slow = [await slow.receive_type("8") for _ in range(count)]
    finally:
        await slow.close()
        await fast.close()

    expected = [exec_id_of(p) for p in range(1, count + 1)]
    assert [m.get_str(17) for m in at_fast] == expected
    assert [m.get_str(17) for m in at_slow] == expected
