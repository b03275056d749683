"""Helpers to drive rate limiters in simulated time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from ordergate.gateway.ratelimit import SimulatedTimer, VenueRateLimiter


async def settle(*limiters: VenueRateLimiter) -> None:
    """Let every limiter do all it can at the current simulated time."""
    for _ in range(3):  # one limiter's grant or pause can wake another
        for limiter in limiters:
            await limiter.wait_idle()
        for _ in range(3):
            await asyncio.sleep(0)


async def advance(timer: SimulatedTimer, ns: int, *limiters: VenueRateLimiter) -> None:
    """Move simulated time on by ``ns`` and let the limiters act on it."""
    timer.advance(ns)
    await settle(*limiters)


def start(coroutine: Awaitable[None], done: list[str], label: str) -> asyncio.Task[None]:
    """Run ``coroutine`` as a task that appends ``label`` to ``done`` when it is admitted."""

    async def run() -> None:
        await coroutine
        done.append(label)

    return asyncio.get_running_loop().create_task(run())
