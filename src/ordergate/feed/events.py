"""The feed's messages: one :class:`FeedEvent` per stored event, and :class:`Control` frames."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ordergate.domain.events import OrderEvent
from ordergate.feed.directory import OrderTags

__all__ = ["Control", "ControlKind", "FeedEvent", "feed_event"]

ControlKind = Literal["catching_up", "live"]


class FeedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One stored event as the feed sends it.

    Attributes
    ----------
    position
        The event's global position in the event log (its total order); resume after it.
    type
        The event type, e.g. ``"OrderFilled"``.
    order_id
        The order (the event's stream).
    account, portfolio, strategy, symbol, venue
        The order's attributes, from its ``OrderSubmitted`` (None if that was never seen).
    ts_event
        When it happened at its source, integer nanoseconds.
    body
        The event's fields as JSON-ready data: decimals as exact strings, enums as values.
    """

    position: int
    type: str
    order_id: str
    account: str | None
    portfolio: str | None
    strategy: str | None
    symbol: str | None
    venue: str | None
    ts_event: int
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return this event as a JSON-ready mapping."""
        return {
            "position": self.position,
            "type": self.type,
            "order_id": self.order_id,
            "account": self.account,
            "portfolio": self.portfolio,
            "strategy": self.strategy,
            "symbol": self.symbol,
            "venue": self.venue,
            "ts_event": self.ts_event,
            "event": self.body,
        }


class Control(msgspec.Struct, frozen=True, kw_only=True):
    """A message about the subscription itself rather than an event.

    Attributes
    ----------
    kind
        ``"catching_up"``: the subscriber fell behind the live stream and now reads from
        the log; ``"live"``: it has caught up and follows the live stream again.
    position
        The last position examined: delivery resumes with the events after it.
    """

    kind: ControlKind
    position: int

    def to_json(self) -> dict[str, Any]:
        """Return this message as a JSON-ready mapping."""
        return {"type": "control", "control": self.kind, "position": self.position}


def feed_event(position: int, event: OrderEvent, tags: OrderTags | None) -> FeedEvent:
    """Return the feed's form of ``event`` stored at ``position``.

    Parameters
    ----------
    position
        The event's global position in the log.
    event
        The decoded (upcast) order event.
    tags
        Its order's attributes, from an :class:`~ordergate.feed.directory.OrderDirectory`.
    """
    body: dict[str, Any] = msgspec.to_builtins(event)
    venue = getattr(event, "venue", None)
    return FeedEvent(
        position=position,
        type=type(event).__name__,
        order_id=event.order_id,
        account=tags.account if tags else None,
        portfolio=tags.portfolio if tags else None,
        strategy=tags.strategy if tags else None,
        symbol=tags.symbol if tags else None,
        venue=venue if isinstance(venue, str) else (tags.venue if tags else None),
        ts_event=event.ts_event,
        body=body,
    )
