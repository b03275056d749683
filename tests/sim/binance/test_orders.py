"""POST /api/v3/order parameter checks: Binance's error code for each bad input (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.sim.binance.errors import ApiError, ErrorCode
from ordergate.sim.binance.orders import default_symbols, parse_decimal, parse_new_order

SYMBOLS = {s.symbol: s for s in default_symbols()}
LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "60000.00",
}


def _code(**changes: str | None) -> tuple[ErrorCode, str]:
    params = {k: v for k, v in {**LIMIT, **changes}.items() if v is not None}
    with pytest.raises(ApiError) as caught:
        parse_new_order(params, SYMBOLS)
    return caught.value.code, caught.value.msg


def test_good_limit_order_parses_to_exact_terms() -> None:
    order = parse_new_order({**LIMIT, "newClientOrderId": "C-1"}, SYMBOLS)

    assert (order.side, order.order_type, order.time_in_force) == (
        Side.BUY,
        OrderType.LIMIT,
        TimeInForce.GTC,
    )
    assert (order.quantity, order.price) == (Decimal("0.001"), Decimal("60000.00"))
    assert order.client_order_id == "C-1"
    assert order.response_type == "FULL"


def test_market_order_needs_no_price_or_time_in_force() -> None:
    order = parse_new_order(
        {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.01"}, SYMBOLS
    )

    assert order.order_type is OrderType.MARKET
    assert order.price is None


def test_stop_loss_limit_needs_a_stop_price() -> None:
    assert _code(type="STOP_LOSS_LIMIT")[0] is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED
    order = parse_new_order({**LIMIT, "type": "STOP_LOSS_LIMIT", "stopPrice": "61000"}, SYMBOLS)
    assert order.order_type is OrderType.STOP_LIMIT


@pytest.mark.parametrize("missing", ["symbol", "side", "type", "quantity", "price", "timeInForce"])
def test_missing_mandatory_parameter_is_minus_1102(missing: str) -> None:
    code, msg = _code(**{missing: None})
    assert code is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED
    assert missing in msg


def test_empty_quantity_is_minus_1102() -> None:
    assert _code(quantity="")[0] is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED


@pytest.mark.parametrize("quantity", ["-1", "abc", "1e3", "0x10", "1.2.3"])
def test_negative_or_malformed_quantity_is_minus_1100(quantity: str) -> None:
    code, msg = _code(quantity=quantity)
    assert code is ErrorCode.ILLEGAL_CHARS
    assert "quantity" in msg


def test_negative_price_is_minus_1100() -> None:
    assert _code(price="-60000")[0] is ErrorCode.ILLEGAL_CHARS


def test_zero_quantity_fails_the_lot_size_filter() -> None:
    assert _code(quantity="0") == (ErrorCode.FILTER_FAILURE, "Filter failure: LOT_SIZE")


def test_quantity_off_the_step_fails_the_lot_size_filter() -> None:
    assert _code(quantity="0.000015") == (ErrorCode.FILTER_FAILURE, "Filter failure: LOT_SIZE")


def test_zero_price_fails_the_price_filter() -> None:
    assert _code(price="0") == (ErrorCode.FILTER_FAILURE, "Filter failure: PRICE_FILTER")


def test_price_off_the_tick_fails_the_price_filter() -> None:
    assert _code(price="60000.001") == (ErrorCode.FILTER_FAILURE, "Filter failure: PRICE_FILTER")


def test_small_notional_fails_the_notional_filter() -> None:
    assert _code(quantity="0.00001", price="100.00") == (
        ErrorCode.FILTER_FAILURE,
        "Filter failure: NOTIONAL",
    )


def test_unknown_symbol_is_minus_1121() -> None:
    assert _code(symbol="DOGEUSDT") == (ErrorCode.BAD_SYMBOL, "Invalid symbol.")


def test_unknown_side_type_and_time_in_force_have_their_own_codes() -> None:
    assert _code(side="HOLD")[0] is ErrorCode.INVALID_SIDE
    assert _code(type="ICEBERG")[0] is ErrorCode.INVALID_ORDER_TYPE
    assert _code(timeInForce="DAY")[0] is ErrorCode.INVALID_TIF


def test_price_on_a_market_order_is_minus_1106() -> None:
    assert _code(type="MARKET", timeInForce=None)[0] is ErrorCode.PARAM_NOT_REQUIRED


def test_stop_price_on_a_limit_order_is_minus_1106() -> None:
    assert _code(stopPrice="1.00")[0] is ErrorCode.PARAM_NOT_REQUIRED


def test_client_order_id_with_illegal_characters_is_minus_1100() -> None:
    assert _code(newClientOrderId="no spaces please")[0] is ErrorCode.ILLEGAL_CHARS
    assert _code(newClientOrderId="x" * 37)[0] is ErrorCode.ILLEGAL_CHARS


def test_unknown_response_type_is_refused() -> None:
    assert _code(newOrderRespType="ALL")[0] is ErrorCode.INVALID_RESPONSE_TYPE


def test_parse_decimal_is_exact_and_absent_is_none() -> None:
    assert parse_decimal({"q": "0.10000000"}, "q") == Decimal("0.1")
    assert str(parse_decimal({"q": "0.10000000"}, "q")) == "0.10000000"
    assert parse_decimal({}, "q") is None
