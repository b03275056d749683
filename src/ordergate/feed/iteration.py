"""What every feed subscription is: an async iterator over a generator, with its cursor.

A subscription's source (the event log and the hub, or a JetStream consumer) lives in its
``_run`` generator; this base gives it the iterator and async-context protocols and the
resume position, so closing a subscription always closes its source.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from types import TracebackType
from typing import Generic, Self, TypeVar

from ordergate.feed.cursor import Cursor
from ordergate.feed.filters import FeedFilter

__all__ = ["CursorStream"]

ItemT = TypeVar("ItemT")


class CursorStream(ABC, Generic[ItemT]):
    """An async iterator of what :meth:`_run` yields; close it after (or use ``async with``).

    It never ends on its own unless its source does; it stops when closed or when its
    consumer is cancelled.
    """

    def __init__(self, filter: FeedFilter, cursor: Cursor) -> None:
        self.filter = filter
        self.cursor = cursor
        self._items: AsyncGenerator[ItemT, None] = self._run()

    @property
    def position(self) -> int:
        """Return the last position delivered or examined: resume after it."""
        return self.cursor.position

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self

    async def __anext__(self) -> ItemT:
        return await anext(self._items)

    async def aclose(self) -> None:
        """Stop the subscription and release its source."""
        await self._items.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @abstractmethod
    def _run(self) -> AsyncGenerator[ItemT, None]:
        """Yield the subscription's items, advancing :attr:`cursor`."""
