from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    # ordergate.cli.main configures structlog for the process; undo it for the next test.
    yield
    structlog.reset_defaults()
