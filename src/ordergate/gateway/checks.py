"""Trying a stored credential against its broker: what ``POST /api/credentials/{b}/test`` runs.

Each broker that logs on with API keys registers a check: an async function that takes the
decrypted secret, makes one authenticated read at the broker (an account query) and says
whether the broker accepted it. A broker error of kind ``AUTH`` means the credential was
refused; any other error leaves the question open (the vault reports it as inconclusive).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ordergate.gateway.vault import BrokerSecret, CheckResult

__all__ = ["BrokerCheck", "CredentialChecks"]

#: One broker's check: log on with the secret, return what the broker said.
BrokerCheck = Callable[[BrokerSecret], Awaitable[CheckResult]]


class CredentialChecks:
    """The credential checks of the brokers that take API keys, by broker name."""

    def __init__(self) -> None:
        self._checks: dict[str, BrokerCheck] = {}

    def add(self, broker: str, check: BrokerCheck) -> None:
        """Register ``broker``'s check."""
        self._checks[broker] = check

    def knows(self, broker: str) -> bool:
        """Return True when ``broker`` takes credentials (it has a check)."""
        return broker in self._checks

    async def __call__(self, broker: str, secret: BrokerSecret) -> CheckResult:
        """Run ``broker``'s check with ``secret``."""
        return await self._checks[broker](secret)
