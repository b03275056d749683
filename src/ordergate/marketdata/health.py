"""Stream health: the state of each market data stream as an explicit transition table.

States:

- ``HEALTHY``: messages arrive and every check passes.
- ``STALE``: nothing arrived within the stream's interval. A message makes it healthy again
  (a book's sequence rule still checks that nothing was missed in between).
- ``DEGRADED``: a check failed (sequence gap, crossed book, checksum mismatch); the book
  cannot be trusted and a snapshot is needed. Deltas are buffered, not applied.
- ``RESYNCING``: the shell is fetching the snapshot; deltas are still buffered.

The table is total for the triggers each state can meet; anything else raises
:class:`InvalidStateTransition`, so a shell that calls things out of order is loud.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from ordergate.fsm import InvalidStateTransition

__all__ = [
    "STREAM_TRANSITIONS",
    "InvalidStateTransition",
    "StreamCounters",
    "StreamHealth",
    "StreamState",
    "StreamTrigger",
]


class StreamState(StrEnum):
    """The health of one stream."""

    HEALTHY = "HEALTHY"
    STALE = "STALE"
    DEGRADED = "DEGRADED"
    RESYNCING = "RESYNCING"


class StreamTrigger(StrEnum):
    """What happened to a stream."""

    MESSAGE = "MESSAGE"  # a message arrived and passed the checks
    PROBLEM = "PROBLEM"  # a gap, a crossed book or a checksum mismatch
    TIMEOUT = "TIMEOUT"  # nothing arrived within the interval
    RESYNC_STARTED = "RESYNC_STARTED"  # the shell began fetching a snapshot
    SNAPSHOT_APPLIED = "SNAPSHOT_APPLIED"  # a snapshot was loaded (fetched or in-channel)
    SNAPSHOT_FAILED = "SNAPSHOT_FAILED"  # the fetch failed; ask again


S = StreamState
T = StreamTrigger

STREAM_TRANSITIONS: dict[tuple[StreamState, StreamTrigger], StreamState] = {
    (S.HEALTHY, T.MESSAGE): S.HEALTHY,
    (S.HEALTHY, T.PROBLEM): S.DEGRADED,
    (S.HEALTHY, T.TIMEOUT): S.STALE,
    # Kraken and Coinbase may push a fresh snapshot at any time (a resubscribe).
    (S.HEALTHY, T.SNAPSHOT_APPLIED): S.HEALTHY,
    (S.STALE, T.MESSAGE): S.HEALTHY,
    (S.STALE, T.TIMEOUT): S.STALE,
    (S.STALE, T.PROBLEM): S.DEGRADED,
    (S.STALE, T.SNAPSHOT_APPLIED): S.HEALTHY,
    # While degraded, messages are buffered and further problems add nothing: a snapshot is
    # already asked for. Silence adds nothing either.
    (S.DEGRADED, T.MESSAGE): S.DEGRADED,
    (S.DEGRADED, T.PROBLEM): S.DEGRADED,
    (S.DEGRADED, T.TIMEOUT): S.DEGRADED,
    (S.DEGRADED, T.RESYNC_STARTED): S.RESYNCING,
    # An in-channel snapshot may arrive before the shell starts fetching.
    (S.DEGRADED, T.SNAPSHOT_APPLIED): S.HEALTHY,
    (S.RESYNCING, T.MESSAGE): S.RESYNCING,
    (S.RESYNCING, T.PROBLEM): S.RESYNCING,
    (S.RESYNCING, T.TIMEOUT): S.RESYNCING,
    (S.RESYNCING, T.SNAPSHOT_APPLIED): S.HEALTHY,
    (S.RESYNCING, T.SNAPSHOT_FAILED): S.DEGRADED,
}

del S, T


class StreamCounters(msgspec.Struct, kw_only=True):
    """What happened on one stream, counted."""

    messages: int = 0  # raw messages received (control messages included)
    published: int = 0  # normalized items handed to subscribers
    bad_payloads: int = 0
    gaps: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    skipped: int = 0  # deltas older than the snapshot, dropped per the venue's rule
    crossed: int = 0
    checksum_mismatches: int = 0
    stale: int = 0
    resyncs: int = 0  # snapshots asked for
    snapshots: int = 0  # snapshots applied
    snapshot_failures: int = 0
    buffered: int = 0  # deltas held during a resync
    buffer_overflows: int = 0  # buffered deltas dropped because the buffer was full


class StreamHealth:
    """State, counters and last-seen time of one stream.

    Parameters
    ----------
    stream
        The stream's name, for people (``"BINANCE:BOOK:BTC-USDT"``).
    state
        Where it starts: ``RESYNCING`` for a book that has no snapshot yet.
    stale_after_ns
        Nothing arriving for longer than this makes the stream ``STALE``.
    now
        The current time.
    """

    __slots__ = ("counters", "last_message_ns", "stale_after_ns", "state", "stream")

    def __init__(self, stream: str, state: StreamState, stale_after_ns: int, now: int) -> None:
        self.stream = stream
        self.state = state
        self.stale_after_ns = stale_after_ns
        self.last_message_ns = now
        self.counters = StreamCounters()

    def fire(self, trigger: StreamTrigger) -> StreamState:
        """Move by the transition table and return the new state.

        Raises
        ------
        InvalidStateTransition
            If the table has no edge for (state, trigger).
        """
        target = STREAM_TRANSITIONS.get((self.state, trigger))
        if target is None:
            raise InvalidStateTransition(self.state, trigger, "stream")
        self.state = target
        return target

    def check_stale(self, now: int) -> bool:
        """Fire ``TIMEOUT`` if nothing arrived for too long; return whether it is stale now."""
        if now - self.last_message_ns <= self.stale_after_ns:
            return False
        if self.state is StreamState.HEALTHY:
            self.counters.stale += 1
        self.fire(StreamTrigger.TIMEOUT)
        return True
