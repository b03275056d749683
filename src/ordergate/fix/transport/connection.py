"""One FIX session over one socket: the imperative shell around the sans-IO session.

Theory of operation:

- Inbound bytes go to ``session.receive_data``; ``session.next_event`` is then called until it
  returns ``NEED_DATA``, and each event is handed to the :class:`FixApplication`.
- Outbound bytes (admin replies, application messages from :meth:`FixConnection.send`) are
  written by one writer task, at most once per event-loop iteration: it takes everything
  the session queued, awaits ``store.flush()`` for durable stores and only then writes the
  bytes, so every message the counterparty can see is already on disk. Many sends in one
  iteration share one flush and one write, which is what makes a single session fast.
- One loop timer follows ``session.get_timer()``; it is re-armed only when the deadline
  moves earlier (a late deadline just makes the timer fire early and re-arm), so a busy
  session does not cancel and create a timer per message.
- A ``LoggedOut`` or ``Disconnect`` event closes the socket after the pending bytes are
  written; a closed socket is reported to the session with ``connection_lost``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, cast, runtime_checkable

import structlog

from ordergate.clock import Clock, LiveClock
from ordergate.fix.message import FixMessage
from ordergate.fix.session import FixSession, SessionState
from ordergate.fix.session.events import (
    NEED_DATA,
    AppMessage,
    Disconnect,
    GarbledIgnored,
    LoggedOn,
    LoggedOut,
    MessageRejected,
    RejectReceived,
    SequenceGap,
)
from ordergate.fix.store.base import MessageStore
from ordergate.fix.transport.application import FixApplication

__all__ = ["ConnectionClosedError", "DurableStore", "FixConnection"]

log = structlog.get_logger("ordergate.fix.transport")

_NS = 1_000_000_000
# Fire timers this much after their deadline: the loop's monotonic clock and the session's
# wall clock drift apart by microseconds, and a timer that fires before its deadline would
# only re-arm itself.
_TIMER_SLACK = 0.0005


@runtime_checkable
class DurableStore(Protocol):
    """A message store that persists in batches: the transport awaits ``flush`` before writing."""

    async def flush(self) -> None:
        """Persist everything the session wrote to the store since the last flush."""
        ...


class ConnectionClosedError(ConnectionError):
    """The connection is closed: nothing can be sent on it."""


class FixConnection(asyncio.Protocol):
    """Pump one :class:`FixSession` over one asyncio transport (plain TCP or TLS).

    Args:
        session: the session; the connection calls ``connection_made`` on it when the socket
            is up and ``connection_lost`` when it is gone.
        store: the session's message store (awaited with ``flush()`` when durable).
        application: receives logon, logout and application messages.
        clock: the time passed to the session (wall clock by default).
        on_close: called once with this connection after the socket closed.
    """

    def __init__(
        self,
        session: FixSession,
        store: MessageStore,
        application: FixApplication,
        *,
        clock: Clock | None = None,
        on_close: Callable[[FixConnection], None] | None = None,
    ) -> None:
        self.session = session
        self.store = store
        self.session_id: str = session.config.session_id
        self.application = application
        self.peer: str = ""
        self.logged_on = asyncio.Event()
        self.connected_at: int | None = None
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._on_close = on_close
        self._flush: Callable[[], Awaitable[None]] | None = (
            store.flush if isinstance(store, DurableStore) else None
        )
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._closed = self._loop.create_future()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writable = asyncio.Event()
        self._writable.set()
        self._writer: asyncio.Task[None] | None = None
        self._close_requested = False
        self._lost = False
        self._logout_notified = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline = 0

    # -- public surface ----------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Return True while the socket is up and no close was requested."""
        return self._transport is not None and not self._lost and not self._close_requested

    def send(self, message: FixMessage) -> int:
        """Queue an application message and return its MsgSeqNum(34).

        The header is added by the session; the bytes go out (after the store flush) in
        the next event-loop iteration, batched with every other message sent meanwhile.
        Before the Logon completes the session only stores the message; the counterparty
        gets it by ResendRequest(2) when it sees the gap.

        Raises:
            ConnectionClosedError: the socket is closed or closing.
        """
        if not self.is_open:
            raise ConnectionClosedError(f"{self.session_id}: connection is closed")
        seq = self.session.send(message, self._clock.now_ns())
        self._schedule_write()
        return seq

    def logout(self, text: str = "") -> None:
        """Start the Logout(5) handshake; the socket closes when it completes or times out."""
        if not self.is_open:
            return
        if self.session.state not in (SessionState.ACTIVE, SessionState.LOGON_SENT):
            self.close()  # no handshake to make (not logged on, or already logging out)
            return
        self.session.logout(self._clock.now_ns(), text)
        self._schedule_write()
        self._rearm_timer()

    def close(self) -> None:
        """Close the socket after the bytes already queued are written (no Logout)."""
        self._close_requested = True
        self._schedule_write()

    def abort(self) -> None:
        """Drop the socket at once, discarding unwritten bytes."""
        if self._transport is not None:
            self._transport.abort()

    async def drain(self) -> None:
        """Wait until everything sent so far is flushed and handed to the socket."""
        while not self._lost:
            await self._idle.wait()
            if self._writable.is_set():
                return
            await self._writable.wait()

    async def wait_logged_on(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait for the Logon(A) exchange to complete.

        Raises:
            TimeoutError: not logged on within ``timeout`` seconds.
            ConnectionClosedError: the connection closed before logging on.
        """
        logged_on = asyncio.ensure_future(self.logged_on.wait())
        try:
            done, _ = await asyncio.wait(
                {logged_on, self._closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            logged_on.cancel()
        if self.logged_on.is_set():
            return
        if not done:
            raise TimeoutError(f"{self.session_id}: not logged on after {timeout} s")
        raise ConnectionClosedError(f"{self.session_id}: closed before logon")

    async def wait_closed(self) -> None:
        """Wait until the socket is closed and the store flushed."""
        await asyncio.shield(self._closed)

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the session on a new socket (the initiator sends its Logon(A) now)."""
        # uvloop's TCP transport is not an asyncio.Transport subclass but has its methods.
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.connected_at = self._clock.now_ns()
        self._writer = self._loop.create_task(self._write_loop())
        self.session.connection_made(self.connected_at)
        log.info("fix connected", session=self.session_id, peer=self.peer)
        self._schedule_write()
        self._rearm_timer()

    def data_received(self, data: bytes) -> None:
        """Feed bytes to the session and dispatch what it makes of them."""
        if self._close_requested or self._lost:
            return  # bytes after a Disconnect/Logout decision are not processed
        self.session.receive_data(data)
        self._guarded_pump()

    def eof_received(self) -> bool | None:
        """Let the transport close when the peer half-closes: FIX has no half-open use."""
        return None

    def pause_writing(self) -> None:
        """Stop writing until the socket buffer drains (backpressure)."""
        self._writable.clear()

    def resume_writing(self) -> None:
        """Resume writing."""
        self._writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the session the socket is gone; flush the store; notify the application."""
        if self._lost:
            return
        self._lost = True
        self._writable.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.session.connection_lost(self._clock.now_ns())
        log.info("fix disconnected", session=self.session_id, peer=self.peer, error=exc)
        self._notify_logout()
        self._wake.set()  # the writer makes its final flush and ends

    # -- internals -----------------------------------------------------------------------

    def _guarded_pump(self) -> None:
        try:
            self._pump()
        except Exception:
            # A session that raised is in an unknown state: drop the connection rather than
            # guess; the store keeps what was flushed and the peer resends the rest.
            log.exception("fix session failed; closing", session=self.session_id)
            self._fail()

    def _pump(self) -> None:
        session = self.session
        application = self.application
        now = self._clock.now_ns()
        while True:
            event = session.next_event(now)
            if event is NEED_DATA:
                break
            if isinstance(event, AppMessage):
                try:
                    application.on_message(self, event.message, event.poss_dup)
                except Exception:
                    log.exception("fix application failed", session=self.session_id)
            elif isinstance(event, LoggedOn):
                self.logged_on.set()
                log.info(
                    "fix logged on",
                    session=self.session_id,
                    heartbeat=event.heartbeat_interval,
                    reset=event.reset,
                )
                try:
                    application.on_logon(self)
                except Exception:
                    log.exception("fix application failed on logon", session=self.session_id)
            elif isinstance(event, LoggedOut | Disconnect):
                reason = event.text if isinstance(event, LoggedOut) else event.reason
                log.info("fix session ends", session=self.session_id, reason=reason)
                self._close_requested = True
                self._notify_logout()
                break
            elif isinstance(event, MessageRejected):
                log.warning(
                    "fix message rejected",
                    session=self.session_id,
                    ref_seq_num=event.ref_seq_num,
                    msg_type=event.msg_type,
                    reason=event.reason,
                    text=event.text,
                )
            elif isinstance(event, SequenceGap):
                log.info(
                    "fix sequence gap", session=self.session_id, begin=event.begin, end=event.end
                )
            elif isinstance(event, RejectReceived):
                log.warning(
                    "fix reject received",
                    session=self.session_id,
                    ref_seq_num=event.message.get_int(45),
                    text=event.message.get_str(58),
                )
                # Optional hook: an application that sends orders needs to know when the
                # counterparty refused one at session level (Reject(3) names only RefSeqNum).
                on_reject = getattr(application, "on_reject", None)
                if on_reject is not None:
                    try:
                        on_reject(self, event.message)
                    except Exception:
                        log.exception("fix application failed on reject", session=self.session_id)
            elif isinstance(event, GarbledIgnored):
                log.warning(
                    "fix garbled message ignored", session=self.session_id, reason=event.reason
                )
            now = self._clock.now_ns()
        self._schedule_write()
        self._rearm_timer()

    def _notify_logout(self) -> None:
        if self.logged_on.is_set() and not self._logout_notified:
            self._logout_notified = True
            try:
                self.application.on_logout(self)
            except Exception:
                log.exception("fix application failed on logout", session=self.session_id)

    def _schedule_write(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def _write_loop(self) -> None:
        session = self.session
        flush = self._flush
        while True:
            await self._wake.wait()
            self._wake.clear()
            # Take the bytes first: everything in them was written to the store before this
            # flush starts, so the flush makes all of it durable before the peer sees it.
            data = session.data_to_send()
            if flush is not None:
                try:
                    await flush()
                except Exception:
                    log.exception("fix store flush failed; closing", session=self.session_id)
                    self._fail()
                    break
            transport = self._transport
            if self._lost or transport is None:
                break
            if data:
                transport.write(data)
            if self._close_requested:
                transport.close()
                break
            if not self._wake.is_set():
                self._idle.set()
            if not self._writable.is_set():
                await self._writable.wait()
        self._idle.set()
        await self._finish()

    def _fail(self) -> None:
        # The store cannot persist: nothing more may be sent, or sequence numbers would be
        # reused after a restart.
        self._close_requested = True
        if self._transport is not None:
            self._transport.abort()

    async def _finish(self) -> None:
        while not self._lost:
            await self._wake.wait()
            self._wake.clear()
        if self._flush is not None:
            try:
                await self._flush()
            except Exception:
                log.exception("fix store flush failed after disconnect", session=self.session_id)
        if not self._closed.done():
            self._closed.set_result(None)
        if self._on_close is not None:
            self._on_close(self)

    def _rearm_timer(self) -> None:
        if self._lost:
            return
        deadline = self.session.get_timer()
        if deadline is None:
            return
        if self._timer is not None:
            if self._timer_deadline <= deadline:
                return
            self._timer.cancel()
        delay = (deadline - self._clock.now_ns()) / _NS
        self._timer_deadline = deadline
        self._timer = self._loop.call_at(
            self._loop.time() + max(delay, 0.0) + _TIMER_SLACK, self._on_timer
        )

    def _on_timer(self) -> None:
        self._timer = None
        if self._lost or self._close_requested:
            return
        try:
            self.session.handle_timer(self._clock.now_ns())
        except Exception:
            log.exception("fix session failed on its timer; closing", session=self.session_id)
            self._fail()
            return
        self._guarded_pump()
