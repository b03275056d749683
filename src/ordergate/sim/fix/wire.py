"""The simulated FIX exchange's messages (pure): requests in, reports out.

Requests: NewOrderSingle(D), OrderCancelRequest(F) and OrderCancelReplaceRequest(G) are read
into the matching engine's terms (:func:`order_terms`); a value the exchange cannot take
raises :class:`~ordergate.fix.venue.codes.FixMappingError` with the OrdRejReason(103) to
answer with.

Reports: :func:`execution_report` writes ExecutionReport(8) by the rules of the session's
version: FIX 4.2 with ExecTransType(20)=0 and fills as ExecType(150) 1/2 with LastShares(32);
FIX 4.4 with fills as ExecType F and LastQty(32), LastLiquidityInd(851) and CommCurrency(479).
Status replies are ExecTransType(20)=3 on 4.2 and ExecType(150)=I on 4.4. CumQty(14),
LeavesQty(151) and AvgPx(6) come from the exchange's order record, so
OrderQty = CumQty + LeavesQty while the order works and LeavesQty = 0 once it is finished.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.values import ZERO, Liquidity, OrderStatus, OrderType, Side, TimeInForce
from ordergate.fix.message import FieldValue, FixMessage
from ordergate.fix.venue.codes import (
    FIX42,
    ORD_STATUS,
    ORD_TYPE,
    SIDE,
    TIME_IN_FORCE,
    FixMappingError,
    format_utc_timestamp,
    ord_type_of,
    parse_utc_timestamp,
    side_of,
    time_in_force_of,
)

__all__ = [
    "ExchangeOrder",
    "OrderTerms",
    "RejectCode",
    "business_reject",
    "cancel_reject",
    "execution_report",
    "mass_cancel_report",
    "order_terms",
    "rejected_order",
    "unknown_order_report",
]


class RejectCode:
    """OrdRejReason(103) and CxlRejReason(102) values the exchange answers with."""

    BROKER_OPTION = b"0"
    UNKNOWN_SYMBOL = b"1"
    UNKNOWN_ORDER = b"5"
    DUPLICATE_ORDER = b"6"
    TOO_LATE_TO_CANCEL = b"0"
    CXL_UNKNOWN_ORDER = b"1"
    CXL_BROKER_OPTION = b"2"


class OrderTerms:
    """What a D or G asks for, in domain types."""

    __slots__ = (
        "expire_time",
        "order_type",
        "price",
        "quantity",
        "side",
        "stop_price",
        "symbol",
        "time_in_force",
    )

    def __init__(
        self,
        symbol: str,
        side: Side,
        order_type: OrderType,
        quantity: Decimal,
        price: Decimal | None,
        stop_price: Decimal | None,
        time_in_force: TimeInForce,
        expire_time: int | None,
    ) -> None:
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.quantity = quantity
        self.price = price
        self.stop_price = stop_price
        self.time_in_force = time_in_force
        self.expire_time = expire_time


class ExchangeOrder:
    """The exchange's record of one client order: identity, terms and execution state."""

    __slots__ = (
        "account",
        "cl_ord_id",
        "cum",
        "key",
        "notional",
        "order_id",
        "session_id",
        "status",
        "terms",
    )

    def __init__(
        self, key: str, session_id: str, cl_ord_id: str, account: str, terms: OrderTerms
    ) -> None:
        self.key = key
        self.session_id = session_id
        self.cl_ord_id = cl_ord_id
        self.account = account
        self.terms = terms
        self.order_id = "NONE"
        self.cum = ZERO
        self.notional = ZERO
        self.status = OrderStatus.PENDING_NEW

    @property
    def leaves(self) -> Decimal:
        """Return LeavesQty(151): what can still trade (0 once finished)."""
        if self.status.is_terminal:
            return ZERO
        return self.terms.quantity - self.cum

    @property
    def average_price(self) -> Decimal:
        """Return AvgPx(6) of the fills so far (0 before the first)."""
        return self.notional / self.cum if self.cum else ZERO


def _number(message: FixMessage, tag: int) -> Decimal | None:
    value = message.get(tag)
    if value is None:
        return None
    try:
        result = Decimal(value.decode("ascii"))
    except ArithmeticError:
        raise FixMappingError(f"tag {tag} value {value!r} is not a number") from None
    if not result.is_finite():
        raise FixMappingError(f"tag {tag} value {value!r} is not a finite number")
    return result


def order_terms(message: FixMessage) -> OrderTerms:
    """Return the terms of NewOrderSingle(D) or OrderCancelReplaceRequest(G) ``message``.

    Raises
    ------
    FixMappingError
        If Symbol(55), Side(54), OrdType(40) or OrderQty(38) is missing or unsupported.
    """
    symbol = message.get_str(55)
    if not symbol:
        raise FixMappingError("Symbol(55) is missing")
    quantity = _number(message, 38)
    if quantity is None:
        raise FixMappingError("OrderQty(38) is missing")
    expire = message.get(126)
    return OrderTerms(
        symbol,
        side_of(message.get(54)),
        ord_type_of(message.get(40)),
        quantity,
        _number(message, 44),
        _number(message, 99),
        time_in_force_of(message.get(59)),
        None if expire is None else parse_utc_timestamp(expire),
    )


def execution_report(
    begin_string: str,
    order: ExchangeOrder,
    exec_type: bytes,
    exec_id: str,
    now: int,
    *,
    orig_cl_ord_id: str | None = None,
    cl_ord_id: str | None = None,
    fill: tuple[Decimal, Decimal, Decimal, str, Liquidity] | None = None,
    reject_code: bytes | None = None,
    text: str | None = None,
    status_request_id: str | None = None,
) -> FixMessage:
    """Return ExecutionReport(8) of ``order`` (after the event it reports was applied).

    ``exec_type`` is the FIX 4.4 ExecType(150) (``b"F"`` for a fill, ``b"I"`` for a status
    reply); it is written in the version's own terms. ``fill`` is (LastQty, LastPx,
    Commission, its currency, liquidity).
    """
    # Every report of every order goes through here: the fields are encoded as they are
    # built (exactly as FixMessage.of would) rather than in a second pass.
    fix42 = begin_string == FIX42
    terms = order.terms
    status = ORD_STATUS[order.status]
    fields: list[tuple[int, bytes]] = [
        (35, b"8"),
        (37, _text(order.order_id)),
        (11, _text(cl_ord_id or order.cl_ord_id)),
    ]
    if orig_cl_ord_id is not None:
        fields.append((41, _text(orig_cl_ord_id)))
    if status_request_id is not None and not fix42:
        fields.append((790, _text(status_request_id)))
    fields.append((17, _text(exec_id)))
    if fix42:
        if exec_type == b"I":
            fields += [(20, b"3"), (150, status)]
        else:
            trade = b"2" if order.status is OrderStatus.FILLED else b"1"
            fields += [(20, b"0"), (150, trade if exec_type == b"F" else exec_type)]
    else:
        fields.append((150, exec_type))
    fields.append((39, status))
    if reject_code is not None:
        fields.append((103, reject_code))
    if order.account:
        fields.append((1, _text(order.account)))
    fields += [
        (55, _text(terms.symbol)),
        (54, SIDE[terms.side]),
        (38, _decimal(terms.quantity)),
        (40, ORD_TYPE[terms.order_type]),
    ]
    if terms.price is not None:
        fields.append((44, _decimal(terms.price)))
    if terms.stop_price is not None:
        fields.append((99, _decimal(terms.stop_price)))
    fields.append((59, TIME_IN_FORCE[terms.time_in_force]))
    if terms.time_in_force is TimeInForce.GTD and terms.expire_time is not None:
        fields.append((126, format_utc_timestamp(terms.expire_time)))
    if fill is not None:
        quantity, price, fee, currency, liquidity = fill
        fields += [(32, _decimal(quantity)), (31, _decimal(price)), (12, _decimal(fee)), (13, b"3")]
        if fix42:
            fields.append((15, _text(currency)))
        else:
            maker = liquidity is Liquidity.MAKER
            fields += [(479, _text(currency)), (851, b"1" if maker else b"2")]
    fields += [
        (151, _decimal(order.leaves)),
        (14, _decimal(order.cum)),
        (6, _decimal(order.average_price)),
        (60, format_utc_timestamp(now)),
    ]
    if text:
        fields.append((58, _text(text)))
    return FixMessage(fields)


def _text(value: str) -> bytes:
    return value.encode("latin-1")


def _decimal(value: Decimal) -> bytes:
    # As encode_value writes a Decimal: plain notation, never an exponent.
    return format(value, "f").encode("ascii")


def unknown_order_report(
    begin_string: str,
    cl_ord_id: str,
    symbol: str,
    side: bytes,
    exec_id: str,
    now: int,
    status_request_id: str | None,
) -> FixMessage:
    """Return the status reply about an order the exchange does not know (OrdRejReason 5)."""
    fix42 = begin_string == FIX42
    fields: list[tuple[int, FieldValue]] = [(37, "NONE"), (11, cl_ord_id)]
    if status_request_id is not None and not fix42:
        fields.append((790, status_request_id))
    fields.append((17, exec_id))
    fields += [(20, b"3"), (150, b"8")] if fix42 else [(150, b"I")]
    fields += [
        (39, b"8"),
        (103, RejectCode.UNKNOWN_ORDER),
        (55, symbol),
        (54, side),
        (151, ZERO),
        (14, ZERO),
        (6, ZERO),
        (60, format_utc_timestamp(now)),
        (58, f"unknown order {cl_ord_id!r}"),
    ]
    return FixMessage.of("8", *fields)


def cancel_reject(
    order: ExchangeOrder | None,
    cl_ord_id: str,
    orig_cl_ord_id: str,
    response_to: bytes,
    reason: bytes,
    text: str,
    now: int,
) -> FixMessage:
    """Return OrderCancelReject(9): CxlRejResponseTo(434) 1 for a cancel, 2 for a replace."""
    return FixMessage.of(
        "9",
        (37, "NONE" if order is None else order.order_id),
        (11, cl_ord_id),
        (41, orig_cl_ord_id),
        (39, b"8" if order is None else ORD_STATUS[order.status]),
        (434, response_to),
        (102, reason),
        (60, format_utc_timestamp(now)),
        (58, text),
    )


def rejected_order(
    begin_string: str,
    message: FixMessage,
    exec_id: str,
    reject_code: bytes,
    text: str,
    now: int,
) -> FixMessage:
    """Return ExecutionReport(8) rejecting NewOrderSingle ``message`` that has no record."""
    fields: list[tuple[int, FieldValue]] = [
        (37, "NONE"),
        (11, message.get(11) or b"NONE"),
        (17, exec_id),
    ]
    if begin_string == FIX42:
        fields.append((20, b"0"))
    fields += [(150, b"8"), (39, b"8"), (103, reject_code)]
    fields += [(55, message.get(55) or b"?"), (54, message.get(54) or b"1")]
    fields += [(151, ZERO), (14, ZERO), (6, ZERO), (60, format_utc_timestamp(now)), (58, text)]
    return FixMessage.of("8", *fields)


def business_reject(message: FixMessage, reason: int, text: str) -> FixMessage:
    """Return BusinessMessageReject(j) of ``message`` (RefSeqNum(45), RefMsgType(372))."""
    fields: list[tuple[int, FieldValue]] = []
    seq = message.get(34)
    if seq is not None:
        fields.append((45, seq))
    fields.append((372, message.msg_type))
    ref_id = message.get(11)
    if ref_id is not None:
        fields.append((379, ref_id))
    fields += [(380, reason), (58, text)]
    return FixMessage.of("j", *fields)


def mass_cancel_report(
    cl_ord_id: str, report_id: str, request_type: bytes, canceled: int, now: int
) -> FixMessage:
    """Return OrderMassCancelReport(r) saying ``canceled`` orders were canceled."""
    response = request_type if request_type in (b"1", b"7") else b"0"
    fields: list[tuple[int, FieldValue]] = [
        (11, cl_ord_id),
        (37, report_id),
        (530, request_type),
        (531, response),
    ]
    if response != b"0":
        fields.append((533, canceled))
    else:
        fields += [(532, b"0"), (58, "mass cancel type not supported")]
    fields.append((60, format_utc_timestamp(now)))
    return FixMessage.of("r", *fields)
