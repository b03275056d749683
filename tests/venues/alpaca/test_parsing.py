"""Every Alpaca status and event is mapped; numbers and times parse exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderStatus, TimeInForce
from ordergate.venues.alpaca import AlpacaVenueConfig
from ordergate.venues.alpaca.library import AlpacaOrderStatus, TradeEvent
from ordergate.venues.alpaca.parsing import (
    EVENT_MAP,
    STATUS_MAP,
    format_time,
    order_status,
    our_order_id,
    parse_time_ns,
    replacement_client_order_id,
    status_report,
    trade_update_report,
)
from ordergate.venues.alpaca.schemas import OrderRecord, TradeUpdateRecord, convert

CONFIG = AlpacaVenueConfig(key_id="k", secret_key="s", symbols={"BRK-B": "BRK.B"})


def _order(**fields: Any) -> dict[str, Any]:
    order = {
        "id": "v-1",
        "client_order_id": "C-1",
        "symbol": "AAPL",
        "side": "buy",
        "status": "new",
        "time_in_force": "gtc",
        "type": "limit",
        "qty": "10",
        "filled_qty": "0",
        "limit_price": "190.01",
        "updated_at": "2026-12-01T19:00:00.123456Z",
    }
    order.update(fields)
    return order


def _update(event: str, **fields: Any) -> TradeUpdateRecord:
    data: dict[str, Any] = {
        "event": event,
        "order": _order(**fields.pop("order", {})),
        "timestamp": "2026-12-01T19:00:01.000000001Z",
    }
    data.update(fields)
    return convert(data, TradeUpdateRecord)


def test_every_alpaca_order_status_is_mapped() -> None:
    assert {s.value for s in AlpacaOrderStatus} <= set(STATUS_MAP)
    for status in AlpacaOrderStatus:
        record = convert(_order(status=status.value), OrderRecord)
        order_status(record)  # never raises for a member of the enum


def test_every_alpaca_trade_event_is_mapped() -> None:
    assert {e.value for e in TradeEvent} <= set(EVENT_MAP)
    for event in TradeEvent:
        trade_update_report(_update(event.value), CONFIG, 0)


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("done_for_day", "0", OrderStatus.NEW),
        ("done_for_day", "3", OrderStatus.PARTIALLY_FILLED),
        ("calculated", "3", OrderStatus.PARTIALLY_FILLED),
        ("stopped", "0", OrderStatus.NEW),
        ("accepted", "0", OrderStatus.PENDING_NEW),
        ("pending_cancel", "0", OrderStatus.PENDING_CANCEL),
        ("expired", "0", OrderStatus.EXPIRED),
        ("rejected", "0", OrderStatus.REJECTED),
        ("replaced", "0", None),
    ],
)
def test_status_is_mapped_without_collapsing_states(
    status: str, filled: str, expected: OrderStatus | None
) -> None:
    record = convert(_order(status=status, filled_qty=filled), OrderRecord)

    assert order_status(record) == expected


def test_unknown_status_is_an_error_not_a_guess() -> None:
    record = convert(_order(status="teleported"), OrderRecord)

    with pytest.raises(ValueError, match="teleported"):
        order_status(record)


def test_fill_event_is_a_trade_with_exact_decimals() -> None:
    update = _update("partial_fill", execution_id="e-1", price="190.0100", qty="3")

    report = trade_update_report(update, CONFIG, 0)

    assert report is not None
    assert report.kind is ExecKind.TRADE
    assert (report.last_quantity, report.last_price) == (Decimal(3), Decimal("190.0100"))
    assert (report.order_id, report.venue_order_id, report.execution_id) == ("C-1", "v-1", "e-1")
    assert report.ts_event == parse_time_ns("2026-12-01T19:00:01Z") + 1


def test_float_numbers_are_refused_not_rounded() -> None:
    with pytest.raises(msgspec.ValidationError):
        convert({"event": "fill", "order": _order(), "price": 190.01}, TradeUpdateRecord)


def test_new_event_of_a_replacement_is_replaced_with_new_terms() -> None:
    update = _update(
        "new", order={"id": "v-2", "client_order_id": "C-1~R5", "replaces": "v-1", "qty": "7"}
    )

    report = trade_update_report(update, CONFIG, 0)

    assert report is not None
    assert report.kind is ExecKind.REPLACED
    assert (report.order_id, report.venue_order_id) == ("C-1", "v-2")
    assert (report.quantity, report.price, report.time_in_force) == (
        Decimal(7),
        Decimal("190.01"),
        TimeInForce.GTC,
    )


def test_replaced_notice_of_the_old_order_carries_no_report() -> None:
    update = _update("replaced", order={"status": "replaced", "replaced_by": "v-2"})

    assert trade_update_report(update, CONFIG, 0) is None


def test_unknown_event_is_an_error() -> None:
    with pytest.raises(ValueError, match="teleported"):
        trade_update_report(_update("teleported"), CONFIG, 0)


def test_cancel_and_expiry_events_map_to_their_own_kinds() -> None:
    canceled = trade_update_report(_update("canceled"), CONFIG, 0)
    expired = trade_update_report(_update("expired"), CONFIG, 0)

    assert canceled is not None
    assert expired is not None
    assert (canceled.kind, expired.kind) == (ExecKind.CANCELED, ExecKind.EXPIRED)


def test_replacement_client_order_ids_map_back_to_our_order() -> None:
    assert our_order_id(replacement_client_order_id("C-1", 17)) == "C-1"
    assert our_order_id("C-1") == "C-1"
    assert our_order_id("C~Rabc") == "C~Rabc"
    assert our_order_id("~R5") == "~R5"


def test_times_parse_to_the_nanosecond_with_any_offset() -> None:
    base = parse_time_ns("2026-12-01T19:00:00Z")

    assert parse_time_ns("2026-12-01T19:00:00.000000001Z") == base + 1
    assert parse_time_ns("2026-12-01T14:00:00.5-05:00") == base + 500_000_000
    assert parse_time_ns(format_time(base + 123_456_789)) == base + 123_456_000
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_time_ns("yesterday")


def test_status_report_maps_symbols_back_and_skips_replaced_records() -> None:
    record = convert(_order(symbol="BRK.B", status="partially_filled", filled_qty="4"), OrderRecord)
    replaced = convert(_order(status="replaced"), OrderRecord)

    report = status_report(record, CONFIG)

    assert report is not None
    assert (report.symbol, report.status, report.filled_quantity) == (
        "BRK-B",
        OrderStatus.PARTIALLY_FILLED,
        Decimal(4),
    )
    assert status_report(replaced, CONFIG) is None
