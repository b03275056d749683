"""``ordergate fix acceptor --echo`` as a real process, driven by our initiator."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ordergate.cli import main
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.transport import FixInitiator, memory_stores
from tests.fix.transport.helpers import TIMEOUT, RawPeer, Recorder, order

pytestmark = pytest.mark.integration

_LISTENING = re.compile(rb"fix acceptor listening.*port=(\d+)")


class AcceptorProcess:
    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.stderr = bytearray()


@contextlib.asynccontextmanager
async def acceptor_process(*args: str) -> AsyncIterator[AcceptorProcess]:
    """Run ``ordergate fix acceptor ARGS`` and yield it once it listens."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ordergate.cli",
        "fix",
        "acceptor",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    seen = bytearray()
    drain: asyncio.Task[None] | None = None
    try:
        while True:
            line = await asyncio.wait_for(process.stderr.readline(), TIMEOUT)
            if not line:
                raise AssertionError(f"acceptor exited: {seen.decode(errors='replace')}")
            seen += line
            match = _LISTENING.search(line)
            if match:
                break
        running = AcceptorProcess(process, int(match.group(1)))
        running.stderr += seen
        # Keep reading stderr so the process never blocks on a full pipe.
        drain = asyncio.create_task(_drain(process.stderr, running.stderr))
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), TIMEOUT)
        if process.returncode is None:
            process.kill()
            await process.wait()
        if drain is not None:
            await drain


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while line := await stream.readline():
        into += line


def client(begin: str, port: int, application: Recorder) -> FixInitiator:
    config = SessionConfig(
        begin_string=begin, sender_comp_id="HARNESS", target_comp_id="OGATE", role=Role.INITIATOR
    )
    return FixInitiator(config, memory_stores(), None, [("127.0.0.1", port)], application)


@pytest.mark.parametrize("begin", ["FIX.4.2", "FIX.4.4"])
async def test_echo_acceptor_sends_a_new_order_back_and_stops_on_sigterm(
    begin: str, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path}/echo.db"
    args = ["--echo", "--port", "0", "--begin-string", begin, "--sender", "OGATE"]
    args += ["--target", "HARNESS", "--heartbeat", "5", "--store", store]
    async with acceptor_process(*args) as acceptor:
        application = Recorder()
        initiator = client(begin, acceptor.port, application)
        await initiator.start()
        try:
            connection = await initiator.wait_logged_on(TIMEOUT)
            sent = order("ECHO-1")
            sent.append(58, "keep me")
            connection.send(sent)
            echoed = await application.next_message()
        finally:
            await initiator.stop()
        await application.next_logout()

        acceptor.process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(acceptor.process.wait(), TIMEOUT)

    assert status == 0
    assert echoed.msg_type == "D"
    assert echoed.get_str(49) == "OGATE"
    assert echoed.get_str(56) == "HARNESS"
    body = [(t, v) for t, v in echoed.fields if t not in (8, 9, 10, 34, 49, 52, 56)]
    expected = [(t, v) for t, v in sent.fields if t not in (8, 9, 10, 34, 49, 52, 56)]
    assert body == expected


async def test_a_config_file_serves_its_acceptor_sessions(tmp_path: Path) -> None:
    path = tmp_path / "fix.toml"
    path.write_text(
        """
[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "HARNESS"
port = 0
"""
    )
    async with acceptor_process("--echo", "--config", str(path)) as acceptor:
        application = Recorder()
        initiator = client("FIX.4.4", acceptor.port, application)
        await initiator.start()
        try:
            connection = await initiator.wait_logged_on(TIMEOUT)
            connection.send(order("FROM-CONFIG"))
            echoed = await application.next_message()
        finally:
            await initiator.stop()
    assert echoed.get_str(11) == "FROM-CONFIG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sender", "A"], "--sender and --target go together"),
        (["--sender", "A", "--target", "B"], "--port (0-65535) is required"),
        (["--sender", "A", "--target", "B", "--port", "1", "--heartbeat", "0"], "positive"),
        ([], "give --sender/--target/--port or --config"),
        (["--config", "/nonexistent/fix.toml"], "nonexistent"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["fix", "acceptor", "--echo", *args])

    assert status == 2
    assert message in capsys.readouterr().err


def test_a_config_without_acceptors_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fix.json"
    path.write_text(
        '{"sessions": [{"role": "initiator", "begin_string": "FIX.4.4",'
        ' "sender_comp_id": "A", "target_comp_id": "B", "endpoints": ["h:1"]}]}'
    )

    assert main(["fix", "acceptor", "--config", str(path)]) == 2
    assert "no acceptor sessions" in capsys.readouterr().err


async def test_a_config_file_dictionary_extension_lets_a_custom_tag_through(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fix.toml"
    path.write_text(
        f"""
store = "sqlite:///{tmp_path}/fix.db"

[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "HARNESS"
port = 0
[[sessions.extensions.fields]]
tag = 9001
name = "HarnessStrategy"
[sessions.extensions.message_fields]
D = [9001]

[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "PLAIN"
port = 0
"""
    )
    custom = order("CUSTOM")
    custom.append(9001, "VWAP")
    async with acceptor_process("--echo", "--config", str(path)) as acceptor:
        extended = await RawPeer.connect(acceptor.port, sender="HARNESS", target="OGATE")
        plain = await RawPeer.connect(acceptor.port, sender="PLAIN", target="OGATE")
        try:
            await extended.logon()
            await plain.logon()
            await extended.send(extended.frame("D", *custom.body()))
            await plain.send(plain.frame("D", *custom.body()))
            echoed = await extended.receive_type("D")
            reject = await plain.receive_type("3")
        finally:
            await extended.close()
            await plain.close()

    assert (echoed.get_str(11), echoed.get_str(9001)) == ("CUSTOM", "VWAP")
    assert reject.get_int(373) in (2, 3)
    assert reject.get_int(371) == 9001


def test_a_bad_extension_in_the_config_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fix.toml"
    path.write_text(
        """
[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "HARNESS"
port = 0
[sessions.extensions.message_fields]
D = [9001]
"""
    )

    assert main(["fix", "acceptor", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "fix.toml: sessions[0] (FIX.4.4:OGATE->HARNESS): extensions:" in err
    assert "undefined tags [9001] in 'D'" in err
