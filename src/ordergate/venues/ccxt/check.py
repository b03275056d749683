"""Checking exchange keys through ccxt: one authenticated balance read."""

from __future__ import annotations

from decimal import Decimal

import ccxt.async_support
import msgspec

from ordergate.gateway.vault import BrokerSecret, CheckResult
from ordergate.venues.ccxt.config import CcxtVenueConfig
from ordergate.venues.ccxt.errors import classify
from ordergate.venues.ccxt.factories import create_exchange

__all__ = ["check_keys"]


async def check_keys(config: CcxtVenueConfig, secret: BrokerSecret) -> CheckResult:
    """Read the account's balances with ``secret``'s keys at ``config``'s exchange.

    Raises
    ------
    VenueError
        ``AUTH`` when the exchange refuses the keys; another kind when it could not say.
    """
    keyed = msgspec.structs.replace(
        config,
        api_key=secret.api_key,
        secret=secret.api_secret,
        password=secret.passphrase if secret.passphrase is not None else config.password,
    )
    exchange = create_exchange(keyed)
    try:
        balance = await exchange.fetch_balance()
    except ccxt.async_support.BaseError as e:
        raise classify(e, config.venue) from e
    finally:
        await exchange.close()
    totals = balance.get("total", {})
    held = sorted(a for a, amount in totals.items() if amount is not None and Decimal(amount))
    return CheckResult(ok=True, message=f"balances readable: {', '.join(held) or 'none'}")
