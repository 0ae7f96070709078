"""Dialogs opened without blocking the event loop: `open()` plus an awaited future.

Modal `exec()` inside an async slot breaks qasync, so every question the console asks goes
through `await_dialog`.  The confirmation dialog names the impact and shows the exact command
lines that will run, updated as the admin types the move comment or stop reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFontDatabase, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSizePolicy,
    QSpacerItem,
    QStyle,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ccrgui.domain.plan import Plan, Refusal
from ccrgui.gui.actions import Confirmation, Inputs
from ccrgui.gui.plaintext import make_plain, plain_label
from ccrgui.gui.results import Section, SectionTableModel


async def await_dialog(dialog: QDialog) -> int:
    """Open `dialog` window-modally with open() and wait for its result without blocking Qt."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(code: int) -> None:
        if not future.done():
            future.set_result(code)

    def gone() -> None:  # destroyed without an answer (e.g. its window closed): rejected
        if not future.done():
            future.set_result(QDialog.DialogCode.Rejected.value)

    dialog.finished.connect(done)
    dialog.destroyed.connect(gone)
    dialog.open()
    try:
        return await future
    finally:
        if shiboken6.isValid(dialog):
            dialog.finished.disconnect(done)
            dialog.destroyed.disconnect(gone)


class ConfirmDialog(QDialog):
    """ "Are you sure?" naming the impact, with the action's inputs and the exact commands.

    Generated from the action's `Confirmation`; `plan_for` builds the backend's plan for the
    current inputs on every change.  `plan` is the object shown — the window runs that object.
    """

    def __init__(
        self,
        parent: QWidget | None,
        confirmation: Confirmation,
        plan_for: Callable[[Inputs], Plan | Refusal],
    ) -> None:
        super().__init__(parent)
        c = confirmation
        self.setWindowTitle(c.title)
        self.setObjectName("confirmDialog")
        self._plan_for = plan_for
        self.plan: Plan | Refusal = Refusal(c.title, "not built yet")
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(32, 32))
        self.impact = plain_label(c.impact)
        self.impact.setWordWrap(True)
        self.impact.setAccessibleName("Impact")
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.impact, 1)
        form = QFormLayout()
        self.input = QLineEdit()
        self.input.setAccessibleName(c.input_label.rstrip(":") or "Comment")
        self.input.setVisible(bool(c.input_label))
        if c.input_label:
            form.addRow(c.input_label, self.input)
        # Enter in the text field must not accept: Cancel is the default button, and a
        # destructive action runs only on an explicit click (or Alt+key) on its button.
        self.input.installEventFilter(self)
        self.hint = plain_label()  # why the accept button is disabled, in words (not only a tooltip)
        self.hint.setObjectName("confirmHint")
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("Why the button is disabled")
        self.hint.setStyleSheet("color: palette(dark);")
        self._accept_text = c.accept_text
        self.validate_only = QCheckBox("&Validate only (check that the move would succeed, move nothing)")
        self.validate_only.setVisible(c.offer_validate_only)
        self._offer_validate = c.offer_validate_only
        self.command_view = QPlainTextEdit()
        self.command_view.setReadOnly(True)
        self.command_view.setAccessibleName("Command that will run")
        self.command_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.command_view.setMaximumHeight(90)
        self.where = plain_label()
        self.where.setAccessibleName("Where it runs")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(c.accept_text)
        self.ok_button.setAccessibleName(c.accept_text)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(form)
        lay.addWidget(self.hint)
        lay.addWidget(self.validate_only)
        lay.addWidget(QLabel("Command that will run:"))
        lay.addWidget(self.command_view)
        lay.addWidget(self.where)
        lay.addWidget(self.buttons)
        self._needs_input = bool(c.input_label)
        self.input.textChanged.connect(self._update)
        self.validate_only.toggled.connect(self._update)
        self._update()
        fit_title(self)
        self.resize(max(560, self.minimumWidth()), self.sizeHint().height())

    def inputs(self) -> Inputs:
        return Inputs(self.text(), self._offer_validate and self.validate_only.isChecked())

    def _update(self) -> None:
        text = self.text()
        self.plan = self._plan_for(self.inputs())
        if self._needs_input and not text:
            what = self.input.accessibleName().lower()
            ok, why = False, f"Enter a {what} first: {self._accept_text} stays disabled until there is one"
        elif isinstance(self.plan, Refusal):
            ok, why = False, self.plan.reason  # nothing would be sent
        else:
            ok, why = True, ""
        if isinstance(self.plan, Plan):
            self.command_view.setPlainText("\n".join(self.plan.command_lines))
            nodes = sorted({s.node or "any reachable node of the cluster" for s in self.plan.steps})
            self.where.setText("Runs on " + ", ".join(nodes))
        else:
            empty = self._needs_input and not text
            self.command_view.setPlainText("" if empty else f"Nothing will be sent: {why}")
            self.where.setText("")
        self.ok_button.setEnabled(ok)
        self.ok_button.setToolTip(why)
        self.hint.setText(why)
        self.hint.setVisible(bool(why))
        validating = self._offer_validate and self.validate_only.isChecked()
        accept = "Validate" if validating else self._accept_text  # the button says what it does
        self.ok_button.setText(accept)
        self.ok_button.setAccessibleName(accept)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.input
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            return True  # swallowed: neither accept nor (losing the typed comment) cancel
        return super().eventFilter(watched, event)

    def text(self) -> str:
        return self.input.text().strip()

    def commands(self) -> str:
        return self.command_view.toPlainText()


TITLE_BAR_CHROME = 140  # the title bar's icon and buttons, beside the title's text


def fit_title(dialog: QDialog) -> None:
    """Make `dialog` at least as wide as its window title (the title bar would elide it)."""
    need = dialog.fontMetrics().horizontalAdvance(dialog.windowTitle()) + TITLE_BAR_CHROME
    layout = dialog.layout()
    if isinstance(dialog, QMessageBox) and isinstance(layout, QGridLayout):
        # QMessageBox sizes itself to its text; a spacer row is the width it respects.
        spacer = QSpacerItem(need, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
        layout.addItem(spacer, layout.rowCount(), 0, 1, layout.columnCount())
    elif dialog.minimumWidth() < need:
        dialog.setMinimumWidth(need)


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> QMessageBox:
    """A non-modal error box with Windows' text; returned so callers (and tests) can find it."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Close, parent)
    box.setObjectName("errorDialog")
    make_plain(box)
    box.setWindowModality(Qt.WindowModality.NonModal)
    if details:
        box.setDetailedText(details)
    fit_title(box)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


class PropertiesDialog(QDialog):
    """Read-only properties of a service or application: General and Resources tabs."""

    def __init__(self, parent: QWidget | None, title: str, sections: list[Section]) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("propertiesDialog")
        tabs = QTabWidget()
        self.models: list[SectionTableModel] = []
        for section in sections:
            model = SectionTableModel(section, self)
            self.models.append(model)
            view = QTableView()
            view.setModel(model)
            view.verticalHeader().hide()
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            view.horizontalHeader().setStretchLastSection(True)
            view.setAccessibleName(section.title)
            tabs.addTab(view, section.title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(tabs)
        lay.addWidget(buttons)
        fit_title(self)
        self.resize(max(600, self.minimumWidth()), 400)


__all__ = ["ConfirmDialog", "PropertiesDialog", "await_dialog", "show_error"]
