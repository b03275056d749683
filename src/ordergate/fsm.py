"""Explicit state machines: a transition table and the one small class that follows it.

Every lifecycle in ordergate (an order's status, a FIX session, a venue connection, a
circuit breaker, a market data stream) is a ``dict[(state, trigger), new state]`` table
beside its states and triggers; an edge that is not in the table is an error, raised
loudly as :class:`InvalidStateTransition` ("SUBMITTED -> FILL"), never a silent no-op.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

__all__ = ["InvalidStateTransition", "StateMachine"]

S = TypeVar("S", bound=StrEnum)
T = TypeVar("T", bound=StrEnum)


class InvalidStateTransition(Exception):
    """A trigger the current state does not allow, e.g. ``DISCONNECTED -> AUTHENTICATED``.

    Parameters
    ----------
    state, trigger
        Where the machine was and what was asked of it.
    subject
        What the machine is, for the message (``"order"``: "... not a legal order transition").
    """

    def __init__(self, state: StrEnum, trigger: StrEnum, subject: str = "") -> None:
        message = f"{state.value} -> {trigger.value}"
        super().__init__(f"{message}: not a legal {subject} transition" if subject else message)
        self.state = state
        self.trigger = trigger

    @property
    def current(self) -> StrEnum:
        """Return the state the trigger was refused in (the same as :attr:`state`)."""
        return self.state


class StateMachine(Generic[S, T]):
    """Hold a state and move it only along ``table``.

    Parameters
    ----------
    table
        Every allowed ``(state, trigger) -> new state`` edge.
    state
        The initial state.
    subject
        What the machine is, for the message of a refused trigger.
    """

    __slots__ = ("state", "subject", "table")

    def __init__(self, table: Mapping[tuple[S, T], S], state: S, subject: str = "") -> None:
        self.table = table
        self.state = state
        self.subject = subject

    def can(self, trigger: T) -> bool:
        """Return True when ``trigger`` is allowed in the current state."""
        return (self.state, trigger) in self.table

    def trigger(self, trigger: T) -> S:
        """Apply ``trigger`` and return the new state.

        Raises
        ------
        InvalidStateTransition
            The current state does not allow ``trigger``.
        """
        new_state = self.table.get((self.state, trigger))
        if new_state is None:
            raise InvalidStateTransition(self.state, trigger, self.subject)
        self.state = new_state
        return new_state
