"""Builders of the reports the simulated venue sends: execution, fill and status reports.

Pure functions from the engine's :class:`~ordergate.sim.orders.SimOrder` records to the
normalized, immutable report types of :mod:`ordergate.domain.reports`; they copy values out,
so a report never changes after it is made even though the order record does.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    Quote,
    TradeTick,
)
from ordergate.domain.values import ZERO, Liquidity, Side
from ordergate.sim.book import OrderBook
from ordergate.sim.orders import SimOrder

__all__ = [
    "fill_reports",
    "order_report",
    "quote_of",
    "status_report",
    "terms_report",
    "trade_tick",
]


def order_report(
    venue: str,
    kind: ExecKind,
    order_id: str,
    venue_order_id: str | None,
    now: int,
    reason: str | None,
) -> ExecutionReport:
    """Return a report that carries no terms: a reject, cancel or expiry, with its reason."""
    return ExecutionReport(
        kind=kind,
        venue=venue,
        order_id=order_id,
        venue_order_id=venue_order_id,
        reason=reason,
        ts_event=now,
    )


def terms_report(venue: str, kind: ExecKind, order: SimOrder, now: int) -> ExecutionReport:
    """Return an ACCEPTED or REPLACED report carrying the order's current terms."""
    return ExecutionReport(
        kind=kind,
        venue=venue,
        order_id=order.order_id,
        venue_order_id=order.venue_order_id,
        quantity=order.quantity,
        price=order.price,
        stop_price=order.stop_price,
        time_in_force=order.time_in_force,
        ts_event=now,
    )


def fill_reports(
    venue: str,
    order: SimOrder,
    execution_id: str,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    fee_currency: str,
    liquidity: Liquidity,
    now: int,
) -> tuple[ExecutionReport, FillReport]:
    """Return the TRADE execution report and the fill-log entry of one fill of ``order``."""
    report = ExecutionReport(
        kind=ExecKind.TRADE,
        venue=venue,
        order_id=order.order_id,
        venue_order_id=order.venue_order_id,
        execution_id=execution_id,
        last_quantity=quantity,
        last_price=price,
        fee=fee,
        fee_currency=fee_currency,
        liquidity=liquidity,
        ts_event=now,
    )
    fill = FillReport(
        venue=venue,
        order_id=order.order_id,
        venue_order_id=order.venue_order_id,
        execution_id=execution_id,
        symbol=order.symbol,
        side=order.side,
        quantity=quantity,
        price=price,
        fee=fee,
        fee_currency=fee_currency,
        liquidity=liquidity,
        ts_event=now,
    )
    return report, fill


def status_report(venue: str, order: SimOrder) -> OrderStatusReport:
    """Return the venue's view of ``order`` for reconciliation (OrderStatusRequest(H))."""
    return OrderStatusReport(
        venue=venue,
        order_id=order.order_id,
        venue_order_id=order.venue_order_id,
        symbol=order.symbol,
        side=order.side,
        status=order.status,
        quantity=order.quantity,
        filled_quantity=order.filled,
        price=order.price,
        ts_event=order.ts_event,
    )


def trade_tick(
    venue: str, symbol: str, price: Decimal, quantity: Decimal, aggressor: Side, now: int
) -> TradeTick:
    """Return the public print of one trade."""
    return TradeTick(
        venue=venue,
        symbol=symbol,
        price=price,
        quantity=quantity,
        aggressor=aggressor,
        ts_event=now,
    )


def quote_of(venue: str, book: OrderBook[SimOrder], now: int) -> Quote:
    """Return the best bid and offer of ``book`` with the total size at each."""
    bid, ask = book.best(Side.BUY), book.best(Side.SELL)
    return Quote(
        venue=venue,
        symbol=book.symbol,
        bid_price=None if bid is None else bid[0],
        bid_size=ZERO if bid is None else bid[1],
        ask_price=None if ask is None else ask[0],
        ask_size=ZERO if ask is None else ask[1],
        ts_event=now,
    )
