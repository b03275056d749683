"""The SQLite recorder against the contract, plus SQLite-specific behaviour."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.eventstore.contract import EventRecorderContract, event

from ordergate.eventstore import open_recorder


class SqliteTamper:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def execute(self, sql: str, *params: object) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute(sql, params)
        conn.close()

    async def install_poison(self, stream_id: str) -> None:
        await self.execute(
            f"CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.stream_id = '{stream_id}' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        )


class TestSqliteRecorder(EventRecorderContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'events.db'}"

    @pytest.fixture
    def tamper(self, tmp_path: Path) -> SqliteTamper:
        return SqliteTamper(tmp_path / "events.db")


async def test_sqlite_store_uses_wal_and_full_sync(tmp_path: Path):
    path = tmp_path / "events.db"

    async with open_recorder(f"sqlite:///{path}") as recorder:
        await recorder.append([event("O-1", 1)])
        conn = sqlite3.connect(path)
        journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.close()

    assert journal_mode == "wal"


async def test_relative_sqlite_url_creates_the_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)

    async with open_recorder("sqlite:relative.db") as recorder:
        await recorder.append([event("O-1", 1)])

    assert (tmp_path / "relative.db").exists()


async def test_unwritable_sqlite_path_fails_start(tmp_path: Path):
    recorder = open_recorder(f"sqlite:///{tmp_path / 'missing' / 'events.db'}")

    with pytest.raises(sqlite3.OperationalError):
        await recorder.start()
    await recorder.close()
