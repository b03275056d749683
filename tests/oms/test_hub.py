"""Live fan-out: in order to every subscriber; a slow subscriber is cut off, not silently fed."""

from __future__ import annotations

import pytest

from ordergate.domain.events import OrderExpired
from ordergate.oms.hub import EventHub, SubscriberOverflow


def event(version: int) -> OrderExpired:
    return OrderExpired(
        event_id=f"e{version}", order_id="O", version=version, ts_event=0, ts_init=0
    )


async def test_every_subscriber_gets_every_event_in_order() -> None:
    hub = EventHub()
    first, second = hub.subscribe(), hub.subscribe()

    for n in range(1, 4):
        hub.publish(n, event(n))

    for subscription in (first, second):
        got = []
        async for position, _ in subscription:
            got.append(position)
            if len(got) == 3:
                break
        assert got == [1, 2, 3]


async def test_a_subscriber_that_falls_behind_is_told_and_dropped() -> None:
    hub = EventHub()
    slow = hub.subscribe(maxsize=2)
    fast = hub.subscribe(maxsize=100)

    for n in range(1, 6):
        hub.publish(n, event(n))

    seen: list[int] = []

    async def drain() -> None:
        async for position, _ in slow:
            seen.append(position)

    with pytest.raises(SubscriberOverflow):
        await drain()
    assert seen == [1, 2]
    assert slow.closed
    hub.publish(6, event(6))
    got = []
    async for position, _ in fast:
        got.append(position)
        if position == 6:
            break
    assert got == [1, 2, 3, 4, 5, 6]


async def test_closing_the_hub_ends_each_subscription_after_what_it_had_queued() -> None:
    hub = EventHub()
    first, second = hub.subscribe(), hub.subscribe()
    hub.publish(1, event(1))

    hub.close()
    hub.publish(2, event(2))  # after the close: nobody gets it
    late = hub.subscribe()

    assert [p for p, _ in [item async for item in first]] == [1]
    assert [p for p, _ in [item async for item in second]] == [1]
    assert [item async for item in late] == []


async def test_an_overflow_still_comes_before_the_end_of_a_closed_hub() -> None:
    hub = EventHub()
    slow = hub.subscribe(maxsize=1)
    for n in range(1, 4):
        hub.publish(n, event(n))

    hub.close()

    seen: list[int] = []

    async def drain() -> None:
        async for position, _ in slow:
            seen.append(position)

    with pytest.raises(SubscriberOverflow):
        await drain()
    assert seen == [1]
