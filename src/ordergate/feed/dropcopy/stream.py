"""One drop-copy FIX session: its feed subscription, folded and reported, across connections.

Theory of operation
-------------------
A :class:`DropCopyStream` lives as long as the server and outlives its connections. On each
logon it starts one task that

1. fixes the resume position: the one recovered from the message store, else (a session
   never given a start) the feed's head, or 0 when the counterparty starts from zero; it is
   saved to the :class:`~ordergate.feed.dropcopy.resume.ResumeRegister` before anything is
   sent, so a start at the head is not moved by a restart;
2. subscribes to the feed, restricted to the counterparty's accounts, after the position of
   its :class:`~ordergate.feed.dropcopy.book.OrderBook` (0 on the first logon after a
   start: the book needs each order's history), folds every event into the book and sends
   the ExecutionReport of each event after the resume position;
3. when the connection ends, waits until the session's store is flushed and saves the
   position of the last report in the register.

Invariants
----------
- Reports go out in feed position order, each position once per session: the subscription is
  exactly-once, and :attr:`DropCopyStream.sent` only moves forward, past a report only once
  ``connection.send`` took it (it is then in the store, for resends, with its MsgSeqNum).
- The book is committed after the send, so a report refused by a closing connection is
  built again, identically, on the next logon.
- A stream blocks only itself: it writes through ``connection.send`` and waits for the socket
  (``connection.drain``) every :data:`DRAIN_EVERY` reports. A slow counterparty thus falls
  behind in its own subscription, which then catches up from the log; nothing waits for it.
"""

from __future__ import annotations

import asyncio

import structlog

from ordergate.feed.dropcopy.book import OrderBook, UnappliedEvent
from ordergate.feed.dropcopy.config import Counterparty
from ordergate.feed.dropcopy.reports import execution_report
from ordergate.feed.dropcopy.resume import ResumeRegister
from ordergate.feed.events import FeedEvent
from ordergate.feed.filters import FeedFilter
from ordergate.feed.source import FeedSource
from ordergate.fix.session.config import SessionConfig
from ordergate.fix.transport.connection import ConnectionClosedError, FixConnection

__all__ = ["DRAIN_EVERY", "DropCopyStream"]

log = structlog.get_logger("ordergate.feed.dropcopy")

#: Reports sent between two waits for the socket to take them.
DRAIN_EVERY = 100


class DropCopyStream:
    """The drop copy of one FIX session (one counterparty, one BeginString).

    Parameters
    ----------
    feed
        Where the events come from.
    session
        The FIX session's config.
    counterparty
        Its entitlements and start.
    register
        Its saved resume position.
    resume
        The position recovered at start-up (None: the session has never been given one).
    """

    def __init__(
        self,
        feed: FeedSource,
        session: SessionConfig,
        counterparty: Counterparty,
        register: ResumeRegister,
        resume: int | None,
    ) -> None:
        self.session_id = session.session_id
        self.begin_string = session.begin_string
        self.counterparty = counterparty
        self.register = register
        self.sent = resume
        """The position of the last report sent (or the start): the next logon resumes after it."""
        self.book = OrderBook()
        self._feed = feed
        self._filter = counterparty.principal().restrict(FeedFilter())
        self._task: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._connection: FixConnection | None = None

    def attach(self, connection: FixConnection) -> None:
        """Start serving ``connection``, which just logged on (after the previous one ended)."""
        previous = self._task
        self._task = asyncio.create_task(
            self._serve(connection, previous), name=f"drop copy {self.session_id}"
        )

    def detach(self, connection: FixConnection) -> None:
        """Stop sending on ``connection``, which logged out or dropped."""
        if self._connection is connection and self._pump is not None:
            self._pump.cancel()

    async def wait_idle(self) -> None:
        """Wait until no connection is served and the resume position is saved."""
        task = self._task
        if task is not None:
            await asyncio.wait([task])

    async def _serve(self, connection: FixConnection, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        self._connection = connection
        try:
            if self.sent is None:
                start = 0 if self.counterparty.start_from == "zero" else await self._feed.head()
                self.sent = start
                log.info("drop copy session starts", session=self.session_id, after=start)
            await self.register.save(self.sent)
            if connection.is_open:
                self._pump = asyncio.create_task(self._report(connection, self.sent))
                await asyncio.wait([self._pump])
                self._settle(connection, self._pump)
        except Exception:
            log.exception("drop copy session failed", session=self.session_id)
            connection.logout("drop copy failed")
        finally:
            self._pump = None
            self._connection = None
        # Once closed, the session's store is flushed: every report sent is durable, and the
        # register may move past them.
        await connection.wait_closed()
        if self.sent is None:
            return  # failed before it had a start: nothing to save
        try:
            await self.register.save(self.sent)
        except Exception:
            log.exception("drop copy could not save its position", session=self.session_id)

    def _settle(self, connection: FixConnection, pump: asyncio.Task[None]) -> None:
        if pump.cancelled():
            return  # detached: the connection ended
        error = pump.exception()
        if isinstance(error, ConnectionClosedError):
            return  # the connection is ending
        if error is None:
            # The feed ended (its process is stopping): log out, so that the counterparty
            # reconnects once there is a feed again.
            log.info("drop copy feed ended", session=self.session_id)
            connection.logout("drop copy feed ended")
            return
        log.error("drop copy session failed", session=self.session_id, exc_info=error)
        connection.logout("drop copy failed")

    async def _report(self, connection: FixConnection, resume: int) -> None:
        log.info(
            "drop copy resumes", session=self.session_id, after=resume, book=self.book.position
        )
        sends = 0
        async with self._feed.subscribe(self._filter, self.book.position) as stream:
            async for item in stream:
                if not isinstance(item, FeedEvent):
                    continue  # catching up / live again: the subscription handles it
                if self._take(connection, item, resume):
                    sends += 1
                    if sends % DRAIN_EVERY == 0:
                        await connection.drain()

    def _take(self, connection: FixConnection, item: FeedEvent, resume: int) -> bool:
        # Fold the event; send its report when it is after the resume position.
        try:
            step = self.book.step(item)
        except UnappliedEvent as e:
            log.error("drop copy skips an event", session=self.session_id, error=str(e))
            self.book.commit(item.position)
            return False
        sent = False
        if step is not None and item.position > resume:
            message = execution_report(
                self.begin_string, item.position, step.event, step.before, step.after
            )
            if message is not None:
                connection.send(message)  # ConnectionClosedError: the connection is ending
                self.sent = item.position
                sent = True
        self.book.commit(item.position, step)
        return sent
