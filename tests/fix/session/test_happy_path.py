"""Logon, application messages both ways, heartbeats and the Logout handshake."""

from __future__ import annotations

import pytest

from ordergate.fix.codec import parse
from ordergate.fix.dictionary import load_dictionary
from ordergate.fix.message import FixMessage
from ordergate.fix.session import (
    AppMessage,
    LoggedOn,
    LoggedOut,
    SessionState,
)
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.store import Direction
from tests.fix.session.pair import SECOND, SessionPair, acceptor_config, initiator_config


def new_order(cl_ord_id: str = "ORD1") -> FixMessage:
    return FixMessage.of("D", (11, cl_ord_id), (55, "ACME"), (54, "1"), (38, "100"), (40, "1"))


def test_logon_exchange_makes_both_sides_active() -> None:
    pair = SessionPair()

    pair.connect()

    assert pair.initiator.session.state is SessionState.ACTIVE
    assert pair.acceptor.session.state is SessionState.ACTIVE
    assert pair.initiator.take_events() == [LoggedOn(30, False)]
    assert pair.acceptor.take_events() == [LoggedOn(30, False)]
    assert pair.initiator.sent_types() == ["A"]
    assert pair.acceptor.sent_types() == ["A"]
    logon = pair.initiator.written[0]
    assert logon.get(98) == b"0"
    assert logon.get(108) == b"30"
    assert 141 not in logon
    for side in (pair.initiator, pair.acceptor):
        assert side.store.next_sender_seq() == 2
        assert side.store.next_target_seq() == 2


def test_header_order_and_millisecond_sending_time() -> None:
    pair = SessionPair()
    pair.connect()

    pair.initiator.session.send(new_order(), pair.now)
    pair.pump()

    order = pair.initiator.written[-1]
    assert [tag for tag, _ in order.fields[:7]] == [8, 9, 35, 34, 49, 52, 56]
    assert order.get(52) == b"20261121-10:11:12.345"
    assert order.get(49) == b"BUY"
    assert order.get(56) == b"SELL"
    assert order.get(34) == b"2"


def test_application_header_fields_are_sorted_into_the_header() -> None:
    pair = SessionPair()
    pair.connect()
    message = FixMessage.of("D", (11, "X"), (55, "ACME"), (54, "1"), (38, "1"), (40, "1"))
    message.append(50, "TRADER")
    message.append(34, "999")  # the session owns MsgSeqNum: replaced

    pair.initiator.session.send(message, pair.now)
    pair.pump()

    tags = [tag for tag, _ in pair.initiator.written[-1].fields]
    assert tags[:8] == [8, 9, 35, 34, 49, 50, 52, 56]
    assert tags.count(34) == 1
    assert message.get(34) == b"999"  # the caller's message is untouched


def test_application_messages_flow_both_ways_in_order() -> None:
    pair = SessionPair()
    pair.connect()
    pair.initiator.take_events()
    pair.acceptor.take_events()

    seqs = [pair.initiator.session.send(new_order(f"O{i}"), pair.now) for i in range(3)]
    report = FixMessage.of("8", (37, "X1"), (11, "O0"), (150, "0"), (39, "0"))
    back = pair.acceptor.session.send(report, pair.now)
    pair.pump()

    assert seqs == [2, 3, 4]
    assert back == 2
    received = pair.acceptor.take_events()
    assert [e.message.get(11) for e in received if isinstance(e, AppMessage)] == [
        b"O0",
        b"O1",
        b"O2",
    ]
    assert all(isinstance(e, AppMessage) and not e.poss_dup for e in received)
    assert pair.initiator.take_events() == [AppMessage(pair.acceptor.written[-1], False)]
    assert pair.initiator.written[-1].msg_type == "D"
    assert pair.acceptor.store.next_target_seq() == 5


def test_every_message_is_logged_and_application_messages_kept() -> None:
    pair = SessionPair()
    pair.connect()

    seq = pair.initiator.session.send(new_order(), pair.now)
    pair.pump()

    log = pair.initiator.store.log
    assert [(d, parse(raw).msg_type) for d, raw, _ in log] == [
        (Direction.OUT, "A"),
        (Direction.IN, "A"),
        (Direction.OUT, "D"),
    ]
    assert [s for s, _ in pair.initiator.store.get_sent(1, 10)] == [seq]
    assert [parse(raw).msg_type for _, raw, _ in pair.acceptor.store.log] == ["A", "A", "D"]


def test_heartbeat_after_an_interval_of_silence() -> None:
    pair = SessionPair(initiator_config(heartbeat_interval=5))
    pair.connect()
    assert pair.initiator.session.get_timer() == pair.now + 5 * SECOND

    pair.advance(5)

    assert pair.initiator.sent_types() == ["A", "0"]
    assert pair.acceptor.sent_types() == ["A", "0"]
    assert pair.initiator.session.state is SessionState.ACTIVE


def test_heartbeats_keep_an_idle_session_up() -> None:
    pair = SessionPair(initiator_config(heartbeat_interval=2))
    pair.connect()

    pair.advance(60)

    assert pair.initiator.session.state is SessionState.ACTIVE
    assert pair.acceptor.session.state is SessionState.ACTIVE
    assert set(pair.initiator.sent_types()[1:]) == {"0"}
    assert "1" not in pair.acceptor.sent_types()


def test_logout_handshake() -> None:
    pair = SessionPair()
    pair.connect()
    pair.initiator.take_events()
    pair.acceptor.take_events()

    pair.initiator.session.logout(pair.now, "end of day")
    assert pair.initiator.session.state is SessionState.LOGOUT_SENT
    pair.pump()

    assert pair.acceptor.take_events() == [LoggedOut("end of day")]
    assert pair.initiator.take_events() == [LoggedOut("")]
    assert pair.initiator.sent_types() == ["A", "5"]
    assert pair.acceptor.sent_types() == ["A", "5"]
    assert pair.initiator.session.state is SessionState.DISCONNECTED
    assert pair.acceptor.session.state is SessionState.DISCONNECTED
    assert pair.initiator.written[-1].get(58) == b"end of day"


def test_reconnect_continues_the_sequence() -> None:
    pair = SessionPair()
    pair.connect()
    pair.initiator.session.logout(pair.now)
    pair.pump()

    pair.connect()

    assert pair.initiator.session.state is SessionState.ACTIVE
    assert pair.initiator.written[-1].get(34) == b"3"
    assert pair.acceptor.store.next_target_seq() == 4


@pytest.mark.parametrize("begin_string", ["FIX.4.2", "FIX.4.4"])
def test_round_trip_validated_by_the_real_dictionary(begin_string: str) -> None:
    pair = SessionPair(
        initiator_config(begin_string, heartbeat_interval=2),
        acceptor_config(begin_string),
        dictionary=load_dictionary(begin_string),
    )
    pair.connect()
    order = FixMessage.of(
        "D",
        (11, "ORD1"),
        (21, "1"),
        (55, "ACME"),
        (54, "1"),
        (60, format_utc_timestamp(pair.now)),
        (38, "100"),
        (40, "2"),
        (44, "10.5"),
    )

    pair.initiator.session.send(order, pair.now)
    pair.pump()
    pair.advance(10)
    pair.initiator.session.logout(pair.now)
    pair.pump()

    events = pair.acceptor.take_events()
    assert [type(e).__name__ for e in events] == ["LoggedOn", "AppMessage", "LoggedOut"]
    assert pair.initiator.take_events()[-1] == LoggedOut("")
