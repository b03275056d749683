"""Root fixtures shared by every test folder.

``postgres_url`` starts one throwaway PostgreSQL server per test session (see
``tests/servers.py``). Without the binaries it skips, or fails when ``CI`` is ``"true"``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

# Make ``tests.<folder>`` importable (shared helpers, contract suites) however pytest is run.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fixtures import throwaway_server  # noqa: E402
from tests.servers import PostgresServer, PostgresUnavailableError, start_postgres  # noqa: E402


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo the process-wide structlog set-up that ``ordergate.cli.main`` makes."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Run one throwaway PostgreSQL server for the session."""
    yield from throwaway_server(start_postgres, PostgresUnavailableError, "PostgreSQL")


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """Return the URL of a database created for the session on the throwaway server."""
    return postgres_server.create_database("ordergate")


from tests.servers import RedisServer, RedisUnavailableError, start_redis  # noqa: E402


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Run one throwaway Redis server for the session."""
    yield from throwaway_server(start_redis, RedisUnavailableError, "redis-server")


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """Return the URL of database 0 on the session's throwaway Redis server."""
    return redis_server.url()
