"""What the simulated broker refuses before an order reaches the matching engine.

Each check raises :class:`AlpacaApiError` with Alpaca's HTTP status and error ``code``;
nothing has changed when one does. The codes are Alpaca's: 40010001 for a request that
fails validation (HTTP 422), 40310000 for insufficient buying power (HTTP 403),
40410000 for something that does not exist (HTTP 404), 42210000 for an order whose state
does not allow the request (HTTP 422).
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.sim.alpaca.schemas import OrderBody, ReplaceBody

__all__ = [
    "CODE_FORBIDDEN",
    "CODE_INTERNAL",
    "CODE_INVALID",
    "CODE_MALFORMED",
    "CODE_NOT_FOUND",
    "CODE_RATE_LIMITED",
    "CODE_UNAUTHORIZED",
    "CODE_WRONG_STATE",
    "AlpacaApiError",
    "check_new_order",
    "check_replace",
]

CODE_MALFORMED = 40010000
CODE_INVALID = 40010001
CODE_UNAUTHORIZED = 40110000
CODE_FORBIDDEN = 40310000
CODE_NOT_FOUND = 40410000
CODE_WRONG_STATE = 42210000
CODE_RATE_LIMITED = 42910000
CODE_INTERNAL = 50010000

SIDES = {"buy": Side.BUY, "sell": Side.SELL}
ORDER_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
}
# opg and cls (auction orders) are Alpaca's too; the simulator has no auctions.
TIMES_IN_FORCE = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
}
_MAX_CLIENT_ORDER_ID = 128


class AlpacaApiError(Exception):
    """A request the simulated broker refuses, as Alpaca would answer it.

    Parameters
    ----------
    status
        HTTP status of the answer.
    code
        Alpaca's error code (the ``code`` of the JSON body).
    message
        Alpaca's text.
    """

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def invalid(message: str) -> AlpacaApiError:
    """Return the 422 error of a request that fails validation."""
    return AlpacaApiError(422, CODE_INVALID, message)


def check_new_order(body: OrderBody, symbols: frozenset[str]) -> None:
    """Raise why ``body`` cannot be an order at this broker; return when it can."""
    if body.symbol not in symbols:
        raise invalid(f'asset "{body.symbol}" not found')
    if body.side not in SIDES:
        raise invalid(f"invalid side {body.side!r}")
    if body.type not in ORDER_TYPES:
        raise invalid(f"invalid order type {body.type!r}")
    if body.time_in_force not in TIMES_IN_FORCE:
        raise invalid(f"invalid time_in_force {body.time_in_force!r}")
    if body.order_class not in (None, "", "simple"):
        raise invalid(f"order_class {body.order_class!r} is not supported")
    if body.notional is not None:
        raise invalid("notional orders are not supported; send qty")
    if body.qty is None:
        raise invalid("qty is required")
    _check_qty(body.qty)
    needs_limit = body.type in ("limit", "stop_limit")
    needs_stop = body.type in ("stop", "stop_limit")
    _check_price("limit_price", body.limit_price, needs_limit, body.type)
    _check_price("stop_price", body.stop_price, needs_stop, body.type)
    cid = body.client_order_id
    if cid is not None and not 0 < len(cid) <= _MAX_CLIENT_ORDER_ID:
        raise invalid(f"client_order_id must be 1 to {_MAX_CLIENT_ORDER_ID} characters")


def check_replace(body: ReplaceBody, order_type: str) -> None:
    """Raise why ``body`` cannot replace an order of ``order_type``; return when it can."""
    if body.trail is not None:
        raise invalid("trail applies to trailing stop orders only")
    if body.qty is not None:
        _check_qty(body.qty)
    if body.time_in_force is not None and body.time_in_force not in ("day", "gtc"):
        raise invalid(f"cannot replace an order to time_in_force {body.time_in_force!r}")
    if body.limit_price is not None:
        _check_price("limit_price", body.limit_price, order_type in ("limit", "stop_limit"), "")
    if body.stop_price is not None:
        _check_price("stop_price", body.stop_price, order_type in ("stop", "stop_limit"), "")
    cid = body.client_order_id
    if cid is not None and not 0 < len(cid) <= _MAX_CLIENT_ORDER_ID:
        raise invalid(f"client_order_id must be 1 to {_MAX_CLIENT_ORDER_ID} characters")


def _check_qty(qty: Decimal) -> None:
    if not qty.is_finite() or qty <= 0:
        raise invalid("qty must be > 0")
    if qty != qty.to_integral_value():
        raise invalid("fractional orders are not supported; qty must be whole shares")


def _check_price(name: str, price: Decimal | None, needed: bool, order_type: str) -> None:
    if price is None:
        if needed:
            raise invalid(f"{name} is required for {order_type} orders")
        return
    if not needed:
        raise invalid(f"{name} does not apply to this order type")
    if not price.is_finite() or price <= 0:
        raise invalid(f"{name} must be > 0")
