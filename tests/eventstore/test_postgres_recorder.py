"""The PostgreSQL recorder against the contract, on a throwaway server."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest
from tests.eventstore.contract import EventRecorderContract
from tests.servers import PostgresServer

pytestmark = pytest.mark.integration


class PostgresTamper:
    def __init__(self, url: str) -> None:
        self.url = url

    async def execute(self, sql: str, *params: object) -> None:
        counter = iter(range(1, len(params) + 1))
        sql = re.sub(r"\?", lambda _: f"${next(counter)}", sql)
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(sql, *params)
        finally:
            await conn.close()

    async def install_poison(self, stream_id: str) -> None:
        await self.execute(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.stream_id = '{stream_id}' THEN RAISE EXCEPTION 'poisoned'; END IF; "
            "RETURN NEW; END $$"
        )
        await self.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()"
        )


class TestPostgresRecorder(EventRecorderContract):
    @pytest.fixture
    def store_url(self, postgres_server: PostgresServer) -> str:
        return postgres_server.create_database(f"es_{uuid.uuid4().hex[:16]}")

    @pytest.fixture
    def tamper(self, store_url: str) -> PostgresTamper:
        return PostgresTamper(store_url)
