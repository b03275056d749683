"""Order flow over FIX: the venue adapter, its per-broker configuration and the mapping.

- :class:`FixVenue`: the :class:`~ordergate.venues.base.VenueAdapter` over one FIX session.
- :class:`FixVenueConfig`: version, CompIDs, endpoints, tag renames, extra tags, symbols.
- :mod:`~ordergate.fix.venue.outbound` / :mod:`~ordergate.fix.venue.inbound`: the pure
  mapping between domain types and NewOrderSingle(D), OrderCancelRequest(F),
  OrderCancelReplaceRequest(G), OrderStatusRequest(H), OrderMassCancelRequest(q),
  ExecutionReport(8), OrderCancelReject(9) and BusinessMessageReject(j).
"""

from ordergate.fix.venue.adapter import FixVenue
from ordergate.fix.venue.book import ClOrdIdBook
from ordergate.fix.venue.codes import FixMappingError
from ordergate.fix.venue.config import FixVenueConfig
from ordergate.fix.venue.inbound import ReportReader

__all__ = ["ClOrdIdBook", "FixMappingError", "FixVenue", "FixVenueConfig", "ReportReader"]
