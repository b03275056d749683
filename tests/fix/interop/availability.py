"""QuickFIX must be importable for the interop tests: skip without it, fail in CI."""

from __future__ import annotations

import os

import pytest


def require_quickfix() -> None:
    """Skip the calling test module when ``quickfix`` is missing (fail when CI=true)."""
    try:
        import quickfix  # noqa: F401
    except ImportError as e:
        message = f"the quickfix package is required for the interop tests: {e}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message, allow_module_level=True)
