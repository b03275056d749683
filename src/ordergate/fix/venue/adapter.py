"""The FIX venue adapter: the venue interface over one FIX initiator session.

Theory of operation
-------------------
:class:`FixVenue` is the imperative shell around the pure pieces of this package: requests
are built by :mod:`~ordergate.fix.venue.outbound`, ClOrdIDs and terms are kept by the
:class:`~ordergate.fix.venue.book.ClOrdIdBook`, inbound messages are read by the
:class:`~ordergate.fix.venue.inbound.ReportReader`. The adapter is the session's
:class:`~ordergate.fix.transport.FixApplication`.

- ``submit``/``cancel``/``replace`` send synchronously on the logged-on connection
  (``FixConnection.send``); nothing waits on the network per order. A request that cannot go
  out (not logged on, an order the session does not know, terms FIX cannot express) is
  answered at once with a REJECTED / CANCEL_REJECTED / REPLACE_REJECTED report.
- Inbound reports go to one ``asyncio.Queue`` read by :meth:`FixVenue.execution_reports`,
  in the order the session delivered them. A fill whose ExecID(17) was already seen (a
  PossDupFlag(43) resend) is dropped here; the OMS also drops fills by execution id, so a
  duplicate that reaches it after a restart is not counted either.
- ``open_orders`` asks the venue with OrderStatusRequest(H) about every order this session
  works, plus the ones ``order_source`` names (the OMS's open orders, after a restart).

Limits: ``fills_since`` returns the fills seen by this process only; fills the venue made
while we were away arrive again through the session's resend of the missed messages
(sequence numbers are kept in the durable message store), not through ``fills_since``. An
order the venue does not answer about within ``status_timeout`` is reported open, so the
OMS never cancels an order it cannot confirm is gone.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable

import msgspec
import structlog

from ordergate.clock import Clock, LiveClock
from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    VenueOrder,
)
from ordergate.domain.values import ZERO, Liquidity, OrderStatus
from ordergate.fix.dictionary import Dictionary
from ordergate.fix.message import FixMessage
from ordergate.fix.registry import SessionRegistry
from ordergate.fix.transport import (
    Backoff,
    ConnectionClosedError,
    FixConnection,
    FixInitiator,
    StoreFactory,
    memory_stores,
)
from ordergate.fix.venue.book import ClOrdIdBook, WorkingOrder
from ordergate.fix.venue.codes import FixMappingError, side_of
from ordergate.fix.venue.config import FixVenueConfig
from ordergate.fix.venue.inbound import (
    Ignored,
    Refused,
    ReportReader,
    RequestFailed,
    StatusReply,
)
from ordergate.fix.venue.outbound import (
    cancel_request,
    mass_cancel_request,
    new_order_single,
    replace_request,
    status_request,
)
from ordergate.venues.base import ReplaceRequest, VenueAdapter, VenueCapabilities

__all__ = ["FixVenue"]

log = structlog.get_logger("ordergate.fix.venue")

_MAX_EXEC_IDS = 200_000  # ExecIDs remembered for duplicate detection
_FINISHED = frozenset({ExecKind.CANCELED, ExecKind.REJECTED, ExecKind.EXPIRED})


class FixVenue(VenueAdapter):
    """A venue reached over FIX 4.2 or 4.4 as the initiator of one session.

    Parameters
    ----------
    config
        The counterparty: version, CompIDs, endpoints, wire quirks.
    clock
        Time of TransactTime(60) and of reports that carry none.
    store_factory
        Opens the session's message store (default: in memory; pass
        ``url_stores("sqlite:///.../fix.db")`` to keep sequence numbers across restarts).
    dictionary
        Validates inbound messages (default: the standard one of the version).
    registry
        Where the session's status is published.
    ssl_context, backoff
        TLS and reconnect delays of the initiator.
    order_source
        Returns the orders the OMS holds open at this venue; ``open_orders`` asks the venue
        about them too, so a restarted process can reconcile orders it did not send.
    """

    def __init__(
        self,
        config: FixVenueConfig,
        *,
        clock: Clock | None = None,
        store_factory: StoreFactory | None = None,
        dictionary: Dictionary | None = None,
        registry: SessionRegistry | None = None,
        ssl_context: ssl.SSLContext | None = None,
        backoff: Backoff | None = None,
        order_source: Callable[[], Iterable[VenueOrder]] | None = None,
    ) -> None:
        self.name = config.name
        self.config = config
        self.capabilities = VenueCapabilities(
            order_types=config.order_types,
            time_in_force=config.time_in_force,
            asset_classes=config.asset_classes,
        )
        self.clock: Clock = clock if clock is not None else LiveClock()
        self.book = ClOrdIdBook()
        self.reader = ReportReader(config.name, config.begin_string, self.book, config.symbols)
        self.order_source = order_source
        self.refused: list[str] = []
        """Reasons of inbound messages that could not be applied (also logged as errors)."""
        self.duplicates = 0
        """Fills dropped because their ExecID(17) was already seen."""
        self._initiator = FixInitiator(
            config.session_config(),
            store_factory if store_factory is not None else memory_stores(),
            dictionary,
            config.endpoints,
            self,
            ssl_context=ssl_context,
            backoff=backoff,
            clock=self.clock,
            registry=registry,
        )
        self._connection: FixConnection | None = None
        self._reports: asyncio.Queue[ExecutionReport | None] = asyncio.Queue()
        self._fills: list[FillReport] = []
        self._exec_ids: OrderedDict[str, None] = OrderedDict()
        self._status: dict[str, asyncio.Future[StatusReply | None]] = {}
        self._requests = 0
        self._started = False

    @property
    def initiator(self) -> FixInitiator:
        """Return the session's initiator (status, store, connection)."""
        return self._initiator

    @property
    def logged_on(self) -> bool:
        """Return True while the session is logged on."""
        return self._connection is not None

    # -- VenueAdapter ------------------------------------------------------------------

    async def connect(self) -> None:
        """Start the initiator and return once the session is logged on.

        Raises
        ------
        ConnectionError
            If no endpoint logged on within ``config.logon_timeout`` seconds.
        """
        if not self._started:
            self._started = True
            await self._initiator.start()
        try:
            self._connection = await self._initiator.wait_logged_on(self.config.logon_timeout)
        except TimeoutError:
            raise ConnectionError(
                f"{self.name}: no FIX logon within {self.config.logon_timeout} s at "
                + ", ".join(f"{host}:{port}" for host, port in self.config.endpoints)
            ) from None

    async def disconnect(self) -> None:
        """Log out, stop the initiator and end the report stream."""
        if not self._started:
            return
        self._started = False
        await self._initiator.stop(logout=True)
        self._connection = None
        for waiter in self._status.values():
            if not waiter.done():
                waiter.set_result(None)
        self._reports.put_nowait(None)

    async def submit(self, order: VenueOrder) -> None:
        """Send NewOrderSingle(D); ClOrdID(11) is ``order.order_id``."""
        try:
            working = self.book.open(order)
        except ValueError as e:
            self._refuse(ExecKind.REJECTED, order.order_id, str(e))
            return
        try:
            message = new_order_single(self.config, order, self.clock.now_ns())
        except FixMappingError as e:
            self.book.close(order.order_id)
            self._refuse(ExecKind.REJECTED, order.order_id, str(e))
            return
        if not self._send(message, working, order.order_id, ExecKind.REJECTED):
            self.book.close(order.order_id)

    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        """Send OrderCancelRequest(F) with a new ClOrdID and OrigClOrdID = the current one."""
        working = self._working(order_id, ExecKind.CANCEL_REJECTED)
        if working is None:
            return
        if venue_order_id and not working.venue_order_id:
            working.venue_order_id = venue_order_id
        cl_ord_id = self.book.next_cl_ord_id(working)
        message = cancel_request(self.config, working, cl_ord_id, self.clock.now_ns())
        self._send(message, working, cl_ord_id, ExecKind.CANCEL_REJECTED)

    async def replace(self, request: ReplaceRequest) -> None:
        """Send OrderCancelReplaceRequest(G) carrying the order's full new terms."""
        working = self._working(request.order_id, ExecKind.REPLACE_REJECTED)
        if working is None:
            return
        cl_ord_id = self.book.next_cl_ord_id(working)
        try:
            message = replace_request(self.config, working, request, cl_ord_id, self.clock.now_ns())
        except FixMappingError as e:
            self._refuse(ExecKind.REPLACE_REJECTED, request.order_id, str(e))
            return
        self._send(message, working, cl_ord_id, ExecKind.REPLACE_REJECTED)

    async def open_orders(self) -> list[OrderStatusReport]:
        """Ask the venue about every order this session works (OrderStatusRequest(H)).

        Orders the venue does not know, or reports finished, are left out and forgotten;
        orders it does not answer about in time are reported open from what we know.

        Raises
        ------
        ConnectionError
            If the session is not logged on.
        """
        if self.order_source is not None:
            for order in self.order_source():
                if order.order_id not in self.book:
                    self.book.open(order)
        connection = self._connection
        if connection is None:
            raise ConnectionError(f"{self.name}: not logged on")
        loop = asyncio.get_running_loop()
        asked: list[tuple[WorkingOrder, asyncio.Future[StatusReply | None]]] = []
        for working in self.book.orders():
            self._requests += 1
            waiter = self._status[working.order_id] = loop.create_future()
            message = status_request(self.config, working, f"S{self._requests}")
            seq = connection.send(message)
            self.book.note_sent(seq, "H", working.order_id, working.cl_ord_id)
            asked.append((working, waiter))
        if asked:
            await asyncio.wait([w for _, w in asked], timeout=self.config.status_timeout)
        result: list[OrderStatusReport] = []
        for working, waiter in asked:
            self._status.pop(working.order_id, None)
            reply = waiter.result() if waiter.done() else None
            if reply is None:
                log.warning(
                    "no status reply; kept open", venue=self.name, order_id=working.order_id
                )
                result.append(self._assumed_open(working))
            elif not reply.known or not reply.report.status.is_open:
                self.book.close(working.order_id)
            else:
                self.book.adopt(working.order_id, reply.cl_ord_id, reply.report.venue_order_id)
                result.append(reply.report)
        return result

    async def fills_since(self, ts_ns: int) -> list[FillReport]:
        """Return the fills this process received with ``ts_event >= ts_ns`` (see Limits)."""
        return [fill for fill in self._fills if fill.ts_event >= ts_ns]

    async def execution_reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield execution reports in the order the session delivered them, until disconnect."""
        while (report := await self._reports.get()) is not None:
            yield report

    # -- beyond the venue interface ----------------------------------------------------

    def mass_cancel(self, symbol: str | None = None) -> int:
        """Send OrderMassCancelRequest(q) for every order or one symbol; return its MsgSeqNum.

        The venue answers with OrderMassCancelReport(r) and a CANCELED report per order.

        Raises
        ------
        FixMappingError
            If the counterparty does not take mass cancels.
        ConnectionError
            If the session is not logged on.
        """
        connection = self._connection
        if connection is None:
            raise ConnectionError(f"{self.name}: not logged on")
        self._requests += 1
        cl_ord_id = f"MC-{self.clock.now_ns():x}-{self._requests}"
        message = mass_cancel_request(self.config, cl_ord_id, symbol, self.clock.now_ns())
        seq = connection.send(message)
        self.book.note_sent(seq, "q", "", cl_ord_id)
        return seq

    # -- FixApplication ----------------------------------------------------------------

    def on_logon(self, connection: FixConnection) -> None:
        """Use the new connection for requests."""
        self._connection = connection
        log.info("fix venue logged on", venue=self.name, session=connection.session_id)

    def on_logout(self, connection: FixConnection) -> None:
        """Stop sending until the initiator logs on again."""
        if self._connection is connection:
            self._connection = None
        log.warning("fix venue logged out", venue=self.name, session=connection.session_id)

    def on_reject(self, connection: FixConnection, message: FixMessage) -> None:
        """Handle a session-level Reject(3) of one of our requests like a business reject."""
        self.on_message(connection, message, False)

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        """Turn one inbound application message into reports."""
        result = self.reader.read(message)
        if isinstance(result, ExecutionReport):
            self._on_report(result, message)
        elif isinstance(result, StatusReply):
            waiter = self._status.get(result.report.order_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(result)
        elif isinstance(result, RequestFailed):
            log.warning(
                "fix request refused",
                venue=self.name,
                msg_type=result.msg_type,
                order_id=result.order_id,
                reason=result.reason,
            )
            waiter = self._status.get(result.order_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        elif isinstance(result, Refused):
            self.refused.append(result.reason)
            log.error(
                "fix message not applied",
                venue=self.name,
                reason=result.reason,
                message=repr(message),
                poss_dup=poss_dup,
            )
        else:
            assert isinstance(result, Ignored)

    # -- internals ---------------------------------------------------------------------

    def _on_report(self, report: ExecutionReport, message: FixMessage) -> None:
        kind = report.kind
        book = self.book
        if kind is ExecKind.TRADE:
            execution_id = report.execution_id
            assert execution_id is not None
            if execution_id in self._exec_ids:
                self.duplicates += 1
                return
            self._exec_ids[execution_id] = None
            if len(self._exec_ids) > _MAX_EXEC_IDS:
                self._exec_ids.popitem(last=False)
            if report.ts_event == 0:
                report = msgspec.structs.replace(report, ts_event=self.clock.now_ns())
            self._fills.append(self._fill_of(report, message))
            if message.get(39) == b"2":
                book.close(report.order_id)
        elif kind is ExecKind.ACCEPTED or kind is ExecKind.REPLACED:
            cl_ord_id = message.get_str(11)
            if cl_ord_id:
                book.adopt(report.order_id, cl_ord_id, report.venue_order_id)
            working = book.get(report.order_id)
            if kind is ExecKind.REPLACED and working is not None:
                working.quantity = report.quantity or working.quantity
                working.price = report.price or working.price
                working.stop_price = report.stop_price or working.stop_price
                working.time_in_force = report.time_in_force or working.time_in_force
        elif kind in _FINISHED:
            book.close(report.order_id)
        self._reports.put_nowait(report)

    def _fill_of(self, report: ExecutionReport, message: FixMessage) -> FillReport:
        working = self.book.get(report.order_id)
        theirs = message.get_str(55)
        symbol = self.reader.our_symbol(theirs) if theirs else (working.symbol if working else "")
        side = working.side if working is not None else side_of(message.get(54))
        assert report.execution_id is not None
        assert report.last_quantity is not None
        assert report.last_price is not None
        return FillReport(
            venue=self.name,
            order_id=report.order_id,
            venue_order_id=report.venue_order_id or "",
            execution_id=report.execution_id,
            symbol=symbol,
            side=side,
            quantity=report.last_quantity,
            price=report.last_price,
            fee=report.fee,
            fee_currency=report.fee_currency or "",
            liquidity=report.liquidity or Liquidity.TAKER,
            ts_event=report.ts_event,
        )

    def _working(self, order_id: str, refusal: ExecKind) -> WorkingOrder | None:
        working = self.book.get(order_id)
        if working is None:
            self._refuse(refusal, order_id, f"order {order_id!r} is not working on this session")
        return working

    def _send(
        self, message: FixMessage, working: WorkingOrder, cl_ord_id: str, refusal: ExecKind
    ) -> bool:
        connection = self._connection
        if connection is None:
            self._refuse(refusal, working.order_id, f"{self.name}: FIX session not logged on")
            return False
        try:
            seq = connection.send(message)
        except ConnectionClosedError as e:
            self._refuse(refusal, working.order_id, str(e))
            return False
        self.book.note_sent(seq, message.msg_type, working.order_id, cl_ord_id)
        return True

    def _refuse(self, kind: ExecKind, order_id: str, reason: str) -> None:
        self._reports.put_nowait(
            ExecutionReport(
                kind=kind,
                venue=self.name,
                order_id=order_id,
                reason=reason,
                ts_event=self.clock.now_ns(),
            )
        )

    def _assumed_open(self, working: WorkingOrder) -> OrderStatusReport:
        return OrderStatusReport(
            venue=self.name,
            order_id=working.order_id,
            venue_order_id=working.venue_order_id or "",
            symbol=working.symbol,
            side=working.side,
            status=OrderStatus.NEW,
            quantity=working.quantity,
            filled_quantity=ZERO,
            price=working.price,
            ts_event=self.clock.now_ns(),
        )
