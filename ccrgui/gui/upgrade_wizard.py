""" "Upgrade Exchange on this cluster": a QWizard over the Qt-free upgrade engine.

Pages: what to install (service pack folder or update rollup), the pre-checks with their
results (backup confirmation and the monitoring services to stop), then the steps with setup.com's
progress, every command shown before it runs and logged in the operations log.  Closing the
wizard mid-step stops waiting (the journal keeps the progress); opening it again offers to resume.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ccrgui.domain.model import SetupReport
from ccrgui.domain.plan import ProgressKind
from ccrgui.domain.session_api import ClusterSession
from ccrgui.domain.upgrade.journal import JournalError
from ccrgui.domain.upgrade.prechecks import PreCheckReport, UpgradeOptions
from ccrgui.domain.upgrade.procedure import EventKind, RunOutcome, UpgradeEvent, UpgradeProcedure
from ccrgui.gui.oplog import CANCELLED, FAILED, SUCCEEDED, OpLogModel
from ccrgui.gui.tasks import spawn

log = logging.getLogger(__name__)

CHOOSE, CHECKS, RUN = 0, 1, 2
BACKUP_CHECK = "Full backups of both nodes taken"
SETUP_STEPS_EXPECTED = {"upgrade": 8, "cms": 3}  # prerequisite check + configuration steps
STATUS_TEXT = {
    EventKind.STEP_STARTED: "Running…",
    EventKind.STEP_DONE: "Done",
    EventKind.STEP_SKIPPED: "Already done",
    EventKind.STEP_FAILED: "Failed",
}


class ChoosePage(QWizardPage):
    """Service pack (setup files folder) or update rollup (.msp); or the run in progress."""

    def __init__(self, wizard: UpgradeWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("What to install")
        self.setSubTitle(
            "The passive node is upgraded first, then the clustered mailbox server is moved to it and "
            "upgraded, then the other node. Users see one short outage."
        )
        self.resume_label = QLabel()
        self.resume_label.setWordWrap(True)
        self.service_pack = QRadioButton("Service pack: the setup files folder on the nodes")
        self.rollup = QRadioButton("Update rollup: the .msp file on the nodes")
        self.service_pack.setChecked(True)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("D:\\Exchange2007SP2")
        self.msp = QLineEdit()
        self.msp.setPlaceholderText("D:\\Updates\\Exchange2007-KB970162-x64-EN.msp")
        self.reason = QLineEdit("Exchange service pack upgrade")
        self.move_back = QCheckBox(
            "At the end, move the clustered mailbox server back to the node it runs on now"
        )
        form = QFormLayout()
        form.addRow(self.service_pack)
        form.addRow("Setup files folder:", self.folder)
        form.addRow(self.rollup)
        form.addRow("Update rollup file:", self.msp)
        form.addRow("Stop reason / move comment:", self.reason)
        form.addRow(self.move_back)
        layout = QVBoxLayout(self)
        layout.addWidget(self.resume_label)
        layout.addLayout(form)
        for w in (self.folder, self.msp, self.reason):
            w.textChanged.connect(self.completeChanged)
        self.service_pack.toggled.connect(self._kind_changed)
        self._kind_changed()

    def _kind_changed(self) -> None:
        sp = self.service_pack.isChecked()
        self.folder.setEnabled(sp)
        self.msp.setEnabled(not sp)
        self.completeChanged.emit()

    def initializePage(self) -> None:
        j = self.wiz.proc.journal
        resuming = j is not None and not j.finished
        self.resume_label.setVisible(resuming)
        for w in (self.service_pack, self.rollup, self.folder, self.msp, self.reason, self.move_back):
            w.setEnabled(not resuming)
        if self.wiz.load_error:
            self.resume_label.setVisible(True)
            self.resume_label.setText(
                f"The progress journal could not be read ({self.wiz.load_error}); it is left as it is "
                "until a new upgrade starts and replaces it. Check the cluster's state before going on."
            )
        if resuming and j is not None:
            what = j.setup_folder or j.rollup
            self.resume_label.setText(
                f"An upgrade of {j.cluster} from {what} is in progress: {len(j.done)} of "
                f"{len(self.wiz.proc.steps())} steps done. Next resumes it after re-reading the cluster."
            )
        else:
            self._kind_changed()

    def options(self) -> UpgradeOptions:
        sp = self.service_pack.isChecked()
        return UpgradeOptions(
            setup_folder=self.folder.text().strip() if sp else "",
            rollup="" if sp else self.msp.text().strip(),
            move_back=self.move_back.isChecked(),
            stop_reason=self.reason.text().strip(),
        )

    def isComplete(self) -> bool:
        if self.wiz.resuming:
            return True
        o = self.options()
        return bool((o.setup_folder or o.rollup) and o.stop_reason)

    def nextId(self) -> int:
        return RUN if self.wiz.resuming else CHECKS


class CheckPage(QWizardPage):
    """Every pre-check with its result; the backup box and the monitoring services to stop."""

    def __init__(self, wizard: UpgradeWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Pre-checks")
        self.setSubTitle("Nothing has been changed yet. Every check must pass before the upgrade starts.")
        self.checks = QTreeWidget()
        self.checks.setHeaderLabels(["Check", "Result", "Details"])
        self.checks.setRootIsDecorated(False)
        self.checks.setColumnWidth(0, 330)
        self.checks.setColumnWidth(1, 70)
        self.status = QLabel()
        self.rerun = QPushButton("Check again")
        self.rerun.clicked.connect(self.start)
        self.services = QListWidget()
        self.services.setMaximumHeight(90)
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("NODE:ServiceName, … (other services that read performance counters)")
        self.backup = QCheckBox("Full backups of both nodes (and of the schema master) were taken")
        self.backup.toggled.connect(self._backup_toggled)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.rerun)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.checks, 1)
        layout.addWidget(QLabel("Monitoring services to stop before setup (found running; untick to keep):"))
        layout.addWidget(self.services)
        layout.addWidget(self.extra)
        layout.addWidget(self.backup)
        self.report: PreCheckReport | None = None
        self.task: asyncio.Task[None] | None = None

    def initializePage(self) -> None:
        self.start()

    def start(self) -> None:
        if self.task is not None and not self.task.done():
            return
        self.report = None
        self.checks.clear()
        self.services.clear()
        self.status.setText("Reading the cluster and each node…")
        self.rerun.setEnabled(False)
        self.completeChanged.emit()
        self.task = spawn(self._read())

    async def _read(self) -> None:
        try:
            report = await self.wiz.proc.prechecks(self.wiz.choose.options(), backup_confirmed=True)
        except Exception as exc:  # the session reports errors as values; anything else is shown
            self.status.setText(f"The pre-checks could not be read: {exc}")
            self.rerun.setEnabled(True)
            return
        self.report = report
        self._show(report)
        self.rerun.setEnabled(True)
        self.completeChanged.emit()

    def _show(self, report: PreCheckReport) -> None:
        self.checks.clear()
        for c in report.checks:
            if c.name == BACKUP_CHECK:
                continue
            result = "OK" if c.ok else ("Failed" if c.blocking else "Note")
            item = QTreeWidgetItem([c.name, result, c.detail])
            item.setToolTip(2, c.detail)
            if not c.ok and c.blocking:
                item.setForeground(1, Qt.GlobalColor.red)
            self.checks.addTopLevelItem(item)
        for node, found in report.monitoring.items():
            for s in found:
                entry = QListWidgetItem(f"{node}: {s.name} ({s.display_name})")
                entry.setData(Qt.ItemDataRole.UserRole, (node, s.name))
                entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                entry.setCheckState(Qt.CheckState.Checked)
                self.services.addItem(entry)
        refused = self.refusals()
        self.status.setText(
            "Refused: " + "; ".join(refused) if refused else "Every check passed." + self._backup_note()
        )

    def _backup_note(self) -> str:
        return "" if self.backup.isChecked() else " Confirm the backups below."

    def _backup_toggled(self) -> None:
        if self.report is not None and not self.refusals():
            self.status.setText("Every check passed." + self._backup_note())
        self.completeChanged.emit()

    def refusals(self) -> list[str]:
        if self.report is None:
            return []
        return [f"{c.name} ({c.detail})" for c in self.report.refusals if c.name != BACKUP_CHECK]

    def chosen_services(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {n.name: [] for n in self.report.snapshot.nodes} if self.report else {}
        for i in range(self.services.count()):
            item = self.services.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                node, name = item.data(Qt.ItemDataRole.UserRole)
                out.setdefault(node, []).append(name)
        for part in self.extra.text().split(","):
            node, sep, name = part.strip().partition(":")
            if sep and node.strip() and name.strip():
                key = next((n for n in out if n.casefold() == node.strip().casefold()), node.strip())
                out.setdefault(key, []).append(name.strip())
        return out

    def isComplete(self) -> bool:
        return self.report is not None and not self.refusals() and self.backup.isChecked()

    def validatePage(self) -> bool:
        if self.report is None:
            return False
        report = self.report
        # The admin ticked the box: the backup check passes.
        checks = tuple(
            dataclasses.replace(c, ok=True, detail="confirmed") if c.name == BACKUP_CHECK else c
            for c in report.checks
        )
        confirmed = dataclasses.replace(report, checks=checks)
        self.wiz.proc.begin(confirmed, self.wiz.choose.options(), self.chosen_services())
        return True


class RunPage(QWizardPage):
    """The steps, setup.com's progress and every command; Start / Retry runs the remaining steps."""

    def __init__(self, wizard: UpgradeWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Upgrade")
        self.steps = QTreeWidget()
        self.steps.setHeaderLabels(["Step", "Status", "Result"])
        self.steps.setRootIsDecorated(False)
        self.steps.setColumnWidth(0, 360)
        self.steps.setColumnWidth(1, 90)
        self.setup_label = QLabel("setup.com: not running")
        self.setup_bar = QProgressBar()
        self.setup_bar.setRange(0, 1)
        self.setup_bar.setValue(0)
        self.setup_steps = QListWidget()
        self.setup_steps.setMaximumHeight(110)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(5000)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: #a00000")
        self.start_button = QPushButton("Start the upgrade")
        self.start_button.clicked.connect(self.start)
        row = QHBoxLayout()
        row.addWidget(self.setup_label, 1)
        row.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps, 2)
        layout.addLayout(row)
        layout.addWidget(self.setup_bar)
        layout.addWidget(self.setup_steps)
        layout.addWidget(QLabel("Commands (each shown before it is sent) and their output:"))
        layout.addWidget(self.output, 2)
        layout.addWidget(self.error)
        self.task: asyncio.Task[RunOutcome] | None = None
        self.outcome: RunOutcome | None = None
        self._open_entries: list[int] = []
        self._setup_kind = "upgrade"

    def initializePage(self) -> None:
        self.steps.clear()
        j = self.wiz.proc.journal
        for step in self.wiz.proc.steps():
            done = j is not None and step.id in j.done
            failed = j is not None and j.failed == step.id
            item = QTreeWidgetItem([step.title, "Done" if done else ("Failed" if failed else ""), ""])
            item.setData(0, Qt.ItemDataRole.UserRole, step.id)
            self.steps.addTopLevelItem(item)
        self.start_button.setText("Resume the upgrade" if j is not None and j.done else "Start the upgrade")
        self.setSubTitle(f"{len(j.done) if j else 0} of {self.steps.topLevelItemCount()} steps done.")

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        if self.running:
            return
        self.error.clear()
        self.start_button.setEnabled(False)
        self.wiz.button(QWizard.WizardButton.BackButton).setEnabled(False)
        self.task = spawn(self._run())

    async def _run(self) -> RunOutcome:
        if self.wiz.on_running is not None:
            self.wiz.on_running(True)
        try:
            outcome = await self.wiz.proc.run(self.on_event)
        except asyncio.CancelledError:
            self._close_entries(CANCELLED, "The wizard was closed; the journal keeps the progress")
            raise
        finally:
            if self.wiz.on_running is not None:
                self.wiz.on_running(False)
        self.outcome = outcome
        self.start_button.setEnabled(not outcome.finished)
        if outcome.finished:
            self.setSubTitle("The upgrade is complete.")
            self.start_button.setText("Done")
        else:
            self.start_button.setText("Retry from the failed step")
            step = outcome.failed_step.title if outcome.failed_step else ""
            self.error.setText(f"{step} failed: {outcome.error}\n\nWhat to do: {outcome.advice}")
        self.completeChanged.emit()
        return outcome

    def _item(self, step_id: str) -> QTreeWidgetItem | None:
        for i in range(self.steps.topLevelItemCount()):
            item = self.steps.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == step_id:
                return item
        return None

    def on_event(self, e: UpgradeEvent) -> None:
        item = self._item(e.step.id)
        if e.kind in STATUS_TEXT and item is not None:
            item.setText(1, STATUS_TEXT[e.kind])
            item.setText(2, e.text if e.kind is not EventKind.STEP_STARTED else "")
            item.setToolTip(2, e.text)
            self.steps.scrollToItem(item)
        if e.kind is EventKind.STEP_STARTED:
            self.output.appendPlainText(f"== {e.step.title}")
            if e.step.kind in ("setup", "cms-upgrade"):
                self._setup_kind = "cms" if e.step.kind == "cms-upgrade" else "upgrade"
                self.setup_steps.clear()
                self.setup_bar.setRange(0, SETUP_STEPS_EXPECTED[self._setup_kind])
                self.setup_bar.setValue(0)
        elif e.kind is EventKind.COMMANDS:
            self.output.appendPlainText(e.text)
            if self.wiz.oplog is not None:
                self._open_entries.append(self.wiz.oplog.start(self.wiz.target, e.step.title, e.text))
        elif e.kind is EventKind.PROGRESS and e.progress is not None:
            if e.progress.kind is ProgressKind.OUTPUT and e.progress.text.strip():
                self.output.appendPlainText(e.progress.text.rstrip())
            elif e.progress.kind is ProgressKind.WAITING:
                self.output.appendPlainText(f"Waiting until {e.progress.text}…")
        elif e.kind is EventKind.SETUP and e.setup is not None:
            self._show_setup(e.setup)
        elif e.kind in (EventKind.STEP_DONE, EventKind.STEP_SKIPPED):
            self._close_entries(SUCCEEDED, e.text)
            j = self.wiz.proc.journal
            self.setSubTitle(f"{len(j.done) if j else 0} of {self.steps.topLevelItemCount()} steps done.")
        elif e.kind is EventKind.STEP_FAILED:
            self._close_entries(FAILED, e.text)
            self.output.appendPlainText(f"FAILED: {e.text}")

    def _show_setup(self, report: SetupReport) -> None:
        done = sum(1 for s in report.steps if s.status == "COMPLETED")
        total = max(SETUP_STEPS_EXPECTED[self._setup_kind], len(report.steps))
        self.setup_bar.setRange(0, total)
        self.setup_bar.setValue(total if report.succeeded else done)
        running = next((s.name for s in report.steps if not s.status), "")
        verdict = report.verdict or (f"running: {running}" if running else "starting")
        self.setup_label.setText(f"setup.com: {verdict}")
        self.setup_steps.clear()
        for s in report.steps:
            self.setup_steps.addItem(f"{s.name} … {s.status or 'running'}")

    def _close_entries(self, status: str, text: str) -> None:
        if self.wiz.oplog is not None:
            for entry in self._open_entries:
                self.wiz.oplog.finish(entry, status, text)
        self._open_entries.clear()

    def isComplete(self) -> bool:
        j = self.wiz.proc.journal
        return j is not None and j.finished

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


class UpgradeWizard(QWizard):
    """The rolling upgrade of one cluster; one journal per cluster (`journal_path`)."""

    def __init__(
        self,
        parent: QWidget | None,
        session: ClusterSession,
        journal_path: Path,
        oplog: OpLogModel | None = None,
        target: str = "",
        on_running: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Upgrade Exchange on {session.cluster_name}")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.resize(900, 680)
        self.proc = UpgradeProcedure(session, journal_path)
        self.oplog = oplog
        self.target = target or session.cluster_name
        self.on_running = on_running  # the window marks the cluster busy while steps run
        self.load_error = ""
        try:
            self.proc.load()
        except JournalError as exc:
            self.load_error = str(exc)
        self.choose = ChoosePage(self)
        self.check_page = CheckPage(self)
        self.run_page = RunPage(self)
        self.setPage(CHOOSE, self.choose)
        self.setPage(CHECKS, self.check_page)
        self.setPage(RUN, self.run_page)
        self.finished.connect(self._closed)

    @property
    def resuming(self) -> bool:
        j = self.proc.journal
        return j is not None and not j.finished

    def _closed(self, _code: int) -> None:
        """Closing mid-step stops here; the node keeps running what it was sent, the journal stays."""
        self.run_page.cancel()
        task = self.check_page.task
        if task is not None and not task.done():
            task.cancel()


__all__ = ["UpgradeWizard"]
