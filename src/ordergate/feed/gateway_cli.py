"""``ordergate feed-gateway``: a feed gateway process serving subscribers from JetStream.

Run one or several next to the platform (which publishes its log to the stream when
``ORDERGATE_NATS_URL`` is set); each serves ``/api/feed/sse``, ``/api/feed/events``,
``/api/feed/subscribers`` and ``/metrics`` on ``--port`` and ``/ws/feed`` on ``--ws-port``
(its fan-out server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from types import FrameType

import uvicorn
import uvloop

from ordergate.api.gateway_app import create_gateway_app
from ordergate.feed.gateway import FeedGateway

__all__ = ["add_feed_gateway_command"]


def add_feed_gateway_command(
    subcommands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``ordergate feed-gateway`` to the top-level parser."""
    p = subcommands.add_parser("feed-gateway", help="serve the execution feed from JetStream")
    p.add_argument(
        "--nats",
        default=os.environ.get("ORDERGATE_NATS_URL"),
        help="NATS server URL(s), comma-separated (default $ORDERGATE_NATS_URL)",
    )
    p.add_argument("--host", default=os.environ.get("ORDERGATE_HOST", "127.0.0.1"))
    p.add_argument(
        "--port", type=int, default=int(os.environ.get("ORDERGATE_PORT", "8100")), help="HTTP"
    )
    p.add_argument("--ws-port", type=int, help="WebSocket (/ws/feed; default: --port + 1)")
    p.add_argument(
        "--buffer", type=int, default=1000, help="subscriber buffer before catch-up (events)"
    )
    p.add_argument(
        "--high-water",
        type=int,
        default=1 << 20,
        help="bytes waiting in a subscriber's socket before it is sent to catch-up",
    )
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if not args.nats:
        print("ordergate feed-gateway: give --nats URL (or set ORDERGATE_NATS_URL)")
        return 2
    if args.buffer < 1 or args.high_water < 1:
        print("ordergate feed-gateway: --buffer and --high-water must be at least 1")
        return 2
    try:
        # uvloop's transports write to a thousand sockets in a fraction of asyncio's time.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(_serve(args))
    except KeyboardInterrupt:
        return 0


async def _serve(args: argparse.Namespace) -> int:
    gateway = FeedGateway(args.nats, buffer=args.buffer)
    ws_port = args.ws_port if args.ws_port is not None else args.port + 1
    app = create_gateway_app(
        gateway, ws_host=args.host, ws_port=ws_port, high_water=args.high_water
    )
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = _GatewayServer(config, gateway)
    await server.serve()
    return 0


class _GatewayServer(uvicorn.Server):
    """uvicorn's server, ending the feed streams when asked to exit (they never end alone)."""

    def __init__(self, config: uvicorn.Config, gateway: FeedGateway) -> None:
        super().__init__(config)
        self._gateway = gateway

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        asyncio.get_running_loop().call_soon_threadsafe(self._gateway.hub.close)
