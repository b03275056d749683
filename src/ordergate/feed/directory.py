"""Which account, portfolio, strategy, symbol and venue each order belongs to.

Only ``OrderSubmitted`` names them; every later event of the order names just its order id.
This pure projection remembers them per order id so any event can be filtered by them.
"""

from __future__ import annotations

import msgspec

from ordergate.domain.events import OrderEvent, OrderSubmitted

__all__ = ["OrderDirectory", "OrderTags"]


class OrderTags(msgspec.Struct, frozen=True, kw_only=True):
    """The attributes of an order that the feed filters on."""

    account: str
    portfolio: str | None
    strategy: str | None
    symbol: str
    venue: str


class OrderDirectory:
    """Order id -> :class:`OrderTags`, learned from ``OrderSubmitted`` events.

    An order's tags never change after it is submitted, so applying an event twice, or
    events of different orders in any order, gives the same directory.
    """

    def __init__(self) -> None:
        self._tags: dict[str, OrderTags] = {}

    def __len__(self) -> int:
        return len(self._tags)

    def apply(self, event: OrderEvent) -> OrderTags | None:
        """Learn from ``event`` and return the tags of its order (None if not yet known)."""
        if isinstance(event, OrderSubmitted):
            tags = OrderTags(
                account=event.account,
                portfolio=event.portfolio,
                strategy=event.strategy,
                symbol=event.symbol,
                venue=event.venue,
            )
            self._tags[event.order_id] = tags
            return tags
        return self._tags.get(event.order_id)

    def get(self, order_id: str) -> OrderTags | None:
        """Return the tags of ``order_id``, or None if its submission was not seen."""
        return self._tags.get(order_id)
