"""A broker reached over several connections, as one venue: the connection manager's shell.

Theory of operation
-------------------
:class:`ManagedVenue` is a :class:`~ordergate.venues.base.VenueAdapter` over one or more
underlying adapters of one broker (FIX sessions, API keys, endpoints). The OMS sees one venue.

- One supervisor task per connection (:class:`~.supervisor.ConnectionSupervisor`) dials
  it, watches it, redials it with backoff on loss and, once it is back, re-syncs the fills
  it missed and calls the re-sync handler (the OMS's ``reconcile``). A connection that
  fails on credentials (``AUTH``) stops in ERROR until :meth:`ManagedVenue.connect` is
  called again.
- New orders go to a connection chosen by :class:`~.balance.Balancer` (primaries first,
  backups on failover, degraded ones last); a submit that fails RETRYABLE or RATE_LIMITED
  (the venue did not act on it) is tried on the next connection. Cancels and replaces go to
  the connection that holds the order.
- A connection with a rate limiter (its API key's budget in the venue's terms) waits for
  it before each order request, cancels ahead of replaces ahead of new orders; a new order
  that cannot get budget within ``rate_limit_wait`` goes to the next connection, and a 429
  from the venue pauses that connection's limiter (for every instance sharing its store).
- The broker's :class:`~.breaker.CircuitBreaker` gates submits and replaces. Cancels are
  never gated: they take risk off, and refusing them would leave orders working at a venue
  we no longer trust.
- Every request gets an answer on the merged report stream: a refusal (breaker open, no
  connection up, an adapter exception) is a REJECTED / CANCEL_REJECTED / REPLACE_REJECTED
  report, never an exception.

Invariants: the merged stream carries each fill once; it ends only on :meth:`disconnect`
(:meth:`suspend` takes the connections down but keeps it open).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import msgspec
import structlog

from ordergate.clock import Clock
from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    Quote,
    TradeTick,
    VenueOrder,
)
from ordergate.fix.transport.backoff import Backoff
from ordergate.gateway.connections.balance import Balancer, BalancingPolicy
from ordergate.gateway.connections.breaker import BreakerConfig, BreakerState, CircuitBreaker
from ordergate.gateway.connections.ledger import OrderLedger
from ordergate.gateway.connections.link import (
    ConnectionSpec,
    Probe,
    VenueConnection,
    classify,
    round_trip_probe,
)
from ordergate.gateway.connections.settings import ConnectionSettings
from ordergate.gateway.connections.state import ConnectionState, ConnectionTrigger
from ordergate.gateway.connections.supervisor import ConnectionSupervisor
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.gateway.ratelimit import (
    Priority,
    RateLimiterClosed,
    RateLimitQueueFull,
    RateLimitTimeout,
)
from ordergate.venues.base import ReplaceRequest, VenueAdapter, VenueCapabilities

__all__ = ["ManagedVenue", "ResyncHandler"]

log = structlog.get_logger("ordergate.gateway.connections")

_NS_PER_S = 1_000_000_000
_DEFAULT_RATE_LIMIT_PAUSE_S = 1.0  # after a 429 without Retry-After
_T = ConnectionTrigger

#: Called after a connection came back and its missed fills were emitted (``oms.reconcile``).
ResyncHandler = Callable[[VenueAdapter], Awaitable[object]]


class ManagedVenue(VenueAdapter):
    """One broker over one or more connections (see the module docstring).

    Parameters
    ----------
    name
        The broker's venue name, as the OMS knows it; reports are stamped with it.
    connections
        The underlying adapters, primaries first; a bare adapter is a primary.
    clock
        Time of health samples, breaker decisions and refusal reports.
    kind
        What sort of broker this is, for status pages (``"sim"``, ``"fix"``, ``"ccxt"``).
    breaker
        When the broker's circuit breaker opens.
    policy
        How new orders spread over healthy connections.
    settings
        Dial, probe and backoff settings.
    backoff
        Reconnect delays (default: from ``settings``; pass a seeded one in tests).
    probe
        The live check run every ``probe_interval`` (default: an open-orders round trip).
    capabilities
        What the broker takes (default: the first connection's).

    Raises
    ------
    ValueError
        With no connection, or two connections of one id.
    """

    def __init__(
        self,
        name: str,
        connections: Sequence[VenueAdapter | ConnectionSpec],
        *,
        clock: Clock,
        kind: str = "venue",
        breaker: BreakerConfig | None = None,
        policy: BalancingPolicy = BalancingPolicy.ROUND_ROBIN,
        settings: ConnectionSettings | None = None,
        backoff: Backoff | None = None,
        probe: Probe | None = None,
        capabilities: VenueCapabilities | None = None,
    ) -> None:
        if not connections:
            raise ValueError(f"{name}: a managed venue needs at least one connection")
        specs = [
            c if isinstance(c, ConnectionSpec) else ConnectionSpec(adapter=c) for c in connections
        ]
        self.name = name
        self.kind = kind
        self.clock = clock
        self.settings = settings if settings is not None else ConnectionSettings()
        self._capabilities = capabilities
        self.connections = [
            VenueConnection(i, spec.id or f"{name}-{i + 1}", spec.adapter, spec.role, spec.limiter)
            for i, spec in enumerate(specs)
        ]
        if len({c.id for c in self.connections}) != len(self.connections):
            raise ValueError(f"{name}: connection ids must be unique")
        self.breaker = CircuitBreaker(breaker)
        self.balancer = Balancer(policy)
        self.backoff = (
            backoff
            if backoff is not None
            else Backoff(self.settings.backoff_initial, self.settings.backoff_maximum)
        )
        self.probe: Probe = probe if probe is not None else round_trip_probe
        self.resync_handler: ResyncHandler | None = None
        self.resyncs = 0
        """Re-syncs completed after a connection came back."""
        self._reports: asyncio.Queue[ExecutionReport | None] = asyncio.Queue()
        self.ledger = OrderLedger()
        self._background: set[asyncio.Task[None]] = set()
        self._wanted = False
        self._open = False
        self._supervisor = ConnectionSupervisor(
            self,
            on_failure=lambda conn, e: self._failed(conn, e, sent=False),
            on_report=self._on_report,
        )

    @property
    def capabilities(self) -> VenueCapabilities:  # type: ignore[override]
        """Return the configured capabilities, else the first connection's (as it says now:
        some adapters learn theirs on connecting, from the venue's markets)."""
        if self._capabilities is not None:
            return self._capabilities
        return self.connections[0].adapter.capabilities

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """Return the broker's state: the best state of any of its connections."""
        states = {c.state for c in self.connections}
        for state in (
            ConnectionState.CONNECTED,
            ConnectionState.DEGRADED,
            ConnectionState.AUTHENTICATING,
            ConnectionState.CONNECTING,
            ConnectionState.ERROR,
        ):
            if state in states:
                return state
        return ConnectionState.DISCONNECTED

    @property
    def suspended(self) -> bool:
        """Return True when the connections are down on purpose (not wanted)."""
        return not self._wanted

    def set_resync_handler(self, handler: ResyncHandler | None) -> None:
        """Call ``handler(self)`` after every re-sync (wire ``OrderManager.reconcile`` here)."""
        self.resync_handler = handler

    async def connect(self) -> None:
        """Dial every connection; return once each was tried and at least one is up.

        Connections that did not come up keep redialling in the background.

        Raises
        ------
        ConnectionError
            If no connection came up on its first try.
        """
        self._open = True
        if not self._wanted:
            self._wanted = True
            self._supervisor.start()
        else:  # already wanted: retry connections stopped on bad credentials
            self._supervisor.retry_stopped()
        await self._supervisor.first_dials()
        if not any(c.up for c in self.connections):
            errors = "; ".join(
                f"{c.id}: {c.health.last_error.message}"
                for c in self.connections
                if c.health.last_error is not None
            )
            raise ConnectionError(f"{self.name}: no connection came up ({errors or 'no answer'})")

    async def suspend(self) -> None:
        """Take every connection down on purpose; the report stream stays open.

        Orders sent while suspended are refused with a REJECTED report.
        """
        self._wanted = False
        await self._supervisor.stop()

    async def disconnect(self) -> None:
        """Take every connection down and end the report stream."""
        await self.suspend()
        if self._open:
            self._open = False
            self._reports.put_nowait(None)

    # -- requests ----------------------------------------------------------------------

    async def submit(self, order: VenueOrder) -> None:
        """Send a new order on a healthy connection; refusals come back as REJECTED reports."""
        now = self.clock.now_ns()
        if not self._wanted:
            self._refuse(ExecKind.REJECTED, order.order_id, f"{self.name} is disconnected")
            return
        if not self.breaker.allow(now):
            self._refuse(ExecKind.REJECTED, order.order_id, self._breaker_reason())
            return
        tried: set[int] = set()
        last = ""
        while True:
            index = self.balancer.choose(
                [c.candidate() for c in self.connections], frozenset(tried)
            )
            if index is None:
                reason = (
                    f"every connection of {self.name} refused it{last}"
                    if tried
                    else f"no connection of {self.name} is up"
                )
                self._refuse(ExecKind.REJECTED, order.order_id, reason)
                return
            conn = self.connections[index]
            paced = await self._pace(conn, "orders", Priority.NEW_ORDER)
            if paced is not None:
                tried.add(index)  # its budget is spent for now: another connection may have some
                last = f" (last error on {conn.id}: {paced})"
                continue
            self._hold(conn, order)
            try:
                await conn.adapter.submit(order)
            except Exception as e:  # an adapter that breaks the contract: classify it
                kind = self._failed(conn, e, sent=True)
                if kind is VenueErrorKind.UNKNOWN_OUTCOME:
                    # It may be working at the venue: keep it held; reconciliation decides.
                    log.error("submit outcome unknown", venue=self.name, order_id=order.order_id)
                    return
                self._release(order.order_id)
                if kind in (VenueErrorKind.RETRYABLE, VenueErrorKind.RATE_LIMITED):
                    tried.add(index)  # the venue did not act on it: fail over
                    last = f" (last error on {conn.id}: {e})"
                    continue
                self._refuse(ExecKind.REJECTED, order.order_id, f"{conn.id}: {e}")
                return
            self.breaker.record_success(self.clock.now_ns())
            return

    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        """Send the cancel on the connection holding the order (never gated by the breaker)."""
        conn = self._holder(order_id)
        if conn is None:
            self._refuse(ExecKind.CANCEL_REJECTED, order_id, self._down_reason(order_id))
            return
        paced = await self._pace(conn, "cancel", Priority.CANCEL)
        if paced is not None:
            self._refuse(ExecKind.CANCEL_REJECTED, order_id, f"{conn.id}: {paced}")
            return
        conn.health.messages_out.add(self.clock.now_ns())
        try:
            await conn.adapter.cancel(order_id, venue_order_id, symbol)
        except Exception as e:  # an adapter that breaks the contract: classify it
            self._failed(conn, e, sent=True)
            self._refuse(ExecKind.CANCEL_REJECTED, order_id, f"{conn.id}: {e}")
            return
        self.breaker.record_success(self.clock.now_ns())

    async def replace(self, request: ReplaceRequest) -> None:
        """Send the replace on the connection holding the order, if the breaker allows."""
        now = self.clock.now_ns()
        if not self.breaker.allow(now):
            self._refuse(ExecKind.REPLACE_REJECTED, request.order_id, self._breaker_reason())
            return
        conn = self._holder(request.order_id)
        if conn is None:
            reason = self._down_reason(request.order_id)
            self._refuse(ExecKind.REPLACE_REJECTED, request.order_id, reason)
            return
        paced = await self._pace(conn, "replace", Priority.REPLACE)
        if paced is not None:
            self._refuse(ExecKind.REPLACE_REJECTED, request.order_id, f"{conn.id}: {paced}")
            return
        conn.health.messages_out.add(now)
        try:
            await conn.adapter.replace(request)
        except Exception as e:  # an adapter that breaks the contract: classify it
            self._failed(conn, e, sent=True)
            self._refuse(ExecKind.REPLACE_REJECTED, request.order_id, f"{conn.id}: {e}")
            return
        self.breaker.record_success(self.clock.now_ns())

    async def open_orders(self) -> list[OrderStatusReport]:
        """Return the open orders of every connection.

        A connection that is down reports the orders it was known to hold as open, so
        reconciliation never cancels an order it cannot see.

        Raises
        ------
        ConnectionError
            If a connection that is down was never asked about its orders in this process
            (it may hold orders nobody here knows of).
        """
        result: list[OrderStatusReport] = []
        for conn in self.connections:
            if conn.up:
                async with conn.queries:
                    reports = await conn.adapter.open_orders()
                self.ledger.adopt(conn.index, reports)
                result += [self._stamped_status(r) for r in reports]
            elif conn.known:
                result += self.ledger.assumed_open(conn.index, self.name, self.clock.now_ns())
            else:
                raise ConnectionError(f"{conn.id} is {conn.state}: its open orders are unknown")
        return result

    async def fills_since(self, ts_ns: int) -> list[FillReport]:
        """Return every fill at or after ``ts_ns`` from the connections that are up."""
        fills: list[FillReport] = []
        for conn in self.connections:
            if conn.up:
                fills += await conn.adapter.fills_since(ts_ns)
        fills.sort(key=lambda f: f.ts_event)
        return [msgspec.structs.replace(f, venue=self.name) for f in fills]

    async def execution_reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield the reports of every connection, each fill once, until :meth:`disconnect`."""
        while (report := await self._reports.get()) is not None:
            yield report

    async def market_data(self) -> AsyncIterator[Quote | TradeTick]:
        """Yield the market data of the first connection that is up, until :meth:`disconnect`.

        When that connection's stream ends (it went down), the next one that is up takes
        over; one broker's connections see one market, so one stream is enough.
        """
        while self._open:
            conn = next((c for c in self.connections if c.up), None)
            if conn is None:
                await asyncio.sleep(self.settings.probe_interval)
                continue
            ticks = 0
            async for tick in conn.adapter.market_data():
                ticks += 1
                yield tick
            if not ticks:  # a venue without market data ends its stream at once
                return

    # -- reports and bookkeeping -------------------------------------------------------

    def _on_report(self, conn: VenueConnection, report: ExecutionReport) -> None:
        now = self.clock.now_ns()
        conn.health.messages_in.add(now)
        conn.last_seen_ts = max(conn.last_seen_ts, report.ts_event)
        holder = self.ledger.holder(report.order_id)
        outcome = self.ledger.on_report(report, now)
        if outcome.ack_latency_ns is not None:
            conn.health.request.add(outcome.ack_latency_ns)
        self._sync_in_flight(holder)
        if report.error_kind is not None:
            # A refusal that came from a venue error (not a business reject): it counts
            # towards the connection's error rate and the breaker like a raised error.
            reason = report.reason or report.error_kind.value
            conn.health.on_error(report.error_kind, reason, now)
            self.breaker.record_failure(report.error_kind, now, f"{conn.id}: {reason}")
            if report.error_kind is VenueErrorKind.RATE_LIMITED:
                self._slow_down(conn, None)
        if not outcome.deliver:
            return
        if report.venue != self.name:
            report = msgspec.structs.replace(report, venue=self.name)
        self._reports.put_nowait(report)

    def _hold(self, conn: VenueConnection, order: VenueOrder) -> None:
        now = self.clock.now_ns()
        self.ledger.sent(conn.index, order, now)
        conn.health.messages_out.add(now)
        self._sync_in_flight(conn.index)

    def _release(self, order_id: str) -> None:
        holder = self.ledger.holder(order_id)
        self.ledger.forget(order_id)
        self._sync_in_flight(holder)

    def _sync_in_flight(self, index: int | None) -> None:
        if index is not None:
            self.connections[index].health.in_flight = self.ledger.in_flight(index)

    def _holder(self, order_id: str) -> VenueConnection | None:
        index = self.ledger.holder(order_id)
        conn = None if index is None else self.connections[index]
        if conn is None:  # not sent by this process: ask the first connection that is up
            conn = next((c for c in self.connections if c.up), None)
        return conn if conn is not None and conn.up else None

    async def _pace(self, conn: VenueConnection, endpoint: str, priority: Priority) -> str | None:
        # Wait for the connection's rate limiter; None when the request may go, else why not.
        if conn.limiter is None:
            return None
        wait_ns = int(self.settings.rate_limit_wait * _NS_PER_S)
        try:
            await conn.limiter.acquire(endpoint, 1, priority, timeout_ns=wait_ns)
        except (RateLimitTimeout, RateLimitQueueFull, RateLimiterClosed) as e:
            conn.health.on_error(VenueErrorKind.RATE_LIMITED, str(e), self.clock.now_ns())
            return f"rate limit: {e}"
        return None

    def _slow_down(self, conn: VenueConnection, retry_after: float | None) -> None:
        # The venue said 429/418: every request of this connection's account waits (for all
        # sharers of the limiter's store); without a Retry-After, a short fixed pause.
        if conn.limiter is not None:
            pause = retry_after if retry_after else _DEFAULT_RATE_LIMIT_PAUSE_S
            task = asyncio.create_task(conn.limiter.backoff(pause))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _failed(self, conn: VenueConnection, e: Exception, *, sent: bool) -> VenueErrorKind:
        now = self.clock.now_ns()
        kind = classify(e, sent=sent)
        message = str(e) or type(e).__name__
        conn.health.on_error(kind, message, now)
        retry_after = e.retry_after if isinstance(e, VenueError) else None
        retry_after_ns = int(retry_after * _NS_PER_S) if retry_after else 0
        self.breaker.record_failure(kind, now, f"{conn.id}: {message}", retry_after_ns)
        if kind is VenueErrorKind.RATE_LIMITED:
            self._slow_down(conn, retry_after)
        if kind is VenueErrorKind.AUTH and conn.fsm.can(_T.AUTH_FAILED):
            conn.fire(_T.AUTH_FAILED, now)
        return kind

    def _breaker_reason(self) -> str:
        retry_at = self.breaker.retry_at()
        state = self.breaker.state
        when = f"; next trial at {retry_at} ns" if retry_at is not None else ""
        what = "open" if state is BreakerState.OPEN else "half-open, trial in progress"
        return f"circuit breaker {what} for {self.name} ({self.breaker.last_failure}){when}"

    def _down_reason(self, order_id: str) -> str:
        index = self.ledger.holder(order_id)
        if index is not None:
            conn = self.connections[index]
            return f"connection {conn.id} holding order {order_id!r} is {conn.state}"
        return f"no connection of {self.name} is up"

    def _refuse(self, kind: ExecKind, order_id: str, reason: str) -> None:
        self._reports.put_nowait(
            ExecutionReport(
                kind=kind,
                venue=self.name,
                order_id=order_id,
                reason=reason,
                ts_event=self.clock.now_ns(),
            )
        )

    def _stamped_status(self, report: OrderStatusReport) -> OrderStatusReport:
        if report.venue == self.name:
            return report
        return msgspec.structs.replace(report, venue=self.name)
