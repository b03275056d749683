"""The NATS JetStream backbone: publisher (the log is the outbox) and feed gateways.

Against a real OMS on SQLite and a throwaway nats-server; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StorageType

from ordergate.feed import Control, Feed, FeedEvent, FeedFilter, parse_filter
from ordergate.feed.gateway import FeedGateway
from ordergate.feed.jetstream import JetStreamLog, StreamTooShortError
from ordergate.feed.publisher import JetStreamPublisher
from ordergate.feed.source import FeedStream
from ordergate.feed.stream import (
    MISSING_SUBJECT_VALUE,
    POSITION_HEADER,
    STREAM_NAME,
    decode_feed_event,
    encode_feed_event,
    event_subject,
    filter_subject,
    subject_token,
)
from ordergate.oms.service import OrderManager
from tests.feed.conftest import order
from tests.oms.scripted_venue import ScriptedVenue
from tests.servers import NatsServer

# -- subjects (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("ACC1", "ACC1"),
        ("eur-usd", "eur-usd"),
        ("BRK.B", "BRK_2EB"),
        ("a*b>c", "a_2Ab_3Ec"),
        ("two words", "two_20words"),
        ("EUR/USD", "EUR_2FUSD"),
        ("_", "_5F"),
        ("é", "_C3_A9"),
        (None, MISSING_SUBJECT_VALUE),
        ("", MISSING_SUBJECT_VALUE),
    ],
)
def test_subject_token_escapes_everything_but_letters_digits_and_dash(
    value: str | None, token: str
) -> None:
    assert subject_token(value) == token


def test_subject_tokens_of_different_values_differ_and_never_equal_the_missing_token() -> None:
    values = ["_", "__", "_5F", "A.B", "A_2EB", "a b", "a_20b", "x", "X", "-", ".", "*", ">"]

    tokens = [subject_token(v) for v in values]

    assert len(set(tokens)) == len(values)
    assert MISSING_SUBJECT_VALUE not in tokens
    assert all(t and not set(t) & set(".*> \t") for t in tokens)


def test_filter_subject_names_single_values_and_wildcards_the_rest() -> None:
    assert filter_subject(FeedFilter()) == "og.events.*.*.*"
    assert filter_subject(parse_filter(accounts="A.1", types="OrderFilled")) == (
        "og.events.A_2E1.*.OrderFilled"
    )
    assert filter_subject(parse_filter(accounts="A,B", symbols="AAPL")) == "og.events.*.AAPL.*"


# -- helpers ---------------------------------------------------------------------------------

_ids = itertools.count()


async def place(oms: OrderManager, venue: ScriptedVenue, n: int, account: str = "ACC1") -> None:
    """Submit and acknowledge ``n`` orders: 2 events each."""
    for _ in range(n):
        placed = await oms.submit(order(f"c{next(_ids)}", account))
        await oms.handle_report(venue.ack(placed.order.id))


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(1000):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def stream_contents(js: JetStreamContext) -> list[tuple[int, str]]:
    """Return (Og-Position, subject) of every message in the stream, in sequence order."""
    info = await js.stream_info(STREAM_NAME)
    contents = []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(STREAM_NAME, sequence)
        assert message.headers is not None
        assert message.subject is not None
        contents.append((int(message.headers[POSITION_HEADER]), message.subject))
    return contents


async def take(subscription: FeedStream, n: int) -> list[FeedEvent]:
    """Return the next ``n`` events (control messages are left out)."""
    events: list[FeedEvent] = []
    async with asyncio.timeout(10):
        while len(events) < n:
            item = await anext(subscription)
            if not isinstance(item, Control):
                events.append(item)
    return events


@contextlib.asynccontextmanager
async def gateway_on(server: NatsServer, **kwargs):  # type: ignore[no-untyped-def]
    gateway = FeedGateway(server.url(), **kwargs)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@contextlib.asynccontextmanager
async def running(publisher: JetStreamPublisher):  # type: ignore[no-untyped-def]
    task = asyncio.ensure_future(publisher.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def caught_up(publisher: JetStreamPublisher) -> None:
    head = await publisher.feed.head()

    async def done() -> bool:
        return publisher.position >= head

    await eventually(done, f"publisher reaches position {head}")


# -- publisher -------------------------------------------------------------------------------


async def test_the_stream_holds_every_event_once_in_position_order(
    oms: OrderManager, venue: ScriptedVenue, nats_connection: NATS
) -> None:
    js = nats_connection.jetstream()
    await place(oms, venue, 5)  # a backlog of 10 events
    feed = Feed(oms.store, oms.hub)
    publisher = JetStreamPublisher(feed, js, poll_interval=60.0)  # only the hub wakes it

    async with running(publisher):
        await caught_up(publisher)
        await place(oms, venue, 5)  # followed live: the hub wakes the publisher up
        await caught_up(publisher)

    contents = await stream_contents(js)
    assert [p for p, _ in contents] == list(range(1, 21))
    assert contents[0][1] == "og.events.ACC1.AAPL.OrderSubmitted"
    assert contents[1][1] == "og.events.ACC1.AAPL.OrderAccepted"
    stored = await oms.store.read_all(1, 100)
    first = await js.get_msg(STREAM_NAME, 1)
    assert first.data is not None
    assert decode_feed_event(first.data) == await Feed(oms.store, oms.hub).from_record(stored[0])
    info = await js.stream_info(STREAM_NAME)
    assert info.config.storage == StorageType.FILE
    assert info.config.duplicate_window == 120.0
    assert (publisher.published, publisher.duplicates) == (20, 0)


async def test_a_cancelled_publisher_is_resumed_from_the_stream_with_nothing_lost_or_twice(
    oms: OrderManager, venue: ScriptedVenue, nats_connection: NATS
) -> None:
    js = nats_connection.jetstream()
    await place(oms, venue, 10)
    first = JetStreamPublisher(Feed(oms.store, oms.hub), js, batch=1)

    async def some_published() -> bool:
        return first.position >= 5

    async with running(first):
        await eventually(some_published, "the first publisher publishes 5 events")
    stopped_at = (await stream_contents(js))[-1][0]

    second = JetStreamPublisher(Feed(oms.store, oms.hub), js, batch=3)
    await second.start()
    resumed_at = second.position
    async with running(second):
        await caught_up(second)
        await place(oms, venue, 2)
        await caught_up(second)

    assert resumed_at == stopped_at
    assert [p for p, _ in await stream_contents(js)] == list(range(1, 25))
    assert second.duplicates == 0
    assert second.published == 24 - stopped_at


async def test_a_publisher_that_republishes_after_a_crash_stores_nothing_twice(
    oms: OrderManager, venue: ScriptedVenue, nats_connection: NATS
) -> None:
    # A crash between publishing and knowing it was published: the next publisher read the
    # stream while 5..10 were in flight, so it starts from 4 and publishes them again.
    js = nats_connection.jetstream()
    await place(oms, venue, 5)
    crashed = JetStreamPublisher(Feed(oms.store, oms.hub), js)
    await crashed.start()
    await crashed.publish_pending()
    restarted = JetStreamPublisher(Feed(oms.store, oms.hub), js)
    await restarted.start()
    assert restarted.position == 10
    restarted.position = 4

    await restarted.publish_pending()

    assert [p for p, _ in await stream_contents(js)] == list(range(1, 11))
    assert (restarted.published, restarted.duplicates) == (0, 6)


async def test_two_publishers_racing_on_one_stream_keep_it_once_and_in_order(
    oms: OrderManager, venue: ScriptedVenue, nats_connection: NATS, nats_server: NatsServer
) -> None:
    other = await nats.connect(nats_server.url(), allow_reconnect=False)
    try:
        await place(oms, venue, 10)
        one = JetStreamPublisher(Feed(oms.store, oms.hub), nats_connection.jetstream(), batch=1)
        two = JetStreamPublisher(Feed(oms.store, oms.hub), other.jetstream(), batch=2)
        async with running(one), running(two):
            await caught_up(one)
            await caught_up(two)
            await place(oms, venue, 3)
            await caught_up(one)
            await caught_up(two)
    finally:
        await other.drain()

    assert [p for p, _ in await stream_contents(nats_connection.jetstream())] == list(range(1, 27))
    assert one.published + two.published == 26  # each position stored by exactly one


# -- gateway readers -------------------------------------------------------------------------


async def test_two_gateways_with_different_filters_and_resume_points_get_exactly_theirs(
    oms: OrderManager, venue: ScriptedVenue, nats_connection: NATS, nats_server: NatsServer
) -> None:
    feed = Feed(oms.store, oms.hub)
    publisher = JetStreamPublisher(feed, nats_connection.jetstream())
    for n in range(6):
        await place(oms, venue, 1, account="ACC1" if n % 2 else "ACC.2")
    by_account = parse_filter(accounts="ACC.2")
    accepted = parse_filter(types="OrderAccepted")
    async with running(publisher), gateway_on(nats_server) as g1, gateway_on(nats_server) as g2:
        await caught_up(publisher)  # the stream exists
        one = g1.feed.subscribe(by_account, 0)
        two = g2.feed.subscribe(accepted, after=5)
        async with one, two:
            backlog_one, backlog_two = await take(one, 6), await take(two, 4)
            for n in range(4):
                await place(oms, venue, 1, account="ACC1" if n % 2 else "ACC.2")
            live_one, live_two = await take(one, 4), await take(two, 4)

    expected_one = (await feed.read(by_account, 0, 1000)).items
    expected_two = (await feed.read(accepted, 5, 1000)).items
    assert backlog_one + live_one == expected_one
    assert backlog_two + live_two == expected_two
    assert {e.account for e in expected_one} == {"ACC.2"}
    assert [e.position for e in expected_two] == [6, 8, 10, 12, 14, 16, 18, 20]


@pytest.mark.parametrize("after", [0, 1, 7, 11, 12])
async def test_a_gateway_subscriber_resuming_from_a_position_gets_exactly_the_events_after_it(
    oms: OrderManager,
    venue: ScriptedVenue,
    nats_connection: NATS,
    nats_server: NatsServer,
    after: int,
) -> None:
    js = nats_connection.jetstream()
    await place(oms, venue, 6)
    publisher = JetStreamPublisher(Feed(oms.store, oms.hub), js)
    await publisher.start()
    await publisher.publish_pending()

    async with gateway_on(nats_server, buffer=4) as gateway:
        subscription = gateway.feed.subscribe(FeedFilter(), after)
        async with subscription:
            backlog = await take(subscription, 12 - after)
            await place(oms, venue, 1)
            await publisher.publish_pending()
            live = await take(subscription, 2)

    assert [e.position for e in backlog + live] == list(range(after + 1, 15))
    assert subscription.position == 14


async def test_a_gateway_is_told_when_the_stream_no_longer_holds_what_it_asks_for(
    oms: OrderManager, venue: ScriptedVenue, nats_connection: NATS
) -> None:
    js = nats_connection.jetstream()
    await place(oms, venue, 3)
    publisher = JetStreamPublisher(Feed(oms.store, oms.hub), js)
    await publisher.start()
    await publisher.publish_pending()
    for sequence in (1, 2, 3):  # aged out by the stream's limits
        await js.delete_msg(STREAM_NAME, sequence)
    log = JetStreamLog(js)

    with pytest.raises(StreamTooShortError) as raised:
        await log.read(1, 10)

    assert (raised.value.after, raised.value.first_position) == (1, 4)
    assert await log.start_sequence(3) == (4, 6)
    assert await log.start_sequence(6) == (7, 6)
    assert [e.position for e in await log.read(3, 10)] == [4, 5, 6]
    assert await log.read(6, 10) == []
    assert await log.head() == 6


def test_payload_round_trips_through_json() -> None:
    event = FeedEvent(
        position=3,
        type="OrderFilled",
        order_id="o1",
        account="A",
        portfolio=None,
        strategy="s",
        symbol="AAPL",
        venue="SIM",
        ts_event=5,
        body={"quantity": "1.5"},
    )

    assert decode_feed_event(encode_feed_event(event)) == event
    assert event_subject(event) == "og.events.A.AAPL.OrderFilled"


async def test_publishers_killed_while_orders_arrive_leave_every_event_once_for_a_live_reader(
    oms: OrderManager, venue: ScriptedVenue, nats_connection: NATS, nats_server: NatsServer
) -> None:
    js = nats_connection.jetstream()
    producer = asyncio.ensure_future(place(oms, venue, 40))  # 80 events, appended throughout
    try:
        for kill_at in (10, 30, 50):  # kill a publisher, start the next one on the same stream
            publisher = JetStreamPublisher(Feed(oms.store, oms.hub), js, batch=4)

            async def far_enough(p: JetStreamPublisher = publisher, at: int = kill_at) -> bool:
                return p.position >= at

            async with running(publisher):
                await eventually(far_enough, f"a publisher reaches position {kill_at}")
        async with (
            gateway_on(nats_server) as gateway,
            gateway.feed.subscribe(FeedFilter(), after=0) as subscription,
        ):
            last = JetStreamPublisher(Feed(oms.store, oms.hub), js, batch=4)
            async with running(last):
                await producer
                got = await take(subscription, 80)
                await caught_up(last)
    finally:
        producer.cancel()

    assert [e.position for e in got] == list(range(1, 81))
    assert [p for p, _ in await stream_contents(js)] == list(range(1, 81))
