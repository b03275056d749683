"""The drop copy's per-order accumulator: each order folded from its feed events (pure).

CumQty(14), LeavesQty(151), AvgPx(6), OrderQty(38) and OrdStatus(39) need the order's whole
history, not just the event at hand. :class:`OrderBook` keeps, per open order, the domain's
own :class:`~ordergate.domain.order.Order`, folded with the domain's
:func:`~ordergate.domain.order.evolve` from the events the feed delivers, so a report says
exactly what the OMS's order says after the same events.

Invariants
----------
- :meth:`OrderBook.step` never changes the book: it returns the order before and after the
  event, and :meth:`OrderBook.commit` applies it. The shell commits only once the event's
  report is on its way, so an interrupted send leaves the book as of the last report.
- ``position`` is the last feed position committed; a subscription resumes after it.
- An order leaves the book with its terminal event (FILLED, CANCELED, REJECTED, EXPIRED have
  no outgoing transition), so the book holds open orders only. A later
  ``OrderFillRefused`` of such an order has no report and is passed over.
- Building the book needs every event of an order from its ``OrderSubmitted`` on: the shell
  feeds it from position 0 (see :mod:`ordergate.feed.dropcopy.stream`).
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from ordergate.domain.events import EVENT_TYPES, OrderEvent
from ordergate.domain.order import Order, evolve
from ordergate.domain.order_status import InvalidStateTransition
from ordergate.feed.dropcopy.reports import SKIPPED_EVENT_TYPES
from ordergate.feed.events import FeedEvent

__all__ = ["OrderBook", "Step", "UnappliedEvent"]


class UnappliedEvent(ValueError):
    """A feed event the book cannot fold (unknown type, bad body, or out of order)."""


class Step(NamedTuple):
    """One event and its order before and after it (``before`` is None for a new order)."""

    position: int
    event: OrderEvent
    before: Order | None
    after: Order


class OrderBook:
    """The open orders of one drop-copy stream, as of feed position :attr:`position`."""

    def __init__(self) -> None:
        self.position = 0
        self._orders: dict[str, Order] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def get(self, order_id: str) -> Order | None:
        """Return the open order ``order_id`` as of :attr:`position`, or None."""
        return self._orders.get(order_id)

    def step(self, item: FeedEvent) -> Step | None:
        """Return ``item``'s event with its order before and after it, without applying it.

        Returns None for an event of an order no longer in the book that has no report
        (:data:`~ordergate.feed.dropcopy.reports.SKIPPED_EVENT_TYPES`).

        Raises
        ------
        UnappliedEvent
            If the event type is unknown, its body does not decode, or the order's fold
            refuses it (its order was never submitted, or an event is missing).
        """
        event_type = EVENT_TYPES.get(item.type)
        if event_type is None:
            raise UnappliedEvent(f"position {item.position}: unknown event type {item.type!r}")
        try:
            event = msgspec.convert(item.body, event_type)
        except msgspec.ValidationError as e:
            raise UnappliedEvent(f"position {item.position}: {item.type} body: {e}") from None
        before = self._orders.get(event.order_id)
        if before is None and item.type in SKIPPED_EVENT_TYPES:
            return None
        try:
            after = evolve(before, event)
        except (ValueError, InvalidStateTransition) as e:
            raise UnappliedEvent(f"position {item.position}: {e}") from None
        return Step(item.position, event, before, after)

    def commit(self, position: int, step: Step | None = None) -> None:
        """Apply ``step`` (None: nothing to apply) and move :attr:`position` to ``position``.

        Raises
        ------
        ValueError
            If ``position`` is not after :attr:`position`.
        """
        if position <= self.position:
            raise ValueError(f"position {position} is not after {self.position}")
        self.position = position
        if step is None:
            return
        after = step.after
        if after.status.is_terminal:
            self._orders.pop(after.id, None)
        else:
            self._orders[after.id] = after
