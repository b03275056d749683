"""The session registry: one entry per session id, statuses in id order."""

from __future__ import annotations

import pytest

from ordergate.fix.registry import SessionRegistry, SessionStatus
from ordergate.fix.store import MemoryStore


class Source:
    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.store = MemoryStore()

    def status(self) -> SessionStatus:
        return SessionStatus(
            session_id=self.session_id,
            begin_string="FIX.4.4",
            sender_comp_id="A",
            target_comp_id="B",
            role="initiator",
            state="disconnected",
            connected=False,
            logged_on=False,
        )


def test_register_list_and_unregister() -> None:
    registry = SessionRegistry()
    b, a = Source("FIX.4.4:B->A"), Source("FIX.4.4:A->B")
    registry.register(b)
    registry.register(a)

    assert [s.session_id for s in registry.statuses()] == ["FIX.4.4:A->B", "FIX.4.4:B->A"]
    assert registry.get("FIX.4.4:A->B") is a
    assert registry.store_for("FIX.4.4:B->A") is b.store
    assert registry.store_for("unknown") is None

    registry.unregister("FIX.4.4:A->B")
    registry.unregister("FIX.4.4:A->B")  # twice is fine
    assert len(registry) == 1


def test_a_session_id_registers_once() -> None:
    registry = SessionRegistry()
    registry.register(Source("FIX.4.4:A->B"))

    with pytest.raises(ValueError, match="already registered"):
        registry.register(Source("FIX.4.4:A->B"))
    assert len(registry) == 1
