"""Invalid inbound messages: Reject(3), Logout, garbled frames, BusinessMessageReject(j)."""

from __future__ import annotations

import re

import pytest

from ordergate.fix.codec import encode_fields
from ordergate.fix.dictionary import BusinessRejectReason
from ordergate.fix.message import FixMessage
from ordergate.fix.session import (
    AppMessage,
    Disconnect,
    GarbledIgnored,
    MessageRejected,
    RejectReceived,
    SessionState,
)
from tests.fix.session.driver import Driver
from tests.fix.session.pair import SECOND, SessionPair


def test_wrong_comp_id_is_rejected_with_reason_9_then_logout() -> None:
    d = Driver()
    d.logged_on()

    events = d.feed(d.raw("D", (11, "X"), sender="OTHER"))

    assert [type(e) for e in events] == [MessageRejected, Disconnect]
    reject, logout = d.sent()
    assert (reject.msg_type, reject.get(373), reject.get(371), reject.get(45)) == (
        "3",
        b"9",
        b"49",
        b"2",
    )
    assert logout.msg_type == "5"
    assert d.store.next_target_seq() == 3
    assert d.session.state is SessionState.DISCONNECTED


def test_sending_time_out_of_tolerance_is_rejected_with_reason_10_then_logout() -> None:
    d = Driver(sending_time_tolerance=5)
    d.logged_on()

    events = d.feed(d.raw("0", sending_time=d.now - 6 * SECOND))

    assert events[0] == MessageRejected(2, "0", 10, "SendingTime accuracy problem")
    assert isinstance(events[1], Disconnect)
    assert [m.msg_type for m in d.sent()] == ["3", "5"]


def test_sending_time_within_tolerance_is_fine() -> None:
    d = Driver(sending_time_tolerance=5)
    d.logged_on()

    assert d.feed(d.raw("0", sending_time=d.now - 5 * SECOND)) == []


def test_wrong_begin_string_logs_out_without_reject() -> None:
    d = Driver()
    d.logged_on()

    events = d.feed(d.raw("0", begin_string="FIX.4.2"))

    assert events == [Disconnect("incorrect BeginString(8)")]
    assert [m.msg_type for m in d.sent()] == ["5"]
    assert d.store.next_target_seq() == 2


def test_unknown_msg_type_is_rejected_with_reason_11_and_consumes_its_number() -> None:
    d = Driver()
    d.logged_on()

    events = d.feed(d.raw("ZZ"))

    assert events == [MessageRejected(2, "ZZ", 11, "Invalid MsgType")]
    [reject] = d.sent()
    assert (reject.get(373), reject.get(371), reject.get(372)) == (b"11", b"35", b"ZZ")
    assert d.store.next_target_seq() == 3
    assert d.session.state is SessionState.ACTIVE


def test_missing_sending_time_is_rejected_as_required_tag_missing() -> None:
    d = Driver()
    d.logged_on()
    raw = encode_fields(b"FIX.4.4", [(35, b"0"), (34, b"2"), (49, b"BUY"), (56, b"SELL")])

    assert d.feed(raw) == [MessageRejected(2, "0", 1, "tag 52 missing")]
    assert d.store.next_target_seq() == 3


def test_missing_msg_seq_num_logs_out() -> None:
    d = Driver()
    d.logged_on()
    raw = encode_fields(
        b"FIX.4.4", [(35, b"0"), (49, b"BUY"), (52, b"20261121-10:11:12"), (56, b"SELL")]
    )

    assert d.feed(raw) == [Disconnect("MsgSeqNum(34) missing or not a number")]
    assert [m.msg_type for m in d.sent()] == ["5"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-4] + b"%03d\x01" % ((int(raw[-4:-1]) + 1) % 256),  # checksum
        lambda raw: re.sub(rb"\x019=\d+", b"\x019=5", raw, count=1),  # body length
    ],
    ids=["checksum", "body-length"],
)
def test_garbled_frame_is_ignored_without_consuming_a_number(mangle: object) -> None:
    d = Driver()
    d.logged_on()
    good = d.raw("D", (11, "X"))
    assert callable(mangle)

    events = d.feed(mangle(good), good)

    assert [type(e) for e in events] == [GarbledIgnored, AppMessage]
    assert d.sent() == []
    assert d.store.next_target_seq() == 3


def test_frame_whose_third_field_is_not_msg_type_is_garbled() -> None:
    d = Driver()
    d.logged_on()
    raw = encode_fields(b"FIX.4.4", [(34, b"2"), (35, b"0"), (49, b"BUY"), (56, b"SELL")])

    assert d.feed(raw) == [GarbledIgnored("MsgType(35) is not the third field")]
    assert d.store.next_target_seq() == 2


def test_unparseable_fields_are_garbled() -> None:
    d = Driver()
    d.logged_on()
    raw = encode_fields(b"FIX.4.4", [(35, b"0"), (34, b"2")]).replace(b"34=", b"3x=")

    [event] = d.feed(raw)

    assert isinstance(event, GarbledIgnored)
    assert all(b"3x=" not in logged for _, logged, _ in d.store.log)
    assert d.store.next_target_seq() == 2


def test_inbound_reject_is_reported() -> None:
    d = Driver()
    d.logged_on()

    [event] = d.feed(d.raw("3", (45, 1), (373, 5), (58, "bad")))

    assert isinstance(event, RejectReceived)
    assert event.message.get(58) == b"bad"
    assert d.store.next_target_seq() == 3


def test_test_request_without_id_under_no_validation_gets_plain_heartbeat() -> None:
    d = Driver(validate=False)
    d.logged_on()

    assert d.feed(d.raw("1")) == []
    [heartbeat] = d.sent()
    assert heartbeat.msg_type == "0"
    assert 112 not in heartbeat


def test_business_reject_helper_refers_to_the_message() -> None:
    pair = SessionPair()
    pair.connect()
    pair.initiator.session.send(FixMessage.of("D", (11, "C-9"), (55, "NOPE")), pair.now)
    pair.pump()
    [app] = [e for e in pair.acceptor.take_events() if isinstance(e, AppMessage)]

    seq = pair.acceptor.session.business_reject(
        app.message, BusinessRejectReason.UNKNOWN_SECURITY, "unknown symbol", pair.now
    )
    pair.pump()

    reject = pair.acceptor.written[-1]
    assert seq == 2
    assert reject.msg_type == "j"
    assert (reject.get(45), reject.get(372), reject.get(379), reject.get(380)) == (
        b"2",
        b"D",
        b"C-9",
        b"2",
    )
    assert reject.get(58) == b"unknown symbol"
    [event] = [e for e in pair.initiator.take_events() if isinstance(e, AppMessage)]
    assert event.message.msg_type == "j"


@pytest.mark.parametrize("msg_type", ["", "0", "A", "4"])
def test_send_refuses_admin_and_typeless_messages(msg_type: str) -> None:
    d = Driver()
    d.logged_on()
    message = FixMessage.of(msg_type) if msg_type else FixMessage([(11, b"X")])

    with pytest.raises(ValueError, match="MsgType"):
        d.session.send(message, d.now)
    assert d.store.next_sender_seq() == 2
    assert d.sent() == []


def test_header_field_after_the_body_is_rejected_with_reason_14() -> None:
    d = Driver()
    d.logged_on()

    [event] = d.feed(d.raw("D", (11, "X"), (50, "DESK")))

    assert event == MessageRejected(2, "D", 14, "header tag 50 after the body")
    assert d.sent()[0].get(371) == b"50"
    assert d.store.next_target_seq() == 3


def test_checksum_field_inside_the_body_is_garbled() -> None:
    d = Driver()
    d.logged_on()

    events = d.feed(d.raw("D", (11, "X"), (10, "000"), (58, "x")))

    assert events == [GarbledIgnored("CheckSum(10) is not the last field")]
    assert d.store.next_target_seq() == 2
