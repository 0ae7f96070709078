"""Refresh supersedes refresh, actions hold back auto-refresh, the operations log records all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ccrgui.gui.connections import ConnectionManager
from ccrgui.gui.oplog import CANCELLED, SUCCEEDED, OpLogModel, write_text_atomic
from ccrgui.gui.tree import ConnState
from tests.gui.fakes import FakeSession
from tests.gui.guitools import wait_for


@pytest.mark.asyncio
async def test_new_refresh_cancels_the_running_one(qtbot) -> None:  # type: ignore[no-untyped-def]
    manager = ConnectionManager(OpLogModel(), refresh_interval_s=3600)
    session = FakeSession(delay=0.3)
    conn = manager.add(session)
    first = manager.refresh(conn)
    await asyncio.sleep(0.05)
    second = manager.refresh(conn)
    assert first is not None and second is not None
    await asyncio.gather(first, second, return_exceptions=True)
    assert first.cancelled() and not second.cancelled()
    assert manager.get(conn).entry.state is ConnState.CONNECTED  # type: ignore[union-attr]
    await manager.close()
    assert session.closed


@pytest.mark.asyncio
async def test_auto_refresh_waits_for_the_action_then_runs_fast(qtbot) -> None:  # type: ignore[no-untyped-def]
    log = OpLogModel()
    manager = ConnectionManager(log, refresh_interval_s=0.1, fast_interval_s=0.05)
    session = FakeSession()
    conn = manager.add(session)
    await wait_for(lambda: manager.get(conn).entry.snapshot is not None)  # type: ignore[union-attr]
    session.delay = 0.6
    action = asyncio.ensure_future(
        manager.run_action(
            conn, "EXCLUS1\\EXCH1", "Take EXCH1 offline", ["cmd"], lambda: session.take_offline("EXCH1")
        )
    )
    await asyncio.sleep(0.05)
    calls = session.snapshot_calls
    assert manager.busy_work() == ["EXCLUS1: Take EXCH1 offline"]
    await asyncio.sleep(0.4)
    assert session.snapshot_calls == calls  # held back while the action runs
    result = await action
    assert result is not None and result.ok
    session.delay = 0.0
    await wait_for(lambda: session.snapshot_calls > calls)  # re-read right after
    assert log.entries()[-1].status == SUCCEEDED
    await manager.close()


@pytest.mark.asyncio
async def test_cancel_a_running_action(qtbot) -> None:  # type: ignore[no-untyped-def]
    log = OpLogModel()
    manager = ConnectionManager(log, refresh_interval_s=3600)
    session = FakeSession()
    conn = manager.add(session)
    await wait_for(lambda: manager.get(conn).entry.snapshot is not None)  # type: ignore[union-attr]
    session.delay = 5.0
    action = asyncio.ensure_future(
        manager.run_action(
            conn, "EXCLUS1\\EXCH1", "Move EXCH1", ["cmd"], lambda: session.move_group("EXCH1", "EXNODE2")
        )
    )
    await asyncio.sleep(0.05)
    manager.cancel_actions()
    assert await action is None
    assert log.entries()[-1].status == CANCELLED
    assert manager.get(conn).busy == ""  # type: ignore[union-attr]
    await manager.close()


def test_refresh_stops_when_its_event_loop_has_ended(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A manager never closed (its loop ended) must not refresh on the next loop Qt runs under."""
    manager = ConnectionManager(OpLogModel(), refresh_interval_s=0.0, fast_interval_s=0.0)
    session = FakeSession()

    async def first() -> str:
        conn = manager.add(session)
        await wait_for(lambda: manager.get(conn).entry.snapshot is not None)  # type: ignore[union-attr]
        return conn

    conn = asyncio.run(first())  # ends without manager.close()
    calls = session.snapshot_calls

    async def later() -> None:
        manager._tick()  # the timer fires while another loop runs Qt: every refresh is due
        await asyncio.sleep(0)

    asyncio.run(later())
    assert session.snapshot_calls == calls and not manager.is_refreshing(conn)
    assert not manager._timer.isActive()


def test_log_text_and_atomic_save(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ccrgui.domain.model import ActionResult, CommandRun
    from ccrgui.gui.oplog import OpLogDock

    dock = OpLogDock()
    qtbot.addWidget(dock)
    entry = dock.model.start("EXCLUS1\\EXCH1", "Move EXCH1 to EXNODE2", "preview")
    run = CommandRun("EXNODE1", "Move-ClusteredMailboxServer -Identity 'EXCH1'", 1, "", "access denied")
    dock.model.finish_with(entry, ActionResult("Move", False, (run,), "access denied"))
    text = dock.model.text()
    assert "> Move-ClusteredMailboxServer -Identity 'EXCH1'" in text and "access denied" in text
    assert text.count("access denied") == 1
    target = tmp_path / "ops.txt"
    target.write_text("old")
    dock.save_to(target)
    assert target.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["ops.txt"]  # no temporary left behind
    with pytest.raises(FileNotFoundError):
        write_text_atomic(tmp_path / "missing" / "x.txt", "x")
    dock.table.selectRow(0)
    dock.copy_selected()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == text
