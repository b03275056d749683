from __future__ import annotations

import pytest

from ordergate.marketdata import (
    STREAM_TRANSITIONS,
    InvalidStateTransition,
    StreamHealth,
    StreamState,
    StreamTrigger,
)

S = StreamState
T = StreamTrigger


@pytest.mark.parametrize(
    ("state", "trigger", "target"),
    [
        (S.HEALTHY, T.MESSAGE, S.HEALTHY),
        (S.HEALTHY, T.PROBLEM, S.DEGRADED),
        (S.HEALTHY, T.TIMEOUT, S.STALE),
        (S.STALE, T.MESSAGE, S.HEALTHY),
        (S.STALE, T.PROBLEM, S.DEGRADED),
        (S.DEGRADED, T.MESSAGE, S.DEGRADED),
        (S.DEGRADED, T.RESYNC_STARTED, S.RESYNCING),
        (S.DEGRADED, T.SNAPSHOT_APPLIED, S.HEALTHY),
        (S.RESYNCING, T.SNAPSHOT_APPLIED, S.HEALTHY),
        (S.RESYNCING, T.SNAPSHOT_FAILED, S.DEGRADED),
        (S.RESYNCING, T.TIMEOUT, S.RESYNCING),
    ],
)
def test_transition_table_edges(
    state: StreamState, trigger: StreamTrigger, target: StreamState
) -> None:
    assert STREAM_TRANSITIONS[(state, trigger)] is target


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (S.HEALTHY, T.RESYNC_STARTED),
        (S.HEALTHY, T.SNAPSHOT_FAILED),
        (S.STALE, T.RESYNC_STARTED),
        (S.DEGRADED, T.SNAPSHOT_FAILED),
        (S.RESYNCING, T.RESYNC_STARTED),
    ],
)
def test_illegal_transitions_are_loud(state: StreamState, trigger: StreamTrigger) -> None:
    health = StreamHealth("V:BOOK:X", state, stale_after_ns=10, now=0)

    with pytest.raises(InvalidStateTransition, match=f"{state} -> {trigger}"):
        health.fire(trigger)

    assert health.state is state


def test_every_state_has_an_edge_for_messages_problems_timeouts_and_snapshots() -> None:
    for state in StreamState:
        for trigger in (T.MESSAGE, T.PROBLEM, T.TIMEOUT, T.SNAPSHOT_APPLIED):
            assert (state, trigger) in STREAM_TRANSITIONS


def test_stale_after_the_interval_and_counted_once() -> None:
    health = StreamHealth("V:TRADES:X", S.HEALTHY, stale_after_ns=100, now=1_000)

    assert not health.check_stale(1_100)
    assert health.check_stale(1_101)
    assert health.check_stale(5_000)

    assert health.state is S.STALE
    assert health.counters.stale == 1
