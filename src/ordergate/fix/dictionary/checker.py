"""The complete validation walk: finds the most important problem of a message.

:meth:`Dictionary.validate` first tries a fast path that only proves a message clean; any
message it cannot prove clean (a problem, or a repeating group to walk) comes here. The walk
visits every field once, in wire order, descending into repeating groups, and keeps the
first problem of the most important kind. Kinds, most important first:

1. MsgType(35) missing or unknown (reported at once).
2. A tag that is undefined, not defined for this message, or not a valid tag number.
3. A tag without a value.
4. A tag repeated outside a group (or within one group instance).
5. A required tag missing (at the top level or in a group instance).
6. A value of the wrong format for its type.
7. A value outside the field's enumerated values.
8. A group whose count does not match its instances, or whose members are out of order.
9. BeginString(8), BodyLength(9), MsgType(35) not the first three fields, or CheckSum(10)
   not the last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ordergate.fix.dictionary.reasons import SessionRejectReason as R
from ordergate.fix.dictionary.reasons import ValidationIssue
from ordergate.fix.dictionary.spec import FieldDef
from ordergate.fix.dictionary.structure import GroupSpec, MessageSpec
from ordergate.fix.dictionary.types import ValueCheck

__all__ = ["FieldTables", "declared_count", "find_issue"]

_HEADER_PLACES = ((0, 8), (1, 9), (2, 35))


class FieldTables:
    """Dictionary-wide field facts the walk needs: definitions, format and enum checks."""

    __slots__ = ("enums", "fields", "formats")

    def __init__(
        self,
        fields: Mapping[int, FieldDef],
        formats: Mapping[int, ValueCheck | None],
        enums: Mapping[int, ValueCheck],
    ) -> None:
        self.fields = fields
        self.formats = formats
        self.enums = enums

    def label(self, tag: int) -> str:
        """Return ``Name(tag)`` or just the tag number for an undefined tag."""
        field = self.fields.get(tag)
        return f"{field.name}({tag})" if field is not None else f"tag {tag}"


class _Walk:
    __slots__ = ("issue", "rank", "tables")

    def __init__(self, tables: FieldTables) -> None:
        self.tables = tables
        self.rank = 99
        self.issue: ValidationIssue | None = None

    def note(self, rank: int, reason: R, tag: int | None, text: str) -> None:
        if rank < self.rank:
            self.rank = rank
            self.issue = ValidationIssue(reason, tag, text)

    def value(self, tag: int, value: bytes) -> None:
        tables = self.tables
        if not value:
            self.note(3, R.TAG_SPECIFIED_WITHOUT_A_VALUE, tag, f"{tables.label(tag)} is empty")
            return
        enum = tables.enums.get(tag)
        if enum is not None and enum(value):
            return
        check = tables.formats.get(tag)
        if check is not None and not check(value):
            field_type = tables.fields[tag].type
            self.note(
                6,
                R.INCORRECT_DATA_FORMAT_FOR_VALUE,
                tag,
                f"{tables.label(tag)}={_show(value)} is not a valid {field_type}",
            )
        elif enum is not None:
            self.note(
                7,
                R.VALUE_IS_INCORRECT,
                tag,
                f"{tables.label(tag)}={_show(value)} is not one of its allowed values",
            )


def find_issue(
    fields: Sequence[tuple[int, bytes]],
    messages: Mapping[str, MessageSpec],
    tables: FieldTables,
) -> ValidationIssue | None:
    """Return the most important problem of the message made of ``fields``, or None."""
    msg_type = next((value for tag, value in fields if tag == 35), None)
    if msg_type is None:
        return ValidationIssue(R.REQUIRED_TAG_MISSING, 35, "MsgType(35) is missing")
    spec = messages.get(msg_type.decode("latin-1"))
    if spec is None:
        return ValidationIssue(
            R.INVALID_MSGTYPE, 35, f"MsgType(35)={_show(msg_type)} is not a known message type"
        )
    walk = _Walk(tables)
    seen: set[int] = set()
    i, n = 0, len(fields)
    while i < n:
        tag, value = fields[i]
        i += 1
        if tag in spec.top:
            if tag in seen:
                walk.note(
                    4, R.TAG_APPEARS_MORE_THAN_ONCE, tag, f"{tables.label(tag)} appears twice"
                )
            seen.add(tag)
            walk.value(tag, value)
            group = spec.groups.get(tag)
            if group is not None:
                i = _group(fields, i, group, value, walk)
        elif tag <= 0:
            walk.note(2, R.INVALID_TAG_NUMBER, tag, f"{tag} is not a valid tag number")
        elif tag not in tables.fields:
            walk.note(2, R.UNDEFINED_TAG, tag, f"tag {tag} is not defined")
        elif tag in spec.member_tags:
            walk.note(
                8,
                R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER,
                tag,
                f"{tables.label(tag)} appears outside its repeating group",
            )
        else:
            walk.note(
                2,
                R.TAG_NOT_DEFINED_FOR_MESSAGE_TYPE,
                tag,
                f"{tables.label(tag)} is not defined for {spec.name}({spec.msg_type})",
            )
    for tag in spec.required_order:
        if tag not in seen:
            walk.note(5, R.REQUIRED_TAG_MISSING, tag, f"{tables.label(tag)} is missing")
            break
    _header_order(fields, walk)
    return walk.issue


def _header_order(fields: Sequence[tuple[int, bytes]], walk: _Walk) -> None:
    n = len(fields)
    for place, tag in _HEADER_PLACES:
        if place < n and fields[place][0] != tag and any(t == tag for t, _ in fields):
            walk.note(
                9,
                R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER,
                tag,
                f"{walk.tables.label(tag)} must be field {place + 1} of the message",
            )
            return
    if n and fields[-1][0] != 10 and any(t == 10 for t, _ in fields):
        walk.note(
            9, R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, 10, "CheckSum(10) must be the last field"
        )


def _group(
    fields: Sequence[tuple[int, bytes]], i: int, group: GroupSpec, count: bytes, walk: _Walk
) -> int:
    label = walk.tables.label
    order, delimiter, n = group.order, group.delimiter, len(fields)
    instances = 0
    while i < n:
        first_tag = fields[i][0]
        if first_tag != delimiter:
            if instances or first_tag not in order:
                break
            walk.note(
                8,
                R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER,
                first_tag,
                f"{label(group.count_tag)} instance must start with {label(delimiter)}",
            )
        instances += 1
        seen: set[int] = set()
        last = -1
        while i < n:
            tag, value = fields[i]
            position = order.get(tag)
            if position is None or (tag == delimiter and delimiter in seen):
                break
            i += 1
            if tag in seen:
                walk.note(
                    4,
                    R.TAG_APPEARS_MORE_THAN_ONCE,
                    tag,
                    f"{label(tag)} appears twice in one {label(group.count_tag)} instance",
                )
            elif position < last:
                walk.note(
                    8,
                    R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER,
                    tag,
                    f"{label(tag)} is out of order in {label(group.count_tag)}",
                )
            seen.add(tag)
            last = max(last, position)
            walk.value(tag, value)
            nested = group.groups.get(tag)
            if nested is not None:
                i = _group(fields, i, nested, value, walk)
        for tag in group.members:
            if tag in group.required and tag not in seen:
                walk.note(
                    5,
                    R.REQUIRED_TAG_MISSING,
                    tag,
                    f"{label(tag)} is missing in a {label(group.count_tag)} instance",
                )
                break
    declared = declared_count(count)
    if declared is not None and declared != instances:
        walk.note(
            8,
            R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP,
            group.count_tag,
            f"{label(group.count_tag)}={declared} but {instances} instance(s) follow",
        )
    return i


def declared_count(value: bytes) -> int | None:
    """Return the instance count a NumInGroup value states, or None when it is no number."""
    if value.isdigit():
        return int(value)
    if value[:1] == b"-" and value[1:].isdigit():
        return -int(value[1:])
    return None


def _show(value: bytes) -> str:
    text = value[:40].decode("latin-1")
    return repr(text) if len(value) <= 40 else repr(text + "...")
