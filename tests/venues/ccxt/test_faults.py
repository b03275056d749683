"""Faults at the venue, through the adapter: every one ends in the right state, no duplicates.

The simulated Binance drops the connection, holds an answer past the client's timeout,
answers 429, or sends a fill for an order nobody placed; each test then asks the
simulator's own engine how many orders it holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from ordergate.domain.reports import ExecKind, VenueErrorKind
from ordergate.sim.binance import BinanceSimServer
from ordergate.venues.ccxt import CcxtVenue, CcxtVenueConfig

from .helpers import Reports, kinds, order


@pytest.fixture
async def reports(venue: CcxtVenue) -> AsyncIterator[Reports]:
    reader = Reports(venue)
    yield reader
    await reader.close()


def _placed(server: BinanceSimServer) -> int:
    return server.sim.exchange.orders_placed


async def test_connection_dropped_after_placing_resolves_to_the_placed_order(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.sim.faults.drop_after_placing()
    new = order()

    await venue.submit(new)
    accepted = await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    assert accepted.venue_order_id
    assert _placed(server) == 1
    record = server.sim.exchange.record_of(new.order_id)
    assert record is not None
    assert record.status == "NEW"
    assert kinds(reports.of(new.order_id)) == [ExecKind.ACCEPTED]
    assert [o.order_id for o in await venue.open_orders()] == [new.order_id]


async def test_connection_dropped_after_a_fill_reports_the_fill_once(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.sim.faults.drop_after_placing()
    new = order("70000.00")

    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.TRADE)
    await asyncio.sleep(0.2)  # the stream's copy of the fill has arrived by now

    got = reports.of(new.order_id)
    assert kinds(got)[0] is ExecKind.ACCEPTED
    assert len([r for r in got if r.kind is ExecKind.TRADE]) == len(
        server.sim.exchange.my_trades({"symbol": "BTCUSDT"})
    )
    assert _placed(server) == 1


async def test_lost_answer_is_resolved_by_listing_orders_where_no_query_by_client_id(
    sim_config: Callable[..., CcxtVenueConfig], server: BinanceSimServer
) -> None:
    # As on Coinbase and Kraken: the order is looked for among open and closed orders.
    venue = CcxtVenue(sim_config(query_client_order_id_param=None))
    await venue.connect()
    reports = Reports(venue)
    try:
        server.sim.faults.drop_after_placing()
        filled = order("70000.00")
        await venue.submit(filled)
        await reports.wait_kind(filled.order_id, ExecKind.TRADE)
        server.sim.faults.drop_after_placing()
        resting = order()
        await venue.submit(resting)
        await reports.wait_kind(resting.order_id, ExecKind.ACCEPTED)
    finally:
        await venue.disconnect()
        await reports.close()

    assert _placed(server) == 2
    assert ExecKind.REJECTED not in kinds(reports.of(filled.order_id))


async def test_timeout_on_submit_is_resolved_by_query_with_one_order_at_the_venue(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.sim.faults.delay_after_placing(5.0)  # the client gives up after 1 s
    new = order()

    await venue.submit(new)
    accepted = await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    assert accepted.venue_order_id == str(server.sim.exchange.record_of(new.order_id).order_id)  # type: ignore[union-attr]
    assert _placed(server) == 1
    assert kinds(reports.of(new.order_id)) == [ExecKind.ACCEPTED]


async def test_request_lost_before_the_venue_is_rejected_once_it_cannot_arrive(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.sim.faults.drop_before_placing()
    new = order()

    await venue.submit(new)
    rejected = await reports.wait_kind(new.order_id, ExecKind.REJECTED)

    assert rejected.reason is not None
    assert "never received" in rejected.reason
    assert _placed(server) == 0
    assert await venue.open_orders() == []


async def test_one_429_is_retried_after_retry_after_and_placed_once(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.sim.faults.throttle(1, retry_after_s=0)
    new = order()

    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    assert _placed(server) == 1
    assert kinds(reports.of(new.order_id)) == [ExecKind.ACCEPTED]


async def test_429_past_the_retries_ends_rate_limited_with_nothing_placed(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.sim.faults.throttle(10, retry_after_s=0)
    new = order()

    await venue.submit(new)
    rejected = await reports.wait_kind(new.order_id, ExecKind.REJECTED)

    assert rejected.reason is not None
    assert rejected.reason.startswith("RATE_LIMITED")
    assert rejected.error_kind is VenueErrorKind.RATE_LIMITED
    assert _placed(server) == 0
    server.sim.faults.clear()


async def test_retry_after_longer_than_allowed_ends_rate_limited_at_once(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.sim.faults.throttle(1, retry_after_s=30)
    new = order()

    async with asyncio.timeout(5):  # never waits the 30 s
        await venue.submit(new)
    rejected = await reports.wait_kind(new.order_id, ExecKind.REJECTED)

    assert rejected.reason is not None
    assert rejected.reason.startswith("RATE_LIMITED")
    assert _placed(server) == 0


async def test_fill_for_an_unknown_order_is_reported_under_its_id_and_trading_goes_on(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    server.inject_unknown_fill("ghost-order-1")

    ghost = await reports.wait_kind("ghost-order-1", ExecKind.TRADE)
    new = order()
    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    assert ghost.execution_id
    assert kinds(reports.of("ghost-order-1")) == [ExecKind.TRADE]  # no made-up ACCEPTED
    assert ghost.last_quantity is not None
    assert ghost.last_quantity > 0
    assert server.sim.exchange.record_of("ghost-order-1") is None


async def test_connection_dropped_after_canceling_resolves_to_canceled(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    new = order()
    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)
    server.sim.faults.drop_after_canceling()

    await venue.cancel(new.order_id, None, new.symbol)
    await reports.wait_kind(new.order_id, ExecKind.CANCELED)

    assert ExecKind.CANCEL_REJECTED not in kinds(reports.of(new.order_id))
    assert server.sim.exchange.record_of(new.order_id).status == "CANCELED"  # type: ignore[union-attr]
