"""Scenarios 12 and 13 (a-b): the Logout(5) handshake, initiated by us or by the peer."""

from __future__ import annotations

import pytest

from ordergate.fix.session.events import LoggedOut
from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import ScriptedPeer


@pytest.mark.parametrize("answered", [True, False], ids=["answered", "unanswered"])
def test_12_initiate_logout(peer: ScriptedPeer, answered: bool) -> None:
    """12: we log out: Logout(5) goes out; we disconnect on the answer, or after the logout
    timeout when none comes (and not before)."""
    peer.session.logout(peer.now, text="end of day")
    peer.pump()
    peer.expect_sent("5", {Tag.MsgSeqNum: 2, Tag.Text: "end of day"})
    peer.expect_connected()

    if answered:
        peer.send("5")
    else:
        peer.advance(peer.config.logout_timeout - 0.5)
        peer.expect_connected()
        peer.advance(1)

    peer.expect_disconnect()
    peer.expect_nothing_sent()


def test_13a_logout_answer_ends_without_sending(peer: ScriptedPeer) -> None:
    """13a: the Logout(5) answering ours: disconnect without sending anything more."""
    peer.session.logout(peer.now)
    peer.pump()
    peer.expect_sent("5")

    events = peer.send("5", (Tag.Text, "bye"))

    assert any(isinstance(e, LoggedOut) for e in events)
    peer.expect_disconnect()
    peer.expect_nothing_sent()


def test_13b_unsolicited_logout_is_answered(peer: ScriptedPeer) -> None:
    """13b: an unsolicited Logout(5): answer with Logout(5), then disconnect (at once or
    within 10 s when the peer does not close first)."""
    peer.send("5", (Tag.Text, "maintenance"))

    peer.expect_sent("5", {Tag.MsgSeqNum: 2})
    if not peer.disconnected:
        peer.advance(10)
    peer.expect_disconnect()
    peer.expect_nothing_sent()
    assert peer.next_num_in == 3
