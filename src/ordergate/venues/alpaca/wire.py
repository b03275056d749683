"""ordergate's orders and replace requests as Alpaca request bodies: every number a string.

alpaca-py's request models (``LimitOrderRequest`` and friends) hold ``qty`` and prices as
floats; the adapter builds the JSON body itself from Decimals and posts it through the
client, so no price ever passes through a binary float.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce, strip_zeros
from ordergate.venues.alpaca.config import AlpacaVenueConfig
from ordergate.venues.base import ReplaceRequest

__all__ = ["order_body", "refusal", "replace_body"]

_TYPES = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}
_TIF: dict[TimeInForce, str] = {
    TimeInForce.DAY: "day",
    TimeInForce.GTC: "gtc",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
}
_SIDES = {Side.BUY: "buy", Side.SELL: "sell"}


def number(value: Decimal) -> str:
    """Return ``value`` as a plain decimal string (never exponent notation)."""
    return format(strip_zeros(value), "f")


def refusal(order: VenueOrder) -> str | None:
    """Return why Alpaca cannot take ``order`` as it is, or None when it can."""
    if order.time_in_force not in _TIF:
        return f"Alpaca has no time in force {order.time_in_force}"
    return None


def order_body(order: VenueOrder, config: AlpacaVenueConfig) -> dict[str, str]:
    """Return the POST /v2/orders body of ``order``; its order id is the client order id."""
    body = {
        "symbol": config.venue_symbol(order.symbol),
        "qty": number(order.quantity),
        "side": _SIDES[order.side],
        "type": _TYPES[order.order_type],
        "time_in_force": _TIF[order.time_in_force],
        "client_order_id": order.order_id,
    }
    if order.price is not None:
        body["limit_price"] = number(order.price)
    if order.stop_price is not None:
        body["stop_price"] = number(order.stop_price)
    return body


def replace_body(request: ReplaceRequest, client_order_id: str) -> dict[str, str]:
    """Return the PATCH /v2/orders/{order_id} body of ``request``.

    Raises
    ------
    ValueError
        If the new time in force is not one Alpaca takes.
    """
    body = {"client_order_id": client_order_id}
    if request.quantity is not None:
        body["qty"] = number(request.quantity)
    if request.price is not None:
        body["limit_price"] = number(request.price)
    if request.stop_price is not None:
        body["stop_price"] = number(request.stop_price)
    if request.time_in_force is not None:
        tif = _TIF.get(request.time_in_force)
        if tif is None:
            raise ValueError(f"Alpaca has no time in force {request.time_in_force}")
        body["time_in_force"] = tif
    return body
