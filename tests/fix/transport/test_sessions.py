"""Initiator and acceptor over real sockets on 127.0.0.1: logon, messages, logout, reconnect."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ordergate.fix.message import FixMessage
from ordergate.fix.registry import SessionRegistry
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.transport import (
    Backoff,
    ConnectionClosedError,
    FixAcceptor,
    FixConnection,
    FixInitiator,
    memory_stores,
    url_stores,
)
from tests.fix.transport.helpers import TIMEOUT, Recorder, order

pytestmark = pytest.mark.integration

FAST = Backoff(initial=0.01, maximum=0.05, rng=random.Random(7))


def configs(begin: str = "FIX.4.4", **options: object) -> tuple[SessionConfig, SessionConfig]:
    """Return matching (initiator, acceptor) configs: CLIENT talks to VENUE."""
    common: dict[str, object] = {"begin_string": begin, "heartbeat_interval": 30, **options}
    initiator = SessionConfig(
        sender_comp_id="CLIENT", target_comp_id="VENUE", role=Role.INITIATOR, **common
    )  # type: ignore[arg-type]
    acceptor = SessionConfig(
        sender_comp_id="VENUE", target_comp_id="CLIENT", role=Role.ACCEPTOR, **common
    )  # type: ignore[arg-type]
    return initiator, acceptor


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def pair() -> AsyncIterator[tuple[FixAcceptor, FixInitiator, Recorder, Recorder]]:
    init_config, acc_config = configs()
    server_app, client_app = Recorder(echo=True), Recorder()
    acceptor = FixAcceptor("127.0.0.1", 0, [acc_config], memory_stores(), server_app)
    await acceptor.start()
    initiator = FixInitiator(
        init_config,
        memory_stores(),
        None,
        [("127.0.0.1", acceptor.port)],
        client_app,
        backoff=FAST,
    )
    await initiator.start()
    yield acceptor, initiator, server_app, client_app
    await initiator.stop()
    await acceptor.stop()


async def test_logon_order_echo_and_logout(
    pair: tuple[FixAcceptor, FixInitiator, Recorder, Recorder],
) -> None:
    acceptor, initiator, server_app, client_app = pair

    connection = await initiator.wait_logged_on(TIMEOUT)
    seq = connection.send(order("ORD-1"))
    received = await server_app.next_message()
    echoed = await client_app.next_message()

    assert seq == 2  # 1 was the Logon
    assert received.get_str(11) == "ORD-1"
    assert received.get_int(34) == 2
    assert echoed.msg_type == "D"
    assert echoed.get_str(11) == "ORD-1"
    assert echoed.get_decimal(44) is not None
    assert [t for t, _ in echoed.fields if t not in (8, 9, 10)][:1] == [35]
    assert echoed.get_str(49) == "VENUE"

    server_side = acceptor.session("FIX.4.4:VENUE->CLIENT")
    assert server_side.connection is not None
    await initiator.stop()

    assert (await client_app.next_logout()) is connection
    await server_app.next_logout()
    assert not connection.is_open
    assert server_side.store.next_target_seq() == 4  # Logon, order, Logout
    assert server_side.store.next_sender_seq() == 4


async def test_a_burst_of_sends_arrives_complete_and_in_order(
    pair: tuple[FixAcceptor, FixInitiator, Recorder, Recorder],
) -> None:
    _, initiator, server_app, client_app = pair
    connection = await initiator.wait_logged_on(TIMEOUT)

    seqs = [connection.send(order(f"ORD-{i}")) for i in range(2000)]
    await connection.drain()
    echoed = [await client_app.next_message() for _ in range(2000)]

    assert seqs == list(range(2, 2002))
    assert [m.get_str(11) for m in echoed] == [f"ORD-{i}" for i in range(2000)]
    assert server_app.messages.qsize() == 2000
    assert not any(client_app.poss_dups)


async def test_registry_reports_both_sides(tmp_path: Path) -> None:
    registry = SessionRegistry()
    init_config, acc_config = configs()
    acceptor = FixAcceptor(
        "127.0.0.1", 0, [acc_config], memory_stores(), Recorder(), registry=registry
    )
    await acceptor.start()
    initiator = FixInitiator(
        init_config,
        memory_stores(),
        None,
        [("127.0.0.1", acceptor.port)],
        Recorder(),
        registry=registry,
    )
    await initiator.start()
    try:
        await initiator.wait_logged_on(TIMEOUT)
        statuses = {s.session_id: s for s in registry.statuses()}

        client = statuses["FIX.4.4:CLIENT->VENUE"]
        assert client.role == "initiator"
        assert client.logged_on
        assert client.connected
        assert client.state == "active"
        assert client.peer == f"127.0.0.1:{acceptor.port}"
        assert client.next_sender_seq == 2
        assert registry.store_for("FIX.4.4:CLIENT->VENUE") is initiator.store
        assert registry.get("nope") is None
    finally:
        await initiator.stop()
        await acceptor.stop()
    assert len(registry) == 0


async def test_reconnect_after_the_acceptor_restarts_keeps_sequence_numbers(
    tmp_path: Path,
) -> None:
    init_config, acc_config = configs()
    server_app, client_app = Recorder(echo=True), Recorder()
    server_stores = url_stores(f"sqlite:///{tmp_path}/server.db")
    acceptor = FixAcceptor("127.0.0.1", 0, [acc_config], server_stores, server_app)
    await acceptor.start()
    port = acceptor.port
    initiator = FixInitiator(
        init_config,
        url_stores(f"sqlite:///{tmp_path}/client.db"),
        None,
        [("127.0.0.1", port)],
        client_app,
        backoff=FAST,
    )
    await initiator.start()
    try:
        first = await initiator.wait_logged_on(TIMEOUT)
        first.send(order("BEFORE"))
        assert (await server_app.next_message()).get_str(11) == "BEFORE"
        await client_app.next_message()

        await acceptor.stop()  # logs the client out; the client reconnects with backoff
        await client_app.next_logout()
        acceptor = FixAcceptor("127.0.0.1", port, [acc_config], server_stores, server_app)
        await acceptor.start()
        second = await initiator.wait_logged_on(TIMEOUT)
        seq = second.send(order("AFTER"))
        received = await server_app.next_message()
        echoed = await client_app.next_message()
    finally:
        await initiator.stop()
        await acceptor.stop()

    assert second is not first
    # Logon 1, BEFORE 2, Logout 3, Logon 4, AFTER 5: numbers went on, nothing was reset.
    assert seq == 5
    assert received.get_str(11) == "AFTER"
    assert received.get_int(34) == 5
    assert echoed.get_str(11) == "AFTER"
    assert not any(server_app.poss_dups)


async def test_failover_to_the_second_endpoint_when_the_first_is_down() -> None:
    init_config, acc_config = configs()
    acceptor = FixAcceptor("127.0.0.1", 0, [acc_config], memory_stores(), Recorder())
    await acceptor.start()
    down = unused_port()
    initiator = FixInitiator(
        init_config,
        memory_stores(),
        None,
        [("127.0.0.1", down), ("127.0.0.1", acceptor.port)],
        Recorder(),
        backoff=FAST,
    )
    await initiator.start()
    try:
        connection = await initiator.wait_logged_on(TIMEOUT)
        assert connection.peer == f"127.0.0.1:{acceptor.port}"
        assert initiator.attempts >= 2
    finally:
        await initiator.stop()
        await acceptor.stop()


async def test_initiator_keeps_retrying_until_the_acceptor_comes_up() -> None:
    init_config, acc_config = configs()
    port = unused_port()
    initiator = FixInitiator(
        init_config, memory_stores(), None, [("127.0.0.1", port)], Recorder(), backoff=FAST
    )
    await initiator.start()
    acceptor = FixAcceptor("127.0.0.1", port, [acc_config], memory_stores(), Recorder())
    try:
        while initiator.attempts < 3:
            await asyncio.sleep(0.01)
        await acceptor.start()
        await initiator.wait_logged_on(TIMEOUT)
        assert initiator.connection is not None
    finally:
        await initiator.stop()
        await acceptor.stop()


async def test_send_without_a_connection_is_refused() -> None:
    init_config, _ = configs()
    initiator = FixInitiator(
        init_config,
        memory_stores(),
        None,
        [("127.0.0.1", unused_port())],
        Recorder(),
        backoff=FAST,
    )
    await initiator.start()
    try:
        with pytest.raises(ConnectionClosedError, match="not connected"):
            initiator.send(order("X"))
        with pytest.raises(TimeoutError):
            await initiator.wait_logged_on(0.05)
    finally:
        await initiator.stop()
    assert initiator.store.next_sender_seq() == 1


async def test_an_application_that_raises_does_not_break_the_session(
    pair: tuple[FixAcceptor, FixInitiator, Recorder, Recorder],
) -> None:
    acceptor, initiator, _, client_app = pair

    class Boom(Recorder):
        def on_message(self, connection: FixConnection, message: FixMessage, dup: bool) -> None:
            super().on_message(connection, message, dup)
            if message.get_str(11) == "BOOM":
                raise RuntimeError("application bug")

    boom = Boom(echo=True)
    acceptor.application = boom
    connection = await initiator.wait_logged_on(TIMEOUT)
    server_side = acceptor.session("FIX.4.4:VENUE->CLIENT").connection
    assert server_side is not None
    server_side.application = boom

    connection.send(order("BOOM"))
    connection.send(order("FINE"))
    first, second = await boom.next_message(), await boom.next_message()
    echoes = [await client_app.next_message(), await client_app.next_message()]

    assert (first.get_str(11), second.get_str(11)) == ("BOOM", "FINE")
    assert [m.get_str(11) for m in echoes] == ["BOOM", "FINE"]
    assert connection.is_open


def test_bad_configurations_are_refused() -> None:
    init_config, acc_config = configs()
    with pytest.raises(ValueError, match="at least one endpoint"):
        FixInitiator(init_config, memory_stores(), None, [], Recorder())
    with pytest.raises(ValueError, match="not initiator"):
        FixInitiator(acc_config, memory_stores(), None, [("h", 1)], Recorder())
    with pytest.raises(ValueError, match="at least one session"):
        FixAcceptor("127.0.0.1", 0, [], memory_stores(), Recorder())
    with pytest.raises(ValueError, match="not acceptor"):
        FixAcceptor("127.0.0.1", 0, [init_config], memory_stores(), Recorder())
    with pytest.raises(ValueError, match="configured twice"):
        FixAcceptor("127.0.0.1", 0, [acc_config, acc_config], memory_stores(), Recorder())


async def test_an_acceptor_whose_port_is_taken_closes_its_stores(tmp_path: Path) -> None:
    _, acc_config = configs()
    closed: list[str] = []
    opened: list[MessageStore] = []
    factory = url_stores(f"sqlite:///{tmp_path}/fix.db")

    async def stores(config: SessionConfig) -> MessageStore:
        store = await factory(config)
        opened.append(store)
        original: Callable[[], Awaitable[None]] = store.close  # type: ignore[attr-defined]

        async def close() -> None:
            closed.append(config.session_id)
            await original()

        store.close = close  # type: ignore[attr-defined]
        return store

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        acceptor = FixAcceptor("127.0.0.1", port, [acc_config], stores, Recorder())
        with pytest.raises(OSError, match="address already in use"):
            await acceptor.start()

    assert closed == [acc_config.session_id]
