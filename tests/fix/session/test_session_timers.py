"""Heartbeat, TestRequest, timeouts, status and the reset options."""

from __future__ import annotations

from ordergate.fix.message import FixMessage
from ordergate.fix.session import (
    Disconnect,
    LoggedOut,
    SessionState,
    SessionStatusSnapshot,
)
from tests.fix.session.driver import Driver
from tests.fix.session.pair import SECOND, SessionPair, acceptor_config, initiator_config


def test_test_request_after_silence_then_heartbeat_answer_measures_latency() -> None:
    d = Driver(heartbeat_interval=10)
    d.logged_on(heartbeat_interval=10)
    start = d.now

    d.advance(10)
    assert [m.msg_type for m in d.sent()] == ["0"]
    assert d.session.get_timer() == start + 12 * SECOND
    d.advance(2)
    [test_request] = d.sent()
    assert test_request.msg_type == "1"
    test_req_id = test_request.get(112)
    assert test_req_id

    d.now += 250_000_000
    d.feed(d.raw("0", (112, test_req_id.decode())))

    status = d.session.status(d.now)
    assert status.latency_ns == 250_000_000
    assert status.last_heartbeat_ns == d.now


def test_unanswered_test_request_disconnects_after_another_interval() -> None:
    d = Driver(heartbeat_interval=10)
    d.logged_on(heartbeat_interval=10)
    d.advance(12)
    assert "1" in [m.msg_type for m in d.sent()]

    assert d.advance(9.9) == []
    assert d.advance(0.1) == [Disconnect("TestRequest(1) not answered")]
    assert d.session.state is SessionState.DISCONNECTED


def test_any_message_counts_as_an_answer_to_a_test_request() -> None:
    d = Driver(heartbeat_interval=10)
    d.logged_on(heartbeat_interval=10)
    d.advance(12)
    d.feed(d.raw("D", (11, "alive")))

    assert d.advance(10) == []
    assert d.session.state is SessionState.ACTIVE


def test_test_request_is_answered_with_its_id() -> None:
    d = Driver()
    d.logged_on()

    assert d.feed(d.raw("1", (112, "PING-7"))) == []
    [heartbeat] = d.sent()
    assert (heartbeat.msg_type, heartbeat.get(112)) == ("0", b"PING-7")


def test_silent_link_ends_in_test_request_then_disconnect_over_the_pair() -> None:
    pair = SessionPair(initiator_config(heartbeat_interval=1))
    pair.connect()
    pair.initiator.take_events()

    def drop(raw: bytes) -> bytes | None:
        return None

    pair.acceptor.intercept = drop

    pair.advance(3)

    assert pair.initiator.sent_types()[1:] == ["0", "1"]
    assert pair.initiator.take_events() == [Disconnect("TestRequest(1) not answered")]
    assert pair.initiator.session.state is SessionState.DISCONNECTED
    assert pair.acceptor.session.state is SessionState.DISCONNECTED


def test_zero_heartbeat_interval_disables_heartbeats() -> None:
    d = Driver()
    d.logged_on(heartbeat_interval=0)

    assert d.session.get_timer() is None
    assert d.advance(3600) == []


def test_logout_timeout_ends_the_session() -> None:
    d = Driver(logout_timeout=2)
    d.logged_on()
    d.session.logout(d.now, "bye")
    [logout] = d.sent()
    assert logout.get(58) == b"bye"

    assert d.advance(1.9) == []
    assert d.advance(0.1) == [LoggedOut("Logout timeout")]
    assert d.session.state is SessionState.DISCONNECTED


def test_counterparty_logout_is_answered() -> None:
    d = Driver()
    d.logged_on()

    assert d.feed(d.raw("5", (58, "closing"))) == [LoggedOut("closing")]
    [reply] = d.sent()
    assert reply.msg_type == "5"
    assert d.store.next_target_seq() == 3


def test_early_logout_is_answered_without_a_resend() -> None:
    d = Driver()
    d.logged_on()

    assert d.feed(d.raw("5", seq=9)) == [LoggedOut("")]
    assert [m.msg_type for m in d.sent()] == ["5"]


def test_messages_after_logout_sent_are_still_processed() -> None:
    d = Driver()
    d.logged_on()
    d.session.logout(d.now)
    d.sent()

    events = d.feed(d.raw("D", (11, "late")), d.raw("5"))

    assert [type(e).__name__ for e in events] == ["AppMessage", "LoggedOut"]
    assert d.sent() == []


def test_reset_on_logout_starts_the_next_session_at_one() -> None:
    pair = SessionPair(
        initiator_config(reset_on_logout=True), acceptor_config(reset_on_logout=True)
    )
    pair.connect()
    pair.initiator.session.send(FixMessage.of("D", (11, "X")), pair.now)
    pair.pump()

    pair.initiator.session.logout(pair.now)
    pair.pump()

    for side in (pair.initiator, pair.acceptor):
        assert (side.store.next_sender_seq(), side.store.next_target_seq()) == (1, 1)
    pair.connect()
    assert pair.initiator.written[-1].get(34) == b"1"
    assert pair.acceptor.session.state is SessionState.ACTIVE


def test_reset_on_disconnect() -> None:
    d = Driver(reset_on_disconnect=True)
    d.logged_on()
    d.feed(d.raw("0"))

    d.session.connection_lost(d.now)

    assert (d.store.next_sender_seq(), d.store.next_target_seq()) == (1, 1)


def test_without_reset_options_numbers_survive_a_disconnect() -> None:
    d = Driver()
    d.logged_on()

    d.session.connection_lost(d.now)
    d.session.connection_lost(d.now)

    assert (d.store.next_sender_seq(), d.store.next_target_seq()) == (2, 2)
    assert d.session.state is SessionState.DISCONNECTED
    assert d.session.get_timer() is None


def test_bytes_after_a_disconnect_are_ignored() -> None:
    d = Driver()
    d.logged_on()
    d.session.connection_lost(d.now)

    assert d.feed(d.raw("D", (11, "X"))) == []
    assert d.store.next_target_seq() == 2


def test_status_snapshot() -> None:
    d = Driver()
    before = d.session.status(d.now)
    assert before.state is SessionState.DISCONNECTED
    assert not before.logged_on
    d.logged_on()
    d.now += SECOND
    d.feed(d.raw("0"))

    status = d.session.status(d.now)

    assert status == SessionStatusSnapshot(
        session_id="FIX.4.4:SELL->BUY",
        state=SessionState.ACTIVE,
        logged_on=True,
        next_sender_seq=2,
        next_target_seq=3,
        last_sent_ns=d.now - SECOND,
        last_received_ns=d.now,
        last_heartbeat_ns=d.now,
        latency_ns=None,
        as_of_ns=d.now,
    )
