"""The tag=value message log: one message per line, after a UTC timestamp.

A line is ``YYYYMMDD-HH:MM:SS.ffffff : 8=FIX.4.4<SOH>9=...<SOH>10=123<SOH>``, the shape of
the common FIX engines' message logs. Fields are separated by SOH (byte-exact, the default)
or rendered as ``|`` for reading; the reader accepts both, and lines without a timestamp.
A ``|`` inside a value cannot be told from a separator: such a message reads back with a
wrong checksum, which :func:`frame_problems` reports. A value holding a newline (RawData)
splits its line; both halves are then reported as unreadable.

Everything here is pure except :func:`export_log`, which pages through a store.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ordergate.fix.codec import parse
from ordergate.fix.store.durable import LoggedMessage, MessageDatabase

__all__ = [
    "DecodedField",
    "LogEntry",
    "Namer",
    "decode_fields",
    "dictionary_namer",
    "export_log",
    "format_line",
    "format_timestamp",
    "frame_problems",
    "parse_timestamp",
    "read_log",
    "render",
]

SOH = b"\x01"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = re.compile(rb"^(\d{8})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")

#: Return a tag's name (or None when unknown).
Namer = Callable[[int], str | None]


def format_timestamp(ns: int) -> str:
    """Return ``YYYYMMDD-HH:MM:SS.ffffff`` (UTC, microseconds) for ns since the epoch."""
    moment = _EPOCH + timedelta(microseconds=ns // 1_000)
    return moment.strftime("%Y%m%d-%H:%M:%S.%f")


def parse_timestamp(text: bytes) -> int:
    """Return ns since the epoch of ``YYYYMMDD-HH:MM:SS[.f...]`` (UTC, up to 9 digits).

    Raises
    ------
    ValueError
        If ``text`` is not such a timestamp.
    """
    match = _TIMESTAMP.match(text)
    if match is None:
        raise ValueError(f"not a log timestamp: {text[:32]!r}")
    day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime.strptime(
            f"{day.decode()}{hour.decode()}{minute.decode()}{second.decode()}", "%Y%m%d%H%M%S"
        ).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not a log timestamp: {text[:32]!r}") from None
    whole = (moment - _EPOCH) // timedelta(seconds=1)
    ns = int((fraction or b"0").decode().ljust(9, "0"))
    return whole * 1_000_000_000 + ns


def render(raw: bytes, delimiter: bytes = b"|") -> str:
    """Return a frame as text with SOH shown as ``delimiter``."""
    return raw.replace(SOH, delimiter).decode("latin-1")


def format_line(ts_ns: int, raw: bytes, delimiter: bytes = SOH) -> bytes:
    """Return one log line (with its newline) for a message seen at ``ts_ns``."""
    body = raw if delimiter == SOH else raw.replace(SOH, delimiter)
    return b"%s : %s\n" % (format_timestamp(ts_ns).encode("ascii"), body)


async def export_log(
    database: MessageDatabase,
    session_id: str,
    *,
    delimiter: bytes = SOH,
    msg_type: str | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    page_size: int = 5_000,
) -> AsyncIterator[bytes]:
    """Yield the log lines of a session's audit log, oldest first, a page at a time."""
    after: int | None = None
    while True:
        page: list[LoggedMessage] = await database.messages(
            session_id,
            msg_type=msg_type,
            since_ns=since_ns,
            until_ns=until_ns,
            after_id=after,
            limit=page_size,
        )
        if page:
            yield b"".join(format_line(m.ts_ns, m.raw, delimiter) for m in page)
        if len(page) < page_size:
            return
        after = page[-1].id


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of a log: its number (from 1), timestamp (None when absent) and frame.

    ``error`` is set when the line holds no message (then ``raw`` is the line as read).
    """

    line: int
    ts_ns: int | None
    raw: bytes
    error: str | None = None


def read_log(lines: Iterable[bytes]) -> Iterator[LogEntry]:
    """Read log lines (SOH or ``|`` separated, timestamp optional); skip blank lines."""
    for number, line in enumerate(lines, 1):
        text = line.rstrip(b"\r\n")
        if not text.strip():
            continue
        ts_ns: int | None = None
        if not text.startswith(b"8="):
            stamp, sep, rest = text.partition(b" : ")
            try:
                ts_ns = parse_timestamp(stamp.strip())
            except ValueError:
                yield LogEntry(number, None, text, "no timestamp and message at line start")
                continue
            text = rest
            if not sep or not text.startswith(b"8="):
                yield LogEntry(number, ts_ns, text, "no message after the timestamp")
                continue
        if SOH not in text:
            text = text.replace(b"|", SOH)
        yield LogEntry(number, ts_ns, text)


def frame_problems(raw: bytes) -> list[str]:
    """Return what is wrong with a frame's framing: BodyLength(9), CheckSum(10), layout."""
    if not raw.startswith(b"8="):
        return ["does not start with BeginString(8)"]
    first = raw.find(SOH)
    if first < 0 or not raw.startswith(b"9=", first + 1):
        return ["BodyLength(9) is not the second field"]
    length_end = raw.find(SOH, first + 3)
    stated_length = raw[first + 3 : length_end] if length_end >= 0 else b""
    trailer = raw.rfind(b"\x0110=")
    if trailer < 0 or length_end < 0:
        return ["no CheckSum(10) field"]
    problems: list[str] = []
    body_end = trailer + 1
    body_length = body_end - (length_end + 1)
    if not stated_length.isdigit() or int(stated_length) != body_length:
        problems.append(
            f"BodyLength(9) is {stated_length.decode('latin-1')!r}, the body has {body_length}"
        )
    if not raw.endswith(SOH):
        problems.append("does not end with SOH")
    stated_sum = raw[body_end + 3 :].rstrip(SOH)
    computed = sum(raw[:body_end]) & 0xFF
    if not (stated_sum.isdigit() and len(stated_sum) == 3 and int(stated_sum) == computed):
        problems.append(
            f"CheckSum(10) is {stated_sum.decode('latin-1')!r}, computed {computed:03d}"
        )
    return problems


@dataclass(frozen=True, slots=True)
class DecodedField:
    """One field with its name from the dictionary (None when the tag is not in it)."""

    tag: int
    name: str | None
    value: str


def decode_fields(raw: bytes, namer: Namer) -> list[DecodedField]:
    """Return a frame's fields named by ``namer``.

    Raises
    ------
    FixParseError
        If a field is malformed.
    """
    return [
        DecodedField(tag, namer(tag), value.decode("latin-1")) for tag, value in parse(raw).fields
    ]


def _no_names(tag: int) -> str | None:
    return None


def dictionary_namer(begin_string: str) -> tuple[Namer, Callable[[str], str | None]]:
    """Return (field namer, message-type namer) from the dictionary of ``begin_string``.

    Versions without a dictionary name nothing (both return None).
    """
    from ordergate.fix.dictionary import load_dictionary

    try:
        dictionary = load_dictionary(begin_string)
    except (LookupError, ValueError):
        return _no_names, lambda msg_type: None
    return dictionary.field_name, dictionary.message_name
