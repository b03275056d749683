"""The FIX message: tag=value fields in wire order.

A :class:`FixMessage` is a list of ``(tag, value)`` pairs with values kept as the bytes
seen on the wire, so parsing never converts a field nobody reads and repeated tags (repeating
groups) keep their order. Typed getters convert on demand; prices and quantities come back as
:class:`~decimal.Decimal`, never float.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TypeAlias

__all__ = ["FieldValue", "FixMessage", "encode_value"]

FieldValue: TypeAlias = str | bytes | int | Decimal | bool


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


class FixMessage:
    """One FIX message; ``fields`` are ``(tag, value bytes)`` in wire order.

    A parsed message holds every field including BeginString(8), BodyLength(9) and
    CheckSum(10); a message built to be sent may leave the header to the session. Two
    messages are equal when their fields other than BodyLength(9) and CheckSum(10) are.
    """

    __slots__ = ("_index", "fields")

    def __init__(self, fields: list[tuple[int, bytes]] | None = None) -> None:
        self.fields: list[tuple[int, bytes]] = fields if fields is not None else []
        self._index: dict[int, bytes] | None = None

    @classmethod
    def of(cls, msg_type: str, *fields: tuple[int, FieldValue]) -> FixMessage:
        """Build a message of ``msg_type`` (MsgType(35)) with the given body fields."""
        pairs = [(35, msg_type.encode("ascii"))]
        pairs.extend((tag, encode_value(value)) for tag, value in fields)
        return cls(pairs)

    def append(self, tag: int, value: FieldValue) -> None:
        """Add a field at the end."""
        self.fields.append((tag, encode_value(value)))
        self._index = None

    def extend(self, fields: Iterable[tuple[int, FieldValue]]) -> None:
        """Add fields at the end, in order."""
        self.fields.extend((tag, encode_value(value)) for tag, value in fields)
        self._index = None

    def add_group(
        self, count_tag: int, instances: Iterable[Iterable[tuple[int, FieldValue]]]
    ) -> None:
        """Append a repeating group: its count field, then each instance's fields in order.

        Each instance must start with the group's delimiter (first member) and list members
        in dictionary order; a nested group is a count field and its instances, inline.
        """
        encoded = [[(tag, encode_value(value)) for tag, value in fields] for fields in instances]
        self.fields.append((count_tag, b"%d" % len(encoded)))
        for fields in encoded:
            self.fields.extend(fields)
        self._index = None

    def set_index(self, index: dict[int, bytes]) -> None:
        """Adopt ``index`` (tag -> first value) built elsewhere from these same fields."""
        self._index = index

    def _first(self) -> dict[int, bytes]:
        index = self._index
        if index is None:
            index = {}
            for tag, value in self.fields:
                if tag not in index:
                    index[tag] = value
            self._index = index
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
        return [value for t, value in self.fields if t == tag]

    def set(self, tag: int, value: FieldValue) -> None:
        """Replace the first occurrence of ``tag`` (or append it)."""
        encoded = encode_value(value)
        for i, (t, _) in enumerate(self.fields):
            if t == tag:
                self.fields[i] = (tag, encoded)
                break
        else:
            self.fields.append((tag, encoded))
        self._index = None

    def remove(self, tag: int) -> None:
        """Drop every occurrence of ``tag``."""
        self.fields = [(t, v) for t, v in self.fields if t != tag]
        self._index = None

    def body(self) -> Iterator[tuple[int, bytes]]:
        """Yield the fields other than BeginString(8), BodyLength(9) and CheckSum(10)."""
        return ((t, v) for t, v in self.fields if t not in (8, 9, 10))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FixMessage):
            return NotImplemented
        return [f for f in self.fields if f[0] not in (9, 10)] == [
            f for f in other.fields if f[0] not in (9, 10)
        ]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        text = "|".join(f"{t}={v.decode('latin-1')}" for t, v in self.fields)
        return f"FixMessage({text})"
