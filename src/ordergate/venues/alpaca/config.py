"""How to reach one Alpaca account: keys, endpoints, symbols, timeouts and retry limits."""

from __future__ import annotations

import msgspec

__all__ = ["AlpacaVenueConfig"]

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
PAPER_STREAM_URL = "wss://paper-api.alpaca.markets/stream"
LIVE_STREAM_URL = "wss://api.alpaca.markets/stream"


class AlpacaVenueConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One Alpaca trading account as a venue.

    Parameters
    ----------
    key_id, secret_key
        The API key pair (sent as APCA-API-KEY-ID / APCA-API-SECRET-KEY).
    name
        The venue's name in ordergate.
    paper
        True for the paper trading endpoints, False for live; ignored for an endpoint that
        ``base_url`` / ``stream_url`` override.
    base_url
        REST base URL without ``/v2`` (``http://127.0.0.1:PORT`` for the simulator).
    stream_url
        Trade updates WebSocket URL (default: ``base_url`` with ``ws`` and ``/stream``).
    symbols
        Alpaca's symbol by ordergate symbol, where they differ.
    request_timeout_s
        How long one REST request may take before its outcome counts as unknown.
    connect_timeout_s
        How long :meth:`connect` waits for the trade updates stream to listen.
    max_attempts
        Attempts of one request while the answer is 429 or the outcome is unknown.
    max_retry_after_s
        Longest wait honoured from a Retry-After header.
    retry_backoff_s
        Wait before asking again after an unknown outcome (doubles each attempt).
    """

    key_id: str
    secret_key: str
    name: str = "ALPACA"
    paper: bool = True
    base_url: str | None = None
    stream_url: str | None = None
    symbols: dict[str, str] = msgspec.field(default_factory=dict)
    request_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    max_attempts: int = 4
    max_retry_after_s: float = 10.0
    retry_backoff_s: float = 0.2

    def rest_url(self) -> str:
        """Return the REST base URL in use."""
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        return PAPER_URL if self.paper else LIVE_URL

    def trade_stream_url(self) -> str:
        """Return the trade updates stream URL in use."""
        if self.stream_url is not None:
            return self.stream_url
        if self.base_url is not None:
            scheme, rest = self.base_url.rstrip("/").split("://", 1)
            return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/stream"
        return PAPER_STREAM_URL if self.paper else LIVE_STREAM_URL

    def venue_symbol(self, symbol: str) -> str:
        """Return Alpaca's symbol for ordergate's ``symbol``."""
        return self.symbols.get(symbol, symbol)

    def our_symbol(self, venue_symbol: str) -> str:
        """Return ordergate's symbol for Alpaca's ``venue_symbol``."""
        for ours, theirs in self.symbols.items():
            if theirs == venue_symbol:
                return ours
        return venue_symbol
