"""Conformance suite: the FIX Trading Community's "FIX Session Layer Test Cases".

Each scenario is a test named after its id (``test_2b_...``) that drives one
:class:`~ordergate.fix.session.FixSession` against a :class:`~.peer.ScriptedPeer` over an
in-memory link with a fake clock, for FIX.4.2 and FIX.4.4 and, where the case applies to
both, with our session as initiator and as acceptor. README.md in this folder maps every
id to its scenario, the expected behaviour and the test that asserts it.
"""
