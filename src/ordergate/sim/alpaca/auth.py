"""API keys of the simulated broker: the APCA-API-KEY-ID / APCA-API-SECRET-KEY headers.

A request without both headers, or with a key the broker does not know, or with the wrong
secret, is answered 401 with Alpaca's ``{"code": 40110000, "message": "request is not
authorized"}`` and reaches nothing else. Secrets are compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ordergate.sim.alpaca.checks import CODE_UNAUTHORIZED, AlpacaApiError

__all__ = ["KEY_HEADER", "SECRET_HEADER", "Credentials"]

KEY_HEADER = "APCA-API-KEY-ID"
SECRET_HEADER = "APCA-API-SECRET-KEY"  # noqa: S105 - a header name, not a secret


class Credentials:
    """The key ids the broker accepts and their secrets.

    Parameters
    ----------
    keys
        Secret by key id.
    """

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._keys = dict(keys)

    def authorized(self, key_id: str | None, secret: str | None) -> bool:
        """Return True when ``key_id`` is known and ``secret`` is its secret."""
        if key_id is None or secret is None:
            return False
        expected = self._keys.get(key_id)
        if expected is None:
            return False
        return hmac.compare_digest(expected.encode(), secret.encode())

    def check(self, key_id: str | None, secret: str | None) -> None:
        """Return when the pair is authorized.

        Raises
        ------
        AlpacaApiError
            401 40110000 when it is not.
        """
        if not self.authorized(key_id, secret):
            raise AlpacaApiError(401, CODE_UNAUTHORIZED, "request is not authorized")
