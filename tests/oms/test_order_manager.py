"""The OMS application: commands, execution reports, idempotency, replay and snapshots."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from ordergate.domain.commands import CancelAllOrders, CancelOrder, ModifyOrder, SubmitOrder
from ordergate.domain.errors import ErrorCode, OrderError
from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.eventstore import EventRecorder
from ordergate.oms.service import OrderManager
from tests.oms.conftest import AAPL
from tests.oms.scripted_venue import ScriptedVenue


def limit(
    client_order_id: str = "c1", quantity: str = "100", price: str | None = "190.00", **kw: object
) -> SubmitOrder:
    fields: dict[str, object] = {
        "client_order_id": client_order_id,
        "account": "ACC1",
        "symbol": "AAPL",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": Decimal(quantity),
        "price": None if price is None else Decimal(price),
        "time_in_force": TimeInForce.GTC,
    }
    fields.update(kw)
    return SubmitOrder(**fields)  # type: ignore[arg-type]


async def test_submit_is_durable_before_it_is_sent_to_the_venue(
    oms: OrderManager, store: EventRecorder, venue: ScriptedVenue
) -> None:
    result = await oms.submit(limit())

    assert result.created
    assert result.order.status is OrderStatus.PENDING_NEW
    records = await store.read_stream(result.order.id)
    assert [r.type for r in records] == ["OrderSubmitted"]
    assert venue.submitted[0].order_id == result.order.id
    assert venue.submitted[0].price == Decimal("190.00")


async def test_same_client_order_id_and_body_returns_the_existing_order(
    oms: OrderManager, store: EventRecorder
) -> None:
    first = await oms.submit(limit(quantity="100"))
    again = await oms.submit(limit(quantity="100.0"))  # same terms, other spelling

    assert not again.created
    assert again.order.id == first.order.id
    assert await store.last_position() == 1


async def test_same_client_order_id_with_other_terms_is_refused_and_writes_nothing(
    oms: OrderManager, store: EventRecorder
) -> None:
    await oms.submit(limit(quantity="100"))

    with pytest.raises(OrderError) as refused:
        await oms.submit(limit(quantity="200"))

    assert refused.value.code is ErrorCode.DUPLICATE_CLIENT_ORDER_ID
    assert refused.value.field == "client_order_id"
    assert await store.last_position() == 1


async def test_concurrent_submits_of_one_client_order_id_create_one_order(
    oms: OrderManager, store: EventRecorder, venue: ScriptedVenue
) -> None:
    results = await asyncio.gather(*(oms.submit(limit()) for _ in range(20)))

    assert sum(r.created for r in results) == 1
    assert len({r.order.id for r in results}) == 1
    assert len(venue.submitted) == 1
    assert await store.last_position() == 1


async def test_refused_order_writes_nothing(oms: OrderManager, store: EventRecorder) -> None:
    with pytest.raises(OrderError) as refused:
        await oms.submit(limit(price="190.005"))

    assert refused.value.code is ErrorCode.PRICE_OFF_TICK
    assert await store.last_position() == 0
    assert oms.projections.orders == {}


async def test_unknown_venue_and_unsupported_order_type_are_refused(oms: OrderManager) -> None:
    with pytest.raises(OrderError) as unknown:
        await oms.submit(limit(venue="NOWHERE"))
    with pytest.raises(OrderError) as unsupported:
        await oms.submit(
            limit(
                "c2",
                order_type=OrderType.STOP,
                price=None,
                stop_price=Decimal("200"),
            )
        )

    assert unknown.value.code is ErrorCode.UNKNOWN_VENUE
    assert unsupported.value.code is ErrorCode.UNSUPPORTED_BY_VENUE


async def test_fills_update_order_fills_and_positions_exactly(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    order = (await oms.submit(limit(quantity="300"))).order
    await oms.handle_report(venue.ack(order.id))
    await oms.handle_report(venue.trade(order.id, "100", "190.01"))
    await oms.handle_report(venue.trade(order.id, "200", "190.02"))

    done = oms.get(order.id)
    assert done.status is OrderStatus.FILLED
    assert done.filled_quantity == Decimal(300)
    assert done.leaves_quantity == 0
    assert done.notional == Decimal("57005.00")
    assert done.average_fill_price == Decimal("57005.00") / Decimal(300)
    assert done.fees == Decimal("0.02")
    assert [f.quantity for f in oms.projections.fills[order.id]] == [Decimal(100), Decimal(200)]
    position = oms.projections.positions[("ACC1", "AAPL")]
    assert position.quantity == Decimal(300)
    assert position.unrealized_pnl(Decimal("191.00")) == Decimal(295)


async def test_duplicate_fill_is_counted_once(oms: OrderManager, venue: ScriptedVenue) -> None:
    order = (await oms.submit(limit(quantity="300"))).order
    fill = venue.trade(order.id, "100", "190.01", execution_id="X1")
    await oms.handle_report(fill)
    await oms.handle_report(fill)

    assert oms.get(order.id).filled_quantity == Decimal(100)
    assert len(oms.projections.fills[order.id]) == 1


async def test_modify_sends_a_replace_and_keeps_the_order_identity(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    order = (await oms.submit(limit(quantity="100"))).order
    await oms.handle_report(venue.ack(order.id))

    pending = await oms.modify(ModifyOrder(order_id=order.id, quantity=Decimal(150)))
    await oms.handle_report(
        ExecutionReport(
            kind=ExecKind.REPLACED, venue=venue.name, order_id=order.id, quantity=Decimal(150)
        )
    )

    assert pending.status is OrderStatus.PENDING_REPLACE
    assert venue.replaced[0].quantity == Decimal(150)
    assert venue.replaced[0].price == Decimal("190.00")
    replaced = oms.get(order.id)
    assert replaced.id == order.id
    assert replaced.status is OrderStatus.NEW
    assert replaced.quantity == Decimal(150)


async def test_modify_below_filled_quantity_is_refused(
    oms: OrderManager, venue: ScriptedVenue, store: EventRecorder
) -> None:
    order = (await oms.submit(limit(quantity="100"))).order
    await oms.handle_report(venue.ack(order.id))
    await oms.handle_report(venue.trade(order.id, "60", "190.00"))
    before = await store.last_position()

    with pytest.raises(OrderError) as refused:
        await oms.modify(ModifyOrder(order_id=order.id, quantity=Decimal(50)))

    assert refused.value.code is ErrorCode.MODIFY_BELOW_FILLED
    assert await store.last_position() == before


async def test_cancel_then_venue_cancel_ends_the_order(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    order = (await oms.submit(limit())).order
    await oms.handle_report(venue.ack(order.id))

    pending = await oms.cancel(CancelOrder(order_id=order.id))
    await oms.handle_report(
        ExecutionReport(kind=ExecKind.CANCELED, venue=venue.name, order_id=order.id)
    )

    assert pending.status is OrderStatus.PENDING_CANCEL
    assert venue.canceled == [order.id]
    assert oms.get(order.id).status is OrderStatus.CANCELED
    with pytest.raises(OrderError) as refused:
        await oms.cancel(CancelOrder(order_id=order.id))
    assert refused.value.code is ErrorCode.ORDER_NOT_OPEN


async def test_cancel_of_unknown_order_is_not_found(oms: OrderManager) -> None:
    with pytest.raises(OrderError) as refused:
        await oms.cancel(CancelOrder(order_id="O-nope"))
    assert refused.value.code is ErrorCode.ORDER_NOT_FOUND


async def test_cancel_all_cancels_only_matching_open_orders(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    buy = (await oms.submit(limit("b1"))).order
    sell = (await oms.submit(limit("s1", side=Side.SELL, price="195.00"))).order
    other = (await oms.submit(limit("o1", account="ACC2"))).order
    for order in (buy, sell, other):
        await oms.handle_report(venue.ack(order.id))

    canceled = await oms.cancel_all(CancelAllOrders(account="ACC1", side=Side.BUY))

    assert [o.id for o in canceled] == [buy.id]
    assert oms.get(sell.id).status is OrderStatus.NEW
    assert oms.get(other.id).status is OrderStatus.NEW


async def test_unreachable_venue_rejects_the_order(
    store: EventRecorder,
) -> None:
    from ordergate.clock import TestClock

    venue = ScriptedVenue(fail_sends=True)
    manager = OrderManager(
        store=store, instruments=[AAPL], venues={venue.name: venue}, clock=TestClock()
    )
    await manager.start()
    try:
        result = await manager.submit(limit())
    finally:
        await manager.stop()

    assert result.order.status is OrderStatus.REJECTED
    assert "venue down" in (result.order.last_reason or "")


async def test_report_for_unknown_order_changes_nothing(
    oms: OrderManager, venue: ScriptedVenue, store: EventRecorder
) -> None:
    assert await oms.handle_report(venue.trade("O-unknown", "1", "190")) is None
    assert await store.last_position() == 0


async def test_illegal_report_is_refused_and_writes_nothing(
    oms: OrderManager, venue: ScriptedVenue, store: EventRecorder
) -> None:
    order = (await oms.submit(limit())).order
    await oms.handle_report(venue.ack(order.id))

    after = await oms.handle_report(
        ExecutionReport(kind=ExecKind.REPLACED, venue=venue.name, order_id=order.id)
    )

    assert after is not None
    assert after.status is OrderStatus.NEW
    assert await store.last_position() == 2


async def test_reports_flow_through_the_venue_stream(
    oms: OrderManager, venue: ScriptedVenue
) -> None:
    order = (await oms.submit(limit())).order
    subscription = oms.hub.subscribe()

    await venue._queue.put(venue.ack(order.id))
    await venue._queue.put(venue.trade(order.id, "100", "190.00"))
    received = []
    async for position, event in subscription:
        received.append((position, type(event).__name__))
        if len(received) == 2:
            break

    assert received == [(2, "OrderAccepted"), (3, "OrderFilled")]


async def test_replaying_the_log_rebuilds_exactly_the_live_state(
    store: EventRecorder, oms: OrderManager, venue: ScriptedVenue
) -> None:
    for n in range(5):
        order = (
            await oms.submit(limit(f"c{n}", quantity="10", side=Side.BUY if n % 2 else Side.SELL))
        ).order
        await oms.handle_report(venue.ack(order.id))
        await oms.handle_report(venue.trade(order.id, "4", f"190.0{n}"))
        if n % 2:
            await oms.cancel(CancelOrder(order_id=order.id))

    rebuilt = OrderManager(store=store, instruments=[AAPL], venues={}, clock=oms.clock)
    await rebuilt.start()

    assert rebuilt.projections.orders == oms.projections.orders
    assert rebuilt.projections.fills == oms.projections.fills
    assert rebuilt.projections.positions == oms.projections.positions
    assert rebuilt.projections.by_client_id == oms.projections.by_client_id


async def test_an_order_with_thousands_of_events_loads_from_its_snapshot(
    oms: OrderManager, venue: ScriptedVenue, store: EventRecorder
) -> None:
    order = (await oms.submit(limit(quantity="5000"))).order
    await oms.handle_report(venue.ack(order.id))
    for n in range(1, 2001):
        await oms.handle_report(venue.trade(order.id, "1", "190.00", execution_id=f"F{n}"))

    snapshot = await store.load_snapshot(order.id)
    loaded = await oms.load(order.id)

    assert snapshot is not None
    assert snapshot.version == 2000
    assert loaded == oms.get(order.id)
    assert loaded.version == 2002
    assert loaded.filled_quantity == Decimal(2000)
