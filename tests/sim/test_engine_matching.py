"""Matching: price-time priority, partial fills, MARKET, IOC and FOK."""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import Liquidity, OrderStatus, TimeInForce
from ordergate.sim.engine import MatchingEngine

from .helpers import T0, fills, kinds, limit, market, only


def test_two_orders_at_the_same_price_fill_in_arrival_order(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "10", "190.00"), T0 + 1)

    reports = engine.submit(limit("b1", "BUY", "15", "190.00"), T0 + 2)

    assert fills(reports, "s1") == [(Decimal(10), Decimal("190.00"))]
    assert fills(reports, "s2") == [(Decimal(5), Decimal("190.00"))]
    assert fills(reports, "b1") == [
        (Decimal(10), Decimal("190.00")),
        (Decimal(5), Decimal("190.00")),
    ]


def test_better_priced_order_fills_first_and_trades_at_the_resting_price(
    engine: MatchingEngine,
) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.05"), T0)
    engine.submit(limit("s2", "SELL", "10", "190.01"), T0 + 1)

    reports = engine.submit(limit("b1", "BUY", "10", "190.10"), T0 + 2)

    assert fills(reports, "b1") == [(Decimal(10), Decimal("190.01"))]
    assert fills(reports, "s1") == []


def test_partial_fill_leaves_the_rest_resting(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "4", "190.00"), T0)

    reports = engine.submit(limit("b1", "BUY", "10", "190.00"), T0 + 1)

    assert kinds(reports) == [
        (ExecKind.ACCEPTED, "b1"),
        (ExecKind.TRADE, "s1"),
        (ExecKind.TRADE, "b1"),
    ]
    status = engine.order_status("b1")
    assert status is not None
    assert (status.status, status.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal(4))
    quote = engine.top_of_book("AAPL")
    assert (quote.bid_price, quote.bid_size, quote.ask_price) == (
        Decimal("190.00"),
        Decimal(6),
        None,
    )


def test_trade_reports_name_maker_and_taker_with_unique_execution_ids(
    engine: MatchingEngine,
) -> None:
    engine.submit(limit("s1", "SELL", "5", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "5", "190.01"), T0)

    trades = only(engine.submit(limit("b1", "BUY", "10", "190.01"), T0 + 1), ExecKind.TRADE)

    assert {(r.order_id, r.liquidity) for r in trades} == {
        ("s1", Liquidity.MAKER),
        ("s2", Liquidity.MAKER),
        ("b1", Liquidity.TAKER),
    }
    assert len({r.execution_id for r in trades}) == 4
    assert all(r.venue_order_id and r.venue_order_id.startswith("SIM-") for r in trades)


def test_market_order_sweeps_multiple_levels(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "3", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "3", "190.02"), T0)
    engine.submit(limit("s3", "SELL", "3", "190.05"), T0)

    reports = engine.submit(market("b1", "BUY", "7"), T0 + 1)

    assert fills(reports, "b1") == [
        (Decimal(3), Decimal("190.00")),
        (Decimal(3), Decimal("190.02")),
        (Decimal(1), Decimal("190.05")),
    ]
    assert engine.top_of_book("AAPL").ask_size == Decimal(2)
    assert engine.last_price("AAPL") == Decimal("190.05")


def test_market_order_without_liquidity_is_canceled_with_a_reason(engine: MatchingEngine) -> None:
    reports = engine.submit(market("b1", "BUY", "7"), T0)

    assert kinds(reports) == [(ExecKind.ACCEPTED, "b1"), (ExecKind.CANCELED, "b1")]
    assert reports[1].reason == "market order: no more liquidity"
    assert engine.open_orders() == []


def test_market_order_remainder_is_canceled_after_partial_fill(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "3", "190.00"), T0)

    reports = engine.submit(market("b1", "BUY", "5", tif=TimeInForce.DAY), T0 + 1)

    assert kinds(reports)[-1] == (ExecKind.CANCELED, "b1")
    assert fills(reports, "b1") == [(Decimal(3), Decimal("190.00"))]


def test_ioc_fills_what_crosses_and_cancels_the_rest(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "3", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "3", "190.05"), T0)

    reports = engine.submit(limit("b1", "BUY", "5", "190.00", tif=TimeInForce.IOC), T0 + 1)

    assert fills(reports, "b1") == [(Decimal(3), Decimal("190.00"))]
    assert kinds(reports)[-1] == (ExecKind.CANCELED, "b1")
    assert engine.top_of_book("AAPL").bid_price is None


def test_fok_fills_completely_when_enough_quantity_is_within_the_limit(
    engine: MatchingEngine,
) -> None:
    engine.submit(limit("s1", "SELL", "3", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "3", "190.01"), T0)

    reports = engine.submit(limit("b1", "BUY", "6", "190.01", tif=TimeInForce.FOK), T0 + 1)

    assert sum(q for q, _ in fills(reports, "b1") if q is not None) == Decimal(6)
    assert only(reports, ExecKind.CANCELED) == []
    status = engine.order_status("b1")
    assert status is not None
    assert status.status is OrderStatus.FILLED


def test_fok_is_canceled_with_nothing_filled_when_quantity_is_short(
    engine: MatchingEngine,
) -> None:
    engine.submit(limit("s1", "SELL", "3", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "3", "190.02"), T0)

    reports = engine.submit(limit("b1", "BUY", "6", "190.01", tif=TimeInForce.FOK), T0 + 1)

    assert kinds(reports) == [(ExecKind.ACCEPTED, "b1"), (ExecKind.CANCELED, "b1")]
    assert reports[1].reason == "FOK: not fillable in full"
    assert engine.top_of_book("AAPL").ask_size == Decimal(3)
    assert engine.last_price("AAPL") is None


def test_internal_orders_trade_but_report_nothing(engine: MatchingEngine) -> None:
    engine.submit(limit("mm", "SELL", "5", "190.00"), T0, internal=True)

    reports = engine.submit(limit("b1", "BUY", "5", "190.00"), T0 + 1)
    internal = engine.submit(market("nt", "BUY", "1"), T0 + 2, internal=True)

    assert kinds(reports) == [(ExecKind.ACCEPTED, "b1"), (ExecKind.TRADE, "b1")]
    assert internal == []
    assert [f.order_id for f in engine.fills_since(T0)] == ["b1"]
    assert engine.cancel("mm", T0 + 3, internal=True) == []


def test_internal_and_client_order_ids_do_not_collide(engine: MatchingEngine) -> None:
    engine.submit(limit("X-1", "SELL", "5", "190.00"), T0, internal=True)

    reports = engine.submit(limit("X-1", "SELL", "5", "190.00"), T0 + 1)

    assert kinds(reports) == [(ExecKind.ACCEPTED, "X-1")]
    assert engine.top_of_book("AAPL").ask_size == Decimal(10)
