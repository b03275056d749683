"""The OMS trading through a managed venue: one venue to the OMS, re-sync via reconcile."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from ordergate.clock import TestClock
from ordergate.domain.commands import CancelOrder, SubmitOrder
from ordergate.domain.order import Order
from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.eventstore import EventRecorder
from ordergate.gateway.connections import BreakerConfig, ManagedVenue
from ordergate.gateway.errors import VenueErrorKind
from ordergate.oms.service import OrderManager
from ordergate.sim.venue import SimVenue
from tests.oms.conftest import store  # noqa: F401  (fixture)

from .helpers import AAPL, FAST, SECOND, order, sim, until


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def venues(clock: TestClock) -> list[SimVenue]:
    return [sim("SIM", clock), sim("SIM", clock)]


@pytest.fixture
async def setup(
    store: EventRecorder,  # noqa: F811
    clock: TestClock,
    venues: list[SimVenue],
) -> AsyncIterator[tuple[OrderManager, ManagedVenue]]:
    managed = ManagedVenue(
        "SIM",
        venues,
        clock=clock,
        settings=FAST,
        breaker=BreakerConfig(failure_threshold=2, cooldown_ns=5 * SECOND),
    )
    oms = OrderManager(
        store=store,
        instruments=[AAPL],
        venues={"SIM": managed},
        clock=clock,
    )
    managed.set_resync_handler(oms.reconcile)
    await oms.start()
    yield oms, managed
    await oms.stop()


def buy(client_order_id: str, quantity: str = "10", price: str = "100") -> SubmitOrder:
    return SubmitOrder(
        client_order_id=client_order_id,
        account="ACC-1",
        symbol="AAPL",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal(quantity),
        price=Decimal(price),
        time_in_force=TimeInForce.GTC,
        venue="SIM",
    )


async def settled(oms: OrderManager, order_id: str, check: Callable[[Order], bool]) -> Order:
    await until(lambda: check(oms.get(order_id)))
    return oms.get(order_id)


async def test_oms_orders_spread_over_connections_and_cancel_reaches_the_holder(
    setup: tuple[OrderManager, ManagedVenue], venues: list[SimVenue]
) -> None:
    oms, _ = setup
    first = (await oms.submit(buy("C-1"))).order
    second = (await oms.submit(buy("C-2"))).order
    await settled(oms, second.id, lambda o: o.status is OrderStatus.NEW)

    await oms.cancel(CancelOrder(order_id=second.id))

    await settled(oms, second.id, lambda o: o.status is OrderStatus.CANCELED)
    assert [r.order_id for r in venues[0].engine.open_orders()] == [first.id]
    assert venues[1].engine.open_orders() == []


async def test_fill_missed_during_an_outage_reaches_the_oms_through_reconcile(
    setup: tuple[OrderManager, ManagedVenue], venues: list[SimVenue], clock: TestClock
) -> None:
    oms, managed = setup
    placed = (await oms.submit(buy("C-1"))).order
    await settled(oms, placed.id, lambda o: o.status is OrderStatus.NEW)
    clock.advance(SECOND)

    await venues[0].disconnect()
    venues[0].engine.submit(order("X-1", Side.SELL, "10", "100", account="OTHER"), clock.now_ns())

    filled = await settled(oms, placed.id, lambda o: o.status is OrderStatus.FILLED)
    await until(lambda: managed.resyncs == 1)
    assert filled.filled_quantity == Decimal(10)
    assert len(oms.projections.fills[placed.id]) == 1  # counted once: stream and reconcile


async def test_breaker_refusal_reaches_the_oms_as_a_rejected_order(
    setup: tuple[OrderManager, ManagedVenue], clock: TestClock
) -> None:
    oms, managed = setup
    managed.breaker.record_failure(VenueErrorKind.UNKNOWN_OUTCOME, clock.now_ns(), "timeout")
    managed.breaker.record_failure(VenueErrorKind.UNKNOWN_OUTCOME, clock.now_ns(), "timeout")

    placed = (await oms.submit(buy("C-1"))).order

    rejected = await settled(oms, placed.id, lambda o: o.status is OrderStatus.REJECTED)
    assert rejected.last_reason is not None
    assert rejected.last_reason.startswith("circuit breaker open for SIM")
