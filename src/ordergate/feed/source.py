"""What every subscriber API serves from: a feed source, in process or in a feed gateway.

:class:`~ordergate.feed.service.Feed` (the event log and the OMS's hub, in the platform's
process) and the feed gateway's JetStream-backed feed both satisfy :class:`FeedSource`; the
WebSocket, SSE, REST, gRPC and FIX drop copy front ends take any of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Protocol, Self

from ordergate.feed.events import Control, FeedEvent
from ordergate.feed.filters import FeedFilter

__all__ = ["FeedPageLike", "FeedSource", "FeedStream"]


class FeedPageLike(Protocol):
    """A polling read's page: the matching events and the position to read on from."""

    @property
    def items(self) -> list[FeedEvent]: ...

    @property
    def next_from(self) -> int: ...


class FeedStream(Protocol):
    """A subscription: events and control messages, in position order, exactly once."""

    @property
    def position(self) -> int:
        """The last position delivered or examined: resume after it."""
        ...

    def __aiter__(self) -> AsyncIterator[FeedEvent | Control]: ...

    async def __anext__(self) -> FeedEvent | Control: ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class FeedSource(Protocol):
    """A feed that can be polled and subscribed to."""

    async def head(self) -> int:
        """Return the position of the newest event (0 when there is none)."""
        ...

    async def read(self, filter: FeedFilter, after: int, limit: int) -> FeedPageLike:
        """Return up to ``limit`` matching events after position ``after``."""
        ...

    def subscribe(self, filter: FeedFilter, after: int) -> FeedStream:
        """Return a subscription to the matching events after position ``after``."""
        ...
