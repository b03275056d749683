"""The message store interface the session layer writes to.

The session calls these methods synchronously: they must not block on I/O. Durable stores
keep the state in memory and persist what changed in batches (``flush``), which the
transport awaits *before* it writes the session's outbound bytes to the socket, so a
message is on disk before the counterparty can see it, and sequence numbers survive a
restart.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

__all__ = ["Direction", "MessageStore"]


class Direction(StrEnum):
    """Which way a logged message travelled."""

    IN = "in"
    OUT = "out"


class MessageStore(Protocol):
    """Sequence numbers, sent messages (for resends) and the audit log of one session."""

    def next_sender_seq(self) -> int:
        """Return the MsgSeqNum(34) the next outbound message gets."""
        ...

    def next_target_seq(self) -> int:
        """Return the MsgSeqNum(34) expected on the next inbound message."""
        ...

    def set_next_sender_seq(self, seq: int) -> None:
        """Set the next outbound sequence number."""
        ...

    def set_next_target_seq(self, seq: int) -> None:
        """Set the next expected inbound sequence number."""
        ...

    def save_sent(self, seq: int, raw: bytes) -> None:
        """Keep an outbound message so a ResendRequest(2) can be answered later."""
        ...

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        """Return kept outbound messages with ``begin <= seq <= end``, in order."""
        ...

    def reset(self, now: int) -> None:
        """Start a new sequence: both numbers back to 1, kept messages dropped."""
        ...

    def creation_time(self) -> int:
        """Return when the current sequence started (ns since the epoch)."""
        ...

    def log_message(self, direction: Direction, raw: bytes, now: int) -> None:
        """Append a message to the audit log (every inbound and outbound message)."""
        ...
