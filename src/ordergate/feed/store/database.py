"""What a feed store backend supplies: its schema, and transactions running ``?`` SQL.

:class:`~ordergate.feed.store.store.FeedStore` holds every query, written once; SQLite and
PostgreSQL differ only in how a statement is run and a transaction is held. The interface
is the shared one of :mod:`ordergate.sqldb`, re-exported here.
"""

from __future__ import annotations

from ordergate.sqldb import Database, DuplicateKey, Transaction

__all__ = ["Database", "DuplicateKey", "Transaction"]
