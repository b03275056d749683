"""Validation plans: what to check in a message of a given layout, worked out once.

A message's tags in wire order decide everything validation can find except bad values:
unknown or misplaced tags, repeats, missing required tags, the shape of repeating groups,
the header and trailer order. Counterparties send the same few layouts over and over, so
for one MsgType(35) and one layout the structure is checked once and the result kept as a
:class:`Plan`: the positions whose values need a check beyond being non-empty, with their
checks (a group's count field is checked against the instances that follow it). Checking a
message is then a test that no value is empty and one C-level pass over those positions.

A layout whose structure is not clean gets no plan (None): such a message goes to the
complete walk of :mod:`.checker`, which names its most important problem. With a plan, a
message whose values all pass is exactly a message the walk finds nothing wrong with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter

from ordergate.fix.dictionary.checker import declared_count
from ordergate.fix.dictionary.structure import GroupSpec, MessageSpec
from ordergate.fix.dictionary.types import ValueCheck

__all__ = ["Plan", "make_plan"]

Plan = tuple[Callable[[Sequence[bytes]], Sequence[bytes]], tuple[ValueCheck, ...]]
"""Pick the values to check out of a message's values, and their checks in the same order."""

_Checks = list[tuple[int, ValueCheck]]


def make_plan(
    tags: Sequence[int], spec: MessageSpec, field_checks: Mapping[int, ValueCheck]
) -> Plan | None:
    """Return the plan of a ``spec`` message with ``tags`` in wire order, or None.

    None means the structure is not clean. ``field_checks`` maps every defined tag to its
    value check (true-ish when the value is non-empty and well formed; ``len`` when any
    non-empty value is), used for group members.
    """
    n = len(tags)
    if n < 4 or tags[0] != 8 or tags[1] != 9 or tags[2] != 35 or tags[-1] != 10:
        return None
    checks: _Checks = []
    seen: set[int] = set()
    top = spec.checks
    i = 0
    while i < n:
        tag = tags[i]
        check = top.get(tag)
        if check is None or tag in seen:
            return None  # not allowed at the top level, or repeated there
        seen.add(tag)
        position = i
        i += 1
        group = spec.groups.get(tag)
        if group is not None:
            walked = _instances(tags, i, group, field_checks, checks)
            if walked is None:
                return None
            i, instances = walked
            check = _count_check(check, instances)
        checks.append((position, check))
    if not seen >= spec.required:
        return None
    return _plan(checks)


def _instances(
    tags: Sequence[int],
    i: int,
    group: GroupSpec,
    field_checks: Mapping[int, ValueCheck],
    checks: _Checks,
) -> tuple[int, int] | None:
    # Walk the instances of ``group`` from tags[i] as the complete walk does; return the
    # index after the last one and how many there are, or None unless every instance is
    # clean: it starts with the delimiter, its members come strictly in dictionary order (so
    # none repeats), the required ones are there and nested groups are clean.
    order = group.order
    n = len(tags)
    instances = 0
    while i < n:
        tag = tags[i]
        if tag != group.delimiter:
            if not instances and tag in order:
                return None  # the first instance does not start with the delimiter
            break
        instances += 1
        last = -1
        seen: set[int] = set()
        while i < n:
            tag = tags[i]
            position = order.get(tag)
            if position is None:
                break  # the end of the group
            if position <= last:
                if position:
                    return None  # out of order, or repeated in the instance
                break  # the delimiter again: the next instance
            last = position
            seen.add(tag)
            check = field_checks.get(tag, len)
            member = i
            i += 1
            nested = group.groups.get(tag)
            if nested is not None:
                walked = _instances(tags, i, nested, field_checks, checks)
                if walked is None:
                    return None
                i, count = walked
                check = _count_check(check, count)
            checks.append((member, check))
        if not seen >= group.required:
            return None
    return i, instances


def _count_check(check: ValueCheck, instances: int) -> ValueCheck:
    # A count field passes when its value does and it states the instances that follow (a
    # value that is no number at all is only a format question, as in the complete walk).
    stated = b"%d" % instances

    def count_check(value: bytes) -> object:
        if value == stated:
            return check(value)
        declared = declared_count(value)
        return (declared is None or declared == instances) and check(value)

    return count_check


def _plan(checks: _Checks) -> Plan:
    # Values that need no more than to be non-empty are left out: the caller tests that
    # no value at all is empty.
    picked = [(position, check) for position, check in checks if check is not len]
    if not picked:
        return _none, ()
    positions = [position for position, _ in picked]
    if len(positions) == 1:
        positions *= 2  # itemgetter of one position returns the item, not a tuple
        picked *= 2
    return itemgetter(*positions), tuple(check for _, check in picked)


def _none(values: Sequence[bytes]) -> Sequence[bytes]:
    return ()
