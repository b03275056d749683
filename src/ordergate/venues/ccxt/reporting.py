"""The venue's news as execution reports: REST answers and stream items, each reported once.

One order's news reaches the adapter several ways: the REST answer to our own request, the
websocket order and trade streams, the REST polling loop and the queries made to resolve a
lost request or catch up after a stream outage. :class:`OrderReporter` turns each ccxt
order or trade structure into the execution reports still due for it (the pure
:class:`~ordergate.venues.ccxt.tracking.OrderTracker` decides which), in our order ids:

- A fill inside an order answer (Binance FULL) carries no time and no liquidity flag: it
  happened at the order's transaction time and, in the answer that placed the order, took
  liquidity.
- A terminal order report never goes out before the order's fills: when the venue says more
  was filled than was reported, the order's fills are fetched first.
- A fill for an order the adapter never sent is still reported (under the client order id
  the venue gives, or the venue order id) and logged, so the OMS sees it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt
import structlog

from ordergate.clock import Clock
from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.domain.values import OrderStatus
from ordergate.gateway.errors import VenueErrorKind
from ordergate.venues.ccxt.config import CcxtVenueConfig
from ordergate.venues.ccxt.parsing import ParseError, order_status, trade_report, venue_decimal
from ordergate.venues.ccxt.queries import order_trades
from ordergate.venues.ccxt.tracking import OrderTracker

__all__ = ["OrderReporter"]

log = structlog.get_logger("ordergate.venues.ccxt.execution")  # the adapter's log, as before

_NS_PER_MS = 1_000_000


class OrderReporter:
    """Execution reports of one ccxt account, onto one report queue.

    Parameters
    ----------
    name
        The venue name reports are stamped with.
    config
        The adapter's config (which raw trade field holds the client order id).
    exchange
        The ccxt exchange, for the fills of an order and the order of a trade.
    clock
        Time for ``ts_event`` where the venue gives none.
    tracker
        What was reported already (shared with the adapter).
    reports
        The queue the adapter's report stream reads.
    """

    def __init__(
        self,
        name: str,
        config: CcxtVenueConfig,
        exchange: Any,
        clock: Clock,
        tracker: OrderTracker,
        reports: asyncio.Queue[ExecutionReport | None],
    ) -> None:
        self._name = name
        self._config = config
        self._exchange = exchange
        self._clock = clock
        self._tracker = tracker
        self._reports = reports

    async def handle_answer(self, order: dict[str, Any], *, placing: bool = False) -> None:
        """Report what a REST answer to our own request says; never raise."""
        try:
            await self.on_order(order, placing=placing)
        except ParseError as e:  # the stream will tell the rest; never raise from a request
            log.error("unusable order answer", venue=self._name, error=str(e))

    async def on_order(
        self, order: dict[str, Any], *, placing: bool = False, fetch_missing: bool = False
    ) -> None:
        """Report what a ccxt order says: its fills, then the status reports still due."""
        order_id = self.order_id_of(order)
        venue_order_id = order.get("id")
        if venue_order_id is not None:
            self._tracker.link(order_id, str(venue_order_id))
        status = order_status(order)
        trades = order.get("trades") or []
        # Fills inside an order answer (Binance FULL) carry no time and no liquidity flag: they
        # happened at the order's transaction time and, in the answer that placed the order,
        # matched on arrival, so the order took liquidity.
        when = order.get("lastTradeTimestamp") or order.get("lastUpdateTimestamp")
        liquidity = "taker" if placing else None
        for trade in trades:
            self.report_trade(
                order_id,
                {
                    **trade,
                    "order": trade.get("order") or venue_order_id,
                    "timestamp": trade.get("timestamp") or when or order.get("timestamp"),
                    "takerOrMaker": trade.get("takerOrMaker") or liquidity,
                },
            )
        filled = venue_decimal(order.get("filled") or "0", "filled")
        if (status.is_terminal or fetch_missing) and self._tracker.missing_fills(order_id, filled):
            # The fills are on their way on the trade stream; fetch them so the terminal
            # report never goes out before them.
            await self._fetch_order_trades(order_id, str(venue_order_id), order.get("symbol"))
        for kind in self._tracker.on_status(order_id, status):
            self.put(
                kind,
                order_id,
                venue_order_id=None if venue_order_id is None else str(venue_order_id),
                quantity=_optional(order.get("amount")),
                price=_optional(order.get("price")),
                reason=None if kind is ExecKind.ACCEPTED else f"order {order.get('status')}",
                ts_event=self._ts(order),
            )

    async def on_trade(self, trade: dict[str, Any]) -> None:
        """Report one fill from the trade stream, even of an order the adapter never sent."""
        order_id = self._tracker.order_id_of(_str_or_none(trade.get("order")))
        if order_id is None:
            order_id = self._raw_client_order_id(trade) or str(trade.get("order"))
            if self._tracker.get(order_id) is None:
                log.warning(
                    "fill for an order this adapter never sent",
                    venue=self._name,
                    order_id=order_id,
                    venue_order_id=trade.get("order"),
                    execution_id=trade.get("id"),
                )
                self._tracker.foreign(order_id)  # its fills are reported, nothing invented
        self.report_trade(order_id, trade)

    def report_trade(self, order_id: str, trade: dict[str, Any]) -> None:
        """Report one fill of ``order_id`` unless already reported (ACCEPTED first)."""
        report = trade_report(self._name, order_id, trade, self._clock.now_ns())
        assert report.execution_id is not None
        assert report.last_quantity is not None
        if not self._tracker.on_trade(order_id, report.execution_id, report.last_quantity):
            return
        for kind in self._tracker.on_status(order_id, OrderStatus.NEW):  # ACCEPTED comes first
            self.put(kind, order_id, venue_order_id=report.venue_order_id, ts_event=report.ts_event)
        self._reports.put_nowait(report)

    async def _fetch_order_trades(self, order_id: str, venue_order_id: str, symbol: Any) -> None:
        for trade in await order_trades(self._exchange, order_id, venue_order_id, symbol):
            self.report_trade(order_id, {**trade, "order": venue_order_id})

    def reject(self, order_id: str, reason: str, error_kind: VenueErrorKind | None = None) -> None:
        """Report ``order_id`` REJECTED unless it was accepted or finished already."""
        if self._tracker.reject(order_id):
            self.put(ExecKind.REJECTED, order_id, reason=reason, error_kind=error_kind)

    def put(
        self,
        kind: ExecKind,
        order_id: str,
        *,
        venue_order_id: str | None = None,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        reason: str | None = None,
        error_kind: VenueErrorKind | None = None,
        ts_event: int | None = None,
    ) -> None:
        """Emit one execution report (stamped now unless ``ts_event`` is given)."""
        self._reports.put_nowait(
            ExecutionReport(
                kind=kind,
                venue=self._name,
                order_id=order_id,
                venue_order_id=venue_order_id,
                quantity=quantity,
                price=price,
                reason=reason,
                error_kind=error_kind,
                ts_event=self._clock.now_ns() if ts_event is None else ts_event,
            )
        )

    def _ts(self, structure: dict[str, Any]) -> int:
        timestamp = structure.get("lastUpdateTimestamp") or structure.get("timestamp")
        return timestamp * _NS_PER_MS if isinstance(timestamp, int) else self._clock.now_ns()

    def order_id_of(self, order: dict[str, Any]) -> str:
        """Return our order id of a ccxt order: its client order id, else the venue's id."""
        client_order_id = order.get("clientOrderId")
        if client_order_id:
            return str(client_order_id)
        known = self._tracker.order_id_of(_str_or_none(order.get("id")))
        return known or str(order.get("id"))

    def _raw_client_order_id(self, trade: dict[str, Any]) -> str | None:
        # ccxt's unified trade has no client order id; some exchanges' raw trade payloads do
        # (Binance's executionReport: "c"), and the config names that field.
        field = self._config.raw_client_order_id_field
        info = trade.get("info")
        if field is None or not isinstance(info, dict):
            return None
        raw = info.get(field)
        return str(raw) if raw else None

    async def order_id_of_trade(self, trade: dict[str, Any], symbol: str) -> str:
        """Return our order id of a ccxt trade, asking the venue for its order if need be.

        Raises
        ------
        ParseError
            If the trade names no order.
        """
        venue_order_id = _str_or_none(trade.get("order"))
        known = self._tracker.order_id_of(venue_order_id)
        if known is not None:
            return known
        raw = self._raw_client_order_id(trade)
        if raw is not None:
            return raw
        if venue_order_id is None:
            raise ParseError("trade names no order")
        try:
            order = await self._exchange.fetch_order(venue_order_id, symbol)
        except ccxt.BaseError:
            return venue_order_id
        order_id = self.order_id_of(order)
        self._tracker.link(order_id, venue_order_id)
        return order_id


def _optional(value: object) -> Decimal | None:
    return None if value is None else venue_decimal(value, "value")


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
