"""The simulated venue's matching engine: orders in, execution reports out.

Theory of operation
-------------------
:class:`MatchingEngine` is pure and deterministic: every call takes the current time as
integer nanoseconds and returns the :class:`~ordergate.domain.reports.ExecutionReport` objects
it caused, in the order they happened. There is no I/O, no clock and no randomness inside.

An incoming order is validated (a failure is a REJECTED report that changes nothing),
accepted, and then *executed*: matched against the opposite side of its instrument's
:class:`~ordergate.sim.book.OrderBook` in price-time priority, every fill trading at the
resting (maker) order's price. What is left rests (LIMIT DAY/GTC/GTD) or is canceled
(MARKET, IOC, FOK). FOK checks the quantity available within its limit first, so it either
fills completely at once or is canceled with nothing filled. STOP and STOP_LIMIT orders wait
in a :class:`~ordergate.sim.stops.StopBook` until the last trade price crosses their stop,
then execute as MARKET or LIMIT orders; a stop whose trigger is already crossed when it
arrives executes at once. Triggered stops may trade and trigger further stops; the engine
repeats until no stop triggers.

Orders submitted with ``internal=True`` belong to the simulated market's participants: they
trade like any other order and move the last price, but never produce reports, appear in
``open_orders`` or ``fills_since``. Client order ids and internal order ids live in separate
namespaces.

Invariants: an order never matches itself (the aggressor is never resting while it
matches); the book is never crossed after a call returns; a client order's filled quantity
never exceeds its quantity; every TRADE report has a unique ``execution_id``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    Quote,
    TradeTick,
    VenueOrder,
)
from ordergate.domain.values import Liquidity, OrderStatus, OrderType, TimeInForce
from ordergate.sim.book import OrderBook
from ordergate.sim.expiries import ExpiryQueue
from ordergate.sim.orders import (
    RESTING_TIF,
    SimOrder,
    check_cancel,
    check_new_order,
    check_replace,
    stop_triggered,
)
from ordergate.sim.reporting import (
    fill_reports,
    order_report,
    quote_of,
    status_report,
    terms_report,
    trade_tick,
)
from ordergate.sim.stops import StopBook
from ordergate.venues.base import ReplaceRequest

__all__ = ["MatchingEngine"]

_EXPIRING = frozenset({TimeInForce.DAY, TimeInForce.GTD})  # for orders that can rest: not MARKET
_NO_REPORTS: list[ExecutionReport] = []  # returned for internal requests; never appended to
# A triggered stop is from then on the market or limit order it was waiting to be.
_TRIGGERED_AS = {OrderType.STOP: OrderType.MARKET, OrderType.STOP_LIMIT: OrderType.LIMIT}
_FINISH_REPORTED = {OrderStatus.CANCELED: ExecKind.CANCELED, OrderStatus.EXPIRED: ExecKind.EXPIRED}


class MatchingEngine:
    """Price-time priority matching for a set of instruments.

    Parameters
    ----------
    instruments
        What the venue trades; orders for other symbols are rejected.
    venue
        Venue name put on every report; also prefixes venue order ids (``"SIM-17"``).
    maker_fee_rate, taker_fee_rate
        Fee as a fraction of notional for the resting and the aggressing side.
    session_close_ns
        Time of day (nanoseconds after UTC midnight) at which DAY orders expire.
    fee_quantum
        Fees are rounded half-up to this exponent; None keeps them exact.
    """

    def __init__(
        self,
        instruments: Iterable[Instrument],
        *,
        venue: str = "SIM",
        maker_fee_rate: Decimal = Decimal("0.0001"),
        taker_fee_rate: Decimal = Decimal("0.0002"),
        session_close_ns: int = 21 * 3_600 * 1_000_000_000,
        fee_quantum: Decimal | None = Decimal("0.00000001"),
    ) -> None:
        self.venue = venue
        self.maker_fee_rate = maker_fee_rate
        self.taker_fee_rate = taker_fee_rate
        self.fee_quantum = fee_quantum
        self._instruments = {i.symbol: i for i in instruments}
        self._books: dict[str, OrderBook[SimOrder]] = {s: OrderBook(s) for s in self._instruments}
        self._stops = {s: StopBook() for s in self._instruments}
        self._last: dict[str, Decimal] = {}
        self._orders: dict[str, SimOrder] = {}  # every client order ever accepted
        self._open: dict[str, SimOrder] = {}  # client orders still open
        self._internal: dict[str, SimOrder] = {}  # open orders of the simulated market
        self._expiries = ExpiryQueue(session_close_ns)
        self._fills: list[FillReport] = []
        self._fill_ts: list[int] = []  # ts_event of each fill, for bisect in fills_since
        self._trades: list[TradeTick] = []
        self._seq = 0
        self._exec_seq = 0

    def submit(
        self, order: VenueOrder, now: int, *, internal: bool = False
    ) -> list[ExecutionReport]:
        """Accept (or reject) a new order and execute it (NewOrderSingle(D)).

        Parameters
        ----------
        order
            The order; ``order_id`` is the client order id (ClOrdID(11)).
        now
            Current time in nanoseconds.
        internal
            True for the simulated market's own orders, which produce no reports.

        Returns
        -------
        list of ExecutionReport
            ACCEPTED or REJECTED first, then any TRADE reports (for both client sides),
            CANCELED for an unfilled MARKET/IOC/FOK remainder, and reports of stops it
            triggered.
        """
        instrument = self._instruments.get(order.symbol)
        reason = check_new_order(instrument, order, now)
        known = self._internal if internal else self._orders
        if reason is None and order.order_id in known:
            reason = f"duplicate order id {order.order_id!r}"
        if reason is not None:
            return self._refuse(ExecKind.REJECTED, order.order_id, None, now, reason, internal)
        self._seq += 1
        sim = SimOrder(self._seq, order, f"{self.venue}-{self._seq}", internal, now)
        reports: list[ExecutionReport] = []
        if internal:
            self._internal[order.order_id] = sim
        else:
            self._orders[order.order_id] = sim
            self._open[order.order_id] = sim
            reports.append(terms_report(self.venue, ExecKind.ACCEPTED, sim, now))
        if order.time_in_force in _EXPIRING and order.order_type is not OrderType.MARKET:
            self._expiries.schedule(sim, now)
        if order.order_type is OrderType.STOP or order.order_type is OrderType.STOP_LIMIT:
            self._park_stop(sim, now, reports)
        elif self._execute(sim, now, reports):
            self._run_stops(sim.symbol, now, reports)
        return reports

    def cancel(
        self, order_id: str, now: int, *, symbol: str | None = None, internal: bool = False
    ) -> list[ExecutionReport]:
        """Cancel an open order (OrderCancelRequest(F)); CANCEL_REJECTED when it cannot be."""
        order = (self._internal if internal else self._orders).get(order_id)
        reason = check_cancel(order, order_id, symbol)
        if reason is not None:
            return self._refuse(ExecKind.CANCEL_REJECTED, order_id, order, now, reason, internal)
        assert order is not None
        reports: list[ExecutionReport] = []
        self._withdraw(order)
        self._finish(order, OrderStatus.CANCELED, now, reports, "canceled on request")
        return reports

    def replace(self, request: ReplaceRequest, now: int) -> list[ExecutionReport]:
        """Change an open client order's terms (OrderCancelReplaceRequest(G)).

        A price change or a quantity increase loses time priority (the order goes to the back
        of its new level, and trades at once if it now crosses); a quantity decrease alone
        keeps it. New terms are validated like a new order's.
        """
        order = self._orders.get(request.order_id)
        reason = check_replace(self._instruments, order, request)
        if reason is not None:
            return self._refuse(ExecKind.REPLACE_REJECTED, request.order_id, order, now, reason)
        assert order is not None
        quantity = order.quantity if request.quantity is None else request.quantity
        price = order.price if request.price is None else request.price
        stop = order.stop_price if request.stop_price is None else request.stop_price
        tif = order.time_in_force if request.time_in_force is None else request.time_in_force
        book = self._books[order.symbol]
        stops = self._stops[order.symbol]
        loses_priority = (
            price != order.price or quantity > order.quantity or stop != order.stop_price
        )
        resting = order.seq in book
        parked = order.seq in stops
        leaves = quantity - order.filled
        if resting and not loses_priority:
            if leaves < order.leaves:
                book.reduce(order.seq, leaves)
            resting = False  # stays where it is; nothing to re-execute
        else:
            self._withdraw(order)
        order.quantity, order.price, order.stop_price, order.leaves = quantity, price, stop, leaves
        if tif is not order.time_in_force:
            order.time_in_force = tif
            self._expiries.schedule(order, now)
        reports = [terms_report(self.venue, ExecKind.REPLACED, order, now)]
        if parked:
            self._park_stop(order, now, reports)
        elif resting and self._execute(order, now, reports):
            self._run_stops(order.symbol, now, reports)
        return reports

    def on_time(self, now: int) -> list[ExecutionReport]:
        """Expire DAY and GTD orders whose time has come; return their EXPIRED reports."""
        reports: list[ExecutionReport] = []
        for order in self._expiries.pop_due(now):
            self._withdraw(order)
            self._finish(order, OrderStatus.EXPIRED, now, reports, "time in force expired")
        return reports

    def book(self, symbol: str) -> OrderBook[SimOrder]:
        """Return the live order book of ``symbol`` (read it; do not change it)."""
        return self._books[symbol]

    def last_price(self, symbol: str) -> Decimal | None:
        """Return the price of the last trade in ``symbol``, or None before the first."""
        return self._last.get(symbol)

    def top_of_book(self, symbol: str, now: int = 0) -> Quote:
        """Return the best bid and offer of ``symbol``.

        Raises
        ------
        KeyError
            If the venue does not trade ``symbol``.
        """
        return quote_of(self.venue, self._books[symbol], now)

    def order_status(self, order_id: str) -> OrderStatusReport | None:
        """Return the venue's view of client order ``order_id``, or None if never accepted."""
        order = self._orders.get(order_id)
        return None if order is None else status_report(self.venue, order)

    def open_orders(self) -> list[OrderStatusReport]:
        """Return every open client order, in acceptance order."""
        return [status_report(self.venue, o) for o in self._open.values()]

    def fills_since(self, ts_ns: int) -> list[FillReport]:
        """Return every client fill with ``ts_event >= ts_ns``, oldest first."""
        return self._fills[bisect_left(self._fill_ts, ts_ns) :]

    def take_trades(self) -> list[TradeTick]:
        """Return the trades printed since the last call, oldest first, and forget them."""
        trades, self._trades = self._trades, []
        return trades

    def _execute(self, order: SimOrder, now: int, reports: list[ExecutionReport]) -> bool:
        """Match ``order`` (not resting), then rest or cancel what is left; True if it traded."""
        book = self._books[order.symbol]
        limit = order.price if order.order_type is OrderType.LIMIT else None
        tif = order.time_in_force
        if tif is TimeInForce.FOK and not book.available(order.side, limit, order.leaves):
            self._finish(order, OrderStatus.CANCELED, now, reports, "FOK: not fillable in full")
            return False
        fills = book.match(order.side, limit, order.leaves)
        if fills:
            self._record_fills(order, fills, now, reports)
        if order.leaves == 0:
            self._finish(order, OrderStatus.FILLED, now, reports, None)
        elif limit is None:
            self._finish(
                order, OrderStatus.CANCELED, now, reports, "market order: no more liquidity"
            )
        elif tif in RESTING_TIF:
            book.add(order)
        else:
            self._finish(
                order, OrderStatus.CANCELED, now, reports, "IOC: unfilled quantity canceled"
            )
        return bool(fills)

    def _record_fills(
        self,
        taker: SimOrder,
        fills: list[tuple[SimOrder, Decimal]],
        now: int,
        reports: list[ExecutionReport],
    ) -> None:
        symbol = taker.symbol
        currency = self._instruments[symbol].quote_currency
        aggressor = taker.side
        price = taker.price
        for maker, quantity in fills:
            price = maker.price
            assert price is not None  # resting orders are always priced
            taker.filled += quantity
            taker.leaves -= quantity
            maker.filled += quantity  # the book already took it off maker.leaves
            if not maker.internal:
                self._fill(maker, quantity, price, currency, Liquidity.MAKER, now, reports)
            if maker.leaves == 0:
                self._finish(maker, OrderStatus.FILLED, now, reports, None)
            if not taker.internal:
                self._fill(taker, quantity, price, currency, Liquidity.TAKER, now, reports)
            self._trades.append(trade_tick(self.venue, symbol, price, quantity, aggressor, now))
        assert price is not None
        self._last[symbol] = price

    def _fill(
        self,
        order: SimOrder,
        quantity: Decimal,
        price: Decimal,
        currency: str,
        liquidity: Liquidity,
        now: int,
        reports: list[ExecutionReport],
    ) -> None:
        rate = self.maker_fee_rate if liquidity is Liquidity.MAKER else self.taker_fee_rate
        fee = price * quantity * rate
        if self.fee_quantum is not None:
            fee = fee.quantize(self.fee_quantum, ROUND_HALF_UP)
        self._exec_seq += 1
        execution_id = f"{self.venue}-E{self._exec_seq}"
        report, fill = fill_reports(
            self.venue, order, execution_id, quantity, price, fee, currency, liquidity, now
        )
        reports.append(report)
        self._fills.append(fill)
        self._fill_ts.append(now)
        if order.status is OrderStatus.NEW:
            order.status = OrderStatus.PARTIALLY_FILLED

    def _park_stop(self, order: SimOrder, now: int, reports: list[ExecutionReport]) -> None:
        last = self._last.get(order.symbol)
        stop = order.stop_price
        assert stop is not None
        if last is not None and stop_triggered(order.side, stop, last):
            order.order_type = _TRIGGERED_AS[order.order_type]
            self._execute(order, now, reports)
            self._run_stops(order.symbol, now, reports)
        else:
            self._stops[order.symbol].add(order)

    def _run_stops(self, symbol: str, now: int, reports: list[ExecutionReport]) -> None:
        stops = self._stops[symbol]
        while stops:
            triggered = stops.pop_triggered(self._last[symbol])
            if not triggered:
                return
            for order in triggered:
                order.order_type = _TRIGGERED_AS[order.order_type]
                self._execute(order, now, reports)

    def _refuse(
        self,
        kind: ExecKind,
        order_id: str,
        order: SimOrder | None,
        now: int,
        reason: str,
        internal: bool = False,
    ) -> list[ExecutionReport]:
        if internal:  # the simulated market's own mistakes are nobody's business
            return _NO_REPORTS
        vid = None if order is None else order.venue_order_id
        return [order_report(self.venue, kind, order_id, vid, now, reason)]

    def _withdraw(self, order: SimOrder) -> None:
        if self._books[order.symbol].remove(order.seq) is None:
            self._stops[order.symbol].remove(order)

    def _finish(
        self,
        order: SimOrder,
        status: OrderStatus,
        now: int,
        reports: list[ExecutionReport],
        reason: str | None,
    ) -> None:
        order.status = status
        order.leaves = Decimal(0)
        if order.internal:
            self._internal.pop(order.order_id, None)
            return
        del self._open[order.order_id]
        kind = _FINISH_REPORTED.get(status)  # FILLED needs none: the last TRADE says it
        if kind is not None:
            vid = order.venue_order_id
            reports.append(order_report(self.venue, kind, order.order_id, vid, now, reason))
