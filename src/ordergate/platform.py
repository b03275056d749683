"""Wiring: the services of one ordergate process, built from settings.

The embedded default is one process with a SQLite event store in the data directory, the
simulated venue ``SIM`` in process, and a second simulated exchange reached over a real FIX
session on loopback: :class:`~ordergate.sim.fix.SimFixExchange` listens as a FIX acceptor
and the venue ``FIXSIM`` (a :class:`~ordergate.fix.venue.FixVenue`) logs on to it as the
initiator. Both sessions keep their sequence numbers and messages in the FIX message store
(``fix.db`` in the data directory). Everything here is imperative shell; the decisions live
in the domain, the OMS, the FIX session and the simulator.
"""

from __future__ import annotations

from ordergate.clock import Clock, LiveClock
from ordergate.config import Settings
from ordergate.domain.reports import VenueOrder
from ordergate.eventstore import EventRecorder, open_recorder
from ordergate.fix.registry import SessionRegistry
from ordergate.fix.transport import url_stores
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.oms.service import OrderManager
from ordergate.sim.fix import SimFixExchange, acceptor_session
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.sim.venue import SimVenue

__all__ = ["FIX_CLIENT_COMP_ID", "FIX_EXCHANGE_COMP_ID", "FIX_VENUE", "Platform"]

FIX_VENUE = "FIXSIM"
FIX_CLIENT_COMP_ID = "OGATE"
FIX_EXCHANGE_COMP_ID = "FIXSIM"


class Platform:
    """The event store, the venues, the FIX sessions and the OMS of one process.

    ``fix`` is the :class:`~ordergate.fix.registry.SessionRegistry` of every FIX session of
    the process (for the API); ``fix_exchange`` and ``fix_venue`` exist once
    :meth:`start` ran with ``settings.fix_sim`` on.
    """

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or LiveClock()
        self.store: EventRecorder = open_recorder(settings.resolved_store_url())
        self.instruments = default_instruments()
        self.venue = SimVenue(
            self.instruments,
            clock=self.clock,
            start_prices=default_start_prices(),
            seed=settings.sim_seed,
            latency_ns=settings.sim_latency_ns,
            step_interval_ns=settings.sim_step_ns,
        )
        self.oms = OrderManager(
            store=self.store,
            instruments=self.instruments,
            venues={self.venue.name: self.venue},
            clock=self.clock,
            snapshot_every=settings.snapshot_every,
        )
        self.fix = SessionRegistry()
        self.fix_exchange: SimFixExchange | None = None
        self.fix_venue: FixVenue | None = None

    async def start(self) -> None:
        """Open the store, start the FIX exchange, replay the log, connect and reconcile."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.start()
        try:
            if self.settings.fix_sim:
                await self._start_fix()
            await self.oms.start()
        except BaseException:
            await self._stop_fix()
            await self.store.close()
            raise

    async def stop(self) -> None:
        """Disconnect the venues, stop the FIX exchange, then flush and close the store."""
        await self.oms.stop()
        await self._stop_fix()
        await self.store.close()

    async def _start_fix(self) -> None:
        settings = self.settings
        stores = url_stores(settings.resolved_fix_store_url())
        begin = settings.fix_sim_begin_string
        exchange = SimFixExchange(
            self.instruments,
            clock=self.clock,
            name=FIX_VENUE,
            start_prices=default_start_prices(),
            seed=settings.sim_seed + 1,
            step_interval_ns=settings.sim_step_ns,
        )
        await exchange.start(
            [acceptor_session(begin, FIX_EXCHANGE_COMP_ID, FIX_CLIENT_COMP_ID)],
            port=settings.fix_sim_port,
            store_factory=stores,
            registry=self.fix,
        )
        self.fix_exchange = exchange
        config = FixVenueConfig(
            name=FIX_VENUE,
            begin_string=begin,
            sender_comp_id=FIX_CLIENT_COMP_ID,
            target_comp_id=FIX_EXCHANGE_COMP_ID,
            endpoints=[("127.0.0.1", exchange.port)],
            supports_mass_cancel=begin != "FIX.4.2",
        )
        self.fix_venue = FixVenue(
            config,
            clock=self.clock,
            store_factory=stores,
            registry=self.fix,
            order_source=self._open_fix_orders,
        )
        # The exchange's port is known only now, so the venue joins the OMS before it starts.
        self.oms.venues[FIX_VENUE] = self.fix_venue

    def _open_fix_orders(self) -> list[VenueOrder]:
        orders = []
        for order in self.oms.projections.orders.values():
            if order.venue != FIX_VENUE or not order.status.is_open:
                continue
            instrument = self.oms.instruments[order.symbol]
            orders.append(
                VenueOrder(
                    order_id=order.id,
                    account=order.account,
                    symbol=instrument.venue_symbol(FIX_VENUE),
                    side=order.side,
                    order_type=order.order_type,
                    quantity=order.quantity,
                    price=order.price,
                    stop_price=order.stop_price,
                    time_in_force=order.time_in_force,
                    expire_time=order.expire_time,
                )
            )
        return orders

    async def _stop_fix(self) -> None:
        if self.fix_venue is not None:
            await self.fix_venue.disconnect()  # no-op when the OMS already disconnected it
        if self.fix_exchange is not None:
            await self.fix_exchange.stop()
            self.fix_exchange = None
