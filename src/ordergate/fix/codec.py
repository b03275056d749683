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

from collections.abc import Iterable

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
_RAW_MARKERS = tuple(b"\x01%d=" % tag for tag in RAW_DATA_TAGS)


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


def checksum(data: bytes) -> int:
    """Return the FIX checksum of ``data``: the sum of its bytes modulo 256."""
    return sum(data) & 0xFF


def encode_fields(begin_string: bytes, fields: Iterable[tuple[int, bytes]]) -> bytes:
    """Encode a message: BeginString, computed BodyLength, ``fields`` in order, CheckSum."""
    body = b"".join([b"%d=%s\x01" % field for field in fields])
    head = b"8=%s\x019=%d\x01" % (begin_string, len(body))
    return b"%s%s10=%03d\x01" % (head, body, (sum(head) + sum(body)) & 0xFF)


def encode(message: FixMessage) -> bytes:
    """Encode ``message`` (which must hold BeginString(8)); 9 and 10 are computed anew."""
    begin = message.get(8)
    if begin is None:
        raise ValueError("message has no BeginString(8)")
    return encode_fields(begin, message.body())


def parse(frame: bytes) -> FixMessage:
    """Parse one complete frame into a message; FixParseError when a field is malformed."""
    if any(marker in frame for marker in _RAW_MARKERS):
        return FixMessage(_parse_with_raw_data(frame))
    parts = frame.split(b"\x01")
    if parts[-1]:
        raise FixParseError("frame does not end with SOH")
    fields: list[tuple[int, bytes]] = []
    append = fields.append
    for part in parts[:-1]:
        tag, sep, value = part.partition(b"=")
        if not sep or not tag.isdigit():
            raise FixParseError(f"malformed field {part[:32]!r}")
        append((int(tag), value))
    return FixMessage(fields)


def _parse_with_raw_data(frame: bytes) -> list[tuple[int, bytes]]:
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


class FrameParser:
    """Cut a TCP byte stream into FIX frames, across partial and coalesced reads."""

    __slots__ = ("_buffer", "max_body_length")

    def __init__(self, max_body_length: int = 1 << 20) -> None:
        self._buffer = bytearray()
        self.max_body_length = max_body_length

    def append(self, data: bytes) -> None:
        """Add bytes received from the transport."""
        self._buffer += data

    def buffered(self) -> int:
        """Return how many bytes wait for the rest of their frame."""
        return len(self._buffer)

    def next_frame(self) -> bytes | Garbled | None:
        """Return the next complete frame, a :class:`Garbled` drop, or None for more data."""
        buf = self._buffer
        start = buf.find(b"8=")
        if start < 0:
            if len(buf) > 1:
                junk = bytes(buf[:-1])
                del buf[:-1]
                return Garbled(junk, "no BeginString")
            return None
        if start > 0:
            junk = bytes(buf[:start])
            del buf[:start]
            return Garbled(junk, "bytes before BeginString")
        soh = buf.find(b"\x01", 2)
        if soh < 0 or len(buf) < soh + 3:
            return self._incomplete(256)
        if not buf.startswith(b"9=", soh + 1):
            return self._skip("BodyLength(9) is not the second field")
        length_end = buf.find(b"\x01", soh + 3)
        if length_end < 0:
            return self._incomplete(soh + 16)
        length_text = bytes(buf[soh + 3 : length_end])
        if not length_text.isdigit() or int(length_text) > self.max_body_length:
            return self._skip("BodyLength(9) is not a number in range")
        body_end = length_end + 1 + int(length_text)
        frame_end = body_end + 7
        if len(buf) < frame_end:
            return None
        if buf[body_end : body_end + 3] != b"10=" or buf[frame_end - 1] != SOH:
            return self._skip("BodyLength(9) does not lead to CheckSum(10)")
        stated = bytes(buf[body_end + 3 : frame_end - 1])
        if not stated.isdigit() or int(stated) != (sum(buf[:body_end]) & 0xFF):
            return self._skip("CheckSum(10) does not match")
        frame = bytes(buf[:frame_end])
        del buf[:frame_end]
        return frame

    def _incomplete(self, limit: int) -> Garbled | None:
        if len(self._buffer) > limit:
            return self._skip("header does not parse")
        return None

    def _skip(self, reason: str) -> Garbled:
        # Drop everything before the next "8=FIX": the start of the next message.
        buf = self._buffer
        nxt = buf.find(b"8=FIX", 1)
        cut = nxt if nxt >= 0 else len(buf)
        junk = bytes(buf[:cut])
        del buf[:cut]
        return Garbled(junk, reason)
