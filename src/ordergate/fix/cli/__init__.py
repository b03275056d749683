"""``ordergate fix ...`` subcommands: the acceptor (echo conformance mode), log replay/export."""

from __future__ import annotations

import argparse

__all__ = ["add_fix_commands"]


def add_fix_commands(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ordergate fix <command>`` to the top-level parser."""
    from ordergate.fix.cli import acceptor, logs

    fix = subcommands.add_parser("fix", help="FIX engine tools")
    commands = fix.add_subparsers(dest="fix_command", required=True)
    acceptor.add_parser(commands)
    logs.add_parser(commands)
