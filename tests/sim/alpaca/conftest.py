"""Fixtures: the simulated Alpaca API on loopback and a raw httpx client with good keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ordergate.clock import TestClock
from ordergate.sim.alpaca import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer

KEYS = {"APCA-API-KEY-ID": DEFAULT_KEY_ID, "APCA-API-SECRET-KEY": DEFAULT_SECRET_KEY}


@pytest.fixture
async def sim() -> AsyncIterator[AlpacaSimServer]:
    """A running simulator on a test clock; its market has quoted once."""
    server = AlpacaSimServer(clock=TestClock(), seed=7)
    await server.start()
    server.step_market()
    yield server
    await server.stop()


@pytest.fixture
async def http(sim: AlpacaSimServer) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client of the simulator that sends the right keys."""
    async with httpx.AsyncClient(base_url=sim.url, headers=KEYS) as client:
        yield client
