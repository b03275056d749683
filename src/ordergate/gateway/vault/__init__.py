"""The credential vault: users' broker credentials, envelope-encrypted at rest and audited.

Wiring::

    keyring = load_keyring(os.environ, default_key_file=data_dir / "master.key")
    store = open_credential_store(f"sqlite:///{data_dir / 'credentials.db'}")
    await store.start()
    vault = CredentialVault(store, keyring, LiveClock())
    secret = await vault.use(user, "alpaca")  # for an adapter to log on with
"""

from ordergate.gateway.vault.envelope import fingerprint
from ordergate.gateway.vault.errors import (
    ConcurrentCredentialUpdate,
    CredentialExists,
    CredentialNotFound,
    CredentialTampered,
    InvalidCredential,
    MasterKeyError,
    MasterKeyUnavailable,
    VaultError,
)
from ordergate.gateway.vault.factory import open_credential_store
from ordergate.gateway.vault.keys import Keyring, MasterKey, load_keyring, write_key_file
from ordergate.gateway.vault.models import (
    AuditAction,
    AuditEntry,
    BrokerSecret,
    CheckResult,
    CredentialInfo,
    CredentialRow,
    CredentialStatus,
    Permission,
)
from ordergate.gateway.vault.store import CredentialStore
from ordergate.gateway.vault.vault import (
    DEFAULT_PERMISSIONS,
    CredentialChecker,
    CredentialVault,
    RotationReport,
)

__all__ = [
    "DEFAULT_PERMISSIONS",
    "AuditAction",
    "AuditEntry",
    "BrokerSecret",
    "CheckResult",
    "ConcurrentCredentialUpdate",
    "CredentialChecker",
    "CredentialExists",
    "CredentialInfo",
    "CredentialNotFound",
    "CredentialRow",
    "CredentialStatus",
    "CredentialStore",
    "CredentialTampered",
    "CredentialVault",
    "InvalidCredential",
    "Keyring",
    "MasterKey",
    "MasterKeyError",
    "MasterKeyUnavailable",
    "Permission",
    "RotationReport",
    "VaultError",
    "fingerprint",
    "load_keyring",
    "open_credential_store",
    "write_key_file",
]
