"""Reports from a FIX venue: ExecutionReport(8) 4.2 vs 4.4, OrderCancelReject(9), rejects (j, 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.domain.values import Liquidity, OrderStatus, TimeInForce
from ordergate.fix.venue.book import ClOrdIdBook
from ordergate.fix.venue.inbound import (
    Ignored,
    Refused,
    ReportReader,
    RequestFailed,
    StatusReply,
)
from tests.fix.venue.helpers import fix, order


def reader(begin_string: str = "FIX.4.4", **symbols: str) -> ReportReader:
    book = ClOrdIdBook()
    working = book.open(order())
    book.next_cl_ord_id(working)  # O-1.1 issued (a cancel or replace in flight)
    book.note_sent(7, "D", "O-1", "O-1")
    book.note_sent(8, "F", "O-1", "O-1.1")
    book.note_sent(9, "H", "O-1", "O-1")
    book.note_sent(10, "q", "", "MC1")
    return ReportReader("FIXSIM", begin_string, book, symbols)


def er(begin_string: str, exec_type: str, *extra: tuple[int, str]) -> list[tuple[int, str]]:
    fields = [(37, "EX-1"), (11, "O-1"), (17, "X1")]
    if begin_string == "FIX.4.2":
        fields.append((20, "0"))
    fields += [(150, exec_type), (39, "0"), (55, "AAPL"), (54, "1")]
    fields += [(151, "100"), (14, "0"), (6, "0"), (60, "20231114-22:13:20.123")]
    return fields + list(extra)


def read(begin_string: str, fields: list[tuple[int, str]], msg_type: str = "8") -> object:
    return reader(begin_string).read(fix(msg_type, *fields))


@pytest.mark.parametrize("begin_string", ["FIX.4.2", "FIX.4.4"])
def test_new_is_accepted_with_venue_order_id_and_time(begin_string: str) -> None:
    report = read(begin_string, er(begin_string, "0", (38, "100"), (44, "190.25")))

    assert isinstance(report, ExecutionReport)
    assert report.kind is ExecKind.ACCEPTED
    assert (report.order_id, report.venue_order_id) == ("O-1", "EX-1")
    assert (report.quantity, report.price) == (Decimal(100), Decimal("190.25"))
    assert report.ts_event == 1_700_000_000_123_000_000


@pytest.mark.parametrize(
    ("begin_string", "exec_type"),
    [("FIX.4.2", "1"), ("FIX.4.2", "2"), ("FIX.4.4", "F")],
)
def test_fills_by_version(begin_string: str, exec_type: str) -> None:
    fill = [(32, "40"), (31, "190.10"), (12, "0.76"), (13, "3")]
    fill += [(15, "USD")] if begin_string == "FIX.4.2" else [(479, "USD"), (851, "2")]

    report = read(begin_string, er(begin_string, exec_type, *fill))

    assert isinstance(report, ExecutionReport)
    assert report.kind is ExecKind.TRADE
    assert report.execution_id == "X1"
    assert (report.last_quantity, report.last_price) == (Decimal(40), Decimal("190.10"))
    assert (report.fee, report.fee_currency) == (Decimal("0.76"), "USD")
    expected = None if begin_string == "FIX.4.2" else Liquidity.TAKER
    assert report.liquidity is expected


@pytest.mark.parametrize(
    ("comm_type", "fee"),
    [("1", Decimal("0.40")), ("2", Decimal("7.60400")), ("3", Decimal("0.01"))],
)
def test_commission_types(comm_type: str, fee: Decimal) -> None:
    commission = "0.01" if comm_type != "2" else "0.1"
    fields = er("FIX.4.4", "F", (32, "40"), (31, "190.10"), (12, commission), (13, comm_type))

    report = read("FIX.4.4", fields)

    assert isinstance(report, ExecutionReport)
    assert report.fee == fee


def test_unknown_comm_type_is_refused() -> None:
    fields = er("FIX.4.4", "F", (32, "40"), (31, "190.10"), (12, "1"), (13, "9"))
    assert isinstance(read("FIX.4.4", fields), Refused)


@pytest.mark.parametrize(
    "extra",
    [
        [(31, "190.10")],  # no LastQty
        [(32, "0"), (31, "190.10")],
        [(32, "5"), (31, "-1")],
        [(32, "abc"), (31, "190.10")],
        [(32, "NaN"), (31, "190.10")],
    ],
)
def test_fill_without_a_positive_quantity_and_price_is_refused(
    extra: list[tuple[int, str]],
) -> None:
    result = read("FIX.4.4", er("FIX.4.4", "F", *extra))
    assert isinstance(result, Refused)


def test_fill_without_exec_id_is_refused() -> None:
    fields = [f for f in er("FIX.4.4", "F", (32, "5"), (31, "1")) if f[0] != 17]
    result = read("FIX.4.4", fields)
    assert isinstance(result, Refused)
    assert "ExecID" in result.reason


def test_fill_exec_types_of_the_other_version_are_refused() -> None:
    fill = [(32, "40"), (31, "190.10")]
    assert isinstance(read("FIX.4.4", er("FIX.4.4", "1", *fill)), Refused)
    assert isinstance(read("FIX.4.2", er("FIX.4.2", "F", *fill)), Refused)


@pytest.mark.parametrize("begin_string", ["FIX.4.2", "FIX.4.4"])
@pytest.mark.parametrize(
    ("exec_type", "kind"),
    [("4", ExecKind.CANCELED), ("C", ExecKind.EXPIRED), ("3", ExecKind.EXPIRED)],
)
def test_finishing_exec_types(begin_string: str, exec_type: str, kind: ExecKind) -> None:
    report = read(begin_string, er(begin_string, exec_type, (41, "O-1"), (58, "bye")))

    assert isinstance(report, ExecutionReport)
    assert report.kind is kind
    assert report.order_id == "O-1"
    assert report.reason == ("done for day" if exec_type == "3" else "bye")


@pytest.mark.parametrize("begin_string", ["FIX.4.2", "FIX.4.4"])
def test_rejected_carries_ord_rej_reason_and_text(begin_string: str) -> None:
    report = read(begin_string, er(begin_string, "8", (103, "1"), (58, "no such symbol ZZZ")))

    assert isinstance(report, ExecutionReport)
    assert report.kind is ExecKind.REJECTED
    assert report.reason == "unknown symbol: no such symbol ZZZ"


def test_reject_reason_unknown_code_and_no_text() -> None:
    report = read("FIX.4.4", er("FIX.4.4", "8", (103, "42")))
    assert isinstance(report, ExecutionReport)
    assert report.reason == "reason 42"
    bare = read("FIX.4.4", er("FIX.4.4", "8"))
    assert isinstance(bare, ExecutionReport)
    assert bare.reason == "no reason given"


@pytest.mark.parametrize("begin_string", ["FIX.4.2", "FIX.4.4"])
def test_replaced_maps_the_new_cl_ord_id_back_and_carries_terms(begin_string: str) -> None:
    fields = er(begin_string, "5", (41, "O-1"), (38, "80"), (44, "189.5"), (59, "1"))
    fields = [(11, "O-1.1") if tag == 11 else (tag, v) for tag, v in fields]

    report = read(begin_string, fields)

    assert isinstance(report, ExecutionReport)
    assert report.kind is ExecKind.REPLACED
    assert report.order_id == "O-1"
    assert (report.quantity, report.price, report.time_in_force) == (
        Decimal(80),
        Decimal("189.5"),
        TimeInForce.GTC,
    )


def test_replaced_without_order_qty_uses_cum_plus_leaves() -> None:
    fields = [(t, v) for t, v in er("FIX.4.2", "5") if t not in (151, 14)]
    fields += [(151, "30"), (14, "20")]
    report = read("FIX.4.2", fields)
    assert isinstance(report, ExecutionReport)
    assert report.quantity == Decimal(50)


@pytest.mark.parametrize("exec_type", ["6", "7", "9", "A", "B", "D", "E"])
def test_pending_and_informational_exec_types_are_ignored(exec_type: str) -> None:
    assert isinstance(read("FIX.4.4", er("FIX.4.4", exec_type)), Ignored)


def test_every_exec_type_of_each_version_is_handled() -> None:
    values42 = "0123456789ABCDE"
    values44 = "03456789ABCDEFGHI"
    for begin_string, values in (("FIX.4.2", values42), ("FIX.4.4", values44)):
        for value in values:
            result = read(begin_string, er(begin_string, value, (32, "1"), (31, "1")))
            assert not (isinstance(result, Refused) and "is not a" in result.reason), value


def test_fix42_trade_bust_and_correction_are_refused_clearly() -> None:
    for trans, word in (("1", "bust"), ("2", "correct")):
        fields = [(20, trans) if t == 20 else (t, v) for t, v in er("FIX.4.2", "2")]
        result = read("FIX.4.2", fields)
        assert isinstance(result, Refused)
        assert word in result.reason
        assert "by hand" in result.reason


@pytest.mark.parametrize("exec_type", ["G", "H"])
def test_fix44_trade_correct_and_cancel_are_refused_clearly(exec_type: str) -> None:
    result = read("FIX.4.4", er("FIX.4.4", exec_type))
    assert isinstance(result, Refused)
    assert "not supported" in result.reason


def test_missing_exec_type_and_cl_ord_id_are_refused() -> None:
    no_exec_type = [(t, v) for t, v in er("FIX.4.4", "0") if t != 150]
    assert isinstance(read("FIX.4.4", no_exec_type), Refused)
    no_ids = [(t, v) for t, v in er("FIX.4.4", "0") if t != 11]
    result = read("FIX.4.4", no_ids)
    assert isinstance(result, Refused)
    assert "ClOrdID" in result.reason


def test_bad_transact_time_is_refused() -> None:
    fields = [(60, "yesterday") if t == 60 else (t, v) for t, v in er("FIX.4.4", "0")]
    assert isinstance(read("FIX.4.4", fields), Refused)


# -- status replies ---------------------------------------------------------------------


def test_fix44_status_reply() -> None:
    fields = er("FIX.4.4", "I", (790, "S3"), (38, "100"), (44, "190.25"))
    fields = [(39, "1") if t == 39 else (14, "40") if t == 14 else (t, v) for t, v in fields]

    reply = reader("FIX.4.4", AAPL="AAPL").read(fix("8", *fields))

    assert isinstance(reply, StatusReply)
    assert reply.known
    assert reply.request_id == "S3"
    assert reply.report.status is OrderStatus.PARTIALLY_FILLED
    assert (reply.report.quantity, reply.report.filled_quantity) == (Decimal(100), Decimal(40))


def test_fix42_status_reply_is_exec_trans_type_3() -> None:
    fields = [(20, "3") if t == 20 else (t, v) for t, v in er("FIX.4.2", "0")]

    reply = read("FIX.4.2", fields)

    assert isinstance(reply, StatusReply)
    assert reply.report.status is OrderStatus.NEW
    assert reply.report.quantity == Decimal(100)  # CumQty + LeavesQty
    assert reply.request_id is None


def test_status_reply_for_an_unknown_order() -> None:
    fields = er("FIX.4.4", "I", (103, "5"))
    fields = [(39, "8") if t == 39 else (t, v) for t, v in fields]
    reply = read("FIX.4.4", fields)
    assert isinstance(reply, StatusReply)
    assert not reply.known


def test_status_reply_maps_the_counterparty_symbol_back() -> None:
    fields = [(55, "AAPL.O") if t == 55 else (t, v) for t, v in er("FIX.4.4", "I")]
    reply = reader("FIX.4.4", AAPL="AAPL.O").read(fix("8", *fields))
    assert isinstance(reply, StatusReply)
    assert reply.report.symbol == "AAPL"


# -- OrderCancelReject(9) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_to", "kind"), [("1", ExecKind.CANCEL_REJECTED), ("2", ExecKind.REPLACE_REJECTED)]
)
def test_cancel_reject(response_to: str, kind: ExecKind) -> None:
    fields = [(37, "EX-1"), (11, "O-1.1"), (41, "O-1"), (39, "0"), (434, response_to)]
    fields += [(102, "0"), (58, "order is already FILLED")]

    report = read("FIX.4.4", fields, "9")

    assert isinstance(report, ExecutionReport)
    assert report.kind is kind
    assert report.order_id == "O-1"
    assert report.reason == "too late to cancel: order is already FILLED"


def test_cancel_reject_of_an_unknown_order() -> None:
    fields = [(37, "NONE"), (11, "O-1.1"), (41, "O-1"), (39, "8"), (434, "1"), (102, "1")]
    report = read("FIX.4.2", fields, "9")
    assert isinstance(report, ExecutionReport)
    assert report.venue_order_id is None
    assert report.reason == "unknown order"


def test_cancel_reject_without_response_to_is_refused() -> None:
    result = read("FIX.4.4", [(37, "EX-1"), (11, "O-1.1"), (41, "O-1"), (39, "0")], "9")
    assert isinstance(result, Refused)
    assert "434" in result.reason


# -- BusinessMessageReject(j) and Reject(3) ------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "kind"),
    [("D", ExecKind.REJECTED), ("F", ExecKind.CANCEL_REJECTED), ("G", ExecKind.REPLACE_REJECTED)],
)
def test_business_reject_by_business_reject_ref_id(ref: str, kind: ExecKind) -> None:
    fields = [(372, ref), (379, "O-1.1"), (380, "3"), (58, "not here")]
    report = read("FIX.4.4", fields, "j")
    assert isinstance(report, ExecutionReport)
    assert (report.kind, report.order_id) == (kind, "O-1")
    assert report.reason == "business reject 3: not here"


def test_business_reject_by_ref_seq_num() -> None:
    report = read("FIX.4.2", [(45, "8"), (372, "F"), (380, "0")], "j")
    assert isinstance(report, ExecutionReport)
    assert (report.kind, report.order_id) == (ExecKind.CANCEL_REJECTED, "O-1")


def test_session_reject_of_our_order_by_ref_seq_num() -> None:
    report = read("FIX.4.4", [(45, "7"), (373, "5"), (58, "bad value")], "3")
    assert isinstance(report, ExecutionReport)
    assert (report.kind, report.order_id) == (ExecKind.REJECTED, "O-1")
    assert report.reason == "session reject 5: bad value"


def test_business_reject_of_status_and_mass_cancel_requests() -> None:
    status = read("FIX.4.4", [(45, "9"), (372, "H"), (380, "3")], "j")
    mass = read("FIX.4.4", [(45, "10"), (372, "q"), (380, "3")], "j")
    assert status == RequestFailed(
        msg_type="H", order_id="O-1", reason="business reject 3: no reason given"
    )
    assert isinstance(mass, RequestFailed)
    assert mass.msg_type == "q"


def test_business_reject_of_something_we_never_sent_is_refused() -> None:
    assert isinstance(read("FIX.4.4", [(45, "999"), (372, "D"), (380, "0")], "j"), Refused)
    assert isinstance(read("FIX.4.4", [(45, "7"), (372, "B"), (380, "3")], "j"), Ignored)


def test_other_messages_are_ignored() -> None:
    assert isinstance(read("FIX.4.4", [(11, "MC1"), (530, "7")], "r"), Ignored)
    assert isinstance(read("FIX.4.4", [(148, "news")], "B"), Ignored)


# -- the ClOrdID book ------------------------------------------------------------------


def test_cl_ord_id_chain_maps_back_without_the_book() -> None:
    book = ClOrdIdBook()
    assert book.order_id_of("O-7.12") == "O-7"
    assert book.order_id_of("O-7") == "O-7"
    assert book.order_id_of("O-7.x") == "O-7.x"


def test_book_refuses_duplicate_and_ambiguous_order_ids() -> None:
    book = ClOrdIdBook()
    book.open(order())
    with pytest.raises(ValueError, match="already sent"):
        book.open(order())
    with pytest.raises(ValueError, match="ambiguous"):
        book.open(order(order_id="O-2.5"))


def test_adopting_a_later_cl_ord_id_numbers_past_it() -> None:
    book = ClOrdIdBook()
    working = book.open(order())
    book.adopt("O-1", "O-1.6", "EX-3")
    assert (working.cl_ord_id, working.venue_order_id) == ("O-1.6", "EX-3")
    assert book.next_cl_ord_id(working) == "O-1.7"
    book.close("O-1")
    assert book.get("O-1") is None
    assert book.order_id_of("O-1.7") == "O-1"
    book.adopt("O-1", "O-1.9", None)  # a finished order: nothing to adopt
    book.close("O-1")
