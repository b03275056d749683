"""Scenarios 1B, 1S and 2S (Logon, both roles) and the optional 9 (synchronize by reset)."""

from __future__ import annotations

import pytest

from ordergate.fix.session.config import Role
from ordergate.fix.session.events import AppMessage, LoggedOn, SequenceGap
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.store import MemoryStore
from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import (
    SECOND,
    UNSET,
    ScriptedPeer,
    order_fields,
)


def test_1B_b_initiator_sends_logon_and_accepts_valid_answer(begin_string: str) -> None:
    """1B a-c: connect, send Logon(A); a valid Logon answer logs the session on."""
    peer = ScriptedPeer(begin_string, Role.INITIATOR, heartbeat_interval=30)
    peer.connect()
    logon = peer.expect_sent("A", {Tag.MsgSeqNum: 1, Tag.EncryptMethod: 0, Tag.HeartBtInt: 30})
    assert logon.get(Tag.SendingTime) == format_utc_timestamp(peer.now)
    peer.expect_nothing_sent()
    assert not peer.logged_on

    events = peer.send_logon()

    assert [type(e) for e in events] == [LoggedOn]
    assert events[0] == LoggedOn(heartbeat_interval=30, reset=False)
    peer.expect_nothing_sent()
    assert peer.next_num_in == 2
    assert peer.next_num_out == 2


def test_1B_c_logon_answer_with_msgseqnum_too_high_requests_resend(begin_string: str) -> None:
    """1B c: the acceptor's Logon(A) has MsgSeqNum 5 where 1 is expected: ResendRequest(2)."""
    peer = ScriptedPeer(begin_string, Role.INITIATOR)
    peer.connect()
    peer.expect_sent("A")

    peer.send_logon(seq=5)

    assert peer.logged_on
    peer.expect_sent("2", {Tag.BeginSeqNo: 1, Tag.EndSeqNo: 0})
    assert peer.events_of(SequenceGap) == [SequenceGap(1, 4)]
    # The Logon itself is processed once the gap 1..4 is filled.
    peer.next_seq = 1
    peer.send("4", (Tag.GapFillFlag, True), (Tag.NewSeqNo, 5), poss_dup=True)
    assert peer.next_num_in == 6
    peer.expect_nothing_sent()
    peer.expect_connected()


@pytest.mark.parametrize(
    "defect",
    ["no_heartbtint", "sending_time_off", "wrong_target"],
)
def test_1B_d_invalid_logon_answer_is_refused_with_logout(begin_string: str, defect: str) -> None:
    """1B d: an invalid Logon(A) answer: optional Reject(3), Logout(5) with Text, disconnect."""
    peer = ScriptedPeer(begin_string, Role.INITIATOR)
    peer.connect()
    peer.expect_sent("A")

    if defect == "no_heartbtint":
        peer.send("A", (Tag.EncryptMethod, 0))
        mention = "108"
    elif defect == "sending_time_off":
        stale = format_utc_timestamp(peer.now - 600 * SECOND)
        peer.send_logon(sending_time=stale)
        mention = "SendingTime"
    else:
        peer.send_logon(target="SOMEONE")
        mention = "CompID"

    assert not peer.logged_on
    peer.skip_optional("3")
    peer.expect_logout_and_disconnect(mention)
    peer.expect_nothing_sent()


@pytest.mark.parametrize("first", ["0", "D"])
def test_1B_e_first_answer_not_a_logon_disconnects(begin_string: str, first: str) -> None:
    """1B e: the first message received is not a Logon(A): disconnect, deliver nothing."""
    peer = ScriptedPeer(begin_string, Role.INITIATOR)
    peer.connect()
    peer.expect_sent("A")

    if first == "D":
        peer.send("D", *order_fields())
    else:
        peer.send("0")

    assert not peer.logged_on
    assert not peer.events_of(AppMessage)
    # Reject(3) and Logout(5) are optional here; nothing else may go out.
    peer.skip_optional("3")
    peer.skip_optional("5")
    peer.expect_nothing_sent()
    if not peer.disconnected:
        peer.advance(peer.config.logout_timeout + 1)
    peer.expect_disconnect()


def test_1S_a_acceptor_answers_valid_logon(begin_string: str) -> None:
    """1S a: a valid Logon(A) is answered with Logon(A) echoing HeartBtInt(108)."""
    peer = ScriptedPeer(begin_string, Role.ACCEPTOR, heartbeat_interval=30)
    peer.connect()
    peer.expect_nothing_sent()

    events = peer.send("A", (Tag.EncryptMethod, 0), (Tag.HeartBtInt, 45))

    assert events == [LoggedOn(heartbeat_interval=45, reset=False)]
    peer.expect_sent("A", {Tag.MsgSeqNum: 1, Tag.EncryptMethod: 0, Tag.HeartBtInt: 45})
    peer.expect_nothing_sent()
    assert peer.next_num_in == 2


def test_1S_a_logon_msgseqnum_too_high_answers_then_requests_resend(begin_string: str) -> None:
    """1S a: Logon(A) with MsgSeqNum > NextNumIn: answer Logon(A), then ResendRequest(2)."""
    peer = ScriptedPeer(begin_string, Role.ACCEPTOR)
    peer.connect()

    peer.send_logon(seq=4)

    assert peer.logged_on
    peer.expect_sent("A", {Tag.MsgSeqNum: 1})
    peer.expect_sent("2", {Tag.MsgSeqNum: 2, Tag.BeginSeqNo: 1, Tag.EndSeqNo: 0})
    peer.expect_nothing_sent()
    assert peer.next_num_in == 1


@pytest.mark.parametrize("field", ["sender", "target"])
def test_1S_c_logon_from_unconfigured_identity_disconnects(begin_string: str, field: str) -> None:
    """1S c: Logon(A) with a CompID this session is not configured for: no Logon answer and
    no Reject(3) (they would consume a MsgSeqNum), disconnect.

    The acceptor's documented choice (FIX_PLAN) is a Logout(5) before the disconnect; the
    standard says disconnect silently, so a Logout is the only message tolerated.
    """
    peer = ScriptedPeer(begin_string, Role.ACCEPTOR)
    peer.connect()

    peer.send_logon(**{field: "STRANGER"})

    assert not peer.logged_on
    peer.skip_optional("5")
    peer.expect_nothing_sent()
    if not peer.disconnected:
        peer.advance(peer.config.logout_timeout + 1)
    peer.expect_disconnect()


@pytest.mark.parametrize("defect", ["no_heartbtint", "sending_time_off", "no_sending_time"])
def test_1S_d_invalid_logon_is_refused_with_logout(begin_string: str, defect: str) -> None:
    """1S d: invalid Logon(A): optional Reject(3), Logout(5) with Text, disconnect."""
    peer = ScriptedPeer(begin_string, Role.ACCEPTOR)
    peer.connect()

    if defect == "no_heartbtint":
        peer.send("A", (Tag.EncryptMethod, 0))
    elif defect == "sending_time_off":
        peer.send_logon(sending_time=format_utc_timestamp(peer.now + 600 * SECOND))
    else:
        peer.send_logon(sending_time=UNSET)

    assert not peer.logged_on
    peer.skip_optional("3")
    logout = peer.expect_logout_and_disconnect()
    assert logout.get_str(Tag.Text), "Logout(5) must say what was wrong"
    peer.expect_nothing_sent()


@pytest.mark.parametrize("first", ["0", "1", "D"])
def test_2S_first_message_not_logon_disconnects(begin_string: str, first: str) -> None:
    """2S: the acceptor's first message is not a Logon(A): disconnect, process nothing."""
    peer = ScriptedPeer(begin_string, Role.ACCEPTOR)
    peer.connect()

    if first == "D":
        peer.send("D", *order_fields())
    elif first == "1":
        peer.send("1", (Tag.TestReqID, "T1"))
    else:
        peer.send("0")

    assert not peer.logged_on
    assert not peer.events_of(AppMessage)
    peer.skip_optional("5")
    peer.expect_nothing_sent()
    if not peer.disconnected:
        peer.advance(peer.config.logout_timeout + 1)
    peer.expect_disconnect()


def test_9_synchronize_by_resetting_both_sides_to_one(begin_string: str, role: Role) -> None:
    """9 (optional, second approach): both peers reset to 1 with ResetSeqNumFlag(141)=Y."""
    store = MemoryStore(0)
    store.set_next_sender_seq(40)
    store.set_next_target_seq(30)
    reset_on_logon = role is Role.INITIATOR
    peer = ScriptedPeer(begin_string, role, store=store, reset_on_logon=reset_on_logon)
    peer.connect()
    if role is Role.INITIATOR:
        peer.expect_sent("A", {Tag.MsgSeqNum: 1, Tag.ResetSeqNumFlag: "Y"})
        peer.send_logon((Tag.ResetSeqNumFlag, True))
    else:
        peer.send_logon((Tag.ResetSeqNumFlag, True))
        peer.expect_sent("A", {Tag.MsgSeqNum: 1, Tag.ResetSeqNumFlag: "Y"})

    assert peer.logged_on
    assert peer.events_of(LoggedOn)[0].reset  # type: ignore[attr-defined]
    peer.expect_nothing_sent()
    assert peer.next_num_in == 2
    assert peer.next_num_out == 2
    peer.send("D", *order_fields())
    assert len(peer.app_messages()) == 1
    assert peer.next_num_in == 3
