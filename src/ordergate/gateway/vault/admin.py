"""Operator commands for the credential vault: ``python -m ordergate.gateway.vault ...``.

| command | does |
|---|---|
| ``generate-key`` | print a new random master key (base64) |
| ``status`` | print the keyring's key ids and how many credentials each key wraps |
| ``rotate`` | re-wrap every data key under the keyring's current key |
| ``store BROKER --user U`` | store or replace U's credential for BROKER (JSON on stdin) |

``store`` reads ``{"api_key": ..., "api_secret": ..., "passphrase": ...}`` from standard
input, so a secret never appears in the shell history or in ``ps``; it is how the keys of a
broker named in the brokers file get into the vault before the server first starts.

Keys come from the environment exactly as the server reads them (see
:mod:`~ordergate.gateway.vault.keys`), never from the command line, where ``ps`` would show
them. Rotation without downtime:

1. ``generate-key``; restart the servers with it as ``ORDERGATE_MASTER_KEY`` and the old key
   in ``ORDERGATE_PREVIOUS_MASTER_KEYS``. New writes use the new key; old rows still read.
2. ``rotate`` with the same environment, while the servers run.
3. When ``status`` shows no row under the old key, drop it from the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

import msgspec

from ordergate.clock import LiveClock
from ordergate.gateway.vault.errors import CredentialExists, MasterKeyError, VaultError
from ordergate.gateway.vault.factory import open_credential_store
from ordergate.gateway.vault.keys import Keyring, MasterKey, load_keyring
from ordergate.gateway.vault.models import BrokerSecret
from ordergate.gateway.vault.vault import CredentialVault

__all__ = ["STORE_URL_ENV", "default_store_url", "main"]

STORE_URL_ENV = "ORDERGATE_CREDENTIAL_STORE_URL"


def _data_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("ORDERGATE_DATA_DIR", "data"))


def default_store_url(environ: Mapping[str, str]) -> str:
    """Return ``ORDERGATE_CREDENTIAL_STORE_URL``, else ``credentials.db`` in the data dir."""
    url = environ.get(STORE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{(_data_dir(environ) / 'credentials.db').resolve()}"


def _keyring(environ: Mapping[str, str], *, create: bool = False) -> Keyring:
    # Read the server's default key file if it exists. Only ``store`` may make one (the
    # server reads the same file when it starts); rotating to a key nobody else holds would
    # lock the servers out.
    default = _data_dir(environ) / "master.key"
    if create:
        default.parent.mkdir(parents=True, exist_ok=True)
        return load_keyring(environ, default)
    return load_keyring(environ, default if default.exists() else None)


async def _status(url: str, keyring: Keyring, out: TextIO) -> int:
    async with open_credential_store(url) as store:
        counts = await store.count_by_key()
    report = {"current": keyring.current.key_id, "keys": keyring.key_ids(), "rows": counts}
    out.write(msgspec.json.encode(report).decode() + "\n")
    return 0


async def _rotate(
    url: str, keyring: Keyring, batch_size: int, limit: int | None, out: TextIO
) -> int:
    async with open_credential_store(url) as store:
        vault = CredentialVault(store, keyring, LiveClock())
        report = await vault.rotate(keyring.current, batch_size=batch_size, limit=limit)
    out.write(msgspec.json.encode(report).decode() + "\n")
    return 1 if report.failed else 0


async def _store(
    url: str, keyring: Keyring, user: str, broker: str, secret: BrokerSecret, out: TextIO
) -> int:
    async with open_credential_store(url) as store:
        vault = CredentialVault(store, keyring, LiveClock())
        try:
            info = await vault.create(user, broker, secret, actor="operator")
        except CredentialExists:
            info = await vault.replace(user, broker, secret, actor="operator")
    report = {"user": info.user, "broker": info.broker, "fingerprint": info.fingerprint}
    out.write(msgspec.json.encode(report).decode() + "\n")
    return 0


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run one operator command; return the exit status (1 if rows failed to rotate, 2 on
    a configuration error)."""
    env = os.environ if environ is None else environ
    stdout = sys.stdout if out is None else out
    stdin = sys.stdin if stdin is None else stdin
    parser = argparse.ArgumentParser(prog="python -m ordergate.gateway.vault")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate-key", help="print a new random master key (base64)")
    status = commands.add_parser("status", help="show key ids and rows per key")
    rotate = commands.add_parser("rotate", help="re-wrap every data key under the current key")
    store_cmd = commands.add_parser("store", help="store a credential read as JSON from stdin")
    store_cmd.add_argument("broker", help="the broker's venue name")
    store_cmd.add_argument("--user", required=True, help="the vault user it belongs to")
    for sub in (status, rotate, store_cmd):
        sub.add_argument("--store", default=None, help=f"store URL (default: ${STORE_URL_ENV})")
    rotate.add_argument("--batch-size", type=int, default=100)
    rotate.add_argument("--limit", type=int, default=None, help="re-wrap at most this many")
    args = parser.parse_args(argv)
    if args.command == "generate-key":
        stdout.write(MasterKey.generate().to_base64() + "\n")
        return 0
    url = args.store or default_store_url(env)
    try:
        keyring = _keyring(env, create=args.command == "store")
    except MasterKeyError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    if args.command == "status":
        return asyncio.run(_status(url, keyring, stdout))
    if args.command == "store":
        try:
            secret = msgspec.json.decode(stdin.read(), type=BrokerSecret)
            return asyncio.run(_store(url, keyring, args.user, args.broker, secret, stdout))
        except (msgspec.ValidationError, msgspec.DecodeError, VaultError) as e:
            sys.stderr.write(f"error: {e}\n")
            return 2
    if args.batch_size < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--batch-size and --limit must be at least 1")
    return asyncio.run(_rotate(url, keyring, args.batch_size, args.limit, stdout))
