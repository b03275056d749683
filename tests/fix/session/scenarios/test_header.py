"""Scenario 2 (a-t): receiving the standard header, in both roles and both versions."""

from __future__ import annotations

import pytest

from ordergate.fix.codec import checksum
from ordergate.fix.dictionary import BusinessRejectReason
from ordergate.fix.session.events import AppMessage, GarbledIgnored, SequenceGap
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import (
    SECOND,
    THEIR_ID,
    ScriptedPeer,
    order_fields,
)


def _assert_still_accepting(peer: ScriptedPeer) -> None:
    """A TestRequest(1) with the expected MsgSeqNum is answered: the session goes on."""
    expected = peer.next_num_in
    peer.next_seq = expected
    peer.send("1", (Tag.TestReqID, "STILL-THERE"))
    peer.expect_sent("0", {Tag.TestReqID: "STILL-THERE"})
    assert peer.next_num_in == expected + 1
    peer.expect_connected()


def test_2a_msgseqnum_as_expected_is_accepted(peer: ScriptedPeer) -> None:
    """2a: MsgSeqNum = NextNumIn: the message is processed and NextNumIn moves on."""
    events = peer.send("D", *order_fields("A-1"))

    assert [type(e) for e in events] == [AppMessage]
    assert events[0].message.get(Tag.ClOrdID) == b"A-1"  # type: ignore[union-attr]
    assert peer.next_num_in == 3
    peer.expect_nothing_sent()


def test_2b_msgseqnum_higher_than_expected_requests_resend(peer: ScriptedPeer) -> None:
    """2b: MsgSeqNum 5 where 2 is expected: ResendRequest(2) 2..; the early message waits
    and is processed once the gap is filled, exactly once and in order."""
    peer.next_seq = 5
    events = peer.send("D", *order_fields("EARLY"))

    assert SequenceGap(2, 4) in events
    assert not [e for e in events if isinstance(e, AppMessage)]
    peer.expect_sent("2", {Tag.MsgSeqNum: 2, Tag.BeginSeqNo: 2, Tag.EndSeqNo: 0})
    assert peer.next_num_in == 2

    # A second early message does not ask for the same gap again.
    peer.send("0")
    peer.expect_nothing_sent()

    orig = format_utc_timestamp(peer.now - SECOND)
    peer.next_seq = 2
    peer.send("D", *order_fields("GAP-2"), poss_dup=True, orig_sending_time=orig)
    peer.send("D", *order_fields("GAP-3"), poss_dup=True, orig_sending_time=orig)
    peer.send("4", (Tag.GapFillFlag, True), (Tag.NewSeqNo, 5), poss_dup=True)

    delivered = [e.message.get(Tag.ClOrdID) for e in peer.app_messages()]
    assert delivered == [b"GAP-2", b"GAP-3", b"EARLY"]
    assert peer.next_num_in == 7
    peer.expect_nothing_sent()


def test_2c_msgseqnum_lower_than_expected_logs_out(peer: ScriptedPeer) -> None:
    """2c: MsgSeqNum lower than expected without PossDupFlag: Logout(5) "MsgSeqNum too low,
    expecting 3 but received 2", disconnect; the message is not processed."""
    peer.send("0")
    peer.next_seq = 2
    peer.send("D", *order_fields())

    assert not peer.app_messages()
    logout = peer.expect_logout_and_disconnect("MsgSeqNum too low", "expecting 3")
    assert "2" in (logout.get_str(Tag.Text) or "").split("expecting 3", 1)[1]


def test_2d_garbled_message_is_ignored(peer: ScriptedPeer) -> None:
    """2d: a garbled message is ignored without consuming NextNumIn; the next one is taken."""
    good = peer.build("D", *order_fields("LOST"), seq=2)
    garbled = good[:40] + good[45:]  # five bytes lost in transit
    peer.send_raw(garbled)

    assert not peer.app_messages()
    assert peer.next_num_in == 2
    peer.expect_nothing_sent()
    peer.expect_connected()
    # The framer knows the frame is bad once the next one arrives behind it.
    _assert_still_accepting(peer)
    assert peer.events_of(GarbledIgnored)
    assert not peer.app_messages()


def test_2e_possdup_already_received_is_ignored(peer: ScriptedPeer) -> None:
    """2e: PossDupFlag=Y, OrigSendingTime <= SendingTime, MsgSeqNum already received:
    ignored (not delivered twice), nothing sent, the session goes on."""
    sent_at = format_utc_timestamp(peer.now)
    peer.send("D", *order_fields("ONCE"))
    peer.advance(1)
    peer.send("D", *order_fields("ONCE"), seq=2, poss_dup=True, orig_sending_time=sent_at)

    assert len(peer.app_messages()) == 1
    assert peer.next_num_in == 3
    peer.expect_nothing_sent()
    _assert_still_accepting(peer)


def test_2f_possdup_orig_sending_time_after_sending_time_is_rejected(peer: ScriptedPeer) -> None:
    """2f: PossDupFlag=Y, OrigSendingTime > SendingTime, MsgSeqNum as expected: Reject(3)
    SessionRejectReason 10, NextNumIn + 1 (Logout(5) and disconnect optional)."""
    later = format_utc_timestamp(peer.now + 60 * SECOND)
    peer.send("D", *order_fields(), poss_dup=True, orig_sending_time=later)

    assert not peer.app_messages()
    peer.expect_reject(2, 10)
    assert peer.next_num_in == 3
    if peer.skip_optional("5") is not None and not peer.disconnected:
        peer.advance(peer.config.logout_timeout + 1)
        peer.expect_disconnect()


def test_2g_possdup_without_orig_sending_time_is_rejected(peer: ScriptedPeer) -> None:
    """2g: PossDupFlag=Y without OrigSendingTime: Reject(3) 373=1, 371=122; NextNumIn + 1."""
    peer.send("D", *order_fields(), poss_dup=True)

    assert not peer.app_messages()
    peer.expect_reject(2, 1, Tag.OrigSendingTime)
    assert peer.next_num_in == 3
    _assert_still_accepting(peer)


def test_2h_expected_beginstring_is_accepted(peer: ScriptedPeer) -> None:
    """2h: BeginString equal to ours (and to our outbound messages) is accepted."""
    peer.send("0")
    assert peer.next_num_in == 3
    peer.expect_connected()
    assert all(m.get(Tag.BeginString) == peer.begin_string.encode() for m in peer.all_sent)


def test_2i_unexpected_beginstring_logs_out(peer: ScriptedPeer) -> None:
    """2i: BeginString not ours: Logout(5) referencing BeginString, disconnect."""
    other = "FIX.4.2" if peer.begin_string == "FIX.4.4" else "FIX.4.4"
    peer.send("0", begin_string=other)

    peer.skip_optional("3")
    peer.expect_logout_and_disconnect("BeginString")


def test_2j_expected_compids_are_accepted(peer: ScriptedPeer) -> None:
    """2j: SenderCompID(49) and TargetCompID(56) as configured are accepted."""
    peer.send("D", *order_fields())
    assert len(peer.app_messages()) == 1
    assert peer.app_messages()[0].message.get(Tag.SenderCompID) == THEIR_ID.encode()
    peer.expect_nothing_sent()


@pytest.mark.parametrize(("field", "tag"), [("sender", 49), ("target", 56)])
def test_2k_compid_mismatch_rejects_and_logs_out(peer: ScriptedPeer, field: str, tag: int) -> None:
    """2k: wrong SenderCompID or TargetCompID: Reject(3) 373=9 with RefTagID 49/56,
    NextNumIn + 1, Logout(5) referencing the CompID, disconnect."""
    peer.send("D", *order_fields(), **{field: "INTRUDER"})

    assert not peer.app_messages()
    peer.expect_reject(2, 9, tag)
    assert peer.next_num_in == 3
    peer.expect_logout_and_disconnect("CompID")


def test_2l_correct_bodylength_is_accepted_across_partial_reads(peer: ScriptedPeer) -> None:
    """2l: a correct BodyLength(9) is accepted, also when the frame arrives in pieces."""
    data = peer.build("D", *order_fields())
    for i in range(0, len(data), 7):
        peer.send_raw(data[i : i + 7])
    assert len(peer.app_messages()) == 1
    assert peer.next_num_in == 3


@pytest.mark.parametrize("delta", [-3, 5])
def test_2m_incorrect_bodylength_is_ignored(peer: ScriptedPeer, delta: int) -> None:
    """2m: BodyLength(9) wrong: garbled, ignored, NextNumIn unchanged, later ones accepted."""
    right = peer.build("D", *order_fields(), seq=2)
    length = int(right.split(b"\x019=", 1)[1].split(b"\x01", 1)[0])
    peer.send("D", *order_fields(), seq=2, body_length=length + delta)

    assert not peer.app_messages()
    assert peer.next_num_in == 2
    peer.expect_nothing_sent()
    _assert_still_accepting(peer)


def test_2n_sending_time_within_tolerance_is_accepted(peer: ScriptedPeer) -> None:
    """2n: SendingTime(52) in UTC within the tolerance (here 100 s off, limit 120 s)."""
    peer.send("0", sending_time=format_utc_timestamp(peer.now - 100 * SECOND))
    peer.send("0", sending_time=format_utc_timestamp(peer.now + 100 * SECOND))
    assert peer.next_num_in == 4
    peer.expect_nothing_sent()


@pytest.mark.parametrize("offset", [-600, 600])
def test_2o_sending_time_out_of_tolerance_rejects_and_logs_out(
    peer: ScriptedPeer, offset: int
) -> None:
    """2o: SendingTime(52) 10 minutes off: Reject(3) 373=10 (371=52), NextNumIn + 1,
    Logout(5) referencing SendingTime, disconnect."""
    peer.send("D", *order_fields(), sending_time=format_utc_timestamp(peer.now + offset * SECOND))

    assert not peer.app_messages()
    peer.expect_reject(2, 10, Tag.SendingTime)
    assert peer.next_num_in == 3
    peer.expect_logout_and_disconnect("SendingTime")


def test_2p_valid_msgtype_is_accepted(peer: ScriptedPeer) -> None:
    """2p: a MsgType defined by the specification is accepted and delivered."""
    peer.send("D", *order_fields())
    peer.send(
        "F",
        (41, "ORD-1"),
        (11, "CXL-1"),
        (55, "IBM"),
        (54, "1"),
        (60, format_utc_timestamp(peer.now)),
        (38, 100),
    )
    assert [e.message.msg_type for e in peer.app_messages()] == ["D", "F"]
    assert peer.next_num_in == 4
    peer.expect_nothing_sent()


def test_2q_invalid_msgtype_is_rejected(peer: ScriptedPeer) -> None:
    """2q: MsgType not defined: Reject(3) 373=11 (371=35), NextNumIn + 1, session goes on."""
    peer.send("ZZ")

    assert not peer.app_messages()
    peer.expect_reject(2, 11, Tag.MsgType)
    assert peer.next_num_in == 3
    _assert_still_accepting(peer)


def test_2r_unsupported_msgtype_gets_business_message_reject(peer: ScriptedPeer) -> None:
    """2r: a valid MsgType the application does not support (here Email(C)): the session
    delivers it; the application answers BusinessMessageReject(j) 380=3; NextNumIn + 1."""
    events = peer.send("C", (164, "E-1"), (94, "0"), (147, "hello"), (33, 1), (58, "text"))

    apps = [e for e in events if isinstance(e, AppMessage)]
    assert len(apps) == 1
    assert peer.next_num_in == 3
    # The application's answer, through the session.
    peer.session.business_reject(
        apps[0].message,
        BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE,
        "Email not supported",
        peer.now,
    )
    peer.pump()
    peer.expect_sent("j", {Tag.RefSeqNum: 2, Tag.RefMsgType: "C", Tag.BusinessRejectReason: 3})


def test_2s_first_three_fields_in_order_are_accepted(peer: ScriptedPeer) -> None:
    """2s: BeginString, BodyLength, MsgType first: accepted."""
    data = peer.build("0")
    assert data.startswith(b"8=")
    assert b"\x019=" in data[:20]
    assert b"\x0135=0\x01" in data
    peer.send_raw(data)
    assert peer.next_num_in == 3
    peer.expect_nothing_sent()


@pytest.mark.parametrize("variant", ["msgtype_not_third", "bodylength_not_second"])
def test_2t_first_three_fields_out_of_order_are_ignored(peer: ScriptedPeer, variant: str) -> None:
    """2t: 8, 9, 35 not the first three fields: garbled, ignored, NextNumIn unchanged, no
    Reject, later messages accepted."""
    stamp = format_utc_timestamp(peer.now)
    if variant == "msgtype_not_third":
        data = peer.build(
            "0",
            raw_fields=[(49, THEIR_ID), (35, "0"), (56, "OURS"), (34, 2), (52, stamp)],
        )
    else:
        body = b"49=%s\x0156=OURS\x0134=2\x0152=%s\x01" % (THEIR_ID.encode(), stamp)
        head = b"8=%s\x0135=0\x019=%d\x01" % (peer.begin_string.encode(), len(body))
        data = head + body + b"10=%03d\x01" % checksum(head + body)
    peer.send_raw(data)

    assert peer.next_num_in == 2
    peer.expect_nothing_sent()
    peer.expect_connected()
    _assert_still_accepting(peer)
