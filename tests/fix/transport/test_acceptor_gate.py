"""What the acceptor refuses, and bytes it must ignore, driven by a raw peer over a socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.transport import FixAcceptor, memory_stores
from tests.fix.transport.helpers import TIMEOUT, RawPeer, Recorder

pytestmark = pytest.mark.integration

SESSION_ID = "FIX.4.4:VENUE->CLIENT"


@pytest.fixture
async def acceptor() -> AsyncIterator[tuple[FixAcceptor, Recorder]]:
    configs = [
        SessionConfig(
            begin_string="FIX.4.4",
            sender_comp_id="VENUE",
            target_comp_id=client,
            role=Role.ACCEPTOR,
        )
        for client in ("CLIENT", "OTHER")
    ]
    application = Recorder(echo=True)
    acceptor = FixAcceptor(
        "127.0.0.1", 0, configs, memory_stores(), application, logon_timeout=TIMEOUT
    )
    await acceptor.start()
    yield acceptor, application
    await acceptor.stop()


async def test_unknown_comp_ids_get_a_logout_and_are_disconnected(
    acceptor: tuple[FixAcceptor, Recorder],
) -> None:
    server, _ = acceptor
    peer = await RawPeer.connect(server.port, sender="STRANGER", target="VENUE")

    reply = await peer.logon()

    assert reply.msg_type == "5"
    assert reply.get_str(58) == "unknown session FIX.4.4:STRANGER->VENUE"
    assert reply.get_str(49) == "VENUE"
    assert reply.get_str(56) == "STRANGER"
    assert await peer.closed()
    for accepted in server.sessions:
        assert accepted.store.next_target_seq() == 1
        assert accepted.store.next_sender_seq() == 1
        assert accepted.connection is None
    await peer.close()


@pytest.mark.parametrize(
    ("begin", "sender", "target"),
    [("FIX.4.2", "CLIENT", "VENUE"), ("FIX.4.4", "CLIENT", "NOT-US")],
)
async def test_a_wrong_version_or_target_is_an_unknown_session(
    acceptor: tuple[FixAcceptor, Recorder], begin: str, sender: str, target: str
) -> None:
    server, _ = acceptor
    peer = await RawPeer.connect(server.port, begin=begin, sender=sender, target=target)

    reply = await peer.logon()

    assert reply.msg_type == "5"
    assert (reply.get_str(58) or "").startswith("unknown session")
    assert await peer.closed()
    await peer.close()


async def test_a_second_logon_for_a_connected_session_is_refused(
    acceptor: tuple[FixAcceptor, Recorder],
) -> None:
    server, application = acceptor
    first = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")
    assert (await first.logon()).msg_type == "A"

    second = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")
    reply = await second.logon()

    assert reply.msg_type == "5"
    assert reply.get_str(58) == f"session {SESSION_ID} is already connected"
    assert await second.closed()
    # The live session is untouched: its numbers go on and it still echoes.
    await first.send(first.order_frame("STILL-UP"))
    echoed = await first.receive_type("D")
    assert echoed.get_str(11) == "STILL-UP"
    assert echoed.get_int(34) == 2
    await first.close()
    await second.close()
    await application.next_logout()


async def test_two_sessions_share_one_port(acceptor: tuple[FixAcceptor, Recorder]) -> None:
    server, _ = acceptor
    client = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")
    other = await RawPeer.connect(server.port, sender="OTHER", target="VENUE")

    assert (await client.logon()).get_str(56) == "CLIENT"
    assert (await other.logon()).get_str(56) == "OTHER"

    await other.send(other.order_frame("FROM-OTHER"))
    assert (await other.receive_type("D")).get_str(11) == "FROM-OTHER"
    await client.close()
    await other.close()


async def test_a_first_message_that_is_not_a_logon_is_dropped_unanswered(
    acceptor: tuple[FixAcceptor, Recorder],
) -> None:
    server, _ = acceptor
    peer = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")

    await peer.send(peer.order_frame("EARLY"))

    assert await peer.closed()
    assert server.session(SESSION_ID).store.next_target_seq() == 1
    await peer.close()


async def test_a_socket_that_never_sends_a_message_is_dropped_at_the_logon_timeout() -> None:
    config = SessionConfig(
        begin_string="FIX.4.4", sender_comp_id="VENUE", target_comp_id="CLIENT", role=Role.ACCEPTOR
    )
    server = FixAcceptor("127.0.0.1", 0, [config], memory_stores(), Recorder(), logon_timeout=0.05)
    await server.start()
    try:
        peer = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")
        await peer.send(b"8=FIX.4.4\x019=5")  # the start of a frame, never finished
        assert await peer.closed()
        await peer.close()
    finally:
        await server.stop()


async def test_garbled_bytes_on_the_wire_are_ignored(
    acceptor: tuple[FixAcceptor, Recorder],
) -> None:
    server, application = acceptor
    peer = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")
    # Noise before the Logon, too: the acceptor skips it while looking for the first message.
    await peer.send(b"garbage\x01before=logon\x01")
    assert (await peer.logon()).msg_type == "A"

    good = peer.order_frame("AFTER-NOISE")
    bad_checksum = peer.order_frame("CORRUPT", seq=2)
    # A checksum one off the right one: never the right one by chance (SendingTime varies).
    stated = int(bad_checksum[-4:-1])
    bad_checksum = bad_checksum[:-4] + b"%03d\x01" % ((stated + 1) % 256)
    await peer.send(b"\x00\xffnoise" + bad_checksum + b"8=FIX.4.4\x019=zz\x01" + good)

    echoed = await peer.receive_type("D")
    received = await application.next_message()

    assert echoed.get_str(11) == "AFTER-NOISE"
    assert received.get_str(11) == "AFTER-NOISE"
    assert received.get_int(34) == 2  # the garbled frame did not take the number
    assert server.session(SESSION_ID).store.next_target_seq() == 3
    await peer.close()


async def test_a_dropped_socket_frees_the_session_for_the_next_logon(
    acceptor: tuple[FixAcceptor, Recorder],
) -> None:
    server, application = acceptor
    first = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")
    assert (await first.logon()).msg_type == "A"
    first.writer.transport.abort()
    await application.next_logout()
    while server.session(SESSION_ID).connection is not None:
        await asyncio.sleep(0.01)

    again = await RawPeer.connect(server.port, sender="CLIENT", target="VENUE")
    again.seq = 2
    reply = await again.logon()

    assert reply.msg_type == "A"
    assert reply.get_int(34) == 2
    await again.close()


async def test_heartbeats_are_sent_when_the_line_is_quiet() -> None:
    config = SessionConfig(
        begin_string="FIX.4.2",
        sender_comp_id="VENUE",
        target_comp_id="CLIENT",
        role=Role.ACCEPTOR,
        heartbeat_interval=1,
    )
    server = FixAcceptor("127.0.0.1", 0, [config], memory_stores(), Recorder())
    await server.start()
    try:
        peer = await RawPeer.connect(server.port, begin="FIX.4.2", sender="CLIENT", target="VENUE")
        logon = await peer.logon(heartbeat=1)
        heartbeat = await peer.receive()  # the timer fires after a quiet second

        assert logon.get_int(108) == 1
        assert heartbeat.msg_type in ("0", "1")  # a Heartbeat, or a TestRequest probing us
        await peer.close()
    finally:
        await server.stop()
