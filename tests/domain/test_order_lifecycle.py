"""The order as a fold over its events: decide_* produce events, evolve applies them."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from builders import (
    NOW,
    ORDER_ID,
    OrderBook,
    a_fill,
    a_report,
    an_accepted_order,
    d,
)

from ordergate.domain.decisions import decide_report
from ordergate.domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderFillRefused,
    OrderPartiallyFilled,
    OrderPendingCancel,
    OrderReplaced,
    OrderReplaceRejected,
)
from ordergate.domain.order import average_price, evolve, replay
from ordergate.domain.order_status import InvalidStateTransition
from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderStatus, TimeInForce


def _average(notional: str, quantity: str) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 28
        return (Decimal(notional) / Decimal(quantity)).normalize()


def test_submit_creates_pending_new_order_with_the_command_terms() -> None:
    # Act
    book = OrderBook()

    # Assert
    order = book.order
    assert order.id == ORDER_ID
    assert order.status is OrderStatus.PENDING_NEW
    assert order.quantity == d("300")
    assert order.price == d("10.00")
    assert order.filled_quantity == d("0")
    assert order.leaves_quantity == d("300")
    assert order.average_fill_price is None
    assert order.version == 1
    assert order.created_at == NOW


def test_accept_moves_to_new_and_records_venue_order_id() -> None:
    # Arrange
    book = OrderBook()

    # Act
    events = book.accept(venue_order_id="V-42")

    # Assert
    assert [type(e) for e in events] == [OrderAccepted]
    assert book.order.status is OrderStatus.NEW
    assert book.order.venue_order_id == "V-42"
    assert book.order.version == 2


def test_partial_fill_then_fill_has_exact_cumulative_figures_and_average() -> None:
    # Arrange
    book = an_accepted_order()

    # Act
    first = book.fill("E1", "100", "10.01", fee="0.50")
    after_first = book.order
    second = book.fill("E2", "200", "10.02", fee="1.00")

    # Assert
    assert [type(e) for e in first] == [OrderPartiallyFilled]
    assert after_first.status is OrderStatus.PARTIALLY_FILLED
    assert after_first.filled_quantity == d("100")
    assert after_first.leaves_quantity == d("200")
    assert after_first.notional == d("1001.00")
    assert after_first.average_fill_price == d("10.01")

    (filled,) = second
    assert isinstance(filled, OrderFilled)
    assert filled.filled_quantity == d("300")
    assert filled.leaves_quantity == d("0")
    assert filled.notional == d("3005.00")

    order = book.order
    assert order.status is OrderStatus.FILLED
    assert order.filled_quantity == d("300")
    assert order.leaves_quantity == d("0")
    assert order.notional == d("3005.00")
    assert order.fees == d("1.50")
    assert order.fee_currency == "USD"
    assert order.average_fill_price == _average("3005.00", "300")
    assert order.average_fill_price == d("10.01666666666666666666666667")
    assert order.execution_ids == frozenset({"E1", "E2"})
    assert order.version == 4


def test_average_price_is_none_when_nothing_traded() -> None:
    # Act / Assert
    assert average_price(d("0"), d("0")) is None


def test_fill_without_ack_moves_pending_new_to_partially_filled() -> None:
    # Arrange
    book = OrderBook()

    # Act
    book.fill("E1", "100", "10.00")

    # Assert
    assert book.order.status is OrderStatus.PARTIALLY_FILLED
    assert book.order.filled_quantity == d("100")


def test_cancel_reject_restores_partially_filled_after_fill_while_pending() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_cancel()
    assert book.order.status is OrderStatus.PENDING_CANCEL

    # Act
    book.fill("E1", "100", "10.00")
    during = book.order
    book.report(a_report(ExecKind.CANCEL_REJECTED, reason="too late"))

    # Assert
    assert during.status is OrderStatus.PENDING_CANCEL
    assert during.filled_quantity == d("100")
    assert book.order.status is OrderStatus.PARTIALLY_FILLED
    assert book.order.filled_quantity == d("100")
    assert book.order.leaves_quantity == d("200")
    assert book.order.last_reason == "too late"


def test_cancel_reject_from_new_restores_new() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_cancel()

    # Act
    events = book.report(a_report(ExecKind.CANCEL_REJECTED, reason="unknown order"))

    # Assert
    assert [type(e) for e in events] == [OrderCancelRejected]
    assert book.order.status is OrderStatus.NEW


def test_cancel_reject_from_partially_filled_restores_partially_filled() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")
    book.request_cancel()

    # Act
    book.report(a_report(ExecKind.CANCEL_REJECTED))

    # Assert
    assert book.order.status is OrderStatus.PARTIALLY_FILLED


def test_cancel_before_ack_then_ack_then_cancel_reject_restores_new() -> None:
    # Arrange
    book = OrderBook()
    book.request_cancel()

    # Act
    book.accept()
    acked = book.order
    book.report(a_report(ExecKind.CANCEL_REJECTED))

    # Assert
    assert acked.status is OrderStatus.PENDING_CANCEL
    assert acked.venue_order_id == "V-1"
    assert book.order.status is OrderStatus.NEW


def test_cancel_before_ack_then_cancel_reject_restores_pending_new() -> None:
    # Arrange
    book = OrderBook()
    book.request_cancel()

    # Act
    book.report(a_report(ExecKind.CANCEL_REJECTED))

    # Assert
    assert book.order.status is OrderStatus.PENDING_NEW


def test_cancel_confirmed_leaves_nothing_working() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")
    book.request_cancel()

    # Act
    events = book.report(a_report(ExecKind.CANCELED, reason="user"))

    # Assert
    assert [type(e) for e in events] == [OrderCanceled]
    assert book.order.status is OrderStatus.CANCELED
    assert book.order.filled_quantity == d("100")
    assert book.order.leaves_quantity == d("0")
    assert book.order.last_reason == "user"


def test_replace_takes_effect_keeping_the_id_with_new_terms() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_modify(quantity=d("500"), price=d("10.05"))
    assert book.order.status is OrderStatus.PENDING_REPLACE

    # Act
    events = book.report(a_report(ExecKind.REPLACED))

    # Assert
    assert [type(e) for e in events] == [OrderReplaced]
    order = book.order
    assert order.id == ORDER_ID
    assert order.status is OrderStatus.NEW
    assert order.quantity == d("500")
    assert order.price == d("10.05")
    assert order.leaves_quantity == d("500")
    assert order.pending is None


def test_replace_after_partial_fill_restores_partially_filled_with_new_terms() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")
    book.request_modify(quantity=d("400"), price=d("9.99"))

    # Act
    book.report(a_report(ExecKind.REPLACED))

    # Assert
    order = book.order
    assert order.id == ORDER_ID
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.quantity == d("400")
    assert order.price == d("9.99")
    assert order.filled_quantity == d("100")
    assert order.leaves_quantity == d("300")


def test_replace_after_fill_while_pending_restores_partially_filled() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_modify(quantity=d("400"))
    book.fill("E1", "50", "10.00")

    # Act
    book.report(a_report(ExecKind.REPLACED))

    # Assert
    assert book.order.status is OrderStatus.PARTIALLY_FILLED
    assert book.order.quantity == d("400")
    assert book.order.leaves_quantity == d("350")


def test_replace_report_terms_from_the_venue_win_over_requested_ones() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_modify(quantity=d("500"), price=d("10.05"))

    # Act
    book.report(a_report(ExecKind.REPLACED, quantity=d("450"), price=d("10.04")))

    # Assert
    assert book.order.quantity == d("450")
    assert book.order.price == d("10.04")


def test_replace_below_quantity_filled_while_pending_keeps_filled_within_quantity() -> None:
    # Arrange: 100 filled, ask to reduce to 200, then 150 more fill on the old terms.
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")
    book.request_modify(quantity=d("200"))
    book.fill("E2", "150", "10.00")

    # Act
    book.report(a_report(ExecKind.REPLACED))

    # Assert: the order can never have traded more than its quantity, nor negative leaves.
    assert book.order.filled_quantity <= book.order.quantity
    assert book.order.quantity == d("250")
    assert book.order.status is OrderStatus.FILLED
    assert book.order.leaves_quantity >= d("0")


def test_replace_rejected_restores_old_terms_and_status() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")
    book.request_modify(quantity=d("500"), price=d("10.05"))

    # Act
    events = book.report(a_report(ExecKind.REPLACE_REJECTED, reason="no"))

    # Assert
    assert [type(e) for e in events] == [OrderReplaceRejected]
    order = book.order
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.quantity == d("300")
    assert order.price == d("10.00")
    assert order.pending is None
    assert order.last_reason == "no"


def test_duplicate_execution_id_yields_no_events() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.00")
    before = book.order

    # Act
    events = decide_report(before, a_fill("E1", "100", "10.00"), NOW)

    # Assert
    assert events == []
    assert book.order == before


def test_overfill_is_refused_and_leaves_filled_quantity_unchanged() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "250", "10.00")

    # Act
    events = book.fill("E2", "51", "10.00")

    # Assert
    (refused,) = events
    assert isinstance(refused, OrderFillRefused)
    assert refused.execution_id == "E2"
    assert refused.last_quantity == d("51")
    assert "301" in refused.reason
    order = book.order
    assert order.filled_quantity == d("250")
    assert order.notional == d("2500.00")
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert "E2" not in order.execution_ids
    assert order.last_reason == refused.reason
    assert order.version == 4


def test_fill_on_canceled_order_is_refused() -> None:
    # Arrange
    book = an_accepted_order()
    book.request_cancel()
    book.report(a_report(ExecKind.CANCELED))

    # Act
    events = book.fill("E1", "10", "10.00")

    # Assert
    assert [type(e) for e in events] == [OrderFillRefused]
    assert book.order.status is OrderStatus.CANCELED
    assert book.order.filled_quantity == d("0")


def test_repeated_accepted_yields_nothing() -> None:
    # Arrange
    book = an_accepted_order()
    before = book.order

    # Act
    events = decide_report(before, a_report(ExecKind.ACCEPTED, venue_order_id="V-1"), NOW)

    # Assert
    assert events == []


def test_repeated_accepted_without_venue_order_id_yields_nothing() -> None:
    # Arrange
    book = OrderBook()
    book.accept(venue_order_id=None)

    # Act
    events = decide_report(book.order, a_report(ExecKind.ACCEPTED), NOW)

    # Assert
    assert events == []


def test_venue_reject_of_pending_new_order_is_terminal() -> None:
    # Arrange
    book = OrderBook()

    # Act
    book.report(a_report(ExecKind.REJECTED, reason="halted"))

    # Assert
    assert book.order.status is OrderStatus.REJECTED
    assert book.order.last_reason == "halted"
    assert book.order.leaves_quantity == d("0")


def test_expiry_of_working_order() -> None:
    # Arrange
    book = an_accepted_order(time_in_force=TimeInForce.GTC)
    book.fill("E1", "100", "10.00")

    # Act
    events = book.report(a_report(ExecKind.EXPIRED))

    # Assert
    assert [type(e) for e in events] == [OrderExpired]
    assert book.order.status is OrderStatus.EXPIRED
    assert book.order.filled_quantity == d("100")
    assert book.order.leaves_quantity == d("0")


def test_evolve_refuses_an_event_with_the_wrong_version() -> None:
    # Arrange
    book = OrderBook()
    (event,) = decide_report(book.order, a_report(ExecKind.ACCEPTED), NOW)
    skipped = OrderAccepted(
        event_id="x", order_id=ORDER_ID, version=3, ts_event=NOW, ts_init=NOW,
        venue="SIM", venue_order_id=None,
    )  # fmt: skip

    # Act / Assert
    with pytest.raises(ValueError, match="version 3, expected 2"):
        evolve(book.order, skipped)
    evolve(book.order, event)  # the right version applies
    with pytest.raises(ValueError, match="version 2, expected 3"):
        evolve(evolve(book.order, event), event)  # and cannot be applied twice


def test_evolve_refuses_an_event_of_another_order() -> None:
    # Arrange
    book = OrderBook()
    foreign = OrderAccepted(
        event_id="x", order_id="O-2", version=2, ts_event=NOW, ts_init=NOW,
        venue="SIM", venue_order_id=None,
    )  # fmt: skip

    # Act / Assert
    with pytest.raises(ValueError, match="O-2"):
        evolve(book.order, foreign)


def test_evolve_refuses_a_first_event_that_is_not_order_submitted() -> None:
    # Arrange
    first = OrderAccepted(
        event_id="x", order_id=ORDER_ID, version=1, ts_event=NOW, ts_init=NOW,
        venue="SIM", venue_order_id=None,
    )  # fmt: skip

    # Act / Assert
    with pytest.raises(ValueError, match="must start with OrderSubmitted"):
        evolve(None, first)


def test_illegal_report_raises_and_leaves_the_order_unchanged() -> None:
    # Arrange
    book = an_accepted_order()
    before = book.order

    # Act
    with pytest.raises(InvalidStateTransition) as raised:
        book.report(a_report(ExecKind.REPLACED, quantity=d("10")))

    # Assert
    assert raised.value.current is OrderStatus.NEW
    assert book.order is before
    assert book.order.status is OrderStatus.NEW
    assert book.order.quantity == d("300")
    assert book.order.version == 2


def test_evolve_raises_on_illegal_event_without_changing_the_order() -> None:
    # Arrange: a cancel confirmation, then a stray pending-cancel event for the canceled order.
    book = an_accepted_order()
    book.request_cancel()
    book.report(a_report(ExecKind.CANCELED))
    before = book.order
    stray = OrderPendingCancel(
        event_id="x", order_id=ORDER_ID, version=before.version + 1, ts_event=NOW, ts_init=NOW
    )

    # Act / Assert
    with pytest.raises(InvalidStateTransition, match="CANCELED -> REQUEST_CANCEL"):
        evolve(before, stray)
    assert before.status is OrderStatus.CANCELED


def test_replay_of_the_event_list_equals_the_state_folded_step_by_step() -> None:
    # Arrange
    book = an_accepted_order()
    book.fill("E1", "100", "10.01")
    book.request_modify(quantity=d("400"))
    book.fill("E2", "50", "10.02")
    book.report(a_report(ExecKind.REPLACED))
    book.request_cancel()
    book.report(a_report(ExecKind.CANCEL_REJECTED))
    book.fill("E3", "250", "10.03")

    # Act
    replayed = replay(book.events)

    # Assert
    assert replayed == book.order
    assert replayed.status is OrderStatus.FILLED
    assert replayed.version == len(book.events)
    assert replayed.notional == d("4009.50")


def test_replay_refuses_an_empty_list() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="no events"):
        replay([])


@pytest.mark.parametrize("missing", ["execution_id", "last_quantity", "last_price"])
def test_trade_report_missing_a_field_raises_value_error(missing: str) -> None:
    # Arrange
    book = an_accepted_order()
    fields = {"execution_id": "E1", "last_quantity": d("10"), "last_price": d("10.00")}
    fields[missing] = None

    # Act / Assert
    with pytest.raises(ValueError, match="TRADE report needs"):
        decide_report(book.order, a_report(ExecKind.TRADE, **fields), NOW)


@pytest.mark.parametrize(("quantity", "price"), [("0", "10.00"), ("-1", "10.00"), ("1", "0")])
def test_trade_report_with_non_positive_quantity_or_price_raises(quantity: str, price: str) -> None:
    # Arrange
    book = an_accepted_order()

    # Act / Assert
    with pytest.raises(ValueError, match="must be positive"):
        decide_report(book.order, a_fill("E1", quantity, price), NOW)
