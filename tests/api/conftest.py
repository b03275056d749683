from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from ordergate.api import create_app
from ordergate.clock import TestClock
from ordergate.eventstore import EventRecorder
from ordergate.oms.service import OrderManager
from tests.oms.conftest import AAPL, store, venue  # noqa: F401  (fixtures)
from tests.oms.scripted_venue import ScriptedVenue


class Services:
    def __init__(self, oms: OrderManager) -> None:
        self.oms = oms
        self.started = 0

    async def start(self) -> None:
        self.started += 1
        await self.oms.start()

    async def stop(self) -> None:
        await self.oms.stop()


@pytest.fixture
async def services(store: EventRecorder, venue: ScriptedVenue) -> AsyncIterator[Services]:  # noqa: F811
    oms = OrderManager(
        store=store, instruments=[AAPL], venues={venue.name: venue}, clock=TestClock()
    )
    services = Services(oms)
    await services.start()
    yield services
    await services.stop()


@pytest.fixture
def app(services: Services) -> FastAPI:
    return create_app(services)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
