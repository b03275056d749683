"""Root fixtures shared by every test folder.

``postgres_url`` starts one throwaway PostgreSQL server per test session (see
``tests/servers.py``). Without the binaries it skips, or fails when ``CI`` is ``"true"``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

# Make ``tests.<folder>`` importable (shared helpers, contract suites) however pytest is run.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.servers import PostgresServer, PostgresUnavailableError, start_postgres  # noqa: E402


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo the process-wide structlog set-up that ``ordergate.cli.main`` makes."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Run one throwaway PostgreSQL server for the session."""
    try:
        context = start_postgres()
        server = context.__enter__()
    except PostgresUnavailableError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {e}")
        pytest.skip(str(e))
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """Return the URL of a database created for the session on the throwaway server."""
    return postgres_server.create_database("ordergate")


from tests.servers import RedisServer, RedisUnavailableError, start_redis  # noqa: E402


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Run one throwaway Redis server for the session."""
    try:
        context = start_redis()
        server = context.__enter__()
    except RedisUnavailableError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"redis-server is required in CI: {e}")
        pytest.skip(str(e))
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """Return the URL of database 0 on the session's throwaway Redis server."""
    return redis_server.url()
