"""The SQLite credential store against the contract, plus what is particular to a file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ordergate.clock import TestClock
from ordergate.gateway.vault import CredentialVault, Keyring, MasterKey, open_credential_store
from tests.gateway.vault.contract import SECRET, CredentialStoreContract


class SqliteTamper:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def execute(self, sql: str, *params: object) -> None:
        conn = sqlite3.connect(self.path)
        try:
            with conn:
                conn.execute(sql, params)
        finally:
            conn.close()


class TestSqliteCredentialStore(CredentialStoreContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'credentials.db'}"

    @pytest.fixture
    def tamper(self, tmp_path: Path) -> SqliteTamper:
        return SqliteTamper(tmp_path / "credentials.db")


async def test_the_database_file_never_holds_a_secret_even_after_delete(tmp_path: Path) -> None:
    path = tmp_path / "credentials.db"
    async with open_credential_store(f"sqlite:///{path}") as store:
        vault = CredentialVault(store, Keyring(MasterKey.generate()), TestClock())
        await vault.create("alice", "alpaca", SECRET)
        await vault.use("alice", "alpaca")
        await vault.delete("alice", "alpaca")

    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert SECRET.api_secret.encode() not in files
    assert SECRET.api_key.encode() not in files
    assert b"correct horse" not in files


def test_an_unknown_store_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown credential store URL"):
        open_credential_store("mysql://localhost/x")


@pytest.mark.parametrize("url", ["sqlite:", "sqlite://", "sqlite::memory:"])
def test_a_sqlite_url_without_a_file_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="file path"):
        open_credential_store(url)


async def test_using_a_store_before_start_is_refused(tmp_path: Path) -> None:
    store = open_credential_store(f"sqlite:///{tmp_path / 'c.db'}")
    with pytest.raises(RuntimeError, match="not open"):
        await store.get("alice", "alpaca")


async def test_a_new_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "credentials.db"

    async with open_credential_store(f"sqlite:///{path}") as store:
        await CredentialVault(store, Keyring(MasterKey.generate()), TestClock()).create(
            "alice", "alpaca", SECRET
        )
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}

    assert modes["credentials.db"] == 0o600
    assert all(mode == 0o600 for mode in modes.values())
