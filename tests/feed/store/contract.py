"""The behavioural contract every feed store backend passes.

A backend's test module subclasses ``FeedStoreContract`` and supplies ``store_url``: a URL
for ``open_feed_store`` pointing at a fresh, empty store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ordergate.clock import TestClock
from ordergate.feed import FeedFilter, parse_filter
from ordergate.feed.access import Principal
from ordergate.feed.store import (
    TOKEN_PREFIX,
    FeedStore,
    InvalidFeedName,
    PositionBeyondHead,
    SubscriptionExists,
    SubscriptionNotFound,
    TokenExists,
    TokenNotFound,
    open_feed_store,
)

FILLS = parse_filter(accounts="ACC1,ACC2", types="OrderFilled,OrderPartiallyFilled")
BAD_NAMES = ["", " ", "a b", "-lead", ".lead", "x" * 65, "fills/1", "caf\u00e9", "a\nb"]


class FeedStoreContract:
    @pytest.fixture
    def clock(self) -> TestClock:
        return TestClock()

    @pytest.fixture
    async def store(self, store_url: str, clock: TestClock) -> AsyncIterator[FeedStore]:
        async with open_feed_store(store_url, clock=clock) as store:
            yield store

    # --- tokens --------------------------------------------------------------------------

    async def test_a_new_token_authenticates_as_its_name_and_accounts(
        self, store: FeedStore
    ) -> None:
        token = await store.create_token("desk-1", ["ACC1", "ACC2"])

        principal = await store.authenticate(token)

        assert token.startswith(TOKEN_PREFIX)
        assert len(token) > len(TOKEN_PREFIX) + 40
        assert principal == Principal(name="desk-1", accounts=frozenset({"ACC1", "ACC2"}))

    async def test_a_token_for_all_accounts_has_no_account_limit(self, store: FeedStore) -> None:
        token = await store.create_token("ops", None)

        assert await store.authenticate(token) == Principal(name="ops", accounts=None)

    async def test_two_tokens_are_different_and_each_names_its_own_principal(
        self, store: FeedStore
    ) -> None:
        a = await store.create_token("a", ["ACC1"])
        b = await store.create_token("b", ["ACC2"])

        principals = [await store.authenticate(t) for t in (a, b)]

        assert a != b
        assert [p.name for p in principals if p is not None] == ["a", "b"]

    @pytest.mark.parametrize(
        "presented",
        ["", "ogf_", "not-a-token", "ogf_" + "A" * 43, "Bearer ogf_x", "ogf_" + "\u00e9" * 43],
    )
    async def test_an_unknown_or_malformed_token_is_refused(
        self, store: FeedStore, presented: str
    ) -> None:
        await store.create_token("desk-1", ["ACC1"])

        assert await store.authenticate(presented) is None

    async def test_a_token_that_differs_in_one_character_is_refused(self, store: FeedStore) -> None:
        token = await store.create_token("desk-1", ["ACC1"])
        last = "A" if token[-1] != "A" else "B"

        assert await store.authenticate(token[:-1] + last) is None
        assert await store.authenticate(token + "A") is None

    async def test_tokens_lists_metadata_and_never_the_token(
        self, store: FeedStore, clock: TestClock
    ) -> None:
        t1 = await store.create_token("zeta", None)
        created = clock.now_ns()
        clock.advance(1_000)
        t2 = await store.create_token("alpha", ["B", "A"])

        infos = await store.tokens()

        assert [(i.name, i.accounts, i.revoked) for i in infos] == [
            ("alpha", frozenset({"A", "B"}), False),
            ("zeta", None, False),
        ]
        assert infos[1].created_ns == created
        assert infos[0].created_ns == created + 1_000
        assert t1 not in repr(infos)
        assert t2 not in repr(infos)

    async def test_a_revoked_token_no_longer_authenticates(
        self, store: FeedStore, clock: TestClock
    ) -> None:
        token = await store.create_token("desk-1", ["ACC1"])
        clock.advance(5)

        info = await store.revoke_token("desk-1")

        assert await store.authenticate(token) is None
        assert info.revoked
        assert info.revoked_ns == clock.now_ns()

    async def test_revoking_twice_keeps_the_first_revocation_time(
        self, store: FeedStore, clock: TestClock
    ) -> None:
        await store.create_token("desk-1", ["ACC1"])
        first = await store.revoke_token("desk-1")
        clock.advance(10)

        again = await store.revoke_token("desk-1")

        assert again.revoked_ns == first.revoked_ns

    async def test_revoking_an_unknown_token_raises_not_found(self, store: FeedStore) -> None:
        with pytest.raises(TokenNotFound):
            await store.revoke_token("nobody")

    async def test_a_token_name_is_never_reused_even_after_revocation(
        self, store: FeedStore
    ) -> None:
        token = await store.create_token("desk-1", ["ACC1"])
        with pytest.raises(TokenExists):
            await store.create_token("desk-1", None)
        await store.revoke_token("desk-1")

        with pytest.raises(TokenExists):
            await store.create_token("desk-1", None)

        assert [i.accounts for i in await store.tokens()] == [frozenset({"ACC1"})]
        assert await store.authenticate(token) is None

    @pytest.mark.parametrize("name", [*BAD_NAMES, "anyone"])
    async def test_a_bad_or_reserved_token_name_is_refused_and_nothing_is_stored(
        self, store: FeedStore, name: str
    ) -> None:
        with pytest.raises(InvalidFeedName) as raised:
            await store.create_token(name, None)

        assert raised.value.field == "name"
        assert await store.tokens() == []

    @pytest.mark.parametrize("accounts", [[], [""], ["  "], ["A,B"], ["x" * 129]])
    async def test_bad_token_accounts_are_refused_and_nothing_is_stored(
        self, store: FeedStore, accounts: list[str]
    ) -> None:
        with pytest.raises(InvalidFeedName) as raised:
            await store.create_token("desk-1", accounts)

        assert raised.value.field == "accounts"
        assert await store.tokens() == []

    # --- durable subscriptions -----------------------------------------------------------

    async def test_a_subscription_keeps_its_filter_and_cursor(
        self, store: FeedStore, clock: TestClock
    ) -> None:
        made = await store.create_subscription("desk-1", "fills", FILLS, 7, head=10)

        got = await store.subscription("desk-1", "fills")

        assert got == made
        assert got is not None
        assert got.filter == FILLS
        assert (got.owner, got.name, got.cursor) == ("desk-1", "fills", 7)
        assert got.created_ns == got.updated_ns == clock.now_ns()

    async def test_an_empty_filter_round_trips(self, store: FeedStore) -> None:
        await store.create_subscription("desk-1", "all", FeedFilter(), 0, head=0)

        got = await store.subscription("desk-1", "all")

        assert got is not None
        assert got.filter == FeedFilter()

    async def test_names_are_unique_per_owner_not_globally(self, store: FeedStore) -> None:
        await store.create_subscription("desk-1", "fills", FILLS, 0, head=0)
        await store.create_subscription("desk-2", "fills", FeedFilter(), 0, head=0)

        with pytest.raises(SubscriptionExists):
            await store.create_subscription("desk-1", "fills", FeedFilter(), 0, head=0)

        mine = await store.subscription("desk-1", "fills")
        assert mine is not None
        assert mine.filter == FILLS

    async def test_subscriptions_lists_only_the_owners_by_name(self, store: FeedStore) -> None:
        for name in ("zz", "aa", "mm"):
            await store.create_subscription("desk-1", name, FeedFilter(), 0, head=0)
        await store.create_subscription("desk-2", "other", FeedFilter(), 0, head=0)

        names = [s.name for s in await store.subscriptions("desk-1")]

        assert names == ["aa", "mm", "zz"]
        assert await store.subscriptions("nobody") == []
        assert await store.subscription("desk-2", "aa") is None

    @pytest.mark.parametrize("name", BAD_NAMES)
    async def test_a_bad_subscription_name_is_refused(self, store: FeedStore, name: str) -> None:
        with pytest.raises(InvalidFeedName):
            await store.create_subscription("desk-1", name, FeedFilter(), 0, head=0)

        assert await store.subscriptions("desk-1") == []

    async def test_a_start_beyond_the_head_or_negative_is_refused(self, store: FeedStore) -> None:
        with pytest.raises(PositionBeyondHead):
            await store.create_subscription("desk-1", "fills", FeedFilter(), 11, head=10)
        with pytest.raises(ValueError, match="non-negative"):
            await store.create_subscription("desk-1", "fills", FeedFilter(), -1, head=10)

        assert await store.subscriptions("desk-1") == []

    async def test_delete_removes_only_the_owners_subscription(self, store: FeedStore) -> None:
        await store.create_subscription("desk-1", "fills", FeedFilter(), 0, head=0)
        await store.create_subscription("desk-2", "fills", FeedFilter(), 0, head=0)

        assert await store.delete_subscription("desk-1", "fills")
        assert not await store.delete_subscription("desk-1", "fills")
        assert not await store.delete_subscription("desk-3", "fills")

        assert await store.subscription("desk-1", "fills") is None
        assert await store.subscription("desk-2", "fills") is not None

    # --- acknowledgements ----------------------------------------------------------------

    async def test_ack_moves_the_cursor_forward_and_stamps_the_time(
        self, store: FeedStore, clock: TestClock
    ) -> None:
        made = await store.create_subscription("desk-1", "fills", FILLS, 2, head=10)
        clock.advance(1_000)

        acked, advanced = await store.ack("desk-1", "fills", 6, head=10)

        assert advanced
        assert acked.cursor == 6
        assert acked.updated_ns == clock.now_ns()
        assert acked.created_ns == made.created_ns
        assert await store.subscription("desk-1", "fills") == acked

    @pytest.mark.parametrize("position", [0, 3, 6])
    async def test_ack_at_or_below_the_cursor_changes_nothing(
        self, store: FeedStore, clock: TestClock, position: int
    ) -> None:
        await store.create_subscription("desk-1", "fills", FILLS, 3, head=10)
        before, _ = await store.ack("desk-1", "fills", 6, head=10)
        clock.advance(1_000)

        after, advanced = await store.ack("desk-1", "fills", min(position, 6), head=10)

        assert not advanced
        assert after == before

    async def test_ack_up_to_the_head_is_allowed_and_beyond_it_refused(
        self, store: FeedStore
    ) -> None:
        await store.create_subscription("desk-1", "fills", FILLS, 0, head=10)

        with pytest.raises(PositionBeyondHead):
            await store.ack("desk-1", "fills", 11, head=10)
        unchanged = await store.subscription("desk-1", "fills")
        acked, advanced = await store.ack("desk-1", "fills", 10, head=10)

        assert unchanged is not None
        assert unchanged.cursor == 0
        assert (acked.cursor, advanced) == (10, True)

    async def test_a_negative_ack_is_refused(self, store: FeedStore) -> None:
        await store.create_subscription("desk-1", "fills", FILLS, 0, head=10)

        with pytest.raises(ValueError, match="non-negative"):
            await store.ack("desk-1", "fills", -1, head=10)

    async def test_ack_of_an_unknown_or_someone_elses_subscription_raises_not_found(
        self, store: FeedStore
    ) -> None:
        await store.create_subscription("desk-1", "fills", FILLS, 0, head=10)

        with pytest.raises(SubscriptionNotFound):
            await store.ack("desk-1", "nope", 1, head=10)
        with pytest.raises(SubscriptionNotFound):
            await store.ack("desk-2", "fills", 5, head=10)

        mine = await store.subscription("desk-1", "fills")
        assert mine is not None
        assert mine.cursor == 0

    async def test_concurrent_acks_leave_the_highest_position(self, store: FeedStore) -> None:
        await store.create_subscription("desk-1", "fills", FILLS, 0, head=100)
        positions = [37, 5, 100, 64, 12, 99, 1, 100, 50]

        results = await asyncio.gather(
            *(store.ack("desk-1", "fills", p, head=100) for p in positions)
        )

        final = await store.subscription("desk-1", "fills")
        assert final is not None
        assert final.cursor == 100
        assert all(acked.cursor <= 100 for acked, _ in results)
        assert sum(advanced for _, advanced in results) >= 1

    # --- durability ----------------------------------------------------------------------

    async def test_everything_survives_a_reopen(self, store_url: str, clock: TestClock) -> None:
        async with open_feed_store(store_url, clock=clock) as first:
            token = await first.create_token("desk-1", ["ACC1"])
            await first.create_subscription("desk-1", "fills", FILLS, 0, head=9)
            await first.ack("desk-1", "fills", 9, head=9)

        async with open_feed_store(store_url, clock=clock) as second:
            principal = await second.authenticate(token)
            subscription = await second.subscription("desk-1", "fills")

        assert principal == Principal(name="desk-1", accounts=frozenset({"ACC1"}))
        assert subscription is not None
        assert (subscription.cursor, subscription.filter) == (9, FILLS)

    async def test_opening_twice_keeps_the_schema_and_rows(
        self, store: FeedStore, store_url: str
    ) -> None:
        await store.create_token("desk-1", None)

        async with open_feed_store(store_url) as again:
            assert [i.name for i in await again.tokens()] == ["desk-1"]

    async def test_using_a_store_before_start_is_refused(self, store_url: str) -> None:
        unstarted = open_feed_store(store_url)

        with pytest.raises(RuntimeError, match="not open"):
            await unstarted.tokens()
