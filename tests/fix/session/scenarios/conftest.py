"""Fixtures of the conformance scenarios: version and role parameters, a logged-on peer."""

from __future__ import annotations

import pytest

from ordergate.fix.session.config import Role
from tests.fix.session.scenarios.peer import BEGIN_STRINGS, ROLES, ScriptedPeer


@pytest.fixture(params=BEGIN_STRINGS)
def begin_string(request: pytest.FixtureRequest) -> str:
    """Run the scenario for FIX.4.2 and for FIX.4.4."""
    return str(request.param)


@pytest.fixture(params=ROLES, ids=[r.value for r in ROLES])
def role(request: pytest.FixtureRequest) -> Role:
    """Run the scenario with our session as initiator and as acceptor."""
    return Role(request.param)


@pytest.fixture
def peer(begin_string: str, role: Role) -> ScriptedPeer:
    """Return a peer whose session with ours is logged on (both at MsgSeqNum 2 next)."""
    scripted = ScriptedPeer(begin_string, role)
    scripted.establish()
    assert scripted.next_num_in == 2
    assert scripted.next_num_out == 2
    return scripted
