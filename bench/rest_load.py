"""REST load benchmark for ``POST /api/orders``: fixed offered rate and saturation.

Run from the repo root, e.g.::

    .venv/bin/python bench/rest_load.py                          # defaults: 1,000/s, 32 conns, 10 s
    .venv/bin/python bench/rest_load.py --duration 3 --skip-wrk  # quick check
    .venv/bin/python bench/rest_load.py --rate 2000 --connections 64 --warmup 2

Method
------
The script starts ``ordergate serve`` as a subprocess on a free port with a fresh temporary
data dir (durable SQLite event store; the server's stderr goes to ``server.log`` in that dir),
waits for ``GET /ready``, runs the load from *this* process and always kills the server at
the end. Every order is a resting GTC LIMIT for 1 AAPL far from the market (BUY 150.00 and
SELL 250.00 alternating; AAPL trades near 190), each with a unique ``client_order_id``, so
the figures measure the order-entry path (validate, risk, persist, route to the simulated
venue, acknowledge) rather than matching.

The load generator is a small HTTP/1.1 keep-alive client over ``asyncio.open_connection``
(on uvloop when installed): N persistent connections, one request in flight per connection,
request bytes built from pre-encoded fragments (each side's body has a fixed length, so only the
zero-padded id changes), responses read by their status line and ``Content-Length``.
Everything else (httpx etc.) costs too much client CPU on a 2-core machine.

1. Warm-up: closed loop for ``--warmup`` seconds, not counted.
2. Fixed offered rate (open loop): request *i* is due at ``start + i / rate``. A timer thread
   (``time.sleep`` has sub-millisecond precision, the event loop's timers only 1 ms) releases
   due requests to a queue that the connections drain; latency is measured from the
   *scheduled* send time, so a stalled server is charged for the requests it delayed (no
   coordinated omission). The send lag (actual write minus scheduled time) is printed too:
   it is small unless every connection was busy or the client itself fell behind.
3. Saturation (closed loop): ``--connections`` connections send back to back for
   ``--duration`` seconds; latency from write to full response.
4. If ``wrk`` is on PATH (Debian package ``wrk``) and ``--skip-wrk`` is not given, the same
   saturation test is repeated with wrk (2 threads) and a Lua script that makes unique ids,
   as a check that the Python client is not the bottleneck.

CPU seconds of the server and of the load generator are sampled around each phase
(``/proc/<pid>/stat`` and ``getrusage``), so the output says which side was the bottleneck.
All phases run against the same server, so resting orders accumulate over the run.
Non-201 answers are counted as errors, listed by status with a sample body, and the figure
line is marked ``ERRORS``; the exit code is still 0. Anything the server logged at warning
level or above is printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ORDERGATE = REPO / ".venv" / "bin" / "ordergate"
HOST = "127.0.0.1"
ID_DIGITS = 10
GRACE_S = 15.0  # after the last scheduled request: wait this long for stragglers
CLOCK_TICK = os.sysconf("SC_CLK_TCK")

BODY_HEAD = b'{"client_order_id":"'
BODY_TAILS = (
    b'","account":"BENCH","symbol":"AAPL","side":"BUY","order_type":"LIMIT",'
    b'"quantity":"1","price":"150.00","time_in_force":"GTC"}',
    b'","account":"BENCH","symbol":"AAPL","side":"SELL","order_type":"LIMIT",'
    b'"quantity":"1","price":"250.00","time_in_force":"GTC"}',
)


# ---------------------------------------------------------------- requests and connections


class RequestFactory:
    """Build ``POST /api/orders`` requests with unique client order ids, cheaply."""

    def __init__(self, port: int, prefix: str) -> None:
        pre = prefix.encode()
        self.heads = tuple(
            (
                f"POST /api/orders HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(BODY_HEAD) + len(pre) + ID_DIGITS + len(tail)}\r\n\r\n"
            ).encode()
            + BODY_HEAD
            + pre
            for tail in BODY_TAILS
        )

    def build(self, phase: str, i: int) -> bytes:
        """Return request ``i`` of ``phase`` (a one-letter tag keeping ids unique per run)."""
        ident = f"{phase}{i:0{ID_DIGITS - 1}d}".encode()
        return self.heads[i & 1] + ident + BODY_TAILS[i & 1]


class Conn:
    """One HTTP/1.1 keep-alive connection with one request in flight."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, data: bytes) -> tuple[int, bytes]:
        """Send ``data`` and return (status, body); the caller times it."""
        if self.writer is None:
            await self.connect()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        pos = lower.find(b"\r\ncontent-length:")
        if pos < 0:
            raise ValueError(f"response without Content-Length: {head[:200]!r}")
        end = lower.index(b"\r\n", pos + 2)
        body = await self.reader.readexactly(int(lower[pos + 17 : end]))
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, body


@dataclass
class Recorder:
    """Latencies (ns) and errors of one phase."""

    latencies: list[int] = field(default_factory=list)
    send_lags: list[int] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    samples: dict[str, bytes] = field(default_factory=dict)
    last_done_ns: int = 0

    def error(self, key: str, sample: bytes) -> None:
        self.statuses[key] += 1
        self.samples.setdefault(key, sample[:500])

    @property
    def errors(self) -> int:
        return sum(n for key, n in self.statuses.items() if key != "201")


async def one(conn: Conn, data: bytes, rec: Recorder, t0_ns: int) -> None:
    """Send one request on ``conn``; record latency from ``t0_ns`` and its status."""
    try:
        status, body = await conn.request(data)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
        conn.close()
        rec.error(f"client:{type(e).__name__}", str(e).encode())
        return
    done = time.perf_counter_ns()
    rec.latencies.append(done - t0_ns)
    rec.last_done_ns = done
    key = str(status)
    if status == 201:
        rec.statuses[key] += 1
    else:
        rec.error(key, body)


async def open_conns(port: int, n: int) -> list[Conn]:
    conns = [Conn(port) for _ in range(n)]
    await asyncio.gather(*(c.connect() for c in conns))
    return conns


async def run_workers(
    workers: list[Coroutine[Any, Any, None]], timeout_s: float, rec: Recorder
) -> None:
    """Run the workers; cancel (and count as errors) whatever is still running at the timeout."""
    tasks = [asyncio.ensure_future(w) for w in workers]
    _, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        task.cancel()
    if pending:
        rec.error("client:timeout", f"{len(pending)} connections still waiting".encode())
        await asyncio.wait(pending)


# ---------------------------------------------------------------- the phases


async def closed_loop(
    port: int, factory: RequestFactory, phase: str, conns_n: int, duration_s: float
) -> tuple[Recorder, int]:
    """Saturation: every connection sends back to back until the deadline."""
    rec = Recorder()
    conns = await open_conns(port, conns_n)
    counter = iter(range(10**9))
    start = time.perf_counter_ns()
    deadline = start + int(duration_s * 1e9)

    async def worker(conn: Conn) -> None:
        while time.perf_counter_ns() < deadline:
            data = factory.build(phase, next(counter))
            await one(conn, data, rec, time.perf_counter_ns())

    await run_workers([worker(c) for c in conns], duration_s + GRACE_S, rec)
    for c in conns:
        c.close()
    return rec, start


async def open_loop(
    port: int, factory: RequestFactory, conns_n: int, rate: float, duration_s: float
) -> tuple[Recorder, int]:
    """Fixed offered rate: request i is due at start + i/rate; latency from that time."""
    rec = Recorder()
    total = int(rate * duration_s)
    interval_ns = 1e9 / rate
    requests = [factory.build("f", i) for i in range(total)]  # pre-built
    conns = await open_conns(port, conns_n)
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[int | None] = asyncio.Queue()
    start = time.perf_counter_ns() + 20_000_000  # 20 ms to get the timer thread going
    stop = threading.Event()

    def release(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            due.put_nowait(i)
        if hi >= total:
            for _ in conns:
                due.put_nowait(None)

    def timer() -> None:
        sent = 0
        while sent < total and not stop.is_set():
            now = time.perf_counter_ns()
            ready = min(total, int((now - start) / interval_ns) + 1) if now >= start else 0
            if ready > sent:
                loop.call_soon_threadsafe(release, sent, ready)
                sent = ready
            next_due = start + sent * interval_ns
            time.sleep(max(0.0, (next_due - time.perf_counter_ns()) / 1e9))

    async def worker(conn: Conn) -> None:
        while (i := await due.get()) is not None:
            scheduled = start + int(i * interval_ns)
            rec.send_lags.append(time.perf_counter_ns() - scheduled)
            await one(conn, requests[i], rec, scheduled)

    thread = threading.Thread(target=timer, name="bench-timer", daemon=True)
    thread.start()
    try:
        await run_workers([worker(c) for c in conns], duration_s + GRACE_S, rec)
    finally:
        stop.set()
        thread.join()
    unsent = total - len(rec.send_lags)
    if unsent > 0:
        rec.error("client:never-sent", f"{unsent} scheduled requests never sent".encode())
    for c in conns:
        c.close()
    return rec, start


# ---------------------------------------------------------------- server, CPU, wrk


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def start_server(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("wb")
    cmd = [str(ORDERGATE), "--log-level", "warning", "serve"]
    cmd += ["--data-dir", str(data_dir), "--port", str(port)]
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=data_dir
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/ready", timeout=1) as r:
                if r.status == 200:
                    return proc
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"server not ready after 60 s; see {log_path}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def self_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def children_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def machine_busy_s() -> float:
    """CPU seconds all processes on the machine have used since boot (not idle or iowait)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / CLOCK_TICK


@dataclass
class CpuSample:
    wall: float
    server: float
    client: float
    wrk: float
    machine: float


def cpu_sample(server_pid: int) -> CpuSample:
    return CpuSample(
        time.monotonic(),
        proc_cpu_s(server_pid),
        self_cpu_s(),
        children_cpu_s(),
        machine_busy_s(),
    )


def cpu_line(a: CpuSample, b: CpuSample, *, wrk: bool = False) -> str:
    wall = b.wall - a.wall
    server = 100 * (b.server - a.server) / wall
    client = 100 * ((b.wrk - a.wrk) if wrk else (b.client - a.client)) / wall
    machine = 100 * (b.machine - a.machine) / wall
    other = max(0.0, machine - server - client)
    who = "wrk" if wrk else "load client"
    line = f"CPU: server {server:.0f}%  {who} {client:.0f}%  other processes {other:.0f}%"
    line += f"  (100% = one core; {os.cpu_count()} cores)"
    if other > 25:
        line += "  WARNING: the machine was busy with other work; figures are noisy"
    return line


WRK_LUA = r"""
-- unique client_order_id per request: <prefix><thread>-<counter>
local threads = {}
local nthreads = 0
prefix = "%(prefix)s"

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  errors = 0
  sample = ""
  headers = {["Content-Type"] = "application/json"}
end

function request()
  counter = counter + 1
  local side, price = "BUY", "150.00"
  if counter %% 2 == 0 then side, price = "SELL", "250.00" end
  local body = string.format(
    '{"client_order_id":"%%s%%d-%%d","account":"BENCH","symbol":"AAPL","side":"%%s",' ..
    '"order_type":"LIMIT","quantity":"1","price":"%%s","time_in_force":"GTC"}',
    prefix, tid, counter, side, price)
  return wrk.format("POST", "/api/orders", headers, body)
end

function response(status, hdrs, body)
  if status ~= 201 then
    errors = errors + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local errs, samp = 0, ""
  for _, t in ipairs(threads) do
    errs = errs + t:get("errors")
    local s = t:get("sample")
    if s ~= "" and samp == "" then samp = s end
  end
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%%d duration_us=%%d p50_us=%%d p90_us=%%d p99_us=%%d max_us=%%d " ..
    "non201=%%d connect=%%d read=%%d write=%%d timeout=%%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errs, e.connect, e.read, e.write, e.timeout))
  io.write("WRK_SAMPLE " .. samp .. "\n")
end
"""


def run_wrk(wrk: str, port: int, tmp: Path, conns: int, duration_s: float) -> str:
    """Run a wrk saturation test; return the figure line (and print details)."""
    script = tmp / "orders.lua"
    script.write_text(WRK_LUA % {"prefix": "w"})
    threads = max(1, min(os.cpu_count() or 1, conns))
    cmd = [wrk, f"-t{threads}", f"-c{conns}", f"-d{max(1, round(duration_s))}s", "--timeout", "10s"]
    cmd += ["-s", str(script), f"http://{HOST}:{port}/api/orders"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=duration_s + 60)
    m = re.search(r"WRK_RESULT (.*)", out.stdout)
    if out.returncode != 0 or m is None:
        print(out.stdout, out.stderr, sep="\n")
        return f"wrk saturation ({conns} conns): FAILED (exit {out.returncode})"
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    errors = r["non201"] + socket_errors
    rate = r["requests"] / (r["duration_us"] / 1e6)
    line = (
        f"wrk saturation ({conns} conns, {threads} threads): {rate:,.0f} orders/s"
        f" p50 {r['p50_us'] / 1000:.1f} ms p90 {r['p90_us'] / 1000:.1f} ms"
        f" p99 {r['p99_us'] / 1000:.1f} ms max {r['max_us'] / 1000:.1f} ms errors {errors}"
    )
    if errors:
        sample = re.search(r"WRK_SAMPLE (.*)", out.stdout)
        print(f"  wrk errors: non-201 {r['non201']}, socket {socket_errors} ({m.group(1)})")
        print(f"  sample: {sample.group(1) if sample else ''}")
        line += "  ERRORS"
    return line


# ---------------------------------------------------------------- reporting


def pct(sorted_ns: list[int], p: float) -> float:
    """Nearest-rank percentile in ms."""
    if not sorted_ns:
        return float("nan")
    k = max(0, min(len(sorted_ns) - 1, -(-len(sorted_ns) * p // 100) - 1))
    return sorted_ns[int(k)] / 1e6


def report_errors(rec: Recorder) -> None:
    if not rec.errors:
        return
    print(f"  ERRORS: {rec.errors}")
    for key, n in rec.statuses.most_common():
        if key != "201":
            print(f"    {key}: {n}  sample: {rec.samples[key]!r}")


def run_phase(
    name: str, server_pid: int, make: Callable[[], Coroutine[Any, Any, tuple[Recorder, int]]]
) -> tuple[Recorder, int, str]:
    print(f"-- {name} ...", flush=True)
    before = cpu_sample(server_pid)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        rec, start = runner.run(make())
    cpu = cpu_line(before, cpu_sample(server_pid))
    return rec, start, cpu


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="offered orders/s (fixed)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32, help="persistent connections")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds (not counted)")
    parser.add_argument("--skip-wrk", action="store_true", help="do not run the wrk test")
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0 or args.connections < 1 or args.warmup < 0:
        parser.error("--rate, --duration and --connections must be positive")

    tmp = Path(tempfile.mkdtemp(prefix="ordergate-bench-"))
    log_path = tmp / "server.log"
    port = free_port()
    factory = RequestFactory(port, "b")
    keep = False
    proc: subprocess.Popen[bytes] | None = None
    summary: list[str] = []
    try:
        busy_before = machine_busy_s()
        time.sleep(1.0)
        busy = 100 * (machine_busy_s() - busy_before)
        print(f"machine CPU busy before the run: {busy:.0f}% (100% = one core)")
        if busy > 25:
            print("WARNING: other processes are using the CPU; the figures will be noisy")
        (tmp / "data").mkdir()
        proc = start_server(tmp / "data", port, log_path)
        pid = proc.pid
        print(f"server pid {pid} on {HOST}:{port}, data {tmp / 'data'}, log {log_path}")
        conns = args.connections

        if args.warmup > 0:
            rec, _, cpu = run_phase(
                f"warm-up {args.warmup:g} s",
                pid,
                lambda: closed_loop(port, factory, "u", min(conns, 8), args.warmup),
            )
            print(f"   {len(rec.latencies)} requests, errors {rec.errors}; {cpu}")

        # a. fixed offered rate, open loop
        rec, start, cpu = run_phase(
            f"fixed rate {args.rate:g}/s for {args.duration:g} s over {conns} connections",
            pid,
            lambda: open_loop(port, factory, conns, args.rate, args.duration),
        )
        lat = sorted(rec.latencies)
        lags = sorted(rec.send_lags)
        elapsed = (rec.last_done_ns - start) / 1e9 if rec.last_done_ns else float("nan")
        achieved = len(lat) / elapsed if elapsed > 0 else 0.0
        line = (
            f"REST POST /api/orders  fixed {args.rate:,.0f}/s: achieved {achieved:,.1f}/s"
            f" p50 {pct(lat, 50):.1f} ms p90 {pct(lat, 90):.1f} ms p99 {pct(lat, 99):.1f} ms"
            f" max {pct(lat, 100):.1f} ms errors {rec.errors}"
        )
        if rec.errors:
            line += "  ERRORS"
        print(f"   {line}")
        print(
            f"   responses {len(lat)}; send lag vs schedule p50 {pct(lags, 50):.2f} ms"
            f" p99 {pct(lags, 99):.2f} ms max {pct(lags, 100):.2f} ms; {cpu}"
        )
        report_errors(rec)
        summary.append(line)

        # b. saturation, closed loop
        rec, start, cpu = run_phase(
            f"saturation {conns} connections for {args.duration:g} s",
            pid,
            lambda: closed_loop(port, factory, "s", conns, args.duration),
        )
        lat = sorted(rec.latencies)
        elapsed = (rec.last_done_ns - start) / 1e9 if rec.last_done_ns else float("nan")
        rate = len(lat) / elapsed if elapsed > 0 else 0.0
        line = (
            f"saturation ({conns} conns): {rate:,.0f} orders/s p50 {pct(lat, 50):.1f} ms"
            f" p90 {pct(lat, 90):.1f} ms p99 {pct(lat, 99):.1f} ms max {pct(lat, 100):.1f} ms"
            f" errors {rec.errors}"
        )
        if rec.errors:
            line += "  ERRORS"
        print(f"   {line}\n   {cpu}")
        report_errors(rec)
        summary.append(line)

        # c. the same saturation test with wrk, if installed
        wrk = shutil.which("wrk")
        if args.skip_wrk:
            summary.append("wrk: skipped (--skip-wrk)")
        elif wrk is None:
            summary.append(
                "wrk: not installed (Debian: apt-get install wrk); saturation by wrk not run"
            )
        else:
            print(f"-- wrk saturation {conns} connections for {args.duration:g} s ...", flush=True)
            before = cpu_sample(pid)
            line = run_wrk(wrk, port, tmp, conns, args.duration)
            print(f"   {line}\n   {cpu_line(before, cpu_sample(pid), wrk=True)}")
            summary.append(line)

        if proc.poll() is not None:
            summary.append(f"SERVER DIED during the run: exit code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/ready", timeout=5) as r:
                print(f"-- after the run: /ready {r.status} {r.read()[:200].decode()}")
        except (urllib.error.URLError, OSError) as e:
            print(f"-- after the run: /ready failed: {e}")
        keep = any("ERRORS" in s or "DIED" in s or "FAILED" in s for s in summary)
    finally:
        if proc is not None:
            stop_server(proc)
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        if log.strip():
            keep = True
            lines = log.splitlines()
            print(f"\n-- server log ({len(lines)} lines, last 30):")
            print("\n".join(lines[-30:]))
        if keep:
            print(f"\n(kept {tmp} for inspection)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\n==== summary ====")
    for s in summary:
        print(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
