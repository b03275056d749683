from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from ordergate.clock import TestClock
from ordergate.domain.instrument import Instrument
from ordergate.domain.values import AssetClass
from ordergate.eventstore import EventRecorder, open_recorder
from ordergate.oms.service import OrderManager
from tests.oms.scripted_venue import ScriptedVenue

AAPL = Instrument(
    symbol="AAPL",
    asset_class=AssetClass.EQUITY,
    quote_currency="USD",
    tick_size=Decimal("0.01"),
    lot_size=Decimal(1),
    min_quantity=Decimal(1),
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EventRecorder]:
    recorder = open_recorder(f"sqlite:///{tmp_path / 'events.db'}")
    await recorder.start()
    yield recorder
    await recorder.close()


@pytest.fixture
def venue() -> ScriptedVenue:
    return ScriptedVenue()


@pytest.fixture
async def oms(store: EventRecorder, venue: ScriptedVenue) -> AsyncIterator[OrderManager]:
    manager = OrderManager(
        store=store,
        instruments=[AAPL],
        venues={venue.name: venue},
        clock=TestClock(),
        snapshot_every=10,
    )
    await manager.start()
    yield manager
    await manager.stop()
