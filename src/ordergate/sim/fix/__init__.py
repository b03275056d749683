"""The simulated exchange over FIX 4.2/4.4: a :class:`SimFixExchange` behind a FIX acceptor."""

from ordergate.sim.fix.exchange import SimFixExchange, acceptor_session

__all__ = ["SimFixExchange", "acceptor_session"]
