"""The ccxt adapter against the simulated Binance: behaviour beyond the contract."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import msgspec
import pytest

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.sim.binance import BinanceSimServer
from ordergate.venues.ccxt import CcxtVenue, CcxtVenueConfig

from .helpers import Reports, kinds, order, traded


@pytest.fixture
async def reports(venue: CcxtVenue) -> AsyncIterator[Reports]:
    reader = Reports(venue)
    yield reader
    await reader.close()


async def test_our_order_id_is_the_client_order_id_at_the_venue(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    new = order()

    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    record = server.sim.exchange.record_of(new.order_id)
    assert record is not None
    assert record.client_order_id == new.order_id


async def test_market_order_fills_with_exact_decimals(venue: CcxtVenue, reports: Reports) -> None:
    new = order(None, quantity="0.01", order_type=OrderType.MARKET)

    await venue.submit(new)
    got = await reports.wait_for(lambda rs: traded(rs) == Decimal("0.01"), new.order_id)

    assert kinds(got)[0] is ExecKind.ACCEPTED
    trades = [r for r in got if r.kind is ExecKind.TRADE]
    assert all(isinstance(t.last_price, Decimal) for t in trades)
    assert all(t.fee > 0 for t in trades)
    assert all(t.fee_currency == "USDT" for t in trades)
    assert all(t.liquidity is not None for t in trades)


async def test_ioc_remainder_reports_its_fills_before_it_expires(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    best_ask = server.sim.exchange.book_ticker("BTCUSDT").askPrice
    new = order(str(best_ask), quantity="5", time_in_force=TimeInForce.IOC)

    await venue.submit(new)
    got = await reports.wait_for(lambda rs: ExecKind.EXPIRED in kinds(rs), new.order_id)

    assert kinds(got)[0] is ExecKind.ACCEPTED
    assert kinds(got)[-1] is ExecKind.EXPIRED
    assert 0 < traded(got) < Decimal(5)
    record = server.sim.exchange.record_of(new.order_id)
    assert record is not None
    assert record.executed == traded(got)


async def test_price_off_the_tick_is_rejected_before_it_is_sent(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    new = order("60000.005")

    await venue.submit(new)
    rejected = await reports.wait_kind(new.order_id, ExecKind.REJECTED)

    assert rejected.reason is not None
    assert "increment" in rejected.reason
    assert server.sim.exchange.orders_placed == 0


async def test_quantity_off_the_lot_is_rejected_before_it_is_sent(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    new = order(quantity="0.0010001")

    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.REJECTED)

    assert server.sim.exchange.orders_placed == 0


async def test_insufficient_funds_is_a_rejected_report(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    new = order("60000.00", quantity="50", side=Side.SELL)

    await venue.submit(new)
    rejected = await reports.wait_kind(new.order_id, ExecKind.REJECTED)

    assert rejected.reason is not None
    assert rejected.reason.startswith("REJECTED")
    assert server.sim.exchange.orders_placed == 0


async def test_resting_order_filled_by_the_market_arrives_over_the_websocket(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    ask = server.sim.exchange.book_ticker("BTCUSDT").askPrice
    new = order(str(ask), quantity="0.001", side=Side.SELL)
    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    for _ in range(500):  # the seeded noise trader lifts the offer sooner or later
        server.step_market()
        if server.sim.exchange.record_of(new.order_id).status == "FILLED":  # type: ignore[union-attr]
            break
    got = await reports.wait_for(lambda rs: traded(rs) == Decimal("0.001"), new.order_id)

    assert ExecKind.TRADE in kinds(got)
    fills = await venue.fills_since(0)
    assert [f.order_id for f in fills] == [new.order_id]
    assert fills[0].side is Side.SELL


async def test_fills_since_a_later_time_leaves_earlier_fills_out(
    venue: CcxtVenue, reports: Reports
) -> None:
    new = order("70000.00")
    await venue.submit(new)
    trade = await reports.wait_kind(new.order_id, ExecKind.TRADE)

    assert await venue.fills_since(trade.ts_event + 1_000_000) == []
    assert [f.order_id for f in await venue.fills_since(trade.ts_event)] == [new.order_id]


async def test_replace_is_refused_as_a_report(venue: CcxtVenue, reports: Reports) -> None:
    from ordergate.venues.base import ReplaceRequest

    await venue.replace(ReplaceRequest(order_id="T-x", venue_order_id=None, symbol="BTC-USD"))

    refused = await reports.wait_kind("T-x", ExecKind.REPLACE_REJECTED)
    assert refused.reason


async def test_without_websockets_reports_come_by_polling(
    sim_config: Callable[..., CcxtVenueConfig], server: BinanceSimServer
) -> None:
    venue = CcxtVenue(sim_config(use_websocket=False, poll_interval_s=0.05))
    await venue.connect()
    reports = Reports(venue)
    try:
        new = order()
        await venue.submit(new)
        await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)
        # Canceled behind the adapter's back: only a poll can tell.
        server.sim.run(
            lambda now: server.sim.exchange.cancel_order(
                {"symbol": "BTCUSDT", "origClientOrderId": new.order_id}, now
            )
        )
        await reports.wait_kind(new.order_id, ExecKind.CANCELED)
    finally:
        await venue.disconnect()
        await reports.close()


async def test_fill_while_the_stream_was_down_is_reported_after_it_comes_back(
    sim_config: Callable[..., CcxtVenueConfig],
) -> None:
    from ordergate.sim.binance import BinanceSim

    server = BinanceSimServer(BinanceSim(seed=3))
    await server.start()
    port = server.port
    venue = CcxtVenue(sim_config())
    # Point the adapter at this server rather than the fixture's.
    venue.exchange.urls["api"]["public"] = f"{server.url}/api/v3"
    venue.exchange.urls["api"]["private"] = f"{server.url}/api/v3"
    venue.exchange.urls["api"]["ws"] = {
        "spot": f"{server.ws_url}/ws",
        "ws-api": {"spot": f"{server.ws_url}/ws-api/v3"},
    }
    await venue.connect()
    reports = Reports(venue)
    restarted = BinanceSimServer(server.sim, port=port)
    try:
        ask = server.sim.exchange.book_ticker("BTCUSDT").askPrice
        new = order(str(ask), quantity="0.001", side=Side.SELL)
        await venue.submit(new)
        await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)
        await server.stop()  # the stream drops; the fill below is never streamed
        for _ in range(500):
            server.sim.step_market()
            if server.sim.exchange.record_of(new.order_id).status == "FILLED":  # type: ignore[union-attr]
                break
        await restarted.start()

        got = await reports.wait_for(lambda rs: traded(rs) == Decimal("0.001"), new.order_id)
    finally:
        await venue.disconnect()
        await reports.close()
        await restarted.stop()

    assert kinds(got) == [ExecKind.ACCEPTED, ExecKind.TRADE]


async def test_market_data_yields_exact_quotes_and_trades(
    venue: CcxtVenue, server: BinanceSimServer
) -> None:
    from ordergate.domain.reports import Quote, TradeTick

    stream = venue.market_data()
    seen: dict[type, Quote | TradeTick] = {}

    async def read() -> None:
        async for item in stream:
            seen.setdefault(type(item), item)
            if len(seen) == 2:
                return

    reader = asyncio.create_task(read())
    async with asyncio.timeout(10):
        while not reader.done():
            server.step_market()  # quotes change; the noise trader prints trades
            await asyncio.sleep(0.05)
    await reader
    await stream.aclose()  # type: ignore[attr-defined]

    quote = seen[Quote]
    assert isinstance(quote, Quote)
    assert quote.symbol in ("BTC-USD", "ETH-USD")
    assert quote.bid_price is not None
    assert quote.ask_price is not None
    assert quote.bid_price < quote.ask_price
    trade = seen[TradeTick]
    assert isinstance(trade, TradeTick)
    assert isinstance(trade.price, Decimal)


async def test_stop_orders_rest_at_the_venue_as_binance_stop_types(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    stop_limit = order("60000.00", side=Side.SELL, order_type=OrderType.STOP_LIMIT)
    stop_limit = msgspec.structs.replace(stop_limit, stop_price=Decimal("60100.00"))
    stop = order(None, side=Side.SELL, order_type=OrderType.STOP)
    stop = msgspec.structs.replace(stop, stop_price=Decimal("60100.00"))

    for new in (stop_limit, stop):
        await venue.submit(new)
        await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    types = {o.clientOrderId: (o.type, o.stopPrice) for o in server.sim.exchange.open_orders({})}
    assert types == {
        stop_limit.order_id: ("STOP_LOSS_LIMIT", Decimal("60100.00")),
        stop.order_id: ("STOP_LOSS", Decimal("60100.00")),
    }


async def test_day_order_rests_as_gtc(
    venue: CcxtVenue, reports: Reports, server: BinanceSimServer
) -> None:
    new = order(time_in_force=TimeInForce.DAY)

    await venue.submit(new)
    await reports.wait_kind(new.order_id, ExecKind.ACCEPTED)

    assert (
        server.sim.exchange.query_order(
            {"symbol": "BTCUSDT", "origClientOrderId": new.order_id}
        ).timeInForce
        == "GTC"
    )


async def test_a_restarted_adapter_reconciles_orders_and_fills_by_our_ids(
    venue: CcxtVenue, reports: Reports, sim_config: Callable[..., CcxtVenueConfig]
) -> None:
    resting, filled = order(), order("70000.00")
    for new in (resting, filled):
        await venue.submit(new)
    await reports.wait_kind(filled.order_id, ExecKind.TRADE)
    await reports.wait_kind(resting.order_id, ExecKind.ACCEPTED)

    fresh = CcxtVenue(sim_config())  # knows nothing of the orders above
    await fresh.connect()
    try:
        open_ids = [o.order_id for o in await fresh.open_orders()]
        fills = await fresh.fills_since(0)
    finally:
        await fresh.disconnect()

    assert open_ids == [resting.order_id]
    assert {f.order_id for f in fills} == {filled.order_id}
    assert sum(f.quantity for f in fills) == filled.quantity
