"""Checking Alpaca keys: one authenticated ``GET /v2/account``."""

from __future__ import annotations

import msgspec

from ordergate.gateway.vault import BrokerSecret, CheckResult
from ordergate.venues.alpaca.config import AlpacaVenueConfig
from ordergate.venues.alpaca.rest import AlpacaRest

__all__ = ["check_keys"]


async def check_keys(config: AlpacaVenueConfig, secret: BrokerSecret) -> CheckResult:
    """Read the account with ``secret``'s keys at ``config``'s endpoint.

    Raises
    ------
    VenueError
        ``AUTH`` when Alpaca refuses the keys (401/403); another kind when it could not say.
    """
    keyed = msgspec.structs.replace(config, key_id=secret.api_key, secret_key=secret.api_secret)
    rest = AlpacaRest(keyed)
    try:
        account = await rest.account()
    finally:
        await rest.close()
    return CheckResult(
        ok=True, message=f"account {account.get('account_number')}: {account.get('status')}"
    )
