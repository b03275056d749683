"""The asyncio shell around the sans-IO session: connections, initiator, acceptor, TLS.

- :class:`FixConnection`: one session over one socket (reads, dispatches, flushes, writes).
- :class:`FixInitiator`: connect, log on, reconnect with backoff across endpoints.
- :class:`FixAcceptor`: many sessions on one port, chosen by the CompIDs of the Logon.
- :class:`FixApplication`: what the application implements; :class:`EchoApplication` sends
  every application message back (conformance mode).
- :func:`build_acceptors`, :func:`build_initiators`: the sessions of a settings file.
"""

from ordergate.fix.transport.acceptor import AcceptedSession, FixAcceptor
from ordergate.fix.transport.application import FixApplication, NullApplication
from ordergate.fix.transport.backoff import Backoff
from ordergate.fix.transport.configured import build_acceptors, build_initiators, settings_stores
from ordergate.fix.transport.connection import ConnectionClosedError, DurableStore, FixConnection
from ordergate.fix.transport.echo import EchoApplication, echo_of
from ordergate.fix.transport.initiator import FixInitiator
from ordergate.fix.transport.stores import StoreFactory, memory_stores, url_stores
from ordergate.fix.transport.tls import client_context, server_context

__all__ = [
    "AcceptedSession",
    "Backoff",
    "ConnectionClosedError",
    "DurableStore",
    "EchoApplication",
    "FixAcceptor",
    "FixApplication",
    "FixConnection",
    "FixInitiator",
    "NullApplication",
    "StoreFactory",
    "build_acceptors",
    "build_initiators",
    "client_context",
    "echo_of",
    "memory_stores",
    "server_context",
    "settings_stores",
    "url_stores",
]
