"""The per-venue rate limiter: requests queue until the venue's limits let them go.

Theory of operation
-------------------
:meth:`VenueRateLimiter.acquire` puts the request in a queue ordered by priority class
(cancels, then replaces, then new orders, then queries) and, within a class, by arrival.
One dispatcher task serves the queue: it asks the store to admit the head request (all
its rules at once) and, when refused, sleeps until the store says it would fit, or until
something changes (a request arrives or leaves, a deadline falls due). A cancel that
arrives while a new order waits is tried first when the dispatcher wakes.

Invariants:

- A request is admitted only by the store, so limiters sharing a store (Redis) together
  stay within the venue's limits.
- A waiter that is cancelled, times out or finds the queue full takes no capacity: it
  leaves the queue, and a grant made in the instant it was cancelled is given back.
- Nothing is tried while the venue has asked for a pause (Retry-After, backoff), and the
  pause is kept in the store, so every limiter sharing it pauses.
- A request gets at least one try, however short its timeout; it fails as soon as the
  wait the store names would end after its deadline (others only add to it, refunds aside).
- Strict priority: the head of the queue blocks those behind it, even ones its rules do
  not cover, so a query cannot spend request weight a waiting cancel needs.

Time comes from an injected :class:`~.timers.Timer` (a clock that can call back), so a
:class:`~.timers.SimulatedTimer` runs the limiter in simulated time without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import TracebackType
from typing import Self

from ordergate.clock import Clock
from ordergate.gateway.ratelimit.backoff import ResponseBackoff
from ordergate.gateway.ratelimit.policy import DEFAULT_ENDPOINTS, Demand, RateLimitPolicy
from ordergate.gateway.ratelimit.policy import check_name as _check_name
from ordergate.gateway.ratelimit.store import RateLimitStore
from ordergate.gateway.ratelimit.timers import LoopTimer, Timer, TimerHandle
from ordergate.venues.base import VenueCapabilities

__all__ = [
    "Priority",
    "RateLimitQueueFull",
    "RateLimitTimeout",
    "RateLimiterClosed",
    "VenueRateLimiter",
]

_NS_PER_S = 1_000_000_000


class Priority(IntEnum):
    """Priority classes, most urgent first: a cancel reduces risk, a query only reads."""

    CANCEL = 0
    REPLACE = 1
    NEW_ORDER = 2
    QUERY = 3


class RateLimitQueueFull(Exception):
    """The limiter's queue is full; the request was not queued."""


class RateLimitTimeout(TimeoutError):
    """A request's deadline passed (or could not be met) before the limits let it go."""


class RateLimiterClosed(RuntimeError):
    """The limiter was closed while the request waited, or before it was made."""


@dataclass(eq=False)
class _Waiter:
    priority: int
    seq: int
    demands: tuple[Demand, ...]
    deadline_ns: int | None
    future: asyncio.Future[None]
    granted: tuple[int, ...] | None = field(default=None)
    tried: bool = field(default=False)

    def __lt__(self, other: _Waiter) -> bool:
        return (self.priority, self.seq) < (other.priority, other.seq)


class VenueRateLimiter:
    """Rate limiting for one venue account: queue, priorities, pauses.

    Parameters
    ----------
    venue, account
        Whose budget this is; limiters with the same names on one store share it.
    policy
        The venue's rules and endpoints.
    store
        Where the state lives (:class:`~.memory.MemoryRateLimitStore` alone,
        :class:`~.redis.RedisRateLimitStore` shared).
    clock
        Time for deadlines and backoff; a :class:`~.timers.Timer` is used as is, any other
        clock gets a :class:`~.timers.LoopTimer`.
    max_queue
        Requests that may wait at once. Cancels are always queued: failing to cancel is
        worse than a long queue.
    default_timeout_ns
        Deadline of a request that gives none; None waits as long as it takes.
    backoff
        The pause policy for 429/418 responses.
    """

    def __init__(
        self,
        venue: str,
        account: str,
        policy: RateLimitPolicy,
        store: RateLimitStore,
        clock: Clock | Timer,
        *,
        max_queue: int = 1_000,
        default_timeout_ns: int | None = None,
        backoff: ResponseBackoff | None = None,
    ) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        if default_timeout_ns is not None and default_timeout_ns < 0:
            raise ValueError("default_timeout_ns cannot be negative")
        self.venue = _check_name("venue", venue)
        self.account = _check_name("account", account)
        self.policy = policy
        self._store = store
        self._timer: Timer = clock if isinstance(clock, Timer) else LoopTimer(clock)
        self._max_queue = max_queue
        self._default_timeout_ns = default_timeout_ns
        self._backoff = backoff if backoff is not None else ResponseBackoff()
        self._queue: list[_Waiter] = []
        self._deadlines: list[tuple[int, int, _Waiter]] = []
        self._waiting = 0
        self._seq = itertools.count()
        self._refunds: list[_Waiter] = []
        self._wakeup = asyncio.Event()
        self._parked = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def from_capabilities(
        cls,
        venue: str,
        account: str,
        capabilities: VenueCapabilities,
        store: RateLimitStore,
        clock: Clock | Timer,
        *,
        endpoints: Iterable[str] = DEFAULT_ENDPOINTS,
        bursts: Mapping[str, int] | None = None,
        max_queue: int = 1_000,
        default_timeout_ns: int | None = None,
        backoff: ResponseBackoff | None = None,
    ) -> VenueRateLimiter:
        """Build the limiter for a venue from the rules its capabilities state.

        Raises
        ------
        ValueError
            If the venue states no rules, or a rule, endpoint or burst is unusable.
        """
        policy = RateLimitPolicy(capabilities.rate_limits, endpoints=endpoints, bursts=bursts)
        return cls(
            venue,
            account,
            policy,
            store,
            clock,
            max_queue=max_queue,
            default_timeout_ns=default_timeout_ns,
            backoff=backoff,
        )

    @property
    def waiting(self) -> int:
        """Return how many requests are queued."""
        return self._waiting

    async def acquire(
        self,
        endpoint: str,
        cost: int | Mapping[str, int] = 1,
        priority: Priority = Priority.QUERY,
        *,
        timeout_ns: int | None = None,
    ) -> None:
        """Wait until a request to ``endpoint`` of ``cost`` may go to the venue.

        Parameters
        ----------
        endpoint
            The kind of request; it spends every rule whose scope is ``"*"`` or this.
        cost
            Units for every covering rule, or units per rule name (see
            :meth:`RateLimitPolicy.demands`).
        priority
            The request's class in the queue.
        timeout_ns
            Longest wait; defaults to the limiter's ``default_timeout_ns``.

        Raises
        ------
        ValueError
            If the endpoint or a rule is unknown, or a cost is below 1 or above a burst;
            nothing is queued or spent.
        RateLimitQueueFull
            If ``max_queue`` requests are waiting already (never for a cancel).
        RateLimitTimeout
            If the deadline passes, or the wait the limits ask for would pass it.
        RateLimiterClosed
            If the limiter is or gets closed.
        """
        demands = self.policy.demands(endpoint, cost)
        priority = Priority(priority)
        if timeout_ns is None:
            timeout_ns = self._default_timeout_ns
        elif timeout_ns < 0:
            raise ValueError(f"timeout_ns cannot be negative, got {timeout_ns}")
        if self._closed:
            raise RateLimiterClosed(f"rate limiter {self.venue}:{self.account} is closed")
        if self._waiting >= self._max_queue and priority is not Priority.CANCEL:
            raise RateLimitQueueFull(
                f"rate limiter {self.venue}:{self.account}: {self._waiting} requests queued "
                f"(max {self._max_queue}); {endpoint} request refused"
            )
        now = self._timer.now_ns()
        deadline = None if timeout_ns is None else now + timeout_ns
        waiter = _Waiter(
            priority, next(self._seq), demands, deadline, asyncio.get_running_loop().create_future()
        )
        heapq.heappush(self._queue, waiter)
        if deadline is not None:
            heapq.heappush(self._deadlines, (deadline, waiter.seq, waiter))
        self._waiting += 1
        self._ensure_dispatcher()
        self._wake()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                if waiter.future.exception() is None:  # granted in the instant we were cancelled
                    self._refunds.append(waiter)
            else:
                self._leave(waiter)
            self._wake()
            raise

    async def backoff(self, seconds: float | int) -> None:
        """Admit nothing for ``seconds`` (the venue's Retry-After), for every sharer.

        Raises
        ------
        ValueError
            If ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"a backoff cannot be negative, got {seconds} s")
        await self._pause(int(seconds * _NS_PER_S))

    async def on_response(self, status: int, headers: Mapping[str, str]) -> int | None:
        """Learn from a venue's response; pause on 429/418 and return the pause in ns.

        Call it with every HTTP response's status and headers: a success ends a streak of
        429s, so the next backoff starts short again.
        """
        pause_ns = self._backoff.pause_for(status, headers, self._timer.now_ns())
        if pause_ns:
            await self._pause(pause_ns)
        return pause_ns

    async def wait_idle(self) -> None:
        """Return once the dispatcher has done all it can now and is waiting (for tests)."""
        self._ensure_dispatcher()
        if self._dispatcher is not None:
            await self._parked.wait()

    async def aclose(self) -> None:
        """Stop the dispatcher; every queued request fails with :class:`RateLimiterClosed`."""
        self._closed = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
        for waiter in self._queue:
            if not waiter.future.done():
                waiter.future.set_exception(
                    RateLimiterClosed(f"rate limiter {self.venue}:{self.account} closed")
                )
        self._queue.clear()
        self._deadlines.clear()
        self._waiting = 0
        await self._settle_refunds()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _pause(self, pause_ns: int) -> None:
        await self._store.pause(self.venue, self.account, pause_ns)
        self._wake()

    def _ensure_dispatcher(self) -> None:
        if self._dispatcher is None and not self._closed:
            self._dispatcher = asyncio.get_running_loop().create_task(
                self._dispatch(), name=f"ratelimit-{self.venue}-{self.account}"
            )

    def _wake(self) -> None:
        self._parked.clear()
        self._wakeup.set()

    def _leave(self, waiter: _Waiter) -> None:
        # The heaps drop it lazily (its future is done); only the count changes now.
        self._waiting -= 1

    def _head(self) -> _Waiter | None:
        while self._queue and self._queue[0].future.done():
            heapq.heappop(self._queue)
        return self._queue[0] if self._queue else None

    def _finish(self, waiter: _Waiter, error: BaseException | None = None) -> None:
        if error is None:
            waiter.future.set_result(None)
        else:
            waiter.future.set_exception(error)
        self._waiting -= 1

    def _expire(self, now: int, head: _Waiter | None) -> int | None:
        # Fail the waiters whose deadline has passed, except a head never tried yet: every
        # request gets one try, or a zero timeout could never succeed on a live clock.
        # Return the instant the next deadline passes.
        spared = None
        while self._deadlines:
            deadline, _, waiter = self._deadlines[0]
            if waiter.future.done():
                heapq.heappop(self._deadlines)
            elif deadline < now:  # admitted at its deadline is still in time
                entry = heapq.heappop(self._deadlines)
                if waiter is head and not waiter.tried:
                    spared = entry
                else:
                    self._finish(waiter, self._timeout(waiter, "its deadline passed"))
            else:
                break
        if spared is not None:
            heapq.heappush(self._deadlines, spared)
        return self._deadlines[0][0] + 1 if self._deadlines else None

    def _timeout(self, waiter: _Waiter, why: str) -> RateLimitTimeout:
        rules = "+".join(demand.rule.name for demand in waiter.demands)
        return RateLimitTimeout(
            f"rate limiter {self.venue}:{self.account}: {Priority(waiter.priority).name} "
            f"request on {rules} not sent: {why}"
        )

    async def _settle_refunds(self) -> None:
        while self._refunds:
            waiter = self._refunds.pop()
            if waiter.granted is not None:
                await self._store.refund(self.venue, self.account, waiter.demands, waiter.granted)

    async def _dispatch(self) -> None:
        refused: _Waiter | None = None  # the head the store last refused, and until when
        retry_at = 0
        while True:
            await self._settle_refunds()
            now = self._timer.now_ns()
            next_deadline = self._expire(now, self._head())
            head = self._head()
            if head is None:
                await self._park(next_deadline)
                continue
            if head is refused and now < retry_at:
                # Woken by a newcomer behind it: asking the store again cannot help yet.
                await self._park(
                    retry_at if next_deadline is None else min(retry_at, next_deadline)
                )
                continue
            head.tried = True
            try:
                decision = await self._store.acquire(self.venue, self.account, head.demands)
            except Exception as e:  # the store is down: this request fails, others retry
                if not head.future.done():
                    self._finish(head, e)
                continue
            if head.future.done():  # cancelled or timed out during the round trip
                if decision.allowed:
                    head.granted = decision.tats
                    self._refunds.append(head)
                continue
            if decision.allowed:
                head.granted = decision.tats
                self._finish(head)
                continue
            now = self._timer.now_ns()
            if head.deadline_ns is not None and now + decision.wait_ns > head.deadline_ns:
                wait_ms = decision.wait_ns // 1_000_000
                self._finish(head, self._timeout(head, f"the limits ask for {wait_ms} ms more"))
                continue
            wake_at = now + decision.wait_ns
            refused, retry_at = head, wake_at
            if next_deadline is not None:
                wake_at = min(wake_at, next_deadline)
            await self._park(wake_at)

    async def _park(self, wake_at: int | None) -> None:
        if self._wakeup.is_set():  # something changed while we worked: look again first
            self._wakeup.clear()
            return
        handle: TimerHandle | None = None
        if wake_at is not None:
            handle = self._timer.call_at(wake_at, self._wake)
        self._parked.set()
        try:
            await self._wakeup.wait()
        finally:
            self._wakeup.clear()
            if handle is not None:
                handle.cancel()
