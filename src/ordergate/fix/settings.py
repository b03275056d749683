"""FIX sessions from a configuration file (TOML or JSON).

One file lists the sessions of a process. Each ``[[sessions]]`` table holds the fields of
:class:`~ordergate.fix.session.config.SessionConfig` plus where to connect or listen, the
message store and TLS::

    store = "sqlite:///data/fix.db"        # default store of every session

    [[sessions]]
    role = "acceptor"
    begin_string = "FIX.4.4"
    sender_comp_id = "OGATE"
    target_comp_id = "CLIENT1"
    host = "0.0.0.0"                        # listen address (default 127.0.0.1)
    port = 9876                             # acceptors on one host:port share the listener
    heartbeat_interval = 30
    reset_on_logon = false
    [sessions.tls]
    cert = "server.pem"                     # paths relative to this file
    key = "server.key"
    ca = "clients-ca.pem"                   # optional: require client certificates

    [[sessions]]
    role = "initiator"
    begin_string = "FIX.4.2"
    sender_comp_id = "OGATE"
    target_comp_id = "BROKER"
    endpoints = ["fix1.broker.example:9880", "fix2.broker.example:9880"]  # failover order
    store = "postgresql://fix@db/fix"
    [sessions.tls]
    ca = "broker-ca.pem"

JSON files have the same shape (``{"store": ..., "sessions": [{...}]}``).
"""

from __future__ import annotations

import json
import ssl
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.transport.tls import client_context, server_context

__all__ = [
    "SUPPORTED_BEGIN_STRINGS",
    "FixSettings",
    "SessionSettings",
    "SettingsError",
    "TlsSettings",
    "load_settings",
    "parse_settings",
]

SUPPORTED_BEGIN_STRINGS = frozenset({"FIX.4.2", "FIX.4.4"})

_CONFIG_FIELDS = frozenset(field.name for field in msgspec.structs.fields(SessionConfig))
_TRANSPORT_FIELDS = frozenset({"host", "port", "endpoints", "store", "tls"})


class SettingsError(ValueError):
    """A configuration file or value that cannot be used; the message says where and why."""


class TlsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """TLS of one session: ``cert``/``key`` we present, ``ca`` we verify the peer against."""

    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    server_hostname: str | None = None
    check_hostname: bool = True

    def context(self, role: Role) -> ssl.SSLContext:
        """Return the SSL context of a session in ``role``.

        Raises:
            SettingsError: an acceptor without cert and key, or a file that cannot be loaded.
        """
        try:
            if role is Role.ACCEPTOR:
                if self.cert is None or self.key is None:
                    raise SettingsError("tls of an acceptor needs cert and key")
                return server_context(self.cert, self.key, self.ca)
            return client_context(self.ca, self.cert, self.key, check_hostname=self.check_hostname)
        except (OSError, ssl.SSLError, ValueError) as e:
            if isinstance(e, SettingsError):
                raise
            raise SettingsError(f"tls: {e}") from e


class SessionSettings(msgspec.Struct, frozen=True, kw_only=True):
    """One configured session: the session itself plus where and how it connects."""

    config: SessionConfig
    host: str = "127.0.0.1"
    port: int | None = None
    endpoints: tuple[tuple[str, int], ...] = ()
    store: str | None = None
    tls: TlsSettings | None = None

    def ssl_context(self) -> ssl.SSLContext | None:
        """Return the session's SSL context, or None without TLS."""
        return self.tls.context(self.config.role) if self.tls is not None else None


class FixSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Every configured session, and the default store URL (None: in memory)."""

    sessions: tuple[SessionSettings, ...]
    store: str | None = None

    def initiators(self) -> list[SessionSettings]:
        """Return the initiator sessions."""
        return [s for s in self.sessions if s.config.role is Role.INITIATOR]

    def acceptor_groups(self) -> dict[tuple[str, int], list[SessionSettings]]:
        """Return the acceptor sessions grouped by the ``(host, port)`` they listen on.

        Raises:
            SettingsError: sessions on one listener with different TLS settings.
        """
        groups: dict[tuple[str, int], list[SessionSettings]] = {}
        for s in self.sessions:
            if s.config.role is Role.ACCEPTOR:
                assert s.port is not None
                groups.setdefault((s.host, s.port), []).append(s)
        for (host, port), group in groups.items():
            if len({s.tls for s in group}) > 1:
                raise SettingsError(f"sessions on {host}:{port} must share one tls setting")
        return groups

    def store_url(self, session: SessionSettings) -> str | None:
        """Return the store URL of ``session`` (its own, else the default)."""
        return session.store if session.store is not None else self.store


def load_settings(path: str | Path) -> FixSettings:
    """Read a ``.toml`` or ``.json`` settings file; relative TLS paths are from its folder.

    Raises:
        SettingsError: the file cannot be read, parsed or used.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SettingsError(f"{path}: {e.strerror or e}") from e
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise SettingsError(f"{path}: settings file must end in .toml or .json")
    try:
        return parse_settings(data, suffix[1:], base=path.parent)
    except SettingsError as e:
        raise SettingsError(f"{path}: {e}") from e


def parse_settings(data: bytes, fmt: str, *, base: Path | None = None) -> FixSettings:
    """Parse settings text in ``fmt`` (``"toml"`` or ``"json"``).

    Raises:
        SettingsError: the text does not parse or describes unusable sessions.
    """
    try:
        if fmt == "toml":
            raw: Any = tomllib.loads(data.decode("utf-8"))
        elif fmt == "json":
            raw = json.loads(data)
        else:
            raise SettingsError(f"unknown settings format {fmt!r} (toml or json)")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        raise SettingsError(f"does not parse: {e}") from e
    if not isinstance(raw, dict):
        raise SettingsError("top level must be a table/object")
    unknown = set(raw) - {"store", "sessions"}
    if unknown:
        raise SettingsError(f"unknown top-level keys: {', '.join(sorted(unknown))}")
    store = raw.get("store")
    if store is not None and not isinstance(store, str):
        raise SettingsError("store must be a URL string")
    items = raw.get("sessions")
    if not isinstance(items, list) or not items:
        raise SettingsError("sessions must be a non-empty list")
    sessions = tuple(_session(i, item, base) for i, item in enumerate(items))
    ids = [s.config.session_id for s in sessions]
    for session_id in ids:
        if ids.count(session_id) > 1:
            raise SettingsError(f"session {session_id} is configured twice")
    settings = FixSettings(sessions=sessions, store=store)
    settings.acceptor_groups()
    return settings


def _session(index: int, item: object, base: Path | None) -> SessionSettings:
    where = f"sessions[{index}]"
    if not isinstance(item, dict):
        raise SettingsError(f"{where}: must be a table/object")
    unknown = set(item) - _CONFIG_FIELDS - _TRANSPORT_FIELDS
    if unknown:
        raise SettingsError(f"{where}: unknown keys: {', '.join(sorted(unknown))}")
    try:
        config = msgspec.convert(
            {k: v for k, v in item.items() if k in _CONFIG_FIELDS}, SessionConfig
        )
        tls = item.get("tls")
        tls_settings = msgspec.convert(tls, TlsSettings) if tls is not None else None
        host = msgspec.convert(item.get("host", "127.0.0.1"), str)
        port = msgspec.convert(item.get("port"), int | None)
        endpoints_raw = msgspec.convert(item.get("endpoints", []), list[str])
        store = msgspec.convert(item.get("store"), str | None)
    except msgspec.ValidationError as e:
        raise SettingsError(f"{where}: {e}") from e
    where = f"{where} ({config.session_id})"
    if config.begin_string not in SUPPORTED_BEGIN_STRINGS:
        raise SettingsError(f"{where}: begin_string must be FIX.4.2 or FIX.4.4")
    if not config.sender_comp_id or not config.target_comp_id:
        raise SettingsError(f"{where}: sender_comp_id and target_comp_id must not be empty")
    if config.heartbeat_interval <= 0:
        raise SettingsError(f"{where}: heartbeat_interval must be positive")
    endpoints = tuple(_endpoint(where, text) for text in endpoints_raw)
    if config.role is Role.ACCEPTOR:
        if port is None or not 0 <= port <= 65535:
            raise SettingsError(f"{where}: an acceptor needs a port (0-65535)")
        if endpoints:
            raise SettingsError(f"{where}: endpoints are for initiators; use host and port")
    else:
        if port is not None:
            if not 1 <= port <= 65535:
                raise SettingsError(f"{where}: port must be 1-65535")
            endpoints = ((host, port), *endpoints)
        if not endpoints:
            raise SettingsError(f"{where}: an initiator needs endpoints (or host and port)")
    if tls_settings is not None and base is not None:
        tls_settings = _relative_to(tls_settings, base)
    if (
        tls_settings is not None
        and config.role is Role.ACCEPTOR
        and (tls_settings.cert is None or tls_settings.key is None)
    ):
        raise SettingsError(f"{where}: tls of an acceptor needs cert and key")
    return SessionSettings(
        config=config, host=host, port=port, endpoints=endpoints, store=store, tls=tls_settings
    )


def _endpoint(where: str, text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SettingsError(f"{where}: endpoint {text!r} is not host:port")
    return host.strip("[]"), int(port)


def _relative_to(tls: TlsSettings, base: Path) -> TlsSettings:
    def resolve(value: str | None) -> str | None:
        return str(base / value) if value is not None else None

    return msgspec.structs.replace(
        tls, cert=resolve(tls.cert), key=resolve(tls.key), ca=resolve(tls.ca)
    )
