"""How a managed broker's connections are dialled, watched and redialled."""

from __future__ import annotations

import msgspec

from ordergate.gateway.connections.health import HealthThresholds

__all__ = ["ConnectionSettings"]


class ConnectionSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How connections are dialled, watched and redialled.

    Raises
    ------
    ValueError
        A timeout or interval that is not positive.
    """

    connect_timeout: float = 15.0
    """Seconds one ``connect()`` plus the first round trip may take."""
    probe_interval: float = 1.0
    probe_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_maximum: float = 30.0
    rate_limit_wait: float = 5.0
    """Seconds an order request may wait for its connection's rate limiter before it is
    tried elsewhere (a new order) or refused (a cancel or replace)."""
    thresholds: HealthThresholds = HealthThresholds()

    def __post_init__(self) -> None:
        if min(self.connect_timeout, self.probe_interval, self.probe_timeout) <= 0:
            raise ValueError("connect_timeout, probe_interval and probe_timeout must be positive")
        if self.rate_limit_wait < 0:
            raise ValueError("rate_limit_wait cannot be negative")
