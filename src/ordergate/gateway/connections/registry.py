"""The brokers a Gateway runs, by id: what the broker API lists and acts on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ordergate.gateway.connections.managed import ManagedVenue

__all__ = ["BrokerRegistry"]


class BrokerRegistry:
    """Managed venues by broker id (their venue name).

    Raises
    ------
    ValueError
        When two brokers share an id.
    """

    def __init__(self, brokers: Iterable[ManagedVenue] = ()) -> None:
        self._brokers: dict[str, ManagedVenue] = {}
        for broker in brokers:
            self.add(broker)

    def add(self, broker: ManagedVenue) -> None:
        """Register a broker under its name.

        Raises
        ------
        ValueError
            If a broker of that name is registered already.
        """
        if broker.name in self._brokers:
            raise ValueError(f"broker {broker.name!r} is registered already")
        self._brokers[broker.name] = broker

    def get(self, broker_id: str) -> ManagedVenue | None:
        """Return the broker of ``broker_id``, or None."""
        return self._brokers.get(broker_id)

    def __iter__(self) -> Iterator[ManagedVenue]:
        return iter(self._brokers.values())

    def __len__(self) -> int:
        return len(self._brokers)
