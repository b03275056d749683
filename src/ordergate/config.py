"""Settings: embedded defaults that run with no setup, overridable by flags and environment.

| setting | flag | environment | default |
|---|---|---|---|
| data directory | --data-dir | ORDERGATE_DATA_DIR | ./data |
| event store URL | --store | ORDERGATE_STORE_URL | sqlite:///<data dir>/events.db |
| host / port | --host / --port | ORDERGATE_HOST / ORDERGATE_PORT | 127.0.0.1 / 8000 |
| simulated FIX exchange on | | ORDERGATE_FIX_SIM (0 / 1) | 1 |
| its port (0: a free one) | | ORDERGATE_FIX_SIM_PORT | 0 |
| FIX message store URL | | ORDERGATE_FIX_STORE_URL | sqlite:///<data dir>/fix.db |
| simulated Alpaca API on | | ORDERGATE_ALPACA_SIM (0 / 1) | 1 |
| its port (0: a free one) | | ORDERGATE_ALPACA_SIM_PORT | 0 |
| simulated Binance spot API on | | ORDERGATE_BINANCE_SIM (0 / 1) | 1 |
| its port (0: a free one) | | ORDERGATE_BINANCE_SIM_PORT | 0 |
| credential store URL | | ORDERGATE_CREDENTIAL_STORE_URL | sqlite:///<data dir>/credentials.db |
| Redis for shared rate-limit counters | | ORDERGATE_REDIS_URL | none: counters in process |
| vault master key | | ORDERGATE_MASTER_KEY or ORDERGATE_MASTER_KEY_FILE | <data dir>/master.key |
| brokers file (TOML) | --brokers | ORDERGATE_BROKERS_FILE | none: simulators only |
| feed store (tokens, subscriptions) | | ORDERGATE_FEED_STORE_URL | sqlite:///<data dir>/feed.db |
| feed access (open / token) | | ORDERGATE_FEED_AUTH | open |
| NATS server for the JetStream feed | | ORDERGATE_NATS_URL | none: feed in process only |
| gRPC feed port (0: a free one, -1: off) | | ORDERGATE_GRPC_PORT | -1 (demo: 0) |
| FIX drop copy port (0: a free one, -1: off) | | ORDERGATE_DROPCOPY_PORT | -1 (demo: 0) |
| its SenderCompID | | ORDERGATE_DROPCOPY_COMP_ID | ORDERGATE |
| its counterparties | | ORDERGATE_DROPCOPY_COUNTERPARTIES | DESK=* |

Drop copy counterparties are ``COMPID=ACCOUNT+ACCOUNT`` or ``COMPID=*`` (every account),
comma-separated, e.g. ``RISK=ACC1+ACC2,OPS=*``.

The master key is base64 of 32 random bytes; without one, a key file is made in the data
directory on first start (readable by its owner only). The brokers file lists real brokers
to trade at (see :mod:`ordergate.gateway.brokers_file`; keys stay in the vault).
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
    fix_sim: bool = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_FIX_SIM", "1") not in ("0", "")
    )
    fix_sim_port: int = msgspec.field(
        default_factory=lambda: int(os.environ.get("ORDERGATE_FIX_SIM_PORT", "0"))
    )
    fix_sim_begin_string: str = "FIX.4.4"
    fix_store_url: str | None = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_FIX_STORE_URL")
    )

    alpaca_sim: bool = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_ALPACA_SIM", "1") not in ("0", "")
    )
    alpaca_sim_port: int = msgspec.field(
        default_factory=lambda: int(os.environ.get("ORDERGATE_ALPACA_SIM_PORT", "0"))
    )
    binance_sim: bool = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_BINANCE_SIM", "1") not in ("0", "")
    )
    binance_sim_port: int = msgspec.field(
        default_factory=lambda: int(os.environ.get("ORDERGATE_BINANCE_SIM_PORT", "0"))
    )
    redis_url: str | None = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_REDIS_URL")
    )
    credential_store_url: str | None = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_CREDENTIAL_STORE_URL")
    )
    brokers_file: Path | None = msgspec.field(
        default_factory=lambda: Path(v) if (v := os.environ.get("ORDERGATE_BROKERS_FILE")) else None
    )

    feed_store_url: str | None = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_FEED_STORE_URL")
    )
    feed_auth: str = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_FEED_AUTH", "open")
    )
    nats_url: str | None = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_NATS_URL")
    )
    grpc_port: int = msgspec.field(
        default_factory=lambda: int(os.environ.get("ORDERGATE_GRPC_PORT", "-1"))
    )

    dropcopy_port: int = msgspec.field(
        default_factory=lambda: int(os.environ.get("ORDERGATE_DROPCOPY_PORT", "-1"))
    )
    dropcopy_comp_id: str = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_DROPCOPY_COMP_ID", "ORDERGATE")
    )
    dropcopy_counterparties: str = msgspec.field(
        default_factory=lambda: os.environ.get("ORDERGATE_DROPCOPY_COUNTERPARTIES", "DESK=*")
    )

    def resolved_feed_store_url(self) -> str:
        """Return the feed store URL (``feed.db`` in the data directory by default)."""
        if self.feed_store_url:
            return self.feed_store_url
        return f"sqlite:///{(self.data_dir / 'feed.db').resolve()}"

    def resolved_credential_store_url(self) -> str:
        """Return the credential store URL (``credentials.db`` in the data directory by default)."""
        if self.credential_store_url:
            return self.credential_store_url
        return f"sqlite:///{(self.data_dir / 'credentials.db').resolve()}"

    def master_key_file(self) -> Path:
        """Return the vault's key file when no master key is configured (made on first start)."""
        return self.data_dir / "master.key"

    def resolved_store_url(self) -> str:
        """Return the event store URL (the SQLite file in the data directory by default)."""
        if self.store_url:
            return self.store_url
        return f"sqlite:///{(self.data_dir / 'events.db').resolve()}"

    def resolved_fix_store_url(self) -> str:
        """Return the FIX message store URL (``fix.db`` in the data directory by default)."""
        if self.fix_store_url:
            return self.fix_store_url
        return f"sqlite:///{(self.data_dir / 'fix.db').resolve()}"
