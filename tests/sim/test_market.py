"""The seeded simulated market: reproducible, two-sided, and it fills passive orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.domain.values import Liquidity, OrderStatus, OrderType, Side
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.sim.market import MarketConfig, SimulatedMarket

from .helpers import T0, limit, order

STEP = 100_000_000  # 100 ms


def build(seed: int) -> tuple[MatchingEngine, SimulatedMarket]:
    instruments = default_instruments()
    engine = MatchingEngine(instruments)
    return engine, SimulatedMarket(engine, instruments, default_start_prices(), seed=seed)


def run(seed: int, steps: int) -> list[ExecutionReport]:
    engine, market = build(seed)
    market.step(T0)
    touch = engine.top_of_book("AAPL")
    assert touch.bid_price is not None
    assert touch.ask_price is not None
    reports = engine.submit(limit("bid", "BUY", "3", str(touch.bid_price)), T0)
    reports += engine.submit(limit("ask", "SELL", "3", str(touch.ask_price)), T0)
    for i in range(1, steps):
        reports += market.step(T0 + i * STEP)
    return reports


def test_same_seed_gives_the_same_reports() -> None:
    assert run(seed=7, steps=300) == run(seed=7, steps=300)


def test_different_seeds_give_different_markets() -> None:
    _engine_a, market_a = build(1)
    _engine_b, market_b = build(2)
    for i in range(50):
        market_a.step(T0 + i * STEP)
        market_b.step(T0 + i * STEP)

    assert [market_a.mid_price(s) for s in default_start_prices()] != [
        market_b.mid_price(s) for s in default_start_prices()
    ]


def test_passive_orders_at_the_touch_fill_within_a_few_hundred_steps() -> None:
    reports = run(seed=3, steps=500)

    trades = [r for r in reports if r.kind is ExecKind.TRADE]
    assert {r.order_id for r in trades} == {"bid", "ask"}
    assert {r.liquidity for r in trades} == {Liquidity.MAKER}


def test_market_keeps_both_sides_non_empty_for_a_thousand_steps() -> None:
    engine, market = build(11)

    for i in range(1_000):
        market.step(T0 + i * STEP)
        for symbol in default_start_prices():
            quote = engine.top_of_book(symbol)
            assert quote.bid_price is not None, (i, symbol)
            assert quote.ask_price is not None, (i, symbol)
            assert quote.bid_price < quote.ask_price


def test_market_quotes_are_on_tick_and_in_whole_lots() -> None:
    engine, market = build(5)
    market.step(T0)

    for instrument in default_instruments():
        book = engine.book(instrument.symbol)
        for side in (Side.BUY, Side.SELL):
            for price, quantity in book.depth(side, 10):
                assert instrument.price_on_tick(price)
                assert instrument.quantity_in_lots(quantity)


def test_market_trades_trigger_client_stops() -> None:
    engine, market = build(9)
    market.step(T0)
    mid = market.mid_price("AAPL")
    engine.submit(order("up", "BUY", "1", OrderType.STOP, stop=str(mid + Decimal("0.01"))), T0)
    engine.submit(order("down", "SELL", "1", OrderType.STOP, stop=str(mid - Decimal("0.01"))), T0)

    for i in range(1, 2_000):
        market.step(T0 + i * STEP)

    statuses = {o: engine.order_status(o) for o in ("up", "down")}
    assert all(s is not None and s.status is OrderStatus.FILLED for s in statuses.values())


def test_market_without_a_start_price_is_refused() -> None:
    engine = MatchingEngine(default_instruments())

    with pytest.raises(ValueError, match="no positive start price for AAPL"):
        SimulatedMarket(engine, default_instruments(), {})


def test_config_controls_depth() -> None:
    instruments = default_instruments()
    engine = MatchingEngine(instruments)
    market = SimulatedMarket(
        engine, instruments, default_start_prices(), config=MarketConfig(levels=2, noise_percent=0)
    )

    market.step(T0)

    assert len(engine.book("SPY").depth(Side.BUY, 10)) == 2
    assert len(engine.book("SPY").depth(Side.SELL, 10)) == 2
