"""The ``ordergate`` command end to end: the demo script over real HTTP, and ``events verify``."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from ordergate.cli import main

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_script_trades_and_the_log_verifies_until_tampered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(free_port())

    status = main(["demo", "--script", "--fresh", "--port", port, "--data-dir", str(tmp_path)])
    demo = capsys.readouterr().out

    assert status == 0
    assert f"http://127.0.0.1:{port}" in demo
    assert "1. market order: BUY 10 AAPL\n   -> FILLED at " in demo
    assert "-> NEW: 8 @ " in demo  # the modify took effect at the venue
    assert "4. cancel\n   -> CANCELED" in demo
    assert "DEMO     AAPL     qty       10" in demo

    assert main(["events", "verify", "--data-dir", str(tmp_path)]) == 0
    assert "hash chain intact" in capsys.readouterr().out

    with sqlite3.connect(tmp_path / "events.db") as db:
        db.execute("UPDATE events SET data = CAST('{}' AS BLOB) WHERE position = 2")
    assert main(["events", "verify", "--data-dir", str(tmp_path)]) == 1
    assert "BROKEN at position 2 (edited)" in capsys.readouterr().out


def test_restart_keeps_the_data_and_fresh_starts_afresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(free_port())
    main(["demo", "--script", "--port", port, "--data-dir", str(tmp_path)])
    main(["demo", "--script", "--port", port, "--data-dir", str(tmp_path)])
    capsys.readouterr()

    main(["events", "verify", "--data-dir", str(tmp_path)])
    kept = capsys.readouterr().out
    main(["demo", "--script", "--fresh", "--port", port, "--data-dir", str(tmp_path)])
    main(["events", "verify", "--data-dir", str(tmp_path)])
    fresh = capsys.readouterr().out.splitlines()[-1]

    kept_events = int(kept.split()[1])
    fresh_events = int(fresh.split()[1])
    assert fresh_events < kept_events
