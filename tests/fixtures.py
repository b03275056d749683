"""How the fixtures start a throwaway server: fail in CI when it cannot, skip elsewhere."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TypeVar

import pytest

__all__ = ["throwaway_server"]

ServerT = TypeVar("ServerT")


def throwaway_server(
    start: Callable[[], AbstractContextManager[ServerT]],
    unavailable: type[Exception],
    what: str,
) -> Iterator[ServerT]:
    """Yield the server ``start()`` runs, stopping it afterwards (use with ``yield from``).

    A missing server binary (``unavailable``) fails the run when ``CI`` is ``"true"`` and
    skips the tests that need it elsewhere.
    """
    try:
        context = start()
        server = context.__enter__()
    except unavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} is required in CI: {e}")
        pytest.skip(str(e))
    try:
        yield server
    finally:
        context.__exit__(None, None, None)
