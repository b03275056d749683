"""Where a drop-copy session resumes: recovered from its FIX message store, durably.

Theory of operation
-------------------
Every report's ExecID(17) names its feed position (``DC-<position>``), and the session's
message store keeps every report it sent, for resends, in the same flush that makes its
MsgSeqNum(34) durable. So the newest report kept in the store *is* the durable resume
position, with no second write that could disagree with it:
:func:`last_reported_position` reads it back.

The store cannot say where a session resumes when it holds no report: a counterparty that
logged on (and was given the head as its start) but was never sent a report, or a session
whose sequence was reset (a Logon with ResetSeqNumFlag(141)=Y drops the kept messages).
For those cases a :class:`ResumeRegister` keeps the position in the same message database,
as the sequence register of a companion store named ``DROPCOPY/<session id>`` (same
backend, same group-committed writer, no schema of its own). The shell saves it before the
first report of every logon and after every connection, once the session's store is flushed;
a session resumes after the larger of the two.
"""

from __future__ import annotations

from ordergate.feed.dropcopy.reports import position_of
from ordergate.fix.session.config import SessionConfig
from ordergate.fix.store.base import MessageStore
from ordergate.fix.store.durable import tag_value
from ordergate.fix.transport.connection import DurableStore

__all__ = ["ResumeRegister", "last_reported_position", "register_config", "resume_position"]

_FIRST_CHUNK = 64
_UNSET = 1  # a fresh store's next sender sequence number


def last_reported_position(store: MessageStore) -> int | None:
    """Return the feed position of the newest drop-copy report kept in ``store``, or None.

    Kept messages are read newest first, in growing chunks: the newest report is nearly
    always the last message sent.
    """
    end = store.next_sender_seq() - 1
    chunk = _FIRST_CHUNK
    while end >= 1:
        begin = max(1, end - chunk + 1)
        for _, raw in reversed(store.get_sent(begin, end)):
            if tag_value(raw, 35) == b"8":
                position = position_of(tag_value(raw, 17))
                if position is not None:
                    return position
        end = begin - 1
        chunk *= 2
    return None


def register_config(session: SessionConfig) -> SessionConfig:
    """Return the config naming the companion store of ``session``'s resume register."""
    return SessionConfig(
        begin_string=f"DROPCOPY/{session.begin_string}",
        sender_comp_id=session.sender_comp_id,
        target_comp_id=session.target_comp_id,
        role=session.role,
    )


class ResumeRegister:
    """The saved resume position of one drop-copy session (None until first saved).

    Parameters
    ----------
    store
        The companion store (see :func:`register_config`); its next sender sequence number
        holds ``position + 2``, so a fresh store (1) reads as "never saved".
    """

    def __init__(self, store: MessageStore) -> None:
        self.store = store

    @property
    def position(self) -> int | None:
        """Return the saved position, or None if none was ever saved."""
        seq = self.store.next_sender_seq()
        return None if seq <= _UNSET else seq - 2

    async def save(self, position: int) -> None:
        """Make ``position`` the saved one, durably (returns once it is on disk).

        Raises
        ------
        ValueError
            If ``position`` is negative.
        """
        if position < 0:
            raise ValueError(f"position {position} is negative")
        if self.position != position:
            self.store.set_next_sender_seq(position + 2)
        if isinstance(self.store, DurableStore):
            await self.store.flush()


def resume_position(store: MessageStore, register: ResumeRegister) -> int | None:
    """Return where a session resumes: after its newest kept report or its saved position.

    None when neither exists: the session has never been given a start.
    """
    found = [p for p in (last_reported_position(store), register.position) if p is not None]
    return max(found) if found else None
