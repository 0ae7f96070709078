"""Center views of issue 12: Backup (per clustered mailbox server), Replication (copies, queue
history, Test-ReplicationHealth on demand), one storage group copy (its history) and Quorum (the
witness share checked from each node on demand).

Each embeds the results pane for the item's sections (built by `ccrgui.gui.results`) and adds
what a table cannot do: charts, exports and on-demand checks.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ccrgui.atomicfile import write_text_atomic
from ccrgui.domain.backupplan import BackupPlan, BackupThresholds, plan_to_csv, plan_to_json
from ccrgui.domain.maintenance import CheckResult, ReplicationHealthReport
from ccrgui.gui import icons
from ccrgui.gui.plaintext import plain_label
from ccrgui.gui.queuehistory import QueueHistoryPanel
from ccrgui.gui.results import ResultContext, ResultsPane, backup_plan_of, build_results
from ccrgui.gui.state import ClusterEntry, ConnState, ItemRef
from ccrgui.gui.tasks import spawn
from ccrgui.gui.views import CenterView, ViewContext
from ccrgui.history.recorder import copy_key

log = logging.getLogger(__name__)
FULL_AGE_KEY = "backup/full_max_age_days"
DEFAULT_FULL_AGE_DAYS = 7
FAILED_BRUSH = QBrush(QColor(198, 40, 40))


def full_backup_age_days(ctx: ViewContext) -> int:
    raw = ctx.settings.value(FULL_AGE_KEY) if ctx.settings is not None else None
    try:
        days = int(str(raw)) if raw is not None else DEFAULT_FULL_AGE_DAYS
    except ValueError:
        days = DEFAULT_FULL_AGE_DAYS
    return min(max(days, 1), 365)


class _ResultsView(CenterView):
    """A results pane for the item plus the subclass's own widgets below or above it."""

    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx)
        self.root = QWidget(ctx.parent)
        self.results = ResultsPane()
        self.ref: ItemRef | None = None
        self.rctx = ResultContext()
        self._tasks: set[asyncio.Task[object]] = set()

    @property
    def widget(self) -> QWidget:
        return self.root

    def entry(self) -> ClusterEntry | None:
        return self.ctx.entry()

    def render(self) -> None:
        entry = self.entry()
        if entry is not None and self.ref is not None:
            self.results.show_results(build_results(self.ref, {entry.conn_id: entry}, self.rctx))

    def feed(self, entry: ClusterEntry) -> None:
        self.render()

    def show(self, ref: ItemRef, first: bool) -> None:
        self.ref = ref
        self.render()

    def _spawn(self, coro: object) -> None:
        task = spawn(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def refresh(self) -> None:
        """F5: the refresh that follows re-reads the slow facts these views show too."""
        session = self.ctx.session()
        if session is not None:
            session.mark_stale()

    def dispose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.root.deleteLater()


# ------------------------------------------------------------------------------------- backup


class BackupCenterView(_ResultsView):
    """Where to run tonight's backup: the passive node, each copy's fitness, exports."""

    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx)
        self.root.setAccessibleName("Backup")
        self.age = QSpinBox()
        self.age.setRange(1, 365)
        self.age.setSuffix(" days")
        self.age.setAccessibleName("Warn when the last full backup is older than")
        self.age.setValue(full_backup_age_days(ctx))
        self.export_json = QPushButton("Export Plan as JSON…")
        self.export_csv = QPushButton("Export Plan as CSV…")
        self.status = plain_label()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Export status")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Warn when the last full backup is older than"))
        bar.addWidget(self.age)
        bar.addStretch(1)
        bar.addWidget(self.export_json)
        bar.addWidget(self.export_csv)
        lay = QVBoxLayout(self.root)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.status)
        lay.addWidget(self.results, 1)
        self.status.hide()
        self._apply_age()
        self.age.valueChanged.connect(self._age_changed)
        self.export_json.clicked.connect(lambda: self.ask_export("json"))
        self.export_csv.clicked.connect(lambda: self.ask_export("csv"))
        self.file_dialog: QFileDialog | None = None

    def _apply_age(self) -> None:
        self.rctx.backup_thresholds = BackupThresholds(full_backup_max_age=timedelta(days=self.age.value()))

    def _age_changed(self) -> None:
        if self.ctx.settings is not None:
            self.ctx.settings.setValue(FULL_AGE_KEY, self.age.value())
        self._apply_age()
        self.render()

    def render(self) -> None:
        super().render()
        ok = self.plan() is not None
        for b in (self.export_json, self.export_csv):
            b.setEnabled(ok)
            b.setToolTip("" if ok else "The clustered mailbox server has not been read yet")

    def plan(self) -> BackupPlan | None:
        entry = self.entry()
        if entry is None or entry.snapshot is None or entry.state is not ConnState.CONNECTED:
            return None
        return backup_plan_of(entry.snapshot, self.rctx.backup_thresholds)

    def ask_export(self, fmt: str) -> None:
        plan = self.plan()
        if plan is None:
            return
        name = f"backup-plan-{plan.cms}.{fmt}".replace("\\", "_").replace("/", "_")
        dialog = QFileDialog(self.root, f"Export the backup plan of {plan.cms}", name)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("JSON (*.json)" if fmt == "json" else "CSV (*.csv)")
        dialog.setDefaultSuffix(fmt)
        dialog.fileSelected.connect(lambda path: self.export(Path(path), fmt))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.file_dialog = dialog
        dialog.open()

    def export(self, path: Path, fmt: str) -> bool:
        """Write the plan as it stands now (atomically); the status line says what happened."""
        plan = self.plan()
        if plan is None:
            self._say("Nothing exported: the clustered mailbox server has not been read yet.", error=True)
            return False
        text = plan_to_json(plan) if fmt == "json" else plan_to_csv(plan)
        try:
            write_text_atomic(path, text)
        except OSError as exc:
            self._say(f"The backup plan was not saved to {path}: {exc.strerror or exc}", error=True)
            return False
        self._say(
            f"Backup plan of {plan.cms} saved to {path} (back up from {plan.passive_node or 'no node'})."
        )
        return True

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c62828;" if error else "")
        self.status.show()


# -------------------------------------------------------------------------------- replication

HEALTH_HEADERS = ("Server", "Check", "Result", "Error")


class ReplicationCenterView(_ResultsView):
    """Every copy's status, their queue history, and Test-ReplicationHealth on demand."""

    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx)
        self.root.setAccessibleName("Replication")
        self.history = QueueHistoryPanel("Copy and replay queue length (logs)", ctx.settings)
        self.run_health = QPushButton("Run Test-ReplicationHealth")
        self.run_health.setAccessibleName("Run Test-ReplicationHealth")
        self.health_status = plain_label(
            "Not run yet: it tests each node's replication (takes a few seconds)."
        )
        self.health_status.setWordWrap(True)
        self.health = QTreeWidget()
        self.health.setAccessibleName("Replication health checks")
        self.health.setHeaderLabels(list(HEALTH_HEADERS))
        self.health.setRootIsDecorated(False)
        self.health.setUniformRowHeights(True)
        self.health.setColumnWidth(0, 90)
        self.health.setColumnWidth(1, 170)
        self.health.setColumnWidth(2, 90)
        health_page = QWidget()
        hl = QVBoxLayout(health_page)
        top = QHBoxLayout()
        top.addWidget(self.run_health)
        top.addWidget(self.health_status, 1)
        self.health_detail = plain_label()
        self.health_detail.setWordWrap(True)
        self.health_detail.setAccessibleName("The selected check")
        hl.addLayout(top)
        hl.addWidget(self.health, 1)
        hl.addWidget(self.health_detail)
        self.health.currentItemChanged.connect(self._check_selected)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history, "Queue History")
        self.tabs.addTab(health_page, "Replication Health")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.results)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([190, 400])  # the copies table (a few rows) above the chart
        self.results.setMinimumHeight(120)
        lay = QVBoxLayout(self.root)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        self.run_health.clicked.connect(lambda: self._spawn(self.test_health()))
        self.report: ReplicationHealthReport | None = None
        self._running = False

    def render(self) -> None:
        super().render()
        entry = self.entry()
        connected = entry is not None and entry.state is ConnState.CONNECTED
        self.run_health.setEnabled(connected and not self._running)

    def _cluster(self) -> str:
        entry = self.entry()
        return entry.snapshot.cluster_name if entry and entry.snapshot else ""

    def feed(self, entry: ClusterEntry) -> None:
        super().feed(entry)
        if self.ref is not None and self.history.isVisible():
            self.history.load(self.ctx.history, self._cluster())

    def show(self, ref: ItemRef, first: bool) -> None:
        super().show(ref, first)
        self.history.load(self.ctx.history, self._cluster())

    async def test_health(self) -> None:
        session = self.ctx.session()
        if session is None:
            return
        self._running = True
        self.run_health.setEnabled(False)
        self.health_status.setText("Running Test-ReplicationHealth on every node…")
        try:
            report = await session.replication_health()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the backend's failures are shown, not raised
            log.warning("Test-ReplicationHealth failed", exc_info=True)
            self.health_status.setText(f"Test-ReplicationHealth could not run: {exc}")
            return
        finally:
            self._running = False
            self.render()
        self.show_report(report)

    def _check_selected(self, item: QTreeWidgetItem | None) -> None:
        """The whole error of the selected check (the list elides it)."""
        if item is None:
            self.health_detail.setText("")
            return
        description = str(item.data(1, Qt.ItemDataRole.UserRole) or "")
        error = item.text(3)
        head = f"{item.text(0)} {item.text(1)}" + (f": {description}" if description else "")
        self.health_detail.setText(head + (f"\n{error}" if error else ""))

    def show_report(self, report: ReplicationHealthReport) -> None:
        self.report = report
        self.health.clear()
        for c in report.health.checks:
            item = QTreeWidgetItem([c.server, c.check, c.result.value, c.error])
            item.setToolTip(1, c.description or c.check)
            item.setData(1, Qt.ItemDataRole.UserRole, c.description)
            item.setToolTip(3, c.error)
            badge = {CheckResult.PASSED: "online", CheckResult.WARNING: "partially-online"}.get(
                c.result, "failed"
            )
            item.setIcon(2, icons.icon("replication", badge))
            if not c.ok:
                for col in range(len(HEALTH_HEADERS)):
                    item.setForeground(col, FAILED_BRUSH)
            self.health.addTopLevelItem(item)
        first_bad = next((i for i, c in enumerate(report.health.checks) if not c.ok), None)
        bad_item = self.health.topLevelItem(first_bad) if first_bad is not None else None
        if bad_item is not None:
            self.health.setCurrentItem(bad_item)
        failed = report.health.failed
        text = f"{len(report.health.checks)} checks"
        text += (
            f", {len(failed)} not passed: " + ", ".join(sorted({c.check for c in failed}))
            if failed
            else ", all passed"
        )
        for node, error in report.errors.items():
            text += f". {node} did not answer: {error}"
        self.health_status.setText(text + ".")


class CopyCenterView(_ResultsView):
    """One storage group copy: its status and its queue history with marks."""

    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx)
        self.root.setAccessibleName("Storage group copy")
        self.history = QueueHistoryPanel("Queue length of this copy (logs)", ctx.settings)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.results)
        split.addWidget(self.history)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 300])
        lay = QVBoxLayout(self.root)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)

    def _load(self) -> None:
        entry = self.entry()
        if self.ref is None or entry is None or entry.snapshot is None:
            return
        snap = entry.snapshot
        c = next((c for c in snap.copies if c.storage_group.casefold() == self.ref.name.casefold()), None)
        key = copy_key(c.identity, c.storage_group) if c else self.ref.name
        self.history.load(self.ctx.history, snap.cluster_name, key)

    def feed(self, entry: ClusterEntry) -> None:
        super().feed(entry)
        self._load()

    def show(self, ref: ItemRef, first: bool) -> None:
        super().show(ref, first)
        self._load()


# ------------------------------------------------------------------------------------- quorum


class QuorumCenterView(_ResultsView):
    """The quorum configuration and votes, and the witness share tested from each node."""

    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx)
        self.root.setAccessibleName("Quorum")
        self.check = QPushButton("Check the Witness Share from Each Node")
        self.check.setAccessibleName("Check the witness share from each node")
        self.status = plain_label(
            "The nodes test the share about once a minute; check now for a fresh answer."
        )
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.check)
        bar.addWidget(self.status, 1)
        lay = QVBoxLayout(self.root)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.results, 1)
        self.check.clicked.connect(lambda: self._spawn(self.check_witness()))

    async def check_witness(self) -> None:
        session = self.ctx.session()
        if session is None:
            return
        self.check.setEnabled(False)
        self.status.setText("Testing the witness share from every node…")
        try:
            w = await session.check_witness()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown, not raised
            log.warning("witness check failed", exc_info=True)
            self.status.setText(f"The witness share could not be checked: {exc}")
            return
        finally:
            self.check.setEnabled(True)
        if w is None:
            self.status.setText("This cluster has no file share witness.")
            return
        bad = w.unreachable_from
        asked = [n for n, ok in w.reachable.items() if ok is not None]
        if bad:
            self.status.setText(f"{w.share} does not answer from {', '.join(bad)}.")
        elif asked:
            self.status.setText(f"{w.share} answers from {', '.join(asked)}.")
        else:
            self.status.setText(f"No node could test {w.share}: " + "; ".join(w.errors.values()))
        self.status.setStyleSheet("color: #c62828;" if bad else "")
        session_entry = self.entry()
        if session_entry is not None and session_entry.snapshot is not None:
            # Show the fresh answer now; the next refresh carries it in the snapshot too.
            snap = replace(session_entry.snapshot, witness=w)
            entry = replace(session_entry, snapshot=snap)
            if self.ref is not None:
                self.results.show_results(build_results(self.ref, {entry.conn_id: entry}, self.rctx))


__all__ = [
    "BackupCenterView",
    "CopyCenterView",
    "QuorumCenterView",
    "ReplicationCenterView",
    "full_backup_age_days",
]
