"""Validation: every bad order is REJECTED with a clear reason and changes nothing."""

from __future__ import annotations

import pytest

from ordergate.domain.reports import ExecKind, VenueOrder
from ordergate.domain.values import OrderType, TimeInForce
from ordergate.sim.engine import MatchingEngine

from .helpers import T0, kinds, limit, order


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (limit("x", "BUY", "1", "1.00", symbol="TSLA"), "unknown symbol 'TSLA'"),
        (limit("x", "BUY", "0", "190.00"), "quantity 0 must be positive"),
        (limit("x", "BUY", "-5", "190.00"), "quantity -5 must be positive"),
        (limit("x", "BUY", "1.5", "190.00"), "quantity 1.5 is not a multiple of the lot size 1"),
        (
            limit("x", "BUY", "0.000001", "65000.00", symbol="BTC-USD"),
            "quantity 0.000001 is below the minimum 0.00001",
        ),
        (
            limit("x", "BUY", "0.00001", "65000.00", symbol="BTC-USD"),
            "notional 0.6500000 is below the minimum 1",
        ),
        (limit("x", "BUY", "1", "190.005"), "price 190.005 is not on the tick size 0.01"),
        (limit("x", "BUY", "1", "0"), "price 0 must be positive"),
        (order("x", "BUY", "1", OrderType.LIMIT), "LIMIT order needs a price"),
        (
            order("x", "BUY", "1", OrderType.STOP_LIMIT, stop="190"),
            "STOP_LIMIT order needs a price",
        ),
        (order("x", "BUY", "1", OrderType.STOP), "STOP order needs a stop price"),
        (order("x", "BUY", "1", OrderType.STOP, stop="190.001"), "stop price 190.001 is not on"),
        (order("x", "BUY", "1", OrderType.MARKET, "190.00"), "MARKET order takes no price"),
        (order("x", "BUY", "1", OrderType.LIMIT, "190.00", stop="1"), "LIMIT order takes no stop"),
        (limit("x", "BUY", "1", "190.00", tif=TimeInForce.GTD), "GTD order needs an expire time"),
        (
            limit("x", "BUY", "1", "190.00", tif=TimeInForce.GTD, expire_time=T0),
            f"expire time {T0} is not in the future",
        ),
    ],
)
def test_invalid_order_is_rejected_with_a_reason(
    engine: MatchingEngine, bad: VenueOrder, reason: str
) -> None:
    reports = engine.submit(bad, T0)

    assert kinds(reports) == [(ExecKind.REJECTED, "x")]
    assert reports[0].reason is not None
    assert reports[0].reason.startswith(reason)
    assert engine.open_orders() == []
    assert engine.order_status("x") is None


def test_duplicate_order_id_is_rejected_and_the_original_is_untouched(
    engine: MatchingEngine,
) -> None:
    engine.submit(limit("x", "BUY", "1", "190.00"), T0)

    reports = engine.submit(limit("x", "BUY", "5", "191.00"), T0 + 1)

    assert kinds(reports) == [(ExecKind.REJECTED, "x")]
    assert reports[0].reason == "duplicate order id 'x'"
    assert [(o.order_id, o.quantity) for o in engine.open_orders()] == [("x", 1)]


def test_invalid_internal_order_is_dropped_silently(engine: MatchingEngine) -> None:
    assert engine.submit(limit("x", "BUY", "0", "190.00"), T0, internal=True) == []
