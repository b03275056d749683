"""The connection state table, edge by edge, and the breaker's table."""

from __future__ import annotations

import itertools

import pytest

from ordergate.gateway.connections import (
    BREAKER_TRANSITIONS,
    CONNECTION_TRANSITIONS,
    BreakerState,
    BreakerTrigger,
    ConnectionState,
    ConnectionTrigger,
    InvalidStateTransition,
    StateMachine,
    connection_machine,
)

S = ConnectionState
T = ConnectionTrigger

EXPECTED = {
    (S.DISCONNECTED, T.CONNECT): S.CONNECTING,
    (S.ERROR, T.CONNECT): S.CONNECTING,
    (S.CONNECTING, T.TRANSPORT_OPENED): S.AUTHENTICATING,
    (S.AUTHENTICATING, T.AUTHENTICATED): S.CONNECTED,
    (S.CONNECTING, T.AUTH_FAILED): S.ERROR,
    (S.AUTHENTICATING, T.AUTH_FAILED): S.ERROR,
    (S.CONNECTED, T.AUTH_FAILED): S.ERROR,
    (S.DEGRADED, T.AUTH_FAILED): S.ERROR,
    (S.CONNECTING, T.CONNECT_FAILED): S.DISCONNECTED,
    (S.AUTHENTICATING, T.CONNECT_FAILED): S.DISCONNECTED,
    (S.CONNECTED, T.HEALTH_DEGRADED): S.DEGRADED,
    (S.DEGRADED, T.HEALTH_DEGRADED): S.DEGRADED,
    (S.DEGRADED, T.HEALTH_RECOVERED): S.CONNECTED,
    (S.CONNECTED, T.HEALTH_RECOVERED): S.CONNECTED,
    (S.CONNECTED, T.CONNECTION_LOST): S.DISCONNECTED,
    (S.DEGRADED, T.CONNECTION_LOST): S.DISCONNECTED,
    (S.AUTHENTICATING, T.CONNECTION_LOST): S.DISCONNECTED,
    (S.DISCONNECTED, T.CONNECTION_LOST): S.DISCONNECTED,
    (S.CONNECTED, T.DISCONNECT): S.DISCONNECTED,
    (S.DEGRADED, T.DISCONNECT): S.DISCONNECTED,
    (S.CONNECTING, T.DISCONNECT): S.DISCONNECTED,
    (S.AUTHENTICATING, T.DISCONNECT): S.DISCONNECTED,
    (S.ERROR, T.DISCONNECT): S.DISCONNECTED,
    (S.DISCONNECTED, T.DISCONNECT): S.DISCONNECTED,
}


def test_the_table_is_exactly_the_documented_edges() -> None:
    assert CONNECTION_TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("edge", "target"), sorted(EXPECTED.items()))
def test_each_allowed_edge_moves_to_its_target(
    edge: tuple[ConnectionState, ConnectionTrigger], target: ConnectionState
) -> None:
    state, trigger = edge
    machine = connection_machine(state)

    assert machine.can(trigger)
    assert machine.trigger(trigger) is target
    assert machine.state is target


ILLEGAL = sorted(set(itertools.product(S, T)) - set(EXPECTED))


@pytest.mark.parametrize(("state", "trigger"), ILLEGAL)
def test_each_missing_edge_raises_and_changes_nothing(
    state: ConnectionState, trigger: ConnectionTrigger
) -> None:
    machine = connection_machine(state)

    assert not machine.can(trigger)
    with pytest.raises(InvalidStateTransition, match=f"^{state.value} -> {trigger.value}$"):
        machine.trigger(trigger)
    assert machine.state is state


def test_a_full_life_connects_degrades_recovers_and_is_lost() -> None:
    machine = connection_machine()
    path = [
        T.CONNECT,
        T.TRANSPORT_OPENED,
        T.AUTHENTICATED,
        T.HEALTH_DEGRADED,
        T.HEALTH_RECOVERED,
        T.CONNECTION_LOST,
    ]
    states = [machine.trigger(t) for t in path]
    assert states == [
        S.CONNECTING,
        S.AUTHENTICATING,
        S.CONNECTED,
        S.DEGRADED,
        S.CONNECTED,
        S.DISCONNECTED,
    ]


B = BreakerState
BT = BreakerTrigger
BREAKER_EXPECTED = {
    (B.CLOSED, BT.TRIP): B.OPEN,
    (B.OPEN, BT.COOLED_DOWN): B.HALF_OPEN,
    (B.HALF_OPEN, BT.TRIAL_SUCCEEDED): B.CLOSED,
    (B.HALF_OPEN, BT.TRIAL_FAILED): B.OPEN,
    (B.OPEN, BT.RESET): B.CLOSED,
    (B.HALF_OPEN, BT.RESET): B.CLOSED,
    (B.CLOSED, BT.RESET): B.CLOSED,
}


@pytest.mark.parametrize(("edge", "target"), sorted(BREAKER_EXPECTED.items()))
def test_each_breaker_edge_moves_to_its_target(
    edge: tuple[BreakerState, BreakerTrigger], target: BreakerState
) -> None:
    state, trigger = edge
    machine = StateMachine(BREAKER_TRANSITIONS, state)
    assert machine.trigger(trigger) is target


@pytest.mark.parametrize(
    ("state", "trigger"), sorted(set(itertools.product(B, BT)) - set(BREAKER_EXPECTED))
)
def test_each_missing_breaker_edge_raises(state: BreakerState, trigger: BreakerTrigger) -> None:
    machine = StateMachine(BREAKER_TRANSITIONS, state)
    with pytest.raises(InvalidStateTransition):
        machine.trigger(trigger)
    assert machine.state is state


def test_breaker_table_is_exactly_the_documented_edges() -> None:
    assert BREAKER_TRANSITIONS == BREAKER_EXPECTED
