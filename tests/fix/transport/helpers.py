"""Test helpers: a recording application, a hand-driven raw FIX peer, certificates."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from pathlib import Path

from ordergate.fix.codec import FrameParser, Garbled, encode_fields, parse
from ordergate.fix.message import FixMessage
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.transport import FixConnection, echo_of

TIMEOUT = 10.0  # a hang guard only


class Recorder:
    """An application that records what happens, optionally echoing messages back."""

    def __init__(self, *, echo: bool = False) -> None:
        self.echo = echo
        self.messages: asyncio.Queue[FixMessage] = asyncio.Queue()
        self.logons: asyncio.Queue[FixConnection] = asyncio.Queue()
        self.logouts: asyncio.Queue[FixConnection] = asyncio.Queue()
        self.poss_dups: list[bool] = []

    def on_logon(self, connection: FixConnection) -> None:
        self.logons.put_nowait(connection)

    def on_logout(self, connection: FixConnection) -> None:
        self.logouts.put_nowait(connection)

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        self.poss_dups.append(poss_dup)
        self.messages.put_nowait(message)
        if self.echo:
            connection.send(echo_of(message))

    async def next_message(self) -> FixMessage:
        return await asyncio.wait_for(self.messages.get(), TIMEOUT)

    async def next_logon(self) -> FixConnection:
        return await asyncio.wait_for(self.logons.get(), TIMEOUT)

    async def next_logout(self) -> FixConnection:
        return await asyncio.wait_for(self.logouts.get(), TIMEOUT)


def order(cl_ord_id: str) -> FixMessage:
    """Return a NewOrderSingle(D) body."""
    return FixMessage.of(
        "D",
        (11, cl_ord_id),
        (21, "1"),
        (55, "AAPL"),
        (54, "1"),
        (60, "20240102-10:00:00.000"),
        (38, 100),
        (40, "2"),
        (44, "189.5"),
    )


class RawPeer:
    """A counterparty driven by hand over a real socket, for what our engine must refuse."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        begin: str,
        sender: str,
        target: str,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.begin = begin.encode()
        self.sender = sender.encode()
        self.target = target.encode()
        self.seq = 1
        self._parser = FrameParser()

    @classmethod
    async def connect(
        cls, port: int, *, begin: str = "FIX.4.4", sender: str, target: str
    ) -> RawPeer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, begin=begin, sender=sender, target=target)

    def frame(self, msg_type: str, *fields: tuple[int, bytes], seq: int | None = None) -> bytes:
        """Return a frame of ``msg_type`` with ``fields`` (35 among them is skipped)."""
        fields = tuple(f for f in fields if f[0] != 35)
        if seq is None:
            seq = self.seq
            self.seq += 1
        header = [
            (35, msg_type.encode()),
            (34, b"%d" % seq),
            (49, self.sender),
            (52, format_utc_timestamp(time.time_ns())),
            (56, self.target),
        ]
        return encode_fields(self.begin, [*header, *fields])

    def order_frame(self, cl_ord_id: str, *, seq: int | None = None) -> bytes:
        """Return a complete NewOrderSingle(D) frame."""
        return self.frame("D", *order(cl_ord_id).body(), seq=seq)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def logon(self, heartbeat: int = 30) -> FixMessage:
        await self.send(self.frame("A", (98, b"0"), (108, b"%d" % heartbeat)))
        return await self.receive()

    async def receive(self) -> FixMessage:
        """Return the next message; EOFError when the other side closed."""

        async def read() -> FixMessage:
            while True:
                frame = self._parser.next_frame()
                if isinstance(frame, bytes):
                    return parse(frame)
                if isinstance(frame, Garbled):
                    raise AssertionError(f"engine sent garbled bytes: {frame}")
                data = await self.reader.read(65536)
                if not data:
                    raise EOFError
                self._parser.append(data)

        return await asyncio.wait_for(read(), TIMEOUT)

    async def receive_type(self, msg_type: str) -> FixMessage:
        """Return the next message of ``msg_type``, skipping others (heartbeats...)."""
        while True:
            message = await self.receive()
            if message.msg_type == msg_type:
                return message

    async def closed(self) -> bool:
        """Return True once the other side closed the socket (reading what is left)."""
        try:
            while True:
                await self.receive()
        except EOFError:
            return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1/localhost; return (cert, key) paths."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
