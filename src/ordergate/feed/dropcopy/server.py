"""The FIX drop copy server: a FIX acceptor that reports every order event to its counterparties.

Theory of operation
-------------------
:func:`start_drop_copy` builds one acceptor session per counterparty and BeginString (see
:class:`~ordergate.feed.dropcopy.config.DropCopyConfig`) on the project's
:class:`~ordergate.fix.transport.FixAcceptor`, which refuses a Logon from an unknown CompID
(Logout(5) "unknown session", no sequence number touched) and a second connection of a
session. The server is the acceptor's application:

- on logon, the session's :class:`~ordergate.feed.dropcopy.stream.DropCopyStream` starts
  sending the ExecutionReports after its resume position; on logout it stops;
- application messages from the counterparty (a drop copy is one-way) are answered with
  BusinessMessageReject(j), UnsupportedMessageType;
- the session layer does the rest: sequence numbers, ResendRequest(2) answered from the
  store with PossDupFlag(43)=Y copies of the same reports, garbled frames dropped.

The store factory the acceptor calls opens, beside each session's store, the companion
store of its resume register, and recovers the resume position before the port listens
(so no Logon, and no sequence reset it asks for, can come first).
"""

from __future__ import annotations

import contextlib
import ssl

import structlog

from ordergate.clock import Clock
from ordergate.feed.dropcopy.config import DropCopyConfig
from ordergate.feed.dropcopy.resume import ResumeRegister, register_config, resume_position
from ordergate.feed.dropcopy.stream import DropCopyStream
from ordergate.feed.source import FeedSource
from ordergate.fix.dictionary import BusinessRejectReason
from ordergate.fix.message import FixMessage
from ordergate.fix.registry import SessionRegistry
from ordergate.fix.session import admin
from ordergate.fix.session.config import SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.transport import FixAcceptor, FixConnection, memory_stores, url_stores
from ordergate.fix.transport.connection import ConnectionClosedError
from ordergate.fix.transport.stores import close_store

__all__ = ["DropCopyServer", "start_drop_copy"]

log = structlog.get_logger("ordergate.feed.dropcopy")


class DropCopyServer:
    """A running drop copy; build it with :func:`start_drop_copy`, end it with :meth:`stop`.

    Attributes
    ----------
    config
        What it serves.
    acceptor
        The FIX acceptor underneath (sessions, stores, live connections).
    streams
        The drop copy of each FIX session, by session id (``FIX.4.4:OURS->THEIRS``).
    """

    def __init__(
        self,
        feed: FeedSource,
        config: DropCopyConfig,
        *,
        clock: Clock | None = None,
        registry: SessionRegistry | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.streams: dict[str, DropCopyStream] = {}
        self._feed = feed
        self._counterparties = {
            session.session_id: counterparty for session, counterparty in config.sessions()
        }
        self._stores = url_stores(config.store_url) if config.store_url else memory_stores()
        self._registers: list[MessageStore] = []
        self.acceptor = FixAcceptor(
            config.host,
            config.port,
            [session for session, _ in config.sessions()],
            self._open_store,
            self,
            ssl_context=ssl_context,
            clock=clock,
            registry=registry,
        )

    @property
    def port(self) -> int:
        """Return the port the drop copy listens on."""
        return self.acceptor.port

    async def start(self) -> None:
        """Open the stores, recover every session's resume position, and listen."""
        try:
            await self.acceptor.start()
        except BaseException:
            await self._close_registers()
            raise

    async def stop(self) -> None:
        """Log every session out, save the resume positions and close the stores."""
        await self.acceptor.stop()
        for stream in self.streams.values():
            await stream.wait_idle()
        await self._close_registers()

    async def _open_store(self, session: SessionConfig) -> MessageStore:
        store = await self._stores(session)
        try:
            register_store = await self._stores(register_config(session))
        except BaseException:
            await close_store(store)
            raise
        self._registers.append(register_store)
        register = ResumeRegister(register_store)
        resume = resume_position(store, register)
        counterparty = self._counterparties[session.session_id]
        self.streams[session.session_id] = DropCopyStream(
            self._feed, session, counterparty, register, resume
        )
        log.info("drop copy session ready", session=session.session_id, resume_after=resume)
        return store

    async def _close_registers(self) -> None:
        registers, self._registers = self._registers, []
        for store in registers:
            await close_store(store)

    # -- FixApplication ----------------------------------------------------------------

    def on_logon(self, connection: FixConnection) -> None:
        """Start the session's reports after its resume position."""
        self.streams[connection.session_id].attach(connection)

    def on_logout(self, connection: FixConnection) -> None:
        """Stop the session's reports; the next logon resumes after the last one sent."""
        self.streams[connection.session_id].detach(connection)

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        """Refuse an application message: the drop copy only sends."""
        reject = admin.business_reject(
            message,
            BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE,
            f"the drop copy does not accept MsgType {message.msg_type}",
        )
        # A closing connection refuses it: the counterparty resends after its next logon.
        with contextlib.suppress(ConnectionClosedError):
            connection.send(reject)


async def start_drop_copy(
    feed: FeedSource,
    config: DropCopyConfig,
    *,
    clock: Clock | None = None,
    registry: SessionRegistry | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> DropCopyServer:
    """Start a FIX drop copy of ``feed`` and return it, listening.

    Parameters
    ----------
    feed
        The execution feed (in process, or a feed gateway's).
    config
        Listener, CompIDs, FIX versions, entitlements and message store.
    clock
        The sessions' clock (the wall clock by default).
    registry
        Where the FIX sessions' status is published.
    ssl_context
        Serve FIX over TLS when given.

    Raises
    ------
    OSError
        If the port cannot be bound.
    ValueError
        If the message store URL is not one.
    """
    server = DropCopyServer(feed, config, clock=clock, registry=registry, ssl_context=ssl_context)
    await server.start()
    return server
