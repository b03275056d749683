"""UTCTimestamp formatting and parsing of SendingTime(52)."""

from __future__ import annotations

import pytest

from ordergate.fix.session.timefmt import format_utc_timestamp, parse_utc_timestamp
from tests.fix.session.pair import START_NS


def test_format_has_millisecond_precision_in_utc() -> None:
    assert format_utc_timestamp(START_NS) == b"20261121-10:11:12.345"
    assert format_utc_timestamp(START_NS + 999_999) == b"20261121-10:11:12.345"
    assert format_utc_timestamp(0) == b"19700101-00:00:00.000"


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        (b"20261121-10:11:12.345", START_NS),
        (b"20261121-10:11:12", START_NS - 345_000_000),
        (b"20261121-10:11:12.345678", START_NS + 678_000),
        (b"20261121-10:11:12.345678901", START_NS + 678_901),
    ],
)
def test_parse_accepts_seconds_millis_micros_and_nanos(text: bytes, ns: int) -> None:
    assert parse_utc_timestamp(text) == ns


def test_round_trip() -> None:
    assert parse_utc_timestamp(format_utc_timestamp(START_NS)) == START_NS


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"2026112110:11:12",
        b"20261321-10:11:12",
        b"20260230-10:11:12",
        b"20261121-24:11:12",
        b"20261121-10:11:12.3",
        b"20261121-10:11:12,345",
        b"2026x121-10:11:12",
        b"00000101-10:11:12",
    ],
)
def test_parse_refuses_what_is_not_a_utc_timestamp(text: bytes) -> None:
    assert parse_utc_timestamp(text) is None
