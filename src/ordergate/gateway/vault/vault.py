"""The credential vault: store, read, use, test, delete and rotate users' broker credentials.

This is the imperative shell around :mod:`~ordergate.gateway.vault.envelope`: it reads a row,
asks the envelope to open or seal it, and writes the row back with its audit line. Every
read and change of a credential is audited; a failed integrity check is audited, marks the
row ``tampered`` and raises, so nothing of a tampered row reaches a broker.

Rotation without downtime: :meth:`CredentialVault.rotate` first makes the new master key
current (new writes use it), keeps the old one in the keyring, then re-wraps rows in
batches. Each row is readable at every moment, under whichever key its ``key_id`` names.
Other processes sharing the store must be given the new key (for instance in
``ORDERGATE_PREVIOUS_MASTER_KEYS``) before a rotation starts, or they cannot read the rows
re-wrapped under it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import msgspec

from ordergate.clock import Clock
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.gateway.vault.envelope import Binding, fingerprint, open_row, rewrap, seal
from ordergate.gateway.vault.errors import (
    ConcurrentCredentialUpdate,
    CredentialNotFound,
    CredentialTampered,
    InvalidCredential,
    MasterKeyError,
    MasterKeyUnavailable,
)
from ordergate.gateway.vault.keys import Keyring, MasterKey
from ordergate.gateway.vault.models import (
    AuditAction,
    AuditEntry,
    BrokerSecret,
    CheckResult,
    CredentialInfo,
    CredentialRow,
    CredentialStatus,
    Permission,
    check_broker,
    check_secret,
    check_user,
)
from ordergate.gateway.vault.store import CredentialStore

__all__ = ["DEFAULT_PERMISSIONS", "CredentialChecker", "CredentialVault", "RotationReport"]

CredentialChecker = Callable[[str, BrokerSecret], Awaitable[CheckResult]]
"""Log on to ``broker`` with a secret and say whether it was accepted."""

DEFAULT_PERMISSIONS = (Permission.READ, Permission.TRADE)
MAX_LABEL_LENGTH = 100
_MAX_DETAIL = 500


class RotationReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a rotation did.

    ``failed`` lists the ``(user, broker)`` rows that could not be re-wrapped (tampered, or
    under a key this process lacks); ``remaining`` counts rows per key id not yet under the
    new key (the failed ones among them).
    """

    key_id: str
    rewrapped: int
    failed: list[tuple[str, str]]
    remaining: dict[str, int]


def _label(label: str) -> str:
    if len(label) > MAX_LABEL_LENGTH or not label.isprintable():
        raise InvalidCredential(
            f"label is at most {MAX_LABEL_LENGTH} printable characters", "label"
        )
    return label


def _permissions(permissions: Iterable[Permission]) -> tuple[Permission, ...]:
    chosen = tuple(sorted(set(permissions)))
    if not chosen:
        raise InvalidCredential("permissions must name at least one permission", "permissions")
    return chosen


class CredentialVault:
    """Keep users' broker credentials encrypted at rest, and audited.

    Parameters
    ----------
    store
        Where the encrypted rows and the audit log live (started by the caller).
    keyring
        The master keys; its current key wraps new data keys.
    clock
        The source of every timestamp.
    """

    def __init__(self, store: CredentialStore, keyring: Keyring, clock: Clock) -> None:
        self._store = store
        self._keyring = keyring
        self._clock = clock

    @property
    def keyring(self) -> Keyring:
        """Return the keyring in use."""
        return self._keyring

    def _entry(
        self,
        actor: str,
        user: str,
        broker: str | None,
        action: AuditAction,
        row: CredentialRow | None = None,
        detail: str = "",
        *,
        key_id: str | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            ts_ns=self._clock.now_ns(),
            actor=actor,
            user=user,
            broker=broker,
            action=action,
            version=None if row is None else row.version,
            key_id=key_id if key_id is not None else (None if row is None else row.key_id),
            detail=detail[:_MAX_DETAIL],
        )

    def _sealed_row(
        self,
        user: str,
        broker: str,
        secret: BrokerSecret,
        label: str,
        permissions: Iterable[Permission],
        *,
        version: int,
        created_ns: int,
    ) -> CredentialRow:
        check_secret(secret)
        binding = Binding(
            user=user,
            broker=broker,
            version=version,
            label=_label(label),
            fingerprint=fingerprint(secret.api_key),
            permissions=_permissions(permissions),
        )
        sealed = seal(secret, binding, self._keyring.current)
        return CredentialRow(
            user=user,
            broker=broker,
            label=binding.label,
            status=CredentialStatus.UNTESTED,
            key_id=sealed.key_id,
            wrap_nonce=sealed.wrap_nonce,
            wrapped_key=sealed.wrapped_key,
            nonce=sealed.nonce,
            ciphertext=sealed.ciphertext,
            fingerprint=binding.fingerprint,
            permissions=binding.permissions,
            created_ns=created_ns,
            updated_ns=self._clock.now_ns(),
            last_used_ns=None,
            version=version,
        )

    async def _row(self, user: str, broker: str) -> CredentialRow:
        row = await self._store.get(check_user(user), check_broker(broker))
        if row is None:
            raise CredentialNotFound(user, broker)
        return row

    async def _open(self, row: CredentialRow, actor: str) -> BrokerSecret:
        try:
            return open_row(row, self._keyring)
        except CredentialTampered as e:
            audit = self._entry(
                actor, row.user, row.broker, AuditAction.FAILED_DECRYPT, row, f"tampered: {e.layer}"
            )
            await self._store.mark(row, status=CredentialStatus.TAMPERED, audit=audit)
            raise
        except MasterKeyUnavailable:
            await self._store.append_audit(
                self._entry(
                    actor,
                    row.user,
                    row.broker,
                    AuditAction.FAILED_DECRYPT,
                    row,
                    "master key unavailable",
                )
            )
            raise

    async def create(
        self,
        user: str,
        broker: str,
        secret: BrokerSecret,
        *,
        label: str = "",
        permissions: Iterable[Permission] = DEFAULT_PERMISSIONS,
        actor: str | None = None,
    ) -> CredentialInfo:
        """Store a new credential for ``user`` at ``broker``.

        Raises
        ------
        InvalidCredential
            If the user, broker, secret, label or permissions are not acceptable.
        CredentialExists
            If one is already stored (replace it instead).
        """
        check_user(user)
        check_broker(broker)
        row = self._sealed_row(
            user, broker, secret, label, permissions, version=1, created_ns=self._clock.now_ns()
        )
        await self._store.insert(
            row, self._entry(actor or user, user, broker, AuditAction.CREATED, row)
        )
        return row.info()

    async def replace(
        self,
        user: str,
        broker: str,
        secret: BrokerSecret,
        *,
        label: str = "",
        permissions: Iterable[Permission] = DEFAULT_PERMISSIONS,
        actor: str | None = None,
    ) -> CredentialInfo:
        """Replace the stored credential with ``secret``, under a new data key and version.

        The old row is not decrypted, so a tampered credential can be replaced this way.

        Raises
        ------
        InvalidCredential, CredentialNotFound
            As their names say.
        ConcurrentCredentialUpdate
            If the credential changed while this call ran.
        """
        old = await self._row(user, broker)
        row = self._sealed_row(
            user,
            broker,
            secret,
            label,
            permissions,
            version=old.version + 1,
            created_ns=old.created_ns,
        )
        audit = self._entry(actor or user, user, broker, AuditAction.UPDATED, row)
        if not await self._store.replace(row, old.version, audit):
            raise ConcurrentCredentialUpdate(user, broker)
        return row.info()

    async def info(self, user: str, broker: str, *, actor: str | None = None) -> CredentialInfo:
        """Return the metadata of one credential (audited as a read; nothing is decrypted).

        Raises
        ------
        CredentialNotFound
            If none is stored.
        """
        row = await self._row(user, broker)
        await self._store.append_audit(
            self._entry(actor or user, user, broker, AuditAction.READ, row, "metadata")
        )
        return row.info()

    async def list_credentials(
        self, user: str, *, actor: str | None = None
    ) -> list[CredentialInfo]:
        """Return the metadata of every credential of ``user``, by broker (audited)."""
        rows = await self._store.rows_of(check_user(user))
        await self._store.append_audit(
            self._entry(actor or user, user, None, AuditAction.READ, None, f"list ({len(rows)})")
        )
        return [r.info() for r in rows]

    async def delete(self, user: str, broker: str, *, actor: str | None = None) -> None:
        """Delete a credential (its wrapped data key goes with it).

        Raises
        ------
        CredentialNotFound
            If none is stored.
        """
        row = await self._row(user, broker)
        audit = self._entry(actor or user, user, broker, AuditAction.DELETED, row)
        if not await self._store.delete(user, broker, audit):
            raise CredentialNotFound(user, broker)

    async def use(self, user: str, broker: str, *, actor: str = "gateway") -> BrokerSecret:
        """Decrypt a credential for an adapter to log on with; record the use.

        Raises
        ------
        CredentialNotFound
            If none is stored.
        CredentialTampered
            If it fails its integrity check (audited; the row is marked ``tampered``).
        MasterKeyUnavailable
            If it is wrapped under a master key this process lacks (audited).
        """
        row = await self._row(user, broker)
        secret = await self._open(row, actor)
        now = self._clock.now_ns()
        audit = self._entry(actor, user, broker, AuditAction.READ, row, "decrypted for use")
        await self._store.mark(row, last_used_ns=now, audit=audit)
        return secret

    async def test(
        self, user: str, broker: str, checker: CredentialChecker, *, actor: str | None = None
    ) -> CheckResult:
        """Try the stored credential at its broker with ``checker``; record the outcome.

        A ``VenueError`` of kind AUTH from the checker counts as a refusal (status
        ``rejected``); any other venue error is inconclusive and leaves the status alone.

        Raises
        ------
        CredentialNotFound, CredentialTampered, MasterKeyUnavailable
            As :meth:`use`; the checker is not called then.
        """
        who = actor or user
        row = await self._row(user, broker)
        secret = await self._open(row, who)
        status: CredentialStatus | None
        try:
            result = await checker(broker, secret)
        except VenueError as e:
            result = CheckResult(ok=False, message=f"{e.kind.value}: {e.message}")
            status = CredentialStatus.REJECTED if e.kind is VenueErrorKind.AUTH else None
        else:
            status = CredentialStatus.VERIFIED if result.ok else CredentialStatus.REJECTED
        outcome = "inconclusive" if status is None else str(status)
        detail = f"{outcome}: {result.message}" if result.message else outcome
        audit = self._entry(who, user, broker, AuditAction.TESTED, row, detail)
        await self._store.mark(row, status=status, last_used_ns=self._clock.now_ns(), audit=audit)
        return result

    async def audit(
        self, user: str, broker: str | None = None, *, limit: int = 1000
    ) -> list[AuditEntry]:
        """Return the audit lines about ``user`` (at ``broker``), oldest first."""
        return await self._store.audit(user, broker, limit=limit)

    async def rotate(
        self,
        new_master: MasterKey,
        *,
        batch_size: int = 100,
        limit: int | None = None,
        actor: str = "operator",
    ) -> RotationReport:
        """Make ``new_master`` current and re-wrap every data key under it.

        Payload ciphertexts are untouched. Reads go on throughout: the earlier keys stay in
        the keyring, and a row not yet re-wrapped is opened with the key it names. Rows
        changed concurrently are sealed under the new key by the change itself; passes
        repeat until one re-wraps nothing.

        Parameters
        ----------
        new_master
            The key to rotate to (it may already be current: a rotation resumes).
        batch_size
            How many rows are read per query.
        limit
            Re-wrap at most this many rows in this call, for a throttled rotation done in
            steps; ``remaining`` in the report says what is left.
        actor
            Who the audit log names.
        """
        if batch_size < 1 or (limit is not None and limit < 1):
            raise ValueError("batch_size and limit must be at least 1")
        self._keyring.promote(new_master)
        rewrapped = 0
        failed: dict[tuple[str, str], None] = {}
        budget = limit
        while budget is None or budget > 0:
            done = 0
            after: tuple[str, str] | None = None
            while rows := await self._store.rows_not_under(new_master.key_id, after, batch_size):
                for row in rows:
                    after = (row.user, row.broker)
                    if budget is not None and done >= budget:
                        break
                    outcome = await self._rewrap(row, new_master, actor)
                    if outcome is True:
                        done += 1
                    elif outcome is False:
                        failed[after] = None
                if budget is not None and done >= budget:
                    break
            rewrapped += done
            if budget is not None:
                budget -= done
            if done == 0:
                break
        remaining = {
            k: n for k, n in (await self._store.count_by_key()).items() if k != new_master.key_id
        }
        return RotationReport(
            key_id=new_master.key_id, rewrapped=rewrapped, failed=list(failed), remaining=remaining
        )

    async def _rewrap(self, row: CredentialRow, new_master: MasterKey, actor: str) -> bool | None:
        # True once re-wrapped, False if it cannot be (audited), None if it changed meanwhile
        # (then the change itself sealed it under the current key).
        try:
            await self._open(row, actor)  # re-wrap only what is intact
        except (CredentialTampered, MasterKeyUnavailable):
            return False
        sealed = rewrap(row, self._keyring, new_master)
        audit = self._entry(
            actor,
            row.user,
            row.broker,
            AuditAction.ROTATED,
            row,
            f"{row.key_id} -> {new_master.key_id}",
            key_id=new_master.key_id,
        )
        return True if await self._store.rewrap(row, sealed, audit) else None

    async def retire(self, key_id: str) -> None:
        """Drop ``key_id`` from the keyring once no stored row is wrapped under it.

        Raises
        ------
        MasterKeyError
            If rows still need it, or it is the current key.
        """
        count = (await self._store.count_by_key()).get(key_id, 0)
        if count:
            raise MasterKeyError(f"{count} credentials are still wrapped under {key_id}")
        self._keyring.retire(key_id)
