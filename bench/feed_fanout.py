"""Feed fan-out: many WebSocket subscribers on feed gateways, events at a fixed rate.

Everything real, on this machine: a throwaway nats-server with JetStream, one or more
``ordergate feed-gateway`` processes, and client processes holding the WebSocket
subscribers. The producer publishes feed events to the stream exactly as the platform's
publisher does (subject, ``Nats-Msg-Id`` and ``Og-Position`` headers, one JSON payload per
event), stamping each with the wall-clock time it is published; a subscriber's latency is
the time its frame is read minus that stamp (publish → JetStream → gateway → socket →
client), so it includes the client's own lag on this shared 2-core machine.

Subscribers connect live (no ``from``), every one subscribed to every event (the worst
case of fan-out: each event goes to all of them). Reported: events published, deliveries
(events received, summed over subscribers) per second over the measured window, frames
that were control messages (``catching_up``: a subscriber fell behind and was moved to
catch-up), and latency percentiles.

    .venv/bin/python bench/feed_fanout.py --subscribers 1000 --rate 200 --seconds 10
    .venv/bin/python bench/feed_fanout.py --subscribers 1000 --rate 200 --gateways 2
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import msgspec
import nats
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import start_nats

from ordergate.feed.stream import MSG_ID_HEADER, POSITION_HEADER, STREAM_NAME, ensure_stream

_KEY = base64.b64encode(os.urandom(16)).decode()
_TS = b'"ts_event":'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- client side (in client processes) -------------------------------------------------------


class _Subscriber(asyncio.Protocol):
    """A minimal WebSocket client: handshake, then count text frames and their latency."""

    def __init__(self, host: str, port: int, stats: _Stats) -> None:
        self._request = (
            f"GET /ws/feed HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {_KEY}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self._stats = stats
        self._buffer = bytearray()
        self._open = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  (uvloop's is not a subclass)
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._open:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self._buffer.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(bytes(self._buffer[:200]).decode()))
                return
            del self._buffer[: end + 4]
            self._open = True
            self.ready.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer, now = self._buffer, time.time_ns()
        offset = 0
        while len(buffer) - offset >= 2:
            opcode, length = buffer[offset] & 0x0F, buffer[offset + 1] & 0x7F
            head = 2
            if length == 126:
                if len(buffer) - offset < 4:
                    break
                length, head = int.from_bytes(buffer[offset + 2 : offset + 4]), 4
            elif length == 127:
                if len(buffer) - offset < 10:
                    break
                length, head = int.from_bytes(buffer[offset + 2 : offset + 10]), 10
            if len(buffer) - offset < head + length:
                break
            payload = bytes(buffer[offset + head : offset + head + length])
            offset += head + length
            if opcode == 1:
                self._stats.frame(payload, now)
            elif opcode == 9 and self.transport is not None:  # ping: answer (masked, empty key)
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        del buffer[:offset]


class _Stats:
    def __init__(self) -> None:
        self.measuring = False
        self.events = 0
        self.controls = 0
        self.latencies: list[int] = []

    def frame(self, payload: bytes, now: int) -> None:
        if not self.measuring:
            return
        at = payload.find(_TS)
        if at < 0:
            self.controls += 1
            return
        end = payload.find(b",", at)
        self.events += 1
        self.latencies.append(now - int(payload[at + len(_TS) : end]))


def _client_process(targets: list[tuple[str, int]], pipe: Connection) -> None:
    uvloop.run(_client_main(targets, pipe))


async def _client_main(targets: list[tuple[str, int]], pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    stats = _Stats()
    subscribers = []
    for host, port in targets:
        _, protocol = await loop.create_connection(
            lambda h=host, p=port: _Subscriber(h, p, stats), host, port
        )
        await protocol.ready
        subscribers.append(protocol)
    pipe.send("connected")
    await loop.run_in_executor(None, pipe.recv)  # "measure"
    stats.measuring = True
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    stats.measuring = False
    pipe.send((stats.events, stats.controls, stats.latencies))
    for s in subscribers:
        if s.transport is not None:
            s.transport.close()


# -- producer and orchestration --------------------------------------------------------------


def _event_body(position: int, account: str) -> bytes:
    """Return a feed event's payload, stamped with the wall-clock time now."""
    return msgspec.json.encode(
        {
            "position": position,
            "type": "OrderFilled",
            "order_id": f"O-{position}",
            "account": account,
            "portfolio": None,
            "strategy": "bench",
            "symbol": "AAPL",
            "venue": "SIM",
            "ts_event": time.time_ns(),
            "event": {"quantity": "100", "price": "190.25", "liquidity": "MAKER"},
        }
    )


async def _produce(js: nats.js.JetStreamContext, rate: int, seconds: float, start: int) -> int:
    """Publish ``rate`` events a second for ``seconds``; return the last position."""
    tick = 0.005
    position = start
    began = time.perf_counter()
    total = int(rate * seconds)
    while position - start < total:
        due = min(total, int((time.perf_counter() - began) * rate)) - (position - start)
        publishes = []
        for _ in range(due):
            position += 1
            p = str(position)
            publishes.append(
                js.publish(
                    f"og.events.ACC{position % 10}.AAPL.OrderFilled",
                    _event_body(position, f"ACC{position % 10}"),
                    stream=STREAM_NAME,
                    headers={MSG_ID_HEADER: p, POSITION_HEADER: p},
                )
            )
        if publishes:
            await asyncio.gather(*publishes)
        await asyncio.sleep(tick)
    return position


async def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(400):
            if process.poll() is not None:
                raise RuntimeError("a gateway exited")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError("a gateway never became ready")


def _cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[int], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


async def run(args: argparse.Namespace) -> None:
    with start_nats() as server:
        connection = await nats.connect(server.url())
        js = connection.jetstream()
        await ensure_stream(js)
        ports = [_free_port() for _ in range(args.gateways)]
        ws_ports = [_free_port() for _ in range(args.gateways)]
        gateways = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ordergate.cli",
                    "--log-level",
                    "warning",
                    "feed-gateway",
                    "--nats",
                    server.url(),
                    "--port",
                    str(port),
                    "--buffer",
                    str(args.buffer),
                    "--ws-port",
                    str(ws_port),
                ],
                stdout=subprocess.DEVNULL,
            )
            for port, ws_port in zip(ports, ws_ports, strict=True)
        ]
        clients: list[tuple[mp.Process, Connection]] = []
        try:
            for port, process in zip(ports, gateways, strict=True):
                await _wait_ready(port, process)
            targets = [("127.0.0.1", ws_ports[i % len(ws_ports)]) for i in range(args.subscribers)]
            for k in range(args.client_processes):
                mine, theirs = mp.Pipe()
                proc = mp.Process(
                    target=_client_process, args=(targets[k :: args.client_processes], theirs)
                )
                proc.start()
                clients.append((proc, mine))
            for _, pipe in clients:
                await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            warm = await _produce(js, args.rate, args.warmup, 0)
            for _, pipe in clients:
                pipe.send("measure")
            began = time.perf_counter()
            cpu_before = [_cpu_seconds(p.pid) for p in gateways]
            client_before = [_cpu_seconds(p.pid) for p, _ in clients if p.pid]
            last = await _produce(js, args.rate, args.seconds, warm)
            await asyncio.sleep(args.drain)
            elapsed = time.perf_counter() - began
            gateway_cpu = sum(_cpu_seconds(p.pid) for p in gateways) - sum(cpu_before)
            client_cpu = sum(_cpu_seconds(p.pid) for p, _ in clients if p.pid) - sum(client_before)
            for _, pipe in clients:
                pipe.send("stop")
            events = controls = 0
            latencies: list[int] = []
            for _, pipe in clients:
                e, c, lat = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
                events, controls = events + e, controls + c
                latencies.extend(lat)
        finally:
            for proc, _ in clients:
                proc.join(10)
                if proc.is_alive():
                    proc.kill()
            for process in gateways:
                process.terminate()
                process.wait(10)
            await connection.drain()
    published = last - warm
    expected = published * args.subscribers
    print(
        f"gateways={args.gateways} subscribers={args.subscribers} rate={args.rate}/s "
        f"seconds={args.seconds} client_processes={args.client_processes}"
    )
    print(f"published {published} events; deliveries {events} of {expected} expected")
    print(f"deliveries/s {events / elapsed:,.0f} (window {elapsed:.2f} s incl. drain)")
    print(f"control frames (catching_up/live) {controls}")
    print(
        f"gateway CPU {gateway_cpu:.2f} s ({gateway_cpu / elapsed:.0%} of a core), "
        f"{events / gateway_cpu:,.0f} deliveries per gateway CPU-second; "
        f"client CPU {client_cpu:.2f} s"
    )
    print(
        "latency ms p50 {:.2f} p90 {:.2f} p99 {:.2f} max {:.2f} mean {:.2f}".format(
            _percentile(latencies, 0.5),
            _percentile(latencies, 0.9),
            _percentile(latencies, 0.99),
            max(latencies, default=0) / 1e6,
            statistics.fmean(latencies) / 1e6 if latencies else float("nan"),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=200, help="events published per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--drain", type=float, default=1.0, help="seconds to wait after")
    parser.add_argument("--gateways", type=int, default=1)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--buffer", type=int, default=1000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
