"""The shared store: GCRA state in Redis, for several ordergate instances on one account.

Keys
----
``og:rl:<venue>:<account>:<rule>`` holds a rule's theoretical arrival time as decimal
integer nanoseconds; ``og:rl:<venue>:<account>:!pause`` holds the instant a pause ends
(``!`` cannot occur in a rule name). Every key expires once it means nothing any more
(its instant has passed) plus ``ttl_slack_ms``, so idle accounts leave nothing behind.

Atomicity
---------
One Lua script checks every rule of a request and the pause, and updates all the rules
only when all admit; Redis runs a script with nothing in between, so limiters on many
hosts sharing these keys together never exceed a limit. Scripts are sent as EVALSHA and,
on NOSCRIPT (a restarted or flushed server), as EVAL, which also caches them again.

Time
----
By default the script reads the Redis server's ``TIME``: one clock for every instance,
so a host whose clock runs ahead cannot spend budget that another host still counts as
used (GCRA state is an instant, so clock skew between writers would turn into extra
admissions). Pass ``clock`` to decide at the caller's time instead: deterministic, for
simulations and tests with a :class:`~ordergate.clock.TestClock`, or for one writer.

Lua numbers are doubles, exact only below 2**53 ns (104 days), and the epoch in ns is
beyond that, so the scripts split instants into seconds and nanoseconds and compute only
differences from now, which stay small (at most twice a rule's burst capacity).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from ordergate.clock import Clock
from ordergate.gateway.ratelimit.gcra import Decision
from ordergate.gateway.ratelimit.policy import Demand, check_name

__all__ = ["RedisRateLimitStore"]

# Differences from now in the scripts stay below this, so doubles hold them exactly.
_MAX_CAPACITY_NS = 2**50

_COMMON = """
local function split(s)
  local n = #s
  if n <= 9 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 9)), tonumber(string.sub(s, n - 8))
end
local now_s, now_ns
if ARGV[1] == "" then
  local t = redis.call("TIME")
  now_s = tonumber(t[1])
  now_ns = tonumber(t[2]) * 1000
else
  now_s, now_ns = split(ARGV[1])
end
local function since_now(s)
  local a, b = split(s)
  return (a - now_s) * 1000000000 + (b - now_ns)
end
local function instant(ahead)
  local total = now_ns + ahead
  local carry = math.floor(total / 1000000000)
  local rest = total - carry * 1000000000
  if rest < 0 then carry = carry - 1; rest = rest + 1000000000 end
  if rest >= 1000000000 then carry = carry + 1; rest = rest - 1000000000 end
  return string.format("%d%09d", now_s + carry, rest)
end
local function ttl_ms(ahead)
  return math.ceil(ahead / 1000000) + tonumber(ARGV[2])
end
"""

# KEYS: pause, rule...; ARGV: now or "", slack ms, then emission_ns, capacity_ns, cost per rule.
# Returns {1, tat...} when admitted, {0, wait_ns} when not.
_ACQUIRE = (
    _COMMON
    + """
local wait = 0
local ahead = {}
for i = 2, #KEYS do
  local j = 3 + (i - 2) * 3
  local emission, capacity, cost = tonumber(ARGV[j]), tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
  local backlog = 0
  local tat = redis.call("GET", KEYS[i])
  if tat then
    backlog = since_now(tat)
    if backlog < 0 then backlog = 0 end
  end
  local after = backlog + cost * emission
  if after - capacity > wait then wait = after - capacity end
  ahead[i] = after
end
local paused = redis.call("GET", KEYS[1])
if paused then
  local left = since_now(paused)
  if left > wait then wait = left end
end
if wait > 0 then return {0, wait} end
local reply = {1}
for i = 2, #KEYS do
  local tat = instant(ahead[i])
  redis.call("SET", KEYS[i], tat, "PX", ttl_ms(ahead[i]))
  reply[i] = tat
end
return reply
"""
)

# KEYS: rule...; ARGV: now or "", slack ms, then emission_ns, cost, granted tat per rule.
_REFUND = (
    _COMMON
    + """
for i = 1, #KEYS do
  local j = 3 + (i - 1) * 3
  local emission, cost, granted = tonumber(ARGV[j]), tonumber(ARGV[j + 1]), ARGV[j + 2]
  local tat = redis.call("GET", KEYS[i])
  if tat then
    local unused = since_now(granted)
    if unused < 0 then unused = 0 end
    if unused > cost * emission then unused = cost * emission end
    local after = since_now(tat) - unused
    if after > 0 then
      redis.call("SET", KEYS[i], instant(after), "PX", ttl_ms(after))
    else
      redis.call("DEL", KEYS[i])
    end
  end
end
return 1
"""
)

# KEYS: pause; ARGV: now or "", slack ms, duration_ns. A pause never shortens.
_PAUSE = (
    _COMMON
    + """
local duration = tonumber(ARGV[3])
local paused = redis.call("GET", KEYS[1])
if paused and since_now(paused) >= duration then return 0 end
redis.call("SET", KEYS[1], instant(duration), "PX", ttl_ms(duration))
return 1
"""
)


class _Script:
    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


class RedisRateLimitStore:
    """GCRA state in Redis, shared by every limiter that uses the same server.

    Parameters
    ----------
    client
        A ``redis.asyncio.Redis`` client (responses decoded or not).
    clock
        Decide at this clock's time; None (the default) uses the Redis server's TIME.
    prefix
        First part of every key.
    ttl_slack_ms
        How long a key outlives its meaning (keeps it through clock differences).
    owns_client
        Close the client in :meth:`aclose`.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        clock: Clock | None = None,
        prefix: str = "og:rl",
        ttl_slack_ms: int = 60_000,
        owns_client: bool = False,
    ) -> None:
        if ttl_slack_ms < 1:
            raise ValueError("ttl_slack_ms must be at least 1")
        self._redis = client
        self._clock = clock
        self._prefix = prefix
        self._slack = str(ttl_slack_ms)
        self._owns_client = owns_client
        self._acquire = _Script(_ACQUIRE)
        self._refund = _Script(_REFUND)
        self._pause = _Script(_PAUSE)

    @classmethod
    def from_url(cls, url: str, *, clock: Clock | None = None) -> RedisRateLimitStore:
        """Connect to the Redis server at ``url`` (``redis://127.0.0.1:6379/0``)."""
        return cls(aioredis.Redis.from_url(url), clock=clock, owns_client=True)

    def key(self, venue: str, account: str, rule: str) -> str:
        """Return the key of one rule's state."""
        return f"{self._prefix}:{venue}:{account}:{rule}"

    def pause_key(self, venue: str, account: str) -> str:
        """Return the key of an account's pause."""
        return f"{self._prefix}:{venue}:{account}:!pause"

    async def acquire(self, venue: str, account: str, demands: Sequence[Demand]) -> Decision:
        """Admit the request if every rule and the pause allow it, else say how long to wait.

        Raises
        ------
        ValueError
            If there are no demands, a name is unusable in a key, or a rule's burst
            capacity is too long for exact arithmetic in Lua (over 2**50 ns, 13 days).
        """
        if not demands:
            raise ValueError("a request must be covered by at least one rule")
        keys = [self.pause_key(*self._names(venue, account))]
        args: list[str | int] = [self._now(), self._slack]
        for demand in demands:
            rule = demand.rule
            rule.check_cost(demand.cost)
            if rule.capacity_ns > _MAX_CAPACITY_NS:
                raise ValueError(
                    f"rule {rule.name}: burst capacity {rule.capacity_ns} ns is too long "
                    f"for the Redis store (at most {_MAX_CAPACITY_NS} ns)"
                )
            keys.append(self.key(venue, account, check_name("rule", rule.name)))
            args += [rule.emission_ns, rule.capacity_ns, demand.cost]
        reply = await self._run(self._acquire, keys, args)
        if int(reply[0]) == 1:
            return Decision(True, tuple(int(tat) for tat in reply[1:]), 0)
        return Decision(False, (), int(reply[1]))

    async def refund(
        self, venue: str, account: str, demands: Sequence[Demand], tats: Sequence[int]
    ) -> None:
        """Give back a grant nobody used; ``tats`` is what :meth:`acquire` returned."""
        keys: list[str] = []
        args: list[str | int] = [self._now(), self._slack]
        self._names(venue, account)
        for demand, tat in zip(demands, tats, strict=True):
            keys.append(self.key(venue, account, check_name("rule", demand.rule.name)))
            args += [demand.rule.emission_ns, demand.cost, str(tat)]
        if keys:
            await self._run(self._refund, keys, args)

    async def pause(self, venue: str, account: str, duration_ns: int) -> None:
        """Admit nothing for ``duration_ns`` from now, for every limiter on this account.

        Raises
        ------
        ValueError
            If ``duration_ns`` is negative or too long to compute with exactly (2**50 ns).
        """
        if not 0 <= duration_ns <= _MAX_CAPACITY_NS:
            raise ValueError(f"a pause must be in 0..{_MAX_CAPACITY_NS} ns, got {duration_ns}")
        key = self.pause_key(*self._names(venue, account))
        await self._run(self._pause, [key], [self._now(), self._slack, duration_ns])

    async def aclose(self) -> None:
        """Close the client if this store opened it."""
        if self._owns_client:
            await self._redis.aclose()

    def _names(self, venue: str, account: str) -> tuple[str, str]:
        return check_name("venue", venue), check_name("account", account)

    def _now(self) -> str:
        return "" if self._clock is None else str(self._clock.now_ns())

    async def _run(self, script: _Script, keys: list[str], args: list[str | int]) -> Any:
        try:
            return await self._redis.evalsha(script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self._redis.eval(script.source, len(keys), *keys, *args)
