"""Fixtures for the simulated venue's tests."""

from __future__ import annotations

import pytest

from ordergate.sim.engine import MatchingEngine

from .helpers import AAPL, BTC


@pytest.fixture
def engine() -> MatchingEngine:
    """An engine trading AAPL and BTC-USD with the default fees (maker 1 bp, taker 2 bp)."""
    return MatchingEngine([AAPL, BTC])
