"""The ``ordergate`` command: serve, demo, and event log tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

import structlog
import uvicorn

from ordergate import __version__
from ordergate.api import create_app
from ordergate.config import Settings
from ordergate.eventstore import open_recorder
from ordergate.feed.gateway_cli import add_feed_gateway_command
from ordergate.fix.cli import add_fix_commands
from ordergate.gateway.brokers_file import (
    BrokerCredentialMissing,
    BrokersFileError,
    check_credentials,
)
from ordergate.platform import Platform

__all__ = ["main"]

_GRACEFUL_SHUTDOWN_S = 3


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if args.data_dir is not None:
        settings.data_dir = Path(args.data_dir)
    if args.store is not None:
        settings.store_url = args.store
    if getattr(args, "host", None) is not None:
        settings.host = args.host
    if getattr(args, "port", None) is not None:
        settings.port = args.port
    if getattr(args, "brokers", None) is not None:
        settings.brokers_file = Path(args.brokers)
    if getattr(args, "latency_ms", None) is not None:
        settings.sim_latency_ns = int(args.latency_ms * 1_000_000)
    if args.command == "demo":  # the demo shows every feed front end, on free ports
        if "ORDERGATE_GRPC_PORT" not in os.environ:
            settings.grpc_port = 0
        if "ORDERGATE_DROPCOPY_PORT" not in os.environ:
            settings.dropcopy_port = 0
    return settings


def _wipe(settings: Settings) -> None:
    if settings.store_url is None and settings.data_dir.exists():
        for path in settings.data_dir.glob("events.db*"):
            path.unlink()
    if settings.fix_store_url is None and settings.data_dir.exists():
        for path in settings.data_dir.glob("fix.db*"):
            path.unlink()


async def _serve(settings: Settings, *, banner: bool, script: bool) -> int:
    try:
        platform = Platform(settings)
        if platform.configured_brokers:
            # Said here in one line, rather than in a traceback of the server's startup.
            async with platform.credential_store:
                await check_credentials(platform.configured_brokers, platform.vault)
    except (BrokersFileError, BrokerCredentialMissing) as e:
        print(f"ordergate: brokers file: {e}", file=sys.stderr)
        return 2
    app = create_app(platform)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        # Feed streams (SSE, WebSocket) never end by themselves: on Ctrl+C, give requests in
        # flight this long, then close what is still open so the platform can stop.
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
    )
    server = _Server(config, on_exit=platform.oms.hub.close)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            return 1  # the port is taken or the store could not open: uvicorn said why
        await asyncio.sleep(0.05)
    url = f"http://{settings.host}:{settings.port}"
    if banner:
        print(_banner(url, settings, platform), flush=True)
    if script:
        from ordergate.demo import run_script

        try:
            await run_script(url)
        finally:
            server.should_exit = True
    await serving
    return 0


class _Server(uvicorn.Server):
    """uvicorn's server, ending the live streams when it is asked to exit.

    uvicorn waits for open connections before the app shuts down; the feed streams (SSE,
    WebSocket) never end by themselves, so on Ctrl+C they are ended (each after what it had
    queued) by ``on_exit``, run on the event loop.
    """

    def __init__(self, config: uvicorn.Config, *, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # A signal handler interrupts the loop anywhere: hand the work to the loop.
        asyncio.get_running_loop().call_soon_threadsafe(self._on_exit)


def _banner(url: str, settings: Settings, platform: Platform) -> str:
    venues = "SIM (simulated exchange, in process)"
    if platform.fix_exchange is not None:
        venues += (
            f"\n        FIXSIM (simulated exchange over a real {settings.fix_sim_begin_string}"
            f' session, 127.0.0.1:{platform.fix_exchange.port}; add "venue":"FIXSIM")'
        )
    if platform.alpaca_sim is not None:
        venues += (
            f"\n        ALPACA (simulated Alpaca trading API, {platform.alpaca_sim.url};"
            ' add "venue":"ALPACA")'
        )
    if platform.binance_sim is not None:
        venues += (
            f"\n        BINANCE (simulated Binance spot API, through ccxt,"
            f' {platform.binance_sim.url}; add "venue":"BINANCE")'
        )
    for broker in platform.configured_brokers:
        venues += (
            f"\n        {broker.name} ({broker.kind} broker of the brokers file;"
            f' add "venue":"{broker.name}")'
        )
    feeds = f"{url}/api/feed/events, {url}/api/feed/sse, ws://{url.removeprefix('http://')}/ws/feed"
    services = platform.feed_services
    if services.grpc is not None:
        feeds += f"\n        gRPC ordergate.feed.v1.Feed at {services.grpc.target}"
    if services.dropcopy is not None:
        parties = ", ".join(c.comp_id for c in services.dropcopy.config.counterparties)
        feeds += (
            f"\n        FIX drop copy at 127.0.0.1:{services.dropcopy.port}"
            f" (SenderCompID {services.dropcopy.config.comp_id}; counterparties {parties})"
        )
    if services.publisher is not None:
        feeds += f"\n        published to JetStream ({settings.nats_url})"
    return f"""
ordergate {__version__} is running at {url}  (API docs: {url}/docs)
event store: {settings.resolved_store_url()}
venues: {venues}
execution feed: {feeds}

Place an order:
  curl -s -X POST {url}/api/orders -H 'content-type: application/json' \\
    -d '{{"client_order_id":"my-1","account":"DEMO","symbol":"AAPL","side":"BUY",
         "order_type":"LIMIT","quantity":"10","price":"189.50","time_in_force":"GTC"}}'
  curl -s {url}/api/orders
  curl -s {url}/api/positions
  curl -s {url}/api/fix/sessions
  curl -s {url}/api/brokers
  curl -s {url}/api/connections

Press Ctrl+C to stop; data stays in {settings.data_dir}/ (start afresh with --fresh).
"""


async def _verify(settings: Settings) -> int:
    recorder = open_recorder(settings.resolved_store_url())
    await recorder.start()
    try:
        report = await recorder.verify()
    finally:
        await recorder.close()
    if report.first_break is None:
        print(f"ok: {report.checked} events, hash chain intact")
        return 0
    brk = report.first_break
    print(f"BROKEN at position {brk.position} ({brk.kind}): {brk.message}")
    print(f"{report.checked} events checked")
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ordergate", description="Trading execution platform.")
    parser.add_argument("--version", action="version", version=f"ordergate {__version__}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    commands = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="data directory (default ./data)")
        p.add_argument("--store", help="event store URL: sqlite:///path or postgresql://...")

    for name, text in (
        ("serve", "run the API server"),
        ("demo", "run the API with the simulated venue and print how to use it"),
    ):
        p = commands.add_parser(name, help=text)
        common(p)
        p.add_argument("--host", help="listen address (default 127.0.0.1)")
        p.add_argument("--port", type=int, help="listen port (default 8000)")
        p.add_argument("--latency-ms", type=float, help="simulated venue latency in ms")
        p.add_argument("--fresh", action="store_true", help="delete the event log first")
        p.add_argument(
            "--brokers",
            metavar="FILE",
            help="TOML file of real brokers to trade at (keys in the vault; examples/brokers.toml)",
        )
        if name == "demo":
            p.add_argument(
                "--script",
                action="store_true",
                help="place, modify and cancel orders, print the blotter and positions, exit",
            )
    events = commands.add_parser("events", help="event log tools")
    event_commands = events.add_subparsers(dest="events_command", required=True)
    verify = event_commands.add_parser("verify", help="walk the hash chain; report tampering")
    common(verify)
    add_fix_commands(commands)
    add_feed_gateway_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ordergate`` command line."""
    args = _parser().parse_args(argv)
    _configure_logging(args.log_level)
    if args.command in ("fix", "feed-gateway"):
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    settings = _settings(args)
    if args.command == "events":
        return asyncio.run(_verify(settings))
    if args.fresh:
        _wipe(settings)
    demo = args.command == "demo"
    try:
        return asyncio.run(_serve(settings, banner=demo, script=demo and args.script))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
