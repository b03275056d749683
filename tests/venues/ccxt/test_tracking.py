"""Each order's reports go out once, in order, whichever way the news arrives (pure)."""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderStatus
from ordergate.venues.ccxt.tracking import OrderTracker


def test_accepted_is_reported_once() -> None:
    tracker = OrderTracker()

    assert tracker.on_status("C-1", OrderStatus.NEW) == [ExecKind.ACCEPTED]
    assert tracker.on_status("C-1", OrderStatus.NEW) == []
    assert tracker.on_status("C-1", OrderStatus.PARTIALLY_FILLED) == []


def test_cancel_seen_first_is_preceded_by_accepted_and_reported_once() -> None:
    tracker = OrderTracker()

    assert tracker.on_status("C-1", OrderStatus.CANCELED) == [ExecKind.ACCEPTED, ExecKind.CANCELED]
    assert tracker.on_status("C-1", OrderStatus.CANCELED) == []


def test_expired_and_canceled_stay_distinct() -> None:
    tracker = OrderTracker()
    tracker.on_status("C-1", OrderStatus.NEW)

    assert tracker.on_status("C-1", OrderStatus.EXPIRED) == [ExecKind.EXPIRED]


def test_filled_needs_no_report_of_its_own() -> None:
    tracker = OrderTracker()
    tracker.on_status("C-1", OrderStatus.NEW)

    assert tracker.on_status("C-1", OrderStatus.FILLED) == []
    assert tracker.unfinished() == []


def test_rejected_only_before_acceptance() -> None:
    tracker = OrderTracker()
    tracker.on_status("C-1", OrderStatus.NEW)

    assert tracker.on_status("C-1", OrderStatus.REJECTED) == []
    assert not tracker.reject("C-1")
    assert tracker.reject("C-2")
    assert not tracker.reject("C-2")


def test_each_execution_is_reported_once_and_counted() -> None:
    tracker = OrderTracker()

    assert tracker.on_trade("C-1", "E1", Decimal("0.4"))
    assert not tracker.on_trade("C-1", "E1", Decimal("0.4"))
    assert tracker.on_trade("C-1", "E2", Decimal("0.1"))
    assert not tracker.missing_fills("C-1", Decimal("0.5"))
    assert tracker.missing_fills("C-1", Decimal("0.6"))
    assert tracker.missing_fills("C-unknown", Decimal("0.1"))


def test_venue_order_ids_map_back_to_ours() -> None:
    tracker = OrderTracker()
    tracker.track("C-1", "BTC/USDT")
    tracker.link("C-1", "17")

    assert tracker.order_id_of("17") == "C-1"
    assert tracker.order_id_of("18") is None
    assert tracker.order_id_of(None) is None
    assert tracker.symbols() == {"BTC/USDT"}


def test_order_the_adapter_never_sent_gets_no_made_up_acceptance() -> None:
    tracker = OrderTracker()
    tracker.foreign("ghost")

    assert tracker.on_trade("ghost", "E1", Decimal(1))
    assert tracker.on_status("ghost", OrderStatus.NEW) == []
