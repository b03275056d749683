"""The order transition table, tested edge by edge and non-edge by non-edge."""

from __future__ import annotations

import itertools

import pytest

from ordergate.domain.order_status import (
    ORDER_TRANSITIONS,
    RESTORE,
    InvalidStateTransition,
    Trigger,
    transition,
)
from ordergate.domain.values import OrderStatus

_EDGES = sorted(ORDER_TRANSITIONS.items())
_NON_EDGES = sorted(
    pair for pair in itertools.product(OrderStatus, Trigger) if pair not in ORDER_TRANSITIONS
)
_RESTORE_EDGES = [pair for pair, target in _EDGES if target is RESTORE]


def _edge_id(pair: tuple[OrderStatus, Trigger]) -> str:
    return f"{pair[0]}-{pair[1]}"


@pytest.mark.parametrize(("edge", "target"), _EDGES, ids=[_edge_id(pair) for pair, _ in _EDGES])
def test_every_table_edge_leads_to_its_target(
    edge: tuple[OrderStatus, Trigger], target: object
) -> None:
    # Arrange
    current, trigger = edge
    previous = OrderStatus.PARTIALLY_FILLED
    expected = previous if target is RESTORE else target

    # Act
    result = transition(current, trigger, previous)

    # Assert
    assert result is expected


@pytest.mark.parametrize("edge", _RESTORE_EDGES, ids=_edge_id)
@pytest.mark.parametrize("previous", [OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED])
def test_restore_edge_returns_the_given_previous_status(
    edge: tuple[OrderStatus, Trigger], previous: OrderStatus
) -> None:
    # Act
    result = transition(edge[0], edge[1], previous)

    # Assert
    assert result is previous


def test_restore_edges_are_exactly_cancel_reject_replace_and_replace_reject() -> None:
    # Assert
    assert set(_RESTORE_EDGES) == {
        (OrderStatus.PENDING_CANCEL, Trigger.CANCEL_REJECT),
        (OrderStatus.PENDING_REPLACE, Trigger.REPLACE),
        (OrderStatus.PENDING_REPLACE, Trigger.REPLACE_REJECT),
    }


@pytest.mark.parametrize("pair", _NON_EDGES, ids=_edge_id)
def test_pair_outside_the_table_raises_naming_state_and_trigger(
    pair: tuple[OrderStatus, Trigger],
) -> None:
    # Arrange
    current, trigger = pair

    # Act
    with pytest.raises(InvalidStateTransition) as raised:
        transition(current, trigger, OrderStatus.NEW)

    # Assert
    assert raised.value.current is current
    assert raised.value.trigger is trigger
    message = str(raised.value)
    assert str(current) in message
    assert str(trigger) in message


def test_table_and_non_edges_partition_the_full_product() -> None:
    # Assert
    assert len(_EDGES) + len(_NON_EDGES) == len(OrderStatus) * len(Trigger)
    assert len(_NON_EDGES) > 0


@pytest.mark.parametrize("status", [s for s in OrderStatus if s.is_terminal])
def test_terminal_status_has_no_outgoing_edges(status: OrderStatus) -> None:
    # Act
    outgoing = [pair for pair in ORDER_TRANSITIONS if pair[0] is status]

    # Assert
    assert outgoing == []


@pytest.mark.parametrize("status", [s for s in OrderStatus if not s.is_terminal])
def test_every_open_status_has_an_outgoing_edge(status: OrderStatus) -> None:
    # Act
    outgoing = [pair for pair in ORDER_TRANSITIONS if pair[0] is status]

    # Assert
    assert outgoing != []


def test_every_open_status_is_reachable_from_pending_new() -> None:
    # Arrange
    reachable = {OrderStatus.PENDING_NEW}
    frontier = [OrderStatus.PENDING_NEW]

    # Act
    while frontier:
        current = frontier.pop()
        for (source, _), target in ORDER_TRANSITIONS.items():
            if source is current and isinstance(target, OrderStatus) and target not in reachable:
                reachable.add(target)
                frontier.append(target)

    # Assert
    assert reachable == set(OrderStatus)
