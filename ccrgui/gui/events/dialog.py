"""The "Filter Cluster Events" dialog, laid out in Qt Designer (ui/events_filter.ui).

Edits an `EventFilter`: nodes, logs (the standard ones and custom names), levels, sources, event
IDs in Event Viewer's syntax (invalid text shows an inline error and disables OK), time range,
maximum per node and log.  The XML tab shows the QueryList Event Viewer would use; Save/Open
write and read such files (atomically).  File dialogs are opened with `open()`, never `exec()`,
so the dialog is safe to use from qasync slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QDateTime, QFile, QIODevice, Qt, QTimeZone, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ccrgui.domain.eventquery import (
    STANDARD_LOGS,
    STANDARD_SOURCES,
    EventFilter,
    FilterError,
    IdSpecError,
    QueryListError,
    TimeRange,
    default_filter,
    load_querylist,
    parse_id_spec,
    save_querylist,
    to_querylist_xml,
    validate,
)
from ccrgui.domain.model import EventLevel
from ccrgui.gui.plaintext import make_plain

_TIME_CHOICES: tuple[TimeRange, ...] = (
    TimeRange.ANY,
    TimeRange.LAST_HOUR,
    TimeRange.LAST_12_HOURS,
    TimeRange.LAST_24_HOURS,
    TimeRange.LAST_7_DAYS,
    TimeRange.LAST_30_DAYS,
    TimeRange.CUSTOM,
)
_FILE_FILTER = "Event queries (*.xml);;All files (*)"


def ui_path(name: str) -> Path:
    """A Designer form: ui/ beside the package in a checkout, or inside the package when installed."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[3] / "ui" / name, here.parents[2] / "ui" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} not found in ui/ next to the ccrgui package")


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    loader = QUiLoader()
    file = QFile(str(ui_path(name)))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise OSError(f"cannot open {file.fileName()}: {file.errorString()}")
    try:
        form = loader.load(file, parent)
    finally:
        file.close()
    if form is None:
        raise RuntimeError(f"cannot load {name}: {loader.errorString()}")
    return form


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


class EventFilterDialog(QDialog):
    """Edit a filter.  `filter()` is the result once accepted; `filterAccepted` carries it too."""

    filterAccepted = Signal(object)  # EventFilter

    def __init__(
        self, nodes: Sequence[str], flt: EventFilter | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Filter Cluster Events")
        self._form = load_form("events_filter.ui", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._form)
        f = self._form
        self.tabs = cast(QTabWidget, f.findChild(QTabWidget, "tabs"))
        self.time_combo = cast(QComboBox, f.findChild(QComboBox, "timeCombo"))
        # As wide as its longest choice ("Last 30 days"), never squeezed by the date fields.
        self.time_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.from_edit = cast(QDateTimeEdit, f.findChild(QDateTimeEdit, "fromEdit"))
        self.to_edit = cast(QDateTimeEdit, f.findChild(QDateTimeEdit, "toEdit"))
        self.level_checks: dict[EventLevel, QCheckBox] = {
            EventLevel.CRITICAL: cast(QCheckBox, f.findChild(QCheckBox, "criticalCheck")),
            EventLevel.ERROR: cast(QCheckBox, f.findChild(QCheckBox, "errorCheck")),
            EventLevel.WARNING: cast(QCheckBox, f.findChild(QCheckBox, "warningCheck")),
            EventLevel.INFORMATION: cast(QCheckBox, f.findChild(QCheckBox, "informationCheck")),
            EventLevel.VERBOSE: cast(QCheckBox, f.findChild(QCheckBox, "verboseCheck")),
        }
        self.nodes_list = cast(QListWidget, f.findChild(QListWidget, "nodesList"))
        self.logs_list = cast(QListWidget, f.findChild(QListWidget, "logsList"))
        self.custom_logs_edit = cast(QLineEdit, f.findChild(QLineEdit, "customLogsEdit"))
        self.any_source_check = cast(QCheckBox, f.findChild(QCheckBox, "anySourceCheck"))
        self.sources_list = cast(QListWidget, f.findChild(QListWidget, "sourcesList"))
        self.custom_sources_edit = cast(QLineEdit, f.findChild(QLineEdit, "customSourcesEdit"))
        self.ids_edit = cast(QLineEdit, f.findChild(QLineEdit, "idsEdit"))
        self.ids_error = cast(QLabel, f.findChild(QLabel, "idsError"))
        self.max_spin = cast(QSpinBox, f.findChild(QSpinBox, "maxEventsSpin"))
        self.problems_label = cast(QLabel, f.findChild(QLabel, "problemsLabel"))
        make_plain(self.ids_error, self.problems_label)
        self.xml_edit = cast(QPlainTextEdit, f.findChild(QPlainTextEdit, "xmlEdit"))
        self.copy_xml_button = cast(QPushButton, f.findChild(QPushButton, "copyXmlButton"))
        self.reset_button = cast(QPushButton, f.findChild(QPushButton, "resetButton"))
        self.open_button = cast(QPushButton, f.findChild(QPushButton, "openButton"))
        self.save_button = cast(QPushButton, f.findChild(QPushButton, "saveButton"))
        self.button_box = cast(QDialogButtonBox, f.findChild(QDialogButtonBox, "buttonBox"))
        self.ok_button = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        self._mentions: tuple[str, ...] = ()
        self._mentions_origin = False
        self._result = default_filter()
        self._file_dialog: QFileDialog | None = None
        self._loading = False

        for choice in _TIME_CHOICES:
            self.time_combo.addItem(choice.label, choice)
        self.time_combo.setMinimumWidth(self.time_combo.sizeHint().width())
        now = QDateTime.currentDateTime()
        self.from_edit.setDateTime(now.addDays(-1))
        self.to_edit.setDateTime(now)
        for name in nodes:
            self._add_check(self.nodes_list, name, name, True)
        for log in STANDARD_LOGS:
            self._add_check(self.logs_list, log, log, False)
        for label, provider in STANDARD_SOURCES:
            self._add_check(self.sources_list, label, provider, False)

        for signal in (
            self.time_combo.currentIndexChanged,
            self.from_edit.dateTimeChanged,
            self.to_edit.dateTimeChanged,
            self.custom_logs_edit.textChanged,
            self.custom_sources_edit.textChanged,
            self.ids_edit.textChanged,
            self.max_spin.valueChanged,
            self.any_source_check.toggled,
        ):
            signal.connect(self._changed)
        for check in self.level_checks.values():
            check.toggled.connect(self._changed)
        for lst in (self.nodes_list, self.logs_list, self.sources_list):
            lst.itemChanged.connect(self._changed)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        self.reset_button.clicked.connect(lambda: self.set_filter(default_filter()))
        self.copy_xml_button.clicked.connect(self.copy_xml)
        self.open_button.clicked.connect(self._ask_open)
        self.save_button.clicked.connect(self._ask_save)
        self.set_filter(flt or default_filter())

    # --- filter <-> widgets ---------------------------------------------------------------------
    @staticmethod
    def _add_check(lst: QListWidget, label: str, value: str, checked: bool) -> QListWidgetItem:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        lst.addItem(item)
        return item

    @staticmethod
    def _items(lst: QListWidget) -> list[QListWidgetItem]:
        return [lst.item(i) for i in range(lst.count())]

    @classmethod
    def _checked(cls, lst: QListWidget) -> list[str]:
        return [
            str(i.data(Qt.ItemDataRole.UserRole))
            for i in cls._items(lst)
            if i.checkState() == Qt.CheckState.Checked
        ]

    def _check_values(self, lst: QListWidget, values: Sequence[str]) -> list[str]:
        """Check exactly `values` in `lst`; return the values the list does not contain."""
        wanted = {v.casefold(): v for v in values}
        for item in self._items(lst):
            key = str(item.data(Qt.ItemDataRole.UserRole)).casefold()
            item.setCheckState(Qt.CheckState.Checked if key in wanted else Qt.CheckState.Unchecked)
            wanted.pop(key, None)
        return list(wanted.values())

    def set_filter(self, flt: EventFilter) -> None:
        self._loading = True
        try:
            self.time_combo.setCurrentIndex(_TIME_CHOICES.index(flt.time_range))
            if flt.since is not None:
                self.from_edit.setDateTime(_to_qt(flt.since))
            if flt.until is not None:
                self.to_edit.setDateTime(_to_qt(flt.until))
            for level, check in self.level_checks.items():
                check.setChecked(flt.any_level or level in flt.levels)
            if flt.nodes:
                for extra in self._check_values(self.nodes_list, flt.nodes):
                    self._add_check(self.nodes_list, extra, extra, True)
            else:
                for item in self._items(self.nodes_list):
                    item.setCheckState(Qt.CheckState.Checked)
            self.custom_logs_edit.setText("; ".join(self._check_values(self.logs_list, flt.logs)))
            self.any_source_check.setChecked(not flt.providers)
            self.custom_sources_edit.setText("; ".join(self._check_values(self.sources_list, flt.providers)))
            self.ids_edit.setText(flt.event_ids)
            self.max_spin.setValue(flt.max_events)
            self._mentions = flt.mentions
            self._mentions_origin = flt.mentions_include_origin
        finally:
            self._loading = False
        self._changed()

    def current_filter(self) -> EventFilter:
        """The filter as the widgets describe it now (may be invalid: see `problems`)."""
        levels = frozenset(lv for lv, c in self.level_checks.items() if c.isChecked())
        all_nodes = self._items(self.nodes_list)
        checked_nodes = self._checked(self.nodes_list)
        nodes = () if len(checked_nodes) == len(all_nodes) else tuple(checked_nodes)
        logs = tuple(dict.fromkeys(self._checked(self.logs_list) + _split(self.custom_logs_edit.text())))
        providers: tuple[str, ...] = ()
        if not self.any_source_check.isChecked():
            providers = tuple(
                dict.fromkeys(self._checked(self.sources_list) + _split(self.custom_sources_edit.text()))
            )
        time_range = cast(TimeRange, self.time_combo.currentData())
        since = until = None
        if time_range is TimeRange.CUSTOM:
            since = _from_qt(self.from_edit.dateTime())
            until = _from_qt(self.to_edit.dateTime())
        return EventFilter(
            nodes=nodes,
            logs=logs,
            levels=levels,
            providers=providers,
            event_ids=self.ids_edit.text().strip(),
            time_range=time_range,
            since=since,
            until=until,
            max_events=self.max_spin.value(),
            mentions=self._mentions,
            mentions_include_origin=self._mentions_origin,
        )

    def filter(self) -> EventFilter:
        """The accepted filter."""
        return self._result

    def problems(self) -> list[str]:
        flt = self.current_filter()
        found = validate(flt)
        if self.nodes_list.count() and not self._checked(self.nodes_list):
            found.append("Choose at least one node.")
        if not self.any_source_check.isChecked() and not flt.providers:
            found.append("Choose a source, or Any source.")
        return found

    def _changed(self, *_: Any) -> None:
        if self._loading:
            return
        custom = cast(TimeRange, self.time_combo.currentData()) is TimeRange.CUSTOM
        for w in (self.from_edit, self.to_edit):
            w.setEnabled(custom)
        any_source = self.any_source_check.isChecked()
        self.sources_list.setEnabled(not any_source)
        self.custom_sources_edit.setEnabled(not any_source)
        try:
            parse_id_spec(self.ids_edit.text())
        except IdSpecError as exc:
            self.ids_error.setText(str(exc))
            self.ids_error.setVisible(True)
        else:
            self.ids_error.setText("")
            self.ids_error.setVisible(False)
        problems = [p for p in self.problems() if not p.startswith("Event IDs:")]
        self.problems_label.setText("\n".join(problems))
        self.problems_label.setVisible(bool(problems))
        ok = not problems and not self.ids_error.text()
        self.ok_button.setEnabled(ok)
        self.save_button.setEnabled(ok)
        self.xml_edit.setPlainText(self.xml_text() if ok else "")

    def xml_text(self) -> str:
        try:
            return to_querylist_xml(self.current_filter())
        except FilterError as exc:
            return f"<!-- {exc} -->"

    def copy_xml(self) -> None:
        QGuiApplication.clipboard().setText(self.xml_edit.toPlainText())

    def accept(self) -> None:
        if self.problems():
            self._changed()
            return
        self._result = self.current_filter()
        super().accept()
        self.filterAccepted.emit(self._result)

    # --- files ------------------------------------------------------------------------------------
    def save_to(self, path: str | Path) -> None:
        save_querylist(self.current_filter(), path)

    def open_from(self, path: str | Path) -> str:
        """Load a QueryList file into the widgets; returns "" or the reason it was refused."""
        try:
            flt = load_querylist(path)
        except (OSError, QueryListError, UnicodeDecodeError) as exc:
            self.problems_label.setText(f"Cannot open {Path(path).name}: {exc}")
            self.problems_label.setVisible(True)
            return str(exc)
        self.set_filter(flt)
        return ""

    def _file_dialog_for(self, save: bool) -> QFileDialog:
        dlg = QFileDialog(self, "Save query" if save else "Open query", "", _FILE_FILTER)
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
        dlg.setFileMode(QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile)
        dlg.setDefaultSuffix("xml")
        self._file_dialog = dlg
        return dlg

    def _ask_save(self) -> None:
        dlg = self._file_dialog_for(save=True)
        dlg.fileSelected.connect(self.save_to)
        dlg.open()

    def _ask_open(self) -> None:
        dlg = self._file_dialog_for(save=False)
        dlg.fileSelected.connect(self.open_from)
        dlg.open()


def _to_qt(value: datetime) -> QDateTime:
    utc = value.astimezone(UTC)
    qt = QDateTime.fromSecsSinceEpoch(int(utc.timestamp()), QTimeZone.utc())
    return qt.toLocalTime()


def _from_qt(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)


__all__ = ["EventFilterDialog", "load_form", "ui_path"]
