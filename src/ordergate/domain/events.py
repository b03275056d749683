"""Order events: past tense, immutable, the only source of truth about an order.

An order is the fold of its events (see :mod:`ordergate.domain.order`). Every event carries
``event_id``, ``order_id`` (its stream), ``version`` (1, 2, 3... within the stream),
``ts_event`` (when it happened at its source) and ``ts_init`` (when ordergate created the
event), both integer nanoseconds.

Schema versions
---------------
Each event class declares ``SCHEMA_VERSION``. When a class changes shape, its version is
bumped and an upcaster from the old version is registered in
:mod:`ordergate.oms.codec`, so events written years ago still read as today's types.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import msgspec

from ordergate.domain.values import Liquidity, OrderType, Side, TimeInForce

__all__ = [
    "EVENT_TYPES",
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderEvent",
    "OrderExpired",
    "OrderFillRefused",
    "OrderFilled",
    "OrderPartiallyFilled",
    "OrderPendingCancel",
    "OrderPendingReplace",
    "OrderRejected",
    "OrderReplaceRejected",
    "OrderReplaced",
    "OrderSubmitted",
]


class OrderEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Fields every order event has."""

    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: str
    order_id: str
    version: int
    ts_event: int
    ts_init: int


class OrderSubmitted(OrderEvent, frozen=True, kw_only=True):
    """The OMS took the order (durably); it is PENDING_NEW."""

    client_order_id: str
    account: str
    portfolio: str | None
    strategy: str | None
    venue: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    expire_time: int | None
    request_digest: str


class OrderAccepted(OrderEvent, frozen=True, kw_only=True):
    """The venue acknowledged the order."""

    venue: str
    venue_order_id: str | None


class OrderRejected(OrderEvent, frozen=True, kw_only=True):
    """The venue (or the OMS on its behalf) refused the order.

    Schema v2 added ``code``; v1 events are upcast with code ``VENUE_REJECTED``.
    """

    SCHEMA_VERSION: ClassVar[int] = 2

    code: str
    reason: str


class OrderPendingCancel(OrderEvent, frozen=True, kw_only=True):
    """A cancel was requested and sent to the venue."""


class OrderCanceled(OrderEvent, frozen=True, kw_only=True):
    """The order is canceled; its leaves quantity will not trade."""

    reason: str | None = None


class OrderCancelRejected(OrderEvent, frozen=True, kw_only=True):
    """The venue refused a cancel; the order is back in its previous status."""

    reason: str


class OrderPendingReplace(OrderEvent, frozen=True, kw_only=True):
    """A modify was requested: these terms were sent to the venue as a cancel/replace."""

    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    expire_time: int | None


class OrderReplaced(OrderEvent, frozen=True, kw_only=True):
    """The venue applied new terms; the order keeps its identity."""

    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    expire_time: int | None


class OrderReplaceRejected(OrderEvent, frozen=True, kw_only=True):
    """The venue refused a replace; the order keeps its previous terms and status."""

    reason: str


class _Fill(OrderEvent, frozen=True, kw_only=True):
    """A fill, with the order's cumulative figures after it."""

    execution_id: str
    venue: str
    last_quantity: Decimal
    last_price: Decimal
    fee: Decimal
    fee_currency: str | None
    liquidity: Liquidity | None
    filled_quantity: Decimal
    leaves_quantity: Decimal
    notional: Decimal


class OrderPartiallyFilled(_Fill, frozen=True, kw_only=True):
    """Part of the order traded; some quantity is still working."""


class OrderFilled(_Fill, frozen=True, kw_only=True):
    """The order's whole quantity has traded."""


class OrderFillRefused(OrderEvent, frozen=True, kw_only=True):
    """A fill that would take the order beyond its quantity: not applied, flagged for review."""

    execution_id: str
    venue: str
    last_quantity: Decimal
    last_price: Decimal
    reason: str


class OrderExpired(OrderEvent, frozen=True, kw_only=True):
    """The order's time in force ran out."""


EVENT_TYPES: dict[str, type[OrderEvent]] = {
    cls.__name__: cls
    for cls in (
        OrderSubmitted,
        OrderAccepted,
        OrderRejected,
        OrderPendingCancel,
        OrderCanceled,
        OrderCancelRejected,
        OrderPendingReplace,
        OrderReplaced,
        OrderReplaceRejected,
        OrderPartiallyFilled,
        OrderFilled,
        OrderFillRefused,
        OrderExpired,
    )
}
