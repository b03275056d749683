"""Delivery guarantee: subscribers that come, go and resume at random get exactly their events.

Seeded and bounded. Several subscribers with random filters, resume points and buffer sizes
(some so small that they keep falling behind and catching up from the log) read while two
producers place, fill and cancel orders on the real OMS. Each one disconnects after a random
number of messages and resumes from the last position it received. At the end each must
hold exactly the events it was entitled to, once each, in position order, and equal to the
events as the log holds them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

from ordergate.domain.commands import CancelOrder
from ordergate.domain.errors import OrderError
from ordergate.eventstore import EventRecorder, iter_all
from ordergate.feed import (
    Control,
    Feed,
    FeedEvent,
    FeedFilter,
    FeedSubscription,
    OrderDirectory,
    feed_event,
    parse_filter,
)
from ordergate.oms.codec import decode_event
from ordergate.oms.service import OrderManager
from tests.feed.conftest import order
from tests.oms.scripted_venue import ScriptedVenue

ACCOUNTS = ["A1", "A2", "A3"]
STRATEGIES = ["S1", "S2"]
TYPES = ["OrderSubmitted", "OrderAccepted", "OrderPartiallyFilled", "OrderFilled"]
SUBSCRIBERS = 8
ORDERS_PER_PRODUCER = 12


def random_filter(rng: random.Random) -> FeedFilter:
    kwargs: dict[str, str] = {}
    if rng.random() < 0.5:
        kwargs["accounts"] = ",".join(rng.sample(ACCOUNTS, rng.randint(1, 2)))
    if rng.random() < 0.3:
        kwargs["strategies"] = rng.choice(STRATEGIES)
    if rng.random() < 0.3:
        kwargs["types"] = ",".join(rng.sample(TYPES, rng.randint(1, 3)))
    return parse_filter(**kwargs)


async def produce(
    oms: OrderManager, venue: ScriptedVenue, rng: random.Random, name: str, orders: int
) -> None:
    for n in range(orders):
        placed = await oms.submit(
            order(f"{name}-{n}", rng.choice(ACCOUNTS), strategy=rng.choice([*STRATEGIES, None]))
        )
        order_id = placed.order.id
        await asyncio.sleep(0)  # let the others interleave (scheduling, not timing)
        fate = rng.random()
        if fate < 0.4:  # acknowledged and filled in one batch
            await oms.handle_reports(
                [
                    venue.ack(order_id),
                    venue.trade(order_id, "40", "190.00"),
                    venue.trade(order_id, "60", "190.01"),
                ]
            )
        elif fate < 0.7:
            await oms.handle_report(venue.ack(order_id))
            with contextlib.suppress(OrderError):
                await oms.cancel(CancelOrder(order_id=order_id))


class Subscriber:
    def __init__(self, feed: Feed, rng: random.Random, start: int) -> None:
        self.feed = feed
        self.rng = rng
        self.filter = random_filter(rng)
        self.start = start
        self.buffer = rng.choice([1, 2, 5, 1000])
        self.events: list[FeedEvent] = []
        self.controls: list[Control] = []
        self.sessions = 0

    async def run(self, finished: asyncio.Event, head: list[int]) -> None:
        after = self.start
        while True:
            self.sessions += 1
            async with self.feed.subscribe(self.filter, after, self.buffer) as subscription:
                for _ in range(self.rng.randint(1, 12)):
                    item = await self._next(subscription, finished, head)
                    if item is None:
                        return
                    if isinstance(item, FeedEvent):
                        self.events.append(item)
                    else:
                        self.controls.append(item)
                    # Resume like SSE's Last-Event-ID (controls have an id) or like a client
                    # that only remembers events.
                    if isinstance(item, FeedEvent) or self.rng.random() < 0.5:
                        after = item.position
                    if self.rng.random() < 0.3:
                        await asyncio.sleep(0)  # a slow reader

    async def _next(
        self, subscription: FeedSubscription, finished: asyncio.Event, head: list[int]
    ) -> FeedEvent | Control | None:
        task = asyncio.ensure_future(anext(subscription))
        while not task.done():
            # Once the producers are done, a subscription waiting for more with its cursor
            # at the final head has nothing left to deliver.
            if finished.is_set() and subscription.position >= head[0]:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                return None
            await asyncio.wait({task}, timeout=0.002)  # a polling interval, not an assertion
        return task.result()


async def entitled(store: EventRecorder, chosen: FeedFilter, after: int) -> list[FeedEvent]:
    directory = OrderDirectory()
    wanted = []
    async for record in iter_all(store):
        event = decode_event(record)
        item = feed_event(record.position, event, directory.apply(event))
        if record.position > after and chosen.matches(item):
            wanted.append(item)
    return wanted


@pytest.mark.parametrize("seed", [7, 11, 2026])
async def test_every_subscriber_holds_its_events_exactly_once_in_order(
    oms: OrderManager, store: EventRecorder, venue: ScriptedVenue, seed: int
) -> None:
    rng = random.Random(seed)
    await produce(oms, venue, rng, "history", 5)
    feed = Feed(oms.store, oms.hub, batch=rng.choice([2, 7, 100]))
    head0 = await feed.head()
    subscribers = [
        Subscriber(feed, random.Random(rng.random()), rng.randint(0, head0))
        for _ in range(SUBSCRIBERS)
    ]
    finished = asyncio.Event()
    head = [0]

    async with asyncio.timeout(30):
        readers = [asyncio.ensure_future(s.run(finished, head)) for s in subscribers]
        await asyncio.gather(
            *(
                produce(oms, venue, random.Random(rng.random()), f"p{p}", ORDERS_PER_PRODUCER)
                for p in range(2)
            )
        )
        head[0] = await feed.head()
        finished.set()
        await asyncio.gather(*readers)

    assert head[0] > head0
    for subscriber in subscribers:
        expected = await entitled(store, subscriber.filter, subscriber.start)
        got = subscriber.events
        assert [e.position for e in got] == [e.position for e in expected]
        assert got == expected  # the same event whether it came live or from the log
    assert sum(s.sessions for s in subscribers) > SUBSCRIBERS  # they did come and go
    assert not oms.hub._subscribers
