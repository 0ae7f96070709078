"""The results pane's content for each kind of tree item, and in-place table updates."""

from __future__ import annotations

from ccrgui.domain.model import GroupState, NodeError, NodeState
from ccrgui.gui.results import ResultContext, ResultsPane, SectionTableModel, build_results, exchange_release
from ccrgui.gui.tree import ClusterEntry, ConnState, ItemRef, Kind
from tests.gui.fakes import make_snapshot


def entries(**kw: object) -> dict[str, ClusterEntry]:
    snap = make_snapshot(**kw)  # type: ignore[arg-type]
    return {"c": ClusterEntry("c", "EXCLUS1", ConnState.CONNECTED, snap)}


CTX = ResultContext({"c": "3"})


def test_cluster_summary() -> None:
    r = build_results(ItemRef("c", Kind.CLUSTER), entries(node_states=(NodeState.UP, NodeState.PAUSED)), CTX)
    summary = r.section("Summary of Cluster EXCLUS1")
    assert summary.value("Quorum configuration") == "Node and File Share Majority"
    assert summary.value("Witness") == "File Share Witness (\\\\HUB1\\FSW_EXCH1): Online"
    assert summary.value("Critical events (last 24 hours)") == "3"
    assert r.section("Nodes").column("Status") == ["Up", "Paused"]
    assert r.section("Cluster Core Resources").column("Name") == [
        "Cluster IP Address",
        "Cluster Name",
        "File Share Witness (\\\\HUB1\\FSW_EXCH1)",
    ]
    assert r.section("Services and Applications").column("Name") == ["EXCH1"]


def test_cms_details() -> None:
    r = build_results(ItemRef("c", Kind.GROUP, "EXCH1"), entries(owner="EXNODE2"), CTX)
    s = r.section("Summary of EXCH1")
    assert s.value("Current Owner") == "EXNODE2"
    assert s.value("Active node") == "EXNODE2"
    assert s.value("Type") == "Exchange clustered mailbox server"
    services = r.section("Exchange services")
    assert services.column("Service") == ["System Attendant", "Information Store"]
    assert services.column("Status") == ["Online", "Online"]
    dbs = r.section("Databases")
    assert dbs.column("Storage Group") == ["First Storage Group", "Second Storage Group"]
    assert dbs.column("Database") == ["Mailbox Database", "Executives"]
    copies = r.section("CCR copy health")
    assert copies.column("Copy Status") == ["Healthy", "Healthy"]
    assert copies.column("Replay Queue Length") == ["0", "2"]
    assert len(r.section("Resources").rows) == 5


def test_offline_cms_shows_offline_services() -> None:
    r = build_results(ItemRef("c", Kind.GROUP, "exch1"), entries(cms_state=GroupState.OFFLINE), CTX)
    assert r.section("Summary of EXCH1").value("Clustered mailbox server state") == "Offline"
    assert r.section("Exchange services").column("Status") == ["Offline", "Offline"]


def test_node_details() -> None:
    r = build_results(ItemRef("c", Kind.NODE, "EXNODE2"), entries(owner="EXNODE2"), CTX)
    s = r.section("Summary of EXNODE2")
    assert s.value("Status") == "Up"
    assert s.value("Operating system") == "Microsoft® Windows Server® 2008 Enterprise Service Pack 1"
    assert s.value("Exchange version") == "Version 8.1 (Build 240.6), Exchange Server 2007 SP1"
    assert s.value("Processor") == "4 × Intel(R) Xeon(R) CPU E5440 @ 2.83GHz"
    assert s.value("Memory total") == "16,383 MB"
    assert s.value("Memory in use") == "9,200 MB (56%)"
    ifaces = r.section("Network Interfaces")
    assert ifaces.column("Network") == ["Cluster Network 1", "Cluster Network 2"]
    assert ifaces.column("IP Address") == ["10.0.0.12", "10.0.1.12"]
    assert r.section("Services and Applications owned").column("Name") == ["EXCH1"]


def test_unreachable_node_shows_error() -> None:
    e = entries(node_errors=(NodeError("EXNODE2", "The WinRM client cannot complete the operation"),))
    r = build_results(ItemRef("c", Kind.NODE, "EXNODE2"), e, CTX)
    assert r.section("Summary of EXNODE2").value("Error") == "The WinRM client cannot complete the operation"
    cluster = build_results(ItemRef("c", Kind.CLUSTER), e, CTX)
    assert cluster.section("Nodes that could not be read").column("Node") == ["EXNODE2"]


def test_network_interfaces_per_node() -> None:
    r = build_results(ItemRef("c", Kind.NETWORK, "Cluster Network 2"), entries(), CTX)
    assert r.section("Summary of Cluster Network 2").value("Status") == "Up"
    ifaces = r.section("Network Interfaces")
    assert ifaces.column("Node") == ["EXNODE1", "EXNODE2"]
    assert ifaces.column("IP Address") == ["10.0.1.11", "10.0.1.12"]


def test_folders_quorum_replication_and_unreachable_cluster() -> None:
    e = entries()
    assert build_results(ItemRef("c", Kind.NODES), e, CTX).section("Nodes").column("Name") == [
        "EXNODE1",
        "EXNODE2",
    ]
    assert build_results(ItemRef("c", Kind.NETWORKS), e, CTX).section("Networks").column("Address") == [
        "10.0.0.0/255.255.255.0",
        "10.0.1.0/255.255.255.0",
    ]
    q = build_results(ItemRef("c", Kind.QUORUM), e, CTX).section("Quorum")
    assert q.value("Witness share") == "\\\\HUB1\\FSW_EXCH1"
    copy = build_results(ItemRef("c", Kind.COPY, "Second Storage Group"), e, CTX)
    assert copy.section("Copy of Second Storage Group").value("Copy queue length") == "1"
    storage = build_results(ItemRef("c", Kind.STORAGE), e, CTX).section("Available Storage")
    assert storage.rows == () and "No disks" in storage.empty_text
    down = {"c": ClusterEntry("c", "EXCLUS1", ConnState.UNREACHABLE, None, "connection refused")}
    r = build_results(ItemRef("c", Kind.CLUSTER), down, CTX)
    assert r.grey and r.section("Summary").value("Error") == "connection refused"
    root = build_results(None, entries(), CTX).section("Clusters")
    assert root.column("Name") == ["EXCLUS1"] and root.column("Connection") == ["Connected"]


def test_exchange_release_names() -> None:
    assert exchange_release("8.1.240.6") == "8.1.240.6, Exchange Server 2007 SP1"
    assert (
        exchange_release("Version 8.3 (Build 83.6)") == "Version 8.3 (Build 83.6), Exchange Server 2007 SP3"
    )
    assert exchange_release("") == ""


def test_table_updates_in_place(qtbot) -> None:  # type: ignore[no-untyped-def]
    e = entries()
    first = build_results(ItemRef("c", Kind.NODES), e, CTX).section("Nodes")
    model = SectionTableModel(first)
    changed: list[int] = []
    model.dataChanged.connect(lambda a, b: changed.append(a.row()))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    second = build_results(ItemRef("c", Kind.NODES), entries(node_states=(NodeState.UP, NodeState.DOWN)), CTX)
    model.set_section(second.section("Nodes"))
    assert changed == [1] and resets == []
    assert model.index(1, 1).data() == "Down"


def test_pane_shows_sections(qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = ResultsPane()
    qtbot.addWidget(pane)
    pane.show_results(build_results(ItemRef("c", Kind.GROUP, "EXCH1"), entries(), CTX))
    assert pane.heading.text() == "EXCH1"
    titles = [m.section.title for m in pane.table_models()]
    assert titles == ["Summary of EXCH1", "Exchange services", "Databases", "CCR copy health", "Resources"]
    pane.show_results(build_results(ItemRef("c", Kind.NODES), entries(), CTX))
    assert [m.section.title for m in pane.table_models()] == ["Nodes"]


def test_rolling_upgrade_shows_node_builds_against_the_cms_version() -> None:
    import dataclasses

    snap = make_snapshot(owner="EXNODE1")
    nodes = tuple(
        dataclasses.replace(
            n, details=dataclasses.replace(n.details, exchange_version="Version 8.1 (Build 375.2)")
        )
        if n.name == "EXNODE2" and n.details
        else n
        for n in snap.nodes
    )
    snap = dataclasses.replace(snap, nodes=nodes, cms_version="Version 8.1 (Build 240.6)")
    e = {"c": ClusterEntry("c", "EXCLUS1", ConnState.CONNECTED, snap)}
    cms = build_results(ItemRef("c", Kind.GROUP, "EXCH1"), e, CTX).section("Summary of EXCH1")
    assert cms.value("Exchange version") == "Version 8.1 (Build 240.6), Exchange Server 2007 SP1"
    assert cms.value("Nodes at another build") == "EXNODE2: Version 8.1 (Build 375.2)"
    upgraded = build_results(ItemRef("c", Kind.NODE, "EXNODE2"), e, CTX).section("Summary of EXNODE2")
    assert upgraded.value("Exchange version") == "Version 8.1 (Build 375.2), Exchange Server 2007 SP1"
    assert upgraded.value("Rolling upgrade") == (
        "newer than the clustered mailbox server (Version 8.1 (Build 240.6))"
    )
    same = build_results(ItemRef("c", Kind.NODE, "EXNODE1"), e, CTX).section("Summary of EXNODE1")
    assert "Rolling upgrade" not in [row[0].text for row in same.rows]
    assert same.value("Exchange version") == "Version 8.1 (Build 240.6), Exchange Server 2007 SP1"


def test_hostile_names_are_shown_as_typed_never_as_html(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from ccrgui.domain.plan import Plan, Shell, Step
    from ccrgui.gui.actions import Confirmation
    from ccrgui.gui.dialogs import ConfirmDialog, show_error

    name = "<b>Mail</b> & <img src='x'>"
    pane = ResultsPane()
    qtbot.addWidget(pane)
    ents = entries(extra_groups=(name,))
    pane.show_results(build_results(ItemRef("c", Kind.GROUP, name), ents, CTX))
    assert pane.heading.text() == name
    assert pane.heading.textFormat() is Qt.TextFormat.PlainText
    plan = Plan("Take offline", (Step("Take offline", Shell.CMD, ("cluster x /off",)),))
    question = Confirmation("Take offline", f"Users of {name} lose access.", "Take offline")
    dialog = ConfirmDialog(None, question, lambda _: plan)
    qtbot.addWidget(dialog)
    assert dialog.impact.textFormat() is Qt.TextFormat.PlainText
    box = show_error(None, "Move failed", f"System error 5013: {name}")
    qtbot.addWidget(box)
    assert box.textFormat() is Qt.TextFormat.PlainText
    box.close()


def test_tooltips_show_hostile_text_as_typed() -> None:
    from PySide6.QtGui import QTextDocument

    from ccrgui.gui.plaintext import plain_tooltip

    name = "<b>Mail</b> & co"
    shown = plain_tooltip(name)
    assert shown is not None
    doc = QTextDocument()
    doc.setHtml(shown)
    assert doc.toPlainText() == name
    assert plain_tooltip("EXNODE2 is paused") == "EXNODE2 is paused"
    assert plain_tooltip("") is None


def test_nodes_view_and_node_summary_say_active_and_passive() -> None:
    e = entries()
    nodes = build_results(ItemRef("c", Kind.NODES), e, CTX).section("Nodes")
    assert nodes.column("Clustered mailbox server") == [
        "Active (runs EXCH1)",
        "Passive (EXCH1 runs on EXNODE1)",
    ]
    summary = build_results(ItemRef("c", Kind.NODE, "EXNODE2"), e, CTX).section("Summary of EXNODE2")
    assert summary.value("Clustered mailbox server") == "Passive (EXCH1 runs on EXNODE1)"
