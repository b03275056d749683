"""The FIX message: tag=value fields in wire order.

A :class:`FixMessage` is a list of ``(tag, value)`` pairs with values kept as the bytes
seen on the wire, so parsing never converts a field nobody reads and repeated tags (repeating
groups) keep their order. Typed getters convert on demand; prices and quantities come back as
:class:`~decimal.Decimal`, never float.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TypeAlias

__all__ = ["FieldValue", "FixMessage", "WireLayout", "encode_value"]

FieldValue: TypeAlias = str | bytes | int | Decimal | bool
WireLayout: TypeAlias = tuple[bytes, list[bytes]]
"""A parsed message's tag line (its tags as received, joined by SOH) and values."""


def encode_value(value: FieldValue) -> bytes:
    """Return the wire form of one field value (bool as Y/N, Decimal without exponent)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, bool):
        return b"Y" if value else b"N"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, Decimal):
        return format(value, "f").encode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__} as a FIX value")


def _first_values(fields: list[tuple[int, bytes]]) -> dict[int, bytes]:
    # dict() keeps the last value of a repeated tag: build it from the end in that case.
    index = dict(fields)
    return index if len(index) == len(fields) else dict(reversed(fields))


class FixMessage:
    """One FIX message; ``fields`` are ``(tag, value bytes)`` in wire order.

    A parsed message holds every field including BeginString(8), BodyLength(9) and
    CheckSum(10); a message built to be sent may leave the header to the session. Two
    messages are equal when their fields other than BodyLength(9) and CheckSum(10) are.
    Change a message through its methods or by assigning a new ``fields`` list: lookups by
    tag use an index that those keep up to date.
    """

    __slots__ = ("_fields", "_index", "_wire")

    def __init__(self, fields: list[tuple[int, bytes]] | None = None) -> None:
        self._fields: list[tuple[int, bytes]] = fields if fields is not None else []
        self._index: dict[int, bytes] | None = None
        self._wire: WireLayout | None = None

    @property
    def fields(self) -> list[tuple[int, bytes]]:
        """The ``(tag, value bytes)`` pairs in wire order."""
        return self._fields

    @fields.setter
    def fields(self, fields: list[tuple[int, bytes]]) -> None:
        self._fields = fields
        self._index = None
        self._wire = None

    @classmethod
    def indexed(cls, fields: list[tuple[int, bytes]]) -> FixMessage:
        """Build a message from ``fields`` and index it by tag at once.

        For a parsed message, which is read by tag right away: the index is one C-level pass.
        """
        message = cls.__new__(cls)
        message._fields = fields
        message._index = _first_values(fields)
        message._wire = None
        return message

    @classmethod
    def from_wire(
        cls, fields: list[tuple[int, bytes]], index: dict[int, bytes], wire: WireLayout
    ) -> FixMessage:
        """Assemble a parsed message from parts the parser built.

        Args:
            fields: the fields in wire order.
            index: tag -> first value, from ``fields``.
            wire: the tag line (the tags as received, joined by SOH) and the values in
                wire order, the same objects as in ``fields``.
        """
        message = cls.__new__(cls)
        message._fields = fields
        message._index = index
        message._wire = wire
        return message

    def wire_layout(self) -> WireLayout | None:
        """Return the tag line and values as parsed, or None (built, or changed since)."""
        return self._wire

    @classmethod
    def of(cls, msg_type: str, *fields: tuple[int, FieldValue]) -> FixMessage:
        """Build a message of ``msg_type`` (MsgType(35)) with the given body fields."""
        pairs = [(35, msg_type.encode("ascii"))]
        pairs.extend((tag, encode_value(value)) for tag, value in fields)
        return cls(pairs)

    def append(self, tag: int, value: FieldValue) -> None:
        """Add a field at the end."""
        self._fields.append((tag, encode_value(value)))
        self._changed()

    def extend(self, fields: Iterable[tuple[int, FieldValue]]) -> None:
        """Add fields at the end, in order."""
        self._fields.extend((tag, encode_value(value)) for tag, value in fields)
        self._changed()

    def add_group(
        self, count_tag: int, instances: Iterable[Iterable[tuple[int, FieldValue]]]
    ) -> None:
        """Append a repeating group: its count field, then each instance's fields in order.

        Each instance must start with the group's delimiter (first member) and list members
        in dictionary order; a nested group is a count field and its instances, inline.
        """
        encoded = [[(tag, encode_value(value)) for tag, value in fields] for fields in instances]
        self._fields.append((count_tag, b"%d" % len(encoded)))
        for fields in encoded:
            self._fields.extend(fields)
        self._changed()

    def _changed(self) -> None:
        self._index = None
        self._wire = None

    def set_index(self, index: dict[int, bytes]) -> None:
        """Adopt ``index`` (tag -> first value) built elsewhere from these same fields."""
        self._index = index

    def first_values(self) -> Mapping[int, bytes]:
        """Return tag -> first value of every tag, built once and kept until a change.

        With no repeated tag the mapping holds exactly one entry per field.
        """
        index = self._index
        if index is None:
            index = self._index = _first_values(self._fields)
        return index

    def _first(self) -> dict[int, bytes]:
        index = self._index
        if index is None:
            index = self._index = _first_values(self._fields)
        return index

    @property
    def msg_type(self) -> str:
        """MsgType(35), or "" when absent."""
        value = self._first().get(35)
        return value.decode("latin-1") if value is not None else ""

    def __contains__(self, tag: object) -> bool:
        return tag in self._first()

    def get(self, tag: int) -> bytes | None:
        """Return the first value of ``tag`` as bytes, or None."""
        return self._first().get(tag)

    def get_str(self, tag: int) -> str | None:
        """Return the first value of ``tag`` as text, or None."""
        value = self._first().get(tag)
        return value.decode("latin-1") if value is not None else None

    def get_int(self, tag: int) -> int | None:
        """Return the first value of ``tag`` as an int, or None; ValueError if not one."""
        value = self._first().get(tag)
        return int(value) if value is not None else None

    def get_decimal(self, tag: int) -> Decimal | None:
        """Return the first value of ``tag`` as a Decimal, or None."""
        value = self._first().get(tag)
        return Decimal(value.decode("ascii")) if value is not None else None

    def get_bool(self, tag: int) -> bool:
        """Return True when ``tag`` is present with value Y."""
        return self._first().get(tag) == b"Y"

    def get_all(self, tag: int) -> list[bytes]:
        """Return every value of ``tag`` in wire order (fields of a repeating group)."""
        return [value for t, value in self._fields if t == tag]

    def set(self, tag: int, value: FieldValue) -> None:
        """Replace the first occurrence of ``tag`` (or append it)."""
        encoded = encode_value(value)
        for i, (t, _) in enumerate(self._fields):
            if t == tag:
                self._fields[i] = (tag, encoded)
                break
        else:
            self._fields.append((tag, encoded))
        self._changed()

    def remove(self, tag: int) -> None:
        """Drop every occurrence of ``tag``."""
        self._fields = [(t, v) for t, v in self._fields if t != tag]
        self._changed()

    def body(self) -> Iterator[tuple[int, bytes]]:
        """Yield the fields other than BeginString(8), BodyLength(9) and CheckSum(10)."""
        return ((t, v) for t, v in self._fields if t not in (8, 9, 10))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FixMessage):
            return NotImplemented
        return [f for f in self._fields if f[0] not in (9, 10)] == [
            f for f in other.fields if f[0] not in (9, 10)
        ]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        text = "|".join(f"{t}={v.decode('latin-1')}" for t, v in self._fields)
        return f"FixMessage({text})"
