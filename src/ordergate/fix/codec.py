"""tag=value encoding, parsing and stream framing (pure).

Framing follows the standard: a message starts with ``8=``, its second field is
BodyLength(9), and it ends with a three-digit CheckSum(10) exactly BodyLength bytes after
the end of the BodyLength field. A frame whose BodyLength does not lead to ``10=``, or whose
checksum does not match, is *garbled*: the framer reports it and resynchronises on the next
``8=`` so the session can ignore it without consuming a sequence number.

Raw data fields (RawData(96) after RawDataLength(95), and the other length/data pairs of
the standard) may contain SOH; the parser reads them by their declared length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import repeat
from zlib import adler32

from ordergate.fix.message import FixMessage

__all__ = [
    "RAW_DATA_TAGS",
    "FixParseError",
    "FrameParser",
    "Garbled",
    "checksum",
    "encode",
    "encode_fields",
    "parse",
]

SOH = 0x01

#: Length tag -> the data tag whose value has that many bytes (may contain SOH).
RAW_DATA_TAGS: dict[int, int] = {
    90: 91,  # SecureDataLen -> SecureData
    93: 89,  # SignatureLength -> Signature
    95: 96,  # RawDataLength -> RawData
    212: 213,  # XmlDataLen -> XmlData
    348: 349,  # EncodedIssuerLen -> EncodedIssuer
    350: 351,  # EncodedSecurityDescLen -> EncodedSecurityDesc
    352: 353,  # EncodedListExecInstLen -> EncodedListExecInst
    354: 355,  # EncodedTextLen -> EncodedText
    356: 357,  # EncodedSubjectLen -> EncodedSubject
    358: 359,  # EncodedHeadlineLen -> EncodedHeadline
    360: 361,  # EncodedAllocTextLen -> EncodedAllocText
    362: 363,  # EncodedUnderlyingIssuerLen -> EncodedUnderlyingIssuer
    364: 365,  # EncodedUnderlyingSecurityDescLen -> EncodedUnderlyingSecurityDesc
    445: 446,  # EncodedListStatusTextLen -> EncodedListStatusText
    618: 619,  # EncodedLegIssuerLen -> EncodedLegIssuer
    621: 622,  # EncodedLegSecurityDescLen -> EncodedLegSecurityDesc
}

# Tags below this get precomputed wire prefixes and parse without int(); raw-data length
# tags are left out on purpose so that a frame carrying one takes the careful parser.
_FAST_TAG_LIMIT = 20000
_TAG_OF: dict[bytes, int] = {
    b"%d" % tag: tag for tag in range(1, _FAST_TAG_LIMIT) if tag not in RAW_DATA_TAGS
}
_PREFIX: dict[int, bytes] = {tag: b"\x01%d=" % tag for tag in range(1, _FAST_TAG_LIMIT)}
_EQUALS = b"="
_partition = bytes.partition
# Every byte but "=" and SOH, deleted to see a frame's delimiters alone.
_NOT_DELIMITER = bytes(b for b in range(256) if b not in (SOH, 0x3D))
_ALTERNATING = b"=\x01" * 4096  # frames of up to 4096 fields take the quickest path


class FixParseError(ValueError):
    """A frame whose fields cannot be read (a tag that is not a number, a field without '=')."""


class Garbled:
    """A frame dropped by the framer: bad BodyLength or CheckSum. ``data`` is what was skipped."""

    __slots__ = ("data", "reason")

    def __init__(self, data: bytes, reason: str) -> None:
        self.data = data
        self.reason = reason

    def __repr__(self) -> str:
        return f"Garbled({self.reason!r}, {len(self.data)} bytes)"


def checksum(data: bytes | bytearray | memoryview) -> int:
    """Return the FIX checksum of ``data``: the sum of its bytes modulo 256."""
    return _byte_sum(data) & 0xFF


def _byte_sum(data: bytes | bytearray | memoryview) -> int:
    # Adler-32's first half is 1 + the byte sum modulo 65521: exact while the sum stays
    # below 65520, so for up to 256 bytes, or 515 ASCII bytes (515 * 127 < 65520), and
    # computed in C, unlike sum() over a bytes object.
    n = len(data)
    if n <= 256 or (n <= 515 and isinstance(data, bytes) and data.isascii()):
        return (adler32(data) & 0xFFFF) - 1
    step = 515 if isinstance(data, bytes) and data.isascii() else 256
    view = memoryview(data)
    total = 0
    for start in range(0, n, step):
        total += (adler32(view[start : start + step]) & 0xFFFF) - 1
    return total


def encode_fields(begin_string: bytes, fields: Iterable[tuple[int, bytes]]) -> bytes:
    """Encode a message: BeginString, computed BodyLength, ``fields`` in order, CheckSum."""
    prefix = _PREFIX
    parts: list[bytes] = []
    extend = parts.extend
    pending = iter(fields)
    try:
        for tag, value in pending:
            extend((prefix[tag], value))
    except KeyError:
        extend((_prefix(tag), value))
        for tag, value in pending:
            extend((_prefix(tag), value))
    # ``body`` starts with the SOH that ends BodyLength(9) and lacks its own final SOH:
    # the same number of bytes as the body proper.
    body = b"".join(parts)
    head = b"8=%s\x019=%d" % (begin_string, len(body))
    total = (_byte_sum(head) + _byte_sum(body) + SOH) & 0xFF
    return b"%s%s\x0110=%03d\x01" % (head, body, total)


def _prefix(tag: int) -> bytes:
    if tag <= 0:
        raise ValueError(f"tag {tag} is not a valid tag number")
    return b"\x01%d=" % tag


def encode(message: FixMessage) -> bytes:
    """Encode ``message`` (which must hold BeginString(8)); 9 and 10 are computed anew."""
    begin = message.get(8)
    if begin is None:
        raise ValueError("message has no BeginString(8)")
    return encode_fields(begin, message.body())


def parse(frame: bytes) -> FixMessage:
    """Parse one complete frame into a message; FixParseError when a field is malformed.

    Raw data fields (e.g. RawData(96) after RawDataLength(95)) are read by their declared
    length and may contain SOH.
    """
    # The common frame, in C-level passes: when its delimiters alternate "=", SOH (no value
    # holds "=") it splits into tag, value, tag, value... in one go.
    delimiters = frame.translate(None, _NOT_DELIMITER)
    if not len(delimiters) & 1 and _ALTERNATING.startswith(delimiters):
        pieces = frame.replace(b"\x01", _EQUALS).split(_EQUALS)
        if not pieces.pop():  # else bytes follow the last SOH
            line = b"\x01".join(pieces[::2])
            layout = _LAYOUTS.get(line)
            if layout is None:
                layout = _new_layout(line)
            if layout is not None:
                tags, repeats = layout
                values = pieces[1::2]
                fields = list(zip(tags, values, strict=True))
                # With repeated tags dict() would keep the last value: build from the end.
                index = dict(reversed(fields)) if repeats else dict(fields)
                return FixMessage.from_wire(fields, index, (line, values))
    split = _parse_fields(frame)
    return FixMessage.indexed(_parse_careful(frame) if split is None else split)


# Tag line (the tags of a frame joined by SOH, as received) -> the tags as numbers and
# whether one repeats. Counterparties send the same few layouts over and over, so the tags
# of a frame are converted with one lookup; the dictionary keeps its checks per line too.
_LAYOUTS: dict[bytes, tuple[tuple[int, ...], bool]] = {}
_MAX_LAYOUTS = 4096


def _new_layout(line: bytes) -> tuple[tuple[int, ...], bool] | None:
    # None when a tag needs the careful parser: not a plain number below _FAST_TAG_LIMIT, or
    # a raw-data length tag.
    try:
        tags = tuple(map(_TAG_OF.__getitem__, line.split(b"\x01")))
    except KeyError:
        return None
    if len(_LAYOUTS) >= _MAX_LAYOUTS:
        _LAYOUTS.clear()  # bounded: a peer sending ever new layouts only loses the shortcut
    layout = _LAYOUTS[line] = (tags, len(set(tags)) != len(tags))
    return layout


def _parse_fields(frame: bytes) -> list[tuple[int, bytes]] | None:
    # Field by field (values may hold "="); None when a field needs the careful parser: no
    # "=", a tag that is not a plain number below _FAST_TAG_LIMIT, a raw-data length tag.
    parts = frame.split(b"\x01")
    if parts.pop():
        return None
    tag_of = _TAG_OF
    try:
        fields = [
            (tag_of[tag], value)
            for tag, sep, value in map(_partition, parts, repeat(_EQUALS))
            if sep
        ]
    except KeyError:
        return None
    return fields if len(fields) == len(parts) else None


def _parse_careful(frame: bytes) -> list[tuple[int, bytes]]:
    fields: list[tuple[int, bytes]] = []
    pos = 0
    end = len(frame)
    raw_length: int | None = None
    raw_tag = -1
    while pos < end:
        eq = frame.find(b"=", pos)
        if eq < 0:
            raise FixParseError("field without '='")
        tag_text = frame[pos:eq]
        if not tag_text.isdigit():
            raise FixParseError(f"malformed tag {tag_text[:32]!r}")
        tag = int(tag_text)
        if tag == raw_tag and raw_length is not None:
            stop = eq + 1 + raw_length
            if stop >= end or frame[stop] != SOH:
                raise FixParseError(f"raw data field {tag} does not match its length")
        else:
            stop = frame.find(b"\x01", eq + 1)
            if stop < 0:
                raise FixParseError("frame does not end with SOH")
        value = frame[eq + 1 : stop]
        fields.append((tag, value))
        if tag in RAW_DATA_TAGS and value.isdigit():
            raw_length, raw_tag = int(value), RAW_DATA_TAGS[tag]
        else:
            raw_length, raw_tag = None, -1
        pos = stop + 1
    return fields


# BeginString, then BodyLength: the header the framer reads before it knows the frame's end.
_HEADER = re.compile(rb"8=[^\x01]{1,32}\x019=(\d{1,9})\x01")
# Each well-formed trailer "10=NNN<SOH>" -> its byte sum plus the checksum NNN it states: a
# frame is intact when its byte sum minus this is a multiple of 256.
_TRAILER_SUMS = {b"10=%03d\x01" % n: sum(b"10=%03d\x01" % n) + n for n in range(256)}


class FrameParser:
    """Cut a TCP byte stream into FIX frames, across partial and coalesced reads.

    Received chunks are only joined once enough bytes for the pending frame have arrived,
    so a large frame delivered in many small reads is copied once, and frames are cut from
    a ``bytes`` buffer by position (a read holding exactly one frame is not copied at all).
    """

    __slots__ = ("_chunks", "_chunks_size", "_data", "_need", "_pos", "max_body_length")

    def __init__(self, max_body_length: int = 1 << 20) -> None:
        self._data = b""
        self._pos = 0
        self._chunks: list[bytes] = []
        self._chunks_size = 0
        self._need = 0  # bytes (from _pos) the pending frame needs; 0 when unknown
        self.max_body_length = max_body_length

    def append(self, data: bytes) -> None:
        """Add bytes received from the transport."""
        if data:
            self._chunks.append(bytes(data))
            self._chunks_size += len(data)

    def buffered(self) -> int:
        """Return how many bytes wait for the rest of their frame."""
        return len(self._data) - self._pos + self._chunks_size

    def next_frame(self) -> bytes | Garbled | None:
        """Return the next complete frame, a :class:`Garbled` drop, or None for more data."""
        chunks = self._chunks
        if chunks:
            if self._need and self.buffered() < self._need:
                return None
            if len(chunks) == 1 and self._pos >= len(self._data):
                self._data = chunks[0]  # the usual read: it starts a frame, nothing to join
                self._pos = 0
                self._chunks = []
                self._chunks_size = 0
            else:
                self._join()
        data = self._data
        pos = self._pos
        head = _HEADER.match(data, pos)
        if head is None:
            return self._bad_header()
        length = int(head[1])
        if length > self.max_body_length:
            return self._skip("BodyLength(9) is not a number in range")
        body_end = head.end() + length
        frame_end = body_end + 7
        if len(data) < frame_end:
            self._need = frame_end - pos
            return None
        self._need = 0
        # The checksum covers everything before "10=": sum the whole frame (one C call for
        # a typical message) and take out the trailer's bytes, read off a table with them.
        trailer_sum = _TRAILER_SUMS.get(data[body_end:frame_end])
        if trailer_sum is None:
            if not data.startswith(b"10=", body_end) or data[frame_end - 1] != SOH:
                return self._skip("BodyLength(9) does not lead to CheckSum(10)")
            return self._skip("CheckSum(10) does not match")
        frame = data[pos:frame_end]
        # _byte_sum, inline for the usual frame.
        frame_sum = (adler32(frame) & 0xFFFF) - 1 if frame_end - pos <= 256 else _byte_sum(frame)
        if (frame_sum - trailer_sum) & 0xFF:
            return self._skip("CheckSum(10) does not match")
        self._pos = frame_end
        return frame

    def _join(self) -> None:
        rest = self._data[self._pos :] if self._pos < len(self._data) else b""
        chunks = self._chunks
        self._data = chunks[0] if not rest and len(chunks) == 1 else b"".join([rest, *chunks])
        self._pos = 0
        self._chunks = []
        self._chunks_size = 0

    def _bad_header(self) -> Garbled | None:
        # The header did not match: more bytes may complete it, or it is garbage.
        data, pos = self._data, self._pos
        if not data.startswith(b"8=", pos):
            return self._resync()
        soh = data.find(b"\x01", pos + 2)
        if soh < 0:
            return self._incomplete(pos + 40)
        if soh - pos - 2 > 32 or soh == pos + 2:
            return self._skip("BeginString(8) does not parse")
        if len(data) < soh + 3:
            return None
        if not data.startswith(b"9=", soh + 1):
            return self._skip("BodyLength(9) is not the second field")
        length_end = data.find(b"\x01", soh + 3)
        if length_end < 0:
            return self._incomplete(soh + 13)
        return self._skip("BodyLength(9) is not a number in range")

    def _resync(self) -> Garbled | None:
        data, pos = self._data, self._pos
        start = data.find(b"8=", pos)
        if start < 0:
            # Keep a last byte that may be the "8" of a BeginString cut by the read.
            keep = len(data) - 1 if data.endswith(b"8") else len(data)
            if keep <= pos:
                return None
            return self._drop(keep, "no BeginString")
        return self._drop(start, "bytes before BeginString")

    def _incomplete(self, limit: int) -> Garbled | None:
        if len(self._data) > limit:
            return self._skip("header does not parse")
        return None

    def _skip(self, reason: str) -> Garbled:
        # Drop everything before the next "8=FIX": the start of the next message.
        data = self._data
        nxt = data.find(b"8=FIX", self._pos + 1)
        if nxt < 0:
            # Keep a tail that may be the start of the next message, cut by the read.
            nxt = len(data)
            for size in (4, 3, 2, 1):
                if nxt - size > self._pos and data.endswith(b"8=FIX"[:size]):
                    nxt -= size
                    break
        return self._drop(nxt, reason)

    def _drop(self, cut: int, reason: str) -> Garbled:
        junk = self._data[self._pos : cut]
        self._pos = cut
        self._need = 0
        return Garbled(junk, reason)
