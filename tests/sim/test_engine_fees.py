"""Fees: maker rate for the resting side, taker rate for the aggressor, exact Decimals."""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import Liquidity
from ordergate.sim.engine import MatchingEngine

from .helpers import AAPL, BTC, T0, limit, only


def test_maker_and_taker_fees_are_notional_times_their_rates(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)

    trades = only(engine.submit(limit("b1", "BUY", "10", "190.00"), T0 + 1), ExecKind.TRADE)

    by_side = {r.liquidity: r for r in trades}
    assert by_side[Liquidity.MAKER].fee == Decimal("0.19000000")
    assert by_side[Liquidity.TAKER].fee == Decimal("0.38000000")
    assert {r.fee_currency for r in trades} == {"USD"}


def test_crypto_fees_are_rounded_to_eight_decimals(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "0.01234", "65000.01", symbol="BTC-USD"), T0)

    trades = only(
        engine.submit(limit("b1", "BUY", "0.01234", "65000.01", symbol="BTC-USD"), T0 + 1),
        ExecKind.TRADE,
    )

    # notional 802.1001234: maker 0.08021001234 -> 0.08021001, taker 0.16042002468 -> 0.16042002
    assert {r.liquidity: r.fee for r in trades} == {
        Liquidity.MAKER: Decimal("0.08021001"),
        Liquidity.TAKER: Decimal("0.16042002"),
    }


def test_fee_rounding_is_half_up() -> None:
    engine = MatchingEngine([AAPL], taker_fee_rate=Decimal("0.00000025"))
    engine.submit(limit("s1", "SELL", "1", "190.02"), T0)

    trades = only(engine.submit(limit("b1", "BUY", "1", "190.02"), T0 + 1), ExecKind.TRADE)

    # 190.02 x 0.00000025 = 0.000047505: half-up gives ...51 where half-even would give ...50
    assert [r.fee for r in trades if r.liquidity is Liquidity.TAKER] == [Decimal("0.00004751")]


def test_fees_stay_exact_without_a_quantum() -> None:
    engine = MatchingEngine([BTC], fee_quantum=None)
    engine.submit(limit("s1", "SELL", "0.01234", "65000.01", symbol="BTC-USD"), T0)

    trades = only(
        engine.submit(limit("b1", "BUY", "0.01234", "65000.01", symbol="BTC-USD"), T0 + 1),
        ExecKind.TRADE,
    )

    assert {r.fee for r in trades} == {Decimal("0.08021001234"), Decimal("0.16042002468")}


def test_fill_log_carries_the_same_fees(engine: MatchingEngine) -> None:
    engine.submit(limit("s1", "SELL", "10", "190.00"), T0)
    engine.submit(limit("b1", "BUY", "10", "190.00"), T0 + 1)

    logged = engine.fills_since(T0)

    assert [(f.order_id, f.liquidity, f.fee) for f in logged] == [
        ("s1", Liquidity.MAKER, Decimal("0.19000000")),
        ("b1", Liquidity.TAKER, Decimal("0.38000000")),
    ]
