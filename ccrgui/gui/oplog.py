"""The operations log: every action the console ran, with the exact commands and Windows' answer.

A table model (time, target, action, command, status, output) shown in a dock at the bottom, with
a details box, Copy and Save.  Saving writes a temporary file and renames it over the target so a
crash never leaves half a log.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ccrgui.atomicfile import write_text_atomic
from ccrgui.domain.model import ActionResult
from ccrgui.gui.columns import fit_widths
from ccrgui.gui.plaintext import plain_tooltip

RUNNING, SUCCEEDED, FAILED, CANCELLED = "Running", "Succeeded", "Failed", "Cancelled"
COLUMNS = ("Time", "Target", "Action", "Command", "Status", "Duration", "Output")
_ids = itertools.count(1)


@dataclass(frozen=True)
class OpEntry:
    entry_id: int
    time: datetime
    target: str
    action: str
    command: str
    status: str = RUNNING
    output: str = ""
    finished: datetime | None = None

    @property
    def duration(self) -> str:
        """How long it ran ("" while running): "0.4 s", "12 s", "3 min 05 s"."""
        if self.finished is None:
            return ""
        return fmt_duration((self.finished - self.time).total_seconds())

    def as_text(self) -> str:
        done = f" (finished {self.finished.strftime('%H:%M:%S')}, {self.duration})" if self.finished else ""
        return (
            f"[{self.time.strftime('%Y-%m-%d %H:%M:%S')}] {self.target}: {self.action}: {self.status}{done}\n"
            + "".join(f"  > {line}\n" for line in self.command.splitlines())
            + "".join(f"    {line}\n" for line in self.output.splitlines())
        )


def fmt_duration(seconds: float) -> str:
    if seconds < 10:
        return f"{max(0.0, seconds):.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def result_output(result: ActionResult) -> str:
    """What Windows answered: each command's output, then the error text."""
    parts = []
    for run in result.runs:
        text = (run.stdout + ("\n" + run.stderr if run.stderr else "")).strip()
        if text:
            parts.append(text)
    if result.error and all(result.error.strip() not in p for p in parts):
        parts.append(result.error.strip())
    return "\n".join(parts)


AnyIndex = QModelIndex | QPersistentModelIndex
_STATUS_COLOURS = {FAILED: QColor(198, 40, 40), CANCELLED: QColor(166, 124, 0), RUNNING: QColor(30, 136, 229)}


class OpLogModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[OpEntry] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self._entries[index.row()]
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = {
                "Time": e.time.strftime("%H:%M:%S"),
                "Target": e.target,
                "Action": e.action,
                "Command": e.command.splitlines()[0] if e.command else "",
                "Status": e.status,
                "Duration": e.duration or ("running…" if e.status == RUNNING else ""),
                "Output": e.output.strip().splitlines()[0] if e.output.strip() else "",
            }[col]
            return value
        if role == Qt.ItemDataRole.ToolTipRole and col in ("Target", "Action"):
            return plain_tooltip(e.target if col == "Target" else e.action)
        if role == Qt.ItemDataRole.ToolTipRole and col in ("Command", "Output"):
            return plain_tooltip(e.command if col == "Command" else e.output)
        if role == Qt.ItemDataRole.ToolTipRole and col in ("Time", "Duration"):
            end = f"finished {e.finished.strftime('%Y-%m-%d %H:%M:%S')}" if e.finished else "still running"
            return f"started {e.time.strftime('%Y-%m-%d %H:%M:%S')}, {end}"
        if role == Qt.ItemDataRole.ForegroundRole and col == "Status" and e.status in _STATUS_COLOURS:
            return QBrush(_STATUS_COLOURS[e.status])
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def entries(self) -> list[OpEntry]:
        return list(self._entries)

    def start(self, target: str, action: str, command: str) -> int:
        entry = OpEntry(next(_ids), datetime.now().astimezone(), target, action, command)
        row = len(self._entries)
        self.beginInsertRows(QModelIndex(), row, row)
        self._entries.append(entry)
        self.endInsertRows()
        return entry.entry_id

    def finish(self, entry_id: int, status: str, output: str = "", command: str | None = None) -> None:
        for row, e in enumerate(self._entries):
            if e.entry_id == entry_id:
                self._entries[row] = replace(
                    e,
                    status=status,
                    output=output,
                    command=e.command if command is None else command,
                    finished=datetime.now().astimezone(),
                )
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return
        raise KeyError(entry_id)

    def finish_with(self, entry_id: int, result: ActionResult) -> None:
        commands = "\n".join(r.command for r in result.runs) or None
        self.finish(entry_id, SUCCEEDED if result.ok else FAILED, result_output(result), commands)

    def text(self, rows: list[int] | None = None) -> str:
        chosen = self._entries if rows is None else [self._entries[r] for r in sorted(rows)]
        return "".join(e.as_text() for e in chosen)


class OpLogDock(QDockWidget):
    """The dockable operations log with details, Copy and Save…."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Operations Log", parent)
        self.setObjectName("operationsLog")
        self.model = OpLogModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Operations log")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)  # one line per operation; the details box has the rest
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((70, 90, 200, 330, 80, 70)):
            self.table.setColumnWidth(col, width)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Selected operation details")
        self.details.setPlaceholderText("Select an operation to see its commands and output.")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setAccessibleName("Copy selected operations")
        self.save_button = QPushButton("&Save…")
        self.save_button.setAccessibleName("Save the operations log")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setSizes([700, 300])
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split)
        lay.addLayout(buttons)
        self.setWidget(body)
        self.copy_button.clicked.connect(self.copy_selected)
        self.save_button.clicked.connect(self.ask_save)
        self.table.selectionModel().selectionChanged.connect(self._show_details)
        self.model.dataChanged.connect(self._show_details)
        self.model.rowsInserted.connect(lambda *_: self.table.scrollToBottom())
        self.model.rowsInserted.connect(lambda *_: self.fit_columns())
        self.model.dataChanged.connect(lambda *_: self.fit_columns())
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Short columns fit their content; Command is capped and Output takes the rest (both
        elide, with the whole text in the tooltip)."""
        header = self.table.horizontalHeader()
        want = {}
        for col, name in enumerate(COLUMNS[:-1]):
            want[col] = max(self.table.sizeHintForColumn(col), header.sectionSizeHint(col))
            if name == "Command":
                want[col] = min(want[col], 330)
        width = self.table.viewport().width()
        keep = [COLUMNS.index(name) for name in ("Time", "Status", "Duration")]
        for col, size in fit_widths(want, width - max(120, width // 5), keep).items():
            header.resizeSection(col, size)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def _show_details(self, *_: object) -> None:
        rows = self.selected_rows()
        self.details.setPlainText(self.model.text(rows) if rows else "")

    def copy_selected(self) -> None:
        rows = self.selected_rows()
        QGuiApplication.clipboard().setText(self.model.text(rows or None))

    def ask_save(self) -> None:
        dialog = QFileDialog(
            self, "Save Operations Log", "operations-log.txt", "Text files (*.txt);;All files (*)"
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.save_to(Path(path)))
        dialog.open()

    def save_to(self, path: Path) -> None:
        write_text_atomic(path, self.model.text())
