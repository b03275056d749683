"""What a backend supplies: its schema, and transactions running ``?`` SQL."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Protocol, Self

__all__ = ["Database", "DatabaseStore", "DuplicateKey", "Transaction"]


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
    """What a backend supplies: its schema, and transactions."""

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


class DatabaseStore:
    """A store over one :class:`Database`: opened by :meth:`start`, or as a context.

    Parameters
    ----------
    database
        The backend.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    async def start(self) -> None:
        """Open the database, creating the tables on first use."""
        await self._db.open()

    async def close(self) -> None:
        """Close the database."""
        await self._db.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
