"""FIX order round trip and sustained throughput against the simulated FIX exchange.

The simulated exchange (:class:`~ordergate.sim.fix.SimFixExchange` behind a FixAcceptor)
runs in its own process; the client is a :class:`~ordergate.fix.transport.FixInitiator`
in this process, over loopback TCP, FIX 4.4 by default. Both sessions validate every
inbound message against the data dictionary.

(a) Round trip: NewOrderSingle(D) sent -> its ExecutionReport(8) ack received, one order
    at a time (each limit order rests), p50/p99/max over ``--orders`` orders.
(b) Sustained: ``--window`` orders kept in flight through one session; orders come in
    crossing pairs (a SELL that rests, then a BUY at its price that fills it), so the
    exchange sends an ack for every order and a fill for both sides of every pair.
    Reports orders/s (first send -> last report) and the execution reports received.

    .venv/bin/python bench/fix_roundtrip.py --orders 10000 --window 256
    .venv/bin/python bench/fix_roundtrip.py --store sqlite   # durable stores on both sides
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import structlog

from ordergate.clock import LiveClock
from ordergate.domain.instrument import Instrument
from ordergate.domain.values import AssetClass
from ordergate.fix.message import FixMessage
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.transport import FixConnection, FixInitiator, memory_stores, url_stores
from ordergate.fix.transport.stores import StoreFactory
from ordergate.fix.venue.codes import format_utc_timestamp
from ordergate.sim.fix import SimFixExchange, acceptor_session

INSTRUMENT = Instrument(
    symbol="AAPL",
    asset_class=AssetClass.EQUITY,
    quote_currency="USD",
    tick_size=Decimal("0.01"),
    lot_size=Decimal(1),
    min_quantity=Decimal(1),
)


def stores(kind: str, directory: Path, name: str) -> StoreFactory:
    if kind == "memory":
        return memory_stores()
    return url_stores(f"sqlite:///{directory / name}")


async def serve_exchange(begin_string: str, store: str, directory: Path) -> None:
    exchange = SimFixExchange([INSTRUMENT], clock=LiveClock())
    await exchange.start(
        [acceptor_session(begin_string, "EXCH", "BENCH", heartbeat_interval=60)],
        store_factory=stores(store, directory, "exchange.db"),
    )
    # The same GC treatment as the client: the long-lived start-up objects are not rescanned.
    gc.collect()
    gc.freeze()
    print(f"PORT {exchange.port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    await exchange.stop()


class Collector:
    """Counts execution reports; wakes the waiter of each order's ack."""

    def __init__(self) -> None:
        self.reports = 0
        self.fills = 0
        self.acks = 0
        self.waiting: dict[bytes, asyncio.Future[int]] = {}
        self.on_ack: asyncio.Event = asyncio.Event()
        self.done = asyncio.Event()
        self.expected_reports = 0

    def on_logon(self, connection: FixConnection) -> None:
        pass

    def on_logout(self, connection: FixConnection) -> None:
        pass

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        now = time.perf_counter_ns()
        self.reports += 1
        exec_type = message.get(150)
        if exec_type == b"0":
            self.acks += 1
            future = self.waiting.pop(message.get(11) or b"", None)
            if future is not None and not future.done():
                future.set_result(now)
            self.on_ack.set()
        elif exec_type in (b"F", b"1", b"2"):
            self.fills += 1
        if self.expected_reports and self.reports >= self.expected_reports:
            self.done.set()


def order(cl_ord_id: str, side: bytes, price: str, begin_string: str, now: bytes) -> FixMessage:
    fields: list[tuple[int, str | bytes]] = [(11, cl_ord_id), (1, "BENCH")]
    if begin_string == "FIX.4.2":
        fields.append((21, b"1"))
    fields += [(55, "AAPL"), (54, side), (60, now), (38, b"1"), (40, b"2"), (44, price), (59, b"1")]
    return FixMessage.of("D", *fields)


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1_000


async def run(args: argparse.Namespace, directory: Path) -> None:
    exchange = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--begin-string",
            args.begin_string,
            "--store",
            args.store,
            "--dir",
            str(directory),
            *(["--uvloop"] if args.uvloop else []),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert exchange.stdout is not None
    assert exchange.stdin is not None
    line = exchange.stdout.readline()
    while not line.startswith("PORT "):
        line = exchange.stdout.readline()
    port = int(line.split()[1])
    collector = Collector()
    initiator = FixInitiator(
        SessionConfig(
            begin_string=args.begin_string,
            sender_comp_id="BENCH",
            target_comp_id="EXCH",
            role=Role.INITIATOR,
            heartbeat_interval=60,
        ),
        stores(args.store, directory, "client.db"),
        None,
        [("127.0.0.1", port)],
        collector,
    )
    await initiator.start()
    connection = await initiator.wait_logged_on(10)
    loop = asyncio.get_running_loop()
    clock = LiveClock()
    print(f"FIX round trip, {args.begin_string}, stores: {args.store}, exchange in its own process")
    try:
        gc.collect()
        gc.freeze()
        # (a) one order at a time: D out -> ack in. Buys far below any sell: they all rest.
        latencies: list[int] = []
        for i in range(args.warmup + args.orders):
            cl_ord_id = f"R{i}"
            future: asyncio.Future[int] = loop.create_future()
            collector.waiting[cl_ord_id.encode()] = future
            message = order(
                cl_ord_id, b"1", "100.00", args.begin_string, format_utc_timestamp(clock.now_ns())
            )
            start = time.perf_counter_ns()
            connection.send(message)
            end = await future
            if i >= args.warmup:
                latencies.append(end - start)
        print(
            f"(a) round trip D -> ack over {len(latencies)} sequential orders: "
            f"p50 {percentile(latencies, 0.50):.0f} us, p99 {percentile(latencies, 0.99):.0f} us, "
            f"max {max(latencies) / 1_000:.0f} us"
        )

        # (b) pipelined: crossing pairs, at most `window` orders without an ack.
        total = args.orders * 2 if args.sustained is None else args.sustained
        total -= total % 2
        base_reports = collector.reports
        base_acks = collector.acks
        base_fills = collector.fills
        # Every order is acked; every pair makes two fills (maker and taker side).
        collector.expected_reports = base_reports + total + total
        collector.done.clear()
        start = time.perf_counter_ns()
        sent = 0
        while sent < total:
            while sent - (collector.acks - base_acks) >= args.window:
                collector.on_ack.clear()
                await collector.on_ack.wait()
            now = format_utc_timestamp(clock.now_ns())
            burst = min(args.window - (sent - (collector.acks - base_acks)), total - sent)
            for _ in range(burst):
                side = b"2" if sent % 2 == 0 else b"1"
                connection.send(order(f"P{sent}", side, "150.00", args.begin_string, now))
                sent += 1
            await asyncio.sleep(0)
        await asyncio.wait_for(collector.done.wait(), 60)
        elapsed = (time.perf_counter_ns() - start) / 1e9
        reports = collector.reports - base_reports
        print(
            f"(b) sustained, window {args.window}: {total} orders in {elapsed:.2f} s = "
            f"{total / elapsed:,.0f} orders/s; {reports} execution reports received "
            f"({collector.acks - base_acks} acks, {collector.fills - base_fills} fills) = "
            f"{reports / elapsed:,.0f} reports/s"
        )
    finally:
        gc.unfreeze()
        await initiator.stop()
        exchange.stdin.close()
        exchange.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="sequential orders in (a)")
    parser.add_argument("--sustained", type=int, default=None, help="orders in (b) (2x --orders)")
    parser.add_argument("--window", type=int, default=256, help="orders in flight in (b)")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--begin-string", default="FIX.4.4", choices=["FIX.4.2", "FIX.4.4"])
    parser.add_argument("--store", default="memory", choices=["memory", "sqlite"])
    parser.add_argument(
        "--uvloop", action="store_true", help="run both processes on uvloop's event loop"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Per-message logging is not what is measured: warnings and errors only, to stderr.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if args.serve:
        asyncio.run(serve_exchange(args.begin_string, args.store, Path(args.dir)))
        return
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(args, Path(directory)))


if __name__ == "__main__":
    main()
