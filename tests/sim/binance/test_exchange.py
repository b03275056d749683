"""The simulated spot account: orders, fills, balances and events, in Binance's terms (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.sim.binance.errors import ApiError, ErrorCode
from ordergate.sim.binance.exchange import SpotExchange
from ordergate.sim.binance.orders import default_symbols
from ordergate.sim.binance.schemas import OrderAck, OrderFull, OrderResult

NOW = 1_700_000_000_000_000_000
MS = 1_000_000


@pytest.fixture
def exchange() -> SpotExchange:
    venue = SpotExchange(default_symbols(), seed=5)
    venue.step_market(NOW)
    return venue


def _limit(price: str, quantity: str = "0.001", **extra: str) -> dict[str, str]:
    return {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": quantity,
        "price": price,
        **extra,
    }


def _balance(exchange: SpotExchange, asset: str) -> tuple[Decimal, Decimal]:
    balance = next(b for b in exchange.account(NOW).balances if b.asset == asset)
    return balance.free, balance.locked


def test_resting_limit_order_is_new_and_locks_its_quote(exchange: SpotExchange) -> None:
    answer, events = exchange.new_order(_limit("60000.00", newClientOrderId="C-1"), NOW)

    assert isinstance(answer, OrderFull)
    assert (answer.status, answer.clientOrderId, answer.fills) == ("NEW", "C-1", [])
    assert [(e.execution_type, e.status) for e in events] == [("NEW", "NEW")]
    assert _balance(exchange, "USDT") == (Decimal(1_000_000) - Decimal(60), Decimal(60))
    assert [o.clientOrderId for o in exchange.open_orders({})] == ["C-1"]


def test_marketable_order_fills_with_fills_in_the_answer(exchange: SpotExchange) -> None:
    answer, events = exchange.new_order(_limit("70000.00", newClientOrderId="C-2"), NOW)

    assert isinstance(answer, OrderFull)
    assert answer.status == "FILLED"
    assert sum(f.qty for f in answer.fills) == Decimal("0.001")
    assert [e.execution_type for e in events] == ["NEW", "TRADE"]
    trade = events[1]
    assert trade.last_price == answer.fills[0].price
    assert trade.commission == answer.fills[0].commission
    free_btc, _ = _balance(exchange, "BTC")
    assert free_btc == Decimal(10) + Decimal("0.001")
    trades = exchange.my_trades({"symbol": "BTCUSDT"})
    assert [t.orderId for t in trades] == [answer.orderId]


def test_ioc_remainder_is_expired_not_canceled(exchange: SpotExchange) -> None:
    answer, events = exchange.new_order(_limit("10000.00", timeInForce="IOC"), NOW)

    assert isinstance(answer, OrderResult)
    assert answer.status == "EXPIRED"
    assert events[-1].execution_type == "EXPIRED"


def test_cancel_by_client_order_id_is_canceled(exchange: SpotExchange) -> None:
    exchange.new_order(_limit("60000.00", newClientOrderId="C-3"), NOW)

    answer, events = exchange.cancel_order(
        {"symbol": "BTCUSDT", "origClientOrderId": "C-3"}, NOW + MS
    )

    assert answer.status == "CANCELED"
    assert answer.origClientOrderId == "C-3"
    assert [e.execution_type for e in events] == ["CANCELED"]
    assert exchange.open_orders({}) == []
    assert _balance(exchange, "USDT") == (Decimal(1_000_000), Decimal(0))


def test_reused_client_order_id_is_a_duplicate_and_changes_nothing(
    exchange: SpotExchange,
) -> None:
    exchange.new_order(_limit("60000.00", newClientOrderId="C-4"), NOW)

    with pytest.raises(ApiError) as caught:
        exchange.new_order(_limit("61000.00", newClientOrderId="C-4"), NOW)

    assert (caught.value.code, caught.value.msg) == (
        ErrorCode.NEW_ORDER_REJECTED,
        "Duplicate order sent.",
    )
    assert exchange.orders_placed == 1


def test_order_beyond_the_balance_is_insufficient_and_changes_nothing(
    exchange: SpotExchange,
) -> None:
    with pytest.raises(ApiError) as caught:
        exchange.new_order(_limit("60000.00", quantity="100"), NOW)

    assert caught.value.code is ErrorCode.NEW_ORDER_REJECTED
    assert "insufficient balance" in caught.value.msg
    assert exchange.orders_placed == 0


def test_query_of_an_unknown_client_order_id_is_minus_2013(exchange: SpotExchange) -> None:
    with pytest.raises(ApiError) as caught:
        exchange.query_order({"symbol": "BTCUSDT", "origClientOrderId": "never"})

    assert (caught.value.code, caught.value.msg) == (
        ErrorCode.NO_SUCH_ORDER,
        "Order does not exist.",
    )


def test_query_needs_an_order_id_or_client_order_id(exchange: SpotExchange) -> None:
    with pytest.raises(ApiError) as caught:
        exchange.query_order({"symbol": "BTCUSDT"})

    assert caught.value.code is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED


def test_query_by_order_id_finds_the_order(exchange: SpotExchange) -> None:
    answer, _ = exchange.new_order(_limit("60000.00", newClientOrderId="C-5"), NOW)

    found = exchange.query_order({"symbol": "BTCUSDT", "orderId": str(answer.orderId)})

    assert found.clientOrderId == "C-5"


def test_cancel_of_an_unknown_or_finished_order_is_minus_2011(exchange: SpotExchange) -> None:
    exchange.new_order(_limit("70000.00", newClientOrderId="C-6"), NOW)  # fills at once

    for params in ({"origClientOrderId": "nope"}, {"origClientOrderId": "C-6"}):
        with pytest.raises(ApiError) as caught:
            exchange.cancel_order({"symbol": "BTCUSDT", **params}, NOW)
        assert caught.value.code is ErrorCode.CANCEL_REJECTED


def test_cancel_all_open_orders_of_a_symbol(exchange: SpotExchange) -> None:
    for n in range(3):
        exchange.new_order(_limit("60000.00", newClientOrderId=f"C-7{n}"), NOW)

    results, events = exchange.cancel_open_orders({"symbol": "BTCUSDT"}, NOW)

    assert [r.status for r in results] == ["CANCELED"] * 3
    assert len(events) == 3
    with pytest.raises(ApiError):
        exchange.cancel_open_orders({"symbol": "BTCUSDT"}, NOW)


def test_ack_response_type_carries_only_the_ids(exchange: SpotExchange) -> None:
    answer, _ = exchange.new_order(_limit("60000.00", newOrderRespType="ACK"), NOW)

    assert isinstance(answer, OrderAck)
    assert answer.clientOrderId.startswith("sim")  # generated when the client sent none


def test_market_stepping_fills_a_resting_order_with_an_event(exchange: SpotExchange) -> None:
    best_bid = exchange.book_ticker("BTCUSDT").bidPrice
    sell = {**_limit(str(best_bid), quantity="0.001"), "side": "SELL", "newClientOrderId": "S-1"}
    sell["price"] = str(exchange.book_ticker("BTCUSDT").askPrice)
    exchange.new_order(sell, NOW)
    events = []
    for step in range(1, 200):
        events += exchange.step_market(NOW + step * MS)
        if exchange.open_orders({}) == []:
            break

    assert any(e.execution_type == "TRADE" and e.client_order_id == "S-1" for e in events)


def test_unknown_fill_event_names_an_order_the_exchange_never_had(
    exchange: SpotExchange,
) -> None:
    event = exchange.unknown_fill_event("ghost-1", "BTCUSDT", NOW)

    assert (event.client_order_id, event.execution_type) == ("ghost-1", "TRADE")
    assert exchange.record_of("ghost-1") is None


def test_depth_and_book_ticker_agree(exchange: SpotExchange) -> None:
    depth = exchange.depth("BTCUSDT", 5)
    ticker = exchange.book_ticker("BTCUSDT")

    assert len(depth.bids) == len(depth.asks) == 5
    assert depth.bids[0][0] == ticker.bidPrice
    assert depth.asks[0][0] == ticker.askPrice
    assert ticker.bidPrice < ticker.askPrice


def test_all_orders_lists_open_and_finished_orders(exchange: SpotExchange) -> None:
    exchange.new_order(_limit("60000.00", newClientOrderId="A-1"), NOW)
    exchange.new_order(_limit("70000.00", newClientOrderId="A-2"), NOW)

    listed = exchange.all_orders({"symbol": "BTCUSDT"})

    assert [(o.clientOrderId, o.status) for o in listed] == [("A-1", "NEW"), ("A-2", "FILLED")]
    assert exchange.all_orders({"symbol": "ETHUSDT"}) == []
    assert [o.clientOrderId for o in exchange.all_orders({"symbol": "BTCUSDT", "limit": "1"})] == [
        "A-1"
    ]
