"""An in-memory message store: the state a durable store caches, and the store of tests."""

from __future__ import annotations

from ordergate.fix.store.base import Direction

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keep sequence numbers, sent messages and the audit log in memory."""

    def __init__(self, now: int = 0) -> None:
        self._next_sender = 1
        self._next_target = 1
        self._sent: dict[int, bytes] = {}
        self._created = now
        self.log: list[tuple[Direction, bytes, int]] = []

    def next_sender_seq(self) -> int:
        """Return the MsgSeqNum(34) the next outbound message gets."""
        return self._next_sender

    def next_target_seq(self) -> int:
        """Return the MsgSeqNum(34) expected on the next inbound message."""
        return self._next_target

    def set_next_sender_seq(self, seq: int) -> None:
        """Set the next outbound sequence number."""
        self._next_sender = seq

    def set_next_target_seq(self, seq: int) -> None:
        """Set the next expected inbound sequence number."""
        self._next_target = seq

    def save_sent(self, seq: int, raw: bytes) -> None:
        """Keep an outbound message for resends."""
        self._sent[seq] = raw

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        """Return kept outbound messages with ``begin <= seq <= end``, in order."""
        return [(seq, self._sent[seq]) for seq in sorted(self._sent) if begin <= seq <= end]

    def reset(self, now: int) -> None:
        """Start a new sequence."""
        self._next_sender = 1
        self._next_target = 1
        self._sent.clear()
        self._created = now

    def creation_time(self) -> int:
        """Return when the current sequence started (ns since the epoch)."""
        return self._created

    def log_message(self, direction: Direction, raw: bytes, now: int) -> None:
        """Append a message to the in-memory audit log."""
        self.log.append((direction, raw, now))
