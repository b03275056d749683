"""Message stores: sequence numbers, sent messages and the audit log of a session."""

from ordergate.fix.store.base import Direction, MessageStore
from ordergate.fix.store.memory import MemoryStore

__all__ = ["Direction", "MemoryStore", "MessageStore"]
