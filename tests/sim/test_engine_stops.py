"""STOP and STOP_LIMIT orders trigger on the last trade price."""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderStatus, OrderType
from ordergate.sim.engine import MatchingEngine

from .helpers import T0, fills, kinds, limit, order


def print_trade(engine: MatchingEngine, price: str, now: int) -> None:
    """Make the last price ``price`` with a one-share trade between two internal orders."""
    engine.submit(limit(f"ms{now}", "SELL", "1", price), now, internal=True)
    engine.submit(limit(f"mb{now}", "BUY", "1", price), now, internal=True)


def test_buy_stop_waits_below_its_stop_and_triggers_at_last_at_or_above(
    engine: MatchingEngine,
) -> None:
    engine.submit(limit("ask", "SELL", "50", "190.20"), T0)
    accepted = engine.submit(order("stop", "BUY", "5", OrderType.STOP, stop="190.10"), T0)
    print_trade(engine, "190.09", T0 + 1)
    assert engine.fills_since(T0) == []
    status = engine.order_status("stop")
    assert status is not None
    assert status.status is OrderStatus.NEW

    engine.submit(limit("s", "SELL", "1", "190.10"), T0 + 2, internal=True)
    reports = engine.submit(limit("b", "BUY", "1", "190.10"), T0 + 2, internal=True)

    assert kinds(accepted) == [(ExecKind.ACCEPTED, "stop")]
    assert fills(reports, "stop") == [(Decimal(5), Decimal("190.20"))]


def test_sell_stop_triggers_at_last_at_or_below_its_stop(engine: MatchingEngine) -> None:
    engine.submit(limit("bid", "BUY", "50", "189.80"), T0)
    engine.submit(order("stop", "SELL", "5", OrderType.STOP, stop="189.90"), T0)
    engine.submit(limit("ms", "SELL", "1", "189.91"), T0 + 1, internal=True)
    assert engine.submit(limit("mb", "BUY", "1", "189.91"), T0 + 1, internal=True) == []

    engine.submit(limit("ms2", "SELL", "1", "189.90"), T0 + 2, internal=True)
    reports = engine.submit(limit("mb2", "BUY", "1", "189.90"), T0 + 2, internal=True)

    assert fills(reports, "stop") == [(Decimal(5), Decimal("189.80"))]
    status = engine.order_status("stop")
    assert status is not None
    assert status.status is OrderStatus.FILLED


def test_stop_limit_becomes_a_resting_limit_order_at_trigger(engine: MatchingEngine) -> None:
    engine.submit(limit("ask", "SELL", "2", "190.15"), T0)
    engine.submit(order("sl", "BUY", "5", OrderType.STOP_LIMIT, "190.15", stop="190.10"), T0)

    print_trade(engine, "190.10", T0 + 1)

    status = engine.order_status("sl")
    assert status is not None
    assert (status.status, status.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal(2))
    quote = engine.top_of_book("AAPL")
    assert (quote.bid_price, quote.bid_size) == (Decimal("190.15"), Decimal(3))


def test_stop_whose_trigger_is_already_crossed_executes_on_arrival(
    engine: MatchingEngine,
) -> None:
    print_trade(engine, "190.50", T0)
    engine.submit(limit("ask", "SELL", "10", "190.60"), T0)

    reports = engine.submit(order("stop", "BUY", "5", OrderType.STOP, stop="190.10"), T0 + 1)

    assert fills(reports, "stop") == [(Decimal(5), Decimal("190.60"))]


def test_triggered_stops_cascade_through_the_prices_they_print(engine: MatchingEngine) -> None:
    engine.submit(limit("a1", "SELL", "1", "190.20"), T0)
    engine.submit(limit("a2", "SELL", "1", "190.30"), T0)
    engine.submit(order("st1", "BUY", "1", OrderType.STOP, stop="190.10"), T0)
    engine.submit(order("st2", "BUY", "1", OrderType.STOP, stop="190.20"), T0)

    engine.submit(limit("ms", "SELL", "1", "190.10"), T0 + 1, internal=True)
    reports = engine.submit(limit("mb", "BUY", "1", "190.10"), T0 + 1, internal=True)

    assert fills(reports, "st1") == [(Decimal(1), Decimal("190.20"))]
    assert fills(reports, "st2") == [(Decimal(1), Decimal("190.30"))]
    assert engine.last_price("AAPL") == Decimal("190.30")


def test_canceled_stop_never_triggers(engine: MatchingEngine) -> None:
    engine.submit(limit("ask", "SELL", "10", "190.20"), T0)
    engine.submit(order("stop", "BUY", "5", OrderType.STOP, stop="190.10"), T0)

    canceled = engine.cancel("stop", T0 + 1)
    print_trade(engine, "190.10", T0 + 2)

    assert kinds(canceled) == [(ExecKind.CANCELED, "stop")]
    assert engine.top_of_book("AAPL").ask_size == Decimal(10)
