"""The managed venue over real in-process SimVenue connections."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.clock import TestClock
from ordergate.domain.reports import ExecKind
from ordergate.domain.values import Side
from ordergate.fix.transport import Backoff
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.gateway.connections import (
    BalancingPolicy,
    ConnectionSpec,
    ConnectionState,
    ManagedVenue,
    Role,
)
from ordergate.sim.venue import SimVenue
from ordergate.venues.base import ReplaceRequest, VenueAdapter

from .helpers import AAPL, FAST, SECOND, Collector, order, sim, until


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def venues(clock: TestClock) -> list[SimVenue]:
    return [sim("SIM", clock), sim("SIM", clock)]


@pytest.fixture
async def managed(clock: TestClock, venues: list[SimVenue]) -> AsyncIterator[ManagedVenue]:
    venue = ManagedVenue("SIM", venues, clock=clock, kind="sim", settings=FAST)
    await venue.connect()
    yield venue
    await venue.disconnect()


@pytest.fixture
async def dead_fix_venue() -> AsyncIterator[FixVenue]:
    """A FIX venue whose endpoint refuses connections (a port nobody listens on)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    venue = FixVenue(
        FixVenueConfig(
            name="FIX",
            begin_string="FIX.4.4",
            sender_comp_id="OGATE",
            target_comp_id="EXCH",
            endpoints=[("127.0.0.1", port)],
            logon_timeout=0.2,
        ),
        backoff=Backoff(0.01, 0.05),
    )
    yield venue
    await venue.disconnect()


@pytest.fixture
async def reports(managed: ManagedVenue) -> AsyncIterator[Collector]:
    collector = Collector(managed)
    yield collector
    await collector.close()


async def test_round_robin_spreads_new_orders_over_both_connections(
    managed: ManagedVenue, venues: list[SimVenue], reports: Collector
) -> None:
    for n in range(4):
        await managed.submit(order(f"O-{n}"))
    for n in range(4):
        await reports.wait_for(f"O-{n}", ExecKind.ACCEPTED)
    held = [{r.order_id for r in v.engine.open_orders()} for v in venues]
    assert held == [{"O-0", "O-2"}, {"O-1", "O-3"}]
    assert all(r.venue == "SIM" for r in reports.reports)


async def test_least_in_flight_prefers_the_connection_with_fewer_unanswered_orders(
    clock: TestClock,
) -> None:
    # The first venue answers only after ten (real) seconds, so its order stays in flight.
    slow = SimVenue([AAPL], clock=clock, name="SIM", step_interval_ns=0, latency_ns=10 * SECOND)
    fast = sim("SIM", clock)
    venue = ManagedVenue(
        "SIM", [slow, fast], clock=clock, policy=BalancingPolicy.LEAST_IN_FLIGHT, settings=FAST
    )
    await venue.connect()
    reports = Collector(venue)
    try:
        await venue.submit(order("O-0"))
        for n in range(1, 4):
            await venue.submit(order(f"O-{n}"))
            await reports.wait_for(f"O-{n}", ExecKind.ACCEPTED)
        assert {r.order_id for r in fast.engine.open_orders()} == {"O-1", "O-2", "O-3"}
        assert venue.connections[0].health.in_flight == 1
        assert venue.connections[1].health.in_flight == 0
    finally:
        await venue.disconnect()
        await until(reports.ended.is_set)
        await reports.close()


async def test_cancel_goes_to_the_connection_that_holds_the_order(
    managed: ManagedVenue, venues: list[SimVenue], reports: Collector
) -> None:
    await managed.submit(order("O-A"))
    await managed.submit(order("O-B"))
    await reports.wait_for("O-B", ExecKind.ACCEPTED)

    await managed.cancel("O-B", None, "AAPL")

    await reports.wait_for("O-B", ExecKind.CANCELED)
    assert [r.order_id for r in venues[0].engine.open_orders()] == ["O-A"]
    assert venues[1].engine.open_orders() == []
    assert reports.of("O-B", ExecKind.CANCEL_REJECTED) == []


async def test_replace_goes_to_the_connection_that_holds_the_order(
    managed: ManagedVenue, venues: list[SimVenue], reports: Collector
) -> None:
    await managed.submit(order("O-A"))
    await managed.submit(order("O-B"))
    await reports.wait_for("O-B", ExecKind.ACCEPTED)

    await managed.replace(
        ReplaceRequest(order_id="O-B", venue_order_id=None, symbol="AAPL", price=Decimal("99"))
    )

    (replaced,) = await reports.wait_for("O-B", ExecKind.REPLACED)
    assert replaced.price == Decimal("99")
    assert [r.price for r in venues[1].engine.open_orders()] == [Decimal("99")]


async def test_backup_takes_no_orders_while_a_primary_is_up(clock: TestClock) -> None:
    primary, backup = sim("SIM", clock), sim("SIM", clock)
    venue = ManagedVenue(
        "SIM",
        [ConnectionSpec(adapter=primary), ConnectionSpec(adapter=backup, role=Role.BACKUP)],
        clock=clock,
        settings=FAST,
    )
    await venue.connect()
    reports = Collector(venue)
    try:
        for n in range(3):
            await venue.submit(order(f"O-{n}"))
        await reports.wait_for("O-2", ExecKind.ACCEPTED)
        assert len(primary.engine.open_orders()) == 3
        assert backup.engine.open_orders() == []
    finally:
        await venue.disconnect()
        await reports.close()


async def test_orders_fail_over_to_the_backup_when_the_primary_endpoint_is_dead(
    clock: TestClock, dead_fix_venue: FixVenue
) -> None:
    backup = sim("SIM", clock)
    venue = ManagedVenue(
        "SIM",
        [
            ConnectionSpec(adapter=dead_fix_venue, id="fix-primary"),
            ConnectionSpec(adapter=backup, role=Role.BACKUP, id="sim-backup"),
        ],
        clock=clock,
        settings=FAST,
        capabilities=backup.capabilities,
    )
    await venue.connect()
    reports = Collector(venue)
    try:
        assert venue.connections[0].state is not ConnectionState.CONNECTED
        assert venue.connections[0].health.last_error is not None
        await venue.submit(order("O-1"))
        await reports.wait_for("O-1", ExecKind.ACCEPTED)
        assert [r.order_id for r in backup.engine.open_orders()] == ["O-1"]
        # The dead primary was never asked about its orders: reconciliation must not guess.
        with pytest.raises(ConnectionError, match="fix-primary"):
            await venue.open_orders()
    finally:
        await venue.disconnect()
        await reports.close()


async def test_connect_fails_when_no_connection_comes_up(
    clock: TestClock, dead_fix_venue: FixVenue
) -> None:
    venue = ManagedVenue("FIX", [dead_fix_venue], clock=clock, settings=FAST)
    with pytest.raises(ConnectionError, match="no connection came up"):
        await venue.connect()
    await venue.submit(order("O-1"))
    await venue.disconnect()
    refusals = [r async for r in venue.execution_reports()]
    assert [(r.kind, r.reason) for r in refusals] == [
        (ExecKind.REJECTED, "no connection of FIX is up")
    ]


async def test_lost_connection_reconnects_and_resync_delivers_the_missed_fill(
    managed: ManagedVenue, venues: list[SimVenue], reports: Collector, clock: TestClock
) -> None:
    reconciled: list[object] = []

    async def reconcile(venue: object) -> int:
        reconciled.append(venue)
        return 0

    managed.set_resync_handler(reconcile)
    await managed.submit(order("O-1", Side.BUY, "10", "100"))
    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    clock.advance(SECOND)

    # Outage: the venue drops, and a counter order fills ours before we are back; its
    # reports were never published, so only the re-sync can tell us.
    await venues[0].disconnect()
    venues[0].engine.submit(order("X-1", Side.SELL, "10", "100", account="OTHER"), clock.now_ns())

    await until(lambda: managed.resyncs == 1)
    (fill,) = await reports.wait_for("O-1", ExecKind.TRADE)
    assert fill.last_quantity == Decimal(10)
    assert fill.venue == "SIM"
    conn = managed.connections[0]
    assert conn.state is ConnectionState.CONNECTED
    assert conn.health.reconnects == 1
    assert reconciled == [managed]
    assert managed.ledger.holder("O-1") is None  # fully filled: forgotten


async def test_a_fill_reported_twice_reaches_the_stream_once(
    managed: ManagedVenue, venues: list[SimVenue], reports: Collector, clock: TestClock
) -> None:
    await managed.submit(order("O-1", Side.BUY, "10", "100"))
    await reports.wait_for("O-1", ExecKind.ACCEPTED)
    # The counter order goes through the venue, so the fill is on the stream...
    await venues[0].submit(order("X-1", Side.SELL, "10", "100", account="OTHER"))
    await reports.wait_for("O-1", ExecKind.TRADE)
    # ...and a reconnect re-syncs from the last report, which finds the same fill again.
    await venues[0].disconnect()
    await until(lambda: managed.resyncs == 1)
    await managed.submit(order("O-2"))
    await reports.wait_for("O-2", ExecKind.ACCEPTED)
    assert len(reports.of("O-1", ExecKind.TRADE)) == 1


async def test_merged_stream_ends_when_the_managed_venue_disconnects(
    managed: ManagedVenue, reports: Collector
) -> None:
    await managed.disconnect()
    await until(reports.ended.is_set)
    assert managed.state is ConnectionState.DISCONNECTED


async def test_suspended_venue_refuses_orders_and_keeps_its_stream_open(
    managed: ManagedVenue, reports: Collector
) -> None:
    await managed.suspend()
    await managed.submit(order("O-1"))
    (refusal,) = await reports.wait_for("O-1", ExecKind.REJECTED)
    assert refusal.reason == "SIM is disconnected"
    assert not reports.ended.is_set()

    await managed.connect()
    await managed.submit(order("O-2"))
    await reports.wait_for("O-2", ExecKind.ACCEPTED)


async def test_open_orders_and_fills_are_merged_over_connections(
    managed: ManagedVenue, venues: list[SimVenue], reports: Collector
) -> None:
    await managed.submit(order("O-1"))
    await managed.submit(order("O-2"))
    await reports.wait_for("O-2", ExecKind.ACCEPTED)
    await venues[1].submit(order("X-1", Side.SELL, "10", "100", account="OTHER"))
    await reports.wait_for("O-2", ExecKind.TRADE)

    open_orders = await managed.open_orders()
    fills = await managed.fills_since(0)

    assert [(r.order_id, r.venue) for r in open_orders] == [("O-1", "SIM")]
    # The counter order sent straight to the venue is a client order there too.
    assert sorted((f.order_id, f.venue) for f in fills) == [("O-2", "SIM"), ("X-1", "SIM")]


async def test_market_data_comes_from_a_connection_that_is_up_and_survives_its_loss(
    clock: TestClock,
) -> None:
    first, second = (
        SimVenue([AAPL], clock=clock, name="SIM", start_prices={"AAPL": Decimal(100)})
        for _ in range(2)
    )
    venue = ManagedVenue("SIM", [first, second], clock=clock, settings=FAST)
    await venue.connect()
    stream = venue.market_data()
    try:
        quote = await anext(stream)
        assert quote.symbol == "AAPL"
        await first.disconnect()  # its stream ends; the other connection's takes over
        again = await anext(stream)
        assert again.symbol == "AAPL"
    finally:
        await stream.aclose()
        await venue.disconnect()


async def test_slow_connection_is_degraded_and_new_orders_avoid_it(clock: TestClock) -> None:
    slow, fast = sim("SIM", clock), sim("SIM", clock)

    async def probe(adapter: VenueAdapter) -> object:
        if adapter is slow:
            clock.advance(3 * SECOND)  # the round trip takes three (test clock) seconds
        return await adapter.open_orders()

    venue = ManagedVenue("SIM", [slow, fast], clock=clock, settings=FAST, probe=probe)
    await venue.connect()
    reports = Collector(venue)
    try:
        await until(lambda: venue.connections[0].state is ConnectionState.DEGRADED)
        assert venue.connections[1].state is ConnectionState.CONNECTED
        for n in range(3):
            await venue.submit(order(f"O-{n}"))
        await reports.wait_for("O-2", ExecKind.ACCEPTED)
        assert slow.engine.open_orders() == []
        assert len(fast.engine.open_orders()) == 3
    finally:
        await venue.disconnect()
        await reports.close()
