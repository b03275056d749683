"""The session's transition table and its state machine."""

from __future__ import annotations

import pytest

from ordergate.fix.session.state import (
    TRANSITIONS,
    InvalidStateTransition,
    SessionState,
    SessionStateMachine,
    Trigger,
)

S = SessionState
T = Trigger


@pytest.mark.parametrize(
    ("start", "trigger", "end"),
    [
        (S.DISCONNECTED, T.CONNECT_AS_INITIATOR, S.LOGON_SENT),
        (S.DISCONNECTED, T.CONNECT_AS_ACCEPTOR, S.AWAIT_LOGON),
        (S.LOGON_SENT, T.LOGON_ACCEPTED, S.ACTIVE),
        (S.AWAIT_LOGON, T.LOGON_ACCEPTED, S.ACTIVE),
        (S.ACTIVE, T.LOGON_ACCEPTED, S.ACTIVE),
        (S.ACTIVE, T.LOGOUT_REQUESTED, S.LOGOUT_SENT),
        (S.ACTIVE, T.LOGOUT_RECEIVED, S.DISCONNECTED),
        (S.LOGOUT_SENT, T.LOGOUT_RECEIVED, S.DISCONNECTED),
        (S.LOGON_SENT, T.LOGOUT_RECEIVED, S.DISCONNECTED),
        (S.ACTIVE, T.DISCONNECT, S.DISCONNECTED),
        (S.DISCONNECTED, T.CONNECTION_LOST, S.DISCONNECTED),
    ],
)
def test_allowed_transitions(start: SessionState, trigger: Trigger, end: SessionState) -> None:
    machine = SessionStateMachine(start)

    assert machine.trigger(trigger) is end
    assert machine.state is end


@pytest.mark.parametrize(
    ("start", "trigger"),
    [
        (S.DISCONNECTED, T.LOGOUT_REQUESTED),
        (S.DISCONNECTED, T.LOGON_ACCEPTED),
        (S.DISCONNECTED, T.DISCONNECT),
        (S.ACTIVE, T.CONNECT_AS_INITIATOR),
        (S.AWAIT_LOGON, T.LOGOUT_REQUESTED),
        (S.LOGOUT_SENT, T.LOGOUT_REQUESTED),
        (S.LOGOUT_SENT, T.LOGON_ACCEPTED),
    ],
)
def test_illegal_transition_raises_and_changes_nothing(
    start: SessionState, trigger: Trigger
) -> None:
    machine = SessionStateMachine(start)

    with pytest.raises(InvalidStateTransition, match=f"{start.value} -> {trigger.value}"):
        machine.trigger(trigger)
    assert machine.state is start
    assert not machine.can(trigger)


def test_every_connected_state_can_lose_its_connection() -> None:
    for state in SessionState:
        assert TRANSITIONS[(state, T.CONNECTION_LOST)] is S.DISCONNECTED


def test_disconnected_is_reachable_from_every_state_and_only_connect_leaves_it() -> None:
    leaving = {t for (s, t), end in TRANSITIONS.items() if s is S.DISCONNECTED and end is not s}

    assert leaving == {T.CONNECT_AS_INITIATOR, T.CONNECT_AS_ACCEPTOR}
    for state in SessionState:
        if state is not S.DISCONNECTED:
            assert TRANSITIONS[(state, T.DISCONNECT)] is S.DISCONNECTED


def test_every_state_is_reachable() -> None:
    reached = {S.DISCONNECTED}
    for _ in SessionState:
        reached |= {end for (start, _t), end in TRANSITIONS.items() if start in reached}

    assert reached == set(SessionState)
