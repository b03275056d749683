"""Alpaca error codes and HTTP statuses map to the error taxonomy by one explicit table."""

from __future__ import annotations

import pytest
import requests

from ordergate.gateway.errors import VenueErrorKind
from ordergate.venues.alpaca.errors import CODE_KINDS, classify, kind_of
from ordergate.venues.alpaca.library import APIError


def _api_error(status: int, body: str, headers: dict[str, str] | None = None) -> APIError:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return APIError(body, requests.HTTPError(response=response))


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (422, 40010001, VenueErrorKind.REJECTED),
        (403, 40310000, VenueErrorKind.REJECTED),
        (401, 40110000, VenueErrorKind.AUTH),
        (429, 42910000, VenueErrorKind.RATE_LIMITED),
        (429, None, VenueErrorKind.RATE_LIMITED),
        (403, None, VenueErrorKind.AUTH),
        (500, None, VenueErrorKind.UNKNOWN_OUTCOME),
        (504, None, VenueErrorKind.UNKNOWN_OUTCOME),
        (418, None, VenueErrorKind.REJECTED),
        (599, None, VenueErrorKind.UNKNOWN_OUTCOME),
    ],
)
def test_status_and_code_give_the_kind(status: int, code: int | None, kind: VenueErrorKind) -> None:
    assert kind_of(status, code) is kind


def test_every_known_code_wins_over_its_status() -> None:
    for code, kind in CODE_KINDS.items():
        assert kind_of(500, code) is kind


def test_api_error_keeps_code_message_and_retry_after() -> None:
    error = _api_error(
        429, '{"code": 42910000, "message": "rate limit exceeded"}', {"Retry-After": "2"}
    )

    venue_error = classify(error, "ALPACA")

    assert venue_error.kind is VenueErrorKind.RATE_LIMITED
    assert (venue_error.code, venue_error.message) == ("42910000", "rate limit exceeded")
    assert venue_error.retry_after == 2.0


def test_api_error_without_json_body_is_classified_by_status() -> None:
    venue_error = classify(_api_error(502, "<html>bad gateway</html>"), "ALPACA")

    assert venue_error.kind is VenueErrorKind.UNKNOWN_OUTCOME
    assert venue_error.code == "502"


def test_transport_failures_are_unknown_outcomes() -> None:
    for error in (requests.ReadTimeout("slow"), requests.ConnectionError("reset")):
        assert classify(error, "ALPACA").kind is VenueErrorKind.UNKNOWN_OUTCOME


def test_an_unrelated_exception_is_not_swallowed() -> None:
    with pytest.raises(KeyError):
        classify(KeyError("bug"), "ALPACA")
