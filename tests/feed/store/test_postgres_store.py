"""The PostgreSQL feed store against the contract, on the throwaway server."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from ordergate.feed.store import open_feed_store
from tests.feed.store.contract import FILLS, FeedStoreContract
from tests.servers import PostgresServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database(f"feed_{uuid.uuid4().hex[:12]}")


async def drop_tables(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP TABLE IF EXISTS feed_tokens, feed_subscriptions")
    finally:
        await conn.close()


class TestPostgresFeedStore(FeedStoreContract):
    @pytest.fixture
    async def store_url(self, database_url: str) -> str:
        # One database per module; every test starts from empty tables.
        await drop_tables(database_url)
        return database_url


async def test_two_stores_on_one_database_share_tokens_and_cursors(database_url: str) -> None:
    await drop_tables(database_url)
    async with open_feed_store(database_url) as a, open_feed_store(database_url) as b:
        token = await a.create_token("desk-1", ["ACC1"])
        await a.create_subscription("desk-1", "fills", FILLS, 0, head=50)
        await b.ack("desk-1", "fills", 40, head=50)
        _, moved_back = await a.ack("desk-1", "fills", 30, head=50)

        principal = await b.authenticate(token)
        seen = await a.subscription("desk-1", "fills")

    assert principal is not None
    assert principal.name == "desk-1"
    assert not moved_back
    assert seen is not None
    assert seen.cursor == 40
