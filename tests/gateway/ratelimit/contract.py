"""The behaviour every rate limit store gives the limiter (memory and Redis alike).

A test module subclasses :class:`RateLimiterContract` and supplies the ``stores`` fixture:
two stores that share their state (the same object in memory; two clients on one Redis
server), both deciding at the ``timer``'s simulated time.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from ordergate.clock import TestClock
from ordergate.gateway.ratelimit import (
    Priority,
    RateLimiterClosed,
    RateLimitPolicy,
    RateLimitQueueFull,
    RateLimitStore,
    RateLimitTimeout,
    SimulatedTimer,
    VenueRateLimiter,
)
from ordergate.venues.base import RateLimitRule

from .helpers import advance, settle, start
from .rules import BINANCE_RULES, SECOND

T0 = 1_700_000_000_123_456_789
ONE_PER_SECOND = (RateLimitRule(name="REQUESTS", unit="requests", limit=1, window_ns=SECOND),)


class RateLimiterContract:
    """Limiter behaviour over a store; subclasses provide ``stores``."""

    @pytest.fixture
    def timer(self) -> SimulatedTimer:
        return SimulatedTimer(TestClock(T0))

    @pytest.fixture
    def account(self) -> str:
        return f"acct-{uuid.uuid4().hex[:12]}"

    def limiter(
        self,
        store: RateLimitStore,
        timer: SimulatedTimer,
        account: str,
        rules: tuple[RateLimitRule, ...] = BINANCE_RULES,
        **kwargs: object,
    ) -> VenueRateLimiter:
        bursts = kwargs.pop("bursts", None)
        policy = RateLimitPolicy(rules, bursts=bursts)  # type: ignore[arg-type]
        return VenueRateLimiter("testvenue", account, policy, store, timer, **kwargs)  # type: ignore[arg-type]

    async def test_a_burst_goes_at_once_then_requests_wait_for_the_spacing(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, bursts={"ORDERS": 5}) as limiter:
            for _ in range(5):
                await limiter.acquire("orders", 1, Priority.NEW_ORDER, timeout_ns=0)
            done: list[str] = []
            start(limiter.acquire("orders", 1, Priority.NEW_ORDER), done, "sixth")
            await settle(limiter)
            assert done == []

            emission = limiter.policy.gcra("ORDERS").emission_ns
            await advance(timer, emission - 1, limiter)
            assert done == []
            await advance(timer, 1, limiter)
            assert done == ["sixth"]

    async def test_weight_is_spent_by_cost(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account) as limiter:
            await limiter.acquire("query", 590, timeout_ns=0)
            await limiter.acquire("query", 10, timeout_ns=0)
            with pytest.raises(RateLimitTimeout):
                await limiter.acquire("query", 1, timeout_ns=0)

    async def test_a_request_blocked_by_one_rule_spends_none_of_the_others(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, bursts={"ORDERS": 1}) as limiter:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            with pytest.raises(RateLimitTimeout):
                await limiter.acquire("orders", 1, Priority.NEW_ORDER, timeout_ns=0)
            # The refused order took no weight: the whole burst of 600 minus the first is left.
            await limiter.acquire("query", 599, timeout_ns=0)

    async def test_cancels_go_first_then_replaces_then_new_orders_then_queries(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, ONE_PER_SECOND) as limiter:
            await limiter.acquire("query", 1)  # the budget is now spent for a second
            done: list[str] = []
            arrivals = [
                ("query-1", Priority.QUERY),
                ("new-1", Priority.NEW_ORDER),
                ("replace-1", Priority.REPLACE),
                ("cancel-1", Priority.CANCEL),
                ("new-2", Priority.NEW_ORDER),
                ("cancel-2", Priority.CANCEL),
                ("query-2", Priority.QUERY),
            ]
            for label, priority in arrivals:
                start(limiter.acquire("orders", 1, priority), done, label)
            await settle(limiter)
            assert done == []

            for _ in arrivals:
                await advance(timer, SECOND, limiter)

            assert done == [
                "cancel-1",
                "cancel-2",
                "replace-1",
                "new-1",
                "new-2",
                "query-1",
                "query-2",
            ]

    async def test_a_cancel_arriving_later_overtakes_waiting_new_orders(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, ONE_PER_SECOND) as limiter:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            done: list[str] = []
            start(limiter.acquire("orders", 1, Priority.NEW_ORDER), done, "new")
            await advance(timer, SECOND // 2, limiter)
            start(limiter.acquire("orders", 1, Priority.CANCEL), done, "cancel")
            await advance(timer, SECOND // 2, limiter)
            assert done == ["cancel"]
            await advance(timer, SECOND, limiter)
            assert done == ["cancel", "new"]

    async def test_retry_after_pauses_even_with_budget_left(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account) as limiter:
            pause = await limiter.on_response(429, {"Retry-After": "5"})
            assert pause == 5 * SECOND
            done: list[str] = []
            start(limiter.acquire("query", 1), done, "query")
            await advance(timer, 5 * SECOND - 1, limiter)
            assert done == []
            await advance(timer, 1, limiter)
            assert done == ["query"]

    async def test_a_pause_reaches_every_limiter_on_the_account(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        first = self.limiter(stores[0], timer, account)
        second = self.limiter(stores[1], timer, account)
        async with first, second:
            await first.on_response(418, {"Retry-After": "120"})
            with pytest.raises(RateLimitTimeout, match="120000 ms"):
                await second.acquire("query", 1, timeout_ns=119 * SECOND)
            done: list[str] = []
            start(second.acquire("query", 1), done, "query")
            await advance(timer, 120 * SECOND - 1, first, second)
            assert done == []
            await advance(timer, 1, first, second)
            assert done == ["query"]

    async def test_a_backoff_never_shortens_a_pause(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account) as limiter:
            await limiter.backoff(10)
            await limiter.backoff(1)
            with pytest.raises(RateLimitTimeout):
                await limiter.acquire("query", 1, timeout_ns=9 * SECOND)

    async def test_a_negative_backoff_is_refused(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account) as limiter:
            with pytest.raises(ValueError, match="negative"):
                await limiter.backoff(-1)

    async def test_a_full_queue_refuses_new_requests_but_not_cancels(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, ONE_PER_SECOND, max_queue=2) as limiter:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            done: list[str] = []
            start(limiter.acquire("orders", 1, Priority.NEW_ORDER), done, "new-1")
            start(limiter.acquire("orders", 1, Priority.NEW_ORDER), done, "new-2")
            await settle(limiter)
            assert limiter.waiting == 2

            with pytest.raises(RateLimitQueueFull, match="max 2"):
                await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            start(limiter.acquire("orders", 1, Priority.CANCEL), done, "cancel")
            await settle(limiter)
            assert limiter.waiting == 3

            for _ in range(3):
                await advance(timer, SECOND, limiter)
            assert done == ["cancel", "new-1", "new-2"]
            assert limiter.waiting == 0

    async def test_a_deadline_that_passes_in_the_queue_fails_and_frees_the_place(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, ONE_PER_SECOND) as limiter:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            done: list[str] = []
            start(limiter.acquire("orders", 1, Priority.CANCEL), done, "cancel")
            late = asyncio.ensure_future(limiter.acquire("query", 1, timeout_ns=SECOND // 2))
            await settle(limiter)
            await advance(timer, SECOND // 2, limiter)
            assert not late.done()  # at its deadline it is still in time
            await advance(timer, 1, limiter)
            assert late.done()
            with pytest.raises(RateLimitTimeout, match="deadline passed"):
                await late
            assert limiter.waiting == 1
            await advance(timer, SECOND // 2, limiter)
            assert done == ["cancel"]
            assert limiter.waiting == 0
            # The query that timed out took nothing: the next second is free for another.
            await advance(timer, SECOND, limiter)
            await limiter.acquire("query", 1, timeout_ns=0)

    async def test_a_wait_longer_than_the_deadline_fails_at_once(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, ONE_PER_SECOND) as limiter:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            with pytest.raises(RateLimitTimeout, match="limits ask for 1000 ms more"):
                await limiter.acquire("orders", 1, Priority.NEW_ORDER, timeout_ns=SECOND - 1)
            assert timer.now_ns() == T0

    async def test_a_cancelled_waiter_leaves_the_queue_and_takes_no_capacity(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, ONE_PER_SECOND) as limiter:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            done: list[str] = []
            first = start(limiter.acquire("orders", 1, Priority.NEW_ORDER), done, "first")
            start(limiter.acquire("orders", 1, Priority.NEW_ORDER), done, "second")
            await settle(limiter)
            first.cancel()
            await settle(limiter)
            assert limiter.waiting == 1

            await advance(timer, SECOND, limiter)
            assert done == ["second"]
            assert first.cancelled()

    async def test_a_waiter_cancelled_as_it_is_granted_gives_the_grant_back(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account, ONE_PER_SECOND) as limiter:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            waiter = asyncio.ensure_future(limiter.acquire("orders", 1, Priority.NEW_ORDER))
            await settle(limiter)
            timer.advance(SECOND)  # the dispatcher wakes and grants...
            while limiter.waiting:
                await asyncio.sleep(0)
            waiter.cancel()  # ...and the caller is cancelled before it resumes
            await settle(limiter)
            assert waiter.cancelled()
            # The grant was given back: this second's budget is still there.
            await limiter.acquire("orders", 1, Priority.NEW_ORDER, timeout_ns=0)

    @pytest.mark.parametrize(
        ("endpoint", "cost", "message"),
        [
            ("query", 0, "cost must be at least 1"),
            ("query", -1, "cost must be at least 1"),
            ("query", 601, "above the burst"),
            ("nowhere", 1, "unknown endpoint"),
            ("query", {"NOPE": 1}, "unknown rate limit rule"),
        ],
    )
    async def test_bad_requests_are_refused_and_spend_nothing(
        self,
        stores: tuple[RateLimitStore, RateLimitStore],
        timer: SimulatedTimer,
        account: str,
        endpoint: str,
        cost: object,
        message: str,
    ) -> None:
        async with self.limiter(stores[0], timer, account) as limiter:
            with pytest.raises(ValueError, match=message):
                await limiter.acquire(endpoint, cost)  # type: ignore[arg-type]
            assert limiter.waiting == 0
            await limiter.acquire("query", 600, timeout_ns=0)  # the whole burst is still there

    async def test_a_bad_priority_or_timeout_is_refused(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        async with self.limiter(stores[0], timer, account) as limiter:
            with pytest.raises(ValueError, match="Priority"):
                await limiter.acquire("query", 1, 9)  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="timeout_ns"):
                await limiter.acquire("query", 1, timeout_ns=-1)

    async def test_closing_fails_the_waiters_and_refuses_new_requests(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        limiter = self.limiter(stores[0], timer, account, ONE_PER_SECOND)
        await limiter.acquire("query", 1)
        waiter = asyncio.ensure_future(limiter.acquire("query", 1))
        await settle(limiter)
        await limiter.aclose()
        with pytest.raises(RateLimiterClosed):
            await waiter
        with pytest.raises(RateLimiterClosed):
            await limiter.acquire("query", 1)

    async def test_two_limiters_on_one_store_share_the_budget(
        self, stores: tuple[RateLimitStore, RateLimitStore], timer: SimulatedTimer, account: str
    ) -> None:
        rules = (RateLimitRule(name="ORDERS", unit="orders", limit=10, window_ns=SECOND),)
        first = self.limiter(stores[0], timer, account, rules, bursts={"ORDERS": 4})
        second = self.limiter(stores[1], timer, account, rules, bursts={"ORDERS": 4})
        admitted: list[int] = []

        async def send(limiter: VenueRateLimiter) -> None:
            await limiter.acquire("orders", 1, Priority.NEW_ORDER)
            admitted.append(timer.now_ns())

        async with first, second:
            tasks = [asyncio.ensure_future(send(lim)) for lim in (first, second) * 20]
            await settle(first, second)
            while not all(task.done() for task in tasks):
                due = timer.next_due()
                assert due is not None
                await advance(timer, due - timer.now_ns(), first, second)
            await asyncio.gather(*tasks)

        assert len(admitted) == 40
        admitted.sort()
        assert admitted[:4] == [T0] * 4  # the shared burst, not one per limiter
        for i, when in enumerate(admitted):
            assert sum(1 for t in admitted[i:] if t < when + SECOND) <= 10
