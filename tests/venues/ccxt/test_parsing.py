"""ccxt unified dicts -> reports: exact decimals from strings, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import Liquidity, OrderStatus, Side
from ordergate.venues.ccxt.parsing import (
    ParseError,
    fill_report,
    order_status,
    status_report,
    to_ccxt_time_in_force,
    trade_report,
    venue_decimal,
)

TRADE = {
    "id": "17",
    "order": "5",
    "timestamp": 1_700_000_000_123,
    "side": "buy",
    "amount": "0.00100",
    "price": "65006.50",
    "takerOrMaker": "maker",
    "fee": {"cost": "0.06500650", "currency": "USDT"},
}
ORDER = {
    "id": "5",
    "clientOrderId": "C-1",
    "timestamp": 1_700_000_000_000,
    "side": "sell",
    "amount": "0.5",
    "filled": "0.2",
    "price": "3000.10",
    "status": "open",
}


def test_trade_report_keeps_the_exchange_decimals_exactly() -> None:
    report = trade_report("BINANCE", "C-1", TRADE, 0)

    assert report.kind is ExecKind.TRADE
    assert str(report.last_quantity) == "0.00100"
    assert report.last_price == Decimal("65006.50")
    assert report.fee == Decimal("0.06500650")
    assert (report.fee_currency, report.liquidity) == ("USDT", Liquidity.MAKER)
    assert (report.execution_id, report.venue_order_id) == ("17", "5")
    assert report.ts_event == 1_700_000_000_123_000_000


def test_float_amount_is_refused_not_rounded() -> None:
    with pytest.raises(ParseError):
        trade_report("BINANCE", "C-1", {**TRADE, "amount": 0.001}, 0)


def test_missing_fields_are_parse_errors() -> None:
    for field in ("id", "amount", "price"):
        with pytest.raises(ParseError):
            trade_report("V", "C-1", {k: v for k, v in TRADE.items() if k != field}, 0)
    with pytest.raises(ParseError):
        fill_report("V", "C-1", "BTC-USD", {**TRADE, "order": None}, 0)
    with pytest.raises(ParseError):
        fill_report("V", "C-1", "BTC-USD", {**TRADE, "side": "short"}, 0)


def test_trade_without_fee_or_time_gets_zero_fee_and_the_fallback_time() -> None:
    bare = {k: v for k, v in TRADE.items() if k not in ("fee", "timestamp", "takerOrMaker")}
    report = trade_report("V", "C-1", bare, 42)

    assert (report.fee, report.fee_currency, report.liquidity, report.ts_event) == (
        Decimal(0),
        None,
        None,
        42,
    )


def test_fill_report_carries_our_symbol() -> None:
    fill = fill_report("BINANCE", "C-1", "BTC-USD", TRADE, 0)

    assert (fill.symbol, fill.side, fill.quantity) == ("BTC-USD", Side.BUY, Decimal("0.001"))


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("open", "0", OrderStatus.NEW),
        ("open", "0.2", OrderStatus.PARTIALLY_FILLED),
        ("closed", "0.5", OrderStatus.FILLED),
        ("canceled", "0", OrderStatus.CANCELED),
        ("expired", "0.1", OrderStatus.EXPIRED),
        ("rejected", "0", OrderStatus.REJECTED),
    ],
)
def test_order_status_mapping(status: str, filled: str, expected: OrderStatus) -> None:
    assert order_status({"status": status, "filled": filled}) is expected


def test_unknown_order_status_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        order_status({"status": "pending"})


def test_status_report() -> None:
    report = status_report("BINANCE", "C-1", "ETH-USD", ORDER, 0)

    assert (report.status, report.side, report.venue_order_id) == (
        OrderStatus.PARTIALLY_FILLED,
        Side.SELL,
        "5",
    )
    assert (report.quantity, report.filled_quantity, report.price) == (
        Decimal("0.5"),
        Decimal("0.2"),
        Decimal("3000.10"),
    )


def test_venue_decimal_refuses_what_is_not_a_number() -> None:
    for value in (None, "abc", 1.5, "NaN"):
        with pytest.raises(ParseError):
            venue_decimal(value, "field")
    assert venue_decimal(7, "field") == Decimal(7)


def test_day_is_sent_as_gtc() -> None:
    assert [to_ccxt_time_in_force(t) for t in ("DAY", "GTC", "IOC", "FOK")] == [
        "GTC",
        "GTC",
        "IOC",
        "FOK",
    ]
