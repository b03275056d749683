"""TLS contexts for FIX connections (server side for acceptors, client side for initiators)."""

from __future__ import annotations

import ssl
from pathlib import Path

__all__ = ["client_context", "server_context"]


def server_context(
    cert: str | Path, key: str | Path, ca: str | Path | None = None
) -> ssl.SSLContext:
    """Return a context for an acceptor presenting ``cert``/``key``.

    With ``ca``, clients must present a certificate signed by it (mutual TLS).

    Raises:
        OSError or ssl.SSLError: when a file is missing or is not a usable certificate/key.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    if ca is not None:
        context.load_verify_locations(str(ca))
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(
    ca: str | Path | None = None,
    cert: str | Path | None = None,
    key: str | Path | None = None,
    *,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """Return a context for an initiator that verifies the acceptor against ``ca``.

    Without ``ca`` the system's trusted roots are used. ``cert``/``key`` give a client
    certificate for acceptors that require one.

    Raises:
        ValueError: when only one of ``cert`` and ``key`` is given.
        OSError or ssl.SSLError: when a file is missing or unusable.
    """
    if (cert is None) != (key is None):
        raise ValueError("a client certificate needs both cert and key")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = check_hostname
    if ca is not None:
        context.load_verify_locations(str(ca))
    if cert is not None and key is not None:
        context.load_cert_chain(str(cert), str(key))
    return context
