"""Feed authentication: the two modes over a real token store, and reading a request's token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.datastructures import Headers, QueryParams

from ordergate.feed.access import ANYONE, AccessDenied, Principal
from ordergate.feed.auth import FeedAuthenticator, bearer_token, request_token
from ordergate.feed.store import FeedStore, open_feed_store


@pytest.fixture
async def feed_store(tmp_path: Path) -> AsyncIterator[FeedStore]:
    async with open_feed_store(f"sqlite:///{tmp_path / 'feed.db'}") as store:
        yield store


@pytest.fixture
async def desk_token(feed_store: FeedStore) -> str:
    return await feed_store.create_token("desk-1", ["ACC1"])


DESK = Principal(name="desk-1", accounts=frozenset({"ACC1"}))


# -- modes -----------------------------------------------------------------------------------


async def test_open_mode_without_a_token_is_anyone(feed_store: FeedStore) -> None:
    assert await FeedAuthenticator(feed_store, "open")(None) is ANYONE


async def test_open_mode_keeps_a_restricted_token_restricted(
    feed_store: FeedStore, desk_token: str
) -> None:
    principal = await FeedAuthenticator(feed_store, "open")(desk_token)

    assert principal == DESK


@pytest.mark.parametrize("mode", ["open", "token"])
async def test_an_unknown_token_is_refused_in_both_modes(feed_store: FeedStore, mode: str) -> None:
    with pytest.raises(AccessDenied) as raised:
        await FeedAuthenticator(feed_store, mode)("ogf_" + "x" * 43)

    assert raised.value.status == 401
    assert "ogf_" not in raised.value.message


@pytest.mark.parametrize("mode", ["open", "token"])
async def test_a_revoked_token_is_refused_in_both_modes(
    feed_store: FeedStore, desk_token: str, mode: str
) -> None:
    await feed_store.revoke_token("desk-1")

    with pytest.raises(AccessDenied) as raised:
        await FeedAuthenticator(feed_store, mode)(desk_token)

    assert raised.value.status == 401


async def test_token_mode_without_a_token_is_refused(feed_store: FeedStore) -> None:
    with pytest.raises(AccessDenied) as raised:
        await FeedAuthenticator(feed_store, "token")(None)

    assert raised.value.status == 401
    assert "Bearer" in raised.value.message


async def test_token_mode_with_a_valid_token_is_its_principal(
    feed_store: FeedStore, desk_token: str
) -> None:
    assert await FeedAuthenticator(feed_store, "token")(desk_token) == DESK


@pytest.mark.parametrize("mode", ["", "closed", "TOKEN", "Open"])
def test_an_unknown_mode_is_refused(feed_store: FeedStore, mode: str) -> None:
    with pytest.raises(ValueError, match="open' or 'token"):
        FeedAuthenticator(feed_store, mode)


# -- reading the token -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("Bearer ogf_abc", "ogf_abc"),
        ("bearer ogf_abc", "ogf_abc"),
        ("BEARER   ogf_abc  ", "ogf_abc"),
        ("Basic dXNlcjpwYXNz", None),  # a proxy's, not the feed's
    ],
)
def test_bearer_token_reads_the_bearer_scheme_only(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "bearer    "])
def test_a_bearer_header_without_a_token_is_refused(header: str) -> None:
    with pytest.raises(AccessDenied) as raised:
        bearer_token(header)

    assert raised.value.status == 401


def test_request_token_reads_the_header_case_insensitively() -> None:
    headers = Headers({"AUTHORIZATION": "Bearer ogf_h"})

    assert request_token(headers, QueryParams("")) == "ogf_h"


def test_request_token_falls_back_to_the_query_parameter() -> None:
    assert request_token(Headers({}), QueryParams("token=ogf_q&from=3")) == "ogf_q"


def test_request_token_is_none_without_either() -> None:
    assert request_token(Headers({}), QueryParams("from=3")) is None


def test_the_same_token_in_header_and_query_is_accepted() -> None:
    headers = Headers({"authorization": "Bearer ogf_same"})

    assert request_token(headers, QueryParams("token=ogf_same")) == "ogf_same"


def test_two_different_tokens_are_refused() -> None:
    headers = Headers({"authorization": "Bearer ogf_a"})

    with pytest.raises(AccessDenied) as raised:
        request_token(headers, QueryParams("token=ogf_b"))

    assert raised.value.status == 401


@pytest.mark.parametrize("query", ["token=", "token=%20"])
def test_an_empty_token_parameter_is_refused(query: str) -> None:
    with pytest.raises(AccessDenied) as raised:
        request_token(Headers({}), QueryParams(query))

    assert raised.value.status == 401


async def test_a_token_from_the_query_authenticates_like_one_from_the_header(
    feed_store: FeedStore, desk_token: str
) -> None:
    authenticate = FeedAuthenticator(feed_store, "token")

    from_query = await authenticate(request_token(Headers({}), QueryParams(f"token={desk_token}")))
    from_header = await authenticate(
        request_token(Headers({"authorization": f"Bearer {desk_token}"}), QueryParams(""))
    )

    assert from_query == from_header == DESK
