"""``ordergate fix acceptor``: run a FIX acceptor (``--echo`` for conformance harnesses)."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``acceptor`` subcommand."""
    p = commands.add_parser("acceptor", help="run a FIX acceptor")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    raise SystemExit("not built yet")
