"""Message stores: sequence numbers, sent messages and the audit log of a session."""

from ordergate.fix.store.base import Direction, MessageStore
from ordergate.fix.store.durable import (
    DurableMessageStore,
    LoggedMessage,
    MessageDatabase,
    MessageStoreError,
)
from ordergate.fix.store.factory import open_message_database, open_message_store
from ordergate.fix.store.memory import MemoryStore

__all__ = [
    "Direction",
    "DurableMessageStore",
    "LoggedMessage",
    "MemoryStore",
    "MessageDatabase",
    "MessageStore",
    "MessageStoreError",
    "open_message_database",
    "open_message_store",
]
