"""What a feed store backend supplies: its schema, and transactions running ``?`` SQL.

:class:`~ordergate.feed.store.store.FeedStore` holds every query, written once; SQLite and
PostgreSQL differ only in how a statement is run and a transaction is held.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

__all__ = ["Database", "DuplicateKey", "Transaction"]


class DuplicateKey(Exception):
    """A backend's unique-key violation, in one type."""


class Transaction(Protocol):
    """Statements run inside one transaction (``?`` placeholders)."""

    async def execute(self, sql: str, *args: Any) -> int:
        """Run ``sql``; return the number of rows it changed."""
        ...

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Run ``sql``; return its rows."""
        ...


class Database(ABC):
    """A feed store backend."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and create the schema if it is missing."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Return a context holding one transaction, committed when the block ends cleanly.

        Raises
        ------
        DuplicateKey
            From a statement inside it that violates a unique key.
        RuntimeError
            If the database is not open.
        """
