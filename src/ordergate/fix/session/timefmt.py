"""UTCTimestamp text of SendingTime(52) and OrigSendingTime(122), from and to epoch nanoseconds.

We always write millisecond precision (``YYYYMMDD-HH:MM:SS.sss``); we read whole seconds and
fractions of 3, 6 or 9 digits, the precisions FIX 4.2 and 4.4 counterparties use.
"""

from __future__ import annotations

import calendar
import time

__all__ = ["format_utc_timestamp", "parse_utc_timestamp"]

_NS_PER_SECOND = 1_000_000_000
_FRACTION_SCALE = {3: 1_000_000, 6: 1_000, 9: 1}


def format_utc_timestamp(now: int) -> bytes:
    """Return ``now`` (ns since the epoch) as ``YYYYMMDD-HH:MM:SS.sss`` in UTC."""
    seconds, nanos = divmod(now, _NS_PER_SECOND)
    t = time.gmtime(seconds)
    return b"%04d%02d%02d-%02d:%02d:%02d.%03d" % (
        t.tm_year,
        t.tm_mon,
        t.tm_mday,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
        nanos // 1_000_000,
    )


def parse_utc_timestamp(value: bytes) -> int | None:
    """Return a UTCTimestamp as ns since the epoch, or None when it is not one."""
    if len(value) < 17 or value[8:9] != b"-" or value[11:12] != b":" or value[14:15] != b":":
        return None
    digits = (value[0:8], value[9:11], value[12:14], value[15:17])
    if not all(part.isdigit() for part in digits):
        return None
    nanos = 0
    if len(value) > 17:
        fraction = value[18:]
        scale = _FRACTION_SCALE.get(len(fraction))
        if value[17:18] != b"." or scale is None or not fraction.isdigit():
            return None
        nanos = int(fraction) * scale
    date, hour, minute, second = (int(part) for part in digits)
    year, month, day = date // 10000, date // 100 % 100, date % 100
    # Second 60 is a leap second, which UTCTimestamp allows.
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second <= 60):
        return None
    if year < 1 or day > calendar.monthrange(year, month)[1]:
        return None
    epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    return epoch * _NS_PER_SECOND + nanos
