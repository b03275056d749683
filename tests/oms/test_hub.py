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
