"""Helpers of the platform tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


async def until_status(client: httpx.AsyncClient, order_id: str, status: str) -> dict[str, Any]:
    """Poll the order until it has ``status`` (bounded); return it."""
    async with asyncio.timeout(10):
        while True:
            order: dict[str, Any] = (await client.get(f"/api/orders/{order_id}")).json()
            if order["status"] == status:
                return order
            await asyncio.sleep(0.02)
