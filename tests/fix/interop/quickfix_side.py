"""QuickFIX (the C++ engine through its Python binding) as the counterparty of our engine.

QuickFIX calls its Application from its own threads; everything it reports goes into
thread-safe queues that the asyncio tests read with ``asyncio.to_thread``. Its blocking
start/stop calls also run in a thread, so our event loop keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import queue
import sys
from pathlib import Path
from typing import Any

from ordergate.fix.codec import parse
from ordergate.fix.message import FixMessage
from tests.fix.interop.availability import require_quickfix
from tests.fix.interop.exchange import Fields, TinyExchange, unsolicited_report

require_quickfix()
import quickfix as qf  # noqa: E402  (after the check, which skips the tests without it)

TIMEOUT = 20.0  # a hang guard only

SPEC_DIR = Path(sys.prefix) / "share" / "quickfix"


def spec_file(begin_string: str) -> Path | None:
    """Return the QuickFIX data dictionary the pip package installed, if it did."""
    path = SPEC_DIR / f"{begin_string.replace('.', '')}.xml"
    return path if path.is_file() else None


def to_message(message: Any) -> FixMessage:
    """Return a QuickFIX message as ours, parsed from its wire form."""
    return parse(message.toString().encode("latin-1"))


class _Application(qf.Application):  # type: ignore[misc]
    def __init__(self, side: QuickFixSide) -> None:
        super().__init__()
        self.side = side

    def onCreate(self, session_id: Any) -> None:
        # The argument is QuickFIX's own object, freed with its engine: keep a copy.
        self.side.session_id = qf.SessionID(
            session_id.getBeginString().getValue(),
            session_id.getSenderCompID().getValue(),
            session_id.getTargetCompID().getValue(),
        )

    def onLogon(self, session_id: Any) -> None:
        self.side.logons.put(True)

    def onLogout(self, session_id: Any) -> None:
        self.side.logouts.put(True)

    def toAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def toApp(self, message: Any, session_id: Any) -> None:
        pass

    def fromAdmin(self, message: Any, session_id: Any) -> None:
        self.side.admin.put(to_message(message))

    def fromApp(self, message: Any, session_id: Any) -> None:
        ours = to_message(message)
        self.side.received.put(ours)
        if self.side.exchange is not None:
            for fields in self.side.exchange.on_message(ours):
                self.side.send(fields, "8")


class QuickFixSide:
    """One QuickFIX session (acceptor or initiator) with a FileStore under ``directory``.

    ``exchange``: answer orders like :class:`TinyExchange` (None: only record).
    """

    def __init__(
        self,
        directory: Path,
        *,
        role: str,
        begin_string: str,
        sender: str,
        target: str,
        port: int,
        exchange: bool,
        heartbeat: int = 30,
    ) -> None:
        self.directory = directory
        self.role = role
        self.begin_string = begin_string
        self.exchange = TinyExchange(begin_string) if exchange else None
        self.session_id: Any = None
        self.received: queue.Queue[FixMessage] = queue.Queue()
        self.admin: queue.Queue[FixMessage] = queue.Queue()
        self.logons: queue.Queue[bool] = queue.Queue()
        self.logouts: queue.Queue[bool] = queue.Queue()
        self._engine: Any = None
        self._application = _Application(self)
        lines = [
            "[DEFAULT]",
            f"ConnectionType={role}",
            f"FileStorePath={directory / 'store'}",
            f"FileLogPath={directory / 'log'}",
            "StartTime=00:00:00",
            "EndTime=00:00:00",
            f"HeartBtInt={heartbeat}",
            "ReconnectInterval=1",
            "SocketReuseAddress=Y",
            "ResetOnLogon=N",
            "ResetOnLogout=N",
            "ResetOnDisconnect=N",
            "PersistMessages=Y",
        ]
        spec = spec_file(begin_string)
        if spec is not None:
            lines += ["UseDataDictionary=Y", f"DataDictionary={spec}"]
        else:
            lines += ["UseDataDictionary=N"]
        if role == "acceptor":
            lines += [f"SocketAcceptPort={port}"]
        else:
            lines += ["SocketConnectHost=127.0.0.1", f"SocketConnectPort={port}"]
        lines += [
            "[SESSION]",
            f"BeginString={begin_string}",
            f"SenderCompID={sender}",
            f"TargetCompID={target}",
        ]
        self._config = directory / f"{role}.cfg"
        directory.mkdir(parents=True, exist_ok=True)
        self._config.write_text("\n".join(lines) + "\n")
        self.uses_dictionary = spec is not None

    async def start(self) -> None:
        settings = qf.SessionSettings(str(self._config))
        store = qf.FileStoreFactory(settings)
        log = qf.FileLogFactory(settings)
        # The threaded engines: the single-threaded SocketAcceptor of QuickFIX 1.16 can crash
        # in stop() (its poll thread deletes the socket server that stop() is closing).
        engine_type = (
            qf.ThreadedSocketAcceptor if self.role == "acceptor" else qf.ThreadedSocketInitiator
        )
        self._engine = engine_type(self._application, store, settings, log)
        await asyncio.to_thread(self._engine.start)

    async def stop(self, *, force: bool = False) -> None:
        """Stop; ``force`` skips waiting for the Logout handshake (teardown)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            await asyncio.to_thread(engine.stop, force)

    def send(self, fields: Fields, msg_type: str) -> bool:
        """Send an application message on the session (stored and held when logged out)."""
        message = qf.Message()
        header = message.getHeader()
        header.setField(qf.BeginString(self.begin_string))
        header.setField(qf.MsgType(msg_type))
        for tag, value in fields:
            message.setField(tag, value)
        return bool(qf.Session.sendToTarget(message, self.session_id))

    def send_report(self, text: str) -> bool:
        """Send an unsolicited ExecutionReport(8) carrying ``text`` in Text(58)."""
        return self.send(unsolicited_report(self.begin_string, text), "8")

    def drain_admin(self) -> None:
        """Forget the admin messages received so far."""
        while not self.admin.empty():
            self.admin.get_nowait()

    def next_sender_seq(self) -> int:
        return int(qf.Session.lookupSession(self.session_id).getExpectedSenderNum())

    def next_target_seq(self) -> int:
        return int(qf.Session.lookupSession(self.session_id).getExpectedTargetNum())

    async def next_received(self) -> FixMessage:
        return await asyncio.to_thread(self.received.get, True, TIMEOUT)

    async def next_admin(self, msg_type: str) -> FixMessage:
        while True:
            message = await asyncio.to_thread(self.admin.get, True, TIMEOUT)
            if message.msg_type == msg_type:
                return message

    async def agrees_with(self, store: Any) -> None:
        """Wait until QuickFIX's sequence numbers mirror ``store``'s (a hang guard bounds it).

        QuickFIX counts a message only after its callback returned, so a test that just
        received one may look a moment too early.
        """

        def mirrored() -> bool:
            return (self.next_sender_seq(), self.next_target_seq()) == (
                store.next_target_seq(),
                store.next_sender_seq(),
            )

        async with asyncio.timeout(TIMEOUT):
            while not mirrored():
                await asyncio.sleep(0.01)

    async def wait_logon(self) -> None:
        await asyncio.to_thread(self.logons.get, True, TIMEOUT)

    async def wait_logout(self) -> None:
        await asyncio.to_thread(self.logouts.get, True, TIMEOUT)
