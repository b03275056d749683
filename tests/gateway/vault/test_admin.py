"""The operator commands: generate a key, show status, rotate a store in steps."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from ordergate.clock import TestClock
from ordergate.gateway.vault import CredentialVault, Keyring, MasterKey, open_credential_store
from ordergate.gateway.vault.admin import default_store_url, main
from ordergate.gateway.vault.keys import KEY_ENV, PREVIOUS_KEYS_ENV, load_keyring
from tests.gateway.vault.contract import SECRET


def run(argv: list[str], environ: dict[str, str]) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    code = main(argv, environ, out)
    return code, msgspec.json.decode(out.getvalue()) if out.getvalue() else {}


def fill(url: str, key: MasterKey, users: int) -> None:
    async def go() -> None:
        async with open_credential_store(url) as store:
            vault = CredentialVault(store, Keyring(key), TestClock())
            for n in range(users):
                await vault.create(f"user{n}", "alpaca", SECRET)

    asyncio.run(go())


def test_generate_key_prints_a_usable_key() -> None:
    out = io.StringIO()

    assert main(["generate-key"], {}, out) == 0

    assert MasterKey.from_base64(out.getvalue()).key_id.startswith("mk-")


def test_the_module_runs_as_a_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ordergate.gateway.vault", "generate-key"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    MasterKey.from_base64(result.stdout)


def test_rotate_moves_every_row_to_the_current_key_in_steps(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'credentials.db'}"
    old, new = MasterKey.generate(), MasterKey.generate()
    fill(url, old, 3)
    environ = {KEY_ENV: new.to_base64(), PREVIOUS_KEYS_ENV: old.to_base64()}

    code, first = run(["rotate", "--store", url, "--limit", "2"], environ)
    assert code == 0
    assert first["rewrapped"] == 2
    assert first["remaining"] == {old.key_id: 1}

    code, second = run(["rotate", "--store", url, "--batch-size", "1"], environ)
    assert code == 0
    assert second["rewrapped"] == 1

    code, status = run(["status", "--store", url], {KEY_ENV: new.to_base64()})
    assert code == 0
    assert status == {"current": new.key_id, "keys": [new.key_id], "rows": {new.key_id: 3}}


def test_rotate_exits_1_when_a_row_cannot_be_rewrapped(tmp_path: Path) -> None:
    path = tmp_path / "credentials.db"
    old, new = MasterKey.generate(), MasterKey.generate()
    fill(f"sqlite:///{path}", old, 2)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE credentials SET version = 9 WHERE user_id = 'user1'")
    conn.close()
    environ = {KEY_ENV: new.to_base64(), PREVIOUS_KEYS_ENV: old.to_base64()}

    code, report = run(["rotate", "--store", f"sqlite:///{path}"], environ)

    assert code == 1
    assert report["failed"] == [["user1", "alpaca"]]


def test_no_key_configured_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status"], {"ORDERGATE_DATA_DIR": str(tmp_path)}, io.StringIO())

    assert code == 2
    assert "no master key" in capsys.readouterr().err
    assert not (tmp_path / "master.key").exists()


def test_the_servers_default_key_file_is_read_when_present(tmp_path: Path) -> None:
    key = MasterKey.generate()
    (tmp_path / "master.key").write_text(key.to_base64())
    (tmp_path / "master.key").chmod(0o600)

    code, status = run(["status"], {"ORDERGATE_DATA_DIR": str(tmp_path)})

    assert code == 0
    assert status["current"] == key.key_id
    assert (tmp_path / "credentials.db").exists()


def test_rotate_refuses_a_limit_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rotate", "--limit", "0"], {KEY_ENV: MasterKey.generate().to_base64()})

    assert "at least 1" in capsys.readouterr().err


def test_the_default_store_url_is_in_the_data_dir(tmp_path: Path) -> None:
    assert default_store_url({"ORDERGATE_DATA_DIR": str(tmp_path)}) == (
        f"sqlite:///{tmp_path.resolve() / 'credentials.db'}"
    )
    assert default_store_url({"ORDERGATE_CREDENTIAL_STORE_URL": "postgresql://x/y"}) == (
        "postgresql://x/y"
    )


def store(argv: list[str], environ: dict[str, str], body: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, environ, out, io.StringIO(body)), out.getvalue()


def test_store_puts_a_credential_in_a_fresh_data_dir_and_replaces_it_later(
    tmp_path: Path,
) -> None:
    environ = {"ORDERGATE_DATA_DIR": str(tmp_path / "data")}
    body = '{"api_key": "PK1", "api_secret": "s1"}'

    first, said = store(["store", "ALPACA", "--user", "alice"], environ, body)
    again, _ = store(["store", "ALPACA", "--user", "alice"], environ, body.replace("s1", "s2"))

    assert (first, again) == (0, 0)
    assert msgspec.json.decode(said)["broker"] == "ALPACA"
    assert "s1" not in said
    assert (tmp_path / "data" / "master.key").exists()  # the key file the server will read

    async def read() -> str:
        url = default_store_url(environ)
        keyring = load_keyring({}, tmp_path / "data" / "master.key")
        async with open_credential_store(url) as credentials:
            vault = CredentialVault(credentials, keyring, TestClock())
            return (await vault.use("alice", "ALPACA")).api_secret

    assert asyncio.run(read()) == "s2"


@pytest.mark.parametrize(
    "body",
    ["not json", '{"api_key": "PK1"}', '{"api_key": "PK1", "api_secret": "s", "x": 1}', "[]"],
    ids=["malformed", "missing-secret", "unknown-field", "wrong-type"],
)
def test_store_refuses_a_bad_credential_and_writes_nothing(
    tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"ORDERGATE_DATA_DIR": str(tmp_path / "data")}

    status, said = store(["store", "ALPACA", "--user", "alice"], environ, body)

    assert status == 2
    assert said == ""
    assert capsys.readouterr().err.startswith("error:")
    assert not (tmp_path / "data" / "credentials.db").exists()
