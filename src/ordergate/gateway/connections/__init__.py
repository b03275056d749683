"""Connection management for venues: health, circuit breaking, reconnection and failover.

:class:`ManagedVenue` wraps the connections of one broker as one
:class:`~ordergate.venues.base.VenueAdapter`; :class:`BrokerRegistry` holds the brokers the
API shows. The deciding pieces are pure: the connection state table (``state``), the
:class:`CircuitBreaker`, :class:`ConnectionHealth` and the :class:`Balancer`.
"""

from ordergate.gateway.connections.balance import Balancer, BalancingPolicy, Candidate, Role
from ordergate.gateway.connections.breaker import (
    BREAKER_TRANSITIONS,
    COUNTED_KINDS,
    BreakerConfig,
    BreakerSnapshot,
    BreakerState,
    BreakerTrigger,
    CircuitBreaker,
)
from ordergate.gateway.connections.check import ConnectionCheck, check_connections
from ordergate.gateway.connections.health import (
    ConnectionHealth,
    HealthSnapshot,
    HealthThresholds,
    LastError,
    LatencyWindow,
    RollingCounter,
    assess,
)
from ordergate.gateway.connections.ledger import Holding, OrderLedger, ReportOutcome
from ordergate.gateway.connections.link import (
    ConnectionSpec,
    Probe,
    VenueConnection,
    classify,
    round_trip_probe,
)
from ordergate.gateway.connections.managed import ManagedVenue, ResyncHandler
from ordergate.gateway.connections.registry import BrokerRegistry
from ordergate.gateway.connections.settings import ConnectionSettings
from ordergate.gateway.connections.state import (
    CONNECTION_TRANSITIONS,
    ConnectionState,
    ConnectionTrigger,
    InvalidStateTransition,
    StateMachine,
    connection_machine,
)

__all__ = [
    "BREAKER_TRANSITIONS",
    "CONNECTION_TRANSITIONS",
    "COUNTED_KINDS",
    "Balancer",
    "BalancingPolicy",
    "BreakerConfig",
    "BreakerSnapshot",
    "BreakerState",
    "BreakerTrigger",
    "BrokerRegistry",
    "Candidate",
    "CircuitBreaker",
    "ConnectionCheck",
    "ConnectionHealth",
    "ConnectionSettings",
    "ConnectionSpec",
    "ConnectionState",
    "ConnectionTrigger",
    "HealthSnapshot",
    "HealthThresholds",
    "Holding",
    "InvalidStateTransition",
    "LastError",
    "LatencyWindow",
    "ManagedVenue",
    "OrderLedger",
    "Probe",
    "ReportOutcome",
    "ResyncHandler",
    "Role",
    "RollingCounter",
    "StateMachine",
    "VenueConnection",
    "assess",
    "check_connections",
    "classify",
    "connection_machine",
    "round_trip_probe",
]
