"""The acceptor: many sessions on one port, chosen by the CompIDs of the first Logon(A).

A new socket is held by a :class:`_LogonGate` until its first complete message arrives.
That message must be a Logon(A) whose BeginString(8), SenderCompID(49) and TargetCompID(56)
name a configured session (their SenderCompID is our TargetCompID) that has no live
connection; then the socket is handed to a :class:`FixConnection` of that session, which
processes the Logon itself. Anything else is refused without touching any session's
sequence numbers: an unknown session or a second connection gets a Logout(5) with the
reason, then the socket is closed; a first message that is not a Logon is not answered.

A session with a schedule (``config.schedule``) is refused the same way outside its periods
(Logout(5) "session is not active"). A Logon inside a period first resets the session's
store when its sequence began before the period started (the daily or weekly reset); a
connection still up when its period ends is logged out.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping, Sequence
from typing import cast

import structlog

from ordergate.clock import Clock, LiveClock
from ordergate.fix.codec import FixParseError, FrameParser, Garbled, encode_fields, parse
from ordergate.fix.dictionary import Dictionary, load_dictionary
from ordergate.fix.registry import SessionRegistry, SessionStatus
from ordergate.fix.session import FixSession
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.store.base import MessageStore
from ordergate.fix.tags import MsgType, Tag
from ordergate.fix.transport.application import FixApplication
from ordergate.fix.transport.connection import FixConnection
from ordergate.fix.transport.periods import PeriodEndTimer, reset_stale_store
from ordergate.fix.transport.stores import StoreFactory, close_store, session_status

__all__ = ["AcceptedSession", "FixAcceptor"]

log = structlog.get_logger("ordergate.fix.transport")

#: A socket that sends this much without a complete first message is dropped.
_MAX_LOGON_BYTES = 64 * 1024


class AcceptedSession:
    """One configured acceptor session: its store, state machine and live connection."""

    def __init__(
        self, config: SessionConfig, store: MessageStore, session: FixSession, clock: Clock
    ) -> None:
        self.config = config
        self.session_id = config.session_id
        self.store = store
        self.session = session
        self.connection: FixConnection | None = None
        self._clock = clock
        self._period_end = PeriodEndTimer(clock)

    def admit(self) -> tuple[str | None, int | None]:
        """Decide on a Logon by the schedule: ``(refusal, period end)``.

        Outside a period the refusal is ``"session is not active"`` and nothing changes.
        Inside one, a store whose sequence began before the period is reset first (a
        durable store persists that with the flush before the Logon reply); the period end
        (None without a schedule) is when the connection must log out.
        """
        schedule = self.config.schedule
        if schedule is None:
            return None, None
        now = self._clock.now_ns()
        period = schedule.period(now)
        if period is None:
            return "session is not active", None
        start, end = period
        reset_stale_store(self.store, start, now, self.session_id)
        return None, end

    def watch_period_end(self, connection: FixConnection, end: int) -> None:
        """Log ``connection`` out once the clock reaches ``end`` (its period's end)."""

        def period_ended() -> None:
            if self.connection is connection and connection.is_open:
                log.info("fix session period ended", session=self.session_id)
                connection.logout("session period ended")

        self._period_end.arm(end, period_ended)

    def cancel_period_end(self) -> None:
        """Forget the period-end timer (the connection is gone)."""
        self._period_end.cancel()

    def status(self) -> SessionStatus:
        """Return the session's status for the registry."""
        return session_status(
            self.config, self.session, self.store, self.connection, self._clock.now_ns()
        )


class FixAcceptor:
    """Listen on one port for many sessions, configured per (SenderCompID, TargetCompID).

    Args:
        host: the address to listen on.
        port: the port; 0 picks a free one (read :attr:`port` after :meth:`start`).
        sessions: the sessions (role acceptor) this port serves.
        store_factory: opens each session's store once, at :meth:`start`.
        application: receives logon, logout and application messages of every session.
        ssl_context: serve TLS when given.
        dictionaries: a dictionary per BeginString (default: the standard ones).
        session_dictionaries: a dictionary per session id, for counterparties with their
            own fields; it takes precedence over ``dictionaries``.
        logon_timeout: seconds a new socket has to send its first complete message.
        registry: where each session's status is published.

    Raises:
        ValueError: no session, a session whose role is not acceptor, two sessions with
            the same id, or a session dictionary for an unknown session or of another
            BeginString.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sessions: Sequence[SessionConfig],
        store_factory: StoreFactory,
        application: FixApplication,
        *,
        ssl_context: ssl.SSLContext | None = None,
        dictionaries: dict[str, Dictionary] | None = None,
        session_dictionaries: Mapping[str, Dictionary] | None = None,
        logon_timeout: float = 10.0,
        clock: Clock | None = None,
        registry: SessionRegistry | None = None,
    ) -> None:
        if not sessions:
            raise ValueError("an acceptor needs at least one session")
        keys: set[tuple[str, str, str]] = set()
        for config in sessions:
            if config.role is not Role.ACCEPTOR:
                raise ValueError(f"{config.session_id}: role is {config.role}, not acceptor")
            key = (config.begin_string, config.sender_comp_id, config.target_comp_id)
            if key in keys:
                raise ValueError(f"{config.session_id}: configured twice")
            keys.add(key)
        by_id = {config.session_id: config for config in sessions}
        for session_id, dictionary in (session_dictionaries or {}).items():
            configured = by_id.get(session_id)
            if configured is None:
                raise ValueError(f"{session_id}: a dictionary for a session not configured")
            if dictionary.begin_string != configured.begin_string:
                raise ValueError(f"{session_id}: dictionary is {dictionary.begin_string}")
        self.host = host
        self.port = port
        self.configs = list(sessions)
        self.application = application
        self.logon_timeout = logon_timeout
        self._store_factory = store_factory
        self._ssl = ssl_context
        self._dictionaries = dict(dictionaries or {})
        self._session_dictionaries = dict(session_dictionaries or {})
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._registry = registry
        self._sessions: dict[tuple[str, str, str], AcceptedSession] = {}
        self._server: asyncio.Server | None = None
        self._gates: set[_LogonGate] = set()

    @property
    def sessions(self) -> list[AcceptedSession]:
        """Return the configured sessions (after :meth:`start`)."""
        return list(self._sessions.values())

    def session(self, session_id: str) -> AcceptedSession:
        """Return the configured session with this id.

        Raises:
            KeyError: no such session.
        """
        for accepted in self._sessions.values():
            if accepted.session_id == session_id:
                return accepted
        raise KeyError(session_id)

    async def start(self) -> None:
        """Open every session's store and start listening."""
        if self._server is not None:
            raise RuntimeError("acceptor already started")
        loop = asyncio.get_running_loop()
        try:
            for config in self.configs:
                await self._open_session(config)
            self._server = await loop.create_server(
                lambda: _LogonGate(self), self.host, self.port, ssl=self._ssl
            )
        except BaseException:
            # A store that failed to open or a port that is taken: release what was opened.
            await self._close_sessions()
            raise
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info(
            "fix acceptor listening", host=self.host, port=self.port, sessions=len(self.configs)
        )

    async def _open_session(self, config: SessionConfig) -> None:
        dictionary = self._session_dictionaries.get(config.session_id)
        if dictionary is None:
            dictionary = self._dictionaries.get(config.begin_string)
        if dictionary is None:
            dictionary = load_dictionary(config.begin_string)
            self._dictionaries[config.begin_string] = dictionary
        store = await self._store_factory(config)
        accepted = AcceptedSession(
            config, store, FixSession(config, store, dictionary), self._clock
        )
        key = (config.begin_string, config.sender_comp_id, config.target_comp_id)
        self._sessions[key] = accepted
        if self._registry is not None:
            self._registry.register(accepted)

    async def stop(self, *, logout: bool = True, grace: float = 5.0) -> None:
        """Stop listening, log every session out (up to ``grace`` s), close the stores."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for gate in list(self._gates):
            gate.abort()
        connections = [s.connection for s in self._sessions.values() if s.connection is not None]
        for connection in connections:
            if logout and connection.logged_on.is_set():
                connection.logout("acceptor stopped")
            else:
                connection.close()
        if connections:
            _, pending = await asyncio.wait(
                [asyncio.ensure_future(c.wait_closed()) for c in connections], timeout=grace
            )
            if pending:
                for connection in connections:
                    connection.abort()
                await asyncio.wait(pending)
        await server.wait_closed()
        await self._close_sessions()

    async def _close_sessions(self) -> None:
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for accepted in sessions:
            accepted.cancel_period_end()
            if self._registry is not None:
                self._registry.unregister(accepted.session_id)
            await close_store(accepted.store)

    def _bind(
        self, gate: _LogonGate, begin: str, their_sender: str, their_target: str
    ) -> tuple[AcceptedSession, int | None] | str:
        accepted = self._sessions.get((begin, their_target, their_sender))
        if accepted is None:
            return f"unknown session {begin}:{their_sender}->{their_target}"
        if accepted.connection is not None:
            return f"session {accepted.session_id} is already connected"
        refusal, end = accepted.admit()
        if refusal is not None:
            return refusal
        return accepted, end

    def _detach(self, connection: FixConnection) -> None:
        for accepted in self._sessions.values():
            if accepted.connection is connection:
                accepted.connection = None
                accepted.cancel_period_end()


class _LogonGate(asyncio.Protocol):
    """Hold a new socket until its first message names a session it may join."""

    def __init__(self, acceptor: FixAcceptor) -> None:
        self._acceptor = acceptor
        self._parser = FrameParser()
        self._received = bytearray()
        self._transport: asyncio.Transport | None = None
        self._timeout: asyncio.TimerHandle | None = None
        self._done = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport is not an asyncio.Transport subclass but has its methods.
        self._transport = cast(asyncio.Transport, transport)
        self._acceptor._gates.add(self)
        loop = asyncio.get_running_loop()
        self._timeout = loop.call_later(self._acceptor.logon_timeout, self._expire)

    def data_received(self, data: bytes) -> None:
        if self._done:
            return
        self._received += data
        self._parser.append(data)
        while True:
            frame = self._parser.next_frame()
            if frame is None:
                if len(self._received) > _MAX_LOGON_BYTES:
                    self._refuse(None, "no logon")
                return
            if isinstance(frame, Garbled):
                continue  # garbled bytes before the Logon are ignored, as on a live session
            self._first_message(frame)
            return

    def _first_message(self, frame: bytes) -> None:
        try:
            message = parse(frame)
        except FixParseError:
            self._refuse(None, "first message does not parse")
            return
        begin = message.get_str(Tag.BeginString) or ""
        sender = message.get_str(Tag.SenderCompID) or ""
        target = message.get_str(Tag.TargetCompID) or ""
        if message.msg_type != MsgType.Logon:
            self._refuse(None, f"first message is MsgType {message.msg_type!r}, not Logon")
            return
        bound = self._acceptor._bind(self, begin, sender, target)
        if isinstance(bound, str):
            self._refuse((begin, target, sender), bound)
            return
        self._hand_over(*bound)

    def _hand_over(self, accepted: AcceptedSession, period_end: int | None) -> None:
        transport = self._transport
        assert transport is not None
        self._finish()
        acceptor = self._acceptor
        connection = FixConnection(
            accepted.session,
            accepted.store,
            acceptor.application,
            clock=acceptor._clock,
            on_close=acceptor._detach,
        )
        accepted.connection = connection
        if period_end is not None:
            accepted.watch_period_end(connection, period_end)
        transport.set_protocol(connection)
        connection.connection_made(transport)
        # The buffered bytes hold the Logon and whatever followed it: the session reads
        # them from the start.
        connection.data_received(bytes(self._received))

    def _refuse(self, reply: tuple[str, str, str] | None, reason: str) -> None:
        transport = self._transport
        self._finish()
        peer = transport.get_extra_info("peername") if transport is not None else None
        log.warning("fix connection refused", peer=peer, reason=reason)
        if transport is None:
            return
        if reply is not None:
            begin, ours, theirs = reply
            now = self._acceptor._clock.now_ns()
            # Sequence number 1 outside any session: the refused peer has no session here.
            logout = encode_fields(
                begin.encode("latin-1"),
                [
                    (Tag.MsgType, b"5"),
                    (Tag.SenderCompID, ours.encode("latin-1")),
                    (Tag.TargetCompID, theirs.encode("latin-1")),
                    (Tag.MsgSeqNum, b"1"),
                    (Tag.SendingTime, format_utc_timestamp(now)),
                    (Tag.Text, reason.encode("latin-1", "replace")),
                ],
            )
            transport.write(logout)
        transport.close()

    def _expire(self) -> None:
        self._timeout = None
        if not self._done:
            self._refuse(None, "no logon within the logon timeout")

    def abort(self) -> None:
        transport = self._transport
        self._finish()
        if transport is not None:
            transport.abort()

    def _finish(self) -> None:
        self._done = True
        self._transport = None
        self._acceptor._gates.discard(self)
        if self._timeout is not None:
            self._timeout.cancel()
            self._timeout = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish()
