"""The HTTP and WebSocket API (FastAPI)."""

from ordergate.api.app import create_app

__all__ = ["create_app"]
