"""Wiring: the services of one ordergate process, built from settings.

The embedded default is one process with a SQLite event store in the data directory, the
simulated venue ``SIM`` in process, and a second simulated exchange reached over a real FIX
session on loopback: :class:`~ordergate.sim.fix.SimFixExchange` listens as a FIX acceptor
and the venue ``FIXSIM`` (a :class:`~ordergate.fix.venue.FixVenue`) logs on to it as the
initiator. Both sessions keep their sequence numbers and messages in the FIX message store
(``fix.db`` in the data directory). Everything here is imperative shell; the decisions live
in the domain, the OMS, the FIX session and the simulator.

Every venue reaches the OMS through a :class:`~ordergate.gateway.connections.ManagedVenue`
(health, circuit breaker, redial and re-sync), listed in :attr:`Platform.brokers`. The
simulated Alpaca trading API (venue ``ALPACA``) also runs on loopback, reached through the
Alpaca adapter over alpaca-py; its keys are kept in the credential vault (user
``platform``) and read from there when the venue connects.

Real brokers (ccxt exchanges, Alpaca accounts, FIX counterparties) join from the brokers
file (``settings.brokers_file``, see :mod:`ordergate.gateway.brokers_file`), built with
their keys from the vault before the OMS starts, and managed like the simulated ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os

from ordergate.clock import Clock, LiveClock
from ordergate.config import Settings
from ordergate.domain.reports import VenueOrder
from ordergate.eventstore import EventRecorder, open_recorder
from ordergate.feed.services import FeedServices
from ordergate.fix.registry import SessionRegistry
from ordergate.fix.transport import url_stores
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.gateway.brokers_file import BrokerSettings, build_broker, load_brokers
from ordergate.gateway.checks import CredentialChecks
from ordergate.gateway.connections import BrokerRegistry, ConnectionSpec, ManagedVenue
from ordergate.gateway.ratelimit import (
    MemoryRateLimitStore,
    RateLimitStore,
    RedisRateLimitStore,
    VenueRateLimiter,
)
from ordergate.gateway.vault import (
    BrokerSecret,
    CredentialNotFound,
    CredentialVault,
    load_keyring,
    open_credential_store,
)
from ordergate.marketdata.normalize.sim import SimNormalizer, sim_messages
from ordergate.marketdata.pipeline import MarketDataPipeline
from ordergate.marketdata.sources import BinanceSource
from ordergate.oms.service import OrderManager
from ordergate.sim.alpaca import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer
from ordergate.sim.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET, BinanceSim, BinanceSimServer
from ordergate.sim.fix import SimFixExchange, acceptor_session
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.sim.venue import SimVenue
from ordergate.venues.alpaca import AlpacaVenue, AlpacaVenueConfig
from ordergate.venues.alpaca.check import check_keys as check_alpaca_keys
from ordergate.venues.ccxt import CcxtVenue, binance_sim_config
from ordergate.venues.ccxt.check import check_keys as check_ccxt_keys
from ordergate.venues.ccxt.probe import ping_probe

__all__ = [
    "ALPACA_VENUE",
    "BINANCE_VENUE",
    "FIX_CLIENT_COMP_ID",
    "FIX_EXCHANGE_COMP_ID",
    "FIX_VENUE",
    "PLATFORM_USER",
    "SIMULATED_VENUES",
    "Platform",
]

ALPACA_VENUE = "ALPACA"
BINANCE_VENUE = "BINANCE"
PLATFORM_USER = "platform"  # the vault user whose credentials the platform's own venues use
FIX_VENUE = "FIXSIM"
FIX_CLIENT_COMP_ID = "OGATE"
FIX_EXCHANGE_COMP_ID = "FIXSIM"
#: The simulated venues' names, which brokers of the brokers file may not take.
SIMULATED_VENUES = frozenset({"SIM", FIX_VENUE, ALPACA_VENUE, BINANCE_VENUE})


class Platform:
    """The event store, the venues, the FIX sessions and the OMS of one process.

    ``fix`` is the :class:`~ordergate.fix.registry.SessionRegistry` of every FIX session of
    the process (for the API); ``fix_exchange`` and ``fix_venue`` exist once
    :meth:`start` ran with ``settings.fix_sim`` on.
    """

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        # Real brokers of the brokers file: read first, so a bad file stops before any I/O.
        self.configured_brokers: tuple[BrokerSettings, ...] = (
            load_brokers(settings.brokers_file, reserved=SIMULATED_VENUES)
            if settings.brokers_file is not None
            else ()
        )
        self.clock = clock or LiveClock()
        self.store: EventRecorder = open_recorder(settings.resolved_store_url())
        self.instruments = default_instruments()
        self.sim_venue = SimVenue(
            self.instruments,
            clock=self.clock,
            start_prices=default_start_prices(),
            seed=settings.sim_seed,
            latency_ns=settings.sim_latency_ns,
            step_interval_ns=settings.sim_step_ns,
        )
        self.venue = ManagedVenue(
            self.sim_venue.name, [self.sim_venue], clock=self.clock, kind="sim"
        )
        self.brokers = BrokerRegistry([self.venue])
        self.oms = OrderManager(
            store=self.store,
            instruments=self.instruments,
            venues={self.venue.name: self.venue},
            clock=self.clock,
            snapshot_every=settings.snapshot_every,
        )
        self.venue.set_resync_handler(self.oms.reconcile)
        self.credential_store = open_credential_store(settings.resolved_credential_store_url())
        settings.data_dir.mkdir(parents=True, exist_ok=True)  # the key file may be made there
        keyring = load_keyring(os.environ, default_key_file=settings.master_key_file())
        self.vault = CredentialVault(self.credential_store, keyring, self.clock)
        self.credential_checks = CredentialChecks()
        # Rate-limit counters: in process when alone, in Redis when instances share accounts.
        self.rate_limit_store: RateLimitStore = (
            RedisRateLimitStore.from_url(settings.redis_url)
            if settings.redis_url
            else MemoryRateLimitStore(self.clock)
        )
        self.limiters: list[VenueRateLimiter] = []
        self.fix = SessionRegistry()
        # The execution feed: tokens, durable subscriptions, JetStream, gRPC, drop copy.
        self.feed_services = FeedServices(settings, self.store, self.oms.hub, self.fix)
        self.feed = self.feed_services.feed
        self.feed_metrics = self.feed_services.metrics
        self.feed_store = self.feed_services.store
        self.feed_authenticate = self.feed_services.authenticate
        self.fix_exchange: SimFixExchange | None = None
        self.fix_venue: FixVenue | None = None
        self.alpaca_sim: AlpacaSimServer | None = None
        self.binance_sim: BinanceSimServer | None = None
        # Normalized market data: books, tickers and trades with their streams' health.
        self.marketdata = MarketDataPipeline(self.clock)
        self.marketdata.add_feed(
            self.sim_venue.name,
            SimNormalizer([i.symbol for i in self.instruments]),
            sim_messages(self.sim_venue.market_data()),
        )
        self._binance_source: BinanceSource | None = None
        self._marketdata_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the stores, start the simulated exchanges, replay the log, connect, reconcile."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.start()
        try:
            await self.credential_store.start()
            if self.settings.fix_sim:
                await self._start_fix()
            if self.settings.alpaca_sim:
                await self._start_alpaca()
            if self.settings.binance_sim:
                await self._start_binance()
            for configured in self.configured_brokers:
                await self._start_configured(configured)
            await self.oms.start()
            await self.feed_services.start()
            self._marketdata_task = asyncio.create_task(self.marketdata.run(), name="marketdata")
        except BaseException:
            await self.feed_services.stop()
            for broker in self.brokers:
                await broker.disconnect()  # a failed connect leaves redial tasks otherwise
            await self._stop_exchanges()
            await self._close_limiters()
            await self.credential_store.close()
            await self.store.close()
            raise

    async def stop(self) -> None:
        """Disconnect the venues, stop the exchanges, then flush and close the stores."""
        await self.feed_services.stop()
        if self._marketdata_task is not None:
            self._marketdata_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._marketdata_task
            self._marketdata_task = None
        if self._binance_source is not None:
            await self._binance_source.aclose()
        await self.oms.stop()
        await self._stop_exchanges()
        await self._close_limiters()
        await self.credential_store.close()
        await self.store.close()

    async def _close_limiters(self) -> None:
        for limiter in self.limiters:
            await limiter.aclose()
        await self.rate_limit_store.aclose()

    def _manage(
        self, adapter: FixVenue | AlpacaVenue | CcxtVenue, kind: str, account: str = ""
    ) -> None:
        # Every venue joins the OMS behind a managed venue, before the OMS starts; a venue
        # that states rate limits gets a limiter for the account its connection trades.
        limiter = None
        if adapter.capabilities.rate_limits:
            limiter = VenueRateLimiter.from_capabilities(
                adapter.name,
                account or adapter.name,
                adapter.capabilities,
                self.rate_limit_store,
                self.clock,
            )
            self.limiters.append(limiter)
        spec = ConnectionSpec(adapter=adapter, limiter=limiter)
        probe = ping_probe if isinstance(adapter, CcxtVenue) else None
        managed = ManagedVenue(adapter.name, [spec], clock=self.clock, kind=kind, probe=probe)
        managed.set_resync_handler(self.oms.reconcile)
        self.brokers.add(managed)
        self.oms.venues[adapter.name] = managed

    async def _platform_secret(self, broker: str, default: BrokerSecret) -> BrokerSecret:
        # The simulated brokers' keys are stored on first start; later starts read them back,
        # so a credential replaced through the API is the one the venue logs on with.
        try:
            return await self.vault.use(PLATFORM_USER, broker, actor="platform")
        except CredentialNotFound:
            await self.vault.create(
                PLATFORM_USER, broker, default, label="simulated broker", actor="platform"
            )
            return await self.vault.use(PLATFORM_USER, broker, actor="platform")

    async def _start_alpaca(self) -> None:
        simulator = AlpacaSimServer(
            clock=self.clock,
            port=self.settings.alpaca_sim_port,
            seed=self.settings.sim_seed + 2,
            step_interval_ns=self.settings.sim_step_ns,
        )
        await simulator.start()
        self.alpaca_sim = simulator
        secret = await self._platform_secret(
            ALPACA_VENUE, BrokerSecret(api_key=DEFAULT_KEY_ID, api_secret=DEFAULT_SECRET_KEY)
        )
        config = AlpacaVenueConfig(
            name=ALPACA_VENUE,
            key_id=secret.api_key,
            secret_key=secret.api_secret,
            base_url=simulator.url,
        )
        # The limiter's account is the key's fingerprint: instances trading with the same
        # key share one budget, and no key material ends up in a Redis key name.
        credential = await self.vault.info(PLATFORM_USER, ALPACA_VENUE, actor="platform")
        self._manage(
            AlpacaVenue(config, clock=self.clock), "alpaca", account=credential.fingerprint
        )
        self.credential_checks.add(ALPACA_VENUE, lambda secret: check_alpaca_keys(config, secret))

    async def _start_binance(self) -> None:
        simulator = BinanceSimServer(
            BinanceSim(clock=self.clock, seed=self.settings.sim_seed + 3),
            port=self.settings.binance_sim_port,
            step_interval_s=self.settings.sim_step_ns / 1e9,
        )
        await simulator.start()
        self.binance_sim = simulator
        secret = await self._platform_secret(
            BINANCE_VENUE, BrokerSecret(api_key=DEFAULT_API_KEY, api_secret=DEFAULT_API_SECRET)
        )
        config = binance_sim_config(
            simulator.url,
            simulator.ws_url,
            api_key=secret.api_key,
            secret=secret.api_secret,
            venue=BINANCE_VENUE,
        )
        credential = await self.vault.info(PLATFORM_USER, BINANCE_VENUE, actor="platform")
        self._manage(CcxtVenue(config, clock=self.clock), "ccxt", account=credential.fingerprint)
        self.credential_checks.add(BINANCE_VENUE, lambda secret: check_ccxt_keys(config, secret))
        # Its public market streams feed the books: diff depth kept in sync by Binance's
        # update-id rule, resynchronised from the REST depth snapshot on a gap.
        symbols = {pair.replace("/", ""): ours for ours, pair in config.symbol_map.items()}
        source = BinanceSource(simulator.ws_url, simulator.url, symbols, clock=self.clock)
        self.marketdata.add_feed(
            BINANCE_VENUE,
            source.normalizer,
            source.messages(),
            fetcher=source.snapshot,
            initial_snapshots=list(symbols.values()),
        )
        self._binance_source = source

    async def _start_configured(self, broker: BrokerSettings) -> None:
        # A broker of the brokers file joins exactly like a simulated one; its keys come
        # from the vault (a missing credential stops the start, naming the broker).
        built = await build_broker(
            broker,
            self.vault,
            clock=self.clock,
            fix_stores=url_stores(self.settings.resolved_fix_store_url()),
            fix_registry=self.fix,
            fix_orders=self._open_fix_orders,
        )
        self._manage(built.adapter, built.kind, account=built.account)
        if built.check is not None:
            self.credential_checks.add(broker.name, built.check)

    async def _stop_exchanges(self) -> None:
        await self._stop_fix()
        if self.alpaca_sim is not None:
            await self.alpaca_sim.stop()
            self.alpaca_sim = None
        if self.binance_sim is not None:
            await self.binance_sim.stop()
            self.binance_sim = None

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
            order_source=functools.partial(self._open_fix_orders, FIX_VENUE),
        )
        # The exchange's port is known only now, so the venue joins the OMS before it starts.
        self._manage(self.fix_venue, "fix")

    def _open_fix_orders(self, venue: str) -> list[VenueOrder]:
        orders = []
        for order in self.oms.projections.orders.values():
            if order.venue != venue or not order.status.is_open:
                continue
            instrument = self.oms.instruments[order.symbol]
            orders.append(
                VenueOrder(
                    order_id=order.id,
                    account=order.account,
                    symbol=instrument.venue_symbol(venue),
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
