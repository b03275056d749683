"""``ordergate fix acceptor``: run a FIX acceptor (``--echo`` for conformance harnesses).

One session from the command line (``--begin-string``, ``--sender``, ``--target``) and/or
every acceptor session of a settings file (``--config``, format in
:mod:`ordergate.fix.settings`): each session validates inbound messages with its configured
dictionary and keeps its own store URL, ``--store`` replacing the file's default store.
With ``--echo`` each application message is sent back as received (same MsgType and body,
new header), the convention independent FIX test harnesses rely on. Logs go to stderr,
including the line ``fix acceptor listening ... port=N`` (useful with ``--port 0``). Ctrl-C
or SIGTERM logs every session out and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.settings import (
    SUPPORTED_BEGIN_STRINGS,
    FixSettings,
    SessionSettings,
    SettingsError,
    load_settings,
)

__all__ = ["add_parser", "build_settings"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``acceptor`` subcommand."""
    p = commands.add_parser(
        "acceptor",
        help="run a FIX acceptor",
        description="Run a FIX acceptor for the sessions given on the command line and/or in "
        "a settings file.",
    )
    p.add_argument("--echo", action="store_true", help="send every application message back")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (0: a free port, logged at start)")
    p.add_argument("--begin-string", default="FIX.4.4", choices=sorted(SUPPORTED_BEGIN_STRINGS))
    p.add_argument("--sender", help="our SenderCompID(49)")
    p.add_argument("--target", help="the counterparty's CompID: our TargetCompID(56)")
    p.add_argument("--heartbeat", type=int, default=30, help="HeartBtInt(108) seconds")
    p.add_argument("--reset-on-logon", action="store_true", help="ResetOnLogon")
    p.add_argument("--config", help="settings file (.toml or .json) with acceptor sessions")
    p.add_argument("--store", help="message store URL (sqlite:///path, postgresql://...)")
    p.set_defaults(run=_run)


def build_settings(args: argparse.Namespace) -> FixSettings:
    """Return the settings the arguments describe.

    Raises:
        SettingsError: incomplete or conflicting arguments, or a bad settings file.
    """
    sessions: list[SessionSettings] = []
    store = args.store
    if args.config is not None:
        loaded = load_settings(args.config)
        sessions.extend(s for s in loaded.sessions if s.config.role is Role.ACCEPTOR)
        if store is None:
            store = loaded.store
        if not sessions:
            raise SettingsError(f"{args.config}: no acceptor sessions")
    if args.sender is not None or args.target is not None:
        if not args.sender or not args.target:
            raise SettingsError("--sender and --target go together")
        if args.port is None or not 0 <= args.port <= 65535:
            raise SettingsError("--port (0-65535) is required with --sender/--target")
        if args.heartbeat <= 0:
            raise SettingsError("--heartbeat must be positive")
        config = SessionConfig(
            begin_string=args.begin_string,
            sender_comp_id=args.sender,
            target_comp_id=args.target,
            role=Role.ACCEPTOR,
            heartbeat_interval=args.heartbeat,
            reset_on_logon=args.reset_on_logon,
        )
        sessions.append(SessionSettings(config=config, host=args.host, port=args.port))
    if not sessions:
        raise SettingsError("give --sender/--target/--port or --config")
    return FixSettings(sessions=tuple(sessions), store=store)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = build_settings(args)
        settings.acceptor_groups()
    except SettingsError as e:
        print(f"ordergate fix acceptor: {e}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(settings, echo=args.echo))
    except KeyboardInterrupt:
        return 0


async def _serve(settings: FixSettings, *, echo: bool) -> int:
    from ordergate.fix.transport import (
        EchoApplication,
        FixAcceptor,
        FixApplication,
        NullApplication,
        build_acceptors,
    )

    application: FixApplication = EchoApplication() if echo else NullApplication()
    try:
        acceptors: list[FixAcceptor] = build_acceptors(settings, application)
    except SettingsError as e:
        print(f"ordergate fix acceptor: {e}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        for acceptor in acceptors:
            try:
                await acceptor.start()
            except (OSError, ValueError) as e:
                print(f"ordergate fix acceptor: cannot start: {e}", file=sys.stderr)
                return 1
        await stop.wait()
    finally:
        for acceptor in acceptors:
            await acceptor.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
