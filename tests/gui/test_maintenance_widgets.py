"""Issue 12 widgets without a cluster: the chart legend wraps, the quorum banner's states, the
properties editor's rules, and which database actions the CMS offers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from pytestqt.qtbot import QtBot

from ccrgui.domain.maintenance import NO_WINDOW, GroupFailoverPolicy, MailboxDatabaseStatus, QuorumHealth
from ccrgui.domain.model import NodeState
from ccrgui.gui import actions as A
from ccrgui.gui.group_properties import GroupPropertiesDialog
from ccrgui.gui.quorum_banner import QuorumBanner
from ccrgui.gui.state import ClusterEntry, ConnState, ItemRef, Kind
from ccrgui.gui.widgets.chart import ChartSeries, TimeChart
from tests.gui.fakes import make_snapshot

T0 = datetime(2026, 12, 4, 10, tzinfo=UTC)


def test_legend_wraps_so_every_series_is_named(qtbot: QtBot) -> None:
    chart = TimeChart()
    qtbot.addWidget(chart)
    chart.resize(420, 260)
    names = [f"EXCH1\\Storage Group Number {i} replay queue" for i in range(5)]
    chart.set_data([ChartSeries(n, ((T0, 1.0), (T0 + timedelta(hours=1), 2.0))) for n in names])
    layout = chart.legend_layout()
    assert [i for _, _, i in layout] == list(range(5))  # none left out
    assert all(r.right() <= chart.width() for r, _, _ in layout)
    rows = {r.y() for r, _, _ in layout}
    assert len(rows) > 1
    assert chart.plot_rect().top() > max(rows)  # the plot starts below the legend


def entry(**kw: object) -> ClusterEntry:
    return ClusterEntry("exclus1", "EXCLUS1", ConnState.CONNECTED, make_snapshot(**kw))  # type: ignore[arg-type]


def test_quorum_banner_hidden_at_risk_and_lost(qtbot: QtBot) -> None:
    banner = QuorumBanner()
    qtbot.addWidget(banner)
    banner.update_from({"a": entry()})
    assert banner.isHidden() and banner.health is QuorumHealth.OK
    banner.update_from({"a": entry(node_states=(NodeState.UP, NodeState.DOWN))})
    assert not banner.isHidden() and banner.health is QuorumHealth.AT_RISK
    assert "EXCLUS1: Quorum is at risk" in banner.text() and "EXNODE2 is not up" in banner.text()
    banner.update_from({"a": entry(node_states=(NodeState.DOWN, NodeState.DOWN))})
    assert banner.health is QuorumHealth.LOST and "Quorum is lost" in banner.text()
    assert "#c62828" in banner.styleSheet()
    gone = dataclasses.replace(
        entry(node_states=(NodeState.DOWN, NodeState.DOWN)), state=ConnState.UNREACHABLE
    )
    banner.update_from({"a": gone})
    assert banner.isHidden()  # an unreachable cluster's last snapshot is not assessed


def test_properties_editor_builds_the_policy_and_refuses_what_cluster_exe_would(qtbot: QtBot) -> None:
    old = GroupFailoverPolicy("EXCH1", ("EXNODE1",), 10, 6, True, 1, 5)
    dialog = GroupPropertiesDialog(None, old, ["EXNODE1", "EXNODE2"], [])
    qtbot.addWidget(dialog)
    assert dialog.between.isChecked() and (dialog.start.value(), dialog.end.value()) == (1, 5)
    assert dialog.policy() == old
    dialog.set_owner_order(["EXNODE2", "EXNODE1"])
    dialog.prevent.setChecked(True)
    assert not dialog.start.isEnabled()
    new = dialog.policy()
    assert new.preferred_owners == ("EXNODE2", "EXNODE1") and not new.auto_failback
    assert new.failback_window_start == NO_WINDOW
    dialog.set_owner_order([])
    assert not dialog.ok_button.isEnabled() and "at least one" in dialog.error.text()
    dialog.set_owner_order(["EXNODE1"])
    dialog.owners.setCurrentRow(0)
    dialog.down.click()
    assert [dialog.owners.item(i).text() for i in range(2)] == ["EXNODE2", "EXNODE1"]
    assert dialog.ok_button.isEnabled()


def test_cms_offers_mount_and_dismount_per_database() -> None:
    dbs = (
        MailboxDatabaseStatus(
            "Mailbox Database",
            "EXCH1\\First Storage Group",
            "EXCH1",
            "EXCH1\\First Storage Group\\Mailbox Database",
            mounted=True,
        ),
        MailboxDatabaseStatus(
            "Executives",
            "EXCH1\\Second Storage Group",
            "EXCH1",
            "EXCH1\\Second Storage Group\\Executives",
            mounted=False,
        ),
    )
    snap = dataclasses.replace(make_snapshot(), databases=dbs)
    e = ClusterEntry("exclus1", "EXCLUS1", ConnState.CONNECTED, snap)
    specs = {s.id: s for s in A.actions_for(ItemRef("exclus1", Kind.GROUP, "EXCH1"), e)}
    mount = {c.text: c for c in specs[A.MOUNT_DB].children}
    dismount = {c.text: c for c in specs[A.DISMOUNT_DB].children}
    assert not mount["First Storage Group\\Mailbox Database"].enabled
    assert mount["Second Storage Group\\Executives"].enabled
    assert mount["Second Storage Group\\Executives"].target == "EXCH1\\Second Storage Group\\Executives"
    assert dismount["First Storage Group\\Mailbox Database"].enabled
    assert "already dismounted" in dismount["Second Storage Group\\Executives"].reason
    assert A.cluster_action(A.MOUNT_DB_ONE) is A.cluster_action(A.MOUNT_DB)
    # Not read yet: the policy action says so; no database submenus at all.
    bare = ClusterEntry("exclus1", "EXCLUS1", ConnState.CONNECTED, make_snapshot())
    specs = {s.id: s for s in A.actions_for(ItemRef("exclus1", Kind.GROUP, "EXCH1"), bare)}
    assert A.MOUNT_DB not in specs and "not read yet" in specs[A.GROUP_POLICY].reason


ERROR = "Storage group copy 'EXCH1\\Second Storage Group' is suspended: nightly. " * 4


def test_health_list_marks_failures_and_names_nodes_that_did_not_answer(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QWidget

    from ccrgui.domain.maintenance import (
        CheckResult,
        ReplicationCheck,
        ReplicationHealth,
        ReplicationHealthReport,
    )
    from ccrgui.gui.maintenance_views import ReplicationCenterView
    from ccrgui.gui.views import ViewContext

    parent = QWidget()
    qtbot.addWidget(parent)
    view = ReplicationCenterView(ViewContext(parent, "exclus1", lambda: None, lambda: None))
    report = ReplicationHealthReport(
        ReplicationHealth(
            (
                ReplicationCheck("EXNODE1", "ClusterService", CheckResult.PASSED),
                ReplicationCheck("EXNODE1", "SGCopySuspended", CheckResult.FAILED, ERROR, "Checks copies."),
            )
        ),
        {"EXNODE2": "WinRM: connection refused"},
        ("EXNODE1", "EXNODE2"),
    )
    view.show_report(report)
    assert view.health.topLevelItemCount() == 2
    assert view.health.currentItem() is view.health.topLevelItem(1)  # the first failure is selected
    assert view.health_detail.text() == f"EXNODE1 SGCopySuspended: Checks copies.\n{ERROR}"  # whole error
    text = view.health_status.text()
    assert (
        "1 not passed: SGCopySuspended" in text
        and "EXNODE2 did not answer: WinRM: connection refused" in text
    )
    view.dispose()
