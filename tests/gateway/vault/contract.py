"""The behavioural contract every credential store backend passes, through the vault.

A backend's test module subclasses ``CredentialStoreContract`` and supplies two fixtures:

- ``store_url``: a URL for ``open_credential_store`` pointing at a fresh, empty store;
- ``tamper``: a ``Tamper`` running raw SQL (``?`` placeholders) on that store behind the
  vault's back, the way an attacker with database access or a careless operator would.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Protocol

import msgspec
import pytest

from ordergate.clock import TestClock
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.gateway.vault import (
    AuditAction,
    AuditEntry,
    BrokerSecret,
    CheckResult,
    ConcurrentCredentialUpdate,
    CredentialExists,
    CredentialNotFound,
    CredentialStatus,
    CredentialStore,
    CredentialTampered,
    CredentialVault,
    Keyring,
    MasterKey,
    MasterKeyError,
    MasterKeyUnavailable,
    Permission,
    open_credential_store,
)


class Tamper(Protocol):
    async def execute(self, sql: str, *params: object) -> None: ...


SECRET = BrokerSecret(
    api_key="PKTEST1234567890",
    api_secret="s3cr3t-signing-key-do-not-leak",
    passphrase="correct horse",
    extra={"account_id": "acct-42"},
)
OTHER = BrokerSecret(api_key="PKOTHER000000000", api_secret="another-secret-value-xyz")


def flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


class Broker:
    """A small stand-in broker that knows which secrets it issued: the checker for tests."""

    def __init__(self) -> None:
        self.issued = {"PKTEST1234567890": SECRET.api_secret}
        self.calls: list[tuple[str, str]] = []

    async def check(self, broker: str, secret: BrokerSecret) -> CheckResult:
        self.calls.append((broker, secret.api_key))
        if secret.api_key == "PKDOWN":
            raise VenueError(VenueErrorKind.RETRYABLE, broker, "503", "maintenance")
        if secret.api_key == "PKREVOKED":
            raise VenueError(VenueErrorKind.AUTH, broker, "401", "key revoked")
        if self.issued.get(secret.api_key) == secret.api_secret:
            return CheckResult(ok=True, message="logged on")
        return CheckResult(ok=False, message="invalid signature")


class CredentialStoreContract:
    @pytest.fixture
    async def store(self, store_url: str) -> AsyncIterator[CredentialStore]:
        async with open_credential_store(store_url) as store:
            yield store

    @pytest.fixture
    def clock(self) -> TestClock:
        return TestClock()

    @pytest.fixture
    def old_key(self) -> MasterKey:
        return MasterKey.generate()

    @pytest.fixture
    def vault(
        self, store: CredentialStore, old_key: MasterKey, clock: TestClock
    ) -> CredentialVault:
        return CredentialVault(store, Keyring(old_key), clock)

    # --- storing and reading -------------------------------------------------------------

    async def test_create_then_use_returns_the_secret(self, vault: CredentialVault) -> None:
        info = await vault.create("alice", "alpaca", SECRET, label="paper")

        secret = await vault.use("alice", "alpaca")

        assert secret == SECRET
        assert info.version == 1
        assert info.status is CredentialStatus.UNTESTED
        assert info.permissions == (Permission.READ, Permission.TRADE)

    async def test_use_updates_last_used_and_audits_a_read(
        self, vault: CredentialVault, clock: TestClock
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        clock.advance(5_000)

        await vault.use("alice", "alpaca", actor="gateway:alpaca")

        info = await vault.info("alice", "alpaca")
        assert info.last_used_ns == clock.now_ns()
        actions = [(e.action, e.actor) for e in await vault.audit("alice", "alpaca")]
        assert actions == [
            (AuditAction.CREATED, "alice"),
            (AuditAction.READ, "gateway:alpaca"),
            (AuditAction.READ, "alice"),
        ]

    async def test_stored_row_holds_no_plaintext(
        self, vault: CredentialVault, store: CredentialStore
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)

        row = await store.get("alice", "alpaca")

        assert row is not None
        stored = msgspec.msgpack.encode(row)
        for value in (SECRET.api_key, SECRET.api_secret, "correct horse", "acct-42"):
            assert value.encode() not in stored
        assert len(row.nonce) == 12
        assert len(row.wrap_nonce) == 12
        assert row.fingerprint == hashlib.sha256(SECRET.api_key.encode()).hexdigest()[:16]

    async def test_two_credentials_never_share_a_nonce_or_data_key(
        self, vault: CredentialVault, store: CredentialStore
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        await vault.create("bob", "alpaca", SECRET)

        a = await store.get("alice", "alpaca")
        b = await store.get("bob", "alpaca")

        assert a is not None
        assert b is not None
        assert a.nonce != b.nonce
        assert a.wrap_nonce != b.wrap_nonce
        assert a.ciphertext != b.ciphertext
        assert a.wrapped_key != b.wrapped_key

    async def test_creating_twice_raises_credential_exists_and_keeps_the_first(
        self, vault: CredentialVault
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)

        with pytest.raises(CredentialExists):
            await vault.create("alice", "alpaca", OTHER)

        assert await vault.use("alice", "alpaca") == SECRET
        created = [e for e in await vault.audit("alice") if e.action is AuditAction.CREATED]
        assert len(created) == 1

    async def test_replace_seals_a_new_version_under_a_new_data_key(
        self, vault: CredentialVault, store: CredentialStore
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        await vault.use("alice", "alpaca")
        before = await store.get("alice", "alpaca")

        info = await vault.replace(
            "alice", "alpaca", OTHER, label="live", permissions=[Permission.READ]
        )

        after = await store.get("alice", "alpaca")
        assert before is not None
        assert after is not None
        assert info.version == 2
        assert info.label == "live"
        assert info.permissions == (Permission.READ,)
        assert info.last_used_ns is None
        assert after.created_ns == before.created_ns
        assert after.wrapped_key != before.wrapped_key
        assert after.nonce != before.nonce
        assert await vault.use("alice", "alpaca") == OTHER

    async def test_replace_of_a_missing_credential_raises_not_found(
        self, vault: CredentialVault
    ) -> None:
        with pytest.raises(CredentialNotFound):
            await vault.replace("alice", "alpaca", SECRET)

    async def test_replace_with_a_stale_version_changes_nothing(
        self, vault: CredentialVault, store: CredentialStore, clock: TestClock
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        row = await store.get("alice", "alpaca")
        assert row is not None
        newer = msgspec.structs.replace(row, version=2, label="x")
        audit = AuditEntry(
            ts_ns=clock.now_ns(),
            actor="t",
            user="alice",
            broker="alpaca",
            action=AuditAction.UPDATED,
        )
        assert await store.replace(newer, 1, audit)

        assert not await store.replace(newer, 1, audit)

        updated = [e for e in await vault.audit("alice") if e.action is AuditAction.UPDATED]
        assert len(updated) == 1

    async def test_concurrent_replaces_one_wins_the_other_raises(
        self, vault: CredentialVault
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)

        results = await asyncio.gather(
            vault.replace("alice", "alpaca", OTHER),
            vault.replace("alice", "alpaca", OTHER),
            return_exceptions=True,
        )

        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) <= 1
        assert all(isinstance(e, ConcurrentCredentialUpdate) for e in errors)
        assert (await vault.info("alice", "alpaca")).version == 3 - len(errors)

    async def test_delete_removes_the_credential_and_audits(self, vault: CredentialVault) -> None:
        await vault.create("alice", "alpaca", SECRET)

        await vault.delete("alice", "alpaca")

        with pytest.raises(CredentialNotFound):
            await vault.use("alice", "alpaca")
        with pytest.raises(CredentialNotFound):
            await vault.delete("alice", "alpaca")
        assert [e.action for e in await vault.audit("alice", "alpaca")] == [
            AuditAction.CREATED,
            AuditAction.DELETED,
        ]

    async def test_list_returns_only_the_users_credentials_by_broker(
        self, vault: CredentialVault
    ) -> None:
        await vault.create("alice", "binance", SECRET)
        await vault.create("alice", "alpaca", OTHER)
        await vault.create("bob", "alpaca", SECRET)

        items = await vault.list_credentials("alice")

        assert [(i.user, i.broker) for i in items] == [("alice", "alpaca"), ("alice", "binance")]
        listed = (await vault.audit("alice"))[-1]
        assert listed.action is AuditAction.READ
        assert listed.broker is None

    async def test_rows_survive_reopening_the_store(
        self, store_url: str, old_key: MasterKey, clock: TestClock
    ) -> None:
        async with open_credential_store(store_url) as first:
            await CredentialVault(first, Keyring(old_key), clock).create("alice", "alpaca", SECRET)

        async with open_credential_store(store_url) as second:
            secret = await CredentialVault(second, Keyring(old_key), clock).use("alice", "alpaca")

        assert secret == SECRET

    async def test_audit_log_refuses_update_and_delete(
        self, vault: CredentialVault, tamper: Tamper
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)

        with pytest.raises(Exception, match="append-only"):
            await tamper.execute("UPDATE credential_audit SET actor = ?", "mallory")
        with pytest.raises(Exception, match="append-only"):
            await tamper.execute("DELETE FROM credential_audit")

        assert [e.actor for e in await vault.audit("alice")] == ["alice"]

    async def test_audit_never_holds_the_secret(self, vault: CredentialVault) -> None:
        await vault.create("alice", "alpaca", SECRET)
        await vault.use("alice", "alpaca")
        await vault.test("alice", "alpaca", Broker().check)

        text = msgspec.json.encode(await vault.audit("alice"))

        assert SECRET.api_secret.encode() not in text
        assert SECRET.api_key.encode() not in text

    # --- testing against the broker ------------------------------------------------------

    async def test_test_with_an_accepted_secret_marks_it_verified(
        self, vault: CredentialVault
    ) -> None:
        broker = Broker()
        await vault.create("alice", "alpaca", SECRET)

        result = await vault.test("alice", "alpaca", broker.check)

        assert result == CheckResult(ok=True, message="logged on")
        assert broker.calls == [("alpaca", SECRET.api_key)]
        info = await vault.info("alice", "alpaca")
        assert info.status is CredentialStatus.VERIFIED
        assert info.last_used_ns is not None
        tested = [e for e in await vault.audit("alice") if e.action is AuditAction.TESTED]
        assert tested[0].detail == "verified: logged on"

    async def test_test_with_a_refused_secret_marks_it_rejected(
        self, vault: CredentialVault
    ) -> None:
        await vault.create("alice", "alpaca", OTHER)

        result = await vault.test("alice", "alpaca", Broker().check)

        assert not result.ok
        assert (await vault.info("alice", "alpaca")).status is CredentialStatus.REJECTED

    async def test_test_with_an_auth_venue_error_marks_it_rejected(
        self, vault: CredentialVault
    ) -> None:
        await vault.create("alice", "alpaca", BrokerSecret(api_key="PKREVOKED", api_secret="x"))

        result = await vault.test("alice", "alpaca", Broker().check)

        assert result == CheckResult(ok=False, message="AUTH: key revoked")
        assert (await vault.info("alice", "alpaca")).status is CredentialStatus.REJECTED

    async def test_test_when_the_broker_is_down_leaves_the_status(
        self, vault: CredentialVault
    ) -> None:
        await vault.create("alice", "alpaca", BrokerSecret(api_key="PKDOWN", api_secret="x"))

        result = await vault.test("alice", "alpaca", Broker().check)

        assert result.message == "RETRYABLE: maintenance"
        assert (await vault.info("alice", "alpaca")).status is CredentialStatus.UNTESTED

    # --- tampering -----------------------------------------------------------------------

    async def _assert_tampered(
        self, vault: CredentialVault, user: str = "alice", broker: str = "alpaca"
    ) -> None:
        checker = Broker()
        with pytest.raises(CredentialTampered):
            await vault.use(user, broker)
        with pytest.raises(CredentialTampered):
            await vault.test(user, broker, checker.check)
        assert checker.calls == []
        info = await vault.info(user, broker)
        assert info.status is CredentialStatus.TAMPERED
        failed = [
            e for e in await vault.audit(user, broker) if e.action is AuditAction.FAILED_DECRYPT
        ]
        assert len(failed) == 2
        assert not [e for e in await vault.audit(user, broker) if e.detail == "decrypted for use"]

    @pytest.mark.parametrize("column", ["ciphertext", "wrapped_key", "nonce", "wrap_nonce"])
    @pytest.mark.parametrize("index", [0, -1])
    async def test_a_flipped_byte_is_detected_and_audited(
        self,
        vault: CredentialVault,
        store: CredentialStore,
        tamper: Tamper,
        column: str,
        index: int,
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        row = await store.get("alice", "alpaca")
        assert row is not None
        value: bytes = getattr(row, column)

        await tamper.execute(
            f"UPDATE credentials SET {column} = ? WHERE user_id = ? AND broker = ?",
            flip(value, index % len(value)),
            "alice",
            "alpaca",
        )

        await self._assert_tampered(vault)

    @pytest.mark.parametrize("column", ["ciphertext", "wrapped_key", "nonce", "wrap_nonce"])
    async def test_a_truncated_column_is_detected(
        self, vault: CredentialVault, store: CredentialStore, tamper: Tamper, column: str
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        row = await store.get("alice", "alpaca")
        assert row is not None

        await tamper.execute(
            f"UPDATE credentials SET {column} = ? WHERE user_id = ?",
            getattr(row, column)[:-1],
            "alice",
        )

        await self._assert_tampered(vault)

    async def test_rows_swapped_between_users_are_detected(
        self, vault: CredentialVault, store: CredentialStore, tamper: Tamper
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        await vault.create("mallory", "alpaca", OTHER)
        alice = await store.get("alice", "alpaca")
        assert alice is not None

        # Mallory copies Alice's encrypted columns (and her fingerprint) into her own row.
        await tamper.execute(
            "UPDATE credentials SET wrap_nonce = ?, wrapped_key = ?, nonce = ?, ciphertext = ?, "
            "fingerprint = ? WHERE user_id = ?",
            alice.wrap_nonce,
            alice.wrapped_key,
            alice.nonce,
            alice.ciphertext,
            alice.fingerprint,
            "mallory",
        )

        await self._assert_tampered(vault, "mallory")
        assert await vault.use("alice", "alpaca") == SECRET

    async def test_a_row_moved_to_another_broker_is_detected(
        self, vault: CredentialVault, tamper: Tamper
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)

        await tamper.execute(
            "UPDATE credentials SET broker = ? WHERE user_id = ?", "binance", "alice"
        )

        await self._assert_tampered(vault, broker="binance")

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("version", 7),
            ("label", "renamed"),
            ("permissions", "read,trade,withdraw"),
            ("fingerprint", "0000000000000000"),
        ],
    )
    async def test_edited_bound_metadata_is_detected(
        self, vault: CredentialVault, tamper: Tamper, column: str, value: object
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)

        await tamper.execute(
            f"UPDATE credentials SET {column} = ? WHERE user_id = ?", value, "alice"
        )

        await self._assert_tampered(vault)

    async def test_a_key_id_naming_another_known_key_is_detected(
        self, store: CredentialStore, old_key: MasterKey, clock: TestClock, tamper: Tamper
    ) -> None:
        other = MasterKey.generate()
        vault = CredentialVault(store, Keyring(old_key, [other]), clock)
        await vault.create("alice", "alpaca", SECRET)

        await tamper.execute(
            "UPDATE credentials SET key_id = ? WHERE user_id = ?", other.key_id, "alice"
        )

        await self._assert_tampered(vault)

    async def test_a_key_id_naming_an_unknown_key_raises_unavailable_and_audits(
        self, vault: CredentialVault, tamper: Tamper
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)

        await tamper.execute(
            "UPDATE credentials SET key_id = ? WHERE user_id = ?", "mk-gone", "alice"
        )

        with pytest.raises(MasterKeyUnavailable, match="mk-gone"):
            await vault.use("alice", "alpaca")
        last = (await vault.audit("alice", "alpaca"))[-1]
        assert last.action is AuditAction.FAILED_DECRYPT
        assert last.detail == "master key unavailable"

    async def test_a_tampered_credential_can_be_replaced(
        self, vault: CredentialVault, store: CredentialStore, tamper: Tamper
    ) -> None:
        await vault.create("alice", "alpaca", SECRET)
        row = await store.get("alice", "alpaca")
        assert row is not None
        await tamper.execute(
            "UPDATE credentials SET ciphertext = ? WHERE user_id = ?", flip(row.ciphertext), "alice"
        )
        with pytest.raises(CredentialTampered):
            await vault.use("alice", "alpaca")

        info = await vault.replace("alice", "alpaca", SECRET)

        assert info.status is CredentialStatus.UNTESTED
        assert await vault.use("alice", "alpaca") == SECRET

    # --- master key rotation -------------------------------------------------------------

    async def _fill(self, vault: CredentialVault, users: int) -> dict[str, BrokerSecret]:
        secrets = {}
        for n in range(users):
            user = f"user{n:02d}"
            secrets[user] = BrokerSecret(api_key=f"PK{n:014d}", api_secret=f"secret-{n}")
            await vault.create(user, "alpaca", secrets[user])
        return secrets

    async def test_rotate_rewraps_every_data_key_and_leaves_payloads_untouched(
        self, vault: CredentialVault, store: CredentialStore, old_key: MasterKey
    ) -> None:
        secrets = await self._fill(vault, 5)
        before = {u: await store.get(u, "alpaca") for u in secrets}
        new_key = MasterKey.generate()

        report = await vault.rotate(new_key, batch_size=2)

        assert report.rewrapped == 5
        assert report.failed == []
        assert report.remaining == {}
        for user, old in before.items():
            row = await store.get(user, "alpaca")
            assert old is not None
            assert row is not None
            assert (row.nonce, row.ciphertext, row.version) == (
                old.nonce,
                old.ciphertext,
                old.version,
            )
            assert row.key_id == new_key.key_id != old.key_id
            assert row.wrapped_key != old.wrapped_key
            assert row.wrap_nonce != old.wrap_nonce
        rotated = [e for e in await vault.audit("user00") if e.action is AuditAction.ROTATED]
        assert rotated[0].detail == f"{old_key.key_id} -> {new_key.key_id}"
        assert rotated[0].key_id == new_key.key_id

    async def test_after_rotation_only_the_new_key_is_needed(
        self, vault: CredentialVault, store: CredentialStore, old_key: MasterKey, clock: TestClock
    ) -> None:
        secrets = await self._fill(vault, 3)
        new_key = MasterKey.generate()
        await vault.rotate(new_key)

        await vault.retire(old_key.key_id)

        restarted = CredentialVault(store, Keyring(new_key), clock)
        for user, secret in secrets.items():
            assert await restarted.use(user, "alpaca") == secret
        stale = CredentialVault(store, Keyring(old_key), clock)
        with pytest.raises(MasterKeyUnavailable):
            await stale.use("user00", "alpaca")

    async def test_a_partial_rotation_reads_old_rows_with_the_old_key(
        self, vault: CredentialVault, store: CredentialStore, old_key: MasterKey
    ) -> None:
        secrets = await self._fill(vault, 5)
        new_key = MasterKey.generate()

        report = await vault.rotate(new_key, limit=2)

        assert report.rewrapped == 2
        assert report.remaining == {old_key.key_id: 3}
        key_ids = [(await store.get(u, "alpaca")).key_id for u in secrets]
        assert key_ids.count(new_key.key_id) == 2
        assert key_ids.count(old_key.key_id) == 3
        for user, secret in secrets.items():
            assert await vault.use(user, "alpaca") == secret
        with pytest.raises(MasterKeyError, match="3 credentials"):
            await vault.retire(old_key.key_id)

        resumed = await vault.rotate(new_key)

        assert resumed.rewrapped == 3
        assert resumed.remaining == {}
        await vault.retire(old_key.key_id)
        assert vault.keyring.key_ids() == [new_key.key_id]

    async def test_new_credentials_during_rotation_use_the_new_key(
        self, vault: CredentialVault, store: CredentialStore
    ) -> None:
        await self._fill(vault, 2)
        new_key = MasterKey.generate()
        await vault.rotate(new_key, limit=1)

        await vault.create("carol", "alpaca", SECRET)

        row = await store.get("carol", "alpaca")
        assert row is not None
        assert row.key_id == new_key.key_id

    async def test_reads_keep_working_while_a_rotation_runs(self, vault: CredentialVault) -> None:
        secrets = await self._fill(vault, 8)
        new_key = MasterKey.generate()
        rotation = asyncio.create_task(vault.rotate(new_key, batch_size=1))
        reads = 0

        while not rotation.done():
            for user, secret in secrets.items():
                assert await vault.use(user, "alpaca") == secret
                reads += 1

        report = await rotation
        assert report.rewrapped == 8
        assert report.failed == []
        assert reads > 0

    async def test_rotation_skips_and_reports_a_tampered_row(
        self, vault: CredentialVault, store: CredentialStore, tamper: Tamper, old_key: MasterKey
    ) -> None:
        await self._fill(vault, 3)
        row = await store.get("user01", "alpaca")
        assert row is not None
        await tamper.execute(
            "UPDATE credentials SET ciphertext = ? WHERE user_id = ?",
            flip(row.ciphertext),
            "user01",
        )

        report = await vault.rotate(MasterKey.generate())

        assert report.rewrapped == 2
        assert report.failed == [("user01", "alpaca")]
        assert report.remaining == {old_key.key_id: 1}
        assert (await vault.info("user01", "alpaca")).status is CredentialStatus.TAMPERED

    @pytest.mark.parametrize(("batch_size", "limit"), [(0, None), (10, 0)])
    async def test_rotate_refuses_a_batch_or_limit_below_one(
        self, vault: CredentialVault, batch_size: int, limit: int | None
    ) -> None:
        current = vault.keyring.current

        with pytest.raises(ValueError, match="at least 1"):
            await vault.rotate(MasterKey.generate(), batch_size=batch_size, limit=limit)

        assert vault.keyring.current is current
