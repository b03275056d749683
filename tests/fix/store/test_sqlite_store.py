"""The SQLite message store against the contract, plus SQLite-specific behaviour."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ordergate.fix.store import open_message_database, open_message_store
from tests.fix.store.contract import SESSION, T0, MessageStoreContract, send


class SqliteTamper:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def execute(self, sql: str) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute(sql)
        conn.close()

    async def install_poison(self) -> None:
        await self.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON fix_message_log "
            "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        )

    async def remove_poison(self) -> None:
        await self.execute("DROP TRIGGER poison")


class TestSqliteMessageStore(MessageStoreContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'fix.db'}"

    @pytest.fixture
    def tamper(self, tmp_path: Path) -> SqliteTamper:
        return SqliteTamper(tmp_path / "fix.db")


async def test_the_file_uses_wal(tmp_path: Path):
    path = tmp_path / "fix.db"
    store = await open_message_store(f"sqlite:///{path}", SESSION, now=T0)
    send(store, "D", (11, "c1"), now=T0)
    await store.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


async def test_two_processes_worth_of_stores_share_one_file(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'fix.db'}"
    a = await open_message_store(url, "FIX.4.4:A->X", now=T0)
    b = await open_message_store(url, "FIX.4.4:B->X", now=T0)
    send(a, "D", (11, "a"), now=T0)
    send(b, "D", (11, "b"), now=T0)
    await a.flush()
    await b.flush()

    assert [m.cl_ord_id for m in await a.messages("FIX.4.4:B->X")] == ["b"]
    await a.close()
    await b.close()


async def test_a_relative_url_creates_the_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)

    store = await open_message_store("sqlite:relative.db", SESSION)
    await store.close()

    assert (tmp_path / "relative.db").exists()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:", "sqlite:///:memory:", "mysql://x/y", "fix.db", ""]
)
async def test_unusable_urls_are_refused(url: str):
    with pytest.raises(ValueError, match=r"URL|file path"):
        await open_message_database(url)


async def test_an_unwritable_path_fails_to_open(tmp_path: Path):
    with pytest.raises(sqlite3.OperationalError):
        await open_message_store(f"sqlite:///{tmp_path / 'missing' / 'fix.db'}", SESSION)


async def test_an_empty_session_id_is_refused(tmp_path: Path):
    database = await open_message_database(f"sqlite:///{tmp_path / 'fix.db'}")
    try:
        with pytest.raises(ValueError, match="session_id"):
            await database.open_store("")
        assert await database.sessions() == []
    finally:
        await database.close()
