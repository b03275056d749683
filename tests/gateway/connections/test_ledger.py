"""The order ledger: who holds which order, ack latency, fills delivered once."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from ordergate.domain.reports import ExecKind, ExecutionReport, OrderStatusReport
from ordergate.domain.values import OrderStatus, Side
from ordergate.gateway.connections import OrderLedger

from .helpers import order

T0 = 1_700_000_000_000_000_000


def report(kind: ExecKind, order_id: str = "O-1", **fields: object) -> ExecutionReport:
    return ExecutionReport(kind=kind, venue="SIM", order_id=order_id, **fields)  # type: ignore[arg-type]


def trade(execution_id: str, quantity: str, order_id: str = "O-1") -> ExecutionReport:
    return report(
        ExecKind.TRADE,
        order_id,
        execution_id=execution_id,
        last_quantity=Decimal(quantity),
        last_price=Decimal(100),
    )


def test_sent_order_is_held_and_in_flight_until_its_ack() -> None:
    ledger = OrderLedger()
    ledger.sent(1, order("O-1"), T0)

    assert ledger.holder("O-1") == 1
    assert ledger.in_flight(1) == 1
    outcome = ledger.on_report(report(ExecKind.ACCEPTED), T0 + 250)

    assert outcome.deliver
    assert outcome.ack_latency_ns == 250
    assert ledger.in_flight(1) == 0
    assert ledger.holder("O-1") == 1  # still working at the venue


def test_only_the_first_ack_has_a_latency() -> None:
    ledger = OrderLedger()
    ledger.sent(0, order("O-1", quantity="10"), T0)
    ledger.on_report(report(ExecKind.ACCEPTED), T0 + 1)

    assert ledger.on_report(trade("X1", "4"), T0 + 2).ack_latency_ns is None


def test_a_fill_reported_twice_is_delivered_once() -> None:
    ledger = OrderLedger()
    ledger.sent(0, order("O-1", quantity="10"), T0)

    assert ledger.on_report(trade("X1", "4"), T0).deliver
    assert not ledger.on_report(trade("X1", "4"), T0).deliver
    assert ledger.delivered("X1")


def test_order_filled_in_full_is_forgotten() -> None:
    ledger = OrderLedger()
    ledger.sent(0, order("O-1", quantity="10"), T0)
    ledger.on_report(trade("X1", "4"), T0)
    assert ledger.holder("O-1") == 0
    ledger.on_report(trade("X2", "6"), T0)
    assert ledger.holder("O-1") is None


@pytest.mark.parametrize("kind", [ExecKind.CANCELED, ExecKind.REJECTED, ExecKind.EXPIRED])
def test_finished_order_is_forgotten(kind: ExecKind) -> None:
    ledger = OrderLedger()
    ledger.sent(2, order("O-1"), T0)
    ledger.on_report(report(kind), T0)

    assert ledger.holder("O-1") is None
    assert ledger.in_flight(2) == 0


def test_replace_changes_the_quantity_a_full_fill_is_measured_against() -> None:
    ledger = OrderLedger()
    ledger.sent(0, order("O-1", quantity="10"), T0)
    ledger.on_report(report(ExecKind.REPLACED, quantity=Decimal(4)), T0)
    ledger.on_report(trade("X1", "4"), T0)
    assert ledger.holder("O-1") is None


def test_adopted_orders_are_held_by_the_connection_that_named_them() -> None:
    ledger = OrderLedger()
    ledger.sent(0, order("O-1"), T0)
    status = OrderStatusReport(
        venue="SIM",
        order_id="O-2",
        venue_order_id="V-2",
        symbol="AAPL",
        side=Side.SELL,
        status=OrderStatus.PARTIALLY_FILLED,
        quantity=Decimal(10),
        filled_quantity=Decimal(3),
        price=Decimal(101),
        ts_event=T0,
    )
    ledger.adopt(1, [status, msgspec.structs.replace(status, order_id="O-1")])

    assert ledger.holder("O-2") == 1
    assert ledger.holder("O-1") == 0  # held already: not taken over
    assert ledger.held_by(1) == ["O-2"]
    assert ledger.in_flight(1) == 0


def test_orders_of_a_connection_are_assumed_open_while_it_is_down() -> None:
    ledger = OrderLedger()
    ledger.sent(0, order("O-1", quantity="10", price="99"), T0)
    ledger.sent(1, order("O-2"), T0)
    ledger.on_report(trade("X1", "4"), T0)

    (assumed,) = ledger.assumed_open(0, "BROKER", T0 + 5)

    assert (assumed.venue, assumed.order_id, assumed.symbol, assumed.side) == (
        "BROKER",
        "O-1",
        "AAPL",
        Side.BUY,
    )
    assert (assumed.status, assumed.quantity, assumed.filled_quantity, assumed.price) == (
        OrderStatus.PARTIALLY_FILLED,
        Decimal(10),
        Decimal(4),
        Decimal(99),
    )


def test_resending_an_order_on_another_connection_moves_it() -> None:
    ledger = OrderLedger()
    ledger.sent(0, order("O-1"), T0)
    ledger.forget("O-1")
    ledger.sent(1, order("O-1"), T0)

    assert ledger.holder("O-1") == 1
    assert (ledger.in_flight(0), ledger.in_flight(1)) == (0, 1)


def test_remembered_execution_ids_are_bounded() -> None:
    ledger = OrderLedger(max_execution_ids=2)
    for n in range(3):
        ledger.on_report(trade(f"X{n}", "1", order_id="UNKNOWN"), T0)
    assert not ledger.delivered("X0")
    assert ledger.delivered("X2")


def test_reports_for_orders_nobody_holds_are_delivered() -> None:
    assert OrderLedger().on_report(report(ExecKind.CANCELED, "O-9"), T0).deliver


def test_a_ledger_without_room_for_execution_ids_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        OrderLedger(max_execution_ids=0)
