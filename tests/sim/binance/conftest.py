"""Fixtures: a simulated Binance on a free loopback port, and a signing HTTP client."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest

from ordergate.sim.binance import BinanceSim, BinanceSimServer
from ordergate.sim.binance.signing import sign


@pytest.fixture
async def server() -> AsyncIterator[BinanceSimServer]:
    """A started simulated Binance (seeded market, quoted once, no background steps)."""
    server = BinanceSimServer(BinanceSim(seed=11))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class SignedClient:
    """Raw httpx requests to the simulator, signed as Binance wants them."""

    def __init__(self, http: httpx.AsyncClient, key: str = "simkey", secret: str = "simsecret"):
        self.http = http
        self.key = key
        self.secret = secret

    def query(self, params: dict[str, str], *, timestamp: int | None = None) -> str:
        stamped = {**params, "timestamp": str(timestamp or int(time.time() * 1000))}
        payload = urlencode(stamped)
        return f"{payload}&signature={sign(payload, self.secret)}"

    async def send(
        self, method: str, path: str, params: dict[str, str], **kwargs: int
    ) -> httpx.Response:
        query = self.query(params, **kwargs)
        headers = {"X-MBX-APIKEY": self.key}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return await self.http.request(method, path, content=query, headers=headers)
        return await self.http.request(method, f"{path}?{query}", headers=headers)


@pytest.fixture
async def http(server: BinanceSimServer) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the simulator's base URL."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        yield client


@pytest.fixture
def signed(http: httpx.AsyncClient) -> SignedClient:
    """A signing client with the simulator's default key."""
    return SignedClient(http)
