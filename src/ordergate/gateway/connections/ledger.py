"""Which connection holds which order, and which fills were delivered: pure bookkeeping.

Invariants
----------
- An order is held by at most one connection (the one it was sent on, or the one whose
  open-orders answer named it); cancels and replaces go there.
- An order is in flight from its submit until its first ACCEPTED / REJECTED / TRADE
  report; that span is the request (ack) latency.
- A fill (by execution id) is delivered once, however many times the stream and re-syncs
  report it. The ids remembered are bounded (oldest forgotten first).
- An order is forgotten once finished: canceled, rejected, expired, or filled in full.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from decimal import Decimal

import msgspec

from ordergate.domain.reports import ExecKind, ExecutionReport, OrderStatusReport, VenueOrder
from ordergate.domain.values import ZERO, OrderStatus, Side

__all__ = ["Holding", "OrderLedger", "ReportOutcome"]

_DONE = frozenset({ExecKind.CANCELED, ExecKind.REJECTED, ExecKind.EXPIRED})
_ACKS = frozenset({ExecKind.ACCEPTED, ExecKind.REJECTED, ExecKind.TRADE})


class Holding(msgspec.Struct, kw_only=True):
    """An order one connection holds, and how much of it is filled."""

    connection: int
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal | None
    filled: Decimal = ZERO


class ReportOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What one report means: deliver it or not, and the ack latency it completed."""

    deliver: bool
    ack_latency_ns: int | None = None


class OrderLedger:
    """The orders the connections of one broker hold (see the module docstring).

    Raises
    ------
    ValueError
        If ``max_execution_ids`` is below 1.
    """

    def __init__(self, max_execution_ids: int = 200_000) -> None:
        if max_execution_ids < 1:
            raise ValueError("max_execution_ids must be at least 1")
        self.max_execution_ids = max_execution_ids
        self._held: dict[str, Holding] = {}
        self._sent_at: dict[str, int] = {}
        self._in_flight: Counter[int] = Counter()
        self._execution_ids: OrderedDict[str, None] = OrderedDict()

    def holder(self, order_id: str) -> int | None:
        """Return the connection holding ``order_id``, or None."""
        holding = self._held.get(order_id)
        return None if holding is None else holding.connection

    def held_by(self, connection: int) -> list[str]:
        """Return the orders ``connection`` holds, in the order they were taken."""
        return [order_id for order_id, h in self._held.items() if h.connection == connection]

    def in_flight(self, connection: int) -> int:
        """Return how many orders sent on ``connection`` await their first report."""
        return self._in_flight[connection]

    def delivered(self, execution_id: str) -> bool:
        """Return True if the fill ``execution_id`` was delivered already."""
        return execution_id in self._execution_ids

    def sent(self, connection: int, order: VenueOrder, now: int) -> None:
        """Note that ``order`` went out on ``connection`` at ``now``."""
        self.forget(order.order_id)
        self._held[order.order_id] = Holding(
            connection=connection,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            price=order.price,
        )
        self._sent_at[order.order_id] = now
        self._in_flight[connection] += 1

    def forget(self, order_id: str) -> None:
        """Drop an order (finished, or never sent after all)."""
        holding = self._held.pop(order_id, None)
        if self._sent_at.pop(order_id, None) is not None and holding is not None:
            self._in_flight[holding.connection] -= 1

    def adopt(self, connection: int, reports: list[OrderStatusReport]) -> None:
        """Take the orders a connection's open-orders answer names, unless held already."""
        for report in reports:
            if report.order_id not in self._held:
                self._held[report.order_id] = Holding(
                    connection=connection,
                    symbol=report.symbol,
                    side=report.side,
                    quantity=report.quantity,
                    price=report.price,
                    filled=report.filled_quantity,
                )

    def on_report(self, report: ExecutionReport, now: int) -> ReportOutcome:
        """Apply one report; say whether to deliver it (a repeated fill is not)."""
        order_id = report.order_id
        kind = report.kind
        if kind is ExecKind.TRADE:
            execution_id = report.execution_id or ""
            if execution_id in self._execution_ids:
                return ReportOutcome(deliver=False)
            self._execution_ids[execution_id] = None
            if len(self._execution_ids) > self.max_execution_ids:
                self._execution_ids.popitem(last=False)
        latency = None
        sent_at = self._sent_at.get(order_id) if kind in _ACKS else None
        holding = self._held.get(order_id)
        if sent_at is not None and holding is not None:
            del self._sent_at[order_id]
            self._in_flight[holding.connection] -= 1
            latency = max(0, now - sent_at)
        if holding is not None:
            if kind is ExecKind.TRADE:
                holding.filled += report.last_quantity or ZERO
                if holding.filled >= holding.quantity:
                    self.forget(order_id)
            elif kind in _DONE:
                self.forget(order_id)
            elif kind is ExecKind.REPLACED and report.quantity is not None:
                holding.quantity = report.quantity
        return ReportOutcome(deliver=True, ack_latency_ns=latency)

    def assumed_open(self, connection: int, venue: str, now: int) -> list[OrderStatusReport]:
        """Return the orders ``connection`` holds as open: what is known while it is down."""
        return [
            OrderStatusReport(
                venue=venue,
                order_id=order_id,
                venue_order_id="",
                symbol=h.symbol,
                side=h.side,
                status=OrderStatus.PARTIALLY_FILLED if h.filled else OrderStatus.NEW,
                quantity=h.quantity,
                filled_quantity=h.filled,
                price=h.price,
                ts_event=now,
            )
            for order_id, h in self._held.items()
            if h.connection == connection
        ]
