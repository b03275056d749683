"""Order round trips through the real venue adapters against their simulated exchanges.

Each venue's simulator runs in this process (one event loop), on a free loopback port:

- SIM: :class:`~ordergate.sim.venue.SimVenue`, in process, no network, zero latency;
- ALPACA: :class:`~ordergate.venues.alpaca.AlpacaVenue` (alpaca-py REST + trade updates
  WebSocket) against :class:`~ordergate.sim.alpaca.AlpacaSimServer`;
- BINANCE: :class:`~ordergate.venues.ccxt.CcxtVenue` (ccxt.pro REST + user data stream)
  against :class:`~ordergate.sim.binance.BinanceSimServer`.

For each, ``--orders`` limit BUYs priced far below the market (so they rest), one at a time:
submit -> its ACCEPTED execution report, then cancel -> its CANCELED report. Reported: p50,
p99 and max of each leg in ms (``time.perf_counter_ns``), and sequential orders/s (orders
over the whole submit/ack/cancel/canceled loop). ``--warmup`` orders go first and are not
counted; the first order's submit -> ACCEPTED is printed apart.

With ``--managed`` each venue runs again behind a
:class:`~ordergate.gateway.connections.ManagedVenue` (fresh simulator; for ccxt the
exchange-time probe, as the platform runs it): the connection manager's overhead. With
``--paced`` as well, each connection also gets a rate limiter from the venue's stated limits
(in-process store), as in the platform: past the limiter's burst the orders go at the
venue's published rate (Alpaca 200 requests/min, Binance 100 orders/10 s), which is then
what the figures show. BINANCE's config states Binance's published limits, so ccxt's own
client-side throttle is off (with it on, every order request waited ~10 ms: Binance's
``rateLimit`` 50 ms x cost 0.2). Client and simulator share one
event loop: the figures include both sides' Python, on a 2-core box shared with other work;
they vary from run to run.

    .venv/bin/python bench/adapters.py --orders 200
    .venv/bin/python bench/adapters.py --venues SIM,BINANCE --managed
    .venv/bin/python bench/adapters.py --venues ALPACA,BINANCE --managed --paced --orders 40
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import structlog

from ordergate.clock import LiveClock
from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.gateway.connections import ConnectionSpec, ManagedVenue
from ordergate.gateway.ratelimit import MemoryRateLimitStore, VenueRateLimiter
from ordergate.sim.alpaca import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer
from ordergate.sim.binance import BinanceSimServer
from ordergate.sim.venue import SimVenue
from ordergate.venues.alpaca import AlpacaVenue, AlpacaVenueConfig
from ordergate.venues.base import VenueAdapter
from ordergate.venues.ccxt import CcxtVenue, binance_sim_config
from ordergate.venues.ccxt.probe import ping_probe

VENUES = ("SIM", "ALPACA", "BINANCE")
REPORT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Setup:
    """A connected-to-be adapter, what it trades, and how to stop its simulator."""

    adapter: VenueAdapter
    symbol: str
    quantity: Decimal
    price: Decimal  # far below the market: the order rests
    stop: Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return


async def setup(venue: str) -> Setup:
    """Start ``venue``'s simulator on a free loopback port and build its adapter."""
    if venue == "SIM":
        sim = SimVenue(clock=LiveClock())
        return Setup(sim, "AAPL", Decimal(1), Decimal("100.00"), _nothing)
    if venue == "ALPACA":
        alpaca = AlpacaSimServer(cash=Decimal(10**9))
        await alpaca.start()
        alpaca.step_market()
        config = AlpacaVenueConfig(
            key_id=DEFAULT_KEY_ID, secret_key=DEFAULT_SECRET_KEY, base_url=alpaca.url
        )
        return Setup(AlpacaVenue(config), "AAPL", Decimal(1), Decimal("100.00"), alpaca.stop)
    binance = BinanceSimServer()
    await binance.start()
    adapter = CcxtVenue(binance_sim_config(binance.url, binance.ws_url))
    return Setup(adapter, "BTC-USD", Decimal("0.001"), Decimal("30000.00"), binance.stop)


async def wait_for(
    reports: AsyncIterator[ExecutionReport], order_id: str, kind: ExecKind
) -> ExecutionReport:
    """Return the next ``kind`` report of ``order_id``; raise on a refusal."""
    async with asyncio.timeout(REPORT_TIMEOUT_S):
        async for report in reports:
            if report.order_id != order_id:
                continue
            if report.kind is kind:
                return report
            if report.kind in (ExecKind.REJECTED, ExecKind.CANCEL_REJECTED):
                raise RuntimeError(f"{order_id}: {report.kind.name}: {report.reason}")
    raise RuntimeError("the report stream ended")


@dataclass
class Figures:
    submit_ns: list[int]
    cancel_ns: list[int]
    elapsed_ns: int
    first_ns: int  # submit -> ACCEPTED of the very first (warm-up) order


async def measure(
    adapter: VenueAdapter,
    reports: AsyncIterator[ExecutionReport],
    spec: Setup,
    prefix: str,
    warmup: int,
    orders: int,
) -> Figures:
    """Run ``warmup`` + ``orders`` sequential submit/cancel round trips; keep the last ones."""
    submits: list[int] = []
    cancels: list[int] = []
    start = first = 0
    for i in range(warmup + orders):
        if i == warmup:
            start = time.perf_counter_ns()
        order = VenueOrder(
            order_id=f"{prefix}-{i}",
            account="BENCH",
            symbol=spec.symbol,
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            quantity=spec.quantity,
            price=spec.price,
            time_in_force=TimeInForce.GTC,
        )
        t0 = time.perf_counter_ns()
        await adapter.submit(order)
        accepted = await wait_for(reports, order.order_id, ExecKind.ACCEPTED)
        t1 = time.perf_counter_ns()
        await adapter.cancel(order.order_id, accepted.venue_order_id, order.symbol)
        await wait_for(reports, order.order_id, ExecKind.CANCELED)
        t2 = time.perf_counter_ns()
        if i == 0:
            first = t1 - t0
        if i >= warmup:
            submits.append(t1 - t0)
            cancels.append(t2 - t1)
    return Figures(submits, cancels, time.perf_counter_ns() - start, first)


def pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


async def run_one(
    venue: str, managed: bool, warmup: int, orders: int, paced: bool = False
) -> Figures:
    spec = await setup(venue)
    adapter: VenueAdapter = spec.adapter
    limiter: VenueRateLimiter | None = None
    if managed:
        clock = LiveClock()
        caps = spec.adapter.capabilities
        limiter = (
            VenueRateLimiter.from_capabilities(
                venue, "bench", caps, MemoryRateLimitStore(clock), clock
            )
            if paced and caps.rate_limits
            else None
        )
        probe = ping_probe if isinstance(spec.adapter, CcxtVenue) else None
        adapter = ManagedVenue(
            venue,
            [ConnectionSpec(adapter=spec.adapter, limiter=limiter)],
            clock=clock,
            probe=probe,
        )
    try:
        await adapter.connect()
        reports = adapter.execution_reports()
        try:
            prefix = f"{venue[0]}{'M' if managed else 'D'}"
            return await measure(adapter, reports, spec, prefix, warmup, orders)
        finally:
            await adapter.disconnect()
            # Read the stream to its end, so no report generator is left suspended.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    async for _ in reports:
                        pass
    finally:
        if limiter is not None:
            await limiter.aclose()
        await spec.stop()


def line(venue: str, mode: str, f: Figures) -> str:
    n = len(f.submit_ns)
    return (
        f"{venue:<8}{mode:<8}{n} orders: submit->ACCEPTED p50 {pct(f.submit_ns, 0.5):.3f} ms, "
        f"p99 {pct(f.submit_ns, 0.99):.3f} ms, max {max(f.submit_ns) / 1e6:.3f} ms; "
        f"cancel->CANCELED p50 {pct(f.cancel_ns, 0.5):.3f} ms, "
        f"p99 {pct(f.cancel_ns, 0.99):.3f} ms; {n / (f.elapsed_ns / 1e9):,.0f} orders/s "
        f"(first warm-up order: {f.first_ns / 1e6:.1f} ms)"
    )


async def run(args: argparse.Namespace) -> None:
    print(
        f"venue adapter round trips, {args.orders} sequential resting limit orders "
        f"after {args.warmup} warm-up orders, simulators on loopback in this process"
    )
    for venue in args.venues:
        direct = await run_one(venue, False, args.warmup, args.orders)
        print(line(venue, "direct", direct), flush=True)
        if args.managed:
            managed = await run_one(venue, True, args.warmup, args.orders, args.paced)
            print(line(venue, "paced" if args.paced else "managed", managed), flush=True)
            extra_submit = pct(managed.submit_ns, 0.5) - pct(direct.submit_ns, 0.5)
            extra_cancel = pct(managed.cancel_ns, 0.5) - pct(direct.cancel_ns, 0.5)
            print(
                f"{venue:<8}overhead of ManagedVenue at p50: submit {extra_submit * 1e3:+.0f} us, "
                f"cancel {extra_cancel * 1e3:+.0f} us",
                flush=True,
            )


def venue_list(text: str) -> list[str]:
    names = [name.strip().upper() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(VENUES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"venues are a comma list of {', '.join(VENUES)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="measured orders per venue")
    parser.add_argument("--warmup", type=int, default=5, help="uncounted orders first")
    parser.add_argument(
        "--venues", type=venue_list, default=list(VENUES), help="comma list (default: all)"
    )
    parser.add_argument(
        "--managed", action="store_true", help="also run each venue behind a ManagedVenue"
    )
    parser.add_argument(
        "--paced", action="store_true", help="with --managed: give it the venue's rate limiter"
    )
    args = parser.parse_args()
    if args.orders < 1 or args.warmup < 0:
        parser.error("--orders must be positive and --warmup not negative")
    # Per-message logging is not what is measured: warnings and errors only, to stderr.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
