"""The PostgreSQL message store against the contract, on a throwaway server."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.fix.store.contract import MessageStoreContract
from tests.servers import PostgresServer

pytestmark = pytest.mark.integration


class PostgresTamper:
    def __init__(self, url: str) -> None:
        self.url = url

    async def execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def install_poison(self) -> None:
        await self.execute(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'poisoned'; END $$"
        )
        await self.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON fix_message_log "
            "FOR EACH ROW EXECUTE FUNCTION poison()"
        )

    async def remove_poison(self) -> None:
        await self.execute("DROP TRIGGER poison ON fix_message_log")


class TestPostgresMessageStore(MessageStoreContract):
    @pytest.fixture
    def store_url(self, postgres_server: PostgresServer) -> str:
        return postgres_server.create_database(f"fix_{uuid.uuid4().hex[:16]}")

    @pytest.fixture
    def tamper(self, store_url: str) -> PostgresTamper:
        return PostgresTamper(store_url)
