"""The token commands: add (printing the token once), list, revoke, and where the store is."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from ordergate.feed.access import Principal
from ordergate.feed.store import TOKEN_PREFIX, open_feed_store
from ordergate.feed.tokens_cli import STORE_URL_ENV, default_store_url, main


def run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, environ, out, err)
    return code, out.getvalue(), err.getvalue()


def authenticate(url: str, token: str) -> Principal | None:
    async def go() -> Principal | None:
        async with open_feed_store(url) as store:
            return await store.authenticate(token)

    return asyncio.run(go())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'feed.db'}"


@pytest.fixture
def environ(url: str) -> dict[str, str]:
    return {STORE_URL_ENV: url}


def test_add_prints_only_a_token_that_authenticates_with_its_accounts(
    url: str, environ: dict[str, str]
) -> None:
    code, out, err = run(["add", "desk-1", "--accounts", "ACC1, ACC2"], environ)

    token = out.strip()
    assert code == 0
    assert out == token + "\n"
    assert token.startswith(TOKEN_PREFIX)
    assert "shown this once" in err
    assert token not in err
    assert authenticate(url, token) == Principal(
        name="desk-1", accounts=frozenset({"ACC1", "ACC2"})
    )


def test_add_all_makes_a_token_for_every_account(url: str, environ: dict[str, str]) -> None:
    _, out, _ = run(["add", "ops", "--all"], environ)

    assert authenticate(url, out.strip()) == Principal(name="ops", accounts=None)


def test_list_shows_metadata_and_never_a_token(environ: dict[str, str]) -> None:
    _, t1, _ = run(["add", "desk-1", "--accounts", "ACC1"], environ)
    _, t2, _ = run(["add", "ops", "--all"], environ)

    code, out, _ = run(["list"], environ)

    assert code == 0
    items = msgspec.json.decode(out)["items"]
    assert [(i["name"], i["accounts"], i["revoked_at"]) for i in items] == [
        ("desk-1", ["ACC1"], None),
        ("ops", None, None),
    ]
    assert all(i["created_at"].endswith("Z") for i in items)
    assert t1.strip() not in out
    assert t2.strip() not in out


def test_revoke_stops_the_token_and_list_shows_when(url: str, environ: dict[str, str]) -> None:
    _, out, _ = run(["add", "desk-1", "--accounts", "ACC1"], environ)

    code, revoked, _ = run(["revoke", "desk-1"], environ)

    assert code == 0
    assert msgspec.json.decode(revoked)["revoked_at"] is not None
    assert authenticate(url, out.strip()) is None
    assert run(["revoke", "desk-1"], environ)[0] == 0  # again: no change, no error


def test_revoking_an_unknown_name_fails_with_1(environ: dict[str, str]) -> None:
    code, out, err = run(["revoke", "nobody"], environ)

    assert (code, out) == (1, "")
    assert "nobody" in err


def test_adding_a_taken_name_fails_with_1_and_keeps_the_first(
    url: str, environ: dict[str, str]
) -> None:
    _, first, _ = run(["add", "desk-1", "--accounts", "ACC1"], environ)

    code, out, err = run(["add", "desk-1", "--all"], environ)

    assert (code, out) == (1, "")
    assert "exists" in err
    assert authenticate(url, first.strip()) == Principal(
        name="desk-1", accounts=frozenset({"ACC1"})
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["add", "bad name", "--all"],
        ["add", "anyone", "--all"],
        ["add", "desk-1", "--accounts", "A,,B"],
        ["add", "desk-1", "--accounts", ""],
    ],
)
def test_bad_names_and_accounts_fail_with_2_and_store_nothing(
    environ: dict[str, str], argv: list[str]
) -> None:
    code, out, err = run(argv, environ)

    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert msgspec.json.decode(run(["list"], environ)[1])["items"] == []


@pytest.mark.parametrize(
    "argv", [["add", "desk-1"], ["add", "desk-1", "--all", "--accounts", "A"], ["nothing"], []]
)
def test_bad_arguments_exit_with_2(environ: dict[str, str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv, environ, io.StringIO(), io.StringIO())

    assert raised.value.code == 2


def test_an_unknown_store_url_fails_with_2(tmp_path: Path) -> None:
    code, _, err = run(["--store", "mysql://x/y", "list"], {})

    assert code == 2
    assert "unknown feed store URL" in err


def test_the_default_store_is_feed_db_in_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    environ = {"ORDERGATE_DATA_DIR": str(data)}

    code, out, _ = run(["add", "ops", "--all"], environ)

    assert code == 0
    assert (data / "feed.db").is_file()
    assert default_store_url(environ) == f"sqlite:///{(data / 'feed.db').resolve()}"
    assert authenticate(default_store_url(environ), out.strip()) is not None


def test_the_store_option_wins_over_the_environment(tmp_path: Path, url: str) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"

    run(["--store", other, "add", "ops", "--all"], {STORE_URL_ENV: url})

    assert (tmp_path / "other.db").is_file()
    assert not (tmp_path / "feed.db").exists()


def test_the_module_runs_as_a_program(tmp_path: Path) -> None:
    env = {**os.environ, "ORDERGATE_DATA_DIR": str(tmp_path)}
    env.pop(STORE_URL_ENV, None)

    added = subprocess.run(
        [sys.executable, "-m", "ordergate.feed.tokens_cli", "add", "ops", "--all"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    listed = subprocess.run(
        [sys.executable, "-m", "ordergate.feed.tokens_cli", "list"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )

    assert added.stdout.startswith(TOKEN_PREFIX)
    assert added.stdout.strip() not in listed.stdout
    assert [i["name"] for i in msgspec.json.decode(listed.stdout)["items"]] == ["ops"]
