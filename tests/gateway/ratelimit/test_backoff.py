"""Pauses after 429 and 418: Retry-After first, else exponential backoff with jitter."""

from __future__ import annotations

import random

import pytest

from ordergate.gateway.ratelimit.backoff import ResponseBackoff, parse_retry_after

SECOND = 1_000_000_000
NOW = 1_700_000_000 * SECOND  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120 * SECOND),
        ({"retry-after": " 7 "}, 7 * SECOND),
        ({"RETRY-AFTER": "1.5"}, 3 * SECOND // 2),
        ({"Retry-After": "0"}, 0),
        ({"Retry-After": "Tue, 14 Nov 2023 22:13:50 GMT"}, 30 * SECOND),
        ({"Retry-After": "Tue, 14 Nov 2023 22:00:00 GMT"}, 0),
        ({"Retry-After": "Tue, 14 Nov 2023 22:13:21 -0000"}, SECOND),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(headers: dict[str, str], expected: int) -> None:
    assert parse_retry_after(headers, NOW) == expected


@pytest.mark.parametrize("value", ["soon", "-5", "NaN", "Infinity", ""])
def test_an_unreadable_retry_after_counts_as_absent(value: str) -> None:
    assert parse_retry_after({"Retry-After": value}, NOW) is None


def test_no_retry_after_header_is_none() -> None:
    assert parse_retry_after({"Content-Type": "application/json"}, NOW) is None


def test_429_with_retry_after_pauses_for_it() -> None:
    backoff = ResponseBackoff()
    assert backoff.pause_for(429, {"Retry-After": "3"}, NOW) == 3 * SECOND


def test_429s_without_retry_after_back_off_exponentially_with_jitter_up_to_the_cap() -> None:
    backoff = ResponseBackoff(base_ns=SECOND, cap_ns=8 * SECOND, rng=random.Random(7))
    pauses = [backoff.pause_for(429, {}, NOW) for _ in range(6)]
    for pause, ceiling in zip(pauses, [1, 2, 4, 8, 8, 8], strict=True):
        assert pause is not None
        assert ceiling * SECOND // 2 <= pause <= ceiling * SECOND


def test_a_success_ends_the_streak_of_429s() -> None:
    backoff = ResponseBackoff(base_ns=SECOND, cap_ns=64 * SECOND, rng=random.Random(1))
    for _ in range(5):
        backoff.pause_for(429, {}, NOW)
    assert backoff.pause_for(200, {}, NOW) is None
    pause = backoff.pause_for(429, {}, NOW)
    assert pause is not None
    assert pause <= SECOND


def test_418_pauses_for_its_retry_after() -> None:
    backoff = ResponseBackoff()
    assert backoff.pause_for(418, {"Retry-After": "600"}, NOW) == 600 * SECOND


def test_418_without_retry_after_pauses_for_the_ban_doubling_each_time() -> None:
    backoff = ResponseBackoff(ban_ns=120 * SECOND, ban_cap_ns=300 * SECOND)
    pauses = [backoff.pause_for(418, {}, NOW) for _ in range(3)]
    assert pauses == [120 * SECOND, 240 * SECOND, 300 * SECOND]


def test_bans_are_remembered_after_a_success() -> None:
    backoff = ResponseBackoff(ban_ns=120 * SECOND)
    backoff.pause_for(418, {}, NOW)
    backoff.pause_for(200, {}, NOW)
    assert backoff.pause_for(418, {}, NOW) == 240 * SECOND


@pytest.mark.parametrize("status", [200, 201, 400, 404, 500, 503])
def test_other_statuses_ask_for_no_pause(status: int) -> None:
    assert ResponseBackoff().pause_for(status, {"Retry-After": "5"}, NOW) is None


@pytest.mark.parametrize(
    "kwargs",
    [{"base_ns": 0}, {"base_ns": 10, "cap_ns": 5}, {"ban_ns": 0}, {"ban_ns": 10, "ban_cap_ns": 5}],
)
def test_a_backoff_that_makes_no_sense_is_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        ResponseBackoff(**kwargs)  # type: ignore[arg-type]
