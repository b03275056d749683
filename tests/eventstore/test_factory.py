"""Choosing the backend from a URL."""

from __future__ import annotations

import re

import pytest
from tests.eventstore.contract import event

from ordergate.eventstore import open_recorder
from ordergate.eventstore.postgres import PostgresRecorder
from ordergate.eventstore.sqlite import SqliteRecorder


@pytest.mark.parametrize("url", ["sqlite:///tmp/x/events.db", "sqlite:events.db"])
def test_sqlite_urls_give_a_sqlite_recorder(url: str):
    assert isinstance(open_recorder(url), SqliteRecorder)


@pytest.mark.parametrize("url", ["postgresql://u@h:5432/db", "postgres://u@h/db"])
def test_postgres_urls_give_a_postgres_recorder(url: str):
    assert isinstance(open_recorder(url), PostgresRecorder)


@pytest.mark.parametrize("url", ["mysql://h/db", "events.db", "sqlite:", "sqlite://:memory:"])
def test_unknown_or_incomplete_urls_are_refused(url: str):
    with pytest.raises(ValueError, match=re.escape(repr(url))):
        open_recorder(url)


@pytest.mark.integration
async def test_session_postgres_url_opens_a_working_recorder(postgres_url: str):
    async with open_recorder(postgres_url) as recorder:
        start = await recorder.last_position()
        positions = await recorder.append([event(f"F-{start}", 1)])

    assert positions == [start + 1]
