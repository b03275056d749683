"""Master keys: parsing, refusing weak or malformed ones, key files, the keyring."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from ordergate.gateway.vault import Keyring, MasterKey, MasterKeyError, load_keyring, write_key_file
from ordergate.gateway.vault.keys import KEY_ENV, KEY_FILE_ENV, PREVIOUS_KEYS_ENV


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_a_generated_key_round_trips_through_base64_with_the_same_id() -> None:
    key = MasterKey.generate()

    again = MasterKey.from_base64(key.to_base64())

    assert again.key_id == key.key_id
    assert key.key_id.startswith("mk-")
    assert len(key.key_id) == 19


def test_different_keys_have_different_ids() -> None:
    assert MasterKey.generate().key_id != MasterKey.generate().key_id


def test_repr_shows_the_id_never_the_key() -> None:
    key = MasterKey.generate()

    assert repr(key) == f"MasterKey({key.key_id})"
    assert key.to_base64() not in repr(key)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not base64 at all!", "not valid base64"),
        (b64(os.urandom(16)), "32 bytes, not 16"),
        (b64(os.urandom(33)), "32 bytes, not 33"),
        ("", "32 bytes, not 0"),
        (b64(bytes(32)), "too few distinct bytes"),
        (b64(b"\x01\x02" * 16), "too few distinct bytes"),
        (b64(b"The quick brown fox jumps over 1"), "printable text"),
    ],
)
def test_a_malformed_or_weak_key_is_refused(text: str, message: str) -> None:
    with pytest.raises(MasterKeyError, match=message):
        MasterKey.from_base64(text, source=KEY_ENV)


def test_urlsafe_base64_with_dashes_is_refused_not_misread() -> None:
    raw = bytes(range(200, 232))
    text = base64.urlsafe_b64encode(raw).decode()
    assert "-" in text or "_" in text

    with pytest.raises(MasterKeyError, match="not valid base64"):
        MasterKey.from_base64(text)


def test_the_keyring_reads_the_environment_key() -> None:
    key = MasterKey.generate()

    keyring = load_keyring({KEY_ENV: key.to_base64() + "\n"})

    assert keyring.current.key_id == key.key_id


def test_previous_keys_from_the_environment_join_the_keyring() -> None:
    current, old1, old2 = MasterKey.generate(), MasterKey.generate(), MasterKey.generate()

    keyring = load_keyring(
        {
            KEY_ENV: current.to_base64(),
            PREVIOUS_KEYS_ENV: f"{old1.to_base64()}, {old2.to_base64()},",
        }
    )

    assert keyring.key_ids() == [current.key_id, old1.key_id, old2.key_id]


def test_a_bad_previous_key_is_refused_by_position() -> None:
    with pytest.raises(MasterKeyError, match="entry 2"):
        load_keyring(
            {
                KEY_ENV: MasterKey.generate().to_base64(),
                PREVIOUS_KEYS_ENV: f"{MasterKey.generate().to_base64()},short",
            }
        )


def test_no_key_configured_is_refused_with_how_to_make_one() -> None:
    with pytest.raises(MasterKeyError, match="openssl rand -base64 32"):
        load_keyring({})


def test_both_sources_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="not both"):
        load_keyring({KEY_ENV: MasterKey.generate().to_base64(), KEY_FILE_ENV: str(tmp_path)})


def test_a_key_file_gives_the_current_key_first_then_earlier_ones(tmp_path: Path) -> None:
    current, old = MasterKey.generate(), MasterKey.generate()
    path = tmp_path / "master.key"
    path.write_text(f"# rotated 2026-12-01\n{current.to_base64()}\n\n{old.to_base64()}\n")
    path.chmod(0o600)

    keyring = load_keyring({KEY_FILE_ENV: str(path)})

    assert keyring.key_ids() == [current.key_id, old.key_id]


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(MasterKey.generate().to_base64())
    path.chmod(0o644)

    with pytest.raises(MasterKeyError, match="chmod 600"):
        load_keyring({KEY_FILE_ENV: str(path)})


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="does not exist"):
        load_keyring({KEY_FILE_ENV: str(tmp_path / "nope.key")})


def test_an_empty_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text("# nothing here\n")
    path.chmod(0o600)

    with pytest.raises(MasterKeyError, match="holds no key"):
        load_keyring({KEY_FILE_ENV: str(path)})


def test_a_bad_line_in_a_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(f"{MasterKey.generate().to_base64()}\n{b64(bytes(32))}\n")
    path.chmod(0o600)

    with pytest.raises(MasterKeyError, match="line 2"):
        load_keyring({KEY_FILE_ENV: str(path)})


def test_the_default_key_file_is_created_once_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "master.key"

    first = load_keyring({}, default_key_file=path)
    second = load_keyring({}, default_key_file=path)

    assert first.current.key_id == second.current.key_id
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_key_file(path, MasterKey.generate())

    with pytest.raises(FileExistsError):
        write_key_file(path, MasterKey.generate())


def test_the_current_key_cannot_be_retired() -> None:
    keyring = Keyring(MasterKey.generate())

    with pytest.raises(MasterKeyError, match="current"):
        keyring.retire(keyring.current.key_id)


def test_promote_keeps_the_earlier_key_for_reads() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    keyring = Keyring(old)

    keyring.promote(new)

    assert keyring.current is new
    assert keyring.get(old.key_id) is old
