"""The SQLite feed store against the contract, plus what is particular to a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordergate.feed.store import open_feed_store
from tests.feed.store.contract import FeedStoreContract


class TestSqliteFeedStore(FeedStoreContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'feed.db'}"


async def test_the_database_file_never_holds_a_token(tmp_path: Path) -> None:
    async with open_feed_store(f"sqlite:///{tmp_path / 'feed.db'}") as store:
        tokens = [await store.create_token(f"desk-{n}", ["ACC1"]) for n in range(3)]
        await store.revoke_token("desk-0")

    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for token in tokens:
        assert token.encode() not in files
        assert token.removeprefix("ogf_").encode() not in files


async def test_a_new_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    async with open_feed_store(f"sqlite:///{tmp_path / 'feed.db'}") as store:
        await store.create_token("desk-1", None)
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}

    assert modes["feed.db"] == 0o600
    assert all(mode == 0o600 for mode in modes.values())


async def test_a_relative_sqlite_url_names_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    async with open_feed_store("sqlite:feed.db") as store:
        await store.create_token("desk-1", None)

    assert (tmp_path / "feed.db").is_file()


def test_an_unknown_store_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown feed store URL"):
        open_feed_store("mysql://localhost/x")


@pytest.mark.parametrize("url", ["sqlite:", "sqlite://", "sqlite::memory:", "sqlite:///"])
def test_a_sqlite_url_without_a_file_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="file path"):
        open_feed_store(url)
