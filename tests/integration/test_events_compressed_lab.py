"""Large event queries against the lab over real WinRM: the head through the cmd shell, the rest
compressed on the node (PowerShell + .NET GZipStream), decoded in parts; damaged answers and a
node going down mid-query end in error batches, never a crash."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ccrgui.remote.api import EventBatch, LogQuery
from ccrgui.remote.eventreader import HEAD_EVENTS
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.fixture
def big_lab() -> Iterator[Any]:
    from ccrgui.lab.lab import Lab

    with Lab(speed=50.0, events=3000) as running:
        yield running


def _session(lab: Any) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    return WinRMClusterSession(settings, password)


def _queries(lab: Any) -> list[LogQuery]:
    return [LogQuery(node, "System", "*", max_events=100_000) for node in lab.journal.nodes]


@pytest.mark.asyncio
async def test_large_query_reads_every_event_in_parts(big_lab: Any) -> None:
    session = _session(big_lab)
    try:
        batches: list[EventBatch] = [b async for b in session.query_events(_queries(big_lab))]
        kinds = session.requests_by_kind()
    finally:
        await session.close()
    for node in big_lab.journal.nodes:
        mine = [b for b in batches if b.query.node == node]
        assert [b.final for b in mine].count(True) == 1 and mine[-1].final
        assert all(not b.error for b in mine)
        got = [e.record_id for b in mine for e in b.events]
        want = [r.record_id for r in reversed(big_lab.journal.records(node, "System"))]
        assert len(want) > HEAD_EVENTS
        assert sorted(got, reverse=True) == want  # every event once, none twice
        assert got[:HEAD_EVENTS] == want[:HEAD_EVENTS]  # the head first
        assert not mine[-1].truncated
    assert kinds["Send"] >= 2  # the rest went through PowerShell (compressed), one request per node


@pytest.mark.asyncio
async def test_damaged_compressed_answer_is_an_error_batch(big_lab: Any) -> None:
    session = _session(big_lab)
    victim = big_lab.journal.nodes[1]
    armed = False
    try:
        batches = []
        async for batch in session.query_events(_queries(big_lab)):
            batches.append(batch)
            if batch.query.node == victim and not batch.final and not armed:
                # Once, after the victim's head, whatever the other node sent before it (counting
                # batches made this depend on which node answered first).
                armed = True
                big_lab.faults.arm(big_lab.faults.garble_next, victim, 50)  # the compressed answer
    finally:
        big_lab.faults.garble_next.clear()
        await session.close()
    last = [b for b in batches if b.query.node == victim][-1]
    assert last.final and last.error
    assert "The query failed" not in last.error  # a clear transport or decoding error, not a bug
    other = [b for b in batches if b.query.node != victim]
    assert other[-1].final and not other[-1].error
    assert sum(len(b.events) for b in other) == len(big_lab.journal.records(other[0].query.node, "System"))


@pytest.mark.asyncio
async def test_node_down_mid_query_is_an_error_batch(big_lab: Any) -> None:
    session = _session(big_lab)
    victim = big_lab.journal.nodes[0]
    try:
        batches = []
        async for batch in session.query_events(_queries(big_lab)):
            batches.append(batch)
            if batch.query.node == victim and not batch.final:
                big_lab.faults.down.add(victim)  # after its head: the compressed part fails
    finally:
        big_lab.faults.down.clear()
        await session.close()
    mine = [b for b in batches if b.query.node == victim]
    assert len(mine[0].events) == HEAD_EVENTS  # what arrived is kept
    assert mine[-1].final and mine[-1].error
    other = [b for b in batches if b.query.node != victim]
    assert other[-1].final and not other[-1].error
