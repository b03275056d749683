"""Per-message lookup tables precomputed from a :class:`~.spec.SpecData`.

A :class:`MessageSpec` holds what validation needs for one MsgType(35) as sets and dicts:
the tags allowed at the top level (standard header, body and trailer outside any group) with
their value check, the required ones, and the repeating groups. A :class:`GroupSpec` is the
same for one group: its count tag, delimiter (first member), member order and nested groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ordergate.fix.dictionary.spec import Entry
from ordergate.fix.dictionary.types import ValueCheck

__all__ = ["GroupSpec", "MessageSpec", "build_groups"]


class GroupSpec:
    """One repeating group: count tag, delimiter, members in order, nested groups.

    Attributes:
        count_tag: the NumInGroup field that precedes the instances (e.g. NoPartyIDs(453)).
        delimiter: the first member; each instance starts with it.
        members: member tags in dictionary order.
        order: member tag -> its position in ``members``.
        required: members required in every instance (always includes the delimiter).
        groups: nested groups by their count tag.
    """

    __slots__ = ("count_tag", "delimiter", "groups", "members", "order", "required")

    def __init__(
        self,
        count_tag: int,
        members: Sequence[int],
        required: frozenset[int],
        groups: Mapping[int, GroupSpec],
    ) -> None:
        self.count_tag = count_tag
        self.members = tuple(members)
        self.delimiter = self.members[0]
        self.order = {tag: i for i, tag in enumerate(self.members)}
        self.required = required | {self.delimiter}
        self.groups = dict(groups)

    def find(self, count_tag: int) -> GroupSpec | None:
        """Return the group counted by ``count_tag``: this one or one nested at any depth."""
        if count_tag == self.count_tag:
            return self
        for nested in self.groups.values():
            found = nested.find(count_tag)
            if found is not None:
                return found
        return None

    def instances(self, fields: Sequence[tuple[int, bytes]]) -> list[list[tuple[int, bytes]]]:
        """Return the instances of this group that follow its first count field in ``fields``.

        Each instance is its fields in wire order, nested groups included (read them with
        ``spec.groups[nested_count_tag].instances(instance)``). The instances end at the
        first field that is not a member; the count field's value is not trusted.
        """
        for i, (tag, _) in enumerate(fields):
            if tag == self.count_tag:
                return self.read(fields, i + 1)[0]
        return []

    def read(
        self, fields: Sequence[tuple[int, bytes]], start: int
    ) -> tuple[list[list[tuple[int, bytes]]], int]:
        """Read instances from ``fields[start:]``; return them and the index after the last."""
        result: list[list[tuple[int, bytes]]] = []
        i, n = start, len(fields)
        while i < n and fields[i][0] == self.delimiter:
            instance = [fields[i]]
            i += 1
            i = self._members(fields, i, instance)
            result.append(instance)
        return result, i

    def _members(
        self, fields: Sequence[tuple[int, bytes]], i: int, instance: list[tuple[int, bytes]]
    ) -> int:
        nested = self.groups.get(instance[0][0])
        if nested is not None:
            i = _extend_nested(fields, i, nested, instance)
        order, n = self.order, len(fields)
        while i < n:
            field = fields[i]
            if field[0] == self.delimiter or field[0] not in order:
                break
            instance.append(field)
            i += 1
            nested = self.groups.get(field[0])
            if nested is not None:
                i = _extend_nested(fields, i, nested, instance)
        return i

    def __repr__(self) -> str:
        return f"GroupSpec({self.count_tag}, delimiter={self.delimiter}, {len(self.members)})"


def _extend_nested(
    fields: Sequence[tuple[int, bytes]], i: int, nested: GroupSpec, out: list[tuple[int, bytes]]
) -> int:
    instances, end = nested.read(fields, i)
    for instance in instances:
        out.extend(instance)
    return end


def build_groups(entries: Sequence[Entry]) -> dict[int, GroupSpec]:
    """Return the groups among ``entries`` (not nested ones) by count tag."""
    groups: dict[int, GroupSpec] = {}
    for entry in entries:
        if entry.members and entry.tag not in groups:
            groups[entry.tag] = _group(entry.tag, entry.members)
    return groups


def _group(count_tag: int, entries: Sequence[Entry]) -> GroupSpec:
    members: list[int] = []
    required: set[int] = set()
    for entry in entries:
        if entry.tag in members:
            continue  # a component repeating a field: the first place wins
        members.append(entry.tag)
        if entry.required:
            required.add(entry.tag)
    return GroupSpec(count_tag, members, frozenset(required), build_groups(entries))


class MessageSpec:
    """Validation tables of one message type.

    Attributes:
        msg_type: MsgType(35) value.
        name: the message's name (e.g. NewOrderSingle).
        admin: whether it is a session-level message.
        checks: top-level tag -> value check (true-ish when the value is non-empty and
            well formed; ``len`` when any non-empty value is).
        top: the keys of ``checks``.
        required: top-level tags that must be present.
        required_order: the same, in dictionary order (to name the first missing one).
        groups: top-level groups by count tag.
        member_tags: every tag that is a member of some group of the message.
    """

    __slots__ = (
        "admin",
        "checks",
        "groups",
        "member_tags",
        "msg_type",
        "name",
        "required",
        "required_order",
        "top",
    )

    def __init__(
        self,
        msg_type: str,
        name: str,
        admin: bool,
        entries: Sequence[Entry],
        field_checks: Mapping[int, ValueCheck],
    ) -> None:
        self.msg_type = msg_type
        self.name = name
        self.admin = admin
        order: list[int] = []
        required: list[int] = []
        for entry in entries:
            if entry.tag not in order:
                order.append(entry.tag)
                if entry.required:
                    required.append(entry.tag)
        self.groups = build_groups(entries)
        self.checks: dict[int, ValueCheck] = {tag: field_checks.get(tag, len) for tag in order}
        self.top = frozenset(order)
        self.required = frozenset(required)
        self.required_order = tuple(required)
        members: set[int] = set()
        for group in self.groups.values():
            _collect_members(group, members)
        self.member_tags = frozenset(members)

    def find_group(self, count_tag: int) -> GroupSpec | None:
        """Return the group counted by ``count_tag`` at any depth, or None."""
        for group in self.groups.values():
            found = group.find(count_tag)
            if found is not None:
                return found
        return None


def _collect_members(group: GroupSpec, out: set[int]) -> None:
    out.update(group.members)
    for nested in group.groups.values():
        _collect_members(nested, out)
