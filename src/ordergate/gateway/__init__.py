"""The Gateway service: what keeps venue connections healthy, within limits and authorized.

Adapters for each venue live in :mod:`ordergate.venues`; this package holds what they share:
the venue error taxonomy, rate limiting, connection health and circuit breaking, and the
credential vault.
"""
