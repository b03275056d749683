"""The subscription shell against the real OMS on a real SQLite store."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from ordergate.domain.commands import CancelOrder
from ordergate.domain.events import OrderPendingCancel, OrderSubmitted
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.eventstore import EventRecorder
from ordergate.feed import Control, Feed, FeedEvent, FeedFilter, FeedSubscription, parse_filter
from ordergate.oms.codec import encode_event
from ordergate.oms.service import OrderManager
from tests.feed.conftest import order
from tests.oms.scripted_venue import ScriptedVenue

Item = FeedEvent | Control


async def take(subscription: FeedSubscription, n: int) -> list[Item]:
    async with asyncio.timeout(5):
        return [await anext(subscription) for _ in range(n)]


async def wait_on_hub(oms: OrderManager, count: int = 1) -> None:
    # Let the subscription reach its live phase (it has joined the hub); bounded.
    for _ in range(10_000):
        if len(oms.hub._subscribers) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError("the subscription never joined the hub")


def positions(items: list[Item]) -> list[int]:
    return [i.position for i in items if isinstance(i, FeedEvent)]


async def test_backlog_after_the_resume_position_then_live_events(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    for n in range(3):
        await oms.submit(order(f"c{n}"))
    feed = Feed(oms.store, oms.hub)

    async with feed.subscribe(FeedFilter(), after=1) as subscription:
        backlog = await take(subscription, 2)
        pending = asyncio.ensure_future(take(subscription, 2))
        await wait_on_hub(oms)
        placed = await oms.submit(order("c9"))
        await oms.handle_report(venue.ack(placed.order.id))
        live = await pending

    assert positions(backlog) == [2, 3]
    assert positions(live) == [4, 5]
    assert [i.type for i in live if isinstance(i, FeedEvent)] == ["OrderSubmitted", "OrderAccepted"]
    assert not oms.hub._subscribers  # closing left the hub


async def test_no_gap_and_no_duplicate_while_events_are_appended_during_the_switch_over(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    feed = Feed(oms.store, oms.hub, batch=3)

    async def place() -> None:
        for n in range(30):
            placed = await oms.submit(order(f"c{n}"))
            await oms.handle_report(venue.ack(placed.order.id))

    producer = asyncio.ensure_future(place())
    async with feed.subscribe(FeedFilter(), after=0) as subscription:
        got = await take(subscription, 60)
    await producer

    assert positions(got) == list(range(1, 61))


async def test_filters_use_tags_of_orders_submitted_before_the_feed_existed(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    first = await oms.submit(order("a", "ACC1", strategy="S1"))
    second = await oms.submit(order("b", "ACC2"))
    await oms.handle_report(venue.ack(first.order.id))  # 3
    await oms.handle_report(venue.ack(second.order.id))  # 4
    feed = Feed(oms.store, oms.hub)  # its directory has seen none of them

    async with feed.subscribe(parse_filter(strategies="S1"), after=2) as subscription:
        got = await take(subscription, 1)
        pending = asyncio.ensure_future(take(subscription, 1))
        await wait_on_hub(oms)
        await oms.cancel(CancelOrder(order_id=second.order.id))  # 5, not S1
        await oms.cancel(CancelOrder(order_id=first.order.id))  # 6
        got += await pending

    assert [(i.position, i.type) for i in got if isinstance(i, FeedEvent)] == [
        (3, "OrderAccepted"),
        (6, "OrderPendingCancel"),
    ]
    assert all(i.account == "ACC1" for i in got if isinstance(i, FeedEvent))


async def test_a_live_event_beyond_the_next_position_is_refilled_from_the_log(
    oms: OrderManager, store: EventRecorder
) -> None:
    feed = Feed(oms.store, oms.hub)
    submitted = OrderSubmitted(
        event_id="x1", order_id="O-X", version=1, ts_event=1, ts_init=1, client_order_id="x",
        account="ACC9", portfolio=None, strategy=None, venue="SCRIPT", symbol="AAPL",
        side=Side.SELL, order_type=OrderType.MARKET, quantity=Decimal(5),
        price=None, stop_price=None, time_in_force=TimeInForce.DAY, expire_time=None,
        request_digest="d",
    )  # fmt: skip
    pending_cancel = OrderPendingCancel(
        event_id="x2", order_id="O-X", version=2, ts_event=2, ts_init=2
    )

    async with feed.subscribe(FeedFilter(), after=0) as subscription:
        pending = asyncio.ensure_future(take(subscription, 2))
        await wait_on_hub(oms)
        # Two commits publish out of order: position 2 reaches the hub before position 1.
        first, second = await store.append([encode_event(submitted), encode_event(pending_cancel)])
        oms.hub.publish(second, pending_cancel)
        got = await pending
        oms.hub.publish(first, submitted)  # late: already delivered from the log
        later = asyncio.ensure_future(take(subscription, 1))
        await oms.submit(order("c1"))
        got += await later

    assert positions(got) == [1, 2, 3]
    assert [i.account for i in got if isinstance(i, FeedEvent)] == ["ACC9", "ACC9", "ACC1"]


async def test_a_slow_subscriber_is_told_and_caught_up_from_the_log_without_slowing_others(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    feed = Feed(oms.store, oms.hub)
    slow = feed.subscribe(FeedFilter(), after=0, buffer=2)
    fast = feed.subscribe(FeedFilter(), after=0, buffer=1000)
    async with slow, fast:
        slow_first = asyncio.ensure_future(take(slow, 1))
        fast_all = asyncio.ensure_future(take(fast, 11))
        await wait_on_hub(oms, 2)
        placed = await oms.submit(order("c0"))  # 1
        got = await slow_first
        for n in range(5):  # 2..11 while the slow one reads nothing
            placed = await oms.submit(order(f"c{n + 1}"))
            await oms.handle_report(venue.ack(placed.order.id))
        fast_got = await fast_all
        async with asyncio.timeout(5):
            while not (got and isinstance(got[-1], Control) and got[-1].kind == "live"):
                got.append(await anext(slow))
        live = asyncio.ensure_future(take(slow, 1))
        await oms.cancel(CancelOrder(order_id=placed.order.id))  # 12
        got += await live

    assert positions(fast_got) == list(range(1, 12))
    assert fast.catch_ups == 0
    assert positions(got) == list(range(1, 13))
    controls = [i for i in got if isinstance(i, Control)]
    assert [c.kind for c in controls] == ["catching_up", "live"]
    caught_up_from = controls[0].position
    assert caught_up_from == max(p for p in positions(got[: got.index(controls[0])]))
    assert controls[1].position == 11
    assert slow.catch_ups == 1


async def test_polling_pages_move_forward_even_when_nothing_matches(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    for n in range(4):
        placed = await oms.submit(order(f"c{n}", "ACC1" if n % 2 else "ACC2"))
        await oms.handle_report(venue.ack(placed.order.id))
    feed = Feed(oms.store, oms.hub, batch=2)

    page = await feed.read(parse_filter(accounts="ACC1"), after=0, limit=3)
    rest = await feed.read(parse_filter(accounts="ACC1"), after=page.next_from, limit=3)
    narrow = await feed.read(parse_filter(accounts="NOBODY"), after=0, limit=3, scan=5)

    assert [i.position for i in page.items] == [3, 4, 7]
    assert page.next_from == 7
    assert [i.position for i in rest.items] == [8]
    assert rest.next_from == 8
    assert (narrow.items, narrow.next_from) == ([], 5)


async def test_an_event_of_an_order_never_submitted_has_no_tags(
    oms: OrderManager, store: EventRecorder
) -> None:
    orphan = OrderPendingCancel(event_id="z1", order_id="O-Z", version=1, ts_event=1, ts_init=1)
    await store.append([encode_event(orphan)])
    feed = Feed(oms.store, oms.hub)

    page = await feed.read(FeedFilter(), after=0, limit=10)
    filtered = await feed.read(parse_filter(accounts="ACC1"), after=0, limit=10)

    assert [(i.order_id, i.account, i.symbol) for i in page.items] == [("O-Z", None, None)]
    assert filtered.items == []
    assert filtered.next_from == 1


async def test_feed_refuses_bad_sizes(oms: OrderManager) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Feed(oms.store, oms.hub, batch=0)
    feed = Feed(oms.store, oms.hub)
    with pytest.raises(ValueError, match="at least 1"):
        await feed.read(FeedFilter(), after=0, limit=0)
    with pytest.raises(ValueError, match="non-negative"):
        feed.subscribe(FeedFilter(), after=-1)


async def test_a_subscription_ends_after_its_backlog_when_the_hub_closes(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    for n in range(2):
        await oms.submit(order(f"e{n}"))
    feed = Feed(oms.store, oms.hub)

    async with feed.subscribe(FeedFilter(), after=0) as subscription:
        first = await take(subscription, 2)
        rest = asyncio.ensure_future(take_all(subscription))
        await wait_on_hub(oms)
        placed = await oms.submit(order("e9"))  # 3, live
        await oms.handle_report(venue.ack(placed.order.id))  # 4, live
        oms.hub.close()  # the process is stopping
        after_close = await rest

    assert positions(first) == [1, 2]
    assert positions(after_close) == [3, 4]


async def take_all(subscription: FeedSubscription) -> list[Item]:
    async with asyncio.timeout(5):
        return [item async for item in subscription]
