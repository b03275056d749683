"""Scenarios 4 (a-b), 5, 6 and 7: heartbeats, test requests and receiving Reject(3)."""

from __future__ import annotations

from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import ScriptedPeer


def test_4a_heartbeat_after_silent_interval(peer: ScriptedPeer) -> None:
    """4a: nothing sent for HeartBtInt: Heartbeat(0) without TestReqID(112); not before."""
    interval = peer.config.heartbeat_interval
    peer.advance(interval - 1)
    peer.expect_nothing_sent()
    # Keep the peer talking so that only our heartbeat timer matters.
    peer.send("0")
    peer.advance(1)
    peer.expect_sent("0", {Tag.MsgSeqNum: 2}, absent=[Tag.TestReqID])
    peer.expect_nothing_sent()
    peer.send("0")
    peer.advance(interval)
    peer.expect_sent("0", {Tag.MsgSeqNum: 3}, absent=[Tag.TestReqID])
    peer.expect_connected()


def test_4b_test_request_is_answered_with_its_id(peer: ScriptedPeer) -> None:
    """4b: TestRequest(1) received: Heartbeat(0) carrying its TestReqID(112)."""
    peer.send("1", (Tag.TestReqID, "PING-42"))
    peer.expect_sent("0", {Tag.TestReqID: "PING-42", Tag.MsgSeqNum: 2})
    peer.expect_nothing_sent()
    assert peer.next_num_in == 3


def test_5_valid_heartbeat_is_accepted(peer: ScriptedPeer) -> None:
    """5: a valid Heartbeat(0) is accepted: NextNumIn + 1, nothing sent in reply."""
    events = peer.send("0")
    assert events == []
    assert peer.next_num_in == 3
    peer.expect_nothing_sent()
    peer.expect_connected()


def test_6_silent_counterparty_gets_test_request_then_disconnect(peer: ScriptedPeer) -> None:
    """6: nothing received for HeartBtInt + 20%: TestRequest(1); its Heartbeat(0) answer
    (matched on TestReqID) keeps the session; an unanswered one ends it."""
    interval = peer.config.heartbeat_interval
    peer.advance(interval)
    peer.expect_sent("0")  # our own heartbeat: we sent nothing either
    peer.advance(interval * 0.2 - 0.5)
    peer.expect_nothing_sent()
    peer.advance(1)
    request = peer.expect_sent("1")
    test_req_id = request.get(Tag.TestReqID)
    assert test_req_id

    # An unrelated heartbeat first ("may not be the next message received"), then the answer.
    peer.send("0")
    peer.send("0", (Tag.TestReqID, test_req_id))
    peer.expect_nothing_sent()
    peer.expect_connected()

    # Silence again, and this time the TestRequest goes unanswered.
    peer.advance(interval * 1.2 + 1)
    while peer.outbox and peer.outbox[0].message.msg_type == "0":
        peer.outbox.pop(0)
    second = peer.expect_sent("1")
    assert second.get(Tag.TestReqID) != test_req_id
    peer.advance(interval * 2)
    peer.expect_disconnect()


def test_7_valid_reject_is_accepted(peer: ScriptedPeer) -> None:
    """7: a valid Reject(3): NextNumIn + 1, nothing sent, messages keep being accepted."""
    peer.send("3", (Tag.RefSeqNum, 1), (Tag.SessionRejectReason, 5), (Tag.Text, "no"))
    assert peer.next_num_in == 3
    peer.expect_nothing_sent()
    peer.send("1", (Tag.TestReqID, "AFTER-REJECT"))
    peer.expect_sent("0", {Tag.TestReqID: "AFTER-REJECT"})
    peer.expect_connected()
