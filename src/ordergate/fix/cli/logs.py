"""``ordergate fix replay|export``: read and export FIX message logs."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``logs`` subcommand."""
    p = commands.add_parser("logs", help="replay or export a FIX message log")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    raise SystemExit("not built yet")
