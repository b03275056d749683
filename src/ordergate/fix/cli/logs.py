"""``ordergate fix export|replay``: write a session's message log, read one back decoded."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TextIO

from ordergate.fix.codec import FixParseError
from ordergate.fix.logfile import (
    Namer,
    decode_fields,
    dictionary_namer,
    export_log,
    format_timestamp,
    frame_problems,
    read_log,
)
from ordergate.fix.store.durable import tag_value
from ordergate.fix.store.factory import open_message_database, sqlite_path

__all__ = ["add_parser"]

_DELIMITERS = {"soh": b"\x01", "|": b"|"}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``export`` and ``replay`` subcommands."""
    export = commands.add_parser(
        "export",
        help="write a session's audit log as a tag=value message log",
        description="Write every logged message of a session, oldest first, one per line "
        "after its UTC timestamp. Exit status 2 when the store or session is unknown.",
    )
    export.add_argument("--store", required=True, help="sqlite:///path/fix.db or postgresql://")
    export.add_argument("--session", required=True, help="session id, e.g. FIX.4.4:ME->BROKER")
    export.add_argument("--out", help="output file (default: standard output)")
    export.add_argument(
        "--delimiter",
        default="soh",
        choices=["soh", "|"],
        help="field separator: SOH as on the wire (default) or '|'",
    )
    export.set_defaults(run=_run_export)

    replay = commands.add_parser(
        "replay",
        help="print a message log decoded with field names",
        description="Read a tag=value message log (SOH or '|' separated) and print each "
        "message with field names. Exit status 1 when a message has a wrong BodyLength or "
        "CheckSum or a line cannot be read, 2 when the file cannot be opened.",
    )
    replay.add_argument("file", help="the log file ('-' for standard input)")
    replay.add_argument(
        "--begin-string",
        help="decode with this version's dictionary (default: each message's BeginString)",
    )
    replay.add_argument("--msg-type", help="print only messages of this MsgType(35)")
    replay.set_defaults(run=_run_replay)


# -- export ------------------------------------------------------------------------------


def _run_export(args: argparse.Namespace) -> int:
    try:
        path = sqlite_path(args.store)
        if path is not None and not Path(path).is_file():
            print(f"error: no message store at {path}", file=sys.stderr)
            return 2
        delimiter = _DELIMITERS[args.delimiter]
        if args.out is None:
            return asyncio.run(_export(args.store, args.session, delimiter, sys.stdout.buffer))
        with open(args.out, "wb") as out:
            return asyncio.run(_export(args.store, args.session, delimiter, out))
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


async def _export(url: str, session_id: str, delimiter: bytes, out: BinaryIO) -> int:
    database = await open_message_database(url)
    try:
        sessions = await database.sessions()
        if session_id not in sessions:
            known = ", ".join(sessions) or "none"
            print(f"error: no session {session_id!r} (sessions: {known})", file=sys.stderr)
            return 2
        async for chunk in export_log(database, session_id, delimiter=delimiter):
            out.write(chunk)
        out.flush()
    finally:
        await database.close()
    return 0


# -- replay ------------------------------------------------------------------------------


def _run_replay(args: argparse.Namespace) -> int:
    if args.file == "-":
        return replay(sys.stdin.buffer, sys.stdout, args.begin_string, args.msg_type)
    try:
        source = open(args.file, "rb")  # noqa: SIM115 (closed below; errors reported first)
    except OSError as e:
        print(f"error: cannot read {args.file}: {e.strerror}", file=sys.stderr)
        return 2
    with source:
        return replay(source, sys.stdout, args.begin_string, args.msg_type)


def replay(source: BinaryIO, out: TextIO, begin_string: str | None, msg_type: str | None) -> int:
    """Print each message of a log decoded; return 1 if any was flagged, else 0."""
    namers: dict[str, tuple[Namer, Callable[[str], str | None]]] = {}
    flagged = 0
    shown = 0
    for entry in read_log(source):
        if entry.error is not None:
            flagged += 1
            print(f"line {entry.line}: unreadable: {entry.error}", file=out)
            continue
        raw = entry.raw
        this_type = (tag_value(raw, 35) or b"").decode("latin-1")
        if msg_type is not None and this_type != msg_type:
            continue
        shown += 1
        version = begin_string or (tag_value(raw, 8) or b"").decode("latin-1")
        if version not in namers:
            namers[version] = dictionary_namer(version)
        field_name, message_name = namers[version]
        stamp = format_timestamp(entry.ts_ns) if entry.ts_ns is not None else "-"
        name = message_name(this_type) or "?"
        print(f"line {entry.line}  {stamp}  {name} ({this_type})", file=out)
        problems = frame_problems(raw)
        try:
            fields = decode_fields(raw, field_name)
        except FixParseError as e:
            problems.append(str(e))
            fields = []
        for field in fields:
            print(f"  {field.tag:>5} {field.name or '?':<24} = {field.value}", file=out)
        for problem in problems:
            print(f"  ! {problem}", file=out)
        if problems:
            flagged += 1
    print(f"{shown} messages shown, {flagged} flagged", file=out)
    return 1 if flagged else 0
