"""Settings: embedded defaults that run with no setup, overridable by flags and environment.

| setting | flag | environment | default |
|---|---|---|---|
| data directory | --data-dir | ORDERGATE_DATA_DIR | ./data |
| event store URL | --store | ORDERGATE_STORE_URL | sqlite:///<data dir>/events.db |
| host / port | --host / --port | ORDERGATE_HOST / ORDERGATE_PORT | 127.0.0.1 / 8000 |
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

__all__ = ["Settings"]


class Settings(msgspec.Struct, kw_only=True):
    """Everything the platform needs to start."""

    data_dir: Path = msgspec.field(
        default_factory=lambda: Path(os.environ.get("ORDERGATE_DATA_DIR", "data"))
    )
    store_url: str | None = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_STORE_URL")
    )
    host: str = msgspec.field(default_factory=lambda: os.environ.get("ORDERGATE_HOST", "127.0.0.1"))
    port: int = msgspec.field(default_factory=lambda: int(os.environ.get("ORDERGATE_PORT", "8000")))
    sim_seed: int = 7
    sim_latency_ns: int = 0
    sim_step_ns: int = 200_000_000
    snapshot_every: int = 100

    def resolved_store_url(self) -> str:
        """Return the event store URL (the SQLite file in the data directory by default)."""
        if self.store_url:
            return self.store_url
        return f"sqlite:///{(self.data_dir / 'events.db').resolve()}"
