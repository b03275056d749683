"""Scenarios 8, 10 (a-e), 11 (a-c) and 20: ResendRequest(2) and SequenceReset(4)."""

from __future__ import annotations

import pytest

from ordergate.fix.message import FixMessage
from ordergate.fix.session.events import AppMessage
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import SECOND, ScriptedPeer, order_fields


def _send_order(peer: ScriptedPeer, cl_ord_id: str) -> int:
    seq = peer.session.send(FixMessage.of("D", *order_fields(cl_ord_id, now=peer.now)), peer.now)
    peer.pump()
    return seq


def _body(message: FixMessage) -> list[tuple[int, bytes]]:
    return [(t, v) for t, v in message.fields if t not in (8, 9, 10, 34, 43, 52, 122)]


def test_8_resend_request_resends_app_messages_and_gap_fills_admin(peer: ScriptedPeer) -> None:
    """8: ResendRequest(2) 1..0: application messages again with PossDupFlag=Y and their
    original SendingTime in OrigSendingTime(122); admin messages (our Logon, a Heartbeat)
    replaced by SequenceReset-GapFill(4); NextNumOut unchanged."""
    assert _send_order(peer, "R-2") == 2
    assert _send_order(peer, "R-3") == 3
    peer.send("0")  # keep the peer's side alive across the heartbeat
    peer.advance(peer.config.heartbeat_interval)  # our Heartbeat(0) is number 4
    assert _send_order(peer, "R-5") == 5
    originals = {m.get_int(Tag.MsgSeqNum): m for m in (s.message for s in peer.outbox)}
    assert [originals[n].msg_type for n in (2, 3, 4, 5)] == ["D", "D", "0", "D"]
    peer.outbox.clear()
    peer.advance(2)

    peer.send("2", (Tag.BeginSeqNo, 1), (Tag.EndSeqNo, 0))

    gap = peer.expect_sent(
        "4", {Tag.MsgSeqNum: 1, Tag.GapFillFlag: "Y", Tag.NewSeqNo: 2, Tag.PossDupFlag: "Y"}
    )
    assert gap.get(Tag.SendingTime) == format_utc_timestamp(peer.now)
    for seq in (2, 3):
        again = peer.expect_sent("D", {Tag.MsgSeqNum: seq, Tag.PossDupFlag: "Y"})
        assert again.get(Tag.OrigSendingTime) == originals[seq].get(Tag.SendingTime)
        assert again.get(Tag.SendingTime) == format_utc_timestamp(peer.now)
        assert _body(again) == _body(originals[seq])
    peer.expect_sent("4", {Tag.MsgSeqNum: 4, Tag.GapFillFlag: "Y", Tag.NewSeqNo: 5})
    again = peer.expect_sent("D", {Tag.MsgSeqNum: 5, Tag.PossDupFlag: "Y"})
    assert again.get(Tag.OrigSendingTime) == originals[5].get(Tag.SendingTime)
    peer.expect_nothing_sent()
    assert peer.next_num_out == 6

    # A range beyond what was sent ends at the last message sent.
    peer.send("2", (Tag.BeginSeqNo, 5), (Tag.EndSeqNo, 99))
    peer.expect_sent("D", {Tag.MsgSeqNum: 5, Tag.PossDupFlag: "Y"})
    peer.expect_nothing_sent()
    assert peer.next_num_out == 6


def test_10a_gap_fill_with_msgseqnum_too_high_requests_resend(peer: ScriptedPeer) -> None:
    """10a: SequenceReset-GapFill with MsgSeqNum 5 > NextNumIn 2: ResendRequest(2) for 2..."""
    peer.send("4", (Tag.GapFillFlag, True), (Tag.NewSeqNo, 9), seq=5)

    peer.expect_sent("2", {Tag.BeginSeqNo: 2, Tag.EndSeqNo: 0})
    assert peer.next_num_in == 2
    peer.expect_connected()


def test_10b_gap_fill_with_expected_msgseqnum_moves_next_num_in(peer: ScriptedPeer) -> None:
    """10b: SequenceReset-GapFill numbered NextNumIn with NewSeqNo 7: NextNumIn = 7."""
    peer.send("4", (Tag.GapFillFlag, True), (Tag.NewSeqNo, 7))

    assert peer.next_num_in == 7
    peer.expect_nothing_sent()
    peer.next_seq = 7
    peer.send("D", *order_fields())
    assert len(peer.app_messages()) == 1
    assert peer.next_num_in == 8


def test_10c_gap_fill_below_expected_with_possdup_is_ignored(peer: ScriptedPeer) -> None:
    """10c: SequenceReset-GapFill, MsgSeqNum < NextNumIn, PossDupFlag=Y: ignored."""
    peer.send("0")
    peer.send("0")
    peer.send(
        "4",
        (Tag.GapFillFlag, True),
        (Tag.NewSeqNo, 9),
        seq=2,
        poss_dup=True,
        orig_sending_time=format_utc_timestamp(peer.now - SECOND),
    )

    assert peer.next_num_in == 4
    peer.expect_nothing_sent()
    peer.expect_connected()


def test_10d_gap_fill_below_expected_without_possdup_logs_out(peer: ScriptedPeer) -> None:
    """10d: SequenceReset-GapFill, MsgSeqNum < NextNumIn, no PossDupFlag: Logout(5)
    "MsgSeqNum too low, expecting 4 ...", disconnect."""
    peer.send("0")
    peer.send("0")
    peer.send("4", (Tag.GapFillFlag, True), (Tag.NewSeqNo, 9), seq=2)

    peer.expect_logout_and_disconnect("MsgSeqNum too low", "expecting 4")
    assert peer.next_num_in == 4


@pytest.mark.parametrize("new_seq_no", [2, 1])
def test_10e_gap_fill_that_would_lower_the_sequence_is_rejected(
    peer: ScriptedPeer, new_seq_no: int
) -> None:
    """10e: SequenceReset-GapFill numbered NextNumIn with NewSeqNo <= MsgSeqNum: Reject(3)
    "attempt to lower sequence number" (373=5 on NewSeqNo(36)); NextNumIn not lowered."""
    peer.send("4", (Tag.GapFillFlag, True), (Tag.NewSeqNo, new_seq_no))

    peer.expect_reject(2, 5, Tag.NewSeqNo, text_contains=["lower", "NewSeqNo"])
    assert peer.next_num_in >= 2
    peer.expect_connected()


@pytest.mark.parametrize("msg_seq_num", [1, 2, 50])
def test_11a_reset_to_higher_number_is_accepted_whatever_its_msgseqnum(
    peer: ScriptedPeer, msg_seq_num: int
) -> None:
    """11a: SequenceReset-Reset NewSeqNo 20 > NextNumIn: NextNumIn = 20, whatever the
    Reset's own MsgSeqNum (lower, equal or higher); no ResendRequest, no Logout."""
    peer.send("4", (Tag.NewSeqNo, 20), seq=msg_seq_num)

    assert peer.next_num_in == 20
    peer.expect_nothing_sent()
    peer.expect_connected()
    peer.next_seq = 20
    peer.send("D", *order_fields())
    assert len(peer.app_messages()) == 1


def test_11b_reset_to_the_expected_number_changes_nothing(peer: ScriptedPeer) -> None:
    """11b: SequenceReset-Reset NewSeqNo = NextNumIn: accepted, nothing changes or is sent."""
    peer.send("4", (Tag.GapFillFlag, False), (Tag.NewSeqNo, 2), seq=7)

    assert peer.next_num_in == 2
    peer.expect_nothing_sent()
    peer.expect_connected()


def test_11c_reset_to_lower_number_is_rejected(peer: ScriptedPeer) -> None:
    """11c: SequenceReset-Reset NewSeqNo < NextNumIn: Reject(3) 373=5 on NewSeqNo(36);
    NextNumIn unchanged."""
    peer.send("0")
    peer.send("0")
    peer.send("4", (Tag.NewSeqNo, 2))

    peer.expect_reject(4, 5, Tag.NewSeqNo)
    assert peer.next_num_in == 4
    peer.expect_connected()


def test_20_resend_request_while_our_own_is_outstanding(peer: ScriptedPeer) -> None:
    """20: a ResendRequest(2) arrives (itself out of sequence) while ours is outstanding:
    resend what it asks at once, then complete our recovery; every message exactly once."""
    _send_order(peer, "OURS-2")
    _send_order(peer, "OURS-3")
    peer.outbox.clear()

    # The peer's messages 2..4 are lost; its 5 reaches us: we ask for 2.. .
    peer.next_seq = 5
    peer.send("D", *order_fields("THEIRS-5"))
    peer.expect_sent("2", {Tag.MsgSeqNum: 4, Tag.BeginSeqNo: 2, Tag.EndSeqNo: 0})

    # It asks for our 2..3 in its message 6, before answering ours.
    peer.send("2", (Tag.BeginSeqNo, 2), (Tag.EndSeqNo, 3))
    peer.expect_sent("D", {Tag.MsgSeqNum: 2, Tag.PossDupFlag: "Y", Tag.ClOrdID: "OURS-2"})
    peer.expect_sent("D", {Tag.MsgSeqNum: 3, Tag.PossDupFlag: "Y", Tag.ClOrdID: "OURS-3"})
    peer.expect_nothing_sent()

    # Now it fills our gap: 2..4 resent, then 5 and 6 come off our queue.
    orig = format_utc_timestamp(peer.now - SECOND)
    peer.next_seq = 2
    for name in ("THEIRS-2", "THEIRS-3", "THEIRS-4"):
        peer.send("D", *order_fields(name), poss_dup=True, orig_sending_time=orig)

    delivered = [e.message.get_str(Tag.ClOrdID) for e in peer.events if isinstance(e, AppMessage)]
    assert delivered == ["THEIRS-2", "THEIRS-3", "THEIRS-4", "THEIRS-5"]
    assert peer.next_num_in == 7
    # The ResendRequest numbered 6 was answered on arrival, not a second time from the queue.
    peer.expect_nothing_sent()
    peer.expect_connected()
