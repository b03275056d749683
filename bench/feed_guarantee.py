"""Delivery guarantee: subscribers that disconnect and resume at random get everything once.

Real processes: a throwaway nats-server with JetStream, two ``ordergate feed-gateway``
processes, a producer publishing feed events to the stream as the platform's publisher
does (at a fixed rate, over ten accounts), and WebSocket subscribers with random filters
(every account, or a random subset) that, after a random number of frames, drop their
connection and resume (``from`` = the last position they saw) on a random gateway, some of
them after lying idle long enough to be sent to catch-up. At the end every subscriber's
events are compared with what it was entitled to: every matching position, exactly once,
in order. Reported: events, subscribers, reconnects, catch-ups and violations (0 expected).

    .venv/bin/python bench/feed_guarantee.py --subscribers 50 --events 5000 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import nats
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.feed_fanout import _event_body, _free_port, _wait_ready
from tests.servers import start_nats

from ordergate.feed.stream import MSG_ID_HEADER, POSITION_HEADER, STREAM_NAME, ensure_stream

_ACCOUNTS = [f"ACC{n}" for n in range(10)]


async def _produce(js: nats.js.JetStreamContext, events: int, rate: int) -> None:
    began = time.perf_counter()
    for position in range(1, events + 1):
        account = _ACCOUNTS[position % len(_ACCOUNTS)]
        await js.publish(
            f"og.events.{account}.AAPL.OrderFilled",
            _event_body(position, account),
            stream=STREAM_NAME,
            headers={MSG_ID_HEADER: str(position), POSITION_HEADER: str(position)},
        )
        ahead = position / rate - (time.perf_counter() - began)
        if ahead > 0:
            await asyncio.sleep(ahead)


class _Subscriber:
    def __init__(self, n: int, rng: random.Random, ports: list[int], events: int) -> None:
        self.rng = rng
        self.ports = ports
        self.accounts = (
            None if rng.random() < 0.3 else sorted(rng.sample(_ACCOUNTS, rng.randint(1, 3)))
        )
        self.expected = [
            p
            for p in range(1, events + 1)
            if self.accounts is None or _ACCOUNTS[p % len(_ACCOUNTS)] in self.accounts
        ]
        self.got: list[int] = []
        self.position = 0
        self.reconnects = 0
        self.catch_ups = 0
        self.name = f"s{n}"

    async def run(self) -> None:
        while len(self.got) < len(self.expected):
            port = self.rng.choice(self.ports)
            query = f"from={self.position}"
            if self.accounts is not None:
                query += "&account=" + ",".join(self.accounts)
            budget = self.rng.randint(1, 400)
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/feed?{query}") as socket:
                if self.rng.random() < 0.2:
                    await asyncio.sleep(self.rng.uniform(0.1, 0.6))  # idle: let frames pile up
                while budget and len(self.got) < len(self.expected):
                    frame = json.loads(await socket.recv())
                    if frame["type"] == "control":
                        self.catch_ups += frame["control"] == "catching_up"
                        self.position = max(self.position, frame["position"])
                        continue
                    self.got.append(frame["position"])
                    self.position = frame["position"]
                    budget -= 1
                # Drop the connection as a network failure would: no closing handshake
                # (which would first read everything the server had already sent).
                socket.transport.abort()
            self.reconnects += 1

    def violations(self) -> int:
        return int(self.got != self.expected)


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    with start_nats() as server:
        connection = await nats.connect(server.url())
        js = connection.jetstream()
        await ensure_stream(js)
        ports = [(_free_port(), _free_port()) for _ in range(2)]
        gateways = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "ordergate.cli", "--log-level", "warning"),
                    *("feed-gateway", "--nats", server.url(), "--port", str(http)),
                    *("--ws-port", str(ws), "--buffer", str(args.buffer)),
                    *("--high-water", str(args.high_water)),
                ],
                stdout=subprocess.DEVNULL,
            )
            for http, ws in ports
        ]
        try:
            for (http, _), process in zip(ports, gateways, strict=True):
                await _wait_ready(http, process)
            subscribers = [
                _Subscriber(n, random.Random(rng.random()), [ws for _, ws in ports], args.events)
                for n in range(args.subscribers)
            ]
            began = time.perf_counter()
            try:
                async with asyncio.timeout(args.timeout):
                    await asyncio.gather(
                        _produce(js, args.events, args.rate), *(s.run() for s in subscribers)
                    )
            except TimeoutError:
                for s in subscribers:
                    if len(s.got) < len(s.expected):
                        prefix = s.got == s.expected[: len(s.got)]
                        print(
                            f"{s.name} stuck: {len(s.got)} of {len(s.expected)} events, "
                            f"at position {s.position}, in order so far: {prefix}"
                        )
                raise
            elapsed = time.perf_counter() - began
        finally:
            for process in gateways:
                process.terminate()
                process.wait(10)
            await connection.drain()
    violations = sum(s.violations() for s in subscribers)
    delivered = sum(len(s.got) for s in subscribers)
    print(
        f"events {args.events} at {args.rate}/s; subscribers {args.subscribers} on 2 gateways; "
        f"seed {args.seed}"
    )
    print(
        f"delivered {delivered} (expected {sum(len(s.expected) for s in subscribers)}); "
        f"reconnects {sum(s.reconnects for s in subscribers)}; "
        f"catch-ups {sum(s.catch_ups for s in subscribers)}; {elapsed:.1f} s"
    )
    print(f"subscribers with a gap, a duplicate or a reordering: {violations}")
    return 1 if violations else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=1000, help="events published per second")
    parser.add_argument("--buffer", type=int, default=64, help="gateway subscriber buffer")
    parser.add_argument(
        "--high-water", type=int, default=65536, help="gateway socket bytes before catch-up"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=300.0)
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
