"""Master keys and the keyring that holds them.

A master key is 32 random bytes (AES-256). It only ever wraps data keys; it never encrypts
a secret itself. Its id is derived from the key (an HMAC of a fixed label under the key), so
the same key has the same id in every process and the id reveals nothing of the key.

Where the key comes from:

| source | variable | format |
|---|---|---|
| environment | ``ORDERGATE_MASTER_KEY`` | base64 of 32 bytes (``openssl rand -base64 32``) |
| key file | ``ORDERGATE_MASTER_KEY_FILE`` | one base64 key per line, the first is current |
| earlier keys (rotation) | ``ORDERGATE_PREVIOUS_MASTER_KEYS`` | base64 keys, comma-separated |
| neither set | the ``default_key_file`` given to :func:`load_keyring` | created on first use |

A key file must not be readable by group or others. Keys that are the wrong length, not
base64, or visibly not random (few distinct bytes, all printable text: a password rather
than a key) are refused; for 32 random bytes either test fails with odds below 1e-13.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from ordergate.gateway.vault.errors import MasterKeyError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "PREVIOUS_KEYS_ENV",
    "Keyring",
    "MasterKey",
    "load_keyring",
    "write_key_file",
]

KEY_ENV = "ORDERGATE_MASTER_KEY"
KEY_FILE_ENV = "ORDERGATE_MASTER_KEY_FILE"
PREVIOUS_KEYS_ENV = "ORDERGATE_PREVIOUS_MASTER_KEYS"
KEY_BYTES = 32
_MIN_DISTINCT_BYTES = 16
_ID_LABEL = b"ordergate master key id v1"
_HOW = "generate one with: openssl rand -base64 32"


class MasterKey:
    """One AES-256 master key and its id.

    Parameters
    ----------
    key
        Exactly 32 bytes from a cryptographic random source.

    Raises
    ------
    MasterKeyError
        If ``key`` is not 32 bytes or does not look random.
    """

    __slots__ = ("_key", "key_id")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise MasterKeyError(f"a master key is {KEY_BYTES} bytes, not {len(key)}; {_HOW}")
        if len(set(key)) < _MIN_DISTINCT_BYTES:
            raise MasterKeyError(f"the master key has too few distinct bytes to be random; {_HOW}")
        if all(0x20 <= b < 0x7F for b in key):
            raise MasterKeyError(f"the master key is printable text, not random bytes; {_HOW}")
        self._key = key
        digest = hmac.new(key, _ID_LABEL, hashlib.sha256).hexdigest()
        self.key_id = f"mk-{digest[:16]}"

    @classmethod
    def generate(cls) -> MasterKey:
        """Return a new random master key (from ``os.urandom``)."""
        while True:  # the checks refuse about one random key in 1e13: draw again then
            try:
                return cls(os.urandom(KEY_BYTES))
            except MasterKeyError:  # pragma: no cover - astronomically rare
                continue

    @classmethod
    def from_base64(cls, text: str, *, source: str = "the master key") -> MasterKey:
        """Return the key encoded as standard base64 in ``text`` (white space around is ignored).

        Raises
        ------
        MasterKeyError
            If ``text`` is not base64 of 32 bytes, or the key is weak.
        """
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyError(f"{source} is not valid base64; {_HOW}") from None
        try:
            return cls(raw)
        except MasterKeyError as e:
            raise MasterKeyError(f"{source}: {e}") from None

    def to_base64(self) -> str:
        """Return the key as base64, for writing a key file. Treat the result as secret."""
        return base64.b64encode(self._key).decode()

    @property
    def material(self) -> bytes:
        """Return the raw key bytes, for the envelope code only."""
        return self._key

    def __repr__(self) -> str:
        return f"MasterKey({self.key_id})"


class Keyring:
    """The master keys a process knows: one current (for new wraps) and any earlier ones.

    Parameters
    ----------
    current
        The key new data keys are wrapped under.
    previous
        Earlier keys, still needed to unwrap rows not yet re-wrapped.
    """

    def __init__(self, current: MasterKey, previous: Iterable[MasterKey] = ()) -> None:
        self._keys: dict[str, MasterKey] = {k.key_id: k for k in previous}
        self._keys[current.key_id] = current
        self._current = current

    @property
    def current(self) -> MasterKey:
        """Return the key new data keys are wrapped under."""
        return self._current

    def get(self, key_id: str) -> MasterKey | None:
        """Return the key with id ``key_id``, or None if this keyring does not hold it."""
        return self._keys.get(key_id)

    def key_ids(self) -> list[str]:
        """Return the ids of every key held, the current one first."""
        return [self._current.key_id, *(k for k in self._keys if k != self._current.key_id)]

    def promote(self, key: MasterKey) -> None:
        """Make ``key`` current, keeping every earlier key for reads."""
        self._keys[key.key_id] = key
        self._current = key

    def retire(self, key_id: str) -> None:
        """Forget the key ``key_id``.

        Raises
        ------
        MasterKeyError
            If it is the current key.
        """
        if key_id == self._current.key_id:
            raise MasterKeyError("the current master key cannot be retired; promote another")
        self._keys.pop(key_id, None)


def write_key_file(path: Path, key: MasterKey) -> None:
    """Create ``path`` holding ``key``, readable by its owner only.

    Raises
    ------
    FileExistsError
        If ``path`` exists: a key file is never overwritten.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.to_base64() + "\n")
        f.flush()
        os.fsync(f.fileno())


def _read_key_file(path: Path) -> list[MasterKey]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise MasterKeyError(f"the master key file {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MasterKeyError(
            f"the master key file {path} is accessible to group or others; chmod 600 it"
        )
    lines = [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise MasterKeyError(f"the master key file {path} holds no key; {_HOW}")
    return [
        MasterKey.from_base64(line, source=f"line {n} of {path}")
        for n, line in enumerate(lines, start=1)
    ]


def load_keyring(environ: Mapping[str, str], default_key_file: Path | None = None) -> Keyring:
    """Return the keyring configured by ``environ`` (see the module docstring).

    Parameters
    ----------
    environ
        Usually ``os.environ``.
    default_key_file
        Used when neither variable is set: read, or created with a new random key (0600)
        when missing. Without it, a missing configuration is an error.

    Raises
    ------
    MasterKeyError
        If no key is configured, both sources are set, or any key is malformed or weak.
    """
    text = environ.get(KEY_ENV, "").strip()
    file = environ.get(KEY_FILE_ENV, "").strip()
    if text and file:
        raise MasterKeyError(f"set {KEY_ENV} or {KEY_FILE_ENV}, not both")
    previous = [
        MasterKey.from_base64(part, source=f"{PREVIOUS_KEYS_ENV} entry {n}")
        for n, part in enumerate(environ.get(PREVIOUS_KEYS_ENV, "").split(","), start=1)
        if part.strip()
    ]
    if text:
        keys = [MasterKey.from_base64(text, source=KEY_ENV)]
    elif file:
        keys = _read_key_file(Path(file))
    elif default_key_file is not None:
        if not default_key_file.exists():
            default_key_file.parent.mkdir(parents=True, exist_ok=True)
            write_key_file(default_key_file, MasterKey.generate())
        keys = _read_key_file(default_key_file)
    else:
        raise MasterKeyError(f"no master key: set {KEY_ENV} or {KEY_FILE_ENV}; {_HOW}")
    return Keyring(keys[0], [*keys[1:], *previous])
