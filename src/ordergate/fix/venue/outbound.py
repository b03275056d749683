"""Requests we send to a FIX venue, built from domain types (pure).

- :func:`new_order_single`: a :class:`~ordergate.domain.reports.VenueOrder` as
  NewOrderSingle(D);
- :func:`cancel_request`: OrderCancelRequest(F);
- :func:`replace_request`: OrderCancelReplaceRequest(G) with the full new terms;
- :func:`status_request`: OrderStatusRequest(H);
- :func:`mass_cancel_request`: OrderMassCancelRequest(q), FIX 4.4 only.

FIX 4.2 requires HandlInst(21) on D and G; FIX 4.4 makes it optional and we leave it out.
OrdStatusReqID(790) exists only in FIX 4.4. The header (8, 9, 34, 49, 52, 56) is the
session's; each builder returns MsgType(35) and body fields, after the counterparty's
``extra_tags`` and ``tag_renames`` (see :class:`~ordergate.fix.venue.config.FixVenueConfig`).
Prices and quantities are written from ``Decimal`` exactly.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import VenueOrder
from ordergate.domain.values import OrderType, TimeInForce
from ordergate.fix.message import FieldValue, FixMessage
from ordergate.fix.venue.book import WorkingOrder
from ordergate.fix.venue.codes import (
    FIX42,
    ORD_TYPE,
    SIDE,
    TIME_IN_FORCE,
    FixMappingError,
    format_utc_timestamp,
)
from ordergate.fix.venue.config import FixVenueConfig
from ordergate.venues.base import ReplaceRequest

__all__ = [
    "cancel_request",
    "mass_cancel_request",
    "new_order_single",
    "replace_request",
    "status_request",
]


def _finish(config: FixVenueConfig, message: FixMessage) -> FixMessage:
    extra = config.extra_tags.get(message.msg_type)
    if extra:
        message.extend(extra.items())
    renames = config.tag_renames
    if renames:
        message.fields = [(renames.get(tag, tag), value) for tag, value in message.fields]
    return message


def _account(config: FixVenueConfig, account: str) -> str:
    return config.account or account


def _terms(
    order_type: OrderType,
    quantity: Decimal,
    price: Decimal | None,
    stop_price: Decimal | None,
    time_in_force: TimeInForce,
    expire_time: int | None,
) -> list[tuple[int, FieldValue]]:
    if quantity <= 0:
        raise FixMappingError(f"OrderQty(38) {quantity} must be positive")
    fields: list[tuple[int, FieldValue]] = [(38, quantity), (40, ORD_TYPE[order_type])]
    if price is not None:
        fields.append((44, price))
    if stop_price is not None:
        fields.append((99, stop_price))
    fields.append((59, TIME_IN_FORCE[time_in_force]))
    if time_in_force is TimeInForce.GTD:
        if expire_time is None:
            raise FixMappingError("a GTD order needs ExpireTime(126)")
        fields.append((126, format_utc_timestamp(expire_time)))
    return fields


def new_order_single(config: FixVenueConfig, order: VenueOrder, now: int) -> FixMessage:
    """Return NewOrderSingle(D) for ``order``; ClOrdID(11) is our order id.

    Raises
    ------
    FixMappingError
        If the order's terms cannot be expressed (no positive quantity, GTD without expiry).
    """
    message = FixMessage.of(
        "D",
        (11, order.order_id),
        (1, _account(config, order.account)),
    )
    if config.begin_string == FIX42:
        message.append(21, config.handl_inst)
    message.extend(
        [
            (55, config.symbols.get(order.symbol, order.symbol)),
            (54, SIDE[order.side]),
            (60, format_utc_timestamp(now)),
            *_terms(
                order.order_type,
                order.quantity,
                order.price,
                order.stop_price,
                order.time_in_force,
                order.expire_time,
            ),
        ]
    )
    return _finish(config, message)


def _order_fields(
    config: FixVenueConfig, working: WorkingOrder, cl_ord_id: str
) -> list[tuple[int, FieldValue]]:
    fields: list[tuple[int, FieldValue]] = [(41, working.cl_ord_id), (11, cl_ord_id)]
    if working.venue_order_id:
        fields.append((37, working.venue_order_id))
    fields.append((1, _account(config, working.account)))
    return fields


def cancel_request(
    config: FixVenueConfig, working: WorkingOrder, cl_ord_id: str, now: int
) -> FixMessage:
    """Return OrderCancelRequest(F) for ``working`` with the new ClOrdID ``cl_ord_id``."""
    message = FixMessage.of("F", *_order_fields(config, working, cl_ord_id))
    message.extend(
        [
            (55, config.symbols.get(working.symbol, working.symbol)),
            (54, SIDE[working.side]),
            (60, format_utc_timestamp(now)),
            (38, working.quantity),
        ]
    )
    return _finish(config, message)


def replace_request(
    config: FixVenueConfig,
    working: WorkingOrder,
    request: ReplaceRequest,
    cl_ord_id: str,
    now: int,
) -> FixMessage:
    """Return OrderCancelReplaceRequest(G): ``working``'s terms with ``request``'s changes.

    Raises
    ------
    FixMappingError
        If the new terms cannot be expressed.
    """
    message = FixMessage.of("G", *_order_fields(config, working, cl_ord_id))
    if config.begin_string == FIX42:
        message.append(21, config.handl_inst)
    message.extend(
        [
            (55, config.symbols.get(working.symbol, working.symbol)),
            (54, SIDE[working.side]),
            (60, format_utc_timestamp(now)),
            *_terms(
                working.order_type,
                working.quantity if request.quantity is None else request.quantity,
                working.price if request.price is None else request.price,
                working.stop_price if request.stop_price is None else request.stop_price,
                working.time_in_force if request.time_in_force is None else request.time_in_force,
                working.expire_time,
            ),
        ]
    )
    return _finish(config, message)


def status_request(config: FixVenueConfig, working: WorkingOrder, request_id: str) -> FixMessage:
    """Return OrderStatusRequest(H) for ``working`` (OrdStatusReqID(790) on FIX 4.4)."""
    message = FixMessage.of("H", (11, working.cl_ord_id))
    if working.venue_order_id:
        message.append(37, working.venue_order_id)
    message.extend(
        [
            (55, config.symbols.get(working.symbol, working.symbol)),
            (54, SIDE[working.side]),
        ]
    )
    if config.begin_string != FIX42:
        message.append(790, request_id)
    return _finish(config, message)


def mass_cancel_request(
    config: FixVenueConfig, cl_ord_id: str, symbol: str | None, now: int
) -> FixMessage:
    """Return OrderMassCancelRequest(q): every order (530=7) or one symbol's (530=1).

    Raises
    ------
    FixMappingError
        If the counterparty does not take mass cancels (``supports_mass_cancel``).
    """
    if not config.supports_mass_cancel:
        raise FixMappingError(f"{config.name} does not take OrderMassCancelRequest(q)")
    message = FixMessage.of("q", (11, cl_ord_id))
    if symbol is None:
        message.append(530, b"7")
    else:
        message.extend([(530, b"1"), (55, config.symbols.get(symbol, symbol))])
    message.append(60, format_utc_timestamp(now))
    return _finish(config, message)
