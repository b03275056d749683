"""The PostgreSQL credential store against the contract, on the throwaway server."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest

from tests.gateway.vault.contract import CredentialStoreContract
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


@pytest.fixture(scope="module")
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database(f"vault_{uuid.uuid4().hex[:12]}")


class TestPostgresCredentialStore(CredentialStoreContract):
    @pytest.fixture
    async def store_url(self, database_url: str) -> str:
        # One database per module; every test starts from empty tables.
        await PostgresTamper(database_url).execute(
            "DROP TABLE IF EXISTS credentials, credential_audit"
        )
        return database_url

    @pytest.fixture
    def tamper(self, database_url: str) -> PostgresTamper:
        return PostgresTamper(database_url)
