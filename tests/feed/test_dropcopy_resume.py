"""Drop copy configuration and resume positions recovered from FIX message stores (no sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordergate.feed.access import Principal
from ordergate.feed.dropcopy import Counterparty, DropCopyConfig, exec_id_of
from ordergate.feed.dropcopy.resume import (
    ResumeRegister,
    last_reported_position,
    register_config,
    resume_position,
)
from ordergate.fix.codec import encode_fields
from ordergate.fix.session.config import Role
from ordergate.fix.store import MemoryStore
from ordergate.fix.transport import url_stores
from ordergate.fix.transport.stores import close_store


def sent(store: MemoryStore, msg_type: bytes, *fields: tuple[int, bytes]) -> None:
    """Keep a sent message in ``store`` the way the session does."""
    seq = store.next_sender_seq()
    frame = encode_fields(b"FIX.4.4", [(35, msg_type), (34, b"%d" % seq), *fields])
    store.save_sent(seq, frame)
    store.set_next_sender_seq(seq + 1)


def report(store: MemoryStore, position: int) -> None:
    sent(store, b"8", (37, b"NONE"), (11, b"O-1"), (17, exec_id_of(position).encode()))


def test_the_newest_report_kept_names_the_resume_position() -> None:
    store = MemoryStore()
    assert last_reported_position(store) is None
    for position in (3, 8, 12):
        report(store, position)
    sent(store, b"j", (45, b"2"), (372, b"D"), (380, b"3"))  # a business reject came last

    assert last_reported_position(store) == 12


def test_reports_far_back_are_found_and_foreign_exec_ids_are_not_positions() -> None:
    store = MemoryStore()
    report(store, 5)
    sent(store, b"8", (37, b"NONE"), (11, b"O-1"), (17, b"VENUE-77"))
    for _ in range(300):
        sent(store, b"j", (45, b"2"), (372, b"D"), (380, b"3"))

    assert last_reported_position(store) == 5


def test_a_reset_store_falls_back_on_the_register() -> None:
    store, companion = MemoryStore(), MemoryStore()
    register = ResumeRegister(companion)
    report(store, 40)
    store.reset(0)

    assert resume_position(store, register) is None
    register.store.set_next_sender_seq(42)
    assert register.position == 40
    assert resume_position(store, register) == 40
    report(store, 45)
    assert resume_position(store, register) == 45


async def test_a_saved_zero_differs_from_never_saved_and_survives_a_reopen(
    tmp_path: Path,
) -> None:
    config = DropCopyConfig(comp_id="OGATE", counterparties=(Counterparty(comp_id="CLIENT"),))
    session, _ = config.sessions()[0]
    stores = url_stores(f"sqlite:///{tmp_path / 'fix.db'}")

    companion = await stores(register_config(session))
    register = ResumeRegister(companion)
    assert register.position is None
    await register.save(0)
    assert register.position == 0
    with pytest.raises(ValueError, match="negative"):
        await register.save(-1)
    await close_store(companion)

    reopened = await stores(register_config(session))
    assert ResumeRegister(reopened).position == 0
    await ResumeRegister(reopened).save(17)
    await close_store(reopened)
    again = await stores(register_config(session))
    assert ResumeRegister(again).position == 17
    assert register_config(session).session_id == "DROPCOPY/FIX.4.2:OGATE->CLIENT"
    await close_store(again)


def test_the_config_makes_one_acceptor_session_per_counterparty_and_version() -> None:
    config = DropCopyConfig(
        comp_id="OGATE",
        counterparties=(
            Counterparty(comp_id="RISK"),
            Counterparty(comp_id="FUND", accounts=frozenset({"ACC1"}), start_from="zero"),
        ),
    )

    sessions = config.sessions()

    assert [s.session_id for s, _ in sessions] == [
        "FIX.4.2:OGATE->RISK", "FIX.4.4:OGATE->RISK", "FIX.4.2:OGATE->FUND", "FIX.4.4:OGATE->FUND",
    ]  # fmt: skip
    assert all(s.role is Role.ACCEPTOR and s.heartbeat_interval == 30 for s, _ in sessions)
    assert sessions[0][1].principal() == Principal(name="RISK", accounts=None)
    assert sessions[2][1].principal() == Principal(name="FUND", accounts=frozenset({"ACC1"}))


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"counterparties": ()}, "at least one counterparty"),
        ({"comp_id": ""}, "needs a CompID"),
        ({"begin_strings": frozenset({"FIX.4.1"})}, "FIX.4.1"),
        ({"begin_strings": frozenset()}, "FIX.4.2 and/or FIX.4.4"),
        ({"counterparties": (Counterparty(comp_id="OGATE"),)}, "our own CompID"),
        ({"counterparties": (Counterparty(comp_id=""),)}, "a counterparty needs a CompID"),
        (
            {"counterparties": (Counterparty(comp_id="A"), Counterparty(comp_id="A"))},
            "configured twice",
        ),
        (
            {"counterparties": (Counterparty(comp_id="A", accounts=frozenset()),)},
            "at least one account",
        ),
    ],
)
def test_the_config_refuses_what_cannot_work(options: dict[str, object], error: str) -> None:
    values: dict[str, object] = {
        "comp_id": "OGATE",
        "counterparties": (Counterparty(comp_id="CLIENT"),),
        **options,
    }
    with pytest.raises(ValueError, match=error):
        DropCopyConfig(**values)  # type: ignore[arg-type]
