"""Rate limiting for venue requests: GCRA per rule, queued by priority, shared via Redis.

Build one :class:`VenueRateLimiter` per venue account, from the venue's capabilities::

    store = MemoryRateLimitStore(clock)              # alone
    store = RedisRateLimitStore(redis_client)        # shared by several instances
    limiter = VenueRateLimiter.from_capabilities("binance", "main", caps, store, clock)

    await limiter.acquire("orders", cost=1, priority=Priority.NEW_ORDER)
    response = await http.post(...)
    await limiter.on_response(response.status_code, response.headers)
"""

from ordergate.gateway.ratelimit.backoff import ResponseBackoff, parse_retry_after
from ordergate.gateway.ratelimit.gcra import Decision, GcraRule, decide_all
from ordergate.gateway.ratelimit.limiter import (
    Priority,
    RateLimiterClosed,
    RateLimitQueueFull,
    RateLimitTimeout,
    VenueRateLimiter,
)
from ordergate.gateway.ratelimit.memory import MemoryRateLimitStore
from ordergate.gateway.ratelimit.policy import (
    DEFAULT_ENDPOINTS,
    Demand,
    RateLimitPolicy,
    default_burst,
)
from ordergate.gateway.ratelimit.redis import RedisRateLimitStore
from ordergate.gateway.ratelimit.store import RateLimitStore
from ordergate.gateway.ratelimit.timers import LoopTimer, SimulatedTimer, Timer

__all__ = [
    "DEFAULT_ENDPOINTS",
    "Decision",
    "Demand",
    "GcraRule",
    "LoopTimer",
    "MemoryRateLimitStore",
    "Priority",
    "RateLimitPolicy",
    "RateLimitQueueFull",
    "RateLimitStore",
    "RateLimitTimeout",
    "RateLimiterClosed",
    "RedisRateLimitStore",
    "ResponseBackoff",
    "SimulatedTimer",
    "Timer",
    "VenueRateLimiter",
    "decide_all",
    "default_burst",
    "parse_retry_after",
]
