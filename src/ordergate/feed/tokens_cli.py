"""Operator commands for feed access tokens: ``python -m ordergate.feed.tokens_cli ...``.

| command | does |
|---|---|
| ``add NAME --accounts A,B`` | make a token that sees accounts A and B; print it, once |
| ``add NAME --all`` | make a token that sees every account; print it, once |
| ``list`` | print every token's name, accounts, creation and revocation (never a token) |
| ``revoke NAME`` | revoke a token for good (its name is not reused) |

The store is ``ORDERGATE_FEED_STORE_URL``, else ``feed.db`` in ``ORDERGATE_DATA_DIR`` (or
``--store URL``), as the server reads it. ``add`` writes only the token to standard
output, so ``TOKEN=$(python -m ordergate.feed.tokens_cli add desk --all)`` keeps it out of
the terminal; the store holds its hash only, so a lost token is revoked and replaced.

Exit status: 0 done, 1 refused (name taken, unknown name), 2 bad arguments or store URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import msgspec

from ordergate.feed.store import (
    FeedStore,
    InvalidFeedName,
    TokenExists,
    TokenInfo,
    TokenNotFound,
    open_feed_store,
)

__all__ = ["STORE_URL_ENV", "default_store_url", "main"]

STORE_URL_ENV = "ORDERGATE_FEED_STORE_URL"


def _data_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("ORDERGATE_DATA_DIR", "data"))


def default_store_url(environ: Mapping[str, str]) -> str:
    """Return ``ORDERGATE_FEED_STORE_URL``, else ``feed.db`` in the data directory."""
    url = environ.get(STORE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{(_data_dir(environ) / 'feed.db').resolve()}"


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    moment = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC)
    moment = moment.replace(microsecond=(ns // 1_000) % 1_000_000)
    return moment.isoformat().replace("+00:00", "Z")


def _info_json(info: TokenInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "accounts": None if info.accounts is None else sorted(info.accounts),
        "created_at": _iso(info.created_ns),
        "revoked_at": _iso(info.revoked_ns),
    }


def _accounts(raw: str) -> list[str]:
    return [a.strip() for a in raw.split(",")]


async def _run(store: FeedStore, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    async with store:
        try:
            if args.command == "add":
                accounts = None if args.all else _accounts(args.accounts)
                token = await store.create_token(args.name, accounts)
                out.write(token + "\n")
                err.write(f"token {args.name!r} made; it is shown this once, keep it safe\n")
            elif args.command == "list":
                items = [_info_json(i) for i in await store.tokens()]
                out.write(msgspec.json.encode({"items": items}).decode() + "\n")
            else:
                info = await store.revoke_token(args.name)
                out.write(msgspec.json.encode(_info_json(info)).decode() + "\n")
        except InvalidFeedName as e:
            err.write(f"error: {e.field}: {e.message}\n")
            return 2
        except (TokenExists, TokenNotFound) as e:
            err.write(f"error: {e}\n")
            return 1
    return 0


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one token command; return the exit status (see the module docstring)."""
    env = os.environ if environ is None else environ
    stdout = sys.stdout if out is None else out
    stderr = sys.stderr if err is None else err
    parser = argparse.ArgumentParser(prog="python -m ordergate.feed.tokens_cli")
    parser.add_argument("--store", default=None, help=f"store URL (default: ${STORE_URL_ENV})")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="make a token and print it, once")
    add.add_argument("name", help="the token's name (its principal's name)")
    scope = add.add_mutually_exclusive_group(required=True)
    scope.add_argument("--accounts", help="the accounts it may see, comma-separated")
    scope.add_argument("--all", action="store_true", help="it may see every account")
    commands.add_parser("list", help="list tokens (never their text)")
    revoke = commands.add_parser("revoke", help="revoke a token for good")
    revoke.add_argument("name")
    args = parser.parse_args(argv)
    url = args.store or default_store_url(env)
    try:
        store = open_feed_store(url)
    except ValueError as e:
        stderr.write(f"error: {e}\n")
        return 2
    if args.store is None and not env.get(STORE_URL_ENV, "").strip():
        _data_dir(env).mkdir(parents=True, exist_ok=True)  # the server's default location
    return asyncio.run(_run(store, args, stdout, stderr))


if __name__ == "__main__":
    sys.exit(main())
