"""Session schedules: when a FIX session may be logged on, in a time zone, DST included.

A schedule is a series of *periods*, each a half-open interval ``[start, end)`` of
nanoseconds since the epoch. Times of day and weekdays are wall-clock values in
``timezone`` (an IANA name, UTC by default), so a session that opens at 17:00 New York time
opens at 17:00 on both sides of a DST change.

- **Daily**: a period starts every day at ``start_time`` and ends at the next ``end_time``:
  the same day when ``end_time`` is later, else the next day (``17:00 -> 16:59`` runs
  overnight; ``end_time == start_time`` is a 24-hour session that starts over, with a
  sequence reset, every day at that time). ``days`` limits the days a period may *start*
  on (a Sunday-to-Thursday overnight session ends on Friday morning); empty means every day.
- **Weekly** (``start_day`` and ``end_day`` given): one period a week, from ``start_day``
  ``start_time`` to the next ``end_day`` ``end_time`` (Sunday 17:00 -> Friday 17:00).
  The same day and time at both ends is a whole week.

A period belongs to its start: a store whose sequence began before the current period
started is stale (:meth:`SessionSchedule.needs_reset`), which gives the daily or weekly
sequence reset. Wall times that a DST change makes odd are read this way: a time that
occurs twice (fall back) means its first occurrence; a time that is skipped (spring
forward) means the instant of the jump (02:30 on a day that jumps from 02:00 to 03:00 is
03:00). A period left empty by that (both ends in the skipped hour) does not occur.
Everything here is pure: the current time is passed in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

__all__ = ["SessionSchedule", "Weekday"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DAY = timedelta(days=1)


class Weekday(IntEnum):
    """A day of the week, numbered as :meth:`datetime.date.weekday` numbers it."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

    @classmethod
    def parse(cls, name: str) -> Weekday:
        """Return the day named ``name`` (``"Monday"``, ``"mon"``; case does not matter).

        Raises:
            ValueError: not a day name.
        """
        key = name.strip().lower()
        for day in cls:
            full = day.name.lower()
            if key in (full, full[:3]):
                return day
        raise ValueError(f"{name!r} is not a day of the week (monday..sunday or mon..sun)")


class SessionSchedule(msgspec.Struct, frozen=True, kw_only=True):
    """When a session is up: daily or weekly periods in a time zone (see the module doc).

    Args:
        start_time: wall time a period starts (no offset; microseconds allowed).
        end_time: wall time a period ends.
        start_day: weekly schedules: the day a period starts (with ``end_day``).
        end_day: weekly schedules: the day a period ends.
        days: daily schedules: the days a period may start on (empty: every day).
        timezone: IANA time zone of the wall times (``"America/New_York"``).

    Raises:
        ValueError: only one of ``start_day``/``end_day``, ``days`` on a weekly schedule,
            a time with an offset, or an unknown time zone.
    """

    start_time: time
    end_time: time
    start_day: Weekday | None = None
    end_day: Weekday | None = None
    days: tuple[Weekday, ...] = ()
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if (self.start_day is None) != (self.end_day is None):
            raise ValueError("a weekly schedule needs both start_day and end_day")
        if self.start_day is not None and self.days:
            raise ValueError("days are for daily schedules; a weekly one has start_day/end_day")
        if self.start_time.tzinfo is not None or self.end_time.tzinfo is not None:
            raise ValueError("start_time and end_time are wall times: give them without offset")
        _zone(self.timezone)

    @property
    def weekly(self) -> bool:
        """Return True for a weekly schedule (``start_day`` and ``end_day`` set)."""
        return self.start_day is not None

    @property
    def zone(self) -> ZoneInfo:
        """Return the time zone of the schedule's wall times."""
        return _zone(self.timezone)

    # -- the questions the transport asks ------------------------------------------------

    def period(self, now: int) -> tuple[int, int] | None:
        """Return ``(start, end)`` of the period containing ``now``, or None outside one."""
        zone = self.zone
        today = _local(now, zone).date()
        # A period may have started up to a week (weekly) or a day (daily) before today;
        # one more day covers wall times that DST moves across midnight.
        for back in range(0, 9 if self.weekly else 3):
            period = self._period_on(today - back * _DAY, zone)
            if period is not None and period[0] <= now:
                return period if now < period[1] else None
        return None

    def is_active(self, now: int) -> bool:
        """Return True when ``now`` is inside a period."""
        return self.period(now) is not None

    def period_start(self, now: int) -> int | None:
        """Return the start of the period containing ``now``, or None outside one."""
        period = self.period(now)
        return period[0] if period is not None else None

    def next_start(self, now: int) -> int:
        """Return the start of the first period that starts after ``now``."""
        return self._next_period(now)[0]

    def next_end(self, now: int) -> int:
        """Return the end of the period containing ``now``, else of the next period."""
        period = self.period(now)
        if period is None:
            period = self._next_period(now)
        return period[1]

    def needs_reset(self, creation_time: int, now: int) -> bool:
        """Return True when a sequence created at ``creation_time`` predates ``now``'s period.

        Outside a period nothing needs resetting yet (no logon is allowed there).
        """
        start = self.period_start(now)
        return start is not None and creation_time < start

    # -- internals -----------------------------------------------------------------------

    def _next_period(self, now: int) -> tuple[int, int]:
        zone = self.zone
        today = _local(now, zone).date()
        # Periods are disjoint and in day order; the next one starts within a week
        # (``days`` is never empty-but-excluding: empty means every day).
        for ahead in range(-1, 9):
            period = self._period_on(today + ahead * _DAY, zone)
            if period is not None and period[0] > now:
                return period
        raise AssertionError("a schedule has a period every week")  # pragma: no cover

    def _period_on(self, day: date, zone: ZoneInfo) -> tuple[int, int] | None:
        """Return the period that starts on the local date ``day``, if one does."""
        weekday = day.weekday()
        if self.start_day is not None:
            assert self.end_day is not None
            if weekday != self.start_day:
                return None
            span = (self.end_day - self.start_day) % 7
            if span == 0 and self.end_time <= self.start_time:
                span = 7
        else:
            if self.days and weekday not in self.days:
                return None
            span = 0 if self.end_time > self.start_time else 1
        start = _instant(day, self.start_time, zone)
        end = _instant(day + span * _DAY, self.end_time, zone)
        return (start, end) if end > start else None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise ValueError(f"unknown time zone {name!r}") from e


def _to_ns(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND * 1000


def _local(now: int, zone: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=now // 1000)).astimezone(zone)


def _instant(day: date, wall: time, zone: ZoneInfo) -> int:
    """Return the instant (ns) of wall time ``wall`` on ``day`` in ``zone``."""
    # fold=0: the first of two occurrences when the clock falls back (whatever ``wall`` says).
    naive = datetime.combine(day, wall).replace(fold=0)
    instant = _to_ns(naive.replace(tzinfo=zone))
    if _local(instant, zone).replace(tzinfo=None) == naive:
        return instant
    # Skipped by a forward jump: fold=1 reads it with the offset after the jump, which
    # lands before the jump, fold=0 after it; the jump is the first instant in between
    # whose wall time is past ``naive``.
    low = _to_ns(naive.replace(tzinfo=zone, fold=1)) // 1000
    high = instant // 1000
    while high - low > 1:
        middle = (low + high) // 2
        if _local(middle * 1000, zone).replace(tzinfo=None) > naive:
            high = middle
        else:
            low = middle
    return high * 1000
