"""SimVenue, the asyncio adapter: requests in, execution reports and market data out."""

from __future__ import annotations

from decimal import Decimal

from ordergate.clock import TestClock
from ordergate.domain.reports import ExecKind, ExecutionReport, Quote, TradeTick
from ordergate.domain.values import AssetClass, OrderType, TimeInForce
from ordergate.sim.venue import SimVenue
from ordergate.venues.base import ReplaceRequest

from .helpers import AAPL, T0, limit, market


def venue(**kw: object) -> SimVenue:
    # step_interval_ns=0: no background stepping, so nothing moves unless the test says so.
    return SimVenue(clock=TestClock(T0), seed=1, step_interval_ns=0, **kw)  # type: ignore[arg-type]


async def drain(sim: SimVenue) -> list[ExecutionReport]:
    """Disconnect, then read every report that was queued before."""
    await sim.disconnect()
    return [r async for r in sim.execution_reports()]


async def test_marketable_order_is_accepted_then_traded() -> None:
    sim = venue()
    await sim.connect()
    sim.step_market()  # the simulated market quotes every instrument
    reports = sim.execution_reports()

    await sim.submit(market("b1", "BUY", "5"))

    accepted = await anext(reports)
    trade = await anext(reports)
    assert accepted.kind is ExecKind.ACCEPTED
    assert accepted.venue_order_id is not None
    assert accepted.venue_order_id.startswith("SIM-")
    assert trade.kind is ExecKind.TRADE
    assert trade.last_quantity == Decimal(5)
    assert trade.fee_currency == "USD"
    await sim.disconnect()


async def test_cancel_of_resting_order_reports_canceled() -> None:
    sim = venue()
    await sim.connect()
    await sim.submit(limit("b1", "BUY", "5", "100.00"))

    await sim.cancel("b1", None, "AAPL")

    reports = await drain(sim)
    assert [(r.kind, r.order_id) for r in reports] == [
        (ExecKind.ACCEPTED, "b1"),
        (ExecKind.CANCELED, "b1"),
    ]
    assert await sim.open_orders() == []


async def test_replace_and_reconciliation_queries_delegate_to_the_engine() -> None:
    sim = SimVenue([AAPL], clock=TestClock(T0), step_interval_ns=0)
    await sim.connect()
    await sim.submit(limit("s1", "SELL", "5", "190.00"))
    await sim.replace(
        ReplaceRequest(order_id="s1", venue_order_id=None, symbol="AAPL", quantity=Decimal(3))
    )
    await sim.submit(limit("b1", "BUY", "2", "190.00"))

    open_orders = await sim.open_orders()
    fills = await sim.fills_since(T0)
    kinds = [r.kind for r in await drain(sim)]

    assert [(o.order_id, o.quantity, o.filled_quantity) for o in open_orders] == [
        ("s1", Decimal(3), Decimal(2))
    ]
    assert [f.order_id for f in fills] == ["s1", "b1"]
    assert ExecKind.REPLACED in kinds


async def test_disconnect_ends_the_report_iterator() -> None:
    sim = venue()
    await sim.connect()
    await sim.submit(limit("b1", "BUY", "5", "100.00"))

    await sim.disconnect()
    reports = [r async for r in sim.execution_reports()]

    assert [r.kind for r in reports] == [ExecKind.ACCEPTED]
    assert not sim.connected


async def test_requests_while_disconnected_are_refused_with_reports() -> None:
    sim = venue()

    await sim.submit(limit("b1", "BUY", "5", "100.00"))
    await sim.cancel("b1", None, "AAPL")
    await sim.connect()
    reports = await drain(sim)

    assert [(r.kind, r.reason) for r in reports] == [
        (ExecKind.REJECTED, "venue not connected"),
        (ExecKind.CANCEL_REJECTED, "venue not connected"),
    ]


async def test_market_data_starts_with_quotes_and_streams_trades() -> None:
    sim = SimVenue([AAPL], clock=TestClock(T0), step_interval_ns=0)
    await sim.connect()
    stream = sim.market_data()
    first = await anext(stream)  # subscribes; the book is empty
    await sim.submit(limit("s1", "SELL", "5", "190.00"))
    await sim.submit(limit("b1", "BUY", "2", "190.00"))

    resting = await anext(stream)
    trade = await anext(stream)
    quote = await anext(stream)
    await sim.disconnect()
    rest = [item async for item in stream]

    assert isinstance(first, Quote)
    assert first.bid_price is None
    assert isinstance(resting, Quote)
    assert (resting.ask_price, resting.ask_size) == (Decimal("190.00"), Decimal(5))
    assert isinstance(trade, TradeTick)
    assert (trade.price, trade.quantity) == (Decimal("190.00"), Decimal(2))
    assert isinstance(quote, Quote)
    assert (quote.ask_price, quote.ask_size) == (Decimal("190.00"), Decimal(3))
    assert rest == []


async def test_latency_delays_processing_until_the_delay_line_runs() -> None:
    sim = SimVenue([AAPL], clock=TestClock(T0), step_interval_ns=0, latency_ns=1)
    await sim.connect()
    reports = sim.execution_reports()

    await sim.submit(limit("b1", "BUY", "5", "100.00"))
    assert await sim.open_orders() == []  # still on the wire

    accepted = await anext(reports)
    assert accepted.kind is ExecKind.ACCEPTED
    await sim.disconnect()


async def test_requests_still_on_the_wire_at_disconnect_are_refused() -> None:
    sim = SimVenue([AAPL], clock=TestClock(T0), step_interval_ns=0, latency_ns=3_600 * 10**9)
    await sim.connect()
    await sim.submit(limit("b1", "BUY", "5", "100.00"))

    reports = await drain(sim)

    assert [(r.kind, r.order_id, r.reason) for r in reports] == [
        (ExecKind.REJECTED, "b1", "venue disconnected before the request arrived")
    ]
    assert await sim.open_orders() == []


def test_capabilities_cover_every_order_type_and_time_in_force() -> None:
    sim = venue(name="SIM2")

    assert sim.name == "SIM2"
    assert sim.capabilities.order_types == frozenset(OrderType)
    assert sim.capabilities.time_in_force == frozenset(TimeInForce)
    assert sim.capabilities.asset_classes == {AssetClass.EQUITY, AssetClass.CRYPTO_SPOT}


async def test_connected_venue_steps_the_market_in_the_background() -> None:
    sim = SimVenue(clock=TestClock(T0), seed=1, step_interval_ns=1_000)
    await sim.connect()
    stream = sim.market_data()
    snapshot = [await anext(stream) for _ in range(5)]  # one quote per default instrument

    stepped = await anext(stream)  # arrives only once the background task has stepped
    await sim.disconnect()

    # connect() quoted once already, so the snapshot shows a two-sided market
    assert all(isinstance(q, Quote) and q.bid_price is not None for q in snapshot)
    assert isinstance(stepped, Quote | TradeTick)
    rest = [item async for item in stream]  # ends: disconnect closed the stream
    assert all(isinstance(item, Quote | TradeTick) for item in rest)
