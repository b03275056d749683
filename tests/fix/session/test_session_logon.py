"""Logon(A): checks, resets, credentials, sequence numbers and timeouts."""

from __future__ import annotations

import pytest

from ordergate.fix.message import FixMessage
from ordergate.fix.session import (
    Disconnect,
    InvalidStateTransition,
    LoggedOn,
    LoggedOut,
    Role,
    SequenceGap,
    SessionState,
)
from tests.fix.session.driver import Driver
from tests.fix.session.pair import SessionPair, acceptor_config, initiator_config


def test_acceptor_answers_logon_with_the_initiators_heartbeat_interval() -> None:
    d = Driver()
    d.session.connection_made(d.now)

    events = d.feed(d.raw("A", (98, 0), (108, 7)))

    assert events == [LoggedOn(7, False)]
    [reply] = d.sent()
    assert reply.msg_type == "A"
    assert reply.get(108) == b"7"
    assert reply.get(98) == b"0"
    assert d.session.heartbeat_interval == 7
    assert d.store.next_target_seq() == 2


def test_first_message_not_a_logon_disconnects_without_logout() -> None:
    d = Driver()
    d.session.connection_made(d.now)

    events = d.feed(d.raw("D", (11, "X")))

    assert events == [Disconnect("first message not a Logon(A)")]
    assert d.sent() == []
    assert d.session.state is SessionState.DISCONNECTED


def test_initiator_disconnects_when_the_answer_is_not_a_logon() -> None:
    d = Driver(Role.INITIATOR)
    d.session.connection_made(d.now)
    assert [m.msg_type for m in d.sent()] == ["A"]

    assert d.feed(d.raw("0")) == [Disconnect("first message not a Logon(A)")]


def test_logon_with_seq_too_low_is_refused_with_logout() -> None:
    d = Driver()
    d.store.set_next_target_seq(5)
    d.session.connection_made(d.now)

    events = d.feed(d.raw("A", (98, 0), (108, 30), seq=3))

    assert events == [Disconnect("MsgSeqNum too low, expecting 5 but received 3")]
    [logout] = d.sent()
    assert logout.msg_type == "5"
    assert logout.get(58) == b"MsgSeqNum too low, expecting 5 but received 3"


def test_logon_with_seq_too_high_is_accepted_then_resend_requested() -> None:
    d = Driver()
    d.session.connection_made(d.now)

    events = d.feed(d.raw("A", (98, 0), (108, 30), seq=4))

    assert events == [LoggedOn(30, False), SequenceGap(1, 3)]
    logon, resend = d.sent()
    assert logon.msg_type == "A"
    assert resend.msg_type == "2"
    assert (resend.get(7), resend.get(16)) == (b"1", b"0")
    # The peer fills 1..3 (its Logon at 4 was already processed).
    d.feed(d.raw("4", (123, "Y"), (36, 5), seq=1, header=((43, "Y"),)))
    assert d.store.next_target_seq() == 5
    assert d.feed(d.raw("0", seq=5)) == []
    assert d.store.next_target_seq() == 6


def test_reset_seq_num_flag_resets_both_numbers() -> None:
    d = Driver()
    d.store.set_next_sender_seq(40)
    d.store.set_next_target_seq(50)
    d.session.connection_made(d.now)

    events = d.feed(d.raw("A", (98, 0), (108, 30), (141, "Y"), seq=1))

    assert events == [LoggedOn(30, True)]
    [reply] = d.sent()
    assert reply.get(141) == b"Y"
    assert reply.get(34) == b"1"
    assert (d.store.next_sender_seq(), d.store.next_target_seq()) == (2, 2)


def test_initiator_reset_on_logon_sends_the_flag_and_starts_at_one() -> None:
    pair = SessionPair(initiator_config(reset_on_logon=True))
    pair.initiator.store.set_next_sender_seq(17)
    pair.acceptor.store.set_next_target_seq(17)

    pair.connect()

    logon = pair.initiator.written[0]
    assert (logon.get(141), logon.get(34)) == (b"Y", b"1")
    assert pair.acceptor.written[0].get(141) == b"Y"
    assert pair.initiator.take_events() == [LoggedOn(30, True)]
    assert pair.acceptor.take_events() == [LoggedOn(30, True)]


def test_in_session_reset_logon_keeps_the_session_up() -> None:
    d = Driver()
    d.logged_on()
    d.feed(d.raw("0"), d.raw("0"))

    events = d.feed(d.raw("A", (98, 0), (108, 30), (141, "Y"), seq=1))

    assert events == [LoggedOn(30, True)]
    assert d.session.state is SessionState.ACTIVE
    [reply] = d.sent()
    assert (reply.msg_type, reply.get(34), reply.get(141)) == ("A", b"1", b"Y")
    assert (d.store.next_sender_seq(), d.store.next_target_seq()) == (2, 2)


def test_logon_while_logged_on_without_reset_logs_out() -> None:
    d = Driver()
    d.logged_on()

    assert d.feed(d.raw("A", (98, 0), (108, 30))) == [Disconnect("unexpected Logon(A)")]


def test_fix44_initiator_sends_username_and_password() -> None:
    pair = SessionPair(
        initiator_config(username="alice", password="secret"),
        acceptor_config(username="alice", password="secret"),
    )

    pair.connect()

    logon = pair.initiator.written[0]
    assert (logon.get(553), logon.get(554)) == (b"alice", b"secret")
    assert 553 not in pair.acceptor.written[0]
    assert pair.acceptor.session.state is SessionState.ACTIVE


def test_fix42_logon_carries_no_credentials() -> None:
    pair = SessionPair(
        initiator_config("FIX.4.2", username="alice", password="secret"),
        acceptor_config("FIX.4.2"),
    )

    pair.connect()

    assert 553 not in pair.initiator.written[0]
    assert pair.initiator.session.state is SessionState.ACTIVE


def test_acceptor_refuses_wrong_password() -> None:
    pair = SessionPair(
        initiator_config(username="alice", password="guess"),
        acceptor_config(username="alice", password="secret"),
    )

    pair.connect()

    reason = "invalid Logon(A): Username(553)/Password(554) refused"
    assert pair.acceptor.take_events() == [Disconnect(reason)]
    assert pair.acceptor.sent_types() == ["5"]
    assert pair.initiator.take_events() == [LoggedOut(reason)]
    assert pair.initiator.session.state is SessionState.DISCONNECTED


@pytest.mark.parametrize(
    ("sender", "target"), [("INTRUDER", "SELL"), ("BUY", "SOMEONE")], ids=["sender", "target"]
)
def test_acceptor_refuses_logon_for_other_comp_ids(sender: str, target: str) -> None:
    d = Driver()
    d.session.connection_made(d.now)

    [event] = d.feed(d.raw("A", (98, 0), (108, 30), sender=sender, target=target))

    assert isinstance(event, Disconnect)
    assert "CompID" in event.reason
    assert [m.msg_type for m in d.sent()] == ["5"]


def test_logon_without_heartbeat_interval_is_refused() -> None:
    d = Driver()
    d.session.connection_made(d.now)

    [event] = d.feed(d.raw("A", (98, 0)))

    assert isinstance(event, Disconnect)
    assert "HeartBtInt" in event.reason


def test_logon_timeout_disconnects_both_roles() -> None:
    for role in Role:
        d = Driver(role, logon_timeout=5)
        d.session.connection_made(d.now)
        assert d.session.get_timer() == d.now + 5_000_000_000

        assert d.advance(4) == []
        assert d.advance(1) == [Disconnect("Logon timeout")]
        assert d.session.get_timer() is None


def test_connect_twice_is_an_invalid_transition() -> None:
    d = Driver()
    d.session.connection_made(d.now)

    with pytest.raises(InvalidStateTransition):
        d.session.connection_made(d.now)
    assert d.session.state is SessionState.AWAIT_LOGON


def test_logout_while_disconnected_is_an_invalid_transition() -> None:
    d = Driver()

    with pytest.raises(InvalidStateTransition):
        d.session.logout(d.now)
    assert d.session.data_to_send() == b""


def test_messages_sent_during_logon_follow_the_logon_reply() -> None:
    pair = SessionPair()
    pair.initiator.session.connection_made(pair.now)
    pair.acceptor.session.connection_made(pair.now)

    seq = pair.initiator.session.send(FixMessage.of("D", (11, "EARLY")), pair.now)
    assert pair.initiator.session.data_to_send().count(b"\x0135=") == 1  # the Logon only
    pair.acceptor.session.receive_data(pair.initiator.store.log[0][1])
    pair.pump()

    assert seq == 2
    assert pair.acceptor.store.next_target_seq() == 3
    assert pair.acceptor.take_events()[-1].message.get(11) == b"EARLY"  # type: ignore[union-attr]
