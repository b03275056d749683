"""Properties over random order flow: the book never crosses, fills never exceed quantity."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.sim.engine import MatchingEngine
from ordergate.venues.base import ReplaceRequest

from .helpers import AAPL, T0

prices = st.integers(min_value=18_990, max_value=19_010).map(lambda c: Decimal(c) / 100)
quantities = st.integers(min_value=1, max_value=20).map(Decimal)
new_orders = st.builds(
    lambda side, kind, price, stop, qty, tif: (side, kind, price, stop, qty, tif),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.sampled_from(list(OrderType)),
    prices,
    prices,
    quantities,
    st.sampled_from([TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK]),
)
actions = st.one_of(
    st.tuples(st.just("new"), new_orders),
    st.tuples(st.just("cancel"), st.integers(0, 60)),
    st.tuples(st.just("replace"), st.tuples(st.integers(0, 60), quantities, prices)),
)


def to_order(
    n: int, spec: tuple[str, OrderType, Decimal, Decimal, Decimal, TimeInForce]
) -> VenueOrder:
    side, kind, price, stop, quantity, tif = spec
    return VenueOrder(
        order_id=f"o{n}",
        account="ACC-1",
        symbol="AAPL",
        side=side,
        order_type=kind,
        quantity=quantity,
        price=price if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
        stop_price=stop if kind in (OrderType.STOP, OrderType.STOP_LIMIT) else None,
        time_in_force=tif,
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(actions, max_size=60))
def test_random_order_flow_never_crosses_and_never_overfills(
    script: list[tuple[str, object]],
) -> None:
    engine = MatchingEngine([AAPL])
    quantity: dict[str, Decimal] = {}
    filled: dict[str, Decimal] = defaultdict(Decimal)
    reports: list[ExecutionReport] = []

    for n, (action, arg) in enumerate(script):
        now = T0 + n
        if action == "new":
            order = to_order(n, arg)  # type: ignore[arg-type]
            quantity[order.order_id] = order.quantity
            out = engine.submit(order, now)
        elif action == "cancel":
            out = engine.cancel(f"o{arg}", now)
        else:
            target, new_quantity, new_price = arg  # type: ignore[misc]
            out = engine.replace(
                ReplaceRequest(
                    order_id=f"o{target}",
                    venue_order_id=None,
                    symbol="AAPL",
                    quantity=new_quantity,
                    price=new_price,
                ),
                now,
            )
        reports += out
        for r in out:
            if r.kind is ExecKind.REPLACED and r.quantity is not None:
                quantity[r.order_id] = r.quantity
            if r.kind is ExecKind.TRADE and r.last_quantity is not None:
                filled[r.order_id] += r.last_quantity

        book = engine.book("AAPL")
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask
        for order_id, total in filled.items():
            assert total <= quantity[order_id]

    # The fill log, open orders and the reports tell the same story.
    assert {f.execution_id for f in engine.fills_since(0)} == {
        r.execution_id for r in reports if r.kind is ExecKind.TRADE
    }
    for status in engine.open_orders():
        assert status.filled_quantity == filled.get(status.order_id, Decimal(0))
        assert status.filled_quantity < status.quantity
