"""Choosing the connection for a new order: tiers, round robin, least in flight."""

from __future__ import annotations

from ordergate.gateway.connections import (
    Balancer,
    BalancingPolicy,
    Candidate,
    ConnectionState,
    Role,
)

UP = ConnectionState.CONNECTED
SLOW = ConnectionState.DEGRADED
DOWN = ConnectionState.DISCONNECTED


def candidate(
    index: int, state: ConnectionState = UP, role: Role = Role.PRIMARY, n: int = 0
) -> Candidate:
    return Candidate(index=index, state=state, role=role, in_flight=n)


def test_round_robin_takes_turns_over_healthy_primaries() -> None:
    balancer = Balancer()
    candidates = [candidate(0), candidate(1), candidate(2, DOWN)]

    assert [balancer.choose(candidates) for _ in range(4)] == [0, 1, 0, 1]


def test_least_in_flight_picks_the_least_busy_and_breaks_ties_in_turn() -> None:
    balancer = Balancer(BalancingPolicy.LEAST_IN_FLIGHT)
    assert balancer.choose([candidate(0, n=3), candidate(1, n=1), candidate(2, n=2)]) == 1
    ties = [candidate(0, n=1), candidate(1, n=1)]
    assert {balancer.choose(ties) for _ in range(2)} == {0, 1}


def test_backup_is_used_only_when_no_primary_is_connected() -> None:
    balancer = Balancer()
    backup = candidate(1, role=Role.BACKUP)

    assert balancer.choose([candidate(0), backup]) == 0
    assert balancer.choose([candidate(0, DOWN), backup]) == 1


def test_degraded_connections_come_after_every_connected_one() -> None:
    balancer = Balancer()
    assert balancer.choose([candidate(0, SLOW), candidate(1, role=Role.BACKUP)]) == 1
    assert balancer.choose([candidate(0, SLOW), candidate(1, SLOW, Role.BACKUP)]) == 0
    assert balancer.choose([candidate(0, DOWN), candidate(1, SLOW, Role.BACKUP)]) == 1


def test_excluded_connections_are_skipped_for_failover() -> None:
    balancer = Balancer()
    candidates = [candidate(0), candidate(1)]
    assert balancer.choose(candidates, frozenset({0})) == 1
    assert balancer.choose(candidates, frozenset({0, 1})) is None


def test_nothing_up_means_no_choice() -> None:
    balancer = Balancer()
    states = [DOWN, ConnectionState.ERROR, ConnectionState.CONNECTING]
    assert balancer.choose([candidate(i, s) for i, s in enumerate(states)]) is None
    assert balancer.choose([]) is None
