"""The adapter against the simulated Alpaca API: fills over the stream, replace, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.domain.reports import ExecKind, VenueOrder
from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.sim.alpaca import AlpacaSimServer
from ordergate.venues.alpaca import AlpacaVenue
from ordergate.venues.base import ReplaceRequest
from tests.venues.contract import Reports

from .conftest import venue_config


@pytest.fixture
async def reports(venue: AlpacaVenue) -> AsyncIterator[Reports]:
    collected = Reports(venue)
    yield collected
    await collected.close()


# Inside the simulated spread (189.99 / 190.01 with seed 7): such a bid is the best bid, so
# another participant's sell at this price trades with it and nothing else.
INSIDE = "190.00"


def _buy(
    order_id: str, qty: str, price: str | None, tif: TimeInForce = TimeInForce.GTC
) -> VenueOrder:
    return VenueOrder(
        order_id=order_id,
        account="ACC1",
        symbol="AAPL",
        side=Side.BUY,
        order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
        quantity=Decimal(qty),
        price=None if price is None else Decimal(price),
        time_in_force=tif,
    )


async def test_partial_fills_then_fill_arrive_over_the_stream(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    await venue.submit(_buy("P-1", "10", INSIDE))
    accepted = await reports.wait_kind("P-1", ExecKind.ACCEPTED)

    sim.trade_against("AAPL", Side.SELL, Decimal(4), Decimal(INSIDE))
    sim.trade_against("AAPL", Side.SELL, Decimal(6), Decimal(INSIDE))
    got = await reports.wait_for(
        lambda rs: len([r for r in rs if r.kind is ExecKind.TRADE]) == 2, "P-1"
    )

    trades = [r for r in got if r.kind is ExecKind.TRADE]
    assert [(t.last_quantity, t.last_price) for t in trades] == [
        (Decimal(4), Decimal(INSIDE)),
        (Decimal(6), Decimal(INSIDE)),
    ]
    assert {t.venue_order_id for t in trades} == {accepted.venue_order_id}
    assert await venue.open_orders() == []
    fills = await venue.fills_since(0)
    assert [(f.order_id, f.quantity) for f in fills] == [("P-1", Decimal(4)), ("P-1", Decimal(6))]
    assert [f.execution_id for f in fills] == [t.execution_id for t in trades]
    assert sim.broker.ledger.position("AAPL") is not None


async def test_open_orders_show_partial_fills(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    await venue.submit(_buy("P-2", "10", INSIDE))
    await reports.wait_kind("P-2", ExecKind.ACCEPTED)
    sim.trade_against("AAPL", Side.SELL, Decimal(3), Decimal(INSIDE))
    await reports.wait_kind("P-2", ExecKind.TRADE)

    (listed,) = await venue.open_orders()

    assert (listed.order_id, listed.status, listed.filled_quantity, listed.quantity) == (
        "P-2",
        OrderStatus.PARTIALLY_FILLED,
        Decimal(3),
        Decimal(10),
    )


async def test_replace_moves_our_order_to_the_new_alpaca_order(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    await venue.submit(_buy("R-1", "5", "189.00"))
    accepted = await reports.wait_kind("R-1", ExecKind.ACCEPTED)

    await venue.replace(
        ReplaceRequest(
            order_id="R-1",
            venue_order_id=accepted.venue_order_id,
            symbol="AAPL",
            quantity=Decimal(8),
            price=Decimal(INSIDE),
        )
    )
    replaced = await reports.wait_kind("R-1", ExecKind.REPLACED)
    sim.trade_against("AAPL", Side.SELL, Decimal(8), Decimal(INSIDE))
    trade = await reports.wait_kind("R-1", ExecKind.TRADE)

    assert replaced.venue_order_id != accepted.venue_order_id
    assert (replaced.quantity, replaced.price) == (Decimal(8), Decimal(INSIDE))
    assert trade.venue_order_id == replaced.venue_order_id
    assert trade.last_quantity == Decimal(8)
    old = sim.broker.order(accepted.venue_order_id or "")
    assert (old.status, old.replaced_by) == ("replaced", replaced.venue_order_id)
    assert len(sim.broker.engine.fills_since(0)) == 1


async def test_cancel_after_replace_without_the_new_id_finds_the_current_order(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    await venue.submit(_buy("R-2", "5", "150.00"))
    accepted = await reports.wait_kind("R-2", ExecKind.ACCEPTED)
    await venue.replace(
        ReplaceRequest(order_id="R-2", venue_order_id=None, symbol="AAPL", price=Decimal("149.00"))
    )
    replaced = await reports.wait_kind("R-2", ExecKind.REPLACED)

    fresh = AlpacaVenue(venue_config(sim))  # knows nothing: must ask Alpaca
    await fresh.connect()
    try:
        await fresh.cancel("R-2", None, "AAPL")
    finally:
        await fresh.disconnect()
    canceled = await reports.wait_kind("R-2", ExecKind.CANCELED)

    assert canceled.venue_order_id == replaced.venue_order_id != accepted.venue_order_id
    assert sim.broker.engine.open_orders() == []


async def test_insufficient_buying_power_is_a_rejected_report(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    await venue.submit(_buy("BP-1", "1000", "190.00"))

    rejected = await reports.wait_kind("BP-1", ExecKind.REJECTED)

    assert rejected.reason is not None
    assert "40310000" in rejected.reason
    assert rejected.error_kind is VenueErrorKind.REJECTED  # a refusal, not a failure
    assert sim.broker.orders() == []


async def test_resubmitting_an_order_id_never_makes_a_second_order(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    order = _buy("D-1", "5", "150.00")
    await venue.submit(order)
    await reports.wait_kind("D-1", ExecKind.ACCEPTED)

    await venue.submit(order)
    rejected = await reports.wait_kind("D-1", ExecKind.REJECTED)

    assert rejected.reason is not None
    assert "40010001" in rejected.reason
    assert len(sim.broker.orders()) == 1
    assert len(sim.broker.engine.open_orders()) == 1


async def test_gtd_is_refused_before_it_is_sent(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    await venue.submit(_buy("G-1", "5", "150.00", TimeInForce.GTD))

    rejected = await reports.wait_kind("G-1", ExecKind.REJECTED)

    assert rejected.reason == "Alpaca has no time in force GTD"
    assert sim.broker.orders() == []


async def test_market_order_fills_at_the_simulated_ask(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    ask = sim.broker.engine.top_of_book("AAPL").ask_price

    await venue.submit(_buy("M-1", "3", None, TimeInForce.DAY))
    trade = await reports.wait_kind("M-1", ExecKind.TRADE)

    assert (trade.last_quantity, trade.last_price) == (Decimal(3), ask)


async def test_reject_of_a_replace_is_a_replace_rejected_report(
    sim: AlpacaSimServer, venue: AlpacaVenue, reports: Reports
) -> None:
    await venue.submit(_buy("RR-1", "5", INSIDE))
    await reports.wait_kind("RR-1", ExecKind.ACCEPTED)
    sim.trade_against("AAPL", Side.SELL, Decimal(5), Decimal(INSIDE))
    await reports.wait_kind("RR-1", ExecKind.TRADE)

    await venue.replace(
        ReplaceRequest(order_id="RR-1", venue_order_id=None, symbol="AAPL", price=Decimal("140"))
    )
    rejected = await reports.wait_kind("RR-1", ExecKind.REPLACE_REJECTED)

    assert rejected.reason is not None
    assert "42210000" in rejected.reason


async def test_wrong_keys_fail_connect_with_auth(sim: AlpacaSimServer) -> None:
    adapter = AlpacaVenue(venue_config(sim, secret_key="wrong"))

    with pytest.raises(VenueError) as caught:
        await adapter.connect()

    assert caught.value.kind is VenueErrorKind.AUTH
    assert not adapter.connected


async def test_requests_while_disconnected_are_refused_as_reports(sim: AlpacaSimServer) -> None:
    adapter = AlpacaVenue(venue_config(sim))
    reports = Reports(adapter)

    await adapter.submit(_buy("X-1", "1", "150.00"))
    await adapter.cancel("X-1", None, "AAPL")
    await adapter.replace(ReplaceRequest(order_id="X-1", venue_order_id=None, symbol="AAPL"))
    got = await reports.wait_for(lambda rs: len(rs) == 3, "X-1")
    await reports.close()

    assert [r.kind for r in got] == [
        ExecKind.REJECTED,
        ExecKind.CANCEL_REJECTED,
        ExecKind.REPLACE_REJECTED,
    ]
    assert {r.error_kind for r in got} == {VenueErrorKind.RETRYABLE}
    with pytest.raises(VenueError):
        await adapter.open_orders()
