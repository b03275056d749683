"""The envelope core, without a store: sealing, opening, re-wrapping, the redacted secret."""

from __future__ import annotations

import msgspec
import pytest

from ordergate.gateway.vault import (
    BrokerSecret,
    CredentialRow,
    CredentialStatus,
    CredentialTampered,
    InvalidCredential,
    Keyring,
    MasterKey,
    Permission,
)
from ordergate.gateway.vault.envelope import Binding, fingerprint, open_row, rewrap, seal
from ordergate.gateway.vault.models import check_broker, check_secret, check_user

SECRET = BrokerSecret(api_key="AKIDEXAMPLE", api_secret="wJalrXUtnFEMI", extra={"uid": "7"})


def sealed_row(master: MasterKey, user: str = "alice", version: int = 1) -> CredentialRow:
    binding = Binding(
        user=user,
        broker="binance",
        version=version,
        label="",
        fingerprint=fingerprint(SECRET.api_key),
        permissions=(Permission.TRADE,),
    )
    sealed = seal(SECRET, binding, master)
    return CredentialRow(
        user=user,
        broker="binance",
        label="",
        status=CredentialStatus.UNTESTED,
        key_id=sealed.key_id,
        wrap_nonce=sealed.wrap_nonce,
        wrapped_key=sealed.wrapped_key,
        nonce=sealed.nonce,
        ciphertext=sealed.ciphertext,
        fingerprint=binding.fingerprint,
        permissions=binding.permissions,
        created_ns=1,
        updated_ns=1,
        last_used_ns=None,
        version=version,
    )


def test_seal_then_open_returns_the_secret() -> None:
    master = MasterKey.generate()

    assert open_row(sealed_row(master), Keyring(master)) == SECRET


def test_sealing_the_same_secret_twice_gives_unrelated_ciphertexts() -> None:
    master = MasterKey.generate()

    a, b = sealed_row(master), sealed_row(master)

    assert a.nonce != b.nonce
    assert a.ciphertext != b.ciphertext
    assert a.wrap_nonce != b.wrap_nonce
    assert a.wrapped_key != b.wrapped_key


def test_a_row_sealed_for_one_version_does_not_open_as_another() -> None:
    master = MasterKey.generate()
    row = msgspec.structs.replace(sealed_row(master, version=1), version=2)

    with pytest.raises(CredentialTampered, match="data key"):
        open_row(row, Keyring(master))


def test_a_payload_moved_under_another_rows_data_key_fails_on_the_payload() -> None:
    master = MasterKey.generate()
    a, b = sealed_row(master), sealed_row(master)
    mixed = msgspec.structs.replace(a, nonce=b.nonce, ciphertext=b.ciphertext)

    with pytest.raises(CredentialTampered, match="payload"):
        open_row(mixed, Keyring(master))


def test_rewrap_keeps_the_payload_and_opens_under_the_new_key_only() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    row = sealed_row(old)

    sealed = rewrap(row, Keyring(old), new)

    assert (sealed.nonce, sealed.ciphertext) == (row.nonce, row.ciphertext)
    moved = msgspec.structs.replace(
        row, key_id=sealed.key_id, wrap_nonce=sealed.wrap_nonce, wrapped_key=sealed.wrapped_key
    )
    assert open_row(moved, Keyring(new)) == SECRET


def test_the_fingerprint_is_a_sha256_prefix_of_the_api_key() -> None:
    # printf %s AKIDEXAMPLE | sha256sum
    assert fingerprint("AKIDEXAMPLE") == "7a898e50dbd5b830"
    assert fingerprint("AKIDEXAMPLE") != fingerprint("AKIDEXAMPLF")


def test_a_secret_never_shows_in_its_repr_or_str() -> None:
    text = f"{SECRET!r} {SECRET}"

    assert "wJalrXUtnFEMI" not in text
    assert "AKIDEXAMPLE" not in text


@pytest.mark.parametrize(
    ("secret", "field"),
    [
        (BrokerSecret(api_key="", api_secret="x"), "api_key"),
        (BrokerSecret(api_key="k", api_secret="   "), "api_secret"),
        (BrokerSecret(api_key=" k", api_secret="x"), "api_key"),
        (BrokerSecret(api_key="k", api_secret="x" * 8193), "api_secret"),
        (BrokerSecret(api_key="k", api_secret="x", passphrase=""), "passphrase"),
        (BrokerSecret(api_key="k", api_secret="x", passphrase="p" * 8193), "passphrase"),
        (BrokerSecret(api_key="k", api_secret="x", extra={"Bad-Name": "v"}), "extra.Bad-Name"),
        (BrokerSecret(api_key="k", api_secret="x", extra={"uid": ""}), "extra.uid"),
        (
            BrokerSecret(api_key="k", api_secret="x", extra={f"f{n}": "v" for n in range(17)}),
            "extra",
        ),
    ],
)
def test_an_incomplete_secret_is_refused_naming_the_field(secret: BrokerSecret, field: str) -> None:
    with pytest.raises(InvalidCredential) as e:
        check_secret(secret)

    assert e.value.field == field
    assert "x" * 20 not in e.value.message


@pytest.mark.parametrize("user", ["", " alice", "a" * 129, "al ice", "-alice", "alice\n"])
def test_a_malformed_user_id_is_refused(user: str) -> None:
    with pytest.raises(InvalidCredential):
        check_user(user)


@pytest.mark.parametrize("broker", ["", "al paca", "a" * 65, "../etc", "-alpaca", "alp/aca"])
def test_a_malformed_broker_name_is_refused(broker: str) -> None:
    with pytest.raises(InvalidCredential):
        check_broker(broker)


@pytest.mark.parametrize("broker", ["ALPACA", "binance", "FIX.Broker-1"])
def test_venue_names_are_broker_names(broker: str) -> None:
    assert check_broker(broker) == broker
