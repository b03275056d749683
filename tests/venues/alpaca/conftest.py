"""Fixtures: the simulated Alpaca API on loopback, and the adapter connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import ordergate.venues.alpaca  # noqa: F401 - imports alpaca-py without its websockets warning
from ordergate.clock import LiveClock
from ordergate.sim.alpaca import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer
from ordergate.venues.alpaca import AlpacaVenue, AlpacaVenueConfig


def venue_config(sim: AlpacaSimServer, **overrides: object) -> AlpacaVenueConfig:
    """Return a config of the adapter pointed at ``sim``, with test-sized timeouts."""
    settings: dict[str, object] = {
        "key_id": DEFAULT_KEY_ID,
        "secret_key": DEFAULT_SECRET_KEY,
        "base_url": sim.url,
        "request_timeout_s": 1.0,
        "connect_timeout_s": 5.0,
        "retry_backoff_s": 0.01,
    }
    settings.update(overrides)
    return AlpacaVenueConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def sim() -> AsyncIterator[AlpacaSimServer]:
    """A running simulator; its market has quoted once."""
    server = AlpacaSimServer(clock=LiveClock(), seed=7)
    await server.start()
    server.step_market()
    yield server
    await server.stop()


@pytest.fixture
async def venue(sim: AlpacaSimServer) -> AsyncIterator[AlpacaVenue]:
    """The adapter, connected to ``sim``."""
    adapter = AlpacaVenue(venue_config(sim))
    await adapter.connect()
    yield adapter
    await adapter.disconnect()
