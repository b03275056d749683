"""``[sessions.schedule]`` in settings files: what it gives, and every bad value refused."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pytest

from ordergate.fix.schedule import SessionSchedule, Weekday
from ordergate.fix.settings import SettingsError, load_settings, parse_settings
from ordergate.fix.transport import build_acceptors, build_initiators
from tests.fix.transport.helpers import Recorder

SESSION = """
[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "CLIENT"
port = 9876
[sessions.schedule]
"""
WHERE = r"sessions\[0\] \(FIX\.4\.4:OGATE->CLIENT\): schedule: "


def schedule_of(table: str) -> SessionSchedule | None:
    (session,) = parse_settings((SESSION + table).encode(), "toml").sessions
    return session.config.schedule


def test_a_daily_schedule_with_days_and_a_time_zone() -> None:
    schedule = schedule_of(
        'start_time = "17:00:00"\nend_time = "16:59"\n'
        'days = ["Sun", "monday", "TUE"]\ntimezone = "America/New_York"\n'
    )

    assert schedule == SessionSchedule(
        start_time=time(17),
        end_time=time(16, 59),
        days=(Weekday.SUNDAY, Weekday.MONDAY, Weekday.TUESDAY),
        timezone="America/New_York",
    )


def test_a_weekly_schedule_in_utc_by_default() -> None:
    schedule = schedule_of(
        'start_day = "sunday"\nstart_time = "17:00:00"\nend_day = "fri"\nend_time = "17:00:00"\n'
    )

    assert schedule is not None
    assert (schedule.start_day, schedule.end_day) == (Weekday.SUNDAY, Weekday.FRIDAY)
    assert schedule.weekly
    assert schedule.timezone == "UTC"


def test_toml_local_times_and_fractions_of_a_second_are_read() -> None:
    schedule = schedule_of('start_time = 08:30:00\nend_time = "16:00:00.5"\n')

    assert schedule is not None
    assert (schedule.start_time, schedule.end_time) == (time(8, 30), time(16, 0, 0, 500_000))


def test_no_schedule_table_means_always() -> None:
    (session,) = parse_settings(
        SESSION.replace("[sessions.schedule]", "").encode(), "toml"
    ).sessions

    assert session.config.schedule is None


def test_json_settings_take_a_schedule_object() -> None:
    data = {
        "sessions": [
            {
                "role": "initiator",
                "begin_string": "FIX.4.2",
                "sender_comp_id": "OGATE",
                "target_comp_id": "BROKER",
                "endpoints": ["broker:9880"],
                "schedule": {"start_time": "09:00:00", "end_time": "17:30:00", "days": ["fri"]},
            }
        ]
    }

    (session,) = parse_settings(json.dumps(data).encode(), "json").sessions

    assert session.config.schedule == SessionSchedule(
        start_time=time(9), end_time=time(17, 30), days=(Weekday.FRIDAY,)
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('end_time = "17:00:00"\n', "start_time is required"),
        ('start_time = "09:00:00"\n', "end_time is required"),
        ('start_time = "9:00"\nend_time = "17:00:00"\n', "start_time '9:00' is not a time of day"),
        ('start_time = "25:00:00"\nend_time = "17:00:00"\n', "start_time '25:00:00' is not a time"),
        ('start_time = "09:00:00Z"\nend_time = "17:00:00"\n', "start_time '09:00:00Z' is not a"),
        ('start_time = 900\nend_time = "17:00:00"\n', "start_time 900 is not a time of day"),
        (
            'start_time = "09:00:00"\nend_time = 2024-01-01T17:00:00Z\n',
            "end_time .* is not a time of day",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\ntimezone = "Mars/Base"\n',
            "unknown time zone 'Mars/Base'",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\ntimezone = 5\n',
            "timezone must be a time zone name",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\ndays = "mon"\n',
            "days must be a list of day names",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\ndays = ["mon", "funday"]\n',
            "days: 'funday' is not a day of the week",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\ndays = [1]\n',
            "days: 1 is not a day name",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\nstart_day = "mon"\n',
            "a weekly schedule needs both start_day and end_day",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\nstart_day = "mon"\n'
            'end_day = "fri"\ndays = ["mon"]\n',
            "days are for daily schedules",
        ),
        (
            'start_time = "09:00:00"\nend_time = "17:00:00"\n'
            'end_day = "someday"\nstart_day = "mon"\n',
            "end_day: 'someday' is not a day of the week",
        ),
        ('start_time = "09:00:00"\nend_time = "17:00:00"\nreset = true\n', "unknown keys: reset"),
    ],
)
def test_a_bad_schedule_is_a_settings_error_naming_the_session(table: str, message: str) -> None:
    with pytest.raises(SettingsError, match=WHERE + message):
        schedule_of(table)


def test_a_schedule_that_is_not_a_table_is_refused() -> None:
    text = SESSION.replace("[sessions.schedule]", 'schedule = "weekdays"')

    with pytest.raises(SettingsError, match=WHERE + "must be a table/object"):
        parse_settings(text.encode(), "toml")


def test_the_example_file_loads_with_its_schedules() -> None:
    path = Path(__file__).resolve().parents[3] / "examples" / "fix-acceptor.toml"

    settings = load_settings(path)

    by_target = {s.config.target_comp_id: s.config for s in settings.sessions}
    daily = by_target["CLIENT2"].schedule
    assert daily is not None
    assert not daily.weekly
    assert daily.days == (
        Weekday.SUNDAY,
        Weekday.MONDAY,
        Weekday.TUESDAY,
        Weekday.WEDNESDAY,
        Weekday.THURSDAY,
    )
    assert (daily.start_time, daily.end_time) == (time(17), time(16, 59))
    assert daily.timezone == "America/New_York"
    weekly = by_target["BROKER"].schedule
    assert weekly is not None
    assert (weekly.start_day, weekly.end_day) == (Weekday.SUNDAY, Weekday.FRIDAY)
    assert by_target["CLIENT1"].schedule is None


def test_built_acceptors_and_initiators_carry_the_schedule() -> None:
    text = SESSION + 'start_time = "09:00:00"\nend_time = "17:00:00"\n'
    text += """
[[sessions]]
role = "initiator"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "BROKER"
endpoints = ["broker:9880"]
[sessions.schedule]
start_time = "08:00:00"
end_time = "18:00:00"
"""
    settings = parse_settings(text.encode(), "toml")

    (acceptor,) = build_acceptors(settings, Recorder())
    (initiator,) = build_initiators(settings, Recorder())

    assert acceptor.configs[0].schedule == settings.sessions[0].config.schedule
    assert initiator.config.schedule == settings.sessions[1].config.schedule
