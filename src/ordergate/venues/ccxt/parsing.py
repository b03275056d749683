"""ccxt's unified order and trade dicts -> ordergate's reports, with exact decimals.

The adapter sets the ccxt exchange's ``number`` to ``str``, so ccxt hands back every amount
as the exchange's own decimal string (or a string ccxt computed with its exact string
arithmetic) instead of a float; this module turns those strings into ``Decimal`` through
:func:`~ordergate.domain.values.to_decimal`, which refuses floats outright. A float here
means a ccxt path that did not honour ``number``: :class:`ParseError`, never a guess.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ordergate.domain.reports import ExecKind, ExecutionReport, FillReport, OrderStatusReport
from ordergate.domain.values import Liquidity, OrderStatus, Side, to_decimal

__all__ = [
    "ParseError",
    "fill_report",
    "order_status",
    "status_report",
    "to_ccxt_time_in_force",
    "trade_report",
    "venue_decimal",
]

_NS_PER_MS = 1_000_000

# ccxt's unified order status -> ours; "open" splits on the filled quantity.
_STATUSES = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


class ParseError(ValueError):
    """A ccxt structure lacks a field the report needs, or carries a float."""


def venue_decimal(value: object, field: str) -> Decimal:
    """Return a ccxt number field as a Decimal.

    Raises
    ------
    ParseError
        If the field is missing, a float, or not a number.
    """
    if value is None:
        raise ParseError(f"{field} is missing")
    try:
        return to_decimal(value)
    except (TypeError, ValueError) as e:
        raise ParseError(f"{field}: {e}") from None


def _optional_decimal(value: object, field: str) -> Decimal | None:
    return None if value is None or value == "" else venue_decimal(value, field)


def _ts_ns(structure: dict[str, Any], fallback_ns: int) -> int:
    timestamp = structure.get("timestamp")
    return timestamp * _NS_PER_MS if isinstance(timestamp, int) else fallback_ns


def order_status(order: dict[str, Any]) -> OrderStatus:
    """Return the status of a ccxt order.

    Raises
    ------
    ParseError
        If the status is missing or not one ccxt defines.
    """
    raw = order.get("status")
    if raw == "open":
        filled = _optional_decimal(order.get("filled"), "filled") or Decimal(0)
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.NEW
    status = _STATUSES.get(raw) if isinstance(raw, str) else None
    if status is None:
        raise ParseError(f"unknown order status {raw!r}")
    return status


def _side(raw: object) -> Side:
    if raw == "buy":
        return Side.BUY
    if raw == "sell":
        return Side.SELL
    raise ParseError(f"unknown side {raw!r}")


def _liquidity(raw: object) -> Liquidity | None:
    if raw == "maker":
        return Liquidity.MAKER
    if raw == "taker":
        return Liquidity.TAKER
    return None


def _fee(trade: dict[str, Any]) -> tuple[Decimal, str | None]:
    fee = trade.get("fee")
    if not isinstance(fee, dict) or fee.get("cost") is None:
        return Decimal(0), None
    currency = fee.get("currency")
    return venue_decimal(fee["cost"], "fee.cost"), currency if isinstance(currency, str) else None


def trade_report(venue: str, order_id: str, trade: dict[str, Any], now_ns: int) -> ExecutionReport:
    """Return the TRADE execution report of one ccxt trade of order ``order_id``.

    Raises
    ------
    ParseError
        If the trade has no id, amount or price.
    """
    execution_id = trade.get("id")
    if execution_id is None:
        raise ParseError("trade id is missing")
    fee, currency = _fee(trade)
    venue_order_id = trade.get("order")
    return ExecutionReport(
        kind=ExecKind.TRADE,
        venue=venue,
        order_id=order_id,
        venue_order_id=None if venue_order_id is None else str(venue_order_id),
        execution_id=str(execution_id),
        last_quantity=venue_decimal(trade.get("amount"), "amount"),
        last_price=venue_decimal(trade.get("price"), "price"),
        fee=fee,
        fee_currency=currency,
        liquidity=_liquidity(trade.get("takerOrMaker")),
        ts_event=_ts_ns(trade, now_ns),
    )


def fill_report(
    venue: str, order_id: str, symbol: str, trade: dict[str, Any], now_ns: int
) -> FillReport:
    """Return one ccxt trade as a reconciliation fill (``symbol`` is ordergate's).

    Raises
    ------
    ParseError
        If the trade lacks an id, order id, side, amount or price.
    """
    report = trade_report(venue, order_id, trade, now_ns)
    if report.venue_order_id is None:
        raise ParseError("trade order id is missing")
    assert report.execution_id is not None
    assert report.last_quantity is not None
    assert report.last_price is not None
    return FillReport(
        venue=venue,
        order_id=order_id,
        venue_order_id=report.venue_order_id,
        execution_id=report.execution_id,
        symbol=symbol,
        side=_side(trade.get("side")),
        quantity=report.last_quantity,
        price=report.last_price,
        fee=report.fee,
        fee_currency=report.fee_currency or "",
        liquidity=report.liquidity or Liquidity.TAKER,
        ts_event=report.ts_event,
    )


def status_report(
    venue: str, order_id: str, symbol: str, order: dict[str, Any], now_ns: int
) -> OrderStatusReport:
    """Return a ccxt order as a reconciliation status report (``symbol`` is ordergate's).

    Raises
    ------
    ParseError
        If the order lacks an id, side, amount or status.
    """
    venue_order_id = order.get("id")
    if venue_order_id is None:
        raise ParseError("order id is missing")
    return OrderStatusReport(
        venue=venue,
        order_id=order_id,
        venue_order_id=str(venue_order_id),
        symbol=symbol,
        side=_side(order.get("side")),
        status=order_status(order),
        quantity=venue_decimal(order.get("amount"), "amount"),
        filled_quantity=_optional_decimal(order.get("filled"), "filled") or Decimal(0),
        price=_optional_decimal(order.get("price"), "price"),
        ts_event=_ts_ns(order, now_ns),
    )


def to_ccxt_time_in_force(value: str) -> str:
    """Return the ccxt ``timeInForce`` for one of ours (DAY -> GTC: crypto never closes)."""
    return "GTC" if value in ("DAY", "GTC") else value
