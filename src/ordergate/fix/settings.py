"""FIX sessions from a configuration file (TOML or JSON).

One file lists the sessions of a process: a default ``store`` and one ``[[sessions]]`` table
per session (``examples/fix-acceptor.toml`` is a commented example). Build the acceptors and
initiators it describes with :func:`~ordergate.fix.transport.build_acceptors` and
:func:`~ordergate.fix.transport.build_initiators`, or serve its acceptor sessions with
``ordergate fix acceptor --config FILE``. Relative paths are from the file's folder.

Top level:

=====================  ==========================================================
``store``              default message store URL (``sqlite:///path/fix.db``,
                       ``sqlite:relative.db``, ``postgresql://...``); in memory if
                       absent. Sessions with one URL share one database.
``sessions``           the sessions (at least one).
=====================  ==========================================================

``[[sessions]]`` (the fields of :class:`~ordergate.fix.session.config.SessionConfig`, then
the transport's):

===========================  =====================================================
``role``                     ``"acceptor"`` or ``"initiator"`` (required).
``begin_string``             ``"FIX.4.2"`` or ``"FIX.4.4"`` (required).
``sender_comp_id``           our CompID (required).
``target_comp_id``           the counterparty's CompID (required).
``heartbeat_interval``       HeartBtInt(108) seconds (default 30).
``reset_on_logon``           reset sequence numbers at Logon (default false).
``reset_on_logout``          ... at Logout (default false).
``reset_on_disconnect``      ... when the connection drops (default false).
``sending_time_tolerance``   seconds SendingTime(52) may be off (default 120).
``logon_timeout``            seconds to wait for the Logon answer (default 10).
``logout_timeout``           seconds to wait for the Logout answer (default 2).
``resend_chunk_size``        messages per ResendRequest(2) (default 0: all).
``username``                 Username(553): initiator sends it in its Logon,
                             acceptor requires it in the peer's (FIX 4.4).
``password``                 Password(554), likewise.
``validate``                 validate inbound messages (default true).
``host``                     acceptor: listen address; initiator: with ``port``, the
                             first endpoint (default ``127.0.0.1``).
``port``                     acceptor: listen port, 0 for a free one (required);
                             acceptors on one ``host:port`` share the listener.
``endpoints``                initiator: ``["host:port", ...]``, tried in order.
``store``                    this session's store URL (default: the top-level one).
``dictionary``               the counterparty's QuickFIX-format XML dictionary (its
                             ``<fix major minor>`` must match ``begin_string`` and it
                             must define the session messages).
``[sessions.tls]``           ``cert``, ``key`` (our certificate; an acceptor needs
                             both), ``ca`` (verify the peer against it; an acceptor
                             then requires client certificates), ``server_hostname``,
                             ``check_hostname`` (initiator; default true). Acceptors
                             on one listener need the same TLS table.
``[sessions.schedule]``      when the session may be logged on (absent: always), see
                             :mod:`ordergate.fix.schedule`: ``start_time`` and
                             ``end_time`` (``"HH:MM:SS"``, required; a daily period
                             whose end is not after its start ends the next day,
                             equal times make a 24-hour session), ``timezone`` (IANA
                             name, default ``"UTC"``); daily: ``days``, the weekdays a
                             period may start on (``["mon", "tue"]`` or full names;
                             default every day); weekly: ``start_day`` and
                             ``end_day`` instead. Outside a period an acceptor refuses
                             the Logon and an initiator does not connect; a live
                             connection is logged out at the period's end; sequence
                             numbers are reset when a period starts.
``[sessions.extensions]``    additions to the session's dictionary (the standard one,
                             or ``dictionary``), decoded into
                             :class:`~ordergate.fix.dictionary.DictionaryExtensions`:
                             ``[[sessions.extensions.fields]]`` with ``tag``, ``name``,
                             ``type`` (default STRING), ``enums``;
                             ``[sessions.extensions.message_fields]`` MsgType ->
                             list of extra optional tags;
                             ``[[sessions.extensions.groups]]`` with ``count_tag``,
                             ``members`` (delimiter first), ``msg_types``.
===========================  =====================================================

Inbound messages are validated with the session's dictionary: a tag it does not define is
rejected with Reject(3). Every problem found while loading raises :class:`SettingsError`
naming the file, the session (``sessions[i] (BeginString:Sender->Target)``) and the key.
A minimal file::

    store = "sqlite:///data/fix.db"

    [[sessions]]
    role = "acceptor"
    begin_string = "FIX.4.4"
    sender_comp_id = "OGATE"
    target_comp_id = "CLIENT1"
    port = 9876

    [[sessions]]
    role = "initiator"
    begin_string = "FIX.4.2"
    sender_comp_id = "OGATE"
    target_comp_id = "BROKER"
    endpoints = ["fix1.broker.example:9880", "fix2.broker.example:9880"]
    dictionary = "FIX42-broker.xml"
    [sessions.tls]
    ca = "broker-ca.pem"
    [sessions.schedule]             # Sunday 17:00 to Friday 17:00, New York time
    start_day = "sunday"
    start_time = "17:00:00"
    end_day = "friday"
    end_time = "17:00:00"
    timezone = "America/New_York"

JSON files have the same shape (``{"store": ..., "sessions": [{...}]}``).
"""

from __future__ import annotations

import json
import re
import ssl
import tomllib
from datetime import time
from pathlib import Path
from typing import Any

import msgspec

from ordergate.fix.dictionary import (
    Dictionary,
    DictionaryError,
    DictionaryExtensions,
    SpecError,
    load_dictionary,
    load_dictionary_xml,
)
from ordergate.fix.schedule import SessionSchedule, Weekday
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

#: Heartbeat, TestRequest, ResendRequest, Reject, SequenceReset, Logout, Logon.
_SESSION_MESSAGES = frozenset({"0", "1", "2", "3", "4", "5", "A"})
#: SessionConfig fields read as they are (``schedule`` is read by :func:`_schedule`).
_CONFIG_FIELDS = frozenset(
    field.name for field in msgspec.structs.fields(SessionConfig) if field.name != "schedule"
)
_SCHEDULE_KEYS = frozenset({"start_time", "end_time", "start_day", "end_day", "days", "timezone"})
_WALL_TIME = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")
_TRANSPORT_FIELDS = frozenset(
    {"host", "port", "endpoints", "store", "tls", "dictionary", "extensions", "schedule"}
)


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
    """One configured session: the session itself plus where and how it connects.

    ``dictionary_file`` and ``extensions`` are the counterparty's dictionary as configured;
    ``dictionary`` is the one built from them when the file was loaded (None: the standard
    dictionary of the version, see :meth:`session_dictionary`).
    """

    config: SessionConfig
    host: str = "127.0.0.1"
    port: int | None = None
    endpoints: tuple[tuple[str, int], ...] = ()
    store: str | None = None
    tls: TlsSettings | None = None
    dictionary_file: str | None = None
    extensions: DictionaryExtensions | None = None
    dictionary: Dictionary | None = None

    def ssl_context(self) -> ssl.SSLContext | None:
        """Return the session's SSL context, or None without TLS."""
        return self.tls.context(self.config.role) if self.tls is not None else None

    def session_dictionary(self) -> Dictionary:
        """Return the dictionary that validates the session's inbound messages."""
        if self.dictionary is not None:
            return self.dictionary
        return load_dictionary(self.config.begin_string)


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
        dictionary_file = msgspec.convert(item.get("dictionary"), str | None)
    except msgspec.ValidationError as e:
        raise SettingsError(f"{where}: {e}") from e
    where = f"{where} ({config.session_id})"
    schedule = _schedule(where, item.get("schedule"))
    if schedule is not None:
        config = msgspec.structs.replace(config, schedule=schedule)
    extensions = _extensions(where, item.get("extensions"))
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
    if dictionary_file is not None and base is not None:
        dictionary_file = str(base / dictionary_file)
    return SessionSettings(
        config=config,
        host=host,
        port=port,
        endpoints=endpoints,
        store=store,
        tls=tls_settings,
        dictionary_file=dictionary_file,
        extensions=extensions,
        dictionary=_dictionary(where, config.begin_string, dictionary_file, extensions),
    )


def _schedule(where: str, raw: object) -> SessionSchedule | None:
    if raw is None:
        return None
    where = f"{where}: schedule"
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: must be a table/object")
    unknown = set(raw) - _SCHEDULE_KEYS
    if unknown:
        raise SettingsError(f"{where}: unknown keys: {', '.join(sorted(unknown))}")
    for key in ("start_time", "end_time"):
        if key not in raw:
            raise SettingsError(f"{where}: {key} is required")
    days = raw.get("days", [])
    if not isinstance(days, list):
        raise SettingsError(f"{where}: days must be a list of day names")
    timezone = raw.get("timezone", "UTC")
    if not isinstance(timezone, str):
        raise SettingsError(f"{where}: timezone must be a time zone name")
    try:
        return SessionSchedule(
            start_time=_wall_time(raw["start_time"], "start_time"),
            end_time=_wall_time(raw["end_time"], "end_time"),
            start_day=_day(raw.get("start_day"), "start_day"),
            end_day=_day(raw.get("end_day"), "end_day"),
            days=tuple(_weekday(day, "days") for day in days),
            timezone=timezone,
        )
    except ValueError as e:
        raise SettingsError(f"{where}: {e}") from e


def _wall_time(value: object, key: str) -> time:
    """Read ``"HH:MM[:SS[.ffffff]]"`` (or a TOML local time)."""
    if isinstance(value, time):
        return value
    if isinstance(value, str) and _WALL_TIME.fullmatch(value):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{key} {value!r} is not a time of day (HH:MM:SS)")


def _day(value: object, key: str) -> Weekday | None:
    return None if value is None else _weekday(value, key)


def _weekday(value: object, key: str) -> Weekday:
    if not isinstance(value, str):
        raise ValueError(f"{key}: {value!r} is not a day name")
    try:
        return Weekday.parse(value)
    except ValueError as e:
        raise ValueError(f"{key}: {e}") from None


def _extensions(where: str, raw: object) -> DictionaryExtensions | None:
    if raw is None:
        return None
    message_fields = raw.get("message_fields") if isinstance(raw, dict) else None
    if isinstance(message_fields, dict):
        # msgspec reports a bad value of a mapping without its key: say which MsgType.
        for msg_type, tags in message_fields.items():
            try:
                msgspec.convert(tags, list[int])
            except msgspec.ValidationError as e:
                raise SettingsError(f"{where}: extensions: message_fields.{msg_type}: {e}") from e
    try:
        return msgspec.convert(raw, DictionaryExtensions)
    except msgspec.ValidationError as e:
        raise SettingsError(f"{where}: extensions: {e}") from e


def _dictionary(
    where: str, begin_string: str, path: str | None, extensions: DictionaryExtensions | None
) -> Dictionary | None:
    """Build the session's dictionary now, so a bad one stops the load, not a logon."""
    if path is None:
        try:
            return load_dictionary(begin_string, extensions) if extensions is not None else None
        except DictionaryError as e:
            raise SettingsError(f"{where}: extensions: {e}") from e
    try:
        dictionary = load_dictionary_xml(path, extensions)
    except OSError as e:
        raise SettingsError(f"{where}: dictionary {path}: {e.strerror or e}") from e
    except SpecError as e:
        raise SettingsError(f"{where}: dictionary {path}: {e}") from e
    except DictionaryError as e:
        raise SettingsError(f"{where}: extensions: {e}") from e
    if dictionary.begin_string != begin_string:
        raise SettingsError(
            f"{where}: dictionary {path} is {dictionary.begin_string}, not {begin_string}"
        )
    missing = sorted(_SESSION_MESSAGES - set(dictionary.message_types()))
    if missing:
        raise SettingsError(
            f"{where}: dictionary {path} lacks session messages (MsgType {', '.join(missing)})"
        )
    return dictionary


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
