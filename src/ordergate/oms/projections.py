"""Read models folded from the event log: orders, fills and positions.

The OMS applies each event to :class:`Projections` right after it is appended; at start-up
the same ``apply`` replays the whole log. Because live updates and replay share one code
path, rebuilding from the log gives exactly the state that was live.

Invariants
----------
- Events are applied per order in version order (the OMS serializes each order's writes).
- ``positions`` equal the sum of ``fills`` per (account, symbol).
- Each fill is counted once: fills come only from fill events, which the order aggregate
  emits once per execution id.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.events import OrderEvent, OrderFilled, OrderPartiallyFilled
from ordergate.domain.fill import Fill
from ordergate.domain.order import Order, evolve
from ordergate.domain.position import Position

__all__ = ["Projections"]


class Projections:
    """Orders by id, the client order id index, fills per order and positions."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.by_client_id: dict[tuple[str, str], str] = {}
        self.fills: dict[str, list[Fill]] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.last_price: dict[str, Decimal] = {}
        self.position_of_log = 0

    def apply(self, event: OrderEvent, position: int = 0) -> Order:
        """Fold one event into every read model and return the order after it."""
        order = evolve(self.orders.get(event.order_id), event)
        self.orders[order.id] = order
        if event.version == 1:
            self.by_client_id[(order.account, order.client_order_id)] = order.id
        if isinstance(event, OrderPartiallyFilled | OrderFilled):
            fill = Fill.from_event(event, order.account, order.symbol, order.side)
            self.fills.setdefault(order.id, []).append(fill)
            key = (order.account, order.symbol)
            current = self.positions.get(key) or Position(order.account, order.symbol)
            self.positions[key] = current.apply_fill(
                order.side, fill.quantity, fill.price, fill.fee
            )
            self.last_price[order.symbol] = fill.price
        self.position_of_log = max(self.position_of_log, position)
        return order

    def put(self, order: Order) -> None:
        """Install an order state loaded from elsewhere (e.g. a snapshot)."""
        self.orders[order.id] = order
        self.by_client_id[(order.account, order.client_order_id)] = order.id

    def order_by_client_id(self, account: str, client_order_id: str) -> Order | None:
        """Return the order an account placed with ``client_order_id``, if any."""
        order_id = self.by_client_id.get((account, client_order_id))
        return None if order_id is None else self.orders[order_id]
