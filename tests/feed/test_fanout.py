"""The push fan-out without sockets: an in-memory log, a hub, and sinks that record frames.

Each subscriber writes to a :class:`MemorySink`, which keeps the bytes it was given (parsed
back into WebSocket frames, so the framing is checked too) and can *stall* like a client
that stops reading: bytes then pile up in :meth:`MemorySink.buffered` and
:meth:`MemorySink.drain` blocks until it is resumed. The log is a list of feed events;
its reads can be held at a chosen moment to open the switch-over window. Every wait is
bounded (``asyncio.timeout``); nothing is asserted about time.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from ordergate.feed.events import Control, FeedEvent
from ordergate.feed.fanout import Fanout, FrameCache, PushSubscriber, text_frame
from ordergate.feed.filters import FeedFilter, parse_filter
from ordergate.feed.jetstream import StreamTooShortError
from ordergate.feed.metrics import FeedMetrics, SubscriberStats
from ordergate.feed.service import LogFeed
from ordergate.oms.hub import EventHub

WAIT = 5  # seconds: the bound on every wait (a test that needs it has failed)
ACCOUNTS = ("A1", "A2", "A3")
TYPES = ("OrderSubmitted", "OrderAccepted", "OrderPartiallyFilled", "OrderFilled")


def feed_event(
    position: int, account: str = "A1", type: str = "OrderAccepted", pad: int = 0
) -> FeedEvent:
    body: dict[str, Any] = {"n": position}
    if pad:
        body["pad"] = "x" * pad
    return FeedEvent(
        position=position,
        type=type,
        order_id=f"O-{position}",
        account=account,
        portfolio=None,
        strategy=None,
        symbol="AAPL",
        venue="SIM",
        ts_event=1_000 + position,
        body=body,
    )


def parse_frames(data: bytes) -> list[dict[str, Any]]:
    """Split a server's byte stream into its text frames' JSON (checking each header)."""
    messages: list[dict[str, Any]] = []
    offset = 0
    while offset < len(data):
        assert data[offset] == 0x81, "a final text frame"
        assert not data[offset + 1] & 0x80, "a server's frames are never masked"
        length, head = data[offset + 1] & 0x7F, 2
        if length == 126:
            length, head = int.from_bytes(data[offset + 2 : offset + 4], "big"), 4
            assert length >= 126, "the shortest length encoding"
        elif length == 127:
            length, head = int.from_bytes(data[offset + 2 : offset + 10], "big"), 10
            assert length >= 1 << 16, "the shortest length encoding"
        payload = data[offset + head : offset + head + length]
        assert len(payload) == length, "a whole frame"
        messages.append(json.loads(payload))
        offset += head + length
    return messages


def event_positions(messages: list[dict[str, Any]]) -> list[int]:
    return [m["position"] for m in messages if m.get("type") != "control"]


def control_frames(messages: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(m["control"], m["position"]) for m in messages if m.get("type") == "control"]


class MemoryLog:
    """A feed log in memory. ``hook(n)`` is awaited by the n-th read after it took its answer
    (so what the read returns is the log as it was when the read began)."""

    def __init__(self) -> None:
        self.events: list[FeedEvent] = []
        self.reads = 0
        self.hook: Callable[[int], Awaitable[None]] | None = None
        self.error: Exception | None = None

    async def head(self) -> int:
        return self.events[-1].position if self.events else 0

    async def read(self, after: int, limit: int) -> list[FeedEvent]:
        self.reads += 1
        if self.error is not None:
            raise self.error
        start = bisect.bisect_right(self.events, after, key=lambda e: e.position)
        answer = self.events[start : start + limit]
        if self.hook is not None:
            await self.hook(self.reads)
        return answer

    async def live(self, position: int, item: FeedEvent) -> FeedEvent:
        return item


class MemorySink:
    """A subscriber's socket in memory; :meth:`stall` makes it a client that stops reading."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.open = True
        self.piled = 0
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.waiting = False  # a drain is blocked on the stalled socket
        self.failed: str | None = None
        self.ended = False
        self.dropped = 0  # bytes written after the connection closed (dropped, as a socket's)

    def is_open(self) -> bool:
        return self.open

    def buffered(self) -> int:
        return self.piled

    def write(self, data: bytes) -> None:
        if not self.open:
            self.dropped += len(data)
            return
        self.data += data
        if not self.flowing.is_set():
            self.piled += len(data)

    async def drain(self) -> None:
        self.waiting = True
        try:
            await self.flowing.wait()
        finally:
            self.waiting = False

    def fail(self, reason: str) -> None:
        self.failed = reason
        self.open = False

    def end(self) -> None:
        self.ended = True
        self.open = False

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.piled = 0
        self.flowing.set()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return parse_frames(bytes(self.data))

    def positions(self) -> list[int]:
        return event_positions(self.messages)

    def controls(self) -> list[tuple[str, int]]:
        return control_frames(self.messages)


class Rig:
    """A fan-out over a memory log and a hub, its dispatcher running."""

    def __init__(
        self,
        *,
        batch: int = 3,
        buffer: int = 4,
        high_water: int = 1,
        hub_buffer: int = 1000,
        fanout_batch: int = 256,
        start: bool = True,
    ) -> None:
        self.log = MemoryLog()
        self.hub: EventHub[FeedEvent] = EventHub()
        self.feed = LogFeed(self.log, self.hub, batch=batch)
        self.metrics = FeedMetrics()
        self.fanout = Fanout(
            self.feed,
            buffer=buffer,
            high_water=high_water,
            batch=fanout_batch,
            hub_buffer=hub_buffer,
            metrics=self.metrics,
        )
        self.subscribers: list[tuple[PushSubscriber, MemorySink, SubscriberStats]] = []
        self.dispatcher: asyncio.Task[None] | None = None
        if start:
            self.start()

    def start(self) -> None:
        self.dispatcher = asyncio.ensure_future(self.fanout.run())

    async def started(self) -> None:
        await until(lambda: self.hub.subscribers == 1, "the dispatcher follows the hub")

    def subscribe(
        self, filter: FeedFilter | None = None, after: int = 0
    ) -> tuple[PushSubscriber, MemorySink]:
        chosen = filter or FeedFilter()
        sink = MemorySink()
        stats = self.metrics.connect("test", "tester", chosen, after)
        subscriber = self.fanout.add(chosen, after, sink, stats)
        self.subscribers.append((subscriber, sink, stats))
        return subscriber, sink

    def append(self, n: int, *, skip: int = 0, **kwargs: Any) -> list[FeedEvent]:
        """Append ``n`` events to the log (the first ``skip`` positions past the head unused)."""
        head = self.log.events[-1].position if self.log.events else 0
        events = [feed_event(head + skip + k, **kwargs) for k in range(1, n + 1)]
        self.log.events.extend(events)
        return events

    def publish(self, events: list[FeedEvent]) -> None:
        for event in events:
            self.hub.publish(event.position, event)

    def produce(self, n: int, **kwargs: Any) -> list[FeedEvent]:
        """Append ``n`` events, then publish them (the log is the outbox)."""
        events = self.append(n, **kwargs)
        self.publish(events)
        return events

    async def dispatched(self) -> None:
        """Wait until the dispatcher has taken (and so offered) all that was published."""
        await until(
            lambda: all(s._queue.empty() for s in self.hub._subscribers),
            "the dispatcher took every published event",
        )

    def entitled(self, filter: FeedFilter, after: int) -> list[FeedEvent]:
        return [e for e in self.log.events if e.position > after and filter.matches(e)]

    def deliveries(self) -> float | None:
        return self.metrics.registry.get_sample_value("ordergate_feed_deliveries_total")

    async def close(self) -> None:
        self.hub.close()
        async with asyncio.timeout(WAIT):
            if self.dispatcher is not None:
                await self.dispatcher
            for subscriber, _, _ in self.subscribers:
                self.fanout.remove(subscriber)
                await subscriber.wait()


async def until(predicate: Callable[[], bool], what: str) -> None:
    """Let the loop run until ``predicate()`` holds (bounded)."""
    try:
        async with asyncio.timeout(WAIT):
            while not predicate():
                await asyncio.sleep(0)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def settle(rig: Rig) -> None:
    """Wait until every open subscriber is live with its cursor at the log's head."""
    try:
        async with asyncio.timeout(WAIT):
            while True:
                subscribers = [s for s, _, _ in rig.subscribers if not s.closed]
                for subscriber in subscribers:
                    await subscriber.wait()
                head = await rig.log.head()
                if all(s in rig.fanout.live and s.position >= head for s in subscribers):
                    return
                await asyncio.sleep(0)
    except TimeoutError:
        raise AssertionError("the subscribers never caught up") from None


@pytest.fixture
async def rigs() -> AsyncIterator[Callable[..., Awaitable[Rig]]]:
    made: list[Rig] = []

    async def make(**kwargs: Any) -> Rig:
        rig = Rig(**kwargs)
        made.append(rig)
        if rig.dispatcher is not None:
            await rig.started()
        return rig

    yield make
    for rig in made:
        await rig.close()


@pytest.fixture
async def rig(rigs: Callable[..., Awaitable[Rig]]) -> Rig:
    return await rigs()


# -- frames ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_text_frame_has_the_shortest_length_encoding_and_no_mask(size: int) -> None:
    payload = json.dumps({"pad": "y" * size}).encode()

    frame = text_frame(payload)

    assert parse_frames(frame) == [{"pad": "y" * size}]


def test_the_frame_cache_builds_an_events_frame_once_and_forgets_the_oldest() -> None:
    cache = FrameCache(size=2)
    first = cache.frame(feed_event(1))

    again = cache.frame(feed_event(1))
    cache.frame(feed_event(2))
    cache.frame(feed_event(3))  # pushes position 1 out
    rebuilt = cache.frame(feed_event(1))
    control = cache.frame(Control(kind="live", position=3))

    assert again is first
    assert rebuilt is not first
    assert rebuilt == first
    assert parse_frames(control) == [{"type": "control", "control": "live", "position": 3}]
    with pytest.raises(ValueError, match="size"):
        FrameCache(size=0)


@pytest.mark.parametrize("name", ["buffer", "high_water", "batch", "hub_buffer"])
def test_the_fanout_refuses_a_limit_below_one(name: str) -> None:
    feed = LogFeed(MemoryLog(), EventHub[FeedEvent]())
    limits: dict[str, Any] = {name: 0}

    with pytest.raises(ValueError, match="positive"):
        Fanout(feed, **limits)


# -- backlog, resume, filters ----------------------------------------------------------------


async def test_the_backlog_then_live_events_go_out_once_in_order(rig: Rig) -> None:
    rig.produce(7)
    subscriber, sink = rig.subscribe(after=0)
    await settle(rig)

    rig.produce(5)
    await settle(rig)

    assert sink.messages == [e.to_json() for e in rig.log.events]
    assert sink.controls() == []
    assert subscriber.position == 12
    assert rig.hub.subscribers == 1  # the dispatcher's only, however many subscribers


@pytest.mark.parametrize("after", [0, 1, 4, 7, 9])
async def test_a_subscriber_resumes_after_any_position(rig: Rig, after: int) -> None:
    rig.produce(7)
    _, sink = rig.subscribe(after=after)
    await settle(rig)

    rig.produce(5)
    await settle(rig)

    assert sink.positions() == list(range(after + 1, 13))


async def test_a_filter_picks_what_is_written_and_every_position_moves_the_cursor(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(high_water=10_000)
    for k in range(12):
        rig.produce(1, account=ACCOUNTS[k % 3], type=TYPES[k % 4])
    chosen = parse_filter(accounts="A1,A2", types="OrderAccepted,OrderFilled")
    subscriber, sink = rig.subscribe(chosen, after=0)
    everything, all_sink = rig.subscribe(after=0)
    await settle(rig)

    for k in range(12):
        rig.produce(1, account=ACCOUNTS[k % 3], type=TYPES[k % 4])
    await settle(rig)

    assert sink.positions() == [e.position for e in rig.entitled(chosen, 0)]
    assert sink.positions() == [2, 4, 8, 10, 14, 16, 20, 22]
    assert subscriber.position == everything.position == 24  # 24 itself is not taken
    assert all_sink.positions() == list(range(1, 25))


# -- live anomalies: duplicates, reordering, gaps ------------------------------------------


async def test_duplicate_live_events_are_dropped(rig: Rig) -> None:
    first = rig.produce(3)
    _, sink = rig.subscribe(after=0)
    await settle(rig)

    rig.publish(first)  # the whole batch again
    more = rig.append(2)
    rig.publish([more[0], more[0], more[1], more[1]])
    await settle(rig)
    await rig.dispatched()

    assert sink.positions() == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("order", "label"),
    [
        ([0, 2, 1, 3], "reordered, first and last in place"),
        ([0, 1, 1, 3], "a duplicate hiding a gap"),
        ([1, 0, 2, 3], "reordered at the front"),
        ([0, 3], "a gap"),
    ],
)
async def test_a_live_batch_out_of_order_is_delivered_in_log_order(
    rigs: Callable[..., Awaitable[Rig]], order: list[int], label: str
) -> None:
    rig = await rigs(high_water=10_000)
    rig.produce(2)
    takes_all, all_sink = rig.subscribe(after=0)
    narrow, narrow_sink = rig.subscribe(parse_filter(accounts="A1,A2"), after=0)
    await settle(rig)

    events = rig.append(4)
    rig.publish([events[k] for k in order])  # one batch for the dispatcher
    await rig.dispatched()
    await settle(rig)

    assert all_sink.positions() == [1, 2, 3, 4, 5, 6], label
    assert narrow_sink.positions() == [1, 2, 3, 4, 5, 6], label
    assert all_sink.controls() == narrow_sink.controls() == []  # a gap is no news
    assert takes_all.position == narrow.position == 6


async def test_a_gap_in_the_live_stream_is_refilled_from_the_log(rig: Rig) -> None:
    rig.produce(2)
    _, sink = rig.subscribe(after=0)
    await settle(rig)

    missed = rig.append(3)
    rig.publish(missed[-1:])  # the follower restarted: 3 and 4 never came live
    await settle(rig)

    assert sink.positions() == [1, 2, 3, 4, 5]
    assert sink.controls() == []


async def test_positions_the_log_never_held_are_not_waited_for(rig: Rig) -> None:
    rig.produce(2)
    _, sink = rig.subscribe(after=0)
    await settle(rig)

    rig.produce(1, skip=3)  # the log's next position is 6: 3 to 5 do not exist
    rig.produce(2)
    await settle(rig)

    assert sink.positions() == [1, 2, 6, 7, 8]


# -- slow subscribers ------------------------------------------------------------------------


async def test_a_slow_subscriber_catches_up_from_the_log_once_its_socket_drains(
    rig: Rig,
) -> None:
    rig.produce(3)
    slow, sink = rig.subscribe(after=0)
    fast, fast_sink = rig.subscribe(after=0)
    await settle(rig)

    sink.stall()  # the client stops reading
    rig.produce(2)  # still written: the buffer was empty
    await until(lambda: slow.position == 5, "the slow subscriber took 4 and 5")
    rig.produce(2)  # now above the high-water mark
    await until(lambda: sink.controls() == [("catching_up", 5)], "told it is catching up")
    await until(lambda: sink.waiting, "its catch-up waits on its socket")
    rig.produce(3)  # they wait in the log
    await until(lambda: fast.position == 10, "the fast subscriber is not held up")
    stalled = sink.positions()

    assert sink.controls() == [("catching_up", 5)]  # not live while its socket is full
    assert slow not in rig.fanout.live
    assert stalled == [1, 2, 3, 4, 5, 6, 7]  # the catch-up wrote one read, then waited

    sink.resume()
    await settle(rig)
    rig.produce(2)
    await settle(rig)

    assert sink.positions() == fast_sink.positions() == list(range(1, 13))
    assert sink.controls() == [("catching_up", 5), ("live", 10)]
    assert fast_sink.controls() == []
    assert rig.subscribers[0][2].catch_ups == 1
    assert rig.metrics.registry.get_sample_value("ordergate_feed_catch_ups_total") == 1


async def test_a_filtered_slow_subscribers_controls_carry_the_cursor(rig: Rig) -> None:
    rig.produce(2, account="A1")
    chosen = parse_filter(accounts="A1")
    slow, sink = rig.subscribe(chosen, after=0)
    await settle(rig)

    sink.stall()
    rig.produce(1, account="A1")
    rig.produce(1, account="A2")
    await until(lambda: slow.position == 4, "examined 3 and 4")
    rig.produce(2, account="A2")  # above the high-water mark: back to the log
    await until(lambda: sink.controls() == [("catching_up", 4)], "told it is catching up")
    sink.resume()
    await settle(rig)

    assert sink.positions() == [1, 2, 3]
    assert sink.controls() == [("catching_up", 4), ("live", 6)]  # 4 and 6 were not taken


# -- switch-over -----------------------------------------------------------------------------


def hold_switch_over(rig: Rig) -> tuple[asyncio.Event, asyncio.Event]:
    """Hold the first log read made by a subscriber in the live set (its switch-over)."""
    held, release = asyncio.Event(), asyncio.Event()

    async def hook(_: int) -> None:
        if rig.fanout.live and not release.is_set():
            held.set()
            await release.wait()

    rig.log.hook = hook
    return held, release


async def test_events_offered_during_the_switch_over_are_delivered_once(rig: Rig) -> None:
    rig.produce(3)
    held, release = hold_switch_over(rig)
    subscriber, sink = rig.subscribe(after=0)
    await until(held.is_set, "the switch-over read is under way")

    rig.produce(3)  # offered while the read is out: kept aside, not yet written
    await rig.dispatched()
    written = sink.positions()
    release.set()
    await settle(rig)
    rig.produce(1)
    await settle(rig)

    assert written == [1, 2, 3]
    assert sink.positions() == [1, 2, 3, 4, 5, 6, 7]
    assert sink.controls() == []
    assert subscriber.position == 7


async def test_events_offered_during_the_switch_over_beyond_the_buffer_are_read_again(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(buffer=2)
    rig.produce(3)
    held, release = hold_switch_over(rig)
    _, sink = rig.subscribe(after=0)
    await until(held.is_set, "the switch-over read is under way")
    reads = rig.log.reads

    for _ in range(4):
        rig.produce(1)  # four batches: more than the buffer of two
        await rig.dispatched()
    release.set()
    await settle(rig)

    assert sink.positions() == [1, 2, 3, 4, 5, 6, 7]
    assert sink.controls() == []  # it never left the log
    assert rig.log.reads > reads + 1  # what overflowed was read from the log


async def test_the_dispatcher_overflowing_during_a_switch_over_sends_it_back_to_the_log(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(hub_buffer=2)
    rig.produce(3)
    held, release = hold_switch_over(rig)
    subscriber, sink = rig.subscribe(after=0)
    await until(held.is_set, "the switch-over read is under way")

    rig.produce(5)  # without yielding: more than the dispatcher's queue, which is cut off
    assert rig.hub.subscribers == 0
    await until(lambda: rig.hub.subscribers == 1, "the dispatcher follows the hub again")
    release.set()
    await settle(rig)
    rig.produce(1)
    await settle(rig)

    assert sink.positions() == list(range(1, 10))
    assert sink.controls() == []  # it was still reading the log: nothing to announce
    assert subscriber.position == 9


async def test_a_connection_closed_during_the_switch_over_stops_the_subscriber(rig: Rig) -> None:
    rig.produce(3)
    held, release = hold_switch_over(rig)
    subscriber, sink = rig.subscribe(after=0)
    await until(held.is_set, "the switch-over read is under way")

    sink.open = False
    release.set()
    await until(lambda: subscriber.closed, "the subscriber stopped")
    rig.produce(2)
    await rig.dispatched()

    assert subscriber not in rig.fanout.live
    assert subscriber not in rig.fanout.subscribers
    assert sink.positions() == [1, 2, 3]
    assert sink.dropped == 0


# -- the dispatcher --------------------------------------------------------------------------


async def test_when_the_dispatcher_overflows_every_live_subscriber_catches_up(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(hub_buffer=2, high_water=10_000)
    rig.produce(2)
    sinks = [rig.subscribe(after=0)[1] for _ in range(2)]
    chosen = parse_filter(accounts="A2")
    _, narrow = rig.subscribe(chosen, after=0)
    await settle(rig)

    for k in range(8):  # without yielding: more than the dispatcher's queue
        rig.produce(1, account=ACCOUNTS[k % 3])
    await settle(rig)
    rig.produce(2, account="A2")
    await settle(rig)

    for sink in sinks:
        assert sink.positions() == list(range(1, 13))
        assert sink.controls() == [("catching_up", 4), ("live", 10)]
    assert narrow.positions() == [e.position for e in rig.entitled(chosen, 0)]
    assert narrow.controls() == [("catching_up", 4), ("live", 10)]
    assert rig.hub.subscribers == 1  # it follows the hub again


async def test_closing_the_hub_ends_every_subscriber_after_what_was_queued(rig: Rig) -> None:
    rig.produce(2)
    live, sink = rig.subscribe(after=0)
    behind, behind_sink = rig.subscribe(after=0)
    await settle(rig)
    behind_sink.stall()
    rig.produce(1)
    await rig.dispatched()
    rig.produce(4)  # more than its high-water mark: it is waiting on its socket
    await until(lambda: behind_sink.waiting, "one subscriber is catching up")

    rig.produce(2)
    rig.hub.close()
    async with asyncio.timeout(WAIT):
        assert rig.dispatcher is not None
        await rig.dispatcher
        await behind.wait()

    assert sink.positions() == list(range(1, 10))
    assert live.closed
    assert behind.closed
    assert sink.ended
    assert behind_sink.ended
    assert rig.fanout.subscribers == set()
    assert rig.fanout.live == set()


async def test_a_subscriber_added_once_the_hub_closed_is_ended(rig: Rig) -> None:
    rig.produce(2)
    rig.hub.close()
    assert rig.dispatcher is not None
    async with asyncio.timeout(WAIT):
        await rig.dispatcher

    subscriber, sink = rig.subscribe(after=0)
    await until(lambda: sink.ended, "the latecomer's connection is ended")

    assert subscriber.closed
    assert subscriber not in rig.fanout.subscribers


async def test_a_subscriber_added_before_the_dispatcher_first_runs_misses_nothing(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(start=False)
    rig.produce(2)
    subscriber, sink = rig.subscribe(after=0)
    await until(lambda: subscriber in rig.fanout.live, "the subscriber reached the live set")

    rig.produce(1)  # before the dispatcher's first step
    rig.start()
    await until(lambda: subscriber.position == 3, "the subscriber got position 3")

    assert sink.positions() == [1, 2, 3]


# -- failures and leaving --------------------------------------------------------------------


async def test_a_log_read_that_fails_fails_the_connection_and_closes_the_subscriber(
    rig: Rig,
) -> None:
    rig.produce(2)
    rig.log.error = StreamTooShortError(0, 5)

    subscriber, sink = rig.subscribe(after=0)
    await until(lambda: sink.failed is not None, "the connection was failed")
    await subscriber.wait()

    assert sink.failed == str(StreamTooShortError(0, 5))
    assert subscriber.closed
    assert subscriber not in rig.fanout.live
    assert subscriber not in rig.fanout.subscribers
    assert sink.positions() == []


async def test_a_log_read_that_fails_while_catching_up_fails_the_connection(rig: Rig) -> None:
    rig.produce(2)
    subscriber, sink = rig.subscribe(after=0)
    await settle(rig)

    rig.log.error = StreamTooShortError(2, 9)
    sink.stall()
    rig.produce(1)
    await rig.dispatched()
    rig.produce(1)  # above the high-water mark: it reads the log, which fails
    await until(lambda: sink.failed is not None, "the connection was failed")
    rig.produce(1)
    await rig.dispatched()

    assert subscriber.closed
    assert subscriber not in rig.fanout.subscribers
    assert sink.positions() == [1, 2, 3]
    assert sink.controls() == [("catching_up", 3)]


async def test_removing_a_subscriber_in_catch_up_stops_it(rig: Rig) -> None:
    rig.produce(10)
    subscriber, sink = rig.subscribe(after=0)
    sink.stall()
    await until(lambda: sink.waiting, "the catch-up waits on the socket")

    rig.fanout.remove(subscriber)
    rig.fanout.remove(subscriber)  # idempotent
    async with asyncio.timeout(WAIT):
        await subscriber.wait()
    sink.resume()
    rig.produce(3)
    await rig.dispatched()

    assert subscriber.closed
    assert subscriber not in rig.fanout.live
    assert sink.positions() == [1, 2, 3]
    assert rig.log.reads == 1


async def test_a_catch_up_stops_once_its_connection_is_closed(rig: Rig) -> None:
    rig.produce(30)
    subscriber, sink = rig.subscribe(after=0)
    sink.stall()
    await until(lambda: sink.waiting, "the catch-up waits on the socket")

    sink.open = False  # the client went away
    sink.resume()
    await until(lambda: subscriber.closed, "the subscriber stopped")

    assert rig.log.reads == 1  # not the rest of the log for nobody
    assert subscriber not in rig.fanout.subscribers


async def test_cancelling_a_wait_on_a_subscriber_cancels_the_waiter(rig: Rig) -> None:
    rig.produce(10)
    subscriber, sink = rig.subscribe(after=0)
    sink.stall()
    await until(lambda: sink.waiting, "the catch-up waits on the socket")

    waiter = asyncio.ensure_future(subscriber.wait())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.wait({waiter}, timeout=WAIT)  # bounded: a waiter that ignores it stays

    assert waiter.cancelled()

    assert not subscriber.closed  # only the waiter was
    sink.resume()
    await settle(rig)
    assert sink.positions() == list(range(1, 11))


async def test_deliveries_are_counted_once_per_event_written(rig: Rig) -> None:
    rig.produce(4)
    a, sink_a = rig.subscribe(after=0)
    b, sink_b = rig.subscribe(parse_filter(accounts="A2"), after=2)
    await settle(rig)
    rig.produce(3)
    rig.produce(2, account="A2")
    await settle(rig)

    written = len(sink_a.positions()) + len(sink_b.positions())
    assert written == 9 + 2
    assert rig.deliveries() == written
    stats = {s: st for s, _, st in rig.subscribers}
    assert stats[a].delivered == 9
    assert stats[a].position == 9
    assert stats[b].delivered == 2
    assert stats[b].position == 9


# -- the property ----------------------------------------------------------------------------


def random_filter(rng: random.Random) -> FeedFilter:
    kwargs: dict[str, str] = {}
    if rng.random() < 0.5:
        kwargs["accounts"] = ",".join(rng.sample(ACCOUNTS, rng.randint(1, 2)))
    if rng.random() < 0.3:
        kwargs["types"] = ",".join(rng.sample(TYPES, rng.randint(1, 3)))
    return parse_filter(**kwargs)


class Client:
    """Connects, stalls, resumes and reconnects from the last position it received."""

    def __init__(self, rig: Rig, rng: random.Random, start: int) -> None:
        self.rig = rig
        self.rng = rng
        self.filter = random_filter(rng)
        self.start = start
        self.sessions: list[MemorySink] = []
        self.subscriber: PushSubscriber | None = None
        self.stats: SubscriberStats | None = None

    def connect(self) -> None:
        messages = [m for sink in self.sessions for m in sink.messages]
        after = self.start
        if messages:
            last = messages[-1]
            events = event_positions(messages)
            # Resume like a client that keeps control positions too, or only events'.
            if last.get("type") == "control" and self.rng.random() < 0.5:
                after = last["position"]
            elif events:
                after = events[-1]
        self.subscriber, sink = self.rig.subscribe(self.filter, after)
        self.stats = self.rig.subscribers[-1][2]
        self.sessions.append(sink)

    def disconnect(self) -> None:
        if self.subscriber is not None and self.stats is not None:
            self.sessions[-1].resume()
            self.rig.fanout.remove(self.subscriber)
            self.rig.metrics.disconnect(self.stats)
            self.subscriber = None

    @property
    def sink(self) -> MemorySink:
        return self.sessions[-1]

    def check(self) -> None:
        expected = [e.to_json() for e in self.rig.entitled(self.filter, self.start)]
        got = [m for sink in self.sessions for m in sink.messages if m.get("type") != "control"]
        assert [m["position"] for m in got] == [m["position"] for m in expected]
        assert got == expected
        for sink in self.sessions:
            reached = -1
            kinds = []
            for message in sink.messages:
                if message.get("type") == "control":
                    assert message["position"] >= reached
                    kinds.append(message["control"])
                else:
                    assert message["position"] > reached
                reached = message["position"]
            assert kinds == ["catching_up", "live"] * (len(kinds) // 2) + (
                ["catching_up"] if len(kinds) % 2 else []
            )


@pytest.mark.parametrize("seed", [3, 17, 101, 2026, 4242])
async def test_random_subscribers_each_hold_exactly_their_events_once_in_order(
    rigs: Callable[..., Awaitable[Rig]], seed: int
) -> None:
    rng = random.Random(seed)
    rig = await rigs(
        batch=rng.choice([1, 2, 5, 50]),
        buffer=rng.choice([1, 3, 100]),
        high_water=rng.choice([1, 400, 5000]),
        hub_buffer=rng.choice([2, 8, 1000]),
        fanout_batch=rng.choice([1, 4, 256]),
    )

    delays = random.Random(seed + 1)  # the script above stays the seed's, whatever the reads

    async def hook(_: int) -> None:  # reads take their time: windows open at random
        for _ in range(delays.choice([0, 0, 1, 3])):
            await asyncio.sleep(0)

    rig.log.hook = hook
    for _ in range(rng.randint(0, 15)):
        rig.produce(1, account=rng.choice(ACCOUNTS), type=rng.choice(TYPES))
    clients: list[Client] = []

    async with asyncio.timeout(30):
        for _ in range(400):
            roll = rng.random()
            connected = [c for c in clients if c.subscriber is not None]
            if roll < 0.4:
                events = [
                    feed_event(0, rng.choice(ACCOUNTS), rng.choice(TYPES))
                    for _ in range(rng.randint(1, 5))
                ]
                appended = []
                for e in events:
                    skip = 2 if rng.random() < 0.05 else 0  # a position the log never held
                    appended += rig.append(1, skip=skip, account=e.account, type=e.type)
                published = list(appended)
                if rng.random() < 0.15:
                    rng.shuffle(published)  # concurrent commits
                if rng.random() < 0.1:
                    published += rng.sample(published, 1)  # a duplicate
                if rng.random() < 0.1:
                    published.pop(rng.randrange(len(published)))  # never came live
                rig.publish(published)
            elif roll < 0.5 or not connected:
                client = Client(rig, random.Random(rng.random()), 0)
                client.start = rng.randint(0, await rig.log.head() + 2)
                client.connect()
                clients.append(client)
            elif roll < 0.65:
                rng.choice(connected).sink.stall()
            elif roll < 0.8:
                rng.choice(connected).sink.resume()
            elif roll < 0.87:
                rng.choice(connected).disconnect()
            elif roll < 0.92:
                choice = rng.choice([c for c in clients if c.subscriber is None] or clients)
                if choice.subscriber is None:
                    choice.connect()
            for _ in range(rng.choice([0, 1, 1, 2, 5])):
                await asyncio.sleep(0)
        for client in clients:
            if client.subscriber is None:
                client.connect()  # it resumes where it left off
            client.sink.resume()
        # A live event that never came is noticed at the next one (as with the pull
        # subscription): one last event, published, reveals any gap left at the end.
        rig.produce(1)
        await settle(rig)

    for client in clients:
        client.check()
    assert sum(len(sink.positions()) for c in clients for sink in c.sessions) == (
        rig.deliveries() or 0
    )
    assert rig.hub.subscribers == 1
    assert len(clients) > 3
