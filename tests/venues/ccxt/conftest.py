"""Fixtures: the simulated Binance on loopback and the ccxt adapter pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ordergate.sim.binance import BinanceSim, BinanceSimServer
from ordergate.venues.ccxt import CcxtVenue, CcxtVenueConfig, binance_sim_config


@pytest.fixture
async def server() -> AsyncIterator[BinanceSimServer]:
    """A started simulated Binance (seeded, quoted once, no background market steps)."""
    server = BinanceSimServer(BinanceSim(seed=21))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def sim_config(server: BinanceSimServer) -> Callable[..., CcxtVenueConfig]:
    """Build the adapter config for the simulator; short timeouts keep fault tests fast."""

    def build(**overrides: Any) -> CcxtVenueConfig:
        fields: dict[str, Any] = {
            "timeout_ms": 1_000,
            "recv_window_ms": 400,
            "settle_ms": 400,  # one clock on loopback: no skew to allow for
            "max_retry_after_s": 0.2,
        }
        fields.update(overrides)
        return binance_sim_config(server.url, server.ws_url, **fields)

    return build


@pytest.fixture
async def venue(sim_config: Callable[..., CcxtVenueConfig]) -> AsyncIterator[CcxtVenue]:
    """A connected adapter (user data stream subscribed)."""
    adapter = CcxtVenue(sim_config())
    await adapter.connect()
    try:
        yield adapter
    finally:
        await adapter.disconnect()
