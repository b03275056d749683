"""Benchmark the rate limiter: admitted decisions/s, pure core, memory store and Redis store.

Run from the repo root, e.g.::

    .venv/bin/python bench/ratelimit.py                   # everything
    .venv/bin/python bench/ratelimit.py --decisions 20000 --backend memory

Every decision is admitted (the limits are set far above the rate reached), so the figures
are the cost of the limiter itself: the GCRA arithmetic, the queue and dispatcher, and for
Redis one EVALSHA round trip on loopback to a throwaway redis-server (tests/servers.py).
Each request spends three rules, as a Binance order does (weight, orders/10 s, orders/day).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import start_redis

from ordergate.clock import LiveClock
from ordergate.gateway.ratelimit import (
    MemoryRateLimitStore,
    Priority,
    RateLimitPolicy,
    RateLimitStore,
    RedisRateLimitStore,
    VenueRateLimiter,
    decide_all,
)
from ordergate.venues.base import RateLimitRule

SECOND = 1_000_000_000
# Binance's shape with limits no benchmark reaches, so every decision is an admission.
RULES = (
    RateLimitRule(name="REQUEST_WEIGHT", unit="weight", limit=10**9, window_ns=60 * SECOND),
    RateLimitRule(name="ORDERS", unit="orders", limit=10**8, window_ns=10 * SECOND, scope="orders"),
    RateLimitRule(
        name="ORDERS_DAY", unit="orders", limit=10**10, window_ns=86_400 * SECOND, scope="orders"
    ),
)


def bench_core(decisions: int) -> float:
    policy = RateLimitPolicy(RULES)
    demands = policy.demands("orders", 1)
    rules = [d.rule for d in demands]
    costs = [d.cost for d in demands]
    tats = [0, 0, 0]
    now = time.time_ns()
    start = time.perf_counter()
    for i in range(decisions):
        decision = decide_all(rules, costs, tats, now + i)
        tats = list(decision.tats)
    return decisions / (time.perf_counter() - start)


async def bench_store(store: RateLimitStore, decisions: int, concurrency: int) -> float:
    demands = RateLimitPolicy(RULES).demands("orders", 1)
    per_worker = decisions // concurrency

    async def worker(account: str) -> None:
        for _ in range(per_worker):
            decision = await store.acquire("bench", account, demands)
            assert decision.allowed

    start = time.perf_counter()
    # One account shared by every worker: the contended case, all on the same keys.
    await asyncio.gather(*(worker("shared") for _ in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - start)


async def bench_limiter(
    store: RateLimitStore, decisions: int, concurrency: int, account: str
) -> float:
    policy = RateLimitPolicy(RULES)
    per_worker = decisions // concurrency
    async with VenueRateLimiter("bench", account, policy, store, LiveClock()) as limiter:

        async def worker() -> None:
            for _ in range(per_worker):
                await limiter.acquire("orders", 1, Priority.NEW_ORDER)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return per_worker * concurrency / (time.perf_counter() - start)


async def run_memory(args: argparse.Namespace) -> None:
    store = MemoryRateLimitStore(LiveClock())
    rate = await bench_store(store, args.decisions, 1)
    print(f"memory  store.acquire, 1 caller:            {rate:>10,.0f} decisions/s")
    for concurrency in (1, args.concurrency):
        rate = await bench_limiter(store, args.decisions, concurrency, f"lim{concurrency}")
        print(
            f"memory  limiter.acquire, {concurrency:>3} tasks:         {rate:>10,.0f} decisions/s"
        )


async def run_redis(url: str, args: argparse.Namespace) -> None:
    decisions = args.decisions // 4  # each is a network round trip
    for label, clock in (("server TIME", None), ("caller time", LiveClock())):
        store = RedisRateLimitStore.from_url(url, clock=clock)
        try:
            for concurrency in (1, args.concurrency):
                rate = await bench_store(store, decisions, concurrency)
                print(
                    f"redis   store.acquire, {concurrency:>3} callers, {label}: "
                    f"{rate:>10,.0f} decisions/s"
                )
        finally:
            await store.aclose()
    stores = [RedisRateLimitStore.from_url(url) for _ in range(2)]
    try:
        start = time.perf_counter()
        per_limiter = decisions // 2
        await asyncio.gather(
            *(bench_limiter(s, per_limiter, args.concurrency, "two") for s in stores)
        )
        rate = 2 * (per_limiter // args.concurrency) * args.concurrency
        rate /= time.perf_counter() - start
        print(
            f"redis   2 limiters x {args.concurrency} tasks, one budget: {rate:>10,.0f} decisions/s"
        )
    finally:
        for store in stores:
            await store.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decisions", type=int, default=200_000, help="per memory run")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent callers")
    parser.add_argument("--backend", choices=["memory", "redis", "all"], default="all")
    args = parser.parse_args()
    rate = bench_core(args.decisions)
    print(f"core    decide_all, 3 rules:                {rate:>10,.0f} decisions/s")
    if args.backend in ("memory", "all"):
        asyncio.run(run_memory(args))
    if args.backend in ("redis", "all"):
        with start_redis() as server:
            asyncio.run(run_redis(server.url(), args))


if __name__ == "__main__":
    main()
