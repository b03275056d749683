"""The pure simulated broker: Alpaca's order model, events and account over the engine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.values import Side
from ordergate.sim.alpaca import AlpacaApiError, AlpacaBroker
from ordergate.sim.alpaca.ledger import Ledger
from ordergate.sim.alpaca.records import rfc3339
from ordergate.sim.alpaca.schemas import OrderBody, ReplaceBody
from ordergate.sim.instruments import default_instruments, default_start_prices

NOW = 1_700_000_000_000_000_000


@pytest.fixture
def broker() -> AlpacaBroker:
    market = AlpacaBroker(default_instruments(), default_start_prices(), seed=7)
    market.step_market(NOW)
    return market


def _limit(price: str, qty: str = "10", **fields: str) -> OrderBody:
    return OrderBody(
        symbol="AAPL",
        side=fields.get("side", "buy"),
        type="limit",
        time_in_force=fields.get("time_in_force", "gtc"),
        qty=Decimal(qty),
        limit_price=Decimal(price),
        client_order_id=fields.get("client_order_id"),
    )


def test_only_equities_are_traded(broker: AlpacaBroker) -> None:
    assert broker.symbols == {"AAPL", "MSFT", "SPY"}


def test_partial_fills_update_order_position_and_activities(broker: AlpacaBroker) -> None:
    order = broker.submit(_limit("190.00"), NOW)

    broker.external_order("AAPL", Side.SELL, Decimal(4), Decimal("190.00"), NOW + 1)
    broker.external_order("AAPL", Side.SELL, Decimal(6), Decimal("190.00"), NOW + 2)

    events = broker.take_events()
    assert [e.event for e in events] == ["new", "partial_fill", "fill"]
    assert [e.position_qty for e in events[1:]] == [Decimal(4), Decimal(10)]
    assert (order.status, order.filled_qty) == ("filled", Decimal(10))
    assert order.to_json().filled_avg_price == Decimal(190)
    assert [(a.qty, a.cum_qty, a.leaves_qty) for a in broker.activities()] == [
        (Decimal(4), Decimal(4), Decimal(6)),
        (Decimal(6), Decimal(10), Decimal(0)),
    ]
    assert broker.ledger.cash == Decimal(100_000) - Decimal(1_900)
    assert broker.take_events() == []


def test_replace_keeps_fills_and_maps_later_fills_to_the_new_order(broker: AlpacaBroker) -> None:
    old = broker.submit(_limit("190.00"), NOW)
    broker.external_order("AAPL", Side.SELL, Decimal(3), Decimal("190.00"), NOW)

    new = broker.replace(old.id, ReplaceBody(qty=Decimal(12)), NOW + 1)
    broker.external_order("AAPL", Side.SELL, Decimal(9), Decimal("190.00"), NOW + 2)

    assert [e.event for e in broker.take_events()] == [
        "new",
        "partial_fill",
        "replaced",
        "new",
        "fill",
    ]
    assert (old.status, old.replaced_by, old.filled_qty) == ("replaced", new.id, Decimal(3))
    assert (new.status, new.filled_qty, new.qty, new.replaces) == (
        "filled",
        Decimal(12),
        Decimal(12),
        old.id,
    )
    assert broker.order_by_client_id(new.client_order_id) is new


def test_replace_of_a_replaced_order_is_refused(broker: AlpacaBroker) -> None:
    old = broker.submit(_limit("150.00"), NOW)
    broker.replace(old.id, ReplaceBody(limit_price=Decimal("151.00")), NOW)

    with pytest.raises(AlpacaApiError) as caught:
        broker.replace(old.id, ReplaceBody(limit_price=Decimal("152.00")), NOW)

    assert (caught.value.status, caught.value.code) == (422, 42210000)


def test_cancel_releases_buying_power(broker: AlpacaBroker) -> None:
    order = broker.submit(_limit("150.00", "600"), NOW)
    held = broker.buying_power()

    broker.cancel(order.id, NOW + 1)

    assert held == Decimal(100_000) - Decimal(90_000)
    assert broker.buying_power() == Decimal(100_000)
    assert [e.event for e in broker.take_events()] == ["new", "canceled"]


def test_day_orders_expire_at_the_session_close(broker: AlpacaBroker) -> None:
    order = broker.submit(_limit("150.00", time_in_force="day"), NOW)

    broker.step_market(NOW + 86_400 * 1_000_000_000)

    assert order.status == "expired"
    assert [e.event for e in broker.take_events()] == ["new", "expired"]


def test_ioc_remainder_is_canceled(broker: AlpacaBroker) -> None:
    order = broker.submit(_limit("150.00", time_in_force="ioc"), NOW)

    assert order.status == "canceled"
    assert [e.event for e in broker.take_events()] == ["new", "canceled"]


def test_engine_reject_is_a_422_and_keeps_the_client_order_id_free(broker: AlpacaBroker) -> None:
    with pytest.raises(AlpacaApiError) as caught:
        broker.submit(_limit("150.005", client_order_id="X"), NOW)

    assert (caught.value.status, caught.value.code) == (422, 40010001)
    assert broker.submit(_limit("150.00", client_order_id="X"), NOW).client_order_id == "X"


def test_ledger_averages_entries_and_flips_through_flat() -> None:
    ledger = Ledger(Decimal(0))

    ledger.apply_fill("AAPL", "buy", Decimal(10), Decimal(100))
    ledger.apply_fill("AAPL", "buy", Decimal(10), Decimal(110))
    averaged = ledger.position("AAPL")
    assert averaged is not None
    assert (averaged.qty, averaged.avg_entry_price) == (Decimal(20), Decimal(105))
    ledger.apply_fill("AAPL", "sell", Decimal(5), Decimal(120))
    assert averaged.avg_entry_price == Decimal(105)
    ledger.apply_fill("AAPL", "sell", Decimal(25), Decimal(90))
    flipped = ledger.position("AAPL")
    assert flipped is not None
    assert (flipped.qty, flipped.avg_entry_price) == (Decimal(-10), Decimal(90))
    ledger.apply_fill("AAPL", "buy", Decimal(10), Decimal(95))

    assert ledger.position("AAPL") is None
    assert ledger.cash == Decimal(-1000 - 1100 + 600 + 2250 - 950)


def test_times_are_written_as_alpaca_writes_them() -> None:
    assert rfc3339(NOW + 123_456_789) == "2023-11-14T22:13:20.123456Z"
