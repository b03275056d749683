"""UTCTimestamp text of SendingTime(52) and OrigSendingTime(122), from and to epoch nanoseconds.

We always write millisecond precision (``YYYYMMDD-HH:MM:SS.sss``); we read whole seconds and
fractions of 3, 6 or 9 digits, the precisions FIX 4.2 and 4.4 counterparties use.

Both directions remember the last whole second they handled: consecutive messages nearly
always fall in the same second, so only the fraction is formatted or parsed per message.
The memo is one immutable tuple swapped as a whole, so the functions stay pure in effect
and safe to call from any thread.
"""

from __future__ import annotations

import calendar
import time

__all__ = ["format_utc_timestamp", "parse_utc_timestamp"]

_NS_PER_SECOND = 1_000_000_000
_FRACTION_SCALE = {3: 1_000_000, 6: 1_000, 9: 1}
_DOT = 46  # b"."

# (epoch second, its "YYYYMMDD-HH:MM:SS" text) of the last formatted time.
_formatted: tuple[int, bytes] = (-1, b"")
# ("YYYYMMDD-HH:MM:SS" text, its epoch second in ns) of the last parsed valid timestamp.
_parsed: tuple[bytes, int] = (b"", 0)


def format_utc_timestamp(now: int) -> bytes:
    """Return ``now`` (ns since the epoch) as ``YYYYMMDD-HH:MM:SS.sss`` in UTC."""
    global _formatted
    seconds, nanos = divmod(now, _NS_PER_SECOND)
    cached_second, text = _formatted
    if cached_second != seconds:
        t = time.gmtime(seconds)
        text = b"%04d%02d%02d-%02d:%02d:%02d" % (
            t.tm_year,
            t.tm_mon,
            t.tm_mday,
            t.tm_hour,
            t.tm_min,
            t.tm_sec,
        )
        _formatted = (seconds, text)
    return b"%s.%03d" % (text, nanos // 1_000_000)


def parse_utc_timestamp(value: bytes) -> int | None:
    """Return a UTCTimestamp as ns since the epoch, or None when it is not one."""
    prefix, cached_ns = _parsed
    epoch_ns = cached_ns if prefix and value.startswith(prefix) else _parse_whole_second(value)
    if epoch_ns is None:
        return None
    if len(value) == 17:
        return epoch_ns
    fraction = value[18:]
    scale = _FRACTION_SCALE.get(len(fraction))
    if value[17] != _DOT or scale is None or not fraction.isdigit():
        return None
    return epoch_ns + int(fraction) * scale


def _parse_whole_second(value: bytes) -> int | None:
    # The "YYYYMMDD-HH:MM:SS" part, remembered when valid.
    global _parsed
    if len(value) < 17 or value[8:9] != b"-" or value[11:12] != b":" or value[14:15] != b":":
        return None
    digits = (value[0:8], value[9:11], value[12:14], value[15:17])
    if not all(part.isdigit() for part in digits):
        return None
    date, hour, minute, second = (int(part) for part in digits)
    year, month, day = date // 10000, date // 100 % 100, date % 100
    # Second 60 is a leap second, which UTCTimestamp allows.
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second <= 60):
        return None
    if year < 1 or day > calendar.monthrange(year, month)[1]:
        return None
    epoch_ns = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) * _NS_PER_SECOND
    _parsed = (value[:17], epoch_ns)
    return epoch_ns
