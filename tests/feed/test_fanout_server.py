"""The fan-out's WebSocket server over real loopback sockets, with the ``websockets`` client.

The feed is the in-memory one of :mod:`tests.feed.test_fanout` (a list of events and a
hub); the server is started on port 0 and runs the dispatcher itself. Every wait is bounded
(``asyncio.timeout``); nothing is asserted about time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ordergate.api.fanout import FanoutServer, start_fanout_server
from ordergate.feed.access import ANYONE, AccessDenied, Principal
from ordergate.feed.jetstream import StreamTooShortError
from tests.feed.test_fanout import WAIT, Rig, until

_PRINCIPALS = {
    "tok-a1": Principal(name="desk-1", accounts=frozenset({"A1"})),
    "tok-ops": ANYONE,
}
PAD = 16 * 1024  # a large event: a few hundred fill the sockets' buffers


async def tokens_only(token: str | None) -> Principal:
    if token is None:
        raise AccessDenied(401, "a feed token is required")
    principal = _PRINCIPALS.get(token)
    if principal is None:
        raise AccessDenied(401, "unknown feed token")
    return principal


class Served:
    """A fan-out server on a free loopback port over a :class:`Rig`'s feed."""

    def __init__(self, rig: Rig, server: FanoutServer) -> None:
        self.rig = rig
        self.server = server

    def url(self, query: str = "", path: str = "/ws/feed") -> str:
        return f"ws://127.0.0.1:{self.server.port}{path}" + (f"?{query}" if query else "")

    def connected(self) -> int:
        return len(self.rig.metrics.subscribers)


@pytest.fixture
async def servers() -> AsyncIterator[Callable[..., Awaitable[Served]]]:
    started: list[Served] = []

    async def start(
        authenticate: Callable[[str | None], Awaitable[Principal]] = tokens_only,
        **kwargs: Any,
    ) -> Served:
        rig = Rig(start=False, **kwargs)  # the server runs the dispatcher
        server = await start_fanout_server(
            rig.fanout, authenticate=authenticate, metrics=rig.metrics, host="127.0.0.1", port=0
        )
        served = Served(rig, server)
        started.append(served)
        await rig.started()
        return served

    yield start
    for served in started:
        async with asyncio.timeout(WAIT):
            await served.server.stop()
        served.rig.hub.close()


@pytest.fixture
async def served(servers: Callable[..., Awaitable[Served]]) -> Served:
    return await servers(high_water=1 << 20)


async def receive(socket: ClientConnection, n: int) -> list[dict[str, Any]]:
    """Return the next ``n`` frames' JSON."""
    async with asyncio.timeout(WAIT):
        return [json.loads(await socket.recv()) for _ in range(n)]


async def closed_code(socket: ClientConnection) -> tuple[int | None, str | None]:
    """Wait for the server to close ``socket``; return the close code and reason it sent."""
    async with asyncio.timeout(WAIT):
        with contextlib.suppress(ConnectionClosed):
            while True:
                await socket.recv()
    assert socket.state.name == "CLOSED"
    rcvd = socket.protocol.close_rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, None)


# -- delivery --------------------------------------------------------------------------------


async def test_the_backlog_then_live_events_arrive_as_json_frames(served: Served) -> None:
    rig = served.rig
    rig.produce(5)

    async with websockets.connect(served.url("from=0&token=tok-ops")) as socket:
        backlog = await receive(socket, 5)
        rig.produce(3)
        live = await receive(socket, 3)

    assert backlog + live == [e.to_json() for e in rig.log.events]


async def test_without_from_a_stream_starts_at_the_head(served: Served) -> None:
    rig = served.rig
    rig.produce(4)

    async with websockets.connect(
        served.url(), additional_headers={"Authorization": "Bearer tok-ops"}
    ) as socket:
        await until(lambda: served.connected() == 1, "subscribed")
        await until(lambda: bool(rig.fanout.live), "live")
        rig.produce(2)
        live = await receive(socket, 2)

    assert [e["position"] for e in live] == [5, 6]


async def test_a_restricted_token_gets_only_its_accounts_events(served: Served) -> None:
    rig = served.rig
    for account in ("A1", "A2", "A1", "A3"):
        rig.produce(1, account=account)

    async with websockets.connect(served.url("from=0&token=tok-a1")) as socket:
        backlog = await receive(socket, 2)
        for account in ("A2", "A1"):
            rig.produce(1, account=account)
        live = await receive(socket, 1)

    assert [(e["position"], e["account"]) for e in backlog + live] == [
        (1, "A1"),
        (3, "A1"),
        (6, "A1"),
    ]


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers", "code"),
    [
        ("", {}, "UNAUTHENTICATED"),
        ("token=nope", {}, "UNAUTHENTICATED"),
        ("", {"Authorization": "Bearer "}, "UNAUTHENTICATED"),
        ("token=tok-a1", {"Authorization": "Bearer tok-ops"}, "UNAUTHENTICATED"),
        ("token=tok-a1&account=A2", {}, "FORBIDDEN"),
        ("token=tok-ops&from=abc", {}, "INVALID_POSITION"),
        ("token=tok-ops&from=-1", {}, "INVALID_POSITION"),
        ("token=tok-ops&types=OrderBogus", {}, "UNKNOWN_EVENT_TYPE"),
        ("token=tok-ops&account=", {}, "INVALID_FILTER"),
    ],
)
async def test_a_refused_subscriber_gets_the_error_frame_then_1008_and_nothing_else(
    served: Served, query: str, headers: dict[str, str], code: str
) -> None:
    served.rig.produce(3)

    async with websockets.connect(served.url(query), additional_headers=headers) as socket:
        [error] = await receive(socket, 1)
        close = await closed_code(socket)

    assert error["error"]["code"] == code
    assert close == (1008, code)
    assert served.rig.fanout.subscribers == set()
    assert served.rig.metrics.subscribers == {}


@pytest.mark.parametrize("path", ["/", "/ws/feeds", "/ws/feed/x", "/api/feed/sse"])
async def test_any_other_path_is_404_at_the_handshake(served: Served, path: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(served.url("token=tok-ops", path=path)):
            pass  # pragma: no cover

    assert refused.value.response.status_code == 404
    assert served.rig.fanout.subscribers == set()


async def test_a_client_gone_before_its_error_frame_leaves_no_server_error(
    servers: Callable[..., Awaitable[Served]], caplog: pytest.LogCaptureFixture
) -> None:
    asked, answer = asyncio.Event(), asyncio.Event()

    async def slow_refusal(token: str | None) -> Principal:
        asked.set()
        await answer.wait()
        raise AccessDenied(401, "unknown feed token")

    served = await servers(authenticate=slow_refusal)
    caplog.set_level(logging.ERROR, logger="websockets")

    async with websockets.connect(served.url("token=x")) as socket:
        async with asyncio.timeout(WAIT):
            await asked.wait()
    answer.set()  # the client has closed: the error frame cannot be sent
    await until(lambda: socket.state.name == "CLOSED", "the client closed")
    for _ in range(10):
        await asyncio.sleep(0)
    async with asyncio.timeout(WAIT):
        await served.server.stop()

    assert [r.getMessage() for r in caplog.records] == []


# -- leaving, stopping, failing --------------------------------------------------------------


@pytest.mark.parametrize("leaving", ["closes", "drops the connection"])
async def test_a_client_that_leaves_is_removed_with_its_metrics(
    served: Served, leaving: str
) -> None:
    rig = served.rig
    rig.produce(2)

    async with websockets.connect(served.url("from=0&token=tok-ops")) as socket:
        await receive(socket, 2)
        listed = served.connected()
        gauge = rig.metrics.registry.get_sample_value("ordergate_feed_subscribers")
        if leaving == "drops the connection":
            socket.transport.abort()
    await until(lambda: not rig.fanout.subscribers, "the subscriber was removed")
    await until(lambda: served.connected() == 0, "its metrics were removed")

    assert (listed, gauge) == (1, 1)
    assert rig.fanout.live == set()
    assert rig.metrics.registry.get_sample_value("ordergate_feed_subscribers") == 0
    rig.produce(2)  # the dispatcher goes on without it
    await rig.dispatched()


async def test_stopping_the_server_closes_every_connection_with_1001(
    servers: Callable[..., Awaitable[Served]],
) -> None:
    served = await servers()
    rig = served.rig
    rig.produce(2)

    async with (
        websockets.connect(served.url("from=0&token=tok-ops")) as first,
        websockets.connect(served.url("from=1&token=tok-a1")) as second,
    ):
        await receive(first, 2)
        await receive(second, 1)
        async with asyncio.timeout(WAIT):
            await served.server.stop()
        closes = [await closed_code(first), await closed_code(second)]

    assert [code for code, _ in closes] == [1001, 1001]
    assert rig.fanout.subscribers == set()
    assert served.connected() == 0
    assert rig.fanout.ended


async def test_closing_the_hub_closes_connections_after_what_was_queued(served: Served) -> None:
    rig = served.rig
    rig.produce(2)

    async with websockets.connect(served.url("from=0&token=tok-ops")) as socket:
        await receive(socket, 2)
        await until(lambda: bool(rig.fanout.live), "live")
        rig.produce(3)
        rig.hub.close()
        last = await receive(socket, 3)
        close = await closed_code(socket)

    assert [e["position"] for e in last] == [3, 4, 5]
    assert close[0] == 1001
    await until(lambda: served.connected() == 0, "its metrics were removed")


@pytest.mark.parametrize(
    "error",
    [StreamTooShortError(0, 9), LookupError("é" * 100)],
    ids=["stream-too-short", "long-non-ascii-reason"],
)
async def test_a_log_that_fails_closes_the_connection_with_1011(
    served: Served, error: Exception
) -> None:
    served.rig.produce(2)
    served.rig.log.error = error

    async with websockets.connect(served.url("from=0&token=tok-ops")) as socket:
        code, reason = await closed_code(socket)

    assert code == 1011
    assert reason is not None
    assert str(error).startswith(reason)
    assert reason
    assert len(reason.encode()) <= 123
    await until(lambda: served.connected() == 0, "its metrics were removed")
    assert served.rig.fanout.subscribers == set()


async def test_a_port_in_use_is_an_error_and_leaves_no_dispatcher(served: Served) -> None:
    other = Rig(start=False)

    with pytest.raises(OSError, match="in use"):
        await start_fanout_server(
            other.fanout,
            authenticate=tokens_only,
            metrics=other.metrics,
            host="127.0.0.1",
            port=served.server.port,
        )
    for _ in range(10):
        await asyncio.sleep(0)

    assert other.hub.subscribers == 0
    other.produce(1)
    other.hub.close()


# -- a client that stops reading -------------------------------------------------------------


async def small_window_socket(port: int) -> socket.socket:
    """A connected client socket with a small receive buffer (the server's fills sooner)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return sock


async def test_a_client_that_stops_reading_catches_up_and_gets_everything_once(
    servers: Callable[..., Awaitable[Served]],
) -> None:
    served = await servers(high_water=64 * 1024, batch=20)
    rig = served.rig
    rig.produce(3, pad=PAD)
    sock = await small_window_socket(served.server.port)

    async with websockets.connect(
        served.url("from=0&token=tok-ops"), sock=sock, max_queue=4
    ) as client:
        got = await receive(client, 3)
        await until(lambda: bool(rig.fanout.live), "live")
        [stats] = rig.metrics.subscribers.values()
        # The client reads nothing now: its library queues a few frames and stops reading
        # the socket, the kernel's buffers fill, then the server's transport buffer.
        async with asyncio.timeout(WAIT * 4):
            while stats.catch_ups == 0:
                assert len(rig.log.events) < 5000, "the socket never filled"
                rig.produce(1, pad=PAD)
                await rig.dispatched()
                await asyncio.sleep(0)
        rig.produce(30, pad=PAD)  # while it is behind: these wait in the log
        head = len(rig.log.events)

        async with asyncio.timeout(WAIT * 4):  # it reads again
            while not (got[-1].get("control") == "live" and got[-1]["position"] >= head):
                got.append(json.loads(await client.recv()))
        rig.produce(2, pad=PAD)
        got += await receive(client, 2)

    events = [m for m in got if m.get("type") != "control"]
    controls = [(m["control"], m["position"]) for m in got if m.get("type") == "control"]
    assert [e["position"] for e in events] == list(range(1, head + 3))
    assert events == [e.to_json() for e in rig.log.events]
    assert controls[0][0] == "catching_up"
    assert controls[-1] == ("live", head)
    assert [kind for kind, _ in controls] == ["catching_up", "live"] * (len(controls) // 2)
    assert stats.catch_ups == len(controls) // 2


async def test_pings_and_closing_still_work_for_a_socket_written_to_directly(
    served: Served,
) -> None:
    rig = served.rig
    rig.produce(1)

    async with websockets.connect(served.url("from=0&token=tok-ops")) as socket:
        await receive(socket, 1)
        async with asyncio.timeout(WAIT):
            await (await socket.ping())
        rig.produce(1)
        [event] = await receive(socket, 1)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0):  # nothing else is waiting
                await socket.recv()

    assert event["position"] == 2
    assert socket.protocol.close_sent is not None
    assert socket.protocol.close_sent.code == 1000
