"""The durable, append-only, hash-chained event store.

Pick a backend with ``open_recorder(url)``; code against ``EventRecorder``.
"""

from ordergate.eventstore.factory import open_recorder
from ordergate.eventstore.recorder import (
    ChainBreak,
    ConcurrencyError,
    EventRecorder,
    EventStoreError,
    NewEvent,
    Snapshot,
    StoredEvent,
    VerifyReport,
    iter_all,
)

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
    "open_recorder",
]
