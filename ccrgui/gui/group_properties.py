"""Editable properties of a service or application, as Failover Cluster Management shows them:
General (preferred owners in order), Failover (threshold and period, failback) and Resources.

The dialog only collects the new `GroupFailoverPolicy`; the window then shows the plan the
backend builds from it (the cluster.exe lines) in the confirmation dialog before anything runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ccrgui.domain.maintenance import (
    MAX_FAILOVER_PERIOD_HOURS,
    NO_WINDOW,
    FailbackMode,
    GroupFailoverPolicy,
    PolicyError,
)
from ccrgui.gui.plaintext import plain_label
from ccrgui.gui.results import Section, SectionTableModel

MAX_THRESHOLD = 2**31 - 1  # QSpinBox is a signed int; cluster.exe takes a DWORD


def _table(section: Section, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setModel(SectionTableModel(section, view))
    view.verticalHeader().hide()
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.setAccessibleName(section.title)
    return view


class GroupPropertiesDialog(QDialog):
    """General / Failover / Resources; `policy()` is what the admin set."""

    def __init__(
        self,
        parent: QWidget | None,
        policy: GroupFailoverPolicy,
        nodes: list[str],
        sections: list[Section],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("groupPropertiesDialog")
        self.setWindowTitle(f"{policy.group} Properties")
        self.original = policy
        tabs = QTabWidget()
        self.tabs = tabs
        general = QWidget()
        gl = QVBoxLayout(general)
        for section in sections[:1]:
            gl.addWidget(_table(section, general), 1)
        owners_box = QGroupBox("Preferred owners")
        ol = QHBoxLayout(owners_box)
        self.owners = QListWidget()
        self.owners.setAccessibleName("Preferred owners")
        self.owners.setToolTip("Check the nodes that should own it, most preferred first (move them up).")
        listed = list(policy.preferred_owners) + [
            n for n in nodes if n.casefold() not in {o.casefold() for o in policy.preferred_owners}
        ]
        for node in listed:
            item = QListWidgetItem(node)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = node.casefold() in {o.casefold() for o in policy.preferred_owners}
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.owners.addItem(item)
        self.owners.setMaximumHeight(110)
        self.up = QPushButton("&Up")
        self.down = QPushButton("&Down")
        self.up.setAccessibleName("Move the selected owner up")
        self.down.setAccessibleName("Move the selected owner down")
        buttons = QVBoxLayout()
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        ol.addWidget(self.owners, 1)
        ol.addLayout(buttons)
        gl.addWidget(owners_box)
        tabs.addTab(general, "General")

        failover = QWidget()
        fl = QVBoxLayout(failover)
        fo_box = QGroupBox("Failover")
        form = QFormLayout(fo_box)
        self.threshold = QSpinBox()
        self.threshold.setRange(0, MAX_THRESHOLD)
        self.threshold.setValue(min(policy.failover_threshold, MAX_THRESHOLD))
        self.threshold.setAccessibleName("Maximum failures in the specified period")
        self.period = QSpinBox()
        self.period.setRange(1, MAX_FAILOVER_PERIOD_HOURS)
        self.period.setSuffix(" hours")
        self.period.setValue(min(max(policy.failover_period_hours, 1), MAX_FAILOVER_PERIOD_HOURS))
        self.period.setAccessibleName("Period")
        form.addRow("Maximum failures in the specified period:", self.threshold)
        form.addRow("Period:", self.period)
        fl.addWidget(fo_box)
        fb_box = QGroupBox("Failback")
        bl = QVBoxLayout(fb_box)
        self.prevent = QRadioButton("&Prevent failback")
        self.immediately = QRadioButton("Allow failback &immediately")
        self.between = QRadioButton("Allow failback &between")
        self.mode = QButtonGroup(self)
        for b in (self.prevent, self.immediately, self.between):
            self.mode.addButton(b)
        self.start = QSpinBox()
        self.end = QSpinBox()
        for spin, name in (
            (self.start, "Failback window start hour"),
            (self.end, "Failback window end hour"),
        ):
            spin.setRange(0, 23)
            spin.setSuffix(":00")
            spin.setAccessibleName(name)
        window = policy.failback_mode is FailbackMode.WINDOW
        self.start.setValue(policy.failback_window_start if window else 0)
        self.end.setValue(policy.failback_window_end if window else 6)
        {
            FailbackMode.PREVENT: self.prevent,
            FailbackMode.IMMEDIATELY: self.immediately,
            FailbackMode.WINDOW: self.between,
        }[policy.failback_mode].setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.between)
        row.addWidget(self.start)
        row.addWidget(QLabel("and"))
        row.addWidget(self.end)
        row.addWidget(QLabel("hours (the nodes' local time)"))
        row.addStretch(1)
        bl.addWidget(self.prevent)
        bl.addWidget(self.immediately)
        bl.addLayout(row)
        note = plain_label("Failback moves it back to its most preferred owner when that node is up again.")
        note.setWordWrap(True)
        bl.addWidget(note)
        fl.addWidget(fb_box)
        fl.addStretch(1)
        tabs.addTab(failover, "Failover")
        for section in sections[1:]:
            tabs.addTab(_table(section, self), section.title)

        self.error = plain_label()
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("What is wrong")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(tabs, 1)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.up.clicked.connect(lambda: self._move(-1))
        self.down.clicked.connect(lambda: self._move(1))
        for w in (self.threshold, self.period, self.start, self.end):
            w.valueChanged.connect(self._update)
        self.mode.buttonToggled.connect(self._update)
        self.owners.itemChanged.connect(self._update)
        self._update()
        self.resize(620, 520)

    def _move(self, delta: int) -> None:
        row = self.owners.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.owners.count():
            return
        item = self.owners.takeItem(row)
        self.owners.insertItem(target, item)
        self.owners.setCurrentRow(target)
        self._update()

    def set_owner_order(self, names: list[str]) -> None:
        """Check exactly `names`, in this order, before the unchecked ones (tests, scripting)."""
        items = [self.owners.takeItem(0) for _ in range(self.owners.count())]
        by_name = {i.text().casefold(): i for i in items}
        ordered = [by_name.pop(n.casefold()) for n in names] + list(by_name.values())
        for item in ordered:
            checked = item.text().casefold() in {n.casefold() for n in names}
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.owners.addItem(item)
        self._update()

    def policy(self) -> GroupFailoverPolicy:
        owners = tuple(
            self.owners.item(i).text()
            for i in range(self.owners.count())
            if self.owners.item(i).checkState() == Qt.CheckState.Checked
        )
        window = self.between.isChecked()
        return GroupFailoverPolicy(
            group=self.original.group,
            preferred_owners=owners,
            failover_threshold=self.threshold.value(),
            failover_period_hours=self.period.value(),
            auto_failback=not self.prevent.isChecked(),
            failback_window_start=self.start.value() if window else NO_WINDOW,
            failback_window_end=self.end.value() if window else NO_WINDOW,
        )

    def _update(self) -> None:
        for spin in (self.start, self.end):
            spin.setEnabled(self.between.isChecked())
        policy = self.policy()
        why = ""
        try:
            policy.validate()
        except PolicyError as exc:
            why = str(exc)
        if not why and not policy.preferred_owners and self.original.preferred_owners:
            why = "Keep at least one preferred owner checked."
        self.error.setText(why)
        self.error.setVisible(bool(why))
        self.ok_button.setEnabled(not why)


__all__ = ["GroupPropertiesDialog"]
