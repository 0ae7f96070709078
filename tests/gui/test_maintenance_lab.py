"""Issue 12 in the console against the lab: the Backup view (passive node after a failover,
exports that round-trip), Mount/Dismount from the CMS's menu, the editable properties (what
arrives is what the confirmation showed), Test-ReplicationHealth in the Replication view, queue
history that survives a restart and is plotted, a damaged history file, and the quorum warning."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox, QTreeWidget

from ccrgui.domain.backupplan import plan_from_csv, plan_from_json, plan_to_csv, plan_to_json
from ccrgui.domain.maintenance import GroupFailoverPolicy, QuorumHealth
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan
from ccrgui.gui import actions as A
from ccrgui.gui.maintenance_views import BackupCenterView, QuorumCenterView, ReplicationCenterView
from ccrgui.gui.oplog import SUCCEEDED
from ccrgui.gui.state import ItemRef, Kind
from ccrgui.gui.window import MainWindow
from ccrgui.history import HistoryStore
from ccrgui.lab.received import CMD
from tests.gui.guitools import confirm, menu_action, wait_for
from tests.gui.test_window_lab import SLOW, connect, finished, summary

pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.timeout(240)]


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest_asyncio.fixture
async def window(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    from ccrgui.app import make_session

    store = HistoryStore(tmp_path / "history.sqlite3")
    w = MainWindow(
        session_factory=make_session, refresh_interval_s=1.0, settings=_settings(tmp_path), history=store
    )
    w.resize(1280, 800)
    w.show()
    yield w
    await w.manager.close()
    w.close()
    w.deleteLater()
    store.close()


def _section(view: Any, title: str) -> Any:
    return view.results.results.section(title)


async def _databases_read(window: MainWindow, conn: str) -> None:
    def read() -> bool:
        c = window.manager.get(conn)
        return c is not None and c.entry.snapshot is not None and bool(c.entry.snapshot.databases)

    await wait_for(read, SLOW, "Get-MailboxDatabase -Status")


@pytest.mark.asyncio
async def test_backup_view_names_the_passive_node_exports_round_trip_and_swaps_after_failover(
    window: MainWindow, lab: Any, tmp_path: Path
) -> None:
    conn = await connect(window, lab)
    await _databases_read(window, conn)
    window.select(ItemRef(conn, Kind.BACKUP))
    view = window.views[(conn, Kind.BACKUP)]
    assert isinstance(view, BackupCenterView) and window.center.currentWidget() is view.widget
    summary_of = "Backup of EXCH1"
    assert _section(view, summary_of).value("Back up from (passive node)") == "EXNODE2"
    assert _section(view, summary_of).value("Active node").casefold() == "exnode1"
    rows = _section(view, "Storage groups")
    assert rows.column("Database") == ["Mailbox Database", "Executives"]
    assert rows.column("Fit") == ["Yes", "Yes"]
    assert all(t and t != "Never" for t in rows.column("Last Full"))
    files = _section(view, "Database files (on the passive node)").column("File")
    assert files[1].endswith("\\Second Storage Group\\Executives.edb")
    # The old-full-backup threshold is a setting: one day flags Executives (full two days ago).
    view.age.setValue(1)
    warnings = _section(view, "Warnings").column("Warning")
    assert any("Executives" in w and "full backup" in w for w in warnings), warnings
    assert window.qsettings is not None and int(window.qsettings.value("backup/full_max_age_days")) == 1

    for fmt, load, dump in (("json", plan_from_json, plan_to_json), ("csv", plan_from_csv, plan_to_csv)):
        path = tmp_path / f"plan.{fmt}"
        assert view.export(path, fmt), view.status.text()
        text = path.read_bytes().decode("utf-8")
        plan = load(text)
        assert plan.cms.split(".")[0] == "EXCH1"  # as Exchange names it (the FQDN)
        assert (plan.active_node.casefold(), plan.passive_node) == ("exnode1", "EXNODE2")
        assert dump(plan) == text  # exact round trip
    assert not view.export(tmp_path / "missing-folder" / "plan.json", "json")
    assert "not saved" in view.status.text()

    # A backup ran: F5 on the view reads the new backup times at once (not a minute later).
    lab.engine.simulate_backup("Second Storage Group", kind="full")
    today = lab.engine.clock.now().strftime("%Y-%m-%d")
    window.refresh_action.trigger()
    await wait_for(
        lambda: _section(view, "Storage groups").column("Last Full")[1].startswith(today),
        SLOW,
        "the new backup",
    )
    # Failback allowed to EXNODE1 in a window (set through the console's plan): after a failover
    # the roles may swap back before the backup runs, and the view says so.
    session = window.manager.get(conn).session  # type: ignore[union-attr]
    policy = GroupFailoverPolicy(
        "EXCH1", ("EXNODE1", "EXNODE2"), auto_failback=True, failback_window_start=1, failback_window_end=5
    )
    policy_change = session.plan(ActionRequest(ActionKind.SET_GROUP_POLICY, "EXCH1", policy=policy))
    assert isinstance(policy_change, Plan) and (await session.run_plan(policy_change)).ok
    lab.engine.set_node_down("EXNODE1")  # a failover: the roles swap
    await wait_for(
        lambda: _section(view, summary_of).value("Back up from (passive node)") == "EXNODE1",
        SLOW,
        "the passive node after the failover",
    )
    assert _section(view, summary_of).value("Active node").casefold() == "exnode2"
    await wait_for(
        lambda: any(
            "Failback to EXNODE1 is allowed between 1:00 and 5:59" in w
            for w in _section(view, "Warnings").column("Warning")
        ),
        SLOW,
        "the failback warning",
    )


@pytest.mark.asyncio
async def test_mount_and_dismount_from_the_cms_change_the_mount_state_shown(
    window: MainWindow, lab: Any
) -> None:
    conn = await connect(window, lab)
    await _databases_read(window, conn)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))

    def mounted() -> list[str]:
        return window.results.results.section("Databases").column("Mounted")

    await wait_for(lambda: mounted() == ["Mounted", "Mounted"], SLOW, "the mount state")
    menu = window.context_menu()
    assert not menu_action(menu, "Mount Database", "Second Storage Group\\Executives").isEnabled()
    menu_action(menu, "Dismount Database", "Second Storage Group\\Executives").trigger()
    dialog = await confirm(window)
    assert dialog.commands() == (
        "Dismount-Database -Identity 'EXCH1\\Second Storage Group\\Executives' -Confirm:$false"
    )
    assert await finished(window, conn, 1) == SUCCEEDED
    await wait_for(lambda: mounted() == ["Mounted", "Dismounted"], SLOW, "Executives dismounted")
    assert not lab.engine.databases("Executives")[0].mounted
    menu_action(window.context_menu(), "Mount Database", "Second Storage Group\\Executives").trigger()
    await confirm(window)
    assert await finished(window, conn, 2) == SUCCEEDED
    await wait_for(lambda: mounted() == ["Mounted", "Mounted"], SLOW, "Executives mounted again")


@pytest.mark.asyncio
async def test_owner_and_failback_edits_in_properties_arrive_exactly_as_previewed(
    window: MainWindow, lab: Any
) -> None:
    conn = await connect(window, lab)
    cms = ItemRef(conn, Kind.GROUP, "EXCH1")

    def policy_read() -> bool:
        c = window.manager.get(conn)
        return c is not None and c.entry.snapshot is not None and c.entry.snapshot.policy("EXCH1") is not None

    await wait_for(policy_read, SLOW, "the failover policy")
    window.select(cms)
    window.trigger(A.ActionSpec(A.PROPERTIES, "Properties"), cms)  # Enter on the group
    await wait_for(lambda: window.properties_dialog is not None and window.properties_dialog.isVisible())
    props = window.properties_dialog
    assert props is not None and props.prevent.isChecked() and props.threshold.value() == 10
    props.set_owner_order(["EXNODE2", "EXNODE1"])
    props.between.setChecked(True)
    props.start.setValue(22)
    props.end.setValue(5)
    props.threshold.setValue(3)
    assert props.ok_button.isEnabled()
    props.ok_button.click()
    lab.received.clear()
    dialog = await confirm(window)
    shown = dialog.commands().splitlines()
    assert shown == [
        "cluster.exe group EXCH1 /setowners:EXNODE2,EXNODE1",
        "cluster.exe group EXCH1 /prop FailoverThreshold=3 AutoFailbackType=1 "
        "FailbackWindowStart=22 FailbackWindowEnd=5",
    ]
    assert await finished(window, conn, 1) == SUCCEEDED
    sent = [r.text for r in lab.received.items() if r.shell == CMD]
    assert [line for line in sent if "/setowners" in line or " /prop " in line] == shown
    await wait_for(
        lambda: summary(window, "Summary of EXCH1", "Preferred Owners") == "EXNODE2, EXNODE1",
        SLOW,
        "the new preferred owners",
    )
    policy = lab.engine.group("EXCH1").policy
    assert (policy.failback_window_start, policy.failback_window_end, policy.failover_threshold) == (22, 5, 3)


@pytest.mark.asyncio
async def test_properties_dialog_destroyed_under_its_action_is_a_cancel(window: MainWindow, lab: Any) -> None:
    """The window closing under an open Properties dialog deletes it: the waiting action ends as
    cancelled (it raised 'Internal C++ object already deleted' in the event loop) and nothing runs."""
    conn = await connect(window, lab)
    cms = ItemRef(conn, Kind.GROUP, "EXCH1")

    def policy_read() -> bool:
        c = window.manager.get(conn)
        return c is not None and c.entry.snapshot is not None and c.entry.snapshot.policy("EXCH1") is not None

    await wait_for(policy_read, SLOW, "the failover policy")
    window.trigger(A.ActionSpec(A.PROPERTIES, "Properties"), cms)
    await wait_for(lambda: window.properties_dialog is not None and window.properties_dialog.isVisible())
    props = window.properties_dialog
    assert props is not None
    lab.received.clear()
    shiboken6.delete(props)  # as when its parent goes: no finished() signal, the C++ object gone

    def action_running() -> bool:
        names = (getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks())
        return "MainWindow._run" in names

    await wait_for(lambda: not action_running(), 5, "the properties action to end")
    assert not [r for r in lab.received.items() if "/prop" in r.text or "/setowners" in r.text]
    window.trigger(A.ActionSpec(A.PROPERTIES, "Properties"), cms)  # the console still works
    await wait_for(lambda: window.properties_dialog is not props and window.properties_dialog is not None)
    again = window.properties_dialog
    assert again is not None and again.isVisible()
    again.reject()


@pytest.mark.asyncio
async def test_replication_view_runs_test_replication_health_and_lists_the_failing_check(
    window: MainWindow, lab: Any
) -> None:
    conn = await connect(window, lab)
    lab.engine.suspend_copy("EXCH1\\Second Storage Group", "nightly backup")
    window.select(ItemRef(conn, Kind.REPLICATION))
    view = window.views[(conn, Kind.REPLICATION)]
    assert isinstance(view, ReplicationCenterView)
    view.tabs.setCurrentIndex(1)
    view.run_health.click()
    tree: QTreeWidget = view.health
    await wait_for(lambda: tree.topLevelItemCount() > 0, SLOW, "Test-ReplicationHealth")
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    rows = [[item.text(c) for c in range(4)] for item in items if item is not None]
    failed = [r for r in rows if r[2] != "Passed"]
    assert {r[1] for r in failed} == {"SGCopySuspended"}
    assert all("Second Storage Group" in r[3] for r in failed)
    assert "SGCopySuspended" in view.health_status.text()


@pytest.mark.asyncio
async def test_queue_history_survives_a_restart_and_is_plotted(qtbot, lab: Any, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ccrgui.app import make_session

    path = tmp_path / "history.sqlite3"

    async def run_window(check: Any) -> None:
        store = HistoryStore(path)
        w = MainWindow(
            session_factory=make_session, refresh_interval_s=1.0, settings=_settings(tmp_path), history=store
        )
        w.show()
        try:
            conn = await connect(w, lab)
            await check(w, conn, store)
        finally:
            await w.manager.close()
            w.close()
            w.deleteLater()
            store.close()

    before: dict[str, float] = {}

    async def first(w: MainWindow, conn: str, store: HistoryStore) -> None:
        cms = ItemRef(conn, Kind.COPY, "Second Storage Group")
        await wait_for(lambda: w.tree_model.find(cms).isValid(), SLOW, "the copies")
        w.select(cms)
        menu_action(w.context_menu(), "Suspend Storage Group Copy…").trigger()
        await confirm(w, "before the restart")
        assert await finished(w, conn, 1) == SUCCEEDED

        def marked() -> bool:
            marks = store.marks("EXCLUS1", datetime.now(UTC) - timedelta(hours=1))
            return any(m.kind.value == "suspend" for m in marks)

        await wait_for(marked, SLOW, "the suspend mark")
        samples = store.samples("EXCLUS1", datetime(2000, 1, 1, tzinfo=UTC))
        before["samples"] = len(samples)
        before["peak"] = max(q.copy_queue for q in samples)
        before["last"] = max(q.at for q in samples).timestamp()

    async def second(w: MainWindow, conn: str, store: HistoryStore) -> None:
        ref = ItemRef(conn, Kind.REPLICATION)
        await wait_for(lambda: w.tree_model.find(ref).isValid(), SLOW, "the replication folder")
        w.select(ref)
        view = w.views[(conn, Kind.REPLICATION)]
        assert isinstance(view, ReplicationCenterView)
        chart = view.history.chart
        names = {s.name for s in chart.series}
        assert "Second Storage Group copy queue" in names  # one CMS: storage group names
        assert "First Storage Group replay queue" in names
        assert before["samples"] > 0
        plotted = [(t, v) for s in chart.series if s.name.endswith("copy queue") for t, v in s.points]
        assert min(t for t, _ in plotted).timestamp() <= before["last"]  # from before the restart
        assert max(v for _, v in plotted) >= before["peak"]  # the peaks survive the slicing
        assert "suspend" in [m.label for m in chart.marks]
        copy = ItemRef(conn, Kind.COPY, "Second Storage Group")
        w.select(copy)
        copy_chart = w.views[(conn, Kind.COPY)].history.chart  # type: ignore[attr-defined]
        assert {s.name for s in copy_chart.series} == {
            "Second Storage Group copy queue",
            "Second Storage Group replay queue",
        }
        assert [m.label for m in copy_chart.marks] == ["suspend"]

    await run_window(first)
    await run_window(second)


def test_a_damaged_history_database_is_set_aside_with_a_message(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not SQLite" * 100)
    store = HistoryStore(path)
    w = MainWindow(settings=_settings(tmp_path), history=store)
    qtbot.addWidget(w)
    box = w.findChild(QMessageBox, "historyNotice")
    assert box is not None and box.isVisible() and "damaged" in box.text()
    aside = [p.name for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(aside) == 1 and aside[0] in box.text()
    assert path.exists()  # a fresh history was started
    w.close()
    store.close()


@pytest.mark.asyncio
async def test_witness_unreachable_warns_and_the_quorum_view_checks_each_node(
    window: MainWindow, lab: Any
) -> None:
    conn = await connect(window, lab)
    assert not window.quorum_banner.isVisible()
    lab.engine.set_witness_reachable(False, node="EXNODE2")
    window.select(ItemRef(conn, Kind.QUORUM))
    view = window.views[(conn, Kind.QUORUM)]
    assert isinstance(view, QuorumCenterView)
    view.check.click()
    await wait_for(lambda: "does not answer from EXNODE2" in view.status.text(), SLOW, "the witness check")
    title = "Witness share \\\\HUB1\\FSW_EXCH1 from each node"

    def per_node() -> dict[str, str]:
        titles = [sec.title for sec in view.results.results.sections]
        if title not in titles:
            return {}
        rows = _section(view, title)
        return dict(zip(rows.column("Node"), rows.column("Share"), strict=True))

    # Shown at once, and kept by the snapshots that follow.
    await wait_for(lambda: per_node() == {"EXNODE1": "Reached", "EXNODE2": "Not reached"}, SLOW, "per node")
    window.manager.refresh(conn)
    await wait_for(lambda: not window.manager.is_refreshing(conn), SLOW, "a refresh")
    assert per_node() == {"EXNODE1": "Reached", "EXNODE2": "Not reached"}
    lab.engine.set_witness_reachable(False)  # from nowhere: the witness resource fails
    await wait_for(lambda: window.quorum_banner.isVisible(), SLOW, "the quorum banner")
    assert window.quorum_banner.health is QuorumHealth.AT_RISK
    assert "one more failure" in window.quorum_banner.text() and "witness" in window.quorum_banner.text()
    lab.engine.set_witness_reachable(True)
    witness = next(r.name for r in window.manager.get(conn).entry.snapshot.resources if "Witness" in r.name)  # type: ignore[union-attr]
    lab.engine.online_resource(witness)  # a failed witness stays failed until brought online
    window.select(ItemRef(conn, Kind.QUORUM))
    view.check.click()  # the share answers again from each node
    await wait_for(lambda: not window.quorum_banner.isVisible(), SLOW, "the banner gone")


def test_history_retention_is_a_setting(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path)
    settings.setValue("history/retention_days", 30)
    store = HistoryStore(tmp_path / "history.sqlite3")
    w = MainWindow(settings=settings, history=store)
    qtbot.addWidget(w)
    assert store.retention_days == 30
    assert [a.data() for a in w.retention_menu.actions() if a.isChecked()] == [30]
    next(a for a in w.retention_menu.actions() if a.data() == 7).trigger()
    assert store.retention_days == 7 and int(settings.value("history/retention_days")) == 7
    assert [a.data() for a in w.retention_menu.actions() if a.isChecked()] == [7]
    w.close()
    store.close()
    plain = MainWindow(settings=_settings(tmp_path))  # no history kept: the menu says so by being off
    qtbot.addWidget(plain)
    assert not plain.retention_menu.isEnabled()
    plain.close()
