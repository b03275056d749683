"""OMS core throughput and submit latency, in process, with durable SQLite group commit.

Each order is submitted through :meth:`OrderManager.submit` (validated, appended durably,
sent to the venue), acknowledged and filled by the in-process simulated exchange, and the
ACCEPTED/TRADE reports are appended too: three durable events per order. Orders come in
crossing pairs (a BUY and a SELL at one price from two accounts) so every order fills
against another client order, independent of the simulated market.

Reports: orders/s from the first submit until every order is FILLED, and the latency of
``submit`` (command in -> OrderSubmitted durable -> returned) at p50/p99.

    .venv/bin/python bench/oms_core.py --orders 20000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from ordergate.clock import LiveClock
from ordergate.domain.commands import SubmitOrder
from ordergate.domain.events import OrderFilled
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.eventstore import open_recorder
from ordergate.oms.service import OrderManager
from ordergate.sim.instruments import default_instruments
from ordergate.sim.venue import SimVenue


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1_000


async def run(orders: int, concurrency: int, data_dir: Path) -> None:
    clock = LiveClock()
    store = open_recorder(f"sqlite:///{data_dir / 'events.db'}")
    await store.start()
    venue = SimVenue(default_instruments(), clock=clock, start_prices={}, step_interval_ns=0)
    oms = OrderManager(
        store=store, instruments=default_instruments(), venues={"SIM": venue}, clock=clock
    )
    await oms.start()
    subscription = oms.hub.subscribe(maxsize=10 * orders)
    latencies: list[int] = []
    pairs = iter(range(orders // 2))

    async def worker() -> None:
        for n in pairs:
            price = Decimal("190.00")  # one price: every order crosses and fills
            for side, account in ((Side.SELL, "SELLER"), (Side.BUY, "BUYER")):
                command = SubmitOrder(
                    client_order_id=f"{side}-{n}",
                    account=account,
                    symbol="AAPL",
                    side=side,
                    order_type=OrderType.LIMIT,
                    quantity=Decimal(1),
                    price=price,
                    time_in_force=TimeInForce.GTC,
                )
                started = time.perf_counter_ns()
                await oms.submit(command)
                latencies.append(time.perf_counter_ns() - started)

    async def all_filled() -> None:
        filled = 0
        async for _, event in subscription:
            if isinstance(event, OrderFilled):
                filled += 1
                if filled == orders:
                    return

    started = time.perf_counter()
    waiting = asyncio.create_task(all_filled())
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await waiting
    elapsed = time.perf_counter() - started
    events = await store.last_position()
    await oms.stop()
    await store.close()
    print(
        f"OMS core (SQLite, durable group commit): {orders:,} orders in {elapsed:.2f} s = "
        f"{orders / elapsed:,.0f} orders/s ({events / elapsed:,.0f} events/s, {events:,} events)"
    )
    print(
        f"submit latency: p50 {percentile(latencies, 0.5):.0f} us, "
        f"p99 {percentile(latencies, 0.99):.0f} us, "
        f"mean {statistics.fmean(latencies) / 1000:.0f} us "
        f"(concurrency {concurrency})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.orders, args.concurrency, Path(tmp)))


if __name__ == "__main__":
    main()
