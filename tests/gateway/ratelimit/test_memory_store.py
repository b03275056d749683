"""The in-process store, through the limiter contract."""

from __future__ import annotations

import pytest

from ordergate.gateway.ratelimit import MemoryRateLimitStore, RateLimitStore, SimulatedTimer

from .contract import RateLimiterContract


class TestMemoryRateLimiter(RateLimiterContract):
    @pytest.fixture
    def stores(self, timer: SimulatedTimer) -> tuple[RateLimitStore, RateLimitStore]:
        store = MemoryRateLimitStore(timer)
        return store, store
