"""Market data throughput: raw Binance messages through normalize + book + monitor, one process.

A realistic mix over several symbols, generated up front with a seeded random walk and
encoded exactly as Binance's raw streams send them:

- ``depthUpdate`` (diff depth) with about 10 changed levels (5 bids and 5 asks, some of
  them removals), contiguous ``U``/``u``; the books start from a REST depth snapshot that
  the pipeline fetches through its snapshot fetcher;
- ``bookTicker``;
- ``trade``.

Three feeds (one per stream kind) run concurrently through :class:`MarketDataPipeline`:
each message is normalized (msgspec to Decimal), sequence-checked and applied to its book,
crossed/checksum-checked and monitored, then published. Reported: messages, seconds and
messages/s for the whole pipeline (with and without a subscriber draining its queue), and
for the pure core per message kind, to show which part dominates.

    .venv/bin/python bench/marketdata.py --messages 300000 --symbols 4
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator

import msgspec

from ordergate.clock import LiveClock
from ordergate.marketdata import BookSnapshot, MarketDataPipeline, NeedsSnapshot
from ordergate.marketdata.normalize import BinanceNormalizer, BinanceStream
from ordergate.marketdata.processor import FeedProcessor


def _price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _size(rng: random.Random) -> str:
    return f"{rng.randint(0, 40)}.{rng.randint(0, 99_999_999):08d}"


def generate(
    messages: int, symbols: int, seed: int, mix: tuple[int, int, int]
) -> dict[str, object]:
    """Return raw messages per stream kind and the depth snapshot of each symbol."""
    rng = random.Random(seed)
    names = [f"SYM{i}USDT" for i in range(symbols)]
    mid = dict.fromkeys(names, 3_000_000)  # 30000.00
    update_id = dict.fromkeys(names, 1_000)
    snapshots = {}
    for name in names:
        m = mid[name]
        snapshots[name] = msgspec.json.encode(
            {
                "lastUpdateId": update_id[name],
                "bids": [[_price(m - i), _size(rng)] for i in range(1, 101)],
                "asks": [[_price(m + i), _size(rng)] for i in range(1, 101)],
            }
        )
    depth: list[bytes] = []
    tickers: list[bytes] = []
    trades: list[bytes] = []
    counts = [messages * weight // sum(mix) for weight in mix]
    for n in range(max(counts)):
        name = names[n % symbols]
        m = mid[name]
        first = update_id[name] + 1
        last = update_id[name] = first + rng.randint(0, 20)

        def level(price: int) -> list[str]:
            return [_price(price), "0.00000000" if rng.random() < 0.2 else _size(rng)]

        # Bids stay below and asks above the mid: the book never crosses (a walking mid would
        # need the generator to keep a book of its own to stay uncrossed).
        depth.append(
            msgspec.json.encode(
                {
                    "e": "depthUpdate",
                    "E": 1_700_000_000_000 + n,
                    "s": name,
                    "U": first,
                    "u": last,
                    "b": [level(m - rng.randint(1, 60)) for _ in range(5)],
                    "a": [level(m + rng.randint(1, 60)) for _ in range(5)],
                }
            )
        )
        tickers.append(
            msgspec.json.encode(
                {
                    "u": last,
                    "s": name,
                    "b": _price(m - 1),
                    "B": _size(rng),
                    "a": _price(m + 1),
                    "A": _size(rng),
                }
            )
        )
        trades.append(
            msgspec.json.encode(
                {
                    "e": "trade",
                    "E": 1_700_000_000_000 + n,
                    "s": name,
                    "t": n + 1,
                    "p": _price(m),
                    "q": _size(rng),
                    "T": 1_700_000_000_000 + n,
                    "m": rng.random() < 0.5,
                    "M": True,
                }
            )
        )
    return {
        "counts": counts,
        "names": names,
        "snapshots": snapshots,
        "depth": depth[: counts[0]],
        "tickers": tickers[: counts[1]],
        "trades": trades[: counts[2]],
    }


async def _iterate(raw: list[bytes], burst: int) -> AsyncIterator[bytes]:
    # A socket read returns a burst of frames and then suspends; a list never would. Suspend
    # every ``burst`` messages (and first of all, so that the depth snapshot fetch started
    # with the feed runs while the first deltas arrive, as it would live).
    for n, message in enumerate(raw):
        if n % burst == 0:
            await asyncio.sleep(0)
        yield message


def _normalizers(names: list[str]) -> dict[BinanceStream, BinanceNormalizer]:
    symbols = {name: name.replace("USDT", "-USDT") for name in names}
    return {
        kind: BinanceNormalizer(symbols, kind)
        for kind in (BinanceStream.DEPTH, BinanceStream.BOOK_TICKER, BinanceStream.TRADE)
    }


async def run_pipeline(
    data: dict[str, object], subscriber: bool, burst: int
) -> tuple[int, float, int]:
    """Run the three feeds through the pipeline; return (messages, seconds, published)."""
    names: list[str] = data["names"]  # type: ignore[assignment]
    snapshots: dict[str, bytes] = data["snapshots"]  # type: ignore[assignment]
    normalizers = _normalizers(names)
    depth_normalizer = normalizers[BinanceStream.DEPTH]
    clock = LiveClock()
    by_symbol = {name.replace("USDT", "-USDT"): name for name in names}

    async def fetch(request: NeedsSnapshot) -> BookSnapshot:
        raw = snapshots[by_symbol[request.symbol]]
        return depth_normalizer.depth_snapshot(raw, request.symbol, clock.now_ns())

    pipeline = MarketDataPipeline(clock)
    streams = {
        BinanceStream.DEPTH: data["depth"],
        BinanceStream.BOOK_TICKER: data["tickers"],
        BinanceStream.TRADE: data["trades"],
    }
    total = 0
    for kind, raw in streams.items():
        assert isinstance(raw, list)
        total += len(raw)
        pipeline.add_feed(
            kind.value,
            normalizers[kind],
            _iterate(raw, burst),
            fetcher=fetch if kind is BinanceStream.DEPTH else None,
            initial_snapshots=list(by_symbol) if kind is BinanceStream.DEPTH else (),
            stale_after=60.0,
        )
    received = 0

    async def drain() -> None:
        nonlocal received
        async for _ in subscription:
            received += 1

    subscription = pipeline.subscribe(maxsize=total + 1000) if subscriber else None
    drainer = asyncio.create_task(drain()) if subscription is not None else None
    start = time.perf_counter()
    await pipeline.run()
    if drainer is not None:
        await drainer
    seconds = time.perf_counter() - start
    published = sum(h.counters.published for h in pipeline.health().values())
    problems = {
        name: h.counters
        for name, h in pipeline.health().items()
        if h.counters.gaps or h.counters.crossed or h.counters.bad_payloads
    }
    assert not problems, f"the generated feed must be clean: {problems}"
    if subscription is not None:
        assert received == published, (received, published)
    return total, seconds, published


def run_core(data: dict[str, object]) -> dict[str, tuple[int, float]]:
    """Time the pure core alone per message kind: normalize + book + monitor, no asyncio."""
    names: list[str] = data["names"]  # type: ignore[assignment]
    snapshots: dict[str, bytes] = data["snapshots"]  # type: ignore[assignment]
    normalizers = _normalizers(names)
    out: dict[str, tuple[int, float]] = {}
    for kind, key in (
        (BinanceStream.DEPTH, "depth"),
        (BinanceStream.BOOK_TICKER, "tickers"),
        (BinanceStream.TRADE, "trades"),
    ):
        raw: list[bytes] = data[key]  # type: ignore[assignment]
        processor = FeedProcessor(normalizers[kind], stale_after_ns=60 * 10**9)
        if kind is BinanceStream.DEPTH:
            for name in names:
                symbol = name.replace("USDT", "-USDT")
                processor.request_snapshot(symbol, 0)
                processor.take_requests()
                processor.on_snapshot(
                    normalizers[kind].depth_snapshot(snapshots[name], symbol, 0), 0
                )
        on_message = processor.on_message
        start = time.perf_counter()
        for message in raw:
            on_message(message, 0)
        out[kind.value] = (len(raw), time.perf_counter() - start)
        decode_start = time.perf_counter()
        normalize = normalizers[kind].normalize
        for message in raw:
            normalize(message, 0)
        out[kind.value + " (normalize only)"] = (len(raw), time.perf_counter() - decode_start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--symbols", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--mix",
        default="1:1:1",
        help="depthUpdate:bookTicker:trade message counts (Binance sends depth at most every "
        "100 ms per symbol while bookTicker and trades are real time, so live feeds are "
        "lighter on depth than 1:1:1)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="pipeline runs (best and median)")
    parser.add_argument("--burst", type=int, default=64, help="messages per socket read")
    args = parser.parse_args()
    mix = tuple(int(part) for part in args.mix.split(":"))
    assert len(mix) == 3, "--mix is depth:bookTicker:trade"
    data = generate(args.messages, args.symbols, args.seed, mix)  # type: ignore[arg-type]
    gc.collect()
    gc.freeze()  # the generated input is not the pipeline's garbage to scan
    print(f"python {sys.version.split()[0]}, msgspec {msgspec.__version__}")
    print(
        f"mix: {len(data['depth'])} depthUpdate (5 bid + 5 ask levels, 20% removals), "  # type: ignore[arg-type]
        f"{len(data['tickers'])} bookTicker, {len(data['trades'])} trade, "  # type: ignore[arg-type]
        f"{args.symbols} symbols"
    )
    for subscriber in (False, True):
        label = "pipeline, one subscriber draining" if subscriber else "pipeline, no subscriber"
        runs = [asyncio.run(run_pipeline(data, subscriber, args.burst)) for _ in range(args.repeat)]
        total, _, published = runs[0]
        rates = sorted(total / seconds for _, seconds, _ in runs)
        best = min(seconds for _, seconds, _ in runs)
        print(
            f"{label:36s} {total:>8d} msgs  best {best:6.3f} s  {total / best:>9,.0f} msgs/s"
            f"  median {statistics.median(rates):>9,.0f} msgs/s of {args.repeat} runs"
            f"  ({published} published)"
        )
    print("pure core per kind (FeedProcessor.on_message; normalize alone):")
    core = run_core(data)
    for kind, (count, seconds) in core.items():
        print(
            f"  {kind:36s} {count:>8d} msgs {seconds:7.3f} s {count / seconds:>10,.0f} msgs/s"
            f"  {seconds / count * 1e6:6.2f} us/msg"
        )
    print("where the time goes (us per message: normalize | book + monitor):")
    for kind in (BinanceStream.DEPTH, BinanceStream.BOOK_TICKER, BinanceStream.TRADE):
        count, total = core[kind.value]
        _, normalize = core[kind.value + " (normalize only)"]
        print(
            f"  {kind.value:12s} {normalize / count * 1e6:6.2f} | "
            f"{(total - normalize) / count * 1e6:6.2f}"
        )
    print(
        f"rerun: .venv/bin/python bench/marketdata.py --messages {args.messages} "
        f"--symbols {args.symbols} --seed {args.seed} --burst {args.burst} "
        f"--repeat {args.repeat} --mix {args.mix}"
    )


if __name__ == "__main__":
    main()
