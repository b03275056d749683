"""Alpaca orders, trade updates and fill activities to ordergate's reports.

Every Alpaca order status and trade update event has one explicit entry in
:data:`STATUS_MAP` and :data:`EVENT_MAP`; a test proves that every member of alpaca-py's
``OrderStatus`` and ``TradeEvent`` enums is there. Quantities and prices go from Alpaca's
strings straight to ``Decimal``; times from RFC 3339 text straight to integer nanoseconds.

Order identity: ordergate's order id travels as Alpaca's ``client_order_id``. A replace
creates a new Alpaca order, which needs a new, unique client order id; the adapter sends
``<order id>~R<n>`` (:func:`replacement_client_order_id`) and :func:`our_order_id` reads the
order id back, so every Alpaca order of one ordergate order maps to it without any state.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
)
from ordergate.domain.values import ZERO, Liquidity, OrderStatus, Side, TimeInForce, to_decimal
from ordergate.venues.alpaca.config import AlpacaVenueConfig
from ordergate.venues.alpaca.schemas import FillActivity, OrderRecord, TradeUpdateRecord

__all__ = [
    "BY_FILLS",
    "EVENT_MAP",
    "STATUS_MAP",
    "decimal",
    "fill_report",
    "format_time",
    "order_status",
    "our_order_id",
    "parse_time_ns",
    "replacement_client_order_id",
    "status_report",
    "trade_update_report",
]

_REPLACE_MARK = "~R"
_FEE_CURRENCY = "USD"  # Alpaca's US equities are commission free, in dollars


class _Special(Enum):
    BY_FILLS = "BY_FILLS"  # still working: NEW or PARTIALLY_FILLED by the filled quantity
    SUPERSEDED = "SUPERSEDED"  # replaced: the replacement order speaks for it now


BY_FILLS = _Special.BY_FILLS
_SUPERSEDED = _Special.SUPERSEDED

STATUS_MAP: dict[str, OrderStatus | _Special] = {
    "new": OrderStatus.NEW,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    # Done for the day, but a GTC order works again tomorrow: still open.
    "done_for_day": BY_FILLS,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "replaced": _SUPERSEDED,
    "pending_cancel": OrderStatus.PENDING_CANCEL,
    "pending_replace": OrderStatus.PENDING_REPLACE,
    # Received by Alpaca but not yet acknowledged by an exchange.
    "pending_review": OrderStatus.PENDING_NEW,
    "accepted": OrderStatus.PENDING_NEW,
    "pending_new": OrderStatus.PENDING_NEW,
    "accepted_for_bidding": OrderStatus.PENDING_NEW,
    "held": OrderStatus.PENDING_NEW,
    # Stopped: a fill at a guaranteed price is due; the order is still working.
    "stopped": BY_FILLS,
    "rejected": OrderStatus.REJECTED,
    # Suspended: not eligible for trading for now, but not finished.
    "suspended": BY_FILLS,
    # Calculated: done for the day, settlement pending; filled or still open by its fills.
    "calculated": BY_FILLS,
}

# Events that carry no report: acknowledgements before the exchange has the order, and
# pending states the OMS puts orders in itself when it sends the request.
EVENT_MAP: dict[str, ExecKind | None] = {
    "new": ExecKind.ACCEPTED,
    "fill": ExecKind.TRADE,
    "partial_fill": ExecKind.TRADE,
    "canceled": ExecKind.CANCELED,
    "expired": ExecKind.EXPIRED,
    "rejected": ExecKind.REJECTED,
    "replaced": ExecKind.REPLACED,
    "order_cancel_rejected": ExecKind.CANCEL_REJECTED,
    "order_replace_rejected": ExecKind.REPLACE_REJECTED,
    "accepted": None,
    "pending_new": None,
    "pending_cancel": None,
    "pending_replace": None,
    "done_for_day": None,
    "calculated": None,
    "suspended": None,
    "stopped": None,
    "held": None,
    # Restated: Alpaca changed the order on its own; its terms arrive in the next event.
    "restated": None,
}

_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_TIMES_IN_FORCE = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
}
_TIME = re.compile(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def decimal(text: str | None) -> Decimal | None:
    """Return Alpaca's numeric string as a Decimal (None stays None).

    Raises
    ------
    ValueError
        If the text is not a finite number.
    """
    return None if text is None else to_decimal(text)


def parse_time_ns(text: str) -> int:
    """Return an RFC 3339 time (up to nanoseconds, any offset) as ns since the epoch.

    Raises
    ------
    ValueError
        If ``text`` is not such a time.
    """
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    base, fraction, offset = match.groups()
    moment = datetime.fromisoformat(base + ("+00:00" if offset == "Z" else offset))
    return int(moment.timestamp()) * 1_000_000_000 + int((fraction or "").ljust(9, "0"))


def format_time(ts_ns: int) -> str:
    """Return ``ts_ns`` as an RFC 3339 UTC time with microseconds, as Alpaca's queries take."""
    seconds, ns = divmod(ts_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=ns // 1_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def replacement_client_order_id(order_id: str, n: int) -> str:
    """Return the client order id of the ``n``-th replacement Alpaca order of ``order_id``."""
    return f"{order_id}{_REPLACE_MARK}{n}"


def our_order_id(client_order_id: str) -> str:
    """Return ordergate's order id from the client order id of any of its Alpaca orders."""
    head, mark, tail = client_order_id.rpartition(_REPLACE_MARK)
    return head if mark and head and tail.isdigit() else client_order_id


def order_status(record: OrderRecord) -> OrderStatus | None:
    """Return the status of ``record``'s order; None when the record was replaced.

    Raises
    ------
    ValueError
        If Alpaca sent a status this adapter does not know.
    """
    mapped = STATUS_MAP.get(record.status)
    if mapped is None:
        raise ValueError(f"unknown Alpaca order status {record.status!r}")
    if mapped is _SUPERSEDED:
        return None
    if mapped is BY_FILLS:
        filled = decimal(record.filled_qty) or ZERO
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.NEW
    assert isinstance(mapped, OrderStatus)
    return mapped


def trade_update_report(
    update: TradeUpdateRecord, config: AlpacaVenueConfig, ts_init: int
) -> ExecutionReport | None:
    """Return the execution report a trade update carries, or None when it carries none.

    A replace arrives as ``replaced`` for the old Alpaca order (``replaced_by`` set: no
    report, the replacement speaks next) and ``new`` for the replacement (``replaces`` set):
    that one is the REPLACED report, with the new venue order id and terms.

    Raises
    ------
    ValueError
        If the event is unknown or its numbers or times do not parse.
    """
    if update.event not in EVENT_MAP:
        raise ValueError(f"unknown Alpaca trade event {update.event!r}")
    kind = EVENT_MAP[update.event]
    order = update.order
    if kind is ExecKind.ACCEPTED and order.replaces is not None:
        kind = ExecKind.REPLACED
    elif kind is ExecKind.REPLACED and order.replaces is None:
        return None  # the old order's notice; its replacement's ``new`` follows
    if kind is None:
        return None
    ts_event = parse_time_ns(update.timestamp) if update.timestamp else ts_init
    is_trade = kind is ExecKind.TRADE
    has_terms = kind is ExecKind.ACCEPTED or kind is ExecKind.REPLACED
    return ExecutionReport(
        kind=kind,
        venue=config.name,
        order_id=our_order_id(order.client_order_id),
        venue_order_id=order.id,
        execution_id=update.execution_id if is_trade else None,
        last_quantity=decimal(update.qty) if is_trade else None,
        last_price=decimal(update.price) if is_trade else None,
        fee_currency=_FEE_CURRENCY if is_trade else None,
        quantity=decimal(order.qty) if has_terms else None,
        price=decimal(order.limit_price) if has_terms else None,
        stop_price=decimal(order.stop_price) if has_terms else None,
        time_in_force=_TIMES_IN_FORCE.get(order.time_in_force) if has_terms else None,
        reason=None if is_trade or has_terms else update.event,
        ts_event=ts_event,
    )


def status_report(record: OrderRecord, config: AlpacaVenueConfig) -> OrderStatusReport | None:
    """Return ``record`` for reconciliation; None for a record that was replaced.

    Raises
    ------
    ValueError
        If the status, side, numbers or times do not parse.
    """
    status = order_status(record)
    if status is None:
        return None
    stamp = record.updated_at or record.created_at
    return OrderStatusReport(
        venue=config.name,
        order_id=our_order_id(record.client_order_id),
        venue_order_id=record.id,
        symbol=config.our_symbol(record.symbol),
        side=_side(record.side),
        status=status,
        quantity=decimal(record.qty) or ZERO,
        filled_quantity=decimal(record.filled_qty) or ZERO,
        price=decimal(record.limit_price),
        ts_event=parse_time_ns(stamp) if stamp else 0,
    )


def fill_report(activity: FillActivity, order_id: str, config: AlpacaVenueConfig) -> FillReport:
    """Return one FILL activity of ordergate order ``order_id`` as a fill report.

    The execution id is the activity id's part after ``::`` (Alpaca's activity ids are
    ``<time>::<uuid>``). Alpaca does not say whether a fill added or took liquidity, and
    charges no commission on equities, so every fill is reported TAKER with a zero fee.

    Raises
    ------
    ValueError
        If the side, numbers or time do not parse.
    """
    price, qty = decimal(activity.price), decimal(activity.qty)
    assert price is not None  # typed str, never None
    assert qty is not None
    return FillReport(
        venue=config.name,
        order_id=order_id,
        venue_order_id=activity.order_id,
        execution_id=activity.id.rpartition("::")[2],
        symbol=config.our_symbol(activity.symbol),
        side=_side(activity.side),
        quantity=qty,
        price=price,
        fee=ZERO,
        fee_currency=_FEE_CURRENCY,
        liquidity=Liquidity.TAKER,
        ts_event=parse_time_ns(activity.transaction_time),
    )


def _side(text: str) -> Side:
    side = _SIDES.get(text)
    if side is None:
        raise ValueError(f"unknown Alpaca side {text!r}")
    return side
