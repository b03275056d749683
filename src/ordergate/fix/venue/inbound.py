"""Messages a FIX venue sends us, read into domain reports (pure).

:meth:`ReportReader.read` takes one inbound application message and returns exactly one of:

- an :class:`~ordergate.domain.reports.ExecutionReport` for the OMS;
- a :class:`StatusReply`: the answer to an OrderStatusRequest(H) (FIX 4.4 ExecType(150)=I,
  FIX 4.2 ExecTransType(20)=3), for reconciliation, never applied as an event;
- a :class:`RequestFailed`: a BusinessMessageReject(j) or Reject(3) of a status or mass
  cancel request, which has no order event;
- :class:`Ignored`: a message with nothing for the OMS (pending states, restatements);
- :class:`Refused`: a message we cannot apply safely (trade busts and corrections, missing
  or unknown values). The adapter logs it as an error; the OMS is not told.

FIX 4.2 and 4.4 differ in ExecutionReport(8): 4.2 carries ExecTransType(20) (0 new,
1 cancel, 2 correct, 3 status) and reports fills as ExecType 1 (partial) and 2 (fill) with
LastShares(32); 4.4 drops ExecTransType, reports every fill as ExecType F (Trade) with
LastQty(32), busts and corrections as ExecType H and G, and status replies as ExecType I.
In both, OrderQty(38) = CumQty(14) + LeavesQty(151) while the order works, so a replace
report without OrderQty(38) still tells the new quantity. Liquidity is LastLiquidityInd(851)
and the fee currency CommCurrency(479) on 4.4; 4.2 has neither (Currency(15) stands in).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import msgspec

from ordergate.domain.reports import ExecKind, ExecutionReport, OrderStatusReport
from ordergate.domain.values import ZERO, Liquidity, OrderStatus
from ordergate.fix.message import FixMessage
from ordergate.fix.venue.book import ClOrdIdBook
from ordergate.fix.venue.codes import (
    FIX42,
    FixMappingError,
    ord_status_of,
    parse_utc_timestamp,
    side_of,
    time_in_force_of,
)

__all__ = ["Ignored", "Inbound", "Refused", "ReportReader", "RequestFailed", "StatusReply"]


class StatusReply(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's answer about one order (``known`` False: the venue does not know it)."""

    report: OrderStatusReport
    cl_ord_id: str
    request_id: str | None
    known: bool


class RequestFailed(msgspec.Struct, frozen=True, kw_only=True):
    """A status or mass cancel request the venue refused; ``order_id`` "" for mass cancel."""

    msg_type: str
    order_id: str
    reason: str


class Ignored(msgspec.Struct, frozen=True):
    """Nothing for the OMS in this message."""

    reason: str


class Refused(msgspec.Struct, frozen=True):
    """A message we cannot apply; ``reason`` says why."""

    reason: str


Inbound = ExecutionReport | StatusReply | RequestFailed | Ignored | Refused

# ExecType(150) -> what it reports, per version. None: nothing for the OMS.
_COMMON: dict[bytes, ExecKind | None] = {
    b"0": ExecKind.ACCEPTED,
    b"3": ExecKind.EXPIRED,  # done for day: the order works no more this session
    b"4": ExecKind.CANCELED,
    b"5": ExecKind.REPLACED,
    b"6": None,  # pending cancel: the OMS is already PENDING_CANCEL
    b"7": None,  # stopped: a price guarantee, the order still works
    b"8": ExecKind.REJECTED,
    b"9": None,  # suspended: still held by the venue
    b"A": None,  # pending new
    b"B": None,  # calculated
    b"C": ExecKind.EXPIRED,
    b"D": None,  # restated: terms the venue changed on its own are reconciled, not applied
    b"E": None,  # pending replace
}
_EXEC_TYPES: dict[str, dict[bytes, ExecKind | None]] = {
    FIX42: {**_COMMON, b"1": ExecKind.TRADE, b"2": ExecKind.TRADE},
    "FIX.4.4": {**_COMMON, b"F": ExecKind.TRADE},
}
_CXL_REJ_REASON = {
    b"0": "too late to cancel",
    b"1": "unknown order",
    b"2": "broker option",
    b"3": "already pending cancel or replace",
    b"4": "unable to process mass cancel",
    b"5": "OrigOrdModTime mismatch",
    b"6": "duplicate ClOrdID",
    b"99": "other",
}
_ORD_REJ_REASON = {
    b"0": "broker option",
    b"1": "unknown symbol",
    b"2": "exchange closed",
    b"3": "order exceeds limit",
    b"4": "too late to enter",
    b"5": "unknown order",
    b"6": "duplicate order",
    b"7": "duplicate of a verbally communicated order",
    b"8": "stale order",
    b"11": "unsupported order characteristic",
    b"13": "incorrect quantity",
    b"99": "other",
}
_REJECTED_REQUEST = {
    "D": ExecKind.REJECTED,
    "F": ExecKind.CANCEL_REJECTED,
    "G": ExecKind.REPLACE_REJECTED,
}


def _reason(message: FixMessage, tag: int, names: dict[bytes, str]) -> str:
    code = message.get(tag)
    text = message.get_str(58)
    parts = []
    if code is not None:
        parts.append(names.get(code, f"reason {code.decode('latin-1')}"))
    if text:
        parts.append(text)
    return ": ".join(parts) or "no reason given"


def _decimal(message: FixMessage, tag: int) -> Decimal | None:
    value = message.get(tag)
    if value is None:
        return None
    try:
        result = Decimal(value.decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError):
        raise FixMappingError(f"tag {tag} value {value!r} is not a number") from None
    if not result.is_finite():
        raise FixMappingError(f"tag {tag} value {value!r} is not a finite number")
    return result


class ReportReader:
    """Read one FIX venue's inbound application messages into domain reports.

    Parameters
    ----------
    venue
        Venue name put on every report.
    begin_string
        ``"FIX.4.2"`` or ``"FIX.4.4"``: which ExecutionReport(8) rules apply.
    book
        The session's ClOrdID book, to map ClOrdIDs and MsgSeqNums back to orders.
    symbols
        Our venue symbol -> the counterparty's Symbol(55), reversed here.
    """

    def __init__(
        self,
        venue: str,
        begin_string: str,
        book: ClOrdIdBook,
        symbols: dict[str, str] | None = None,
    ) -> None:
        self.venue = venue
        self.begin_string = begin_string
        self.book = book
        self._exec_types = _EXEC_TYPES[begin_string]
        self._ours = {theirs: ours for ours, theirs in (symbols or {}).items()}

    def our_symbol(self, symbol: str) -> str:
        """Return our venue symbol of the counterparty's Symbol(55) ``symbol``."""
        return self._ours.get(symbol, symbol)

    def read(self, message: FixMessage) -> Inbound:
        """Return what ``message`` means for the OMS (see the module docstring)."""
        msg_type = message.msg_type
        try:
            if msg_type == "8":
                return self._execution_report(message)
            if msg_type == "9":
                return self._cancel_reject(message)
            if msg_type in ("j", "3"):
                return self._request_reject(message)
            if msg_type == "r":
                return Ignored("mass cancel report: the orders' own reports follow")
        except (FixMappingError, ValueError) as e:
            return Refused(f"MsgType {msg_type}: {e}")
        return Ignored(f"MsgType {msg_type!r} is not order flow")

    def _order_id(self, message: FixMessage) -> str:
        cl_ord_id = message.get_str(11) or message.get_str(41)
        if not cl_ord_id:
            raise FixMappingError("neither ClOrdID(11) nor OrigClOrdID(41) is present")
        return self.book.order_id_of(cl_ord_id)

    def _ts(self, message: FixMessage) -> int:
        value = message.get(60)
        return 0 if value is None else parse_utc_timestamp(value)

    def _execution_report(self, message: FixMessage) -> Inbound:
        exec_type = message.get(150)
        if self.begin_string == FIX42:
            trans = message.get(20) or b"0"
            if trans == b"3":
                return self._status(message)
            if trans != b"0":
                what = "cancel (trade bust)" if trans == b"1" else "correct"
                raise FixMappingError(
                    f"ExecTransType(20) {trans.decode('latin-1')} {what} is not supported;"
                    " reconcile the order by hand"
                )
        elif exec_type == b"I":
            return self._status(message)
        elif exec_type in (b"G", b"H"):
            raise FixMappingError(
                "ExecType(150) G/H (trade correct/cancel) is not supported;"
                " reconcile the order by hand"
            )
        if exec_type is None:
            raise FixMappingError("ExecType(150) is missing")
        if exec_type not in self._exec_types:
            raise FixMappingError(
                f"ExecType(150) {exec_type.decode('latin-1')!r} is not a {self.begin_string} value"
            )
        kind = self._exec_types[exec_type]
        if kind is None:
            return Ignored(f"ExecType(150) {exec_type.decode('latin-1')}: nothing to apply")
        order_id = self._order_id(message)
        venue_order_id = message.get_str(37)
        if venue_order_id == "NONE":
            venue_order_id = None
        ts = self._ts(message)
        if kind is ExecKind.TRADE:
            return self._trade(message, order_id, venue_order_id, ts)
        if kind is ExecKind.REPLACED:
            quantity = _decimal(message, 38)
            if quantity is None:
                cum, leaves = _decimal(message, 14), _decimal(message, 151)
                if cum is not None and leaves is not None:
                    quantity = cum + leaves
            return ExecutionReport(
                kind=kind,
                venue=self.venue,
                order_id=order_id,
                venue_order_id=venue_order_id,
                quantity=quantity,
                price=_decimal(message, 44),
                stop_price=_decimal(message, 99),
                time_in_force=time_in_force_of(message.get(59)) if 59 in message else None,
                ts_event=ts,
            )
        reason = None
        if kind is ExecKind.REJECTED:
            reason = _reason(message, 103, _ORD_REJ_REASON)
        elif exec_type == b"3":
            reason = "done for day"
        elif 58 in message:
            reason = message.get_str(58)
        return ExecutionReport(
            kind=kind,
            venue=self.venue,
            order_id=order_id,
            venue_order_id=venue_order_id,
            quantity=_decimal(message, 38) if kind is ExecKind.ACCEPTED else None,
            price=_decimal(message, 44) if kind is ExecKind.ACCEPTED else None,
            reason=reason,
            ts_event=ts,
        )

    def _trade(
        self, message: FixMessage, order_id: str, venue_order_id: str | None, ts: int
    ) -> ExecutionReport:
        execution_id = message.get_str(17)
        quantity = _decimal(message, 32)
        price = _decimal(message, 31)
        if not execution_id:
            raise FixMappingError("a fill without ExecID(17)")
        if quantity is None or quantity <= 0 or price is None or price <= 0:
            raise FixMappingError("a fill needs a positive LastQty(32) and LastPx(31)")
        fee = ZERO
        commission = _decimal(message, 12)
        if commission is not None:
            match message.get(13) or b"3":
                case b"1":  # per unit
                    fee = commission * quantity
                case b"2":  # percent of the fill's value
                    fee = commission * quantity * price / 100
                case b"3":  # absolute
                    fee = commission
                case other:
                    raise FixMappingError(f"CommType(13) {other!r} is not supported")
        liquidity = {b"1": Liquidity.MAKER, b"2": Liquidity.TAKER}.get(message.get(851) or b"")
        currency = message.get_str(479) or message.get_str(15)
        return ExecutionReport(
            kind=ExecKind.TRADE,
            venue=self.venue,
            order_id=order_id,
            venue_order_id=venue_order_id,
            execution_id=execution_id,
            last_quantity=quantity,
            last_price=price,
            fee=fee,
            fee_currency=currency,
            liquidity=liquidity,
            ts_event=ts,
        )

    def _status(self, message: FixMessage) -> StatusReply:
        cl_ord_id = message.get_str(11) or ""
        status = ord_status_of(message.get(39))
        known = not (status is OrderStatus.REJECTED and message.get(103) == b"5")
        cum = _decimal(message, 14) or ZERO
        leaves = _decimal(message, 151) or ZERO
        quantity = _decimal(message, 38)
        symbol = message.get_str(55) or ""
        report = OrderStatusReport(
            venue=self.venue,
            order_id=self.book.order_id_of(cl_ord_id) if cl_ord_id else "",
            venue_order_id=message.get_str(37) or "NONE",
            symbol=self._ours.get(symbol, symbol),
            side=side_of(message.get(54)),
            status=(
                OrderStatus.PARTIALLY_FILLED if status is OrderStatus.NEW and cum > 0 else status
            ),
            quantity=quantity if quantity is not None else cum + leaves,
            filled_quantity=cum,
            price=_decimal(message, 44),
            ts_event=self._ts(message),
        )
        return StatusReply(
            report=report,
            cl_ord_id=cl_ord_id,
            request_id=message.get_str(790),
            known=known,
        )

    def _cancel_reject(self, message: FixMessage) -> ExecutionReport:
        response_to = message.get(434)
        if response_to == b"1":
            kind = ExecKind.CANCEL_REJECTED
        elif response_to == b"2":
            kind = ExecKind.REPLACE_REJECTED
        else:
            raise FixMappingError(f"CxlRejResponseTo(434) {response_to!r} is not 1 or 2")
        venue_order_id = message.get_str(37)
        return ExecutionReport(
            kind=kind,
            venue=self.venue,
            order_id=self._order_id(message),
            venue_order_id=None if venue_order_id == "NONE" else venue_order_id,
            reason=_reason(message, 102, _CXL_REJ_REASON),
            ts_event=self._ts(message),
        )

    def _request_reject(self, message: FixMessage) -> Inbound:
        ref_msg_type = message.get_str(372)
        ref_id = message.get_str(379)
        ref_seq = message.get_int(45)
        sent = self.book.sent(ref_seq) if ref_seq is not None else None
        if ref_msg_type is None and sent is not None:
            ref_msg_type = sent.msg_type
        reason = message.get_str(58) or "no reason given"
        if message.msg_type == "j":
            code = message.get_str(380)
            reason = f"business reject {code}: {reason}"
        else:
            reason = f"session reject {message.get_str(373)}: {reason}"
        if ref_msg_type == "q":
            return RequestFailed(msg_type="q", order_id="", reason=reason)
        if ref_id and ref_msg_type in ("D", "F", "G", "H"):
            order_id = self.book.order_id_of(ref_id)
        elif sent is not None:
            order_id = sent.order_id
        else:
            return Refused(f"reject of a request we cannot find: {reason}")
        if ref_msg_type == "H":
            return RequestFailed(msg_type="H", order_id=order_id, reason=reason)
        kind = _REJECTED_REQUEST.get(ref_msg_type or "")
        if kind is None:
            return Ignored(f"reject of MsgType {ref_msg_type!r}: {reason}")
        return ExecutionReport(kind=kind, venue=self.venue, order_id=order_id, reason=reason)
