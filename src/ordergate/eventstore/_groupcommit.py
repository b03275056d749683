"""Group commit, the part both backends share: input checks and the per-group plan.

A backend's single writer takes every pending request, asks ``GroupPlanner.plan`` which of
them may be written and with which rows, writes those rows in one transaction, and on
success calls ``GroupPlanner.commit``. Invariants:

- The planner's head (last position and hash) and its stream-version cache describe the
  committed database, never a plan that has not committed yet: ``plan`` does not mutate them.
- Within a group, a request sees the versions added by the accepted requests before it; a
  request that conflicts fails alone with ``ConcurrencyError`` and adds no rows.
- Unknown streams are loaded from the database (inside the writer's transaction) before the
  plan; the cache is bounded by dropping it whole, which is always safe (it reloads lazily).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ordergate.eventstore.hashchain import GENESIS_HASH, Row, chain_rows
from ordergate.eventstore.recorder import ConcurrencyError, NewEvent, Snapshot

__all__ = ["AppendRequest", "GroupPlan", "GroupPlanner", "SnapshotRequest", "check_batch"]

_MAX_INT64 = 2**63 - 1
_MAX_INT32 = 2**31 - 1


def check_batch(events: Sequence[NewEvent]) -> dict[str, tuple[int, int]]:
    """Check a batch and return each stream's (first, last) version in it.

    Raises
    ------
    ValueError
        If the batch is empty, a field is out of range or a stream's versions are not
        consecutive within the batch.
    """
    if not events:
        raise ValueError("append needs at least one event")
    spans: dict[str, tuple[int, int]] = {}
    for e in events:
        if not 1 <= e.version <= _MAX_INT64:
            raise ValueError(f"stream {e.stream_id}: version {e.version} is not 1 or more")
        if not 0 <= e.schema_version <= _MAX_INT32:
            raise ValueError(f"stream {e.stream_id}: schema_version {e.schema_version} is invalid")
        if not -_MAX_INT64 <= e.ts <= _MAX_INT64:
            raise ValueError(f"stream {e.stream_id}: ts {e.ts} does not fit in 64 bits")
        if not isinstance(e.data, bytes):
            raise TypeError(f"stream {e.stream_id}: data must be bytes, not {type(e.data)}")
        span = spans.get(e.stream_id)
        if span is None:
            spans[e.stream_id] = (e.version, e.version)
        elif e.version != span[1] + 1:
            raise ValueError(
                f"stream {e.stream_id}: version {e.version} follows {span[1]} in the batch; "
                "versions must be consecutive"
            )
        else:
            spans[e.stream_id] = (span[0], e.version)
    return spans


class AppendRequest:
    """One ``append`` call waiting for the writer."""

    __slots__ = ("events", "future", "spans")

    def __init__(
        self,
        events: Sequence[NewEvent],
        spans: dict[str, tuple[int, int]],
        future: asyncio.Future[list[int]],
    ) -> None:
        self.events = events
        self.spans = spans
        self.future = future


class SnapshotRequest:
    """One ``save_snapshot`` call waiting for the writer."""

    __slots__ = ("future", "snapshot")

    def __init__(self, snapshot: Snapshot, future: asyncio.Future[None]) -> None:
        self.snapshot = snapshot
        self.future = future


class GroupPlan:
    """What one group writes: the rows, each request's outcome and the state after commit."""

    __slots__ = ("head_hash", "head_position", "outcomes", "rows", "versions")

    def __init__(
        self,
        rows: list[Row],
        outcomes: list[list[int] | ConcurrencyError],
        versions: dict[str, int],
        head_position: int,
        head_hash: bytes,
    ) -> None:
        self.rows = rows
        self.outcomes = outcomes
        self.versions = versions
        self.head_position = head_position
        self.head_hash = head_hash


class GroupPlanner:
    """The writer's view of the committed log: its head and a cache of stream versions."""

    def __init__(self, max_cached_streams: int = 200_000) -> None:
        self.head_position = 0
        self.head_hash = GENESIS_HASH
        self.versions: dict[str, int] = {}
        self._max_cached_streams = max_cached_streams

    def sync_head(self, position: int, hash_: bytes) -> None:
        """Adopt the database's head; drop the cache if someone else moved it."""
        if position != self.head_position or hash_ != self.head_hash:
            self.versions.clear()
            self.head_position = position
            self.head_hash = hash_

    def forget(self) -> None:
        """Drop the version cache, e.g. after a failed transaction."""
        self.versions.clear()

    def unknown_streams(self, requests: Iterable[AppendRequest]) -> list[str]:
        """Return the streams the plan needs whose version is not cached."""
        versions = self.versions
        unknown: set[str] = set()
        for request in requests:
            unknown.update(s for s in request.spans if s not in versions)
        return sorted(unknown)

    def learn(self, asked: Iterable[str], found: Mapping[str, int]) -> None:
        """Cache the versions loaded for ``asked``; a stream not ``found`` is at 0."""
        for stream_id in asked:
            self.versions[stream_id] = found.get(stream_id, 0)

    def plan(self, requests: Sequence[AppendRequest]) -> GroupPlan:
        """Decide each request's fate and build the chained rows of the accepted ones."""
        versions = self.versions
        added: dict[str, int] = {}
        rows: list[Row] = []
        outcomes: list[list[int] | ConcurrencyError] = []
        position, head = self.head_position, self.head_hash
        for request in requests:
            conflict = None
            for stream_id, (first, _) in request.spans.items():
                current = added.get(stream_id)
                if current is None:
                    current = versions[stream_id]
                if first != current + 1:
                    conflict = ConcurrencyError(stream_id, first, current)
                    break
            if conflict is not None:
                outcomes.append(conflict)
                continue
            start = position + 1
            position, head = chain_rows(position, head, request.events, rows)
            outcomes.append(list(range(start, position + 1)))
            for stream_id, (_, last) in request.spans.items():
                added[stream_id] = last
        return GroupPlan(rows, outcomes, added, position, head)

    def commit(self, plan: GroupPlan) -> None:
        """Adopt a plan whose transaction committed."""
        if len(self.versions) + len(plan.versions) > self._max_cached_streams:
            self.versions.clear()
        self.versions.update(plan.versions)
        self.head_position = plan.head_position
        self.head_hash = plan.head_hash


def resolve(future: asyncio.Future[Any], outcome: object) -> None:
    """Settle a caller's future unless the caller has gone away."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
