"""The hash chain: how an event's hash is computed and how a stored chain is verified.

Invariants:

- ``hash = sha256(DOMAIN || prev_hash || header || stream_id || type || data)`` where the
  header packs position, version, schema_version and ts as big-endian signed 64-bit
  integers followed by the byte lengths of stream_id, type and data as unsigned 32-bit
  integers. Every field has a fixed width or a length prefix, so the encoding is injective:
  two different events never hash the same bytes.
- ``prev_hash`` of position 1 is ``GENESIS_HASH`` (32 zero bytes); of position ``n`` it is
  the hash of position ``n - 1``.
- Because the position is inside the hash, renumbering rows breaks their hashes: moving a
  row is as visible as editing it.

The verify walk is pure: the backends read rows in position order and feed them to a
``ChainWalker``, which keeps the last accepted row and one row of lookahead, and names the
first break. It cannot see a truncation of the tail (the chain alone has no anchor for its
own end) nor a tail whose every hash was recomputed by someone who rewrote it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from hashlib import sha256

from ordergate.eventstore.recorder import ChainBreak, NewEvent, VerifyReport

__all__ = ["GENESIS_HASH", "ChainWalker", "Row", "chain_rows", "event_hash"]

GENESIS_HASH = bytes(32)
_DOMAIN = b"ordergate.event.v1\x00"
_HEADER = struct.Struct(">qqqqIII")

Row = tuple[int, str, int, str, int, bytes, int, bytes, bytes]
"""A stored event as a tuple, in column order:
(position, stream_id, version, type, schema_version, data, ts, prev_hash, hash)."""


def event_hash(
    prev_hash: bytes,
    position: int,
    stream_id: str,
    version: int,
    type: str,
    schema_version: int,
    data: bytes,
    ts: int,
) -> bytes:
    """Return the sha256 of ``prev_hash`` and the canonical encoding of an event's fields."""
    sid = stream_id.encode()
    typ = type.encode()
    header = _HEADER.pack(position, version, schema_version, ts, len(sid), len(typ), len(data))
    return sha256(b"".join((_DOMAIN, prev_hash, header, sid, typ, data))).digest()


def chain_rows(
    head_position: int, head_hash: bytes, events: Iterable[NewEvent], into: list[Row]
) -> tuple[int, bytes]:
    """Append the rows of ``events`` chained after the head to ``into``; return the new head."""
    position = head_position
    prev = head_hash
    for e in events:
        position += 1
        h = event_hash(
            prev, position, e.stream_id, e.version, e.type, e.schema_version, e.data, e.ts
        )
        into.append(
            (position, e.stream_id, e.version, e.type, e.schema_version, e.data, e.ts, prev, h)
        )
        prev = h
    return position, prev


def _content_ok(row: Row) -> bool:
    return event_hash(row[7], row[0], row[1], row[2], row[3], row[4], row[5], row[6]) == row[8]


class ChainWalker:
    """Verify rows fed in ascending position order; stop at the first break."""

    def __init__(self) -> None:
        self.checked = 0
        self.first_break: ChainBreak | None = None
        self._prev: Row | None = None
        self._pending: Row | None = None

    def feed(self, rows: Iterable[Row]) -> bool:
        """Check rows; return False once a break is found (further rows are pointless)."""
        if self.first_break is not None:
            return False
        for row in rows:
            pending = self._pending
            if pending is not None:
                brk = self._check(pending, row)
                if brk is not None:
                    self.first_break = brk
                    return False
                self._prev = pending
                self.checked += 1
            self._pending = row
        return True

    def finish(self) -> VerifyReport:
        """Check the last row (without lookahead) and return the report."""
        if self.first_break is None and self._pending is not None:
            self.first_break = self._check(self._pending, None)
            if self.first_break is None:
                self.checked += 1
            self._pending = None
        return VerifyReport(self.checked, self.first_break)

    def _check(self, cur: Row, nxt: Row | None) -> ChainBreak | None:
        prev = self._prev
        prev_position = 0 if prev is None else prev[0]
        prev_hash = GENESIS_HASH if prev is None else prev[8]
        position = cur[0]
        link_ok = cur[7] == prev_hash
        if position == prev_position + 1 and link_ok and _content_ok(cur):
            return None
        return _classify(prev, cur, nxt)


def _classify(prev: Row | None, cur: Row, nxt: Row | None) -> ChainBreak:
    prev_position = 0 if prev is None else prev[0]
    prev_hash = GENESIS_HASH if prev is None else prev[8]
    position = cur[0]
    if position != prev_position + 1:
        missing = prev_position + 1
        return ChainBreak(
            missing, "deleted", f"position {missing} is missing; the next stored is {position}"
        )
    link_ok = cur[7] == prev_hash
    if not link_ok:
        if nxt is not None and cur[7] == nxt[8]:
            return ChainBreak(
                position,
                "reordered",
                f"the event at position {position} links to the event stored after it",
            )
        if prev is not None and cur[7] == prev[7]:
            return ChainBreak(
                prev_position,
                "inserted",
                f"the event at position {position} links past position {prev_position}, "
                "which was not in the chain",
            )
    if nxt is not None and nxt[7] == prev_hash:
        return ChainBreak(
            position,
            "inserted",
            f"the event at position {position + 1} links past position {position}, "
            "which was not in the chain",
        )
    if not link_ok:
        if _content_ok(cur):
            return ChainBreak(
                prev_position,
                "edited",
                f"the event at position {prev_position} was changed and re-hashed: "
                f"position {position} no longer links to it",
            )
        return ChainBreak(
            position,
            "deleted",
            f"the event at position {position} links to an event that is no longer stored",
        )
    return ChainBreak(
        position, "edited", f"the event at position {position} does not match its hash"
    )
