"""The gRPC feed service: a real grpc.aio server on a loopback port, a real client channel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest

from ordergate.domain.commands import CancelOrder
from ordergate.domain.events import OrderPendingCancel, OrderSubmitted
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.eventstore import EventRecorder
from ordergate.feed import Control, Feed, FeedEvent, FeedFilter
from ordergate.feed.access import AccessDenied, Principal
from ordergate.feed.grpc import feed_pb2, feed_pb2_grpc
from ordergate.feed.grpc.generate import GENERATED, PROTO, main
from ordergate.feed.grpc.messages import feed_message, from_feed_message
from ordergate.feed.grpc.server import (
    AFTER_POSITION_METADATA,
    Authenticate,
    GrpcFeedServer,
    start_grpc_server,
)
from ordergate.oms.codec import encode_event
from ordergate.oms.service import OrderManager
from tests.feed.conftest import order
from tests.oms.scripted_venue import ScriptedVenue

Item = FeedEvent | Control
Metadata = Sequence[tuple[str, str]]
Call = grpc.aio.UnaryStreamCall[feed_pb2.SubscribeRequest, feed_pb2.FeedMessage]

PRINCIPALS = {
    "ops-token": Principal(name="ops", accounts=None),
    "desk1-token": Principal(name="desk-1", accounts=frozenset({"ACC1"})),
}
OPS: Metadata = (("authorization", "Bearer ops-token"),)
DESK1: Metadata = (("authorization", "Bearer desk1-token"),)


async def authenticate(token: str | None) -> Principal:
    if token is None:
        raise AccessDenied(401, "a bearer token is required")
    principal = PRINCIPALS.get(token)
    if principal is None:
        raise AccessDenied(401, "unknown token")
    return principal


@asynccontextmanager
async def serving(
    feed: Feed, check: Authenticate = authenticate
) -> AsyncIterator[tuple[GrpcFeedServer, feed_pb2_grpc.FeedAsyncStub]]:
    server = await start_grpc_server(feed, check, "127.0.0.1", 0)
    try:
        async with grpc.aio.insecure_channel(server.target) as channel:
            yield server, feed_pb2_grpc.FeedStub(channel)
    finally:
        await server.stop(None)


@pytest.fixture
async def stub(oms: OrderManager) -> AsyncIterator[feed_pb2_grpc.FeedAsyncStub]:
    async with serving(Feed(oms.store, oms.hub)) as (_, client):
        yield client


@asynccontextmanager
async def subscribed(
    stub: feed_pb2_grpc.FeedAsyncStub, metadata: Metadata = OPS, **request: Any
) -> AsyncIterator[Call]:
    call = stub.Subscribe(feed_pb2.SubscribeRequest(**request), metadata=metadata)
    try:
        yield call
    finally:
        call.cancel()


async def take(call: Call, n: int) -> list[Item]:
    items: list[Item] = []
    async with asyncio.timeout(10):
        for _ in range(n):
            message = await call.read()
            assert isinstance(message, feed_pb2.FeedMessage), "the stream ended"
            items.append(from_feed_message(message))
    return items


async def take_until(call: Call, done: Callable[[list[Item]], bool]) -> list[Item]:
    items: list[Item] = []
    while not done(items):
        items += await take(call, 1)
    return items


async def after_position(call: Call) -> int:
    async with asyncio.timeout(10):
        metadata = await call.initial_metadata()
    return int(str(metadata[AFTER_POSITION_METADATA]))


async def eventually(condition: Callable[[], bool], what: str) -> None:
    # The server's side of a call runs on its own schedule: wait (bounded) for its effect.
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.005)
    assert condition(), what


def positions(items: list[Item]) -> list[int]:
    return [i.position for i in items if isinstance(i, FeedEvent)]


async def place(oms: OrderManager, venue: ScriptedVenue, n: int, account: str = "ACC1") -> None:
    """Place ``n`` orders, each acknowledged: 2 events per order."""
    for _ in range(n):
        placed = await oms.submit(order(f"c{len(oms.projections.orders)}", account))
        await oms.handle_report(venue.ack(placed.order.id))


def submitted(order_id: str, account: str = "ACC1") -> OrderSubmitted:
    return OrderSubmitted(
        event_id=f"e-{order_id}", order_id=order_id, version=1, ts_event=1, ts_init=1,
        client_order_id=order_id, account=account, portfolio=None, strategy=None,
        venue="SCRIPT", symbol="AAPL", side=Side.BUY, order_type=OrderType.LIMIT,
        quantity=Decimal("0.5"), price=Decimal("190.10"), stop_price=None,
        time_in_force=TimeInForce.GTC, expire_time=None, request_digest="d",
    )  # fmt: skip


# -- streaming -----------------------------------------------------------------------------


async def test_subscribe_streams_the_backlog_after_from_position_then_live_events(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2)  # 1..4

    async with subscribed(stub, from_position=1) as call:
        backlog = await take(call, 3)
        await place(oms, venue, 1)  # 5, 6
        live = await take(call, 2)

    assert positions(backlog) == [2, 3, 4]
    assert positions(live) == [5, 6]
    assert [i.type for i in live if isinstance(i, FeedEvent)] == ["OrderSubmitted", "OrderAccepted"]


async def test_no_gap_and_no_duplicate_while_events_are_appended_during_the_subscription(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue
) -> None:
    async with subscribed(stub, from_position=0) as call:
        producer = asyncio.ensure_future(place(oms, venue, 25))
        got = await take(call, 50)
        await producer

    assert positions(got) == list(range(1, 51))


async def test_subscribe_without_from_position_delivers_only_events_after_the_head(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 2)  # 1..4, before the subscription

    async with subscribed(stub) as call:
        started_after = await after_position(call)
        await place(oms, venue, 1)  # 5, 6
        got = await take(call, 2)

    assert started_after == 4
    assert positions(got) == [5, 6]


async def test_a_reconnecting_subscriber_resumes_exactly_after_the_last_position_it_saw(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 3)  # 1..6
    async with subscribed(stub, from_position=0) as call:
        first = await take(call, 4)
    await place(oms, venue, 1)  # 7, 8 while disconnected

    last_seen = positions(first)[-1]
    async with subscribed(stub, from_position=last_seen) as call:
        assert await after_position(call) == last_seen
        resumed = await take(call, 4)

    assert positions(first) == [1, 2, 3, 4]
    assert positions(resumed) == [5, 6, 7, 8]


async def test_filters_narrow_the_stream_across_backlog_and_live_events(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC1")  # 1, 2
    await place(oms, venue, 1, "ACC2")  # 3, 4

    async with subscribed(
        stub, from_position=0, accounts=["ACC2"], types=["OrderAccepted,OrderPendingCancel"]
    ) as call:
        backlog = await take(call, 1)
        await place(oms, venue, 1, "ACC1")  # 5, 6
        placed = await oms.submit(order("last", "ACC2"))  # 7
        await oms.cancel(CancelOrder(order_id=placed.order.id))  # 8
        live = await take(call, 1)

    assert [(i.position, i.type) for i in backlog + live if isinstance(i, FeedEvent)] == [
        (4, "OrderAccepted"),
        (8, "OrderPendingCancel"),
    ]


async def test_a_slow_subscriber_is_told_it_is_catching_up_and_then_that_it_is_live(
    oms: OrderManager, store: EventRecorder
) -> None:
    feed = Feed(oms.store, oms.hub, buffer=2)
    async with serving(feed) as (_, client), subscribed(client, from_position=0) as call:
        await eventually(lambda: oms.hub.subscribers == 1, "the subscription joined the hub")
        await oms.submit(order("c0"))  # 1
        got = await take(call, 1)  # the subscription now waits on its live queue
        burst = [submitted(f"O-{n}") for n in range(10)]
        stored = await store.append([encode_event(e) for e in burst])  # 2..11
        for position, event in zip(stored, burst, strict=True):
            oms.hub.publish(position, event)  # all at once: the buffer of 2 overflows
        got += await take_until(
            call, lambda items: bool(items) and items[-1] == Control(kind="live", position=11)
        )
        await oms.submit(order("c1"))  # 12, live again
        got += await take(call, 1)

    assert positions(got) == list(range(1, 13))
    controls = [i for i in got if isinstance(i, Control)]
    assert controls == [
        Control(kind="catching_up", position=3),  # 2 and 3 were queued before the overflow
        Control(kind="live", position=11),
    ]


async def test_stopping_the_server_ends_open_subscriptions_and_leaves_the_hub(
    oms: OrderManager,
) -> None:
    async with serving(Feed(oms.store, oms.hub)) as (server, client):
        call = client.Subscribe(feed_pb2.SubscribeRequest(), metadata=OPS)
        await after_position(call)
        await eventually(lambda: oms.hub.subscribers == 1, "the subscription joined the hub")
        await server.stop(None)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await take(call, 1)

    assert caught.value.code() in {grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE}
    await eventually(lambda: oms.hub.subscribers == 0, "the subscription left the hub")


# -- polling and the wire form of an event -------------------------------------------------


async def test_read_pages_through_the_log_like_the_feed(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue
) -> None:
    for n in range(4):
        await place(oms, venue, 1, "ACC1" if n % 2 else "ACC2")  # ACC1: 3, 4, 7, 8
    feed = Feed(oms.store, oms.hub)

    page = await stub.Read(feed_pb2.ReadRequest(accounts=["ACC1"], limit=3), metadata=OPS)
    rest = await stub.Read(
        feed_pb2.ReadRequest(accounts=["ACC1"], from_position=page.next_from), metadata=OPS
    )
    everything = await stub.Read(feed_pb2.ReadRequest(), metadata=OPS)
    head = await stub.Head(feed_pb2.HeadRequest(), metadata=OPS)

    assert [e.position for e in page.items] == [3, 4, 7]
    assert page.next_from == 7
    assert [e.position for e in rest.items] == [8]
    assert rest.next_from == 8
    expected = await feed.read(FeedFilter(), after=0, limit=100)
    assert [from_feed_message(feed_pb2.FeedMessage(event=e)) for e in everything.items] == (
        expected.items
    )
    assert everything.next_from == head.position == 8


async def test_an_event_carries_its_tags_and_its_body_as_json_with_exact_decimals(
    stub: feed_pb2_grpc.FeedAsyncStub, store: EventRecorder
) -> None:
    orphan = OrderPendingCancel(event_id="z1", order_id="O-Z", version=1, ts_event=7, ts_init=7)
    await store.append([encode_event(submitted("O-1", "ACC9")), encode_event(orphan)])

    page = await stub.Read(feed_pb2.ReadRequest(), metadata=OPS)

    first, second = page.items
    assert (first.position, first.type, first.order_id) == (1, "OrderSubmitted", "O-1")
    assert (first.account, first.symbol, first.venue) == ("ACC9", "AAPL", "SCRIPT")
    assert not first.HasField("portfolio")
    assert not first.HasField("strategy")
    body = json.loads(first.body_json)
    assert (body["quantity"], body["price"]) == ("0.5", "190.10")  # strings, never floats
    assert body["side"] == Side.BUY.value
    assert (second.type, second.ts_event) == ("OrderPendingCancel", 7)
    assert not any(second.HasField(f) for f in ("account", "symbol", "venue"))


def test_messages_round_trip_and_refuse_what_they_cannot_carry() -> None:
    event = FeedEvent(
        position=3, type="OrderFilled", order_id="O-1", account="A", portfolio=None,
        strategy="S", symbol="AAPL", venue="V", ts_event=5, body={"last_qty": "1.5"},
    )  # fmt: skip
    for item in (event, Control(kind="catching_up", position=2), Control(kind="live", position=9)):
        assert from_feed_message(feed_message(item)) == item

    with pytest.raises(ValueError, match="neither"):
        from_feed_message(feed_pb2.FeedMessage())
    with pytest.raises(ValueError, match="unknown control kind"):
        from_feed_message(feed_pb2.FeedMessage(control=feed_pb2.Control(position=1)))


# -- access control ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "details"),
    [
        ((), "a bearer token is required"),
        ((("authorization", "Bearer stolen"),), "unknown token"),
        ((("authorization", "Basic b3BzOm9wcw=="),), "a bearer token is required"),
        ((("authorization", "Bearer"),), "needs a token"),
        ((("authorization", "Bearer ops-token"), ("authorization", "Bearer x")), "one"),
    ],
)
async def test_missing_unknown_or_malformed_credentials_are_unauthenticated(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, metadata: Metadata, details: str
) -> None:
    async with subscribed(stub, metadata, from_position=0) as call:
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            await take(call, 1)
    with pytest.raises(grpc.aio.AioRpcError) as read:
        await stub.Read(feed_pb2.ReadRequest(), metadata=metadata)
    with pytest.raises(grpc.aio.AioRpcError) as head:
        await stub.Head(feed_pb2.HeadRequest(), metadata=metadata)

    for caught in (streamed, read, head):
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert details in (caught.value.details() or "")
    assert oms.hub.subscribers == 0


async def test_a_filter_naming_an_account_not_entitled_is_permission_denied(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue
) -> None:
    await place(oms, venue, 1, "ACC2")

    async with subscribed(stub, DESK1, from_position=0, accounts=["ACC1,ACC2"]) as call:
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            await take(call, 1)
    with pytest.raises(grpc.aio.AioRpcError) as read:
        await stub.Read(feed_pb2.ReadRequest(accounts=["ACC2"]), metadata=DESK1)

    for caught in (streamed, read):
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "'ACC2'" in (caught.value.details() or "")
    assert oms.hub.subscribers == 0


async def test_a_principal_limited_to_one_account_never_receives_another_accounts_events(
    stub: feed_pb2_grpc.FeedAsyncStub, oms: OrderManager, venue: ScriptedVenue, store: EventRecorder
) -> None:
    await place(oms, venue, 1, "ACC1")  # 1, 2
    await place(oms, venue, 1, "ACC2")  # 3, 4
    orphan = OrderPendingCancel(event_id="z1", order_id="O-Z", version=1, ts_event=1, ts_init=1)
    await store.append([encode_event(orphan)])  # 5: no account known

    async with subscribed(stub, DESK1, from_position=0) as call:
        backlog = await take(call, 2)
        await place(oms, venue, 1, "ACC2")  # 6, 7
        await place(oms, venue, 1, "ACC1")  # 8, 9
        live = await take(call, 2)
    page = await stub.Read(feed_pb2.ReadRequest(), metadata=DESK1)

    only_acc1 = [(1, "ACC1"), (2, "ACC1"), (8, "ACC1"), (9, "ACC1")]
    got = [i for i in backlog + live if isinstance(i, FeedEvent)]
    assert [(i.position, i.account) for i in got] == only_acc1
    assert [(e.position, e.account) for e in page.items] == only_acc1


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_fields", "details"),
    [
        ({"types": ["OrderFilled", "OrderVanished"]}, "unknown event type 'OrderVanished'"),
        ({"accounts": ["A,,B"]}, "account has an empty value"),
        ({"symbols": ["X" * 129]}, "at most 128 characters"),
        ({"from_position": 2**64 - 1}, "from_position must be at most"),
    ],
)
async def test_bad_filters_and_positions_are_invalid_arguments_and_change_nothing(
    stub: feed_pb2_grpc.FeedAsyncStub,
    oms: OrderManager,
    venue: ScriptedVenue,
    request_fields: dict[str, Any],
    details: str,
) -> None:
    await place(oms, venue, 1)

    async with subscribed(stub, **request_fields) as call:
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            await take(call, 1)
    with pytest.raises(grpc.aio.AioRpcError) as read:
        await stub.Read(feed_pb2.ReadRequest(**request_fields), metadata=OPS)

    for caught in (streamed, read):
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert details in (caught.value.details() or "")
    assert oms.hub.subscribers == 0
    assert (await stub.Head(feed_pb2.HeadRequest(), metadata=OPS)).position == 2
    assert len((await stub.Read(feed_pb2.ReadRequest(), metadata=OPS)).items) == 2


@pytest.mark.parametrize("limit", [0, 1001])
async def test_a_read_limit_out_of_range_is_an_invalid_argument(
    stub: feed_pb2_grpc.FeedAsyncStub, limit: int
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Read(feed_pb2.ReadRequest(limit=limit), metadata=OPS)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"limit must be 1 to 1000, not {limit}" == caught.value.details()


# -- the server and its generated code -----------------------------------------------------


async def test_a_port_in_use_is_refused(oms: OrderManager) -> None:
    feed = Feed(oms.store, oms.hub)
    async with serving(feed) as (server, _):
        with pytest.raises(OSError, match="cannot listen"):
            await start_grpc_server(feed, authenticate, "127.0.0.1", server.port)


def test_the_committed_modules_are_what_the_proto_generates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path)]) == 0

    written = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert [p.name for p in written] == list(GENERATED)
    for fresh in written:
        committed = PROTO.with_name(fresh.name)
        assert fresh.read_text() == committed.read_text(), f"{fresh.name} is stale: make proto"
