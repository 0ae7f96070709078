"""The cluster is shown before Exchange answers, marked "reading Exchange...", with every group
that may be the clustered mailbox server refused until Exchange's part arrives."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt

from ccrgui.domain.model import READING_EXCHANGE
from ccrgui.gui import actions as A
from ccrgui.gui.tree import ItemRef, Kind
from ccrgui.gui.window import MainWindow
from tests.gui.fakes import FakeSession
from tests.gui.guitools import wait_for


def _label(window: MainWindow, ref: ItemRef) -> str:
    return str(window.tree_model.data(window.tree_model.find(ref), Qt.ItemDataRole.DisplayRole))


def _move_specs(window: MainWindow, conn: str, group: str) -> list[A.ActionSpec]:
    entry = window.manager.get(conn).entry  # type: ignore[union-attr]
    specs = A.actions_for(ItemRef(conn, Kind.GROUP, group), entry)
    return [s for s in specs if s.id == A.MOVE]


@pytest.mark.asyncio
async def test_cluster_shown_while_reading_exchange_then_filled_in(window: MainWindow) -> None:
    session = FakeSession()
    session.exchange_loading = asyncio.Event()
    conn = window.add_session(session)
    cluster = ItemRef(conn, Kind.CLUSTER)
    exch = ItemRef(conn, Kind.GROUP, "EXCH1")
    await wait_for(lambda: window.tree_model.find(exch).isValid(), what="the partial snapshot")
    assert session.exchange_loading is not None and not session.exchange_loading.is_set()

    # Tree: the cluster and its groups, marked; results: the state in the summary and on a group.
    assert _label(window, cluster) == f"EXCLUS1 ({READING_EXCHANGE})"
    window.select(cluster)
    summary = window.results.results.section("Summary of Cluster EXCLUS1")
    assert summary.value("Exchange") == "Reading Exchange..."
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    summary = window.results.results.section("Summary of EXCH1")
    assert summary.value("Clustered mailbox server") == f"Not yet known: {READING_EXCHANGE}"
    moves = _move_specs(window, conn, "EXCH1")
    assert moves and all(not s.enabled and READING_EXCHANGE in s.reason for s in moves)
    # The core group is never the CMS: its actions stay available.
    core = _move_specs(window, conn, "Cluster Group")
    assert core and any(s.enabled for s in core)

    session.exchange_loading.set()
    await wait_for(lambda: READING_EXCHANGE not in _label(window, cluster), what="the full snapshot")
    assert _label(window, cluster) == "EXCLUS1"
    snap = window.manager.get(conn).entry.snapshot  # type: ignore[union-attr]
    assert snap is not None and not snap.reading_exchange and snap.cms_group is not None
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    rows = window.results.results.section("Summary of EXCH1").rows
    assert "Clustered mailbox server" not in [r[0].text for r in rows]
    assert any(s.enabled for s in _move_specs(window, conn, "EXCH1"))
