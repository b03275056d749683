"""The initiator: connect, log on, and reconnect with backoff across a list of endpoints."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence

import structlog

from ordergate.clock import Clock, LiveClock
from ordergate.fix.dictionary import Dictionary, load_dictionary
from ordergate.fix.message import FixMessage
from ordergate.fix.registry import SessionRegistry, SessionStatus
from ordergate.fix.session import FixSession
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.transport.application import FixApplication
from ordergate.fix.transport.backoff import Backoff
from ordergate.fix.transport.connection import ConnectionClosedError, DurableStore, FixConnection
from ordergate.fix.transport.periods import reset_stale_store, sleep_until
from ordergate.fix.transport.stores import StoreFactory, close_store, session_status

__all__ = ["FixInitiator"]

log = structlog.get_logger("ordergate.fix.transport")

_NS = 1_000_000_000


class FixInitiator:
    """Keep one initiator session connected and logged on.

    Endpoints are tried in order; when every endpoint of a round failed (refused, dropped or
    not logged on), the next round waits ``backoff.delay(round)``. After a connection that
    logged on ends, the initiator reconnects at once, starting with the endpoint that worked.
    The store (and with it the sequence numbers) lives across reconnects.

    With a schedule (``config.schedule``), the initiator connects only inside a session
    period: outside one it waits for the next (:attr:`inactive_until`); at the start of a
    period it resets a store whose sequence began before that period (numbers back to 1)
    before it logs on; at the period's end it logs out and stays down until the next one.
    The schedule is read with ``clock``.

    Args:
        config: the session (role must be initiator).
        store_factory: opens the session's store once, at :meth:`start`.
        dictionary: validates inbound messages (default: the standard one of the version).
        endpoints: ``(host, port)`` pairs, primary first.
        application: receives logon, logout and application messages.
        ssl_context: connect with TLS when given.
        server_hostname: the name the acceptor's certificate must carry (default: the host).
        backoff: reconnect delays (seed its RNG in tests).
        registry: where the session's status is published.

    Raises:
        ValueError: no endpoint, or a config whose role is not initiator.
    """

    def __init__(
        self,
        config: SessionConfig,
        store_factory: StoreFactory,
        dictionary: Dictionary | None,
        endpoints: Sequence[tuple[str, int]],
        application: FixApplication,
        *,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        registry: SessionRegistry | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError(f"{config.session_id}: an initiator needs at least one endpoint")
        if config.role is not Role.INITIATOR:
            raise ValueError(f"{config.session_id}: role is {config.role}, not initiator")
        self.config = config
        self.session_id = config.session_id
        self.endpoints = list(endpoints)
        self.application = application
        self._store_factory = store_factory
        self._dictionary = dictionary
        self._ssl = ssl_context
        self._server_hostname = server_hostname
        self._backoff = backoff if backoff is not None else Backoff()
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._registry = registry
        self._store: MessageStore | None = None
        self._session: FixSession | None = None
        self._connection: FixConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.attempts = 0
        """Connection attempts so far (successful or not)."""
        self.inactive_until: int | None = None
        """While the schedule keeps the session down: when its next period starts (ns)."""

    @property
    def store(self) -> MessageStore:
        """Return the session's store (open after :meth:`start`)."""
        if self._store is None:
            raise RuntimeError(f"{self.session_id}: initiator not started")
        return self._store

    @property
    def session(self) -> FixSession:
        """Return the session state machine (after :meth:`start`)."""
        if self._session is None:
            raise RuntimeError(f"{self.session_id}: initiator not started")
        return self._session

    @property
    def connection(self) -> FixConnection | None:
        """Return the live connection, or None between connections."""
        return self._connection

    async def start(self) -> None:
        """Open the store and start connecting in the background."""
        if self._runner is not None:
            raise RuntimeError(f"{self.session_id}: initiator already started")
        self._store = await self._store_factory(self.config)
        dictionary = self._dictionary or load_dictionary(self.config.begin_string)
        self._session = FixSession(self.config, self._store, dictionary)
        if self._registry is not None:
            self._registry.register(self)
        self._runner = asyncio.create_task(self._run(), name=f"fix initiator {self.session_id}")

    async def stop(self, *, logout: bool = True, grace: float = 5.0) -> None:
        """Log out (waiting up to ``grace`` s for the handshake), stop, close the store."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        runner.cancel()
        connection = self._connection
        if connection is not None:
            if logout and connection.logged_on.is_set():
                connection.logout("session stopped")
            else:
                connection.close()
            try:
                await asyncio.wait_for(connection.wait_closed(), grace)
            except TimeoutError:
                connection.abort()
                await connection.wait_closed()
        await asyncio.gather(runner, return_exceptions=True)
        if self._registry is not None:
            self._registry.unregister(self.session_id)
        if self._store is not None:
            await close_store(self._store)

    def send(self, message: FixMessage) -> int:
        """Send an application message on the live connection; return its MsgSeqNum(34).

        Raises:
            ConnectionClosedError: not connected.
        """
        connection = self._connection
        if connection is None:
            raise ConnectionClosedError(f"{self.session_id}: not connected")
        return connection.send(message)

    async def wait_logged_on(self, timeout: float | None = None) -> FixConnection:  # noqa: ASYNC109
        """Return the connection once it is logged on (across reconnect attempts).

        Raises:
            TimeoutError: not logged on within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while True:
                connection = self._connection
                if connection is not None and connection.logged_on.is_set():
                    return connection
                if connection is None:
                    await self._connected.wait()
                    continue
                try:
                    await connection.wait_logged_on()
                except ConnectionClosedError:
                    # The runner is about to drop this connection and try the next one.
                    await asyncio.sleep(0.01)

    def status(self) -> SessionStatus:
        """Return the session's status for the registry."""
        return session_status(
            self.config, self._session, self._store, self._connection, self._clock.now_ns()
        )

    async def _run(self) -> None:
        schedule = self.config.schedule
        if schedule is None:
            await self._keep_connected()
            return
        while True:
            now = self._clock.now_ns()
            period = schedule.period(now)
            if period is None:
                opens = schedule.next_start(now)
                self.inactive_until = opens
                log.info(
                    "fix session waits for its schedule",
                    session=self.session_id,
                    opens_in=round((opens - now) / _NS, 3),
                )
                await sleep_until(self._clock, opens)
                continue
            self.inactive_until = None
            start, end = period
            await self._reset_stale_store(start, now)
            keeper = asyncio.create_task(self._keep_connected())
            try:
                await sleep_until(self._clock, end)
            finally:
                keeper.cancel()
                (outcome,) = await asyncio.gather(keeper, return_exceptions=True)
                if isinstance(outcome, Exception):
                    log.error("fix initiator failed", session=self.session_id, exc_info=outcome)
            await self._end_connection("session period ended")

    async def _keep_connected(self) -> None:
        failed_rounds = 0
        first = 0
        while True:
            logged_on_at: int | None = None
            for i in range(len(self.endpoints)):
                index = (first + i) % len(self.endpoints)
                connection = await self._connect(*self.endpoints[index])
                if connection is None:
                    continue
                await connection.wait_closed()
                self._connection = None
                self._connected.clear()
                if connection.logged_on.is_set():
                    logged_on_at = index
                    break
            if logged_on_at is not None:
                failed_rounds = 0
                first = logged_on_at
                continue
            delay = self._backoff.delay(failed_rounds)
            failed_rounds += 1
            log.info("fix reconnect backoff", session=self.session_id, delay=round(delay, 3))
            await asyncio.sleep(delay)

    async def _reset_stale_store(self, start: int, now: int) -> None:
        store = self.store
        if reset_stale_store(store, start, now, self.session_id) and isinstance(
            store, DurableStore
        ):
            await store.flush()

    async def _end_connection(self, reason: str) -> None:
        """Log the live connection out (or close it) and wait until it is gone."""
        connection = self._connection
        if connection is None:
            return
        connection.logout(reason)  # closes at once when there is no logon to end
        try:
            await asyncio.wait_for(connection.wait_closed(), self.config.logout_timeout + 1.0)
        except TimeoutError:
            connection.abort()
            await connection.wait_closed()
        if self._connection is connection:
            self._connection = None
            self._connected.clear()

    async def _connect(self, host: str, port: int) -> FixConnection | None:
        loop = asyncio.get_running_loop()
        self.attempts += 1
        assert self._session is not None
        assert self._store is not None
        session, store = self._session, self._store
        try:
            _, connection = await loop.create_connection(
                lambda: FixConnection(session, store, self.application, clock=self._clock),
                host,
                port,
                ssl=self._ssl,
                server_hostname=(self._server_hostname or host) if self._ssl else None,
            )
        except (OSError, ssl.SSLError) as e:
            log.info(
                "fix connect failed",
                session=self.session_id,
                endpoint=f"{host}:{port}",
                error=str(e),
            )
            return None
        self._connection = connection
        self._connected.set()
        return connection
