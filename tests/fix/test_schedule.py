"""Session schedules: daily, overnight, weekly, limited days, time zones and DST days."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.fix.schedule import SessionSchedule, Weekday
from ordergate.fix.session.config import Role, SessionConfig

NS = 1_000_000_000
MINUTE = 60 * NS
HOUR = 60 * MINUTE
NEW_YORK = "America/New_York"


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    tz: str = "UTC",
) -> int:
    """Return the instant (ns) of a wall time in ``tz`` (first occurrence when repeated)."""
    moment = datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(tz))
    return int(moment.timestamp()) * NS


def daily(start: str, end: str, *, days: tuple[str, ...] = (), tz: str = "UTC") -> SessionSchedule:
    return SessionSchedule(
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        days=tuple(Weekday.parse(day) for day in days),
        timezone=tz,
    )


def weekly(start_day: str, start: str, end_day: str, end: str, tz: str = "UTC") -> SessionSchedule:
    return SessionSchedule(
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        start_day=Weekday.parse(start_day),
        end_day=Weekday.parse(end_day),
        timezone=tz,
    )


# -- daily ---------------------------------------------------------------------------------


def test_a_daily_session_is_active_from_its_start_to_just_before_its_end() -> None:
    schedule = daily("09:30:00", "16:00:00")  # 2024-05-15 is a Wednesday
    start, end = at(2024, 5, 15, 9, 30), at(2024, 5, 15, 16)

    assert not schedule.is_active(start - 1)
    assert schedule.period_start(start - 1) is None
    assert schedule.next_start(start - 1) == start
    assert schedule.next_end(start - 1) == end
    assert schedule.is_active(start)
    assert schedule.period(start) == (start, end)
    assert schedule.period_start(end - 1) == start
    assert schedule.next_end(start) == end
    assert schedule.next_start(start) == start + 24 * HOUR
    assert not schedule.is_active(end)
    assert schedule.next_start(end) == start + 24 * HOUR
    assert schedule.next_end(end) == end + 24 * HOUR


def test_an_overnight_session_belongs_to_the_day_it_starts() -> None:
    schedule = daily("17:00:00", "16:59:00", tz=NEW_YORK)
    monday_open = at(2024, 5, 13, 17, tz=NEW_YORK)
    tuesday_close = at(2024, 5, 14, 16, 59, tz=NEW_YORK)

    assert schedule.period(at(2024, 5, 14, 10, tz=NEW_YORK)) == (monday_open, tuesday_close)
    assert schedule.period(at(2024, 5, 13, 23, 59, 59, tz=NEW_YORK)) == (
        monday_open,
        tuesday_close,
    )
    assert not schedule.is_active(at(2024, 5, 14, 16, 59, 30, tz=NEW_YORK))
    assert schedule.next_start(tuesday_close) == at(2024, 5, 14, 17, tz=NEW_YORK)
    assert schedule.next_end(at(2024, 5, 14, 10, tz=NEW_YORK)) == tuesday_close


def test_days_limit_the_days_a_period_starts_on() -> None:
    schedule = daily(
        "17:00:00",
        "16:59:00",
        days=("sunday", "monday", "tuesday", "wednesday", "thursday"),
        tz=NEW_YORK,
    )
    thursday_open = at(2024, 5, 16, 17, tz=NEW_YORK)

    # Thursday's period runs into Friday; none starts on Friday or Saturday.
    assert schedule.period_start(at(2024, 5, 17, 10, tz=NEW_YORK)) == thursday_open
    assert not schedule.is_active(at(2024, 5, 17, 17, 30, tz=NEW_YORK))
    assert not schedule.is_active(at(2024, 5, 18, 12, tz=NEW_YORK))
    assert schedule.next_start(at(2024, 5, 17, 17, 30, tz=NEW_YORK)) == at(
        2024, 5, 19, 17, tz=NEW_YORK
    )
    assert schedule.next_end(at(2024, 5, 18, 12, tz=NEW_YORK)) == at(
        2024, 5, 20, 16, 59, tz=NEW_YORK
    )


def test_equal_start_and_end_is_a_24_hour_session_that_starts_over_daily() -> None:
    schedule = daily("06:00:00", "06:00:00")
    reset = at(2024, 5, 15, 6)

    assert schedule.period(reset - 1) == (reset - 24 * HOUR, reset)
    assert schedule.period(reset) == (reset, reset + 24 * HOUR)
    assert schedule.next_end(reset - 1) == reset
    assert schedule.next_start(reset - 1) == reset
    assert schedule.needs_reset(reset - 1, reset)
    assert not schedule.needs_reset(reset, reset + 1)


def test_sub_second_times_are_kept() -> None:
    schedule = daily("10:00:00.250", "10:00:01.5")
    start = at(2024, 5, 15, 10) + 250_000_000

    assert schedule.period(start) == (start, start + 1_250_000_000)
    assert not schedule.is_active(start - 1)


def test_a_time_zone_moves_the_period() -> None:
    schedule = daily("09:00:00", "15:00:00", tz="Asia/Tokyo")

    assert schedule.period_start(at(2024, 5, 15, 1)) == at(2024, 5, 15)  # 09:00 JST
    assert not schedule.is_active(at(2024, 5, 15, 7))


# -- weekly --------------------------------------------------------------------------------


def test_a_weekly_session_runs_from_sunday_evening_to_friday_evening() -> None:
    schedule = weekly("Sunday", "17:00:00", "Friday", "17:00:00", NEW_YORK)
    sunday = at(2024, 5, 12, 17, tz=NEW_YORK)
    friday = at(2024, 5, 17, 17, tz=NEW_YORK)

    for inside in (sunday, at(2024, 5, 15, 3, tz=NEW_YORK), friday - 1):
        assert schedule.period(inside) == (sunday, friday)
    for outside in (sunday - 1, friday, at(2024, 5, 18, 12, tz=NEW_YORK)):
        assert not schedule.is_active(outside)
    assert schedule.next_start(friday) == at(2024, 5, 19, 17, tz=NEW_YORK)
    assert schedule.next_end(friday) == at(2024, 5, 24, 17, tz=NEW_YORK)
    assert schedule.next_start(sunday) == at(2024, 5, 19, 17, tz=NEW_YORK)


def test_a_weekly_session_within_one_day_and_a_whole_week() -> None:
    short = weekly("wed", "10:00:00", "wed", "12:00:00")
    assert short.period(at(2024, 5, 15, 11)) == (at(2024, 5, 15, 10), at(2024, 5, 15, 12))
    assert not short.is_active(at(2024, 5, 16, 11))

    wrapping = weekly("wed", "12:00:00", "wed", "10:00:00")  # six days and 22 hours
    assert wrapping.period(at(2024, 5, 21)) == (at(2024, 5, 15, 12), at(2024, 5, 22, 10))
    assert not wrapping.is_active(at(2024, 5, 22, 11))

    whole = weekly("mon", "00:00:00", "mon", "00:00:00")
    assert whole.period(at(2024, 5, 15)) == (at(2024, 5, 13), at(2024, 5, 20))
    assert whole.period_start(at(2024, 5, 20)) == at(2024, 5, 20)


# -- daily/weekly sequence reset -----------------------------------------------------------


def test_a_sequence_from_before_the_period_needs_a_reset() -> None:
    schedule = daily("08:00:00", "18:00:00")
    start = at(2024, 5, 15, 8)
    now = start + HOUR

    assert schedule.needs_reset(start - 1, now)
    assert schedule.needs_reset(0, now)
    assert not schedule.needs_reset(start, now)
    assert not schedule.needs_reset(now, now)
    # Outside a period nothing is reset (no logon may happen there).
    assert not schedule.needs_reset(0, start - 1)


# -- DST -----------------------------------------------------------------------------------


def test_spring_forward_shortens_an_overnight_period() -> None:
    # 2024-03-10 02:00 EST jumps to 03:00 EDT.
    schedule = daily("17:00:00", "16:59:00", tz=NEW_YORK)
    start, end = schedule.period(at(2024, 3, 10, 12)) or (0, 0)

    assert start == at(2024, 3, 9, 22)  # 17:00 EST
    assert end == at(2024, 3, 10, 20, 59)  # 16:59 EDT
    assert end - start == 23 * HOUR - MINUTE
    assert schedule.next_start(end) == at(2024, 3, 10, 21)  # 17:00 EDT


def test_a_start_in_the_skipped_hour_is_the_jump() -> None:
    schedule = daily("02:30:00", "04:00:00", tz=NEW_YORK)

    assert schedule.period(at(2024, 3, 10, 7, 30)) == (at(2024, 3, 10, 7), at(2024, 3, 10, 8))
    assert schedule.next_start(at(2024, 3, 10, 5)) == at(2024, 3, 10, 7)  # 03:00 EDT
    assert schedule.period_start(at(2024, 3, 11, 7, 30)) == at(2024, 3, 11, 6, 30)


def test_a_period_inside_the_skipped_hour_does_not_occur_that_day() -> None:
    schedule = daily("02:10:00", "02:40:00", tz=NEW_YORK)

    assert schedule.next_start(at(2024, 3, 9, 12)) == at(2024, 3, 11, 6, 10)
    assert not schedule.is_active(at(2024, 3, 10, 7))


def test_fall_back_lengthens_an_overnight_period() -> None:
    # 2024-11-03 02:00 EDT falls back to 01:00 EST.
    schedule = daily("17:00:00", "16:59:00", tz=NEW_YORK)
    start, end = schedule.period(at(2024, 11, 3, 12)) or (0, 0)

    assert start == at(2024, 11, 2, 21)  # 17:00 EDT
    assert end == at(2024, 11, 3, 21, 59)  # 16:59 EST
    assert end - start == 25 * HOUR - MINUTE


def test_a_repeated_wall_time_means_its_first_occurrence() -> None:
    schedule = daily("01:30:00", "01:45:00", tz=NEW_YORK)
    first = at(2024, 11, 3, 5, 30)  # 01:30 EDT

    assert schedule.period(first) == (first, first + 15 * MINUTE)
    assert not schedule.is_active(first + HOUR + 5 * MINUTE)  # 01:35 EST, the second time
    assert schedule.next_start(first) == at(2024, 11, 4, 6, 30)


def test_the_fold_of_a_configured_time_does_not_matter() -> None:
    folded = SessionSchedule(
        start_time=time(1, 30, fold=1), end_time=time(1, 45), timezone=NEW_YORK
    )

    assert folded.period_start(at(2024, 11, 3, 5, 40)) == at(2024, 11, 3, 5, 30)


def test_a_weekly_session_over_a_dst_change_keeps_its_wall_times() -> None:
    schedule = weekly("sun", "17:00:00", "fri", "17:00:00", NEW_YORK)

    # Sunday 2024-03-10 opens at 17:00 EDT, the week after the change.
    assert schedule.period_start(at(2024, 3, 12)) == at(2024, 3, 10, 21)
    assert schedule.next_end(at(2024, 3, 12)) == at(2024, 3, 15, 21)
    assert schedule.next_start(at(2024, 3, 9)) == at(2024, 3, 10, 21)


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start_day": Weekday.MONDAY}, "needs both start_day and end_day"),
        ({"end_day": Weekday.FRIDAY}, "needs both start_day and end_day"),
        (
            {"start_day": Weekday.MONDAY, "end_day": Weekday.FRIDAY, "days": (Weekday.MONDAY,)},
            "days are for daily schedules",
        ),
        ({"start_time": time(9, tzinfo=UTC)}, "without offset"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"timezone": "../etc"}, "unknown time zone"),
        ({"timezone": ""}, "unknown time zone"),
    ],
)
def test_an_unusable_schedule_is_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"start_time": time(9), "end_time": time(17), **fields}
    with pytest.raises(ValueError, match=message):
        SessionSchedule(**values)  # type: ignore[arg-type]


def test_day_names_are_parsed_in_full_or_short_in_any_case() -> None:
    assert Weekday.parse("Sunday") is Weekday.SUNDAY
    assert Weekday.parse(" thu ") is Weekday.THURSDAY
    assert Weekday.parse("MON") is Weekday.MONDAY
    for bad in ("", "mo", "sundays", "7"):
        with pytest.raises(ValueError, match="not a day of the week"):
            Weekday.parse(bad)


def test_a_session_config_carries_a_schedule() -> None:
    schedule = daily("08:00:00", "18:00:00")
    config = SessionConfig(
        begin_string="FIX.4.4",
        sender_comp_id="A",
        target_comp_id="B",
        role=Role.ACCEPTOR,
        schedule=schedule,
    )

    assert config.schedule is schedule
    assert hash(config) == hash(msgspec.structs.replace(config))


# -- properties ----------------------------------------------------------------------------

ZONES = [
    "UTC",
    NEW_YORK,
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Asia/Kolkata",
    "America/Sao_Paulo",  # DST changes at midnight in past years
]
#: Days on which some of ZONES change their clocks (2024), where the edge cases are.
DST_DAYS = [
    at(2024, 3, 10),
    at(2024, 11, 3),
    at(2024, 3, 31),
    at(2024, 10, 27),
    at(2024, 4, 7),
    at(2024, 10, 6),
    at(2018, 11, 4),
    at(2019, 2, 17),
]
INSTANTS = st.one_of(
    st.integers(min_value=at(2000, 1, 1), max_value=at(2040, 1, 1)),
    st.builds(
        int.__add__,
        st.sampled_from(DST_DAYS),
        st.integers(min_value=-3 * 24 * HOUR, max_value=3 * 24 * HOUR),
    ),
)


@st.composite
def schedules(draw: st.DrawFn) -> SessionSchedule:
    start_time = draw(st.times())
    end_time = draw(st.one_of(st.times(), st.just(start_time)))
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        days = st.sampled_from(list(Weekday))
        return SessionSchedule(
            start_time=start_time,
            end_time=end_time,
            start_day=draw(days),
            end_day=draw(days),
            timezone=zone,
        )
    chosen = draw(st.sets(st.sampled_from(list(Weekday)), max_size=7))
    return SessionSchedule(
        start_time=start_time, end_time=end_time, days=tuple(sorted(chosen)), timezone=zone
    )


@settings(max_examples=300, deadline=None)
@given(schedule=schedules(), now=INSTANTS)
def test_the_period_answers_agree(schedule: SessionSchedule, now: int) -> None:
    period = schedule.period(now)
    start, end = schedule.next_start(now), schedule.next_end(now)

    assert schedule.is_active(now) == (period is not None)
    assert schedule.is_active(now) == (schedule.period_start(now) is not None)
    assert start > now
    assert end > now
    if period is not None:
        assert period[0] <= now < period[1] == end
        assert start >= end  # the next period starts once this one is over
        assert schedule.period(end - 1) == period
        after = schedule.period(end)
        assert after is None or after[0] == end  # a new period, never the same one
    else:
        assert start < end
        assert schedule.period(start) == (start, end)
        assert not schedule.is_active((now + start) // 2)


@settings(max_examples=200, deadline=None)
@given(schedule=schedules(), now=INSTANTS, age=st.integers(min_value=0, max_value=30 * 86400))
def test_a_reset_is_needed_exactly_when_the_sequence_predates_the_period(
    schedule: SessionSchedule, now: int, age: int
) -> None:
    created = now - age * NS
    start = schedule.period_start(now)

    assert schedule.needs_reset(created, now) == (start is not None and created < start)
    if start is not None:
        assert not schedule.needs_reset(start, now)


@settings(max_examples=200, deadline=None)
@given(schedule=schedules(), now=INSTANTS)
def test_periods_start_on_their_days_at_their_wall_time(
    schedule: SessionSchedule, now: int
) -> None:
    start = schedule.next_start(now)
    local = datetime.fromtimestamp(start // NS, ZoneInfo(schedule.timezone)).replace(
        microsecond=(start // 1000) % 1_000_000
    )

    if schedule.start_day is not None:
        assert local.weekday() == schedule.start_day
    elif schedule.days:
        assert local.weekday() in schedule.days
    if schedule.timezone == "UTC":
        assert local.time() == schedule.start_time
    else:
        # Later only when the wall time was skipped by a DST jump.
        assert local.time() >= schedule.start_time
