"""Small builders shared by the domain tests: an instrument, orders and execution reports.

Orders are always built the real way, through ``decide_*`` and ``evolve``, never by hand.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ordergate.domain.commands import ModifyOrder, SubmitOrder
from ordergate.domain.decisions import decide_cancel, decide_modify, decide_report, decide_submit
from ordergate.domain.events import OrderEvent
from ordergate.domain.instrument import Instrument
from ordergate.domain.order import Order, evolve
from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.domain.values import AssetClass, OrderType, Side, TimeInForce

ORDER_ID = "O-1"
VENUE = "SIM"
NOW = 1_700_000_000_000_000_000


def d(value: str) -> Decimal:
    """Return an exact Decimal; tests never write float literals for money."""
    return Decimal(value)


def an_instrument(**overrides: Any) -> Instrument:
    """Return an equity with a 0.01 tick, lots of 1, minimum 1 share and 10 of notional."""
    fields: dict[str, Any] = {
        "symbol": "ACME",
        "asset_class": AssetClass.EQUITY,
        "quote_currency": "USD",
        "tick_size": d("0.01"),
        "lot_size": d("1"),
        "min_quantity": d("1"),
        "min_notional": d("10"),
    }
    fields.update(overrides)
    return Instrument(**fields)


def a_submit(**overrides: Any) -> SubmitOrder:
    """Return a valid DAY limit buy of 300 ACME at 10.00."""
    fields: dict[str, Any] = {
        "client_order_id": "C-1",
        "account": "ACC-1",
        "symbol": "ACME",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": d("300"),
        "price": d("10.00"),
        "time_in_force": TimeInForce.DAY,
    }
    fields.update(overrides)
    return SubmitOrder(**fields)


class OrderBook:
    """One order's event stream: decide, append, fold. Keeps every applied event."""

    def __init__(self, **submit_overrides: Any) -> None:
        submitted = decide_submit(a_submit(**submit_overrides), ORDER_ID, VENUE, "digest", NOW, NOW)
        self.events: list[OrderEvent] = [submitted]
        self.order: Order = evolve(None, submitted)

    def apply(self, events: list[OrderEvent]) -> list[OrderEvent]:
        for event in events:
            self.order = evolve(self.order, event)
            self.events.append(event)
        return events

    def report(self, report: ExecutionReport) -> list[OrderEvent]:
        return self.apply(decide_report(self.order, report, NOW + self.order.version))

    def accept(self, venue_order_id: str | None = "V-1") -> list[OrderEvent]:
        return self.report(a_report(ExecKind.ACCEPTED, venue_order_id=venue_order_id))

    def fill(
        self, execution_id: str, quantity: str, price: str, fee: str = "0"
    ) -> list[OrderEvent]:
        return self.report(a_fill(execution_id, quantity, price, fee))

    def request_cancel(self) -> list[OrderEvent]:
        return self.apply([decide_cancel(self.order, NOW + self.order.version)])

    def request_modify(self, **terms: Any) -> list[OrderEvent]:
        command = ModifyOrder(order_id=self.order.id, **terms)
        return self.apply([decide_modify(self.order, command, an_instrument(), NOW)])


def a_report(kind: ExecKind, **overrides: Any) -> ExecutionReport:
    """Return an execution report of ``kind`` for the test order."""
    fields: dict[str, Any] = {"kind": kind, "venue": VENUE, "order_id": ORDER_ID}
    fields.update(overrides)
    return ExecutionReport(**fields)


def a_fill(execution_id: str, quantity: str, price: str, fee: str = "0") -> ExecutionReport:
    """Return a TRADE report of ``quantity`` at ``price``."""
    return a_report(
        ExecKind.TRADE,
        execution_id=execution_id,
        last_quantity=d(quantity),
        last_price=d(price),
        fee=d(fee),
        fee_currency="USD",
    )


def an_accepted_order(**submit_overrides: Any) -> OrderBook:
    """Return a book whose order the venue has acknowledged (NEW)."""
    book = OrderBook(**submit_overrides)
    book.accept()
    return book
