"""Throwaway servers for tests and bench scripts.

``start_postgres()`` runs ``initdb`` and ``pg_ctl`` on a fresh temporary directory, on a free
port bound to 127.0.0.1 with trust authentication, and removes everything on exit
(``pg_ctl stop -m immediate``: nothing in it is worth a clean shutdown). PostgreSQL refuses
to run as root, so when the effective uid is 0 the server runs as the ``postgres`` system
user (or ``nobody``) and the directory is handed over to that user.

``start_redis()`` and ``start_nats()`` (``nats-server -js``, its store in a temporary
directory) run their server on a free port bound to 127.0.0.1 and wait until it answers.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "NatsServer",
    "NatsUnavailableError",
    "PostgresServer",
    "PostgresUnavailableError",
    "find_nats_server",
    "find_postgres_bin",
    "start_nats",
    "start_postgres",
]


class PostgresUnavailableError(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server."""

    host: str
    port: int
    datadir: Path
    bindir: Path

    def url(self, database: str = "postgres") -> str:
        """Return the URL of ``database`` on this server."""
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create ``name`` and return its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"bad database name {name!r}")
        _run(
            [
                str(self.bindir / "createdb"),
                *("-h", self.host, "-p", str(self.port), "-U", "postgres", name),
            ]
        )
        return self.url(name)


def find_postgres_bin() -> Path | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or None.

    Look on PATH first, then in ``/usr/lib/postgresql/<version>/bin``, newest version first.
    """
    on_path = [shutil.which(name) for name in ("initdb", "pg_ctl", "createdb")]
    if all(on_path):
        return Path(os.path.realpath(str(on_path[0]))).parent
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(
            (p for p in root.iterdir() if p.name.replace(".", "").isdigit()),
            key=lambda p: [int(x) for x in p.name.split(".")],
            reverse=True,
        )
        for version in versions:
            bindir = version / "bin"
            if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
                return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(argv: list[str], *, as_user: str | None = None) -> None:
    if as_user is not None and shutil.which("runuser"):
        argv = ["runuser", "-u", as_user, "--", *argv]
    elif as_user is not None:
        argv = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--init-groups", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


def _unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailableError("running as root and no unprivileged user to run PostgreSQL")


@contextmanager
def start_postgres() -> Iterator[PostgresServer]:
    """Run a throwaway PostgreSQL server for the duration of the block.

    Raises
    ------
    PostgresUnavailableError
        If the server binaries cannot be found.
    """
    bindir = find_postgres_bin()
    if bindir is None:
        raise PostgresUnavailableError(
            "PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql"
        )
    user = _unprivileged_user()
    base = Path(tempfile.mkdtemp(prefix="ordergate-pg-"))
    datadir = base / "data"
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(base, entry.pw_uid, entry.pw_gid)
        _run(
            [
                str(bindir / "initdb"),
                *("-D", str(datadir), "-U", "postgres", "--auth=trust"),
                *("--encoding=UTF8", "--locale=C", "--no-sync"),
            ],
            as_user=user,
        )
        port = _start(bindir, base, datadir, user)
        try:
            yield PostgresServer("127.0.0.1", port, datadir, bindir)
        finally:
            _run(
                [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
                as_user=user,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start(bindir: Path, base: Path, datadir: Path, user: str | None) -> int:
    last: RuntimeError | None = None
    for _ in range(3):  # the free port can be taken between the probe and the start
        port = _free_port()
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=on"
        try:
            _run(
                [
                    str(bindir / "pg_ctl"),
                    *("-D", str(datadir), "-l", str(base / "server.log"), "-o", options),
                    *("-w", "-t", "60", "start"),
                ],
                as_user=user,
            )
        except RuntimeError as e:
            last = e
            time.sleep(0.2)
            continue
        return port
    assert last is not None
    raise last


class RedisUnavailableError(RuntimeError):
    """The ``redis-server`` binary is not installed."""


@dataclass(frozen=True)
class RedisServer:
    """A running throwaway Redis server."""

    host: str
    port: int
    datadir: Path

    def url(self, db: int = 0) -> str:
        """Return the URL of database ``db`` on this server."""
        return f"redis://{self.host}:{self.port}/{db}"


def find_redis_server() -> Path | None:
    """Return the ``redis-server`` binary (on PATH, else ``/usr/bin``), or None."""
    return _find_binary("redis-server", Path("/usr/bin/redis-server"))


@contextmanager
def start_redis() -> Iterator[RedisServer]:
    """Run a throwaway Redis server (no persistence) for the duration of the block.

    ``redis-server --port N --save '' --appendonly no`` on a free port bound to 127.0.0.1,
    in a fresh temporary directory that is removed afterwards.

    Raises
    ------
    RedisUnavailableError
        If the ``redis-server`` binary cannot be found.
    """
    binary = find_redis_server()
    if binary is None:
        raise RedisUnavailableError("redis-server not found on PATH or in /usr/bin")

    def argv(port: int, base: Path) -> list[str]:
        return [
            str(binary),
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", str(base), "--logfile", str(base / "redis.log"), "--daemonize", "no"),
        ]

    with _throwaway("redis", argv, _redis_answers, "redis.log") as (port, base):
        yield RedisServer("127.0.0.1", port, base)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class NatsUnavailableError(RuntimeError):
    """The ``nats-server`` binary is not installed."""


@dataclass(frozen=True)
class NatsServer:
    """A running throwaway nats-server with JetStream."""

    host: str
    port: int
    storedir: Path

    def url(self) -> str:
        """Return the server's URL."""
        return f"nats://{self.host}:{self.port}"


def find_nats_server() -> Path | None:
    """Return the ``nats-server`` binary (on PATH, else ``/usr/sbin``), or None."""
    return _find_binary("nats-server", Path("/usr/sbin/nats-server"))


@contextmanager
def start_nats() -> Iterator[NatsServer]:
    """Run a throwaway nats-server with JetStream for the duration of the block.

    ``nats-server -js -sd <tmpdir> -p N -a 127.0.0.1`` on a free port, with its store in a
    fresh temporary directory that is removed afterwards.

    Raises
    ------
    NatsUnavailableError
        If the ``nats-server`` binary cannot be found.
    """
    binary = find_nats_server()
    if binary is None:
        raise NatsUnavailableError("nats-server not found on PATH or in /usr/sbin")

    def argv(port: int, base: Path) -> list[str]:
        return [
            str(binary),
            *("-js", "-sd", str(base / "store"), "-p", str(port), "-a", "127.0.0.1"),
            *("-l", str(base / "nats.log")),
        ]

    with _throwaway("nats", argv, _nats_answers, "nats.log") as (port, base):
        yield NatsServer("127.0.0.1", port, base)


def _nats_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            return s.recv(4).startswith(b"INFO")
    except OSError:
        return False


def _find_binary(name: str, fallback: Path) -> Path | None:
    found = shutil.which(name)
    if found:
        return Path(found)
    return fallback if fallback.exists() else None


@contextmanager
def _throwaway(
    name: str,
    argv: Callable[[int, Path], list[str]],
    answers: Callable[[int], bool],
    log_name: str,
) -> Iterator[tuple[int, Path]]:
    # Start the server on a free port in a fresh temporary directory, wait until it answers,
    # yield (port, directory); stop it and remove the directory afterwards.
    base = Path(tempfile.mkdtemp(prefix=f"ordergate-{name}-"))
    try:
        process, port = _start_answering(name, argv, answers, base, base / log_name)
        try:
            yield port, base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start_answering(
    name: str,
    argv: Callable[[int, Path], list[str]],
    answers: Callable[[int], bool],
    base: Path,
    log: Path,
) -> tuple[subprocess.Popen[bytes], int]:
    last = "no attempt"
    for _ in range(3):  # the free port can be taken between the probe and the start
        port = _free_port()
        process = subprocess.Popen(
            argv(port, base),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if answers(port):
                return process, port
            time.sleep(0.02)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        last = log.read_text(errors="replace") if log.exists() else "no log"
    raise RuntimeError(f"{name} server did not start:\n{last}")
