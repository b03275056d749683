"""The managed venue over a real FIX session to the simulated FIX exchange, across an outage.

The exchange is stopped while our order rests, its market fills the order while we are
away, and the exchange comes back on the same port: the managed venue must notice the
loss, redial with backoff, come back CONNECTED and deliver the fill made while it was down.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from ordergate.clock import LiveClock, TestClock
from ordergate.domain.reports import ExecKind
from ordergate.domain.values import Side
from ordergate.fix.transport import Backoff, url_stores
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.gateway.connections import (
    BreakerConfig,
    BreakerState,
    ConnectionState,
    ManagedVenue,
)
from ordergate.sim.fix import SimFixExchange, acceptor_session

from .helpers import AAPL, FAST, SECOND, Collector, order, until

SESSIONS = [acceptor_session("FIX.4.4", "EXCH", "OGATE")]


@pytest.fixture
async def exchange(tmp_path: Path) -> AsyncIterator[SimFixExchange]:
    # A market around 100.00 that moves only when stepped; the exchange's sequence numbers
    # are kept on disk, so a restarted exchange resumes the session.
    exchange = SimFixExchange(
        [AAPL], clock=LiveClock(), start_prices={"AAPL": Decimal("100")}, seed=7
    )
    await exchange.start(SESSIONS, store_factory=url_stores(f"sqlite:///{tmp_path}/exch.db"))
    yield exchange
    await exchange.stop()


@pytest.fixture
def fix_venue(exchange: SimFixExchange) -> FixVenue:
    return FixVenue(
        FixVenueConfig(
            name="FIXSIM",
            begin_string="FIX.4.4",
            sender_comp_id="OGATE",
            target_comp_id="EXCH",
            endpoints=[("127.0.0.1", exchange.port)],
            logon_timeout=1.0,  # whole seconds: the session's Logon timer is an int
            status_timeout=1.0,
        ),
        backoff=Backoff(0.01, 0.05, rng=random.Random(1)),
    )


async def test_exchange_outage_reconnects_with_backoff_and_resyncs_the_missed_fill(
    exchange: SimFixExchange, fix_venue: FixVenue, tmp_path: Path
) -> None:
    clock = TestClock()
    managed = ManagedVenue(
        "FIXSIM",
        [fix_venue],
        clock=clock,
        kind="fix",
        settings=FAST,
        breaker=BreakerConfig(failure_threshold=2, cooldown_ns=5 * SECOND),
        backoff=Backoff(0.02, 0.1, rng=random.Random(2)),
    )
    await managed.connect()
    reports = Collector(managed)
    port = exchange.port
    try:
        # Our bid improves the market's best bid, so the market's sellers hit it first.
        await managed.submit(order("O-1", Side.BUY, "5", "100.00"))
        await reports.wait_for("O-1", ExecKind.ACCEPTED)
        conn = managed.connections[0]

        await exchange.stop()
        await until(lambda: conn.state is not ConnectionState.CONNECTED)
        for _ in range(500):  # the market trades while we are away
            if not exchange.engine.open_orders():
                break
            exchange.step_market()
        assert exchange.engine.open_orders() == []  # our order filled at the exchange
        # Redial attempts fail while the exchange is down, and count against the breaker.
        await until(lambda: managed.breaker.state is BreakerState.OPEN)
        await managed.submit(order("O-2"))
        (refusal,) = await reports.wait_for("O-2", ExecKind.REJECTED)
        assert refusal.reason is not None
        assert "circuit breaker open" in refusal.reason
        assert conn.health.last_error is not None

        await exchange.start(
            SESSIONS, port=port, store_factory=url_stores(f"sqlite:///{tmp_path}/exch.db")
        )
        await until(lambda: managed.resyncs == 1)

        assert conn.state is ConnectionState.CONNECTED
        assert conn.health.reconnects == 1
        fills = reports.of("O-1", ExecKind.TRADE)
        assert sum((f.last_quantity or Decimal(0)) for f in fills) == Decimal(5)
        assert len({f.execution_id for f in fills}) == len(fills)  # each fill once
        # The breaker lets a trial through after its cool-down and closes on its success.
        clock.advance(5 * SECOND)
        await managed.submit(order("O-3", Side.BUY, "1", "50.00"))
        await reports.wait_for("O-3", ExecKind.ACCEPTED)
        assert managed.breaker.state is BreakerState.CLOSED
    finally:
        await managed.disconnect()
        await reports.close()
