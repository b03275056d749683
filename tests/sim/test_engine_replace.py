"""Cancel and replace: priority rules, rejects, REPLACED terms, crossing after replace."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderType, TimeInForce
from ordergate.sim.engine import MatchingEngine
from ordergate.venues.base import ReplaceRequest

from .helpers import T0, fills, kinds, limit, market, order


def replace(order_id: str, **terms: object) -> ReplaceRequest:
    values = {
        k: Decimal(str(v)) if k in ("quantity", "price", "stop_price") else v
        for k, v in terms.items()
    }
    return ReplaceRequest(order_id=order_id, venue_order_id=None, symbol="AAPL", **values)  # type: ignore[arg-type]


def queue_after_replace(engine: MatchingEngine, **terms: object) -> list[str]:
    """Rest s1 then s2 at 190.00, replace s1 with ``terms``, return who a sweep fills first."""
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "10", "190.00"), T0)
    engine.replace(replace("s1", **terms), T0 + 1)
    reports = engine.submit(market("b1", "BUY", "1"), T0 + 2)
    return [r.order_id for r in reports if r.kind is ExecKind.TRADE and r.order_id != "b1"]


def test_quantity_decrease_keeps_time_priority(engine: MatchingEngine) -> None:
    assert queue_after_replace(engine, quantity="5") == ["s1"]
    assert engine.top_of_book("AAPL").ask_size == Decimal(14)


def test_quantity_increase_loses_time_priority(engine: MatchingEngine) -> None:
    assert queue_after_replace(engine, quantity="20") == ["s2"]


def test_price_change_loses_time_priority(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "10", "190.00"), T0)
    engine.replace(replace("s1", price="190.01"), T0 + 1)
    engine.replace(replace("s1", price="190.00"), T0 + 2)

    reports = engine.submit(market("b1", "BUY", "1"), T0 + 3)

    assert fills(reports, "s2") == [(Decimal(1), Decimal("190.00"))]


def test_replaced_report_carries_the_new_terms(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00", tif=TimeInForce.DAY), T0)

    reports = engine.replace(
        replace("s1", quantity="8", price="190.05", time_in_force=TimeInForce.GTC), T0 + 1
    )

    assert kinds(reports) == [(ExecKind.REPLACED, "s1")]
    r = reports[0]
    assert (r.quantity, r.price, r.time_in_force) == (
        Decimal(8),
        Decimal("190.05"),
        TimeInForce.GTC,
    )
    assert r.venue_order_id == "SIM-1"


def test_replaced_order_that_now_crosses_trades_at_once(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "5", "190.10"), T0)
    engine.submit(limit("b1", "BUY", "5", "190.00"), T0)

    reports = engine.replace(replace("b1", price="190.10"), T0 + 1)

    assert kinds(reports) == [
        (ExecKind.REPLACED, "b1"),
        (ExecKind.TRADE, "s1"),
        (ExecKind.TRADE, "b1"),
    ]
    assert fills(reports, "b1") == [(Decimal(5), Decimal("190.10"))]


def test_replace_to_at_or_below_the_filled_quantity_is_rejected(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("b1", "BUY", "4", "190.00"), T0)

    reports = engine.replace(replace("s1", quantity="4"), T0 + 1)

    assert kinds(reports) == [(ExecKind.REPLACE_REJECTED, "s1")]
    assert reports[0].reason == "new quantity 4 is not above the filled quantity 4"
    assert engine.top_of_book("AAPL").ask_size == Decimal(6)


def test_replace_keeps_filled_quantity_and_rests_the_difference(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("b1", "BUY", "4", "190.00"), T0)

    engine.replace(replace("s1", quantity="5"), T0 + 1)

    status = engine.order_status("s1")
    assert status is not None
    assert (status.quantity, status.filled_quantity) == (Decimal(5), Decimal(4))
    assert engine.top_of_book("AAPL").ask_size == Decimal(1)


@pytest.mark.parametrize(
    ("setup", "terms", "reason"),
    [
        (False, {}, "unknown order 's1'"),
        (True, {"price": "190.001"}, "price 190.001 is not on the tick size 0.01"),
        (True, {"quantity": "0"}, "new quantity 0 is not above the filled quantity 0"),
        (True, {"stop_price": "180"}, "stop price can change only on a stop order"),
        (True, {"time_in_force": TimeInForce.IOC}, "cannot replace a resting order to IOC"),
        (True, {"time_in_force": TimeInForce.GTD}, "a replace carries no expire time"),
    ],
)
def test_invalid_replace_is_rejected_and_changes_nothing(
    engine: MatchingEngine, setup: bool, terms: dict[str, object], reason: str
) -> None:
    if setup:
        engine.submit(limit("s1", "SELL", "10", "190.00"), T0)

    reports = engine.replace(replace("s1", **terms), T0 + 1)

    assert kinds(reports) == [(ExecKind.REPLACE_REJECTED, "s1")]
    assert reports[0].reason is not None
    assert reports[0].reason.startswith(reason)
    assert engine.top_of_book("AAPL").ask_size == (Decimal(10) if setup else Decimal(0))


def test_replace_of_a_filled_order_is_rejected(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("b1", "BUY", "10", "190.00"), T0)

    reports = engine.replace(replace("s1", quantity="20"), T0 + 1)

    assert kinds(reports) == [(ExecKind.REPLACE_REJECTED, "s1")]
    assert reports[0].reason == "order 's1' is already FILLED"


def test_replace_moves_a_waiting_stop(engine: MatchingEngine) -> None:
    engine.submit(limit("ask", "SELL", "10", "190.50"), T0)
    engine.submit(order("st", "BUY", "5", OrderType.STOP, stop="190.40"), T0)
    engine.replace(replace("st", stop_price="190.20"), T0 + 1)

    engine.submit(limit("ms", "SELL", "1", "190.20"), T0 + 2, internal=True)
    reports = engine.submit(limit("mb", "BUY", "1", "190.20"), T0 + 2, internal=True)

    assert fills(reports, "st") == [(Decimal(5), Decimal("190.50"))]


def test_cancel_of_unknown_order_is_cancel_rejected(engine: MatchingEngine) -> None:
    reports = engine.cancel("nope", T0)

    assert kinds(reports) == [(ExecKind.CANCEL_REJECTED, "nope")]
    assert reports[0].reason == "unknown order 'nope'"


def test_cancel_of_finished_order_is_cancel_rejected(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.cancel("s1", T0 + 1)

    reports = engine.cancel("s1", T0 + 2)

    assert kinds(reports) == [(ExecKind.CANCEL_REJECTED, "s1")]
    assert reports[0].reason == "order 's1' is already CANCELED"
    assert reports[0].venue_order_id == "SIM-1"


def test_cancel_with_the_wrong_symbol_is_cancel_rejected(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)

    reports = engine.cancel("s1", T0 + 1, symbol="BTC-USD")

    assert kinds(reports) == [(ExecKind.CANCEL_REJECTED, "s1")]
    assert engine.top_of_book("AAPL").ask_size == Decimal(10)
