"""The supervision of a managed broker's connections: dial, watch, redial, re-sync.

Theory of operation
-------------------
:class:`ConnectionSupervisor` runs one task per connection of a
:class:`~.managed.ManagedVenue`:

- It dials the connection (``connect()``, then an open-orders round trip that proves the
  credentials work), watches it (a probe every ``probe_interval``, and the end of its
  report stream), and on loss redials with exponential backoff and full jitter
  (:class:`~ordergate.fix.transport.backoff.Backoff`). A connection that fails on
  credentials (``AUTH``) stops in ERROR until :meth:`~.managed.ManagedVenue.connect` is
  called again.
- One pump task per connection carries its report stream into the venue's merged stream;
  the stream ending without being asked to is a lost connection.
- After a connection comes back, a re-sync asks it for the fills since the last report it
  delivered and emits those the stream has not carried (fills are deduplicated by
  execution id), then calls the venue's re-sync handler (the OMS's ``reconcile``), so open
  orders are reconciled by the same code as on start-up.

The supervisor reads the venue's settings, clock, backoff, probe, ledger and breaker as they
are when it needs them; failures and reports go through the venue's own bookkeeping (the two
callables it is given), which order entry shares.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

from ordergate.domain.reports import ExecKind, ExecutionReport, FillReport
from ordergate.gateway.connections.health import assess
from ordergate.gateway.connections.link import VenueConnection
from ordergate.gateway.connections.state import ConnectionState, ConnectionTrigger
from ordergate.gateway.errors import VenueErrorKind

if TYPE_CHECKING:
    from ordergate.gateway.connections.managed import ManagedVenue

__all__ = ["ConnectionSupervisor", "FailureRecorder", "ReportSink"]

log = structlog.get_logger("ordergate.gateway.connections")

_DRAIN_TIMEOUT = 2.0  # seconds an adapter's stream may take to end after disconnect()
_T = ConnectionTrigger

#: Records a failure of a request that did not reach the venue; returns its kind.
FailureRecorder = Callable[[VenueConnection, Exception], VenueErrorKind]
#: Takes one report of one connection into the venue's merged stream.
ReportSink = Callable[[VenueConnection, ExecutionReport], None]


class ConnectionSupervisor:
    """The dial, watch and redial tasks of one managed venue's connections.

    Parameters
    ----------
    venue
        The managed venue whose connections it supervises.
    on_failure
        Records a failed dial, probe or re-sync on the connection and the breaker.
    on_report
        Delivers a report of a connection (from its stream, or found by a re-sync).
    """

    def __init__(
        self, venue: ManagedVenue, *, on_failure: FailureRecorder, on_report: ReportSink
    ) -> None:
        self._venue = venue
        self._on_failure = on_failure
        self._on_report = on_report
        self._tasks: list[asyncio.Task[None]] = []
        self._first_dial: dict[int, asyncio.Event] = {}

    def start(self) -> None:
        """Start one supervisor task per connection."""
        self._first_dial = {c.index: asyncio.Event() for c in self._venue.connections}
        for conn in self._venue.connections:
            conn.lost.clear()
            task = asyncio.create_task(self._supervise(conn), name=f"{conn.id}-supervisor")
            self._tasks.append(task)

    def retry_stopped(self) -> None:
        """Dial again the connections stopped in ERROR (bad credentials)."""
        for conn in self._venue.connections:
            if conn.state is ConnectionState.ERROR:
                self._first_dial[conn.index] = asyncio.Event()
                conn.lost.set()

    async def first_dials(self) -> None:
        """Return once every connection was tried since :meth:`start` or :meth:`retry_stopped`."""
        await asyncio.gather(*(event.wait() for event in self._first_dial.values()))

    async def stop(self) -> None:
        """Cancel the tasks and take every connection down, draining its report stream."""
        venue = self._venue
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for conn in venue.connections:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                await conn.adapter.disconnect()
            if conn.pump is not None:
                # Let the pump drain what the adapter answered on its way down (refusals of
                # requests still on the wire): every request gets an answer.
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(conn.pump, _DRAIN_TIMEOUT)
                conn.pump = None
            conn.fire(_T.DISCONNECT, venue.clock.now_ns())
        for event in self._first_dial.values():
            event.set()

    async def _supervise(self, conn: VenueConnection) -> None:
        attempt = 0
        try:
            while not self._venue.suspended:
                if conn.state is ConnectionState.ERROR:
                    self._first_dial[conn.index].set()
                    await conn.lost.wait()  # connect() sets it to retry
                    conn.lost.clear()
                if await self._dial(conn):
                    attempt = 0
                    self._first_dial[conn.index].set()
                    if conn.health.reconnects:
                        await self._resync(conn)
                    await self._watch(conn)
                    continue
                self._first_dial[conn.index].set()
                if conn.state is ConnectionState.ERROR:
                    continue
                delay = self._venue.backoff.delay(attempt)
                attempt += 1
                log.info("reconnect backoff", connection=conn.id, delay=round(delay, 3))
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not kill reconnection silently
            log.exception("connection supervisor failed", connection=conn.id)
            raise

    async def _dial(self, conn: VenueConnection) -> bool:
        venue = self._venue
        timeout = venue.settings.connect_timeout
        conn.fire(_T.CONNECT, venue.clock.now_ns())
        try:
            async with asyncio.timeout(timeout):
                await conn.adapter.connect()
        except Exception as e:  # any failure to connect is a reason to try again later
            self._dial_failed(conn, e)
            return False
        conn.fire(_T.TRANSPORT_OPENED, venue.clock.now_ns())
        started = venue.clock.now_ns()
        try:
            async with conn.queries, asyncio.timeout(timeout):
                reports = await conn.adapter.open_orders()
        except Exception as e:  # the transport is up but the first request failed
            self._dial_failed(conn, e)
            return False
        now = venue.clock.now_ns()
        conn.health.heartbeat.add(now - started)
        venue.ledger.adopt(conn.index, reports)
        conn.known = True
        conn.lost.clear()
        conn.fire(_T.AUTHENTICATED, now)
        venue.breaker.record_success(now)
        if conn.pump is None or conn.pump.done():
            conn.pump = asyncio.create_task(self._pump(conn), name=f"{conn.id}-reports")
        log.info("connection up", connection=conn.id, reconnects=conn.health.reconnects)
        return True

    def _dial_failed(self, conn: VenueConnection, e: Exception) -> None:
        kind = self._on_failure(conn, e)
        trigger = _T.AUTH_FAILED if kind is VenueErrorKind.AUTH else _T.CONNECT_FAILED
        if conn.fsm.can(trigger):
            conn.fire(trigger, self._venue.clock.now_ns())
        log.warning("connect failed", connection=conn.id, kind=kind, error=str(e))

    async def _watch(self, conn: VenueConnection) -> None:
        venue = self._venue
        settings = venue.settings
        while conn.up:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settings.probe_interval):
                    await conn.lost.wait()
            if conn.lost.is_set() or not conn.up:
                break
            started = venue.clock.now_ns()
            try:
                async with conn.queries, asyncio.timeout(settings.probe_timeout):
                    await venue.probe(conn.adapter)
            except Exception as e:  # the probe failing is what we watch for
                kind = self._on_failure(conn, e)
                if kind is VenueErrorKind.AUTH:
                    return
                break
            now = venue.clock.now_ns()
            conn.health.heartbeat.add(now - started)
            venue.breaker.record_success(now)
            degraded = assess(conn.snapshot(now), settings.thresholds)
            conn.fire(_T.HEALTH_DEGRADED if degraded else _T.HEALTH_RECOVERED, now)
        if conn.fsm.can(_T.CONNECTION_LOST) and conn.state is not ConnectionState.ERROR:
            conn.fire(_T.CONNECTION_LOST, venue.clock.now_ns())
            log.warning("connection lost", connection=conn.id)

    async def _pump(self, conn: VenueConnection) -> None:
        try:
            async for report in conn.adapter.execution_reports():
                self._on_report(conn, report)
        except Exception:  # a broken stream is a lost connection, not a crash
            log.exception("report stream failed", connection=conn.id)
        # The adapter ended its stream without being asked to: the connection is gone.
        conn.lost.set()

    async def _resync(self, conn: VenueConnection) -> None:
        venue = self._venue
        # The open-orders round trip of the dial came first: on a FIX session it is answered
        # after the reports the venue held for us, so they are in before fills_since runs.
        try:
            fills = await conn.adapter.fills_since(conn.last_seen_ts)
        except Exception as e:  # the connection dropped again; the next dial re-syncs
            self._on_failure(conn, e)
            return
        missed = 0
        for fill in fills:
            if not venue.ledger.delivered(fill.execution_id):
                missed += 1
                self._on_report(conn, _trade_of(fill))
        venue.resyncs += 1
        log.warning("re-synced connection", connection=conn.id, missed_fills=missed)
        if venue.resync_handler is not None:
            try:
                await venue.resync_handler(venue)
            except Exception:  # reconciliation failing must not stop the connection
                log.exception("re-sync handler failed", venue=venue.name)


def _trade_of(fill: FillReport) -> ExecutionReport:
    return ExecutionReport(
        kind=ExecKind.TRADE,
        venue=fill.venue,
        order_id=fill.order_id,
        venue_order_id=fill.venue_order_id,
        execution_id=fill.execution_id,
        last_quantity=fill.quantity,
        last_price=fill.price,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        liquidity=fill.liquidity,
        ts_event=fill.ts_event,
    )
