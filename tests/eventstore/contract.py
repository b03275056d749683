"""The behavioural contract every ``EventRecorder`` passes.

A backend's test module subclasses ``EventRecorderContract`` and supplies two fixtures:

- ``store_url``: a URL for ``open_recorder`` pointing at a fresh, empty store;
- ``tamper``: a ``Tamper`` running raw SQL (``?`` placeholders) on that store behind the
  recorder's back, the way an attacker or a careless operator would.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import pytest

from ordergate.eventstore import (
    ConcurrencyError,
    EventRecorder,
    EventStoreError,
    NewEvent,
    Snapshot,
    iter_all,
    open_recorder,
)
from ordergate.eventstore.hashchain import GENESIS_HASH, event_hash


class Tamper(Protocol):
    async def execute(self, sql: str, *params: object) -> None: ...

    async def install_poison(self, stream_id: str) -> None:
        """Make any insert of ``stream_id`` fail with an error mentioning 'poisoned'."""


def event(stream_id: str, version: int, data: bytes | None = None) -> NewEvent:
    return NewEvent(
        stream_id=stream_id,
        version=version,
        type="OrderSubmitted" if version == 1 else "OrderFilled",
        schema_version=1,
        data=data if data is not None else b'{"qty":"%d"}' % version,
        ts=1_700_000_000_000_000_000 + version,
    )


async def fill(recorder: EventRecorder, streams: Sequence[str], per_stream: int) -> None:
    """Append ``per_stream`` events to each stream, interleaved, one call per event."""
    for version in range(1, per_stream + 1):
        for stream_id in streams:
            await recorder.append([event(stream_id, version)])


async def renumber(tamper: Tamper, from_position: int, shift: int) -> None:
    """Move every row at or after ``from_position`` by ``shift`` (via negatives: PK-safe)."""
    await tamper.execute(
        "UPDATE events SET position = -(position + ?) WHERE position >= ?", shift, from_position
    )
    await tamper.execute("UPDATE events SET position = -position WHERE position < 0")


class EventRecorderContract:
    @pytest.fixture
    async def recorder(self, store_url: str) -> AsyncIterator[EventRecorder]:
        async with open_recorder(store_url) as recorder:
            yield recorder

    # -- append and read -----------------------------------------------------------------

    async def test_append_returns_positions_and_reads_back(self, recorder: EventRecorder):
        positions = await recorder.append([event("O-1", 1), event("O-1", 2)])
        more = await recorder.append([event("O-2", 1)])

        assert positions == [1, 2]
        assert more == [3]
        stored = await recorder.read_stream("O-1")
        assert [(e.position, e.version, e.type) for e in stored] == [
            (1, 1, "OrderSubmitted"),
            (2, 2, "OrderFilled"),
        ]
        assert stored[0].data == b'{"qty":"1"}'
        assert stored[0].ts == 1_700_000_000_000_000_001
        assert stored[0].schema_version == 1
        assert stored[0].prev_hash == GENESIS_HASH
        assert stored[1].prev_hash == stored[0].hash
        assert await recorder.last_position() == 3
        assert await recorder.stream_version("O-1") == 2

    async def test_empty_store_has_nothing(self, recorder: EventRecorder):
        assert await recorder.last_position() == 0
        assert await recorder.stream_version("O-404") == 0
        assert await recorder.read_stream("O-404") == []
        assert await recorder.read_all() == []
        assert await recorder.load_snapshot("O-404") is None
        assert (await recorder.verify()).ok

    async def test_read_stream_from_version_skips_earlier_events(self, recorder: EventRecorder):
        await fill(recorder, ["O-1", "O-2"], 4)

        stored = await recorder.read_stream("O-1", from_version=3)

        assert [e.version for e in stored] == [3, 4]
        assert [e.position for e in stored] == [5, 7]

    async def test_positions_are_contiguous_and_ordered_across_streams(
        self, recorder: EventRecorder
    ):
        await fill(recorder, ["O-1", "O-2", "O-3"], 5)

        stored = await recorder.read_all()

        assert [e.position for e in stored] == list(range(1, 16))
        assert [e.stream_id for e in stored[:3]] == ["O-1", "O-2", "O-3"]
        for before, after in itertools.pairwise(stored):
            assert after.prev_hash == before.hash

    async def test_read_all_pages_by_position(self, recorder: EventRecorder):
        await fill(recorder, ["O-1", "O-2", "O-3", "O-4", "O-5"], 5)

        pages = [await recorder.read_all(start, 10) for start in (1, 11, 21, 26)]

        assert [[e.position for e in page] for page in pages] == [
            list(range(1, 11)),
            list(range(11, 21)),
            list(range(21, 26)),
            [],
        ]

    async def test_iter_all_replays_everything_from_a_position(self, recorder: EventRecorder):
        await fill(recorder, ["O-1", "O-2", "O-3"], 7)

        replayed = [e.position async for e in iter_all(recorder, from_position=4, batch=5)]

        assert replayed == list(range(4, 22))

    async def test_multi_stream_batch_is_written_atomically(self, recorder: EventRecorder):
        await recorder.append([event("O-1", 1)])

        positions = await recorder.append([event("O-2", 1), event("O-1", 2), event("O-2", 2)])
        with pytest.raises(ConcurrencyError):
            await recorder.append([event("O-3", 1), event("O-1", 2)])

        assert positions == [2, 3, 4]
        assert await recorder.stream_version("O-3") == 0
        assert await recorder.last_position() == 4

    # -- optimistic concurrency ----------------------------------------------------------

    async def test_stale_version_is_refused_with_a_clear_error(self, recorder: EventRecorder):
        await fill(recorder, ["O-1"], 4)

        with pytest.raises(ConcurrencyError) as caught:
            await recorder.append([event("O-1", 3), event("O-1", 4)])

        assert str(caught.value) == (
            "stream O-1: version 3 expected next but the stream is at version 4"
        )
        assert (caught.value.stream_id, caught.value.expected_version) == ("O-1", 3)
        assert caught.value.actual_version == 4
        assert isinstance(caught.value, EventStoreError)
        assert await recorder.last_position() == 4

    async def test_version_gap_on_a_new_stream_is_refused(self, recorder: EventRecorder):
        with pytest.raises(ConcurrencyError, match=r"version 2 expected next .* version 0"):
            await recorder.append([event("O-1", 2)])

        assert await recorder.last_position() == 0

    async def test_concurrent_writers_of_one_stream_only_one_wins(self, recorder: EventRecorder):
        results = await asyncio.gather(
            *(recorder.append([event("O-1", 1, b'{"n":%d}' % i)]) for i in range(20)),
            return_exceptions=True,
        )

        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert winners == [[1]]
        assert len(losers) == 19
        assert all(isinstance(e, ConcurrencyError) for e in losers)
        assert await recorder.last_position() == 1

    async def test_conflicting_caller_fails_alone_among_concurrent_appends(
        self, recorder: EventRecorder
    ):
        await recorder.append([event("O-0", 1)])

        results = await asyncio.gather(
            *(recorder.append([event(f"O-{i}", 1)]) for i in range(1, 30)),
            recorder.append([event("O-0", 1)]),
            return_exceptions=True,
        )

        assert isinstance(results[-1], ConcurrencyError)
        assert sorted(p for r in results[:-1] for p in r) == list(range(2, 31))  # type: ignore[union-attr]

    async def test_two_hundred_concurrent_appenders_all_get_their_positions(
        self, recorder: EventRecorder
    ):
        batches = [[event(f"O-{i}", v) for v in range(1, 1 + i % 3 + 1)] for i in range(200)]

        results = await asyncio.gather(*(recorder.append(b) for b in batches))

        every = sorted(p for positions in results for p in positions)
        assert every == list(range(1, len(every) + 1))
        stored = {e.position: e for e in await recorder.read_all(1, 10_000)}
        for batch, positions in zip(batches, results, strict=True):
            assert positions == list(range(positions[0], positions[0] + len(batch)))
            assert [(stored[p].stream_id, stored[p].version) for p in positions] == [
                (e.stream_id, e.version) for e in batch
            ]
        assert (await recorder.verify()).ok

    async def test_failed_transaction_fails_the_call_and_rolls_the_cache_back(
        self, recorder: EventRecorder, tamper: Tamper
    ):
        await recorder.append([event("O-1", 1)])
        await tamper.install_poison("POISON")

        with pytest.raises(Exception, match="poisoned"):
            await recorder.append([event("O-1", 2), event("POISON", 1)])
        positions = await recorder.append([event("O-1", 2)])

        assert positions == [2]
        assert await recorder.stream_version("POISON") == 0
        assert (await recorder.verify()).ok

    async def test_two_recorders_on_one_store_keep_one_chain(
        self, recorder: EventRecorder, store_url: str
    ):
        async with open_recorder(store_url) as other:
            await asyncio.gather(
                *(recorder.append([event(f"A-{i}", 1)]) for i in range(40)),
                *(other.append([event(f"B-{i}", 1)]) for i in range(40)),
            )
            await recorder.append([event("S", 1)])
            with pytest.raises(ConcurrencyError):
                await other.append([event("S", 1)])
            await recorder.append([event("S", 2)])
            with pytest.raises(ConcurrencyError, match="version 2 expected next"):
                await other.append([event("S", 2)])
            assert await other.append([event("S", 3)]) == [83]

        report = await recorder.verify()
        assert (report.ok, report.checked) == (True, 83)

    # -- bad input -----------------------------------------------------------------------

    async def test_empty_batch_is_refused(self, recorder: EventRecorder):
        with pytest.raises(ValueError, match="at least one event"):
            await recorder.append([])

    @pytest.mark.parametrize("version", [0, -1])
    async def test_version_below_one_is_refused(self, recorder: EventRecorder, version: int):
        with pytest.raises(ValueError, match="not 1 or more"):
            await recorder.append([event("O-1", version)])

        assert await recorder.last_position() == 0

    async def test_non_consecutive_versions_in_a_batch_are_refused(self, recorder: EventRecorder):
        with pytest.raises(ValueError, match="must be consecutive"):
            await recorder.append([event("O-1", 1), event("O-1", 3)])

        assert await recorder.last_position() == 0

    async def test_append_after_close_is_refused(self, store_url: str):
        recorder = open_recorder(store_url)
        await recorder.start()
        await recorder.close()

        with pytest.raises(EventStoreError, match="not started or is closed"):
            await recorder.append([event("O-1", 1)])

    # -- reopen --------------------------------------------------------------------------

    async def test_reopened_store_keeps_everything_and_continues_the_chain(
        self, recorder: EventRecorder, store_url: str
    ):
        await fill(recorder, ["O-1", "O-2"], 3)
        pending = [recorder.append([event(f"P-{i}", 1)]) for i in range(10)]
        tasks = [asyncio.ensure_future(p) for p in pending]
        await asyncio.sleep(0)
        await recorder.close()  # flushes the pending appends
        assert sorted(p for t in tasks for p in t.result()) == list(range(7, 17))

        async with open_recorder(store_url) as reopened:
            assert await reopened.last_position() == 16
            assert await reopened.stream_version("O-1") == 3
            positions = await reopened.append([event("O-1", 4)])
            last, previous = (await reopened.read_all(16))[::-1]
            report = await reopened.verify()

        assert positions == [17]
        assert last.prev_hash == previous.hash
        assert (report.ok, report.checked) == (True, 17)

    # -- snapshots -----------------------------------------------------------------------

    async def test_snapshot_is_saved_loaded_and_replaced_by_a_newer_one(
        self, recorder: EventRecorder
    ):
        first = Snapshot(
            stream_id="O-1", version=5, type="Order", schema_version=1, data=b"{}", ts=1
        )
        newer = Snapshot(
            stream_id="O-1", version=9, type="Order", schema_version=2, data=b'{"a":1}', ts=2
        )

        await recorder.save_snapshot(first)
        loaded_first = await recorder.load_snapshot("O-1")
        await recorder.save_snapshot(newer)
        loaded_newer = await recorder.load_snapshot("O-1")
        await recorder.save_snapshot(first)  # an older snapshot arriving late

        assert loaded_first == first
        assert loaded_newer == newer
        assert await recorder.load_snapshot("O-1") == newer
        assert await recorder.load_snapshot("O-2") is None

    # -- tamper evidence -----------------------------------------------------------------

    @pytest.fixture(params=[3, 10_000], ids=["batch3", "batch10000"])
    def verify_batch(self, request: pytest.FixtureRequest) -> int:
        return int(request.param)

    @pytest.fixture
    async def ten_events(self, recorder: EventRecorder) -> EventRecorder:
        await fill(recorder, ["O-1", "O-2"], 5)
        assert (await recorder.verify()).ok
        return recorder

    async def test_verify_passes_on_a_clean_log(self, ten_events: EventRecorder, verify_batch: int):
        report = await ten_events.verify(verify_batch)

        assert (report.ok, report.checked, report.first_break) == (True, 10, None)

    @pytest.mark.parametrize("position", [1, 4, 10])
    async def test_verify_reports_an_edited_payload(
        self, ten_events: EventRecorder, tamper: Tamper, verify_batch: int, position: int
    ):
        await tamper.execute("UPDATE events SET data = ? WHERE position = ?", b"{}", position)

        report = await ten_events.verify(verify_batch)

        assert report.first_break is not None
        assert (report.first_break.position, report.first_break.kind) == (position, "edited")
        assert report.checked == position - 1
        assert not report.ok

    async def test_verify_reports_an_edit_whose_hash_was_recomputed(
        self, ten_events: EventRecorder, tamper: Tamper, verify_batch: int
    ):
        row = (await ten_events.read_all(4, 1))[0]
        forged = event_hash(
            row.prev_hash, 4, row.stream_id, row.version, row.type, 1, b"{}", row.ts
        )
        await tamper.execute(
            "UPDATE events SET data = ?, hash = ? WHERE position = 4", b"{}", forged
        )

        report = await ten_events.verify(verify_batch)

        assert report.first_break is not None
        assert (report.first_break.position, report.first_break.kind) == (4, "edited")

    @pytest.mark.parametrize("position", [1, 5])
    async def test_verify_reports_a_deleted_row_leaving_a_gap(
        self, ten_events: EventRecorder, tamper: Tamper, verify_batch: int, position: int
    ):
        await tamper.execute("DELETE FROM events WHERE position = ?", position)

        report = await ten_events.verify(verify_batch)

        assert report.first_break is not None
        assert (report.first_break.position, report.first_break.kind) == (position, "deleted")

    @pytest.mark.parametrize("position", [1, 5, 9])
    async def test_verify_reports_a_deleted_row_with_the_rest_renumbered(
        self, ten_events: EventRecorder, tamper: Tamper, verify_batch: int, position: int
    ):
        await tamper.execute("DELETE FROM events WHERE position = ?", position)
        await renumber(tamper, position + 1, -1)

        report = await ten_events.verify(verify_batch)

        assert report.first_break is not None
        assert (report.first_break.position, report.first_break.kind) == (position, "deleted")

    @pytest.mark.parametrize("position", [1, 6, 10])
    @pytest.mark.parametrize("forger", ["careless", "careful"])
    async def test_verify_reports_a_forged_row_inserted_and_renumbered(
        self,
        ten_events: EventRecorder,
        tamper: Tamper,
        verify_batch: int,
        position: int,
        forger: str,
    ):
        prev_hash = GENESIS_HASH
        if position > 1:
            prev_hash = (await ten_events.read_all(position - 1, 1))[0].hash
        data = b'{"qty":"1000000"}'
        forged_hash = b"\x01" * 32
        if forger == "careful":
            forged_hash = event_hash(prev_hash, position, "X-1", 1, "OrderFilled", 1, data, 5)
        await renumber(tamper, position, 1)
        await tamper.execute(
            "INSERT INTO events (position, stream_id, version, type, schema_version, data, ts,"
            " prev_hash, hash) VALUES (?, 'X-1', 1, 'OrderFilled', 1, ?, 5, ?, ?)",
            position,
            data,
            prev_hash,
            forged_hash,
        )

        report = await ten_events.verify(verify_batch)

        assert report.first_break is not None
        assert (report.first_break.position, report.first_break.kind) == (position, "inserted")

    @pytest.mark.parametrize("position", [1, 5, 9])
    async def test_verify_reports_two_swapped_rows(
        self, ten_events: EventRecorder, tamper: Tamper, verify_batch: int, position: int
    ):
        await tamper.execute("UPDATE events SET position = 0 WHERE position = ?", position)
        await tamper.execute(
            "UPDATE events SET position = ? WHERE position = ?", position, position + 1
        )
        await tamper.execute("UPDATE events SET position = ? WHERE position = 0", position + 1)

        report = await ten_events.verify(verify_batch)

        assert report.first_break is not None
        assert (report.first_break.position, report.first_break.kind) == (position, "reordered")
