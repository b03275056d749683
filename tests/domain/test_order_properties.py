"""Properties of the order fold under random streams of venue reports and requests."""

from __future__ import annotations

from decimal import Decimal

from builders import OrderBook, a_fill, a_report, d
from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.domain.errors import OrderError
from ordergate.domain.events import OrderFilled, OrderPartiallyFilled
from ordergate.domain.order import replay
from ordergate.domain.order_status import InvalidStateTransition
from ordergate.domain.reports import ExecKind, ExecutionReport

_FILL = st.tuples(st.just("fill"), st.integers(min_value=1, max_value=120))
_MODIFY = st.tuples(
    st.just("request_modify"),
    st.integers(min_value=1, max_value=40) | st.integers(min_value=-5, max_value=300),
)
_REPLACED = st.just(("replaced",))
# Strategies are repeated to weight them: the finishing reports (canceled, expired) are rare
# so that most streams live long enough to interleave fills with pending requests.
_STEP = st.one_of(
    st.just(("accept",)),
    _FILL,
    _FILL,
    _FILL,
    st.tuples(st.just("duplicate"), st.integers(min_value=0, max_value=50)),
    st.just(("request_cancel",)),
    st.just(("cancel_rejected",)),
    st.just(("cancel_rejected",)),
    _MODIFY,
    _MODIFY,
    _REPLACED,
    _REPLACED,
    st.just(("replace_rejected",)),
    st.sampled_from([("canceled",), ("expired",), ("fill_rest",), ("accept",)]),
)


def _report_for(
    book: OrderBook, step: tuple[object, ...], sent: list[ExecutionReport]
) -> ExecutionReport | None:
    match step:
        case ("accept",):
            return a_report(ExecKind.ACCEPTED, venue_order_id="V-1")
        case ("fill", int(quantity)):
            return a_fill(f"E{len(sent)}", str(quantity), "10.01")
        case ("fill_rest",):
            rest = book.order.quantity - book.order.filled_quantity
            return a_fill(f"E{len(sent)}", str(rest), "10.01") if rest > 0 else None
        case ("duplicate", int(index)):
            trades = [r for r in sent if r.kind is ExecKind.TRADE]
            return trades[index % len(trades)] if trades else None
        case ("canceled",):
            return a_report(ExecKind.CANCELED)
        case ("cancel_rejected",):
            return a_report(ExecKind.CANCEL_REJECTED, reason="no")
        case ("replaced",):
            return a_report(ExecKind.REPLACED)
        case ("replace_rejected",):
            return a_report(ExecKind.REPLACE_REJECTED, reason="no")
        case ("expired",):
            return a_report(ExecKind.EXPIRED)
    return None


@settings(max_examples=300, database=None)
@given(st.lists(_STEP, min_size=15, max_size=60))
def test_random_report_streams_keep_the_order_invariants(steps: list[tuple[object, ...]]) -> None:
    # Arrange
    book = OrderBook()
    sent: list[ExecutionReport] = []
    counted: dict[str, Decimal] = {}

    for step in steps:
        # Act
        try:
            match step:
                case ("request_cancel",):
                    book.request_cancel()
                    continue
                case ("request_modify", int(above_filled)):
                    # Mostly legal new quantities, around and below the current one.
                    book.request_modify(quantity=book.order.filled_quantity + above_filled)
                    continue
        except OrderError:
            continue
        report = _report_for(book, step, sent)
        if report is None:
            continue
        sent.append(report)
        try:
            events = book.report(report)
        except InvalidStateTransition:
            continue
        for event in events:
            if isinstance(event, OrderPartiallyFilled | OrderFilled):
                assert event.execution_id not in counted
                counted[event.execution_id] = event.last_quantity

        # Assert
        order = book.order
        assert d("0") <= order.filled_quantity <= order.quantity
        assert order.filled_quantity == sum(counted.values(), d("0"))
        assert order.notional == order.filled_quantity * d("10.01")
        assert order.leaves_quantity >= d("0")
        assert order.version == len(book.events)
        assert order.execution_ids == frozenset(counted)

    # Assert
    assert replay(book.events) == book.order
