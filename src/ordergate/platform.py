"""Wiring: the services of one ordergate process, built from settings.

The embedded default is one process with a SQLite event store in the data directory and
the simulated venue in process. Everything here is imperative shell; the decisions live in
the domain, the OMS and the simulator.
"""

from __future__ import annotations

from ordergate.clock import Clock, LiveClock
from ordergate.config import Settings
from ordergate.eventstore import EventRecorder, open_recorder
from ordergate.oms.service import OrderManager
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.sim.venue import SimVenue

__all__ = ["Platform"]


class Platform:
    """The event store, the venues and the OMS of one process."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or LiveClock()
        self.store: EventRecorder = open_recorder(settings.resolved_store_url())
        instruments = default_instruments()
        self.venue = SimVenue(
            instruments,
            clock=self.clock,
            start_prices=default_start_prices(),
            seed=settings.sim_seed,
            latency_ns=settings.sim_latency_ns,
            step_interval_ns=settings.sim_step_ns,
        )
        self.oms = OrderManager(
            store=self.store,
            instruments=instruments,
            venues={self.venue.name: self.venue},
            clock=self.clock,
            snapshot_every=settings.snapshot_every,
        )

    async def start(self) -> None:
        """Open the store, replay the log, connect the venues and reconcile with them."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.start()
        await self.oms.start()

    async def stop(self) -> None:
        """Disconnect the venues, then flush and close the store."""
        await self.oms.stop()
        await self.store.close()
