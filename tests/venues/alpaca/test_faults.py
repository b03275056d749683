"""The adapter recovers from the simulator's injected faults without ever doubling an order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.domain.reports import ExecKind, VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.sim.alpaca import AlpacaSimServer
from ordergate.venues.alpaca import AlpacaVenue
from ordergate.venues.base import ReplaceRequest
from tests.venues.contract import Reports

from .conftest import venue_config


@pytest.fixture
async def fast_venue(sim: AlpacaSimServer) -> AsyncIterator[AlpacaVenue]:
    """The adapter with a short request timeout, so a held-back answer times out quickly."""
    adapter = AlpacaVenue(venue_config(sim, request_timeout_s=0.3))
    await adapter.connect()
    yield adapter
    await adapter.disconnect()


@pytest.fixture
async def reports(fast_venue: AlpacaVenue) -> AsyncIterator[Reports]:
    collected = Reports(fast_venue)
    yield collected
    await collected.close()


def _order(order_id: str) -> VenueOrder:
    return VenueOrder(
        order_id=order_id,
        account="ACC1",
        symbol="MSFT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal(2),
        price=Decimal("400.00"),
        time_in_force=TimeInForce.GTC,
    )


def _orders_at_venue(sim: AlpacaSimServer, order_id: str) -> int:
    return sum(1 for o in sim.broker.orders() if o.client_order_id == order_id)


async def test_connection_dropped_after_placing_resolves_by_query(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.faults.drop_next()

    await fast_venue.submit(_order("F-1"))
    accepted = await reports.wait_kind("F-1", ExecKind.ACCEPTED)

    assert [r.kind for r in reports.of("F-1")] == [ExecKind.ACCEPTED]
    assert _orders_at_venue(sim, "F-1") == 1
    assert [o.order_id for o in sim.broker.engine.open_orders()] == [accepted.venue_order_id]


async def test_submit_timeout_resolves_by_query_with_exactly_one_order(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.faults.delay_next(30.0)  # far past the 0.3 s request timeout

    await fast_venue.submit(_order("F-2"))
    await reports.wait_kind("F-2", ExecKind.ACCEPTED)

    assert [r.kind for r in reports.of("F-2")] == [ExecKind.ACCEPTED]
    assert _orders_at_venue(sim, "F-2") == 1
    assert len(sim.broker.engine.open_orders()) == 1


async def test_server_error_before_placing_is_resent_once_the_query_finds_nothing(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.faults.fail_next()

    await fast_venue.submit(_order("F-3"))
    await reports.wait_kind("F-3", ExecKind.ACCEPTED)

    assert [r.kind for r in reports.of("F-3")] == [ExecKind.ACCEPTED]
    assert _orders_at_venue(sim, "F-3") == 1


async def test_rate_limited_submit_waits_and_is_sent_again(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.faults.rate_limit(2, retry_after_s=0)

    await fast_venue.submit(_order("F-4"))
    await reports.wait_kind("F-4", ExecKind.ACCEPTED)

    assert [r.kind for r in reports.of("F-4")] == [ExecKind.ACCEPTED]
    assert _orders_at_venue(sim, "F-4") == 1


async def test_rate_limited_beyond_the_attempts_is_rejected_and_places_nothing(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.faults.rate_limit(fast_venue.config.max_attempts, retry_after_s=0)

    await fast_venue.submit(_order("F-5"))
    rejected = await reports.wait_kind("F-5", ExecKind.REJECTED)

    assert rejected.reason is not None
    assert rejected.reason.startswith("no answer from Alpaca: RATE_LIMITED [42910000]")
    assert rejected.error_kind is VenueErrorKind.RATE_LIMITED
    assert _orders_at_venue(sim, "F-5") == 0
    assert sim.broker.engine.open_orders() == []


async def test_fill_of_an_unknown_order_on_the_stream_does_not_stop_the_adapter(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.push_unknown_fill()

    await fast_venue.submit(_order("F-6"))
    await reports.wait_kind("F-6", ExecKind.ACCEPTED)

    ghosts = [r for r in reports.items if r.order_id != "F-6"]
    assert [r.kind for r in ghosts] == [ExecKind.TRADE]  # forwarded: the OMS flags strays
    assert fast_venue.connected
    assert _orders_at_venue(sim, ghosts[0].order_id) == 0
    assert await fast_venue.fills_since(0) == []


async def test_cancel_rate_limited_once_still_cancels(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    await fast_venue.submit(_order("F-7"))
    accepted = await reports.wait_kind("F-7", ExecKind.ACCEPTED)
    sim.faults.rate_limit(1, retry_after_s=0)

    await fast_venue.cancel("F-7", accepted.venue_order_id, "MSFT")
    await reports.wait_kind("F-7", ExecKind.CANCELED)

    assert sim.broker.engine.open_orders() == []


async def _resting(venue: AlpacaVenue, reports: Reports, order_id: str) -> str:
    await venue.submit(_order(order_id))
    accepted = await reports.wait_kind(order_id, ExecKind.ACCEPTED)
    assert accepted.venue_order_id is not None
    return accepted.venue_order_id


@pytest.mark.parametrize("fault", ["drop", "fail"])
async def test_cancel_with_unknown_outcome_checks_the_order_then_cancels_once(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports, fault: str
) -> None:
    venue_order_id = await _resting(fast_venue, reports, f"FC-{fault}")
    if fault == "drop":
        sim.faults.drop_next("cancel")  # canceled, then the answer is lost
    else:
        sim.faults.fail_next("cancel")  # not canceled: a 500 before acting

    await fast_venue.cancel(f"FC-{fault}", venue_order_id, "MSFT")
    await reports.wait_kind(f"FC-{fault}", ExecKind.CANCELED)

    assert [r.kind for r in reports.of(f"FC-{fault}")] == [ExecKind.ACCEPTED, ExecKind.CANCELED]
    assert sim.broker.engine.open_orders() == []


@pytest.mark.parametrize("fault", ["drop", "fail", "delay"])
async def test_replace_with_unknown_outcome_makes_exactly_one_new_order(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports, fault: str
) -> None:
    order_id = f"FR-{fault}"
    venue_order_id = await _resting(fast_venue, reports, order_id)
    if fault == "drop":
        sim.faults.drop_next("replace")
    elif fault == "fail":
        sim.faults.fail_next("replace")
    else:
        sim.faults.delay_next(30.0, "replace")

    await fast_venue.replace(
        ReplaceRequest(
            order_id=order_id,
            venue_order_id=venue_order_id,
            symbol="MSFT",
            quantity=Decimal(3),
        )
    )
    replaced = await reports.wait_kind(order_id, ExecKind.REPLACED)

    assert [r.kind for r in reports.of(order_id)] == [ExecKind.ACCEPTED, ExecKind.REPLACED]
    assert [o.status for o in sim.broker.orders()] == ["replaced", "new"]
    assert replaced.quantity == Decimal(3)
    (open_order,) = await fast_venue.open_orders()
    assert (open_order.order_id, open_order.venue_order_id) == (order_id, replaced.venue_order_id)


async def test_unanswerable_submit_raises_unknown_outcome_and_never_resends(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.faults.delay_next(30.0)
    sending = asyncio.create_task(fast_venue.submit(_order("FU-1")))
    async with asyncio.timeout(10):
        while not sim.broker.orders():
            await asyncio.sleep(0.005)
    sim.faults.rate_limit(100)  # every question about it is refused from now on

    with pytest.raises(VenueError) as caught:
        await sending

    assert caught.value.kind is VenueErrorKind.UNKNOWN_OUTCOME
    assert _orders_at_venue(sim, "FU-1") == 1
    assert not [r for r in reports.of("FU-1") if r.kind is ExecKind.REJECTED]


async def test_stream_dropped_by_the_server_reconnects_and_reports_resume(
    sim: AlpacaSimServer, fast_venue: AlpacaVenue, reports: Reports
) -> None:
    sim.drop_stream_connections()
    async with asyncio.timeout(10):
        while sim.sim.hub.listeners:
            await asyncio.sleep(0.005)
        while not sim.sim.hub.listeners:  # alpaca-py reconnects by itself after ~1 s
            await asyncio.sleep(0.01)

    await fast_venue.submit(_order("FS-1"))
    await reports.wait_kind("FS-1", ExecKind.ACCEPTED)

    assert fast_venue.connected
