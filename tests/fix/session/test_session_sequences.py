"""Sequence numbers: gaps, queueing, ResendRequest both ways, SequenceReset, PossDup."""

from __future__ import annotations

from collections.abc import Sequence

from ordergate.fix.message import FixMessage
from ordergate.fix.session import (
    AppMessage,
    Disconnect,
    MessageRejected,
    SequenceGap,
    SessionState,
)
from ordergate.fix.session.timefmt import format_utc_timestamp
from tests.fix.session.driver import Driver
from tests.fix.session.pair import SECOND, SessionPair


def order(cl_ord_id: str) -> tuple[tuple[int, str], ...]:
    return ((11, cl_ord_id), (55, "ACME"))


def cl_ord_ids(events: Sequence[object]) -> list[bytes | None]:
    return [e.message.get(11) for e in events if isinstance(e, AppMessage)]


def test_gap_is_requested_once_and_queued_messages_delivered_in_order() -> None:
    d = Driver()
    d.logged_on()

    early = d.feed(
        d.raw("D", *order("C4"), seq=4),
        d.raw("D", *order("C5"), seq=5),
    )

    assert early == [SequenceGap(2, 3)]
    [resend] = d.sent()
    assert (resend.msg_type, resend.get(7), resend.get(16)) == ("2", b"2", b"0")

    filled = d.feed(
        d.raw("D", *order("C2"), seq=2),
        d.raw("D", *order("C3"), seq=3),
    )

    assert cl_ord_ids(filled) == [b"C2", b"C3", b"C4", b"C5"]
    assert d.store.next_target_seq() == 6
    assert d.sent() == []


def test_resent_duplicates_of_queued_messages_are_ignored() -> None:
    d = Driver()
    d.logged_on()
    d.feed(d.raw("D", *order("C3"), seq=3))
    d.sent()
    dup = ((43, "Y"), (122, format_utc_timestamp(d.now)))

    events = d.feed(
        d.raw("D", *order("C2"), seq=2, header=dup),
        d.raw("D", *order("C3"), seq=3, header=dup),
    )

    assert cl_ord_ids(events) == [b"C2", b"C3"]
    assert [e.poss_dup for e in events if isinstance(e, AppMessage)] == [True, False]
    assert d.sent() == []


def test_chunked_resend_requests_ask_for_the_next_chunk_when_one_is_filled() -> None:
    d = Driver(resend_chunk_size=2)
    d.logged_on()

    assert d.feed(d.raw("D", *order("C7"), seq=7)) == [SequenceGap(2, 6)]
    [first] = d.sent()
    assert (first.get(7), first.get(16)) == (b"2", b"3")
    d.feed(d.raw("0", seq=2))
    assert d.sent() == []

    assert d.feed(d.raw("0", seq=3)) == [SequenceGap(4, 6)]
    [second] = d.sent()
    assert (second.get(7), second.get(16)) == (b"4", b"5")
    d.feed(d.raw("0", seq=4), d.raw("0", seq=5))
    [third] = d.sent()
    assert (third.get(7), third.get(16)) == (b"6", b"6")

    assert cl_ord_ids(d.feed(d.raw("0", seq=6))) == [b"C7"]


def test_seq_too_low_without_poss_dup_logs_out() -> None:
    d = Driver()
    d.logged_on()
    d.feed(d.raw("0"), d.raw("0"))

    events = d.feed(d.raw("0", seq=2))

    assert events == [Disconnect("MsgSeqNum too low, expecting 4 but received 2")]
    [logout] = d.sent()
    assert logout.get(58) == b"MsgSeqNum too low, expecting 4 but received 2"


def test_seq_too_low_with_poss_dup_is_ignored() -> None:
    d = Driver()
    d.logged_on()
    d.feed(d.raw("D", *order("C2")))

    events = d.feed(
        d.raw("D", *order("C2"), seq=2, header=((43, "Y"), (122, format_utc_timestamp(d.now))))
    )

    assert events == []
    assert d.sent() == []
    assert d.store.next_target_seq() == 3


def test_poss_dup_without_orig_sending_time_is_rejected_and_consumes_its_number() -> None:
    d = Driver()
    d.logged_on()

    events = d.feed(d.raw("D", *order("C2"), header=((43, "Y"),)))

    assert events == [
        MessageRejected(2, "D", 1, "OrigSendingTime(122) missing on a possible duplicate")
    ]
    [reject] = d.sent()
    assert (reject.get(45), reject.get(371), reject.get(373)) == (b"2", b"122", b"1")
    assert d.store.next_target_seq() == 3


def test_orig_sending_time_after_sending_time_is_rejected_then_logout() -> None:
    d = Driver()
    d.logged_on()
    later = format_utc_timestamp(d.now + 5 * SECOND)

    events = d.feed(d.raw("D", *order("C2"), header=((43, "Y"), (122, later))))

    assert [type(e) for e in events] == [MessageRejected, Disconnect]
    reject, logout = d.sent()
    assert (reject.get(373), reject.get(371)) == (b"10", b"122")
    assert logout.msg_type == "5"
    assert d.store.next_target_seq() == 3


def test_gap_fill_moves_the_expected_number() -> None:
    d = Driver()
    d.logged_on()

    d.feed(d.raw("4", (123, "Y"), (36, 10), header=((43, "Y"),)))

    assert d.store.next_target_seq() == 10
    assert d.sent() == []


def test_gap_fill_backwards_is_rejected_as_value_incorrect() -> None:
    d = Driver()
    d.logged_on()

    events = d.feed(d.raw("4", (123, "Y"), (36, 2)))

    assert events == [
        MessageRejected(
            2, "4", 5, "attempt to lower sequence number: NewSeqNo(36) 2 <= MsgSeqNum 2"
        )
    ]
    [reject] = d.sent()
    assert (reject.get(371), reject.get(373), reject.get(372)) == (b"36", b"5", b"4")
    assert d.store.next_target_seq() == 3


def test_sequence_reset_mode_ignores_its_own_number() -> None:
    d = Driver()
    d.logged_on()

    d.feed(d.raw("4", (36, 20), seq=999))

    assert d.store.next_target_seq() == 20
    assert d.sent() == []


def test_sequence_reset_mode_backwards_is_rejected_and_equal_is_a_no_op() -> None:
    d = Driver()
    d.logged_on()
    d.feed(d.raw("0"), d.raw("0"))

    [rejected] = d.feed(d.raw("4", (36, 2), seq=4))
    assert isinstance(rejected, MessageRejected)
    assert rejected.reason == 5
    assert d.sent()[0].get(371) == b"36"
    assert d.store.next_target_seq() == 4

    assert d.feed(d.raw("4", (36, 4), seq=4)) == []
    assert d.store.next_target_seq() == 4


def test_sequence_reset_mode_releases_queued_messages_above_it() -> None:
    d = Driver()
    d.logged_on()
    d.feed(d.raw("D", *order("C6"), seq=6))
    d.sent()

    events = d.feed(d.raw("4", (36, 6), seq=2))

    assert cl_ord_ids(events) == [b"C6"]
    assert d.store.next_target_seq() == 7


def test_resend_request_is_answered_with_poss_dup_and_gap_fills() -> None:
    d = Driver()
    d.logged_on()  # our Logon reply is 1
    d.session.send(FixMessage.of("8", (37, "E2"), (11, "C")), d.now)  # 2
    d.advance(30)  # Heartbeat 3
    d.feed(d.raw("0"))
    original_time = format_utc_timestamp(d.now - 30 * SECOND)
    d.session.send(FixMessage.of("8", (37, "E4"), (11, "C")), d.now)  # 4
    d.advance(30)  # Heartbeat 5
    d.sent()
    d.now += SECOND

    d.feed(d.raw("2", (7, 1), (16, 0)))

    sent = d.sent()
    assert [(m.msg_type, m.get(34)) for m in sent] == [
        ("4", b"1"),
        ("8", b"2"),
        ("4", b"3"),
        ("8", b"4"),
        ("4", b"5"),
    ]
    gap1, resent, _, _, last = sent
    assert (gap1.get(123), gap1.get(36), gap1.get(43)) == (b"Y", b"2", b"Y")
    assert last.get(36) == b"6"
    assert resent.get(43) == b"Y"
    assert resent.get(122) == original_time
    assert resent.get(52) == format_utc_timestamp(d.now)
    assert resent.get(37) == b"E2"
    assert [t for t, _ in resent.fields[:9]] == [8, 9, 35, 34, 43, 49, 52, 56, 122]
    assert d.store.next_sender_seq() == 6


def test_resend_request_with_explicit_end() -> None:
    d = Driver()
    d.logged_on()
    for i in range(3):
        d.session.send(FixMessage.of("8", (37, f"E{i}")), d.now)  # 2, 3, 4
    d.sent()

    d.feed(d.raw("2", (7, 3), (16, 3)))

    [resent] = d.sent()
    assert (resent.get(34), resent.get(37)) == (b"3", b"E1")


def test_resend_request_beyond_what_was_sent_sends_nothing() -> None:
    d = Driver()
    d.logged_on()

    d.feed(d.raw("2", (7, 5), (16, 0)))

    assert d.sent() == []


def test_early_resend_request_is_answered_at_once() -> None:
    d = Driver()
    d.logged_on()
    d.session.send(FixMessage.of("8", (37, "E2")), d.now)
    d.sent()

    events = d.feed(d.raw("2", (7, 2), (16, 0), seq=4))

    assert events == [SequenceGap(2, 3)]
    resent, request = d.sent()
    assert (resent.get(34), resent.get(43)) == (b"2", b"Y")
    assert request.msg_type == "2"
    # Filling the gap consumes the early ResendRequest without answering it twice.
    d.feed(d.raw("0", seq=2), d.raw("0", seq=3))
    assert d.store.next_target_seq() == 5
    assert d.sent() == []


def test_messages_sent_while_disconnected_reach_the_peer_by_resend() -> None:
    pair = SessionPair()
    pair.connect()
    pair.initiator.session.logout(pair.now)
    pair.pump()
    pair.acceptor.take_events()

    seq = pair.acceptor.session.send(FixMessage.of("8", (37, "OFFLINE")), pair.now)
    assert pair.acceptor.session.data_to_send() == b""
    pair.connect()

    assert seq == 3
    events = pair.initiator.take_events()
    assert SequenceGap(3, 3) in events
    delivered = [e for e in events if isinstance(e, AppMessage)]
    assert [(e.message.get(37), e.poss_dup) for e in delivered] == [(b"OFFLINE", True)]
    assert pair.initiator.session.state is SessionState.ACTIVE
    assert pair.initiator.store.next_target_seq() == pair.acceptor.store.next_sender_seq()


def test_lost_message_is_recovered_over_the_pair() -> None:
    pair = SessionPair()
    pair.connect()
    dropped: list[bytes] = []

    def drop_first_order(raw: bytes) -> bytes | None:
        if b"\x0111=A1\x01" in raw and not dropped:
            dropped.append(raw)
            return None
        return raw

    pair.initiator.intercept = drop_first_order
    for cl_ord_id in ("A1", "A2", "A3"):
        pair.initiator.session.send(FixMessage.of("D", (11, cl_ord_id)), pair.now)
    pair.pump()

    events = pair.acceptor.take_events()
    assert cl_ord_ids(events[1:]) == [b"A1", b"A2", b"A3"]
    assert pair.acceptor.store.next_target_seq() == 5
