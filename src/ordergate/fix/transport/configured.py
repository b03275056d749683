"""Acceptors and initiators built from a settings file (:mod:`ordergate.fix.settings`).

Each session gets what its entry says: its store URL (or the file's default store; memory
when neither is given), its TLS context, and its dictionary (the counterparty's XML file
and/or extensions; the standard dictionary of its version otherwise). Acceptor sessions on
one ``host:port`` share one :class:`FixAcceptor`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ordergate.fix.session.config import SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.transport.acceptor import FixAcceptor
from ordergate.fix.transport.application import FixApplication
from ordergate.fix.transport.backoff import Backoff
from ordergate.fix.transport.initiator import FixInitiator
from ordergate.fix.transport.stores import StoreFactory, memory_stores, url_stores

if TYPE_CHECKING:
    from ordergate.clock import Clock
    from ordergate.fix.registry import SessionRegistry
    from ordergate.fix.settings import FixSettings

__all__ = ["build_acceptors", "build_initiators", "settings_stores"]


def settings_stores(settings: FixSettings) -> StoreFactory:
    """Return a store factory that opens each session's store at its configured URL.

    Sessions with the same URL share one database (see :func:`url_stores`); a session not in
    ``settings`` gets the default store.
    """
    urls = {s.config.session_id: settings.store_url(s) for s in settings.sessions}
    memory = memory_stores()
    by_url: dict[str, StoreFactory] = {}

    async def factory(config: SessionConfig) -> MessageStore:
        url = urls.get(config.session_id, settings.store)
        if url is None:
            return await memory(config)
        if url not in by_url:
            by_url[url] = url_stores(url)
        return await by_url[url](config)

    return factory


def build_acceptors(
    settings: FixSettings,
    application: FixApplication,
    *,
    clock: Clock | None = None,
    registry: SessionRegistry | None = None,
) -> list[FixAcceptor]:
    """Return one (not started) acceptor per ``host:port`` of the acceptor sessions.

    Raises:
        SettingsError: sessions on one listener with different TLS, or TLS files that
            cannot be loaded.
    """
    stores = settings_stores(settings)
    acceptors: list[FixAcceptor] = []
    for (host, port), group in settings.acceptor_groups().items():
        acceptors.append(
            FixAcceptor(
                host,
                port,
                [s.config for s in group],
                stores,
                application,
                ssl_context=group[0].ssl_context(),
                session_dictionaries={
                    s.config.session_id: s.dictionary for s in group if s.dictionary is not None
                },
                clock=clock,
                registry=registry,
            )
        )
    return acceptors


def build_initiators(
    settings: FixSettings,
    application: FixApplication,
    *,
    backoff: Backoff | None = None,
    clock: Clock | None = None,
    registry: SessionRegistry | None = None,
) -> list[FixInitiator]:
    """Return one (not started) initiator per initiator session.

    Raises:
        SettingsError: TLS files that cannot be loaded.
    """
    stores = settings_stores(settings)
    return [
        FixInitiator(
            s.config,
            stores,
            s.dictionary,
            s.endpoints,
            application,
            ssl_context=s.ssl_context(),
            server_hostname=s.tls.server_hostname if s.tls is not None else None,
            backoff=backoff,
            clock=clock,
            registry=registry,
        )
        for s in settings.initiators()
    ]
