"""Benchmark the event store: durable appends/s with group commit, and replay events/s.

Run from the repo root, e.g.::

    .venv/bin/python bench/eventstore.py                      # full run, both backends
    .venv/bin/python bench/eventstore.py --events 20000 --replay-events 100000 --backend sqlite

Appends are durable (SQLite WAL + synchronous=FULL; PostgreSQL fsync=on on a throwaway
server from tests/servers.py), so the figures depend on the disk's fsync latency.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import start_postgres

from ordergate.eventstore import NewEvent, iter_all, open_recorder

PAYLOAD = b'{"order_id":"O-%d","side":"BUY","qty":"100","price":"101.25","venue":"SIM"}'


def new_event(stream: str, version: int) -> NewEvent:
    return NewEvent(
        stream_id=stream,
        version=version,
        type="OrderSubmitted",
        schema_version=1,
        data=PAYLOAD % version,
        ts=1_700_000_000_000_000_000 + version,
    )


async def bench_single(url: str, events: int, appenders: int) -> float:
    """``appenders`` tasks, each appending one event per call to its own stream."""
    per_task = events // appenders
    async with open_recorder(url) as recorder:

        async def appender(i: int) -> None:
            for version in range(1, per_task + 1):
                await recorder.append([new_event(f"S-{i}", version)])

        started = time.perf_counter()
        await asyncio.gather(*(appender(i) for i in range(appenders)))
        elapsed = time.perf_counter() - started
    return per_task * appenders / elapsed


async def bench_batched(url: str, events: int, appenders: int, size: int) -> float:
    """``appenders`` tasks, each appending ``size`` events (of ``size`` streams) per call."""
    calls = max(1, events // (appenders * size))
    async with open_recorder(url) as recorder:

        async def appender(i: int) -> None:
            for version in range(1, calls + 1):
                await recorder.append([new_event(f"B-{i}-{s}", version) for s in range(size)])

        started = time.perf_counter()
        await asyncio.gather(*(appender(i) for i in range(appenders)))
        elapsed = time.perf_counter() - started
    return calls * appenders * size / elapsed


async def bench_replay(url: str, events: int) -> tuple[float, float]:
    """Fill a store with ``events`` events, then replay them all with ``iter_all``."""
    decoder = msgspec.json.Decoder()
    async with open_recorder(url) as recorder:
        size, streams = 1000, 1000
        for start in range(0, events, size):
            version = start // streams + 1
            batch = [new_event(f"R-{(start + j) % streams}", version) for j in range(size)]
            await recorder.append(batch[: events - start])
        started = time.perf_counter()
        count = 0
        async for _ in iter_all(recorder):
            count += 1
        plain = count / (time.perf_counter() - started)
        started = time.perf_counter()
        count = 0
        async for stored in iter_all(recorder):
            decoder.decode(stored.data)
            count += 1
        decoded = count / (time.perf_counter() - started)
    assert count == events, (count, events)
    return plain, decoded


@contextmanager
def sqlite_urls() -> Iterator[Iterator[str]]:
    with tempfile.TemporaryDirectory(prefix="ordergate-bench-") as tmp:
        yield (f"sqlite:///{tmp}/events-{i}.db" for i in range(1_000))


@contextmanager
def postgres_urls() -> Iterator[Iterator[str]]:
    with start_postgres() as server:
        yield (server.create_database(f"bench_{i}") for i in range(1_000))


async def run(name: str, urls: Iterator[str], args: argparse.Namespace) -> None:
    rate = await bench_single(next(urls), args.events, args.appenders)
    print(f"{name:8} append 1 event/call, {args.appenders} concurrent: {rate:>10,.0f} events/s")
    rate = await bench_batched(next(urls), args.events * 5, 4, 100)
    print(f"{name:8} append 100 events/call, 4 concurrent:   {rate:>10,.0f} events/s")
    if args.replay_events:
        plain, decoded = await bench_replay(next(urls), args.replay_events)
        print(f"{name:8} replay {args.replay_events:,} via iter_all:      {plain:>10,.0f} events/s")
        print(f"{name:8} replay + json decode of data:       {decoded:>10,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events per append run")
    parser.add_argument("--appenders", type=int, default=64, help="concurrent appenders")
    parser.add_argument("--replay-events", type=int, default=1_000_000, help="0 to skip")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    args = parser.parse_args()
    if args.backend in ("sqlite", "all"):
        with sqlite_urls() as urls:
            asyncio.run(run("sqlite", urls, args))
    if args.backend in ("postgres", "all"):
        with postgres_urls() as urls:
            asyncio.run(run("postgres", urls, args))


if __name__ == "__main__":
    main()
