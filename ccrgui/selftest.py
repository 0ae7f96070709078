"""`ccrgui --self-test`: does this installation work? (used by the MSI tests and after deployment)

The console's real window, backend and lab run in this process: the lab serves Basic over HTTPS
with its own CA, so the logon depends neither on Windows SSPI nor on the user's keyring. The check
waits for the first snapshot and then reads the navigation tree as the admin would see it: the
cluster, its folders, every node and the clustered mailbox server, each under the folder it
belongs to; it also loads every Designer form and icon the package carries (an installer that left
one out, or a Qt trimmed too far, shows here), and has the child process that parses large event
answers parse one (its Python must start from the installation). It writes nothing to the user's
settings or audit log.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from ccrgui.gui.events.dialog import load_form, ui_path
from ccrgui.gui.icons import resources_dir
from ccrgui.gui.tree import FOLDER_LABELS, ClusterTreeModel, Kind
from ccrgui.gui.window import MainWindow


@dataclass(frozen=True)
class Expected:
    """What the lab serves, as the tree must show it."""

    cluster: str
    nodes: tuple[str, ...]
    cms: str


def _children(model: ClusterTreeModel, parent: QModelIndex) -> Iterator[QModelIndex]:
    for row in range(model.rowCount(parent)):
        yield model.index(row, 0, parent)


def _label(model: ClusterTreeModel, index: QModelIndex | QPersistentModelIndex) -> str:
    return str(model.data(index, Qt.ItemDataRole.DisplayRole) or "")


def check_tree(model: ClusterTreeModel, expected: Expected) -> list[str]:
    """The problems found in the tree (empty when it shows the cluster as expected)."""
    clusters = [i for i in _children(model, model.root_index()) if _label(model, i) == expected.cluster]
    if not clusters:
        shown = [_label(model, i) for i in _children(model, model.root_index())]
        return [f"cluster {expected.cluster!r} not in the tree (shown: {shown})"]
    cluster = clusters[0]
    folders = {}
    for index in _children(model, cluster):
        ref = model.ref(index)
        if ref is not None and ref.kind in FOLDER_LABELS:
            folders[ref.kind] = index
    problems = [
        f"folder {label!r} missing under {expected.cluster}"
        for kind, label in FOLDER_LABELS.items()
        if kind not in folders
    ]
    checks = ((Kind.NODES, Kind.NODE, expected.nodes), (Kind.SERVICES, Kind.GROUP, (expected.cms,)))
    for folder_kind, item_kind, names in checks:
        folder = folders.get(folder_kind)
        if folder is None:
            continue
        names_shown: set[str] = set()
        for index in _children(model, folder):
            ref = model.ref(index)
            if ref is not None and ref.kind is item_kind:
                names_shown.add(_label(model, index))
        folder_label = FOLDER_LABELS[folder_kind]
        problems += [f"{name!r} missing under {folder_label!r}" for name in names if name not in names_shown]
    return problems


def check_resources() -> list[str]:
    """The problems with the package's Designer forms and icons (empty when all load)."""
    from PySide6.QtSvg import QSvgRenderer

    problems = []
    try:
        forms = sorted(ui_path("connect.ui").parent.glob("*.ui"))
        icons = sorted((resources_dir() / "icons").glob("*.svg"))
    except FileNotFoundError as exc:
        return [str(exc)]
    for form in forms:
        try:
            load_form(form.name).deleteLater()
        except (OSError, RuntimeError) as exc:
            problems.append(f"form {form.name}: {exc}")
    problems += [
        f"icon {icon.name} does not render" for icon in icons if not QSvgRenderer(str(icon)).isValid()
    ]
    if len(forms) < 2 or len(icons) < 10:
        problems.append(f"only {len(forms)} forms and {len(icons)} icons found")
    return problems


def check_event_decoder() -> list[str]:
    """The problems with the child process that parses large event answers (empty when this
    installation's Python starts it and it parses a compressed answer as the node sends one)."""
    import base64
    import gzip
    import threading

    from ccrgui.lab.eventlog import EventJournal, render_xml
    from ccrgui.lab.topology import default_topology
    from ccrgui.remote.eventdecode import ChildFailed, DecodeChild

    journal = EventJournal(default_topology(2), history=40, seed=1)
    node = journal.nodes[0]
    records = list(reversed(journal.records(node, "System")))
    text = "".join(render_xml(r, journal.computer(node), rendered=True) for r in records) + "\r\n"
    answer = base64.b64encode(gzip.compress(text.encode("utf-8"))).decode("ascii")
    child = DecodeChild.start()
    if child is None:
        return [f"the event decoding process cannot be started with {sys.executable!r}"]
    got: list[object] = []
    try:
        count, error = child.decode(answer, node, "System", got.extend, threading.Event())
    except ChildFailed as exc:
        return [f"the event decoding process: {exc}"]
    if error or count != len(records) or len(got) != count:
        outcome = error or "no error"
        return [f"the event decoding process read {len(got)} of {len(records)} events ({outcome})"]
    return []


async def run(window: MainWindow, expected: Expected, timeout_s: float = 120.0) -> int:
    """Wait for the snapshot with the clustered mailbox server, check the tree; 0 when it holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        ready = [
            c
            for c in window.manager.connections()
            if c.entry.snapshot is not None and c.entry.snapshot.cms_group is not None
        ]
        if ready:
            break
        if time.monotonic() > deadline:
            errors = "; ".join(f"{c.entry.label}: {c.entry.error}" for c in window.manager.connections())
            print(f"ccrgui self-test: FAILED: no snapshot in {timeout_s:.0f} s ({errors or 'no cluster'})")
            return 1
        await asyncio.sleep(0.1)
    await asyncio.sleep(0)  # let the tree take the snapshot
    problems = check_tree(window.tree_model, expected) + check_resources() + check_event_decoder()
    for problem in problems:
        print(f"ccrgui self-test: FAILED: {problem}")
    if problems:
        return 1
    print(
        f"ccrgui self-test: OK: cluster {expected.cluster} with nodes {', '.join(expected.nodes)} "
        f"and clustered mailbox server {expected.cms} shown (Qt {_qt_version()}, Python {_py_version()})"
    )
    return 0


def _qt_version() -> str:
    from PySide6.QtCore import qVersion

    return str(qVersion())


def _py_version() -> str:
    return "{}.{}.{}".format(*sys.version_info[:3])
