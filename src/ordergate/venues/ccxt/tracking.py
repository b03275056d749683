"""What the adapter has already reported for each order, so every report goes out once.

Pure. One order's news reaches the adapter several ways: the REST answer to the submit, the
websocket order and trade streams, and queries made to resolve a lost request. The
:class:`OrderTracker` decides which of them still needs a report:

- ACCEPTED once per order, before anything else about it (a CANCELED or EXPIRED seen first,
  because two updates came together, is preceded by a synthesized ACCEPTED), except for an
  order the adapter never sent, of which it reports only what the venue said;
- a TRADE once per execution id;
- one terminal report (CANCELED, EXPIRED or REJECTED) per order; FILLED needs none, its
  last TRADE says it.

It also maps venue order ids to our order ids, since trades name only the venue's.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderStatus

__all__ = ["OrderTracker", "TrackedOrder"]

_TERMINAL_KIND = {
    OrderStatus.CANCELED: ExecKind.CANCELED,
    OrderStatus.EXPIRED: ExecKind.EXPIRED,
    OrderStatus.REJECTED: ExecKind.REJECTED,
}


class TrackedOrder:
    """The adapter's memory of one order."""

    __slots__ = (
        "accepted",
        "finished",
        "order_id",
        "reported_filled",
        "symbol",
        "trade_ids",
        "venue_order_id",
    )

    def __init__(self, order_id: str, symbol: str | None) -> None:
        self.order_id = order_id
        self.symbol = symbol  # ccxt symbol
        self.venue_order_id: str | None = None
        self.accepted = False
        self.finished = False
        self.trade_ids: set[str] = set()
        self.reported_filled = Decimal(0)  # sum of the TRADE reports made


class OrderTracker:
    """Reports already made, by order id."""

    def __init__(self) -> None:
        self._orders: dict[str, TrackedOrder] = {}
        self._by_venue_id: dict[str, str] = {}

    def track(self, order_id: str, symbol: str | None) -> TrackedOrder:
        """Return the record of ``order_id``, creating it."""
        tracked = self._orders.get(order_id)
        if tracked is None:
            tracked = self._orders[order_id] = TrackedOrder(order_id, symbol)
        elif symbol is not None and tracked.symbol is None:
            tracked.symbol = symbol
        return tracked

    def foreign(self, order_id: str) -> None:
        """Track an order the adapter never sent: its fills are reported, no ACCEPTED made up."""
        self.track(order_id, None).accepted = True

    def get(self, order_id: str) -> TrackedOrder | None:
        """Return the record of ``order_id`` if the adapter has seen it."""
        return self._orders.get(order_id)

    def link(self, order_id: str, venue_order_id: str) -> None:
        """Remember that the venue calls ``order_id`` ``venue_order_id``."""
        self.track(order_id, None).venue_order_id = venue_order_id
        self._by_venue_id[venue_order_id] = order_id

    def order_id_of(self, venue_order_id: str | None) -> str | None:
        """Return our order id of a venue order id, if known."""
        return None if venue_order_id is None else self._by_venue_id.get(venue_order_id)

    def unfinished(self) -> list[str]:
        """Return the ids of orders not known to be finished."""
        return [o.order_id for o in self._orders.values() if not o.finished]

    def symbols(self) -> set[str]:
        """Return every ccxt symbol an order was tracked in."""
        return {o.symbol for o in self._orders.values() if o.symbol is not None}

    def on_status(self, order_id: str, status: OrderStatus) -> list[ExecKind]:
        """Return the reports still due for an order now seen in ``status``, in order."""
        tracked = self.track(order_id, None)
        due: list[ExecKind] = []
        if status is OrderStatus.REJECTED:
            if not tracked.accepted and not tracked.finished:
                tracked.finished = True
                due.append(ExecKind.REJECTED)
            return due
        if status is OrderStatus.PENDING_NEW:
            return due
        if not tracked.accepted:
            tracked.accepted = True
            due.append(ExecKind.ACCEPTED)
        kind = _TERMINAL_KIND.get(status)
        if kind is not None and not tracked.finished:
            tracked.finished = True
            due.append(kind)
        elif status is OrderStatus.FILLED:
            tracked.finished = True
        return due

    def on_trade(self, order_id: str, execution_id: str, quantity: Decimal) -> bool:
        """Return True when this execution of ``order_id`` has not been reported yet."""
        tracked = self.track(order_id, None)
        if execution_id in tracked.trade_ids:
            return False
        tracked.trade_ids.add(execution_id)
        tracked.reported_filled += quantity
        return True

    def missing_fills(self, order_id: str, filled: Decimal) -> bool:
        """Return True when the venue says ``filled`` but fewer fills were reported."""
        tracked = self._orders.get(order_id)
        reported = Decimal(0) if tracked is None else tracked.reported_filled
        return filled > reported

    def reject(self, order_id: str) -> bool:
        """Return True (and mark it) when ``order_id`` may still be reported REJECTED."""
        tracked = self.track(order_id, None)
        if tracked.accepted or tracked.finished:
            return False
        tracked.finished = True
        return True
