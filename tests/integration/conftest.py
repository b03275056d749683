"""Fixtures shared by the platform tests: an in-process API client over a module's platform."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ordergate.api import create_app
from ordergate.platform import Platform


@pytest.fixture
async def client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """Return a client of the API of the test module's ``platform`` fixture, no port bound."""
    transport = httpx.ASGITransport(app=create_app(platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
