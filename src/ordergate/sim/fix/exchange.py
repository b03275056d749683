"""The simulated exchange as a FIX 4.2/4.4 acceptor: a real exchange on loopback.

Theory of operation
-------------------
:class:`SimFixExchange` is the :class:`~ordergate.fix.transport.FixApplication` of a
:class:`~ordergate.fix.transport.FixAcceptor`. It owns a
:class:`~ordergate.sim.engine.MatchingEngine` (and optionally a seeded
:class:`~ordergate.sim.market.SimulatedMarket`) and translates both ways:

- NewOrderSingle(D), OrderCancelRequest(F), OrderCancelReplaceRequest(G) become engine
  calls; every report the engine returns becomes ExecutionReport(8) or OrderCancelReject(9)
  on the session that owns the order, before ``on_message`` returns (one socket write per
  loop iteration carries them all).
- OrderStatusRequest(H) is answered from the exchange's order record; OrderMassCancelRequest(q)
  (FIX 4.4) cancels the session's open orders (all, or one symbol's) and answers with
  OrderMassCancelReport(r) followed by a cancel report per order.
- Any other application message gets BusinessMessageReject(j), UnsupportedMessageType.

Orders are keyed in the engine by ``"<session id>/<first ClOrdID>"``, so two sessions may use
the same ClOrdIDs. Every ClOrdID of an order's chain finds it. A session's ClOrdIDs must be
unique: a D that reuses one is rejected (OrdRejReason 6, duplicate order).

Reports produced while an order's session is logged out (the market filling a resting order)
are kept and sent after its next logon. Time comes from the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import structlog

from ordergate.clock import Clock, LiveClock
from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import Liquidity, OrderStatus
from ordergate.fix.dictionary import BusinessRejectReason
from ordergate.fix.message import FixMessage
from ordergate.fix.registry import SessionRegistry
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.transport import FixAcceptor, FixConnection, StoreFactory, memory_stores
from ordergate.fix.venue.codes import FixMappingError
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.fix.wire import (
    ExchangeOrder,
    RejectCode,
    business_reject,
    cancel_reject,
    execution_report,
    mass_cancel_report,
    order_terms,
    rejected_order,
    unknown_order_report,
)
from ordergate.sim.market import MarketConfig, SimulatedMarket
from ordergate.venues.base import ReplaceRequest

__all__ = ["SimFixExchange", "acceptor_session"]

log = structlog.get_logger("ordergate.sim.fix")

_NS_PER_S = 1_000_000_000
_EXEC_TYPE = {
    ExecKind.ACCEPTED: b"0",
    ExecKind.CANCELED: b"4",
    ExecKind.REPLACED: b"5",
    ExecKind.EXPIRED: b"C",
    ExecKind.TRADE: b"F",
}
_STATUS_AFTER = {
    ExecKind.ACCEPTED: OrderStatus.NEW,
    ExecKind.CANCELED: OrderStatus.CANCELED,
    ExecKind.EXPIRED: OrderStatus.EXPIRED,
}
_SUPPORTED = frozenset({"D", "F", "G", "H", "q"})


def acceptor_session(
    begin_string: str, exchange_comp_id: str, client_comp_id: str, heartbeat_interval: int = 30
) -> SessionConfig:
    """Return the acceptor-side :class:`SessionConfig` of one client of the exchange."""
    return SessionConfig(
        begin_string=begin_string,
        sender_comp_id=exchange_comp_id,
        target_comp_id=client_comp_id,
        role=Role.ACCEPTOR,
        heartbeat_interval=heartbeat_interval,
    )


class SimFixExchange:
    """A matching engine that FIX clients trade on.

    Parameters
    ----------
    instruments
        What the exchange trades; a D for another symbol is rejected (OrdRejReason 1).
    clock
        Time of every engine call and report.
    name
        Venue name; prefixes OrderID(37) values (``"FIXSIM-3"``).
    start_prices
        Start mid price by symbol for the simulated market; None or empty: no market, so
        clients trade only with each other.
    seed, market_config, step_interval_ns
        The simulated market's seed, behaviour and step interval (0: it moves only on
        :meth:`step_market`).
    maker_fee_rate, taker_fee_rate
        Fees as a fraction of notional, reported as Commission(12), CommType(13)=3.
    """

    def __init__(
        self,
        instruments: Iterable[Instrument],
        *,
        clock: Clock | None = None,
        name: str = "FIXSIM",
        start_prices: Mapping[str, Decimal] | None = None,
        seed: int = 0,
        market_config: MarketConfig | None = None,
        step_interval_ns: int = 0,
        maker_fee_rate: Decimal = Decimal("0.0001"),
        taker_fee_rate: Decimal = Decimal("0.0002"),
    ) -> None:
        universe = list(instruments)
        prices = dict(start_prices or {})
        self.name = name
        self.clock: Clock = clock if clock is not None else LiveClock()
        self.symbols = frozenset(i.symbol for i in universe)
        self.engine = MatchingEngine(
            universe, venue=name, maker_fee_rate=maker_fee_rate, taker_fee_rate=taker_fee_rate
        )
        self.market = (
            SimulatedMarket(
                self.engine,
                [i for i in universe if i.symbol in prices],
                prices,
                seed=seed,
                config=market_config,
            )
            if prices
            else None
        )
        self.step_interval_ns = step_interval_ns
        self.acceptor: FixAcceptor | None = None
        self._orders: dict[str, ExchangeOrder] = {}  # engine key -> order
        self._ids: dict[tuple[str, str], ExchangeOrder] = {}  # (session, any ClOrdID) -> order
        self._connections: dict[str, FixConnection] = {}
        self._begin: dict[str, str] = {}
        self._held: dict[str, list[FixMessage]] = {}
        self._exec_ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """Return the port the acceptor listens on (after :meth:`start`)."""
        if self.acceptor is None:
            raise RuntimeError("exchange not started")
        return self.acceptor.port

    async def start(
        self,
        sessions: Sequence[SessionConfig],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        store_factory: StoreFactory | None = None,
        registry: SessionRegistry | None = None,
    ) -> None:
        """Listen for the configured client sessions (port 0: a free port) and run the market."""
        if self.acceptor is not None:
            raise RuntimeError("exchange already started")
        for config in sessions:
            self._begin[config.session_id] = config.begin_string
        acceptor = FixAcceptor(
            host,
            port,
            sessions,
            store_factory if store_factory is not None else memory_stores(),
            self,
            clock=self.clock,
            registry=registry,
        )
        await acceptor.start()
        self.acceptor = acceptor
        if self.market is not None:
            self.step_market()
            if self.step_interval_ns > 0:
                self._task = asyncio.create_task(self._run_market(), name=f"{self.name}-market")

    async def stop(self) -> None:
        """Stop the market and log every session out."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.acceptor is not None:
            await self.acceptor.stop()
            self.acceptor = None

    def step_market(self) -> None:
        """Step the simulated market once and send the reports it causes."""
        if self.market is None:
            return
        now = self.clock.now_ns()
        self._publish(self.market.step(now), now)

    def lose_order(self, cl_ord_id: str, session_id: str) -> bool:
        """Forget an order without telling its owner (fault injection); True if it existed.

        Later requests about it are answered as for an order the exchange never saw.
        """
        order = self._ids.get((session_id, cl_ord_id))
        if order is None:
            return False
        self.engine.cancel(order.key, self.clock.now_ns())  # its reports are dropped on purpose
        self._forget(order)
        return True

    # -- FixApplication ----------------------------------------------------------------

    def on_logon(self, connection: FixConnection) -> None:
        """Serve the session; send what it missed while logged out."""
        self._connections[connection.session_id] = connection
        for message in self._held.pop(connection.session_id, []):
            connection.send(message)

    def on_logout(self, connection: FixConnection) -> None:
        """Keep the session's reports until it logs on again."""
        if self._connections.get(connection.session_id) is connection:
            del self._connections[connection.session_id]

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        """Answer one application message."""
        msg_type = message.msg_type
        now = self.clock.now_ns()
        if msg_type == "D":
            self._new_order(connection, message, now)
        elif msg_type == "F" or msg_type == "G":
            self._cancel_or_replace(connection, message, now)
        elif msg_type == "H":
            self._status(connection, message, now)
        elif msg_type == "q" and connection.session.config.begin_string != "FIX.4.2":
            self._mass_cancel(connection, message, now)
        else:
            connection.send(
                business_reject(
                    message,
                    BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE,
                    f"{self.name} does not support MsgType {msg_type}",
                )
            )

    # -- requests ----------------------------------------------------------------------

    def _exec_id(self) -> str:
        return f"X{next(self._exec_ids)}"

    def _new_order(self, connection: FixConnection, message: FixMessage, now: int) -> None:
        session_id = connection.session_id
        begin = connection.session.config.begin_string
        cl_ord_id = message.get_str(11) or ""
        try:
            terms = order_terms(message)
        except FixMappingError as e:
            reply = rejected_order(
                begin, message, self._exec_id(), RejectCode.BROKER_OPTION, str(e), now
            )
            connection.send(reply)
            return
        if (session_id, cl_ord_id) in self._ids:
            text = f"duplicate ClOrdID {cl_ord_id!r}"
            reply = rejected_order(
                begin, message, self._exec_id(), RejectCode.DUPLICATE_ORDER, text, now
            )
            connection.send(reply)
            return
        if terms.symbol not in self.symbols:
            text = f"{terms.symbol!r} is not traded on {self.name}"
            reply = rejected_order(
                begin, message, self._exec_id(), RejectCode.UNKNOWN_SYMBOL, text, now
            )
            connection.send(reply)
            return
        key = f"{session_id}/{cl_ord_id}"
        account = message.get_str(1) or ""
        order = ExchangeOrder(key, session_id, cl_ord_id, account, terms)
        self._orders[key] = order
        self._ids[(session_id, cl_ord_id)] = order
        reports = self.engine.submit(
            VenueOrder(
                order_id=key,
                account=account,
                symbol=terms.symbol,
                side=terms.side,
                order_type=terms.order_type,
                quantity=terms.quantity,
                price=terms.price,
                stop_price=terms.stop_price,
                time_in_force=terms.time_in_force,
                expire_time=terms.expire_time,
            ),
            now,
        )
        self._publish(reports, now)

    def _cancel_or_replace(self, connection: FixConnection, message: FixMessage, now: int) -> None:
        session_id = connection.session_id
        is_cancel = message.msg_type == "F"
        response_to = b"1" if is_cancel else b"2"
        cl_ord_id = message.get_str(11) or ""
        orig = message.get_str(41) or ""
        order = self._ids.get((session_id, orig))
        if order is None:
            text = f"unknown order {orig!r}"
            reply = cancel_reject(
                None, cl_ord_id, orig, response_to, RejectCode.CXL_UNKNOWN_ORDER, text, now
            )
            connection.send(reply)
            return
        if (session_id, cl_ord_id) in self._ids:
            text = f"duplicate ClOrdID {cl_ord_id!r}"
            reply = cancel_reject(
                order, cl_ord_id, orig, response_to, RejectCode.CXL_BROKER_OPTION, text, now
            )
            connection.send(reply)
            return
        if is_cancel:
            reports = self.engine.cancel(order.key, now, symbol=message.get_str(55))
        else:
            try:
                terms = order_terms(message)
            except FixMappingError as e:
                reply = cancel_reject(
                    order, cl_ord_id, orig, response_to, RejectCode.CXL_BROKER_OPTION, str(e), now
                )
                connection.send(reply)
                return
            if terms.order_type is not order.terms.order_type or terms.side is not order.terms.side:
                text = "OrdType(40) and Side(54) cannot change on a replace"
                reply = cancel_reject(
                    order, cl_ord_id, orig, response_to, RejectCode.CXL_BROKER_OPTION, text, now
                )
                connection.send(reply)
                return
            reports = self.engine.replace(
                ReplaceRequest(
                    order_id=order.key,
                    venue_order_id=order.order_id,
                    symbol=terms.symbol,
                    quantity=terms.quantity,
                    price=terms.price,
                    stop_price=terms.stop_price,
                    time_in_force=terms.time_in_force if 59 in message else None,
                ),
                now,
            )
        self._publish(reports, now, request=(cl_ord_id, orig, response_to))

    def _status(self, connection: FixConnection, message: FixMessage, now: int) -> None:
        begin = connection.session.config.begin_string
        cl_ord_id = message.get_str(11) or ""
        request_id = message.get_str(790)
        order = self._ids.get((connection.session_id, cl_ord_id))
        if order is None:
            reply = unknown_order_report(
                begin,
                cl_ord_id,
                message.get_str(55) or "?",
                message.get(54) or b"1",
                self._exec_id(),
                now,
                request_id,
            )
        else:
            reply = execution_report(
                begin, order, b"I", self._exec_id(), now, status_request_id=request_id
            )
        connection.send(reply)

    def _mass_cancel(self, connection: FixConnection, message: FixMessage, now: int) -> None:
        session_id = connection.session_id
        request_type = message.get(530) or b""
        symbol = message.get_str(55)
        targets: list[ExchangeOrder] = []
        if request_type in (b"1", b"7"):
            targets = [
                o
                for o in self._orders.values()
                if o.session_id == session_id
                and not o.status.is_terminal
                and (request_type == b"7" or o.terms.symbol == symbol)
            ]
        reports: list[ExecutionReport] = []
        for order in targets:
            reports += self.engine.cancel(order.key, now)
        canceled = sum(1 for r in reports if r.kind is ExecKind.CANCELED)
        report_id = f"MC{next(self._exec_ids)}"
        cl_ord_id = message.get_str(11) or ""
        connection.send(mass_cancel_report(cl_ord_id, report_id, request_type, canceled, now))
        self._publish(reports, now)

    # -- engine reports -> FIX ---------------------------------------------------------

    def _publish(
        self,
        reports: list[ExecutionReport],
        now: int,
        request: tuple[str, str, bytes] | None = None,
    ) -> None:
        for report in reports:
            order = self._orders.get(report.order_id)
            if order is None:
                continue  # an order lost on purpose (fault injection)
            message = self._message(order, report, now, request)
            connection = self._connections.get(order.session_id)
            if connection is not None:
                connection.send(message)
            else:
                self._held.setdefault(order.session_id, []).append(message)

    def _message(
        self,
        order: ExchangeOrder,
        report: ExecutionReport,
        now: int,
        request: tuple[str, str, bytes] | None,
    ) -> FixMessage:
        begin = self._begin[order.session_id]
        kind = report.kind
        if report.venue_order_id:
            order.order_id = report.venue_order_id
        if kind is ExecKind.CANCEL_REJECTED or kind is ExecKind.REPLACE_REJECTED:
            assert request is not None
            cl_ord_id, orig, response_to = request
            reason = RejectCode.TOO_LATE_TO_CANCEL
            if order.status.is_open:
                reason = RejectCode.CXL_BROKER_OPTION
            return cancel_reject(
                order, cl_ord_id, orig, response_to, reason, report.reason or "", now
            )
        if kind is ExecKind.REJECTED:
            order.status = OrderStatus.REJECTED
            return execution_report(
                begin,
                order,
                b"8",
                self._exec_id(),
                now,
                reject_code=RejectCode.BROKER_OPTION,
                text=report.reason,
            )
        fill = None
        orig_cl_ord_id = None
        if kind is ExecKind.TRADE:
            assert report.last_quantity is not None
            assert report.last_price is not None
            order.cum += report.last_quantity
            order.notional += report.last_quantity * report.last_price
            order.status = (
                OrderStatus.FILLED
                if order.cum >= order.terms.quantity
                else OrderStatus.PARTIALLY_FILLED
            )
            fill = (
                report.last_quantity,
                report.last_price,
                report.fee,
                report.fee_currency or "",
                report.liquidity or Liquidity.TAKER,
            )
            exec_id = report.execution_id or self._exec_id()
        else:
            exec_id = self._exec_id()
            status = _STATUS_AFTER.get(kind)
            if status is not None:
                order.status = status
            if kind is ExecKind.REPLACED:
                self._apply_replace(order, report)
            if request is not None and (kind is ExecKind.CANCELED or kind is ExecKind.REPLACED):
                # The requested change took effect: the order is now known by the new id.
                orig_cl_ord_id = order.cl_ord_id
                order.cl_ord_id = request[0]
                self._ids[(order.session_id, request[0])] = order
        return execution_report(
            begin,
            order,
            _EXEC_TYPE[kind],
            exec_id,
            now,
            orig_cl_ord_id=orig_cl_ord_id,
            fill=fill,
            text=report.reason if kind is not ExecKind.TRADE else None,
        )

    def _apply_replace(self, order: ExchangeOrder, report: ExecutionReport) -> None:
        terms = order.terms
        if report.quantity is not None:
            terms.quantity = report.quantity
        terms.price = report.price
        terms.stop_price = report.stop_price
        if report.time_in_force is not None:
            terms.time_in_force = report.time_in_force
        if order.status is OrderStatus.PENDING_NEW:
            order.status = OrderStatus.NEW

    def _forget(self, order: ExchangeOrder) -> None:
        self._orders.pop(order.key, None)
        for key in [k for k, v in self._ids.items() if v is order]:
            del self._ids[key]

    async def _run_market(self) -> None:
        interval = self.step_interval_ns / _NS_PER_S
        while True:
            await asyncio.sleep(interval)
            self.step_market()
