"""The OMS trading over a real FIX session: FixVenue -> loopback -> the simulated FIX exchange."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from ordergate.clock import LiveClock, TestClock
from ordergate.domain.commands import CancelOrder, ModifyOrder, SubmitOrder
from ordergate.domain.order import Order
from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.eventstore import EventRecorder
from ordergate.fix.transport import url_stores
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.oms.service import OrderManager
from ordergate.sim.fix import SimFixExchange, acceptor_session
from tests.oms.conftest import AAPL, store  # noqa: F401  (fixture)

VERSIONS = ["FIX.4.2", "FIX.4.4"]


@pytest.fixture(params=VERSIONS)
def begin_string(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def exchange(begin_string: str) -> AsyncIterator[SimFixExchange]:
    exchange = SimFixExchange([AAPL], clock=LiveClock())
    await exchange.start([acceptor_session(begin_string, "EXCH", "OGATE")])
    yield exchange
    await exchange.stop()


@pytest.fixture
async def oms(
    store: EventRecorder,  # noqa: F811
    exchange: SimFixExchange,
    begin_string: str,
    tmp_path: object,
) -> AsyncIterator[OrderManager]:
    venue = FixVenue(
        FixVenueConfig(
            name="FIXSIM",
            begin_string=begin_string,
            sender_comp_id="OGATE",
            target_comp_id="EXCH",
            endpoints=[("127.0.0.1", exchange.port)],
            supports_mass_cancel=begin_string == "FIX.4.4",
        ),
        store_factory=url_stores(f"sqlite:///{tmp_path}/fix.db"),
    )
    manager = OrderManager(
        store=store, instruments=[AAPL], venues={"FIXSIM": venue}, clock=TestClock()
    )
    await manager.start()
    yield manager
    await manager.stop()


def order(client_order_id: str, side: Side, quantity: str, price: str) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=client_order_id,
        account="ACC1",
        symbol="AAPL",
        side=side,
        order_type=OrderType.LIMIT,
        quantity=Decimal(quantity),
        price=Decimal(price),
        time_in_force=TimeInForce.GTC,
        venue="FIXSIM",
    )


async def until(oms: OrderManager, order_id: str, check: Callable[[Order], bool]) -> Order:
    async with asyncio.timeout(5):
        while not check(current := oms.get(order_id)):
            await asyncio.sleep(0.005)
    return current


def settled(order: Order) -> bool:
    return order.status not in (
        OrderStatus.PENDING_NEW,
        OrderStatus.PENDING_CANCEL,
        OrderStatus.PENDING_REPLACE,
    )


async def test_order_life_over_fix(oms: OrderManager, exchange: SimFixExchange) -> None:
    # A limit sell rests.
    sell = (await oms.submit(order("s1", Side.SELL, "10", "190.00"))).order
    resting = await until(oms, sell.id, settled)
    assert resting.status is OrderStatus.NEW
    assert resting.venue_order_id is not None

    # A marketable buy takes 4 of it at the resting price.
    buy = (await oms.submit(order("b1", Side.BUY, "4", "191.00"))).order
    bought = await until(oms, buy.id, lambda o: o.status is OrderStatus.FILLED)
    partly = await until(oms, sell.id, lambda o: o.filled_quantity == 4)
    assert (bought.filled_quantity, bought.average_fill_price) == (Decimal(4), Decimal("190.00"))
    assert partly.status is OrderStatus.PARTIALLY_FILLED
    assert bought.fees == Decimal("0.15200000")

    # Replace the rest: 8 at 190.50 (a new ClOrdID, OrigClOrdID the first one).
    await oms.modify(ModifyOrder(order_id=sell.id, quantity=Decimal(8), price=Decimal("190.50")))
    replaced = await until(oms, sell.id, settled)
    assert replaced.status is OrderStatus.PARTIALLY_FILLED
    assert (replaced.quantity, replaced.price) == (Decimal(8), Decimal("190.50"))

    # Another buy fills against the replaced terms, found by the new ClOrdID chain.
    buy2 = (await oms.submit(order("b2", Side.BUY, "1", "190.50"))).order
    await until(oms, buy2.id, lambda o: o.status is OrderStatus.FILLED)
    await until(oms, sell.id, lambda o: o.filled_quantity == 5)

    # Cancel what is left.
    await oms.cancel(CancelOrder(order_id=sell.id))
    canceled = await until(oms, sell.id, settled)
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.filled_quantity == Decimal(5)
    assert canceled.average_fill_price == Decimal("190.10")

    position = oms.projections.positions[("ACC1", "AAPL")]
    assert position.quantity == Decimal(0)  # bought 5 from ourselves, sold 5


async def test_cancel_of_an_order_the_exchange_does_not_know_is_rejected(
    oms: OrderManager, exchange: SimFixExchange, begin_string: str
) -> None:
    placed = (await oms.submit(order("s1", Side.SELL, "10", "195.00"))).order
    await until(oms, placed.id, settled)
    assert exchange.lose_order(placed.id, f"{begin_string}:EXCH->OGATE")

    await oms.cancel(CancelOrder(order_id=placed.id))
    after = await until(oms, placed.id, settled)

    assert after.status is OrderStatus.NEW  # the cancel reject restores the status
    events = [type(event).__name__ for _, event in await oms.order_events(placed.id)]
    assert events[-1] == "OrderCancelRejected"


async def test_replace_rejected_by_the_exchange(oms: OrderManager) -> None:
    placed = (await oms.submit(order("s1", Side.SELL, "10", "195.00"))).order
    await until(oms, placed.id, settled)

    # The exchange refuses a price off the tick (the OMS checks ticks too, so ask for a
    # change the engine refuses: a time in force a resting order cannot take).
    await oms.modify(ModifyOrder(order_id=placed.id, time_in_force=TimeInForce.IOC))
    after = await until(oms, placed.id, settled)

    assert after.status is OrderStatus.NEW
    assert after.time_in_force is TimeInForce.GTC
    events = [type(event).__name__ for _, event in await oms.order_events(placed.id)]
    assert events[-1] == "OrderReplaceRejected"


async def test_unknown_symbol_is_rejected_by_the_exchange(begin_string: str) -> None:
    from ordergate.domain.reports import ExecKind, VenueOrder

    exchange = SimFixExchange([AAPL], clock=LiveClock())
    await exchange.start([acceptor_session(begin_string, "EXCH", "OGATE")])
    venue = FixVenue(
        FixVenueConfig(
            name="FIXSIM",
            begin_string=begin_string,
            sender_comp_id="OGATE",
            target_comp_id="EXCH",
            endpoints=[("127.0.0.1", exchange.port)],
        )
    )
    await venue.connect()
    try:
        await venue.submit(
            VenueOrder(
                order_id="O-9",
                account="ACC1",
                symbol="TSLA",
                side=Side.BUY,
                order_type=OrderType.MARKET,
                quantity=Decimal(1),
                time_in_force=TimeInForce.IOC,
            )
        )
        reports = venue.execution_reports()
        async with asyncio.timeout(5):
            report = await anext(reports)
        assert report.kind is ExecKind.REJECTED
        assert report.reason == "unknown symbol: 'TSLA' is not traded on FIXSIM"
    finally:
        await venue.disconnect()
        await exchange.stop()


async def test_session_level_reject_of_an_order_rejects_it_in_the_oms(
    store: EventRecorder,  # noqa: F811
    exchange: SimFixExchange,
    begin_string: str,
    tmp_path: object,
) -> None:
    # Tag 9001 is not in the exchange's dictionary: it answers the NewOrderSingle with a
    # session-level Reject(3) that names only RefSeqNum(45).
    venue = FixVenue(
        FixVenueConfig(
            name="FIXSIM",
            begin_string=begin_string,
            sender_comp_id="OGATE",
            target_comp_id="EXCH",
            endpoints=[("127.0.0.1", exchange.port)],
            extra_tags={"D": {9001: "X"}},
        ),
        store_factory=url_stores(f"sqlite:///{tmp_path}/fix.db"),
    )
    manager = OrderManager(
        store=store, instruments=[AAPL], venues={"FIXSIM": venue}, clock=TestClock()
    )
    await manager.start()
    try:
        placed = (await manager.submit(order("r1", Side.BUY, "1", "190.00"))).order
        rejected = await until(manager, placed.id, settled)
        assert rejected.status is OrderStatus.REJECTED
    finally:
        await manager.stop()
