"""Queries for reconciliation and market data, and no float anywhere in what leaves the engine."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.venues.base import ReplaceRequest

from .helpers import T0, limit, market, order


def walk(value: object) -> list[object]:
    """Return every leaf of a (nested) msgspec struct, list or dict."""
    if isinstance(value, msgspec.Struct):
        return walk(msgspec.structs.asdict(value))
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in walk(v)]
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in walk(v)]
    return [value]


def test_no_float_appears_in_any_report(engine: MatchingEngine) -> None:
    out: list[object] = []
    out += engine.submit(limit("s1", "SELL", "10", "190.00", tif=TimeInForce.DAY), T0)
    out += engine.submit(limit("b1", "BUY", "4", "190.00"), T0 + 1)
    out += engine.submit(market("b2", "BUY", "20"), T0 + 2)
    out += engine.submit(order("st", "SELL", "1", OrderType.STOP, stop="180.00"), T0 + 3)
    out += engine.replace(
        ReplaceRequest(order_id="st", venue_order_id=None, symbol="AAPL", quantity=Decimal(2)),
        T0 + 4,
    )
    out += engine.submit(limit("x", "BUY", "0", "190.00"), T0 + 5)
    out += [engine.top_of_book("AAPL"), *engine.open_orders(), *engine.fills_since(0)]
    out += engine.take_trades()

    leaves = walk(out)
    assert not any(isinstance(leaf, float) for leaf in leaves)
    amounts = [r.last_price for r in out if getattr(r, "kind", None) is ExecKind.TRADE]
    amounts += [r.fee for r in out if getattr(r, "kind", None) is ExecKind.TRADE]
    assert amounts
    assert all(type(a) is Decimal for a in amounts)


def test_default_universe_is_exact_and_consistent() -> None:
    instruments = default_instruments()
    prices = default_start_prices()

    assert {i.symbol for i in instruments} == set(prices)
    for instrument in instruments:
        assert type(instrument.tick_size) is Decimal
        assert type(instrument.lot_size) is Decimal
        assert instrument.price_on_tick(prices[instrument.symbol])


def test_open_orders_reports_status_and_filled_quantity(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("s2", "SELL", "10", "190.01"), T0)
    engine.submit(limit("b1", "BUY", "4", "190.00"), T0 + 1)

    open_orders = engine.open_orders()

    assert [(o.order_id, o.status, o.filled_quantity) for o in open_orders] == [
        ("s1", OrderStatus.PARTIALLY_FILLED, Decimal(4)),
        ("s2", OrderStatus.NEW, Decimal(0)),
    ]
    assert open_orders[0].venue_order_id == "SIM-1"


def test_fills_since_returns_fills_at_or_after_the_time(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("b1", "BUY", "4", "190.00"), T0 + 10)
    engine.submit(limit("b2", "BUY", "4", "190.00"), T0 + 20)

    assert [f.order_id for f in engine.fills_since(T0 + 20)] == ["s1", "b2"]
    assert len(engine.fills_since(T0)) == 4
    assert engine.fills_since(T0 + 21) == []


def test_trades_are_printed_once_with_the_aggressor_side(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("b1", "BUY", "4", "190.00"), T0 + 1)

    ticks = engine.take_trades()

    assert [(t.price, t.quantity, t.aggressor) for t in ticks] == [
        (Decimal("190.00"), Decimal(4), Side.BUY)
    ]
    assert engine.take_trades() == []


def test_top_of_book_sums_the_best_level(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.02"), T0)
    engine.submit(limit("s2", "SELL", "5", "190.02"), T0)
    engine.submit(limit("b1", "BUY", "3", "189.98"), T0)

    quote = engine.top_of_book("AAPL", T0 + 5)

    assert (quote.bid_price, quote.bid_size) == (Decimal("189.98"), Decimal(3))
    assert (quote.ask_price, quote.ask_size) == (Decimal("190.02"), Decimal(15))
    assert quote.ts_event == T0 + 5
