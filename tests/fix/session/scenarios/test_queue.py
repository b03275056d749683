"""Scenario 16 (a-b): application messages sent while disconnected, and the reconnect.

The session takes the standard's second approach: a message sent while disconnected is
stored under the next MsgSeqNum(34) at once; after the next Logon(A) the counterparty sees
the gap and its ResendRequest(2) gets the messages, with PossDupFlag(43)=Y.
"""

from __future__ import annotations

from ordergate.fix.message import FixMessage
from ordergate.fix.session.config import Role
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import ScriptedPeer, order_fields


def _queue_two_orders(peer: ScriptedPeer) -> dict[int, FixMessage]:
    peer.lose_connection()
    queued = {}
    for name in ("Q-1", "Q-2"):
        message = FixMessage.of("D", *order_fields(name, now=peer.now))
        queued[peer.session.send(message, peer.now)] = message
        peer.pump()
        peer.advance(5)
    return queued


def test_16a_messages_sent_while_disconnected_are_queued(peer: ScriptedPeer) -> None:
    """16a: while disconnected, application messages are kept, each consuming the next
    MsgSeqNum; nothing reaches the wire."""
    queued = _queue_two_orders(peer)

    assert list(queued) == [2, 3]
    assert peer.next_num_out == 4
    peer.expect_nothing_sent()
    assert [seq for seq, _ in peer.store.get_sent(2, 3)] == [2, 3]


def test_16b_reconnect_delivers_queued_messages_by_resend(peer: ScriptedPeer) -> None:
    """16b: reconnect: the Logon(A) exchange completes with our Logon numbered after the
    queued messages; the counterparty's ResendRequest(2) gets them with PossDupFlag=Y and
    a SendingTime(52) of the moment they are actually sent."""
    _queue_two_orders(peer)
    peer.connect()
    if peer.role is Role.INITIATOR:
        peer.expect_sent("A", {Tag.MsgSeqNum: 4})
        peer.send_logon()
    else:
        peer.send_logon()
        peer.expect_sent("A", {Tag.MsgSeqNum: 4})
    assert peer.session.logged_on
    peer.expect_nothing_sent()
    peer.advance(1)

    peer.send("2", (Tag.BeginSeqNo, 2), (Tag.EndSeqNo, 3))

    for seq, name in ((2, "Q-1"), (3, "Q-2")):
        resent = peer.expect_sent(
            "D", {Tag.MsgSeqNum: seq, Tag.PossDupFlag: "Y", Tag.ClOrdID: name}
        )
        assert resent.get(Tag.SendingTime) == format_utc_timestamp(peer.now)
        assert resent.get(Tag.OrigSendingTime) is not None
    peer.expect_nothing_sent()
    assert peer.next_num_out == 5
