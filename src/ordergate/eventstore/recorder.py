"""The event recorder port: the types, the errors and the ``EventRecorder`` ABC.

The event store is an append-only, hash-chained log of already serialized events. It does
not look inside payloads; upcasting happens elsewhere, keyed on ``schema_version``.

Invariants every implementation keeps:

- Each stored event has a global ``position``: totally ordered, contiguous from 1, never
  interleaved. A reader that sees position ``n`` has already been able to see ``1..n-1``.
- Within a stream, versions are contiguous from 1. ``(stream_id, version)`` is unique.
- ``append`` is atomic (all events of one call or none) and returns only once the events
  are durable. A call whose versions conflict raises ``ConcurrencyError`` and writes nothing.
- Each event carries ``prev_hash`` (the hash of the event at ``position - 1``, 32 zero bytes
  for position 1) and its own ``hash``, so ``verify`` can find edits, insertions, deletions
  and reorderings done behind the store's back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Sequence
from types import TracebackType
from typing import Any

import msgspec

__all__ = [
    "ChainBreak",
    "ConcurrencyError",
    "EventRecorder",
    "EventStoreError",
    "NewEvent",
    "Snapshot",
    "StoredEvent",
    "VerifyReport",
    "iter_all",
]


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event to append.

    Attributes
    ----------
    stream_id
        The aggregate's stream, e.g. ``"O-1"``.
    version
        1-based; the stream's current version + 1 (consecutive within a batch).
    type
        The event type, e.g. ``"OrderSubmitted"``.
    schema_version
        The payload schema's version, for upcasters.
    data
        The payload, serialized as JSON.
    ts
        ``ts_event`` in integer nanoseconds.
    """

    stream_id: str
    version: int
    type: str
    schema_version: int
    data: bytes
    ts: int


class StoredEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event as stored, with its global position and its link in the hash chain."""

    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: bytes
    ts: int
    prev_hash: bytes
    hash: bytes


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A serialized aggregate state at a given stream version."""

    stream_id: str
    version: int
    type: str
    schema_version: int
    data: bytes
    ts: int


class EventStoreError(Exception):
    """Base class of the event store's errors."""


class ConcurrencyError(EventStoreError):
    """Refuse an append whose first version of a stream is not the stream's next version.

    Attributes
    ----------
    stream_id
        The stream in conflict.
    expected_version
        The version the caller tried to append, i.e. expected to come next.
    actual_version
        The stream's current version.
    """

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"stream {stream_id}: version {expected_version} expected next "
            f"but the stream is at version {actual_version}"
        )

    def __reduce__(self) -> tuple[type[ConcurrencyError], tuple[str, int, int]]:
        return (type(self), (self.stream_id, self.expected_version, self.actual_version))


class ChainBreak(msgspec.Struct, frozen=True):
    """The first place where the stored chain stops being the chain that was written.

    ``kind`` is one of ``"edited"``, ``"inserted"``, ``"deleted"`` and ``"reordered"``.
    """

    position: int
    kind: str
    message: str


class VerifyReport(msgspec.Struct, frozen=True):
    """The outcome of a chain walk: how many rows were checked and the first break."""

    checked: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        """Return whether the whole chain verified."""
        return self.first_break is None


class EventRecorder(ABC):
    """The persistence port for events and snapshots.

    Use it as an async context manager, or call ``start`` and ``close`` explicitly.
    """

    @abstractmethod
    async def start(self) -> None:
        """Open connections, create the schema if missing and start the writer task."""

    @abstractmethod
    async def close(self) -> None:
        """Flush pending appends, stop the writer and close the connections."""

    @abstractmethod
    async def append(self, events: Sequence[NewEvent]) -> list[int]:
        """Append events atomically and return their global positions once durable.

        Parameters
        ----------
        events
            One or more events, of one or several streams. Within a stream the versions
            must be consecutive, the first one being the stream's current version + 1.

        Returns
        -------
        list[int]
            The position of each event, in the order given.

        Raises
        ------
        ValueError
            If the batch is empty, a version is below 1 or a stream's versions are not
            consecutive within the batch. Nothing is written.
        ConcurrencyError
            If a stream's first version is not its next version. Nothing is written.
        EventStoreError
            If the store is not started or is closed.
        """

    @abstractmethod
    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        """Return a stream's events with ``version >= from_version``, in version order."""

    @abstractmethod
    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[StoredEvent]:
        """Return up to ``limit`` events with ``position >= from_position``, ascending."""

    @abstractmethod
    async def last_position(self) -> int:
        """Return the position of the last stored event, 0 when the store is empty."""

    @abstractmethod
    async def stream_version(self, stream_id: str) -> int:
        """Return a stream's current version, 0 when the stream does not exist."""

    @abstractmethod
    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Save a snapshot, replacing the stream's snapshot unless that one is newer."""

    @abstractmethod
    async def load_snapshot(self, stream_id: str) -> Snapshot | None:
        """Return the stream's latest snapshot, or None."""

    @abstractmethod
    async def verify(self, batch: int = 10_000) -> VerifyReport:
        """Walk the whole chain in batches and report the first break, if any.

        Parameters
        ----------
        batch
            How many rows to read per query.
        """

    async def __aenter__(self) -> EventRecorder:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def iter_all(
    recorder: EventRecorder, from_position: int = 1, batch: int = 10_000
) -> AsyncIterator[StoredEvent]:
    """Yield every stored event from ``from_position`` on, reading in batches.

    Parameters
    ----------
    recorder
        The store to replay.
    from_position
        The first position to yield, e.g. a consumer's ``last_position + 1``.
    batch
        How many events to read per query.
    """
    position = from_position
    while True:
        events = await recorder.read_all(position, batch)
        for event in events:
            yield event
        if len(events) < batch:
            return
        position = events[-1].position + 1


def stored_events(rows: Iterable[Sequence[Any]]) -> list[StoredEvent]:
    """Build StoredEvents from rows in column order (position, stream_id, ..., hash)."""
    return [
        StoredEvent(
            position=r[0],
            stream_id=r[1],
            version=r[2],
            type=r[3],
            schema_version=r[4],
            data=r[5],
            ts=r[6],
            prev_hash=r[7],
            hash=r[8],
        )
        for r in rows
    ]
