"""The drop copy's mapping of order events to ExecutionReports, FIX 4.2 and 4.4 (no sockets)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ordergate.domain.events import (
    EVENT_TYPES,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderFillRefused,
    OrderPartiallyFilled,
    OrderPendingCancel,
    OrderPendingReplace,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    OrderSubmitted,
)
from ordergate.domain.values import Liquidity, OrderType, Side, TimeInForce
from ordergate.feed.directory import OrderTags
from ordergate.feed.dropcopy import (
    EXEC_TYPE,
    REPORTED_EVENT_TYPES,
    SKIPPED_EVENT_TYPES,
    OrderBook,
    UnappliedEvent,
    exec_id_of,
    execution_report,
    position_of,
)
from ordergate.feed.events import FeedEvent, feed_event
from ordergate.fix.codec import encode, parse
from ordergate.fix.dictionary import load_dictionary
from ordergate.fix.message import FixMessage
from ordergate.fix.venue.codes import format_utc_timestamp

VERSIONS = ["FIX.4.2", "FIX.4.4"]
T0 = 1_700_000_000_000_000_000


class Events:
    """Builds the events of one order, numbering versions and positions."""

    def __init__(self, order_id: str = "O-1", *, first_position: int = 1) -> None:
        self.order_id = order_id
        self.version = 0
        self.position = first_position - 1

    def _common(self) -> dict[str, Any]:
        self.version += 1
        ts = T0 + self.version * 1_000_000
        return {
            "event_id": f"{self.order_id}-{self.version}",
            "order_id": self.order_id,
            "version": self.version,
            "ts_event": ts,
            "ts_init": ts,
        }

    def submitted(self, **terms: Any) -> OrderSubmitted:
        fields: dict[str, Any] = {
            "client_order_id": "client-1",
            "account": "ACC1",
            "portfolio": None,
            "strategy": None,
            "venue": "SIM",
            "symbol": "AAPL",
            "side": Side.BUY,
            "order_type": OrderType.LIMIT,
            "quantity": Decimal(100),
            "price": Decimal("190.50"),
            "stop_price": None,
            "time_in_force": TimeInForce.GTC,
            "expire_time": None,
            "request_digest": "d",
        }
        fields.update(terms)
        return OrderSubmitted(**self._common(), **fields)

    def accepted(self) -> OrderAccepted:
        return OrderAccepted(**self._common(), venue="SIM", venue_order_id="V-1")

    def rejected(self) -> OrderRejected:
        return OrderRejected(**self._common(), code="RISK_LIMIT", reason="too big")

    def fill(self, quantity: str, price: str, filled: str, leaves: str, notional: str) -> Any:
        cls = OrderFilled if Decimal(leaves) == 0 else OrderPartiallyFilled
        return cls(
            **self._common(),
            execution_id=f"E{self.version}",
            venue="SIM",
            last_quantity=Decimal(quantity),
            last_price=Decimal(price),
            fee=Decimal("0.25"),
            fee_currency="USD",
            liquidity=Liquidity.MAKER,
            filled_quantity=Decimal(filled),
            leaves_quantity=Decimal(leaves),
            notional=Decimal(notional),
        )

    def refused_fill(self) -> OrderFillRefused:
        return OrderFillRefused(
            **self._common(),
            execution_id="E-late",
            venue="SIM",
            last_quantity=Decimal(5),
            last_price=Decimal(1),
            reason="beyond the order's quantity",
        )

    def pending_cancel(self) -> OrderPendingCancel:
        return OrderPendingCancel(**self._common())

    def canceled(self, reason: str | None = None) -> OrderCanceled:
        return OrderCanceled(**self._common(), reason=reason)

    def cancel_rejected(self) -> OrderCancelRejected:
        return OrderCancelRejected(**self._common(), reason="too late")

    def pending_replace(self, quantity: str, price: str) -> OrderPendingReplace:
        return OrderPendingReplace(
            **self._common(), **_terms(quantity, price), time_in_force=TimeInForce.GTC
        )

    def replaced(self, quantity: str, price: str) -> OrderReplaced:
        return OrderReplaced(
            **self._common(), **_terms(quantity, price), time_in_force=TimeInForce.GTC
        )

    def replace_rejected(self) -> OrderReplaceRejected:
        return OrderReplaceRejected(**self._common(), reason="price out of band")

    def expired(self) -> OrderExpired:
        return OrderExpired(**self._common())

    def feed(self, event: OrderEvent) -> FeedEvent:
        self.position += 1
        tags = OrderTags(account="ACC1", portfolio=None, strategy=None, symbol="AAPL", venue="SIM")
        return feed_event(self.position, event, tags)


def _terms(quantity: str, price: str) -> dict[str, Any]:
    return {
        "quantity": Decimal(quantity),
        "price": Decimal(price),
        "stop_price": None,
        "expire_time": None,
    }


def reports(begin: str, events: list[FeedEvent]) -> list[FixMessage | None]:
    """Fold ``events`` through a book and return each one's report (None: not reported)."""
    book = OrderBook()
    out: list[FixMessage | None] = []
    for item in events:
        step = book.step(item)
        message = None
        if step is not None:
            message = execution_report(begin, item.position, step.event, step.before, step.after)
        book.commit(item.position, step)
        out.append(message)
    return out


def fields(message: FixMessage | None) -> dict[int, str]:
    assert message is not None
    return {tag: value.decode() for tag, value in message.fields}


def assert_valid(begin: str, message: FixMessage | None) -> None:
    """The report passes the standard dictionary of its version, header added as sent."""
    assert message is not None
    header = [(8, begin.encode()), (35, b"8"), (49, b"OGATE"), (56, b"CLIENT"), (34, b"2")]
    header.append((52, format_utc_timestamp(T0)))
    wire = parse(encode(FixMessage(header + [f for f in message.fields if f[0] != 35])))
    assert load_dictionary(begin).validate(wire) is None


def kinds(messages: list[FixMessage | None]) -> list[tuple[str, str] | None]:
    """Return (ExecType, OrdStatus) of each report."""
    return [None if m is None else (fields(m)[150], fields(m)[39]) for m in messages]


def test_every_event_type_is_either_reported_or_skipped_for_a_stated_reason() -> None:
    assert REPORTED_EVENT_TYPES | SKIPPED_EVENT_TYPES.keys() == EVENT_TYPES.keys()
    assert not REPORTED_EVENT_TYPES & SKIPPED_EVENT_TYPES.keys()
    assert set(SKIPPED_EVENT_TYPES) == {"OrderFillRefused"}
    assert all(SKIPPED_EVENT_TYPES.values())


@pytest.mark.parametrize(
    ("begin", "partial", "full"), [("FIX.4.2", "1", "2"), ("FIX.4.4", "F", "F")]
)
def test_a_filled_order_reports_pending_new_new_and_each_trade(
    begin: str, partial: str, full: str
) -> None:
    order = Events()
    stream = [
        order.feed(order.submitted()),
        order.feed(order.accepted()),
        order.feed(order.fill("40", "190.25", "40", "60", "7610.00")),
        order.feed(order.refused_fill()),
        order.feed(order.fill("60", "190.50", "100", "0", "19040.00")),
        order.feed(order.refused_fill()),  # after the order left the book
    ]

    got = reports(begin, stream)

    assert kinds(got) == [("A", "A"), ("0", "0"), (partial, "1"), None, (full, "2"), None]
    for message in got:
        if message is not None:
            assert_valid(begin, message)


@pytest.mark.parametrize("begin", VERSIONS)
def test_cum_leaves_and_average_price_are_exact_decimals(begin: str) -> None:
    order = Events()
    stream = [
        order.feed(order.submitted(quantity=Decimal("0.3"), price=Decimal("0.1"))),
        order.feed(order.fill("0.1", "0.1", "0.1", "0.2", "0.01")),
        order.feed(order.fill("0.2", "0.25", "0.3", "0", "0.06")),
    ]

    _, first, second = (fields(m) for m in reports(begin, stream))

    assert (first[38], first[32], first[31], first[14], first[151], first[6]) == (
        "0.3", "0.1", "0.1", "0.1", "0.2", "0.1",
    )  # fmt: skip
    assert (second[32], second[31], second[14], second[151], second[6]) == (
        "0.2", "0.25", "0.3", "0", "0.2",
    )  # fmt: skip
    assert (second[12], second[13]) == ("0.25", "3")


@pytest.mark.parametrize("begin", VERSIONS)
def test_identifiers_account_symbol_side_and_transact_time(begin: str) -> None:
    order = Events(first_position=41)
    stream = [order.feed(order.submitted(side=Side.SELL)), order.feed(order.accepted())]

    submitted, accepted = (fields(m) for m in reports(begin, stream))

    assert (submitted[11], submitted[37], submitted[17]) == ("O-1", "NONE", "DC-41")
    assert (accepted[11], accepted[37], accepted[17]) == ("O-1", "V-1", "DC-42")
    assert (accepted[1], accepted[55], accepted[54], accepted[40], accepted[59]) == (
        "ACC1", "AAPL", "2", "2", "1",
    )  # fmt: skip
    assert accepted[44] == "190.50"
    assert accepted[60] == format_utc_timestamp(T0 + 2_000_000).decode()


def test_fix_4_2_reports_carry_exec_trans_type_and_no_fix_4_4_fields() -> None:
    order = Events()
    stream = [
        order.feed(order.submitted()),
        order.feed(order.fill("100", "190", "100", "0", "19000")),
    ]

    submitted, fill = (fields(m) for m in reports("FIX.4.2", stream))

    assert submitted[20] == fill[20] == "0"
    for report in (submitted, fill):
        assert not {526, 527, 479, 851, 378} & report.keys()


def test_fix_4_4_reports_name_the_client_order_and_the_venue_execution() -> None:
    order = Events()
    stream = [
        order.feed(order.submitted()),
        order.feed(order.fill("100", "190", "100", "0", "19000")),
    ]

    submitted, fill = (fields(m) for m in reports("FIX.4.4", stream))

    assert 20 not in submitted
    assert submitted[526] == fill[526] == "client-1"
    assert (fill[527], fill[479], fill[851]) == ("E2", "USD", "1")
    assert 527 not in submitted


@pytest.mark.parametrize("begin", VERSIONS)
def test_cancel_flow_with_a_refused_cancel_restated(begin: str) -> None:
    order = Events()
    stream = [
        order.feed(order.submitted()),
        order.feed(order.accepted()),
        order.feed(order.pending_cancel()),
        order.feed(order.cancel_rejected()),
        order.feed(order.pending_cancel()),
        order.feed(order.canceled("user request")),
    ]

    got = reports(begin, stream)

    assert kinds(got) == [("A", "A"), ("0", "0"), ("6", "6"), ("D", "0"), ("6", "6"), ("4", "4")]
    restated, canceled = fields(got[3]), fields(got[5])
    assert restated[58] == "cancel rejected: too late"
    assert restated.get(378) == (None if begin == "FIX.4.2" else "99")
    assert canceled[41] == "O-1"  # it answers the cancel request
    assert (canceled[151], canceled[14], canceled[58]) == ("0", "0", "user request")
    for message in got:
        assert_valid(begin, message)


@pytest.mark.parametrize("begin", VERSIONS)
def test_an_unsolicited_cancel_names_no_original_order(begin: str) -> None:
    order = Events()
    stream = [order.feed(order.submitted()), order.feed(order.canceled())]

    canceled = fields(reports(begin, stream)[1])

    assert 41 not in canceled
    assert 58 not in canceled


@pytest.mark.parametrize("begin", VERSIONS)
def test_replace_flow_reports_the_new_terms_then_the_expiry(begin: str) -> None:
    order = Events()
    stream = [
        order.feed(order.submitted()),
        order.feed(order.accepted()),
        order.feed(order.fill("30", "190", "30", "70", "5700")),
        order.feed(order.pending_replace("150", "191")),
        order.feed(order.replace_rejected()),
        order.feed(order.pending_replace("150", "191")),
        order.feed(order.replaced("150", "191")),
        order.feed(order.expired()),
    ]

    got = reports(begin, stream)

    trade = "1" if begin == "FIX.4.2" else "F"
    assert kinds(got) == [
        ("A", "A"), ("0", "0"), (trade, "1"), ("E", "E"), ("D", "1"), ("E", "E"), ("5", "1"),
        ("C", "C"),
    ]  # fmt: skip
    pending, restated, replaced, expired = (fields(got[i]) for i in (3, 4, 6, 7))
    assert (pending[38], pending[41]) == ("100", "O-1")  # the new terms apply once replaced
    assert restated[58] == "replace rejected: price out of band"
    assert (replaced[38], replaced[44], replaced[14], replaced[151]) == ("150", "191", "30", "120")
    assert (expired[14], expired[151], expired[6]) == ("30", "0", "190")
    for message in got:
        assert_valid(begin, message)


@pytest.mark.parametrize("begin", VERSIONS)
def test_a_rejected_order_reports_code_and_reason(begin: str) -> None:
    order = Events()
    stream = [order.feed(order.submitted()), order.feed(order.rejected())]

    got = reports(begin, stream)

    assert kinds(got) == [("A", "A"), ("8", "8")]
    rejected = fields(got[1])
    assert (rejected[58], rejected[151], rejected[14], rejected[6]) == (
        "RISK_LIMIT: too big", "0", "0", "0",
    )  # fmt: skip
    assert_valid(begin, got[1])


@pytest.mark.parametrize("begin", VERSIONS)
def test_stop_price_and_expire_time_of_a_good_till_date_stop_order(begin: str) -> None:
    order = Events()
    expire = T0 + 3_600_000_000_000
    stream = [
        order.feed(
            order.submitted(
                order_type=OrderType.STOP_LIMIT,
                stop_price=Decimal("189"),
                time_in_force=TimeInForce.GTD,
                expire_time=expire,
            )
        )
    ]

    (message,) = reports(begin, stream)

    report = fields(message)
    assert (report[40], report[99], report[59]) == ("4", "189", "6")
    assert report[126] == format_utc_timestamp(expire).decode()
    assert_valid(begin, message)


def test_exec_ids_name_feed_positions_and_nothing_else() -> None:
    assert exec_id_of(7) == "DC-7"
    assert position_of(exec_id_of(123456)) == 123456
    assert position_of(b"DC-9") == 9
    for other in (None, "E1", "DC-", "DC-x1", "X-12", "DC-" + "9" * 19):
        assert position_of(other) is None


def test_every_exec_type_is_a_fix_4_4_value() -> None:
    values = load_dictionary("FIX.4.4").field_values(150)
    assert values is not None
    assert {v.decode() for v in EXEC_TYPE.values()} <= set(values)


def test_an_unsupported_begin_string_is_refused() -> None:
    order = Events()
    event = order.submitted()
    book = OrderBook()
    step = book.step(order.feed(event))
    assert step is not None

    with pytest.raises(ValueError, match=r"FIX\.4\.1"):
        execution_report("FIX.4.1", 1, step.event, step.before, step.after)


def test_the_book_changes_only_on_commit_and_forgets_finished_orders() -> None:
    order = Events()
    book = OrderBook()
    submitted = order.feed(order.submitted())

    step = book.step(submitted)
    assert step is not None
    assert book.get("O-1") is None
    book.commit(submitted.position, step)
    assert book.get("O-1") is not None
    assert book.position == 1

    filled = order.feed(order.fill("100", "190", "100", "0", "19000"))
    book.commit(filled.position, book.step(filled))

    assert len(book) == 0
    assert book.position == 2
    with pytest.raises(ValueError, match="not after"):
        book.commit(2)


def test_the_book_refuses_events_it_cannot_fold() -> None:
    book = OrderBook()
    order = Events()
    order.submitted()  # never delivered: the order's history starts after it
    accepted = order.feed(order.accepted())
    unknown = FeedEvent(
        position=9, type="OrderTeleported", order_id="O-1", account="ACC1", portfolio=None,
        strategy=None, symbol="AAPL", venue="SIM", ts_event=T0, body={},
    )  # fmt: skip
    garbled = FeedEvent(
        position=10, type="OrderAccepted", order_id="O-1", account="ACC1", portfolio=None,
        strategy=None, symbol="AAPL", venue="SIM", ts_event=T0, body={"venue": 3},
    )  # fmt: skip

    for item in (accepted, unknown, garbled):
        with pytest.raises(UnappliedEvent):
            book.step(item)
