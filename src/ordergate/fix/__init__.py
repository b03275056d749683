"""ordergate's FIX 4.2/4.4 engine.

- :mod:`ordergate.fix.message` and :mod:`ordergate.fix.codec`: the message type, tag=value
  encoding with BodyLength(9) and CheckSum(10), framing of a TCP byte stream.
- :mod:`ordergate.fix.dictionary`: the FIX 4.2 and 4.4 data dictionaries and validation.
- :mod:`ordergate.fix.session`: the session layer as a sans-IO state machine (time passed in).
- :mod:`ordergate.fix.store`: message stores (memory, SQLite, PostgreSQL) and the audit log.
- :mod:`ordergate.fix.transport`: the asyncio initiator and acceptor around the session.
"""
