"""The main window: MMC's console tree, results pane and actions pane, status bar and log dock.

The window only presents: state comes from `ConnectionManager`, what an item offers from
`actions.actions_for`, what it shows from `results.build_results`.  Every question is a dialog
opened with open() and awaited, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QModelIndex, QObject, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ccrgui import collector
from ccrgui.domain.maintenance import GroupFailoverPolicy
from ccrgui.domain.plan import ActionKind, Plan, Refusal
from ccrgui.domain.session_api import ClusterSession, ConnectionSettings
from ccrgui.domain.upgrade.journal import journal_path
from ccrgui.gui import actions as A
from ccrgui.gui import icons
from ccrgui.gui.connections import ConnectionManager, critical_text
from ccrgui.gui.dialogs import ConfirmDialog, PropertiesDialog, await_dialog, fit_title, show_error
from ccrgui.gui.group_properties import GroupPropertiesDialog
from ccrgui.gui.oplog import OpLogDock
from ccrgui.gui.plaintext import make_plain, plain_label, plain_tooltip
from ccrgui.gui.quorum_banner import QuorumBanner
from ccrgui.gui.results import ResultContext, ResultsPane, build_results
from ccrgui.gui.state import ClusterEntry, ConnState, ItemRef, Kind
from ccrgui.gui.tasks import spawn
from ccrgui.gui.tree import ClusterTreeModel
from ccrgui.gui.upgrade_wizard import UpgradeWizard
from ccrgui.gui.view_registry import VIEW_COMMANDS, VIEWS
from ccrgui.gui.views import CenterView, ViewContext
from ccrgui.history import DEFAULT_RETENTION_DAYS, HistoryStore
from ccrgui.history.recorder import HistoryRecorder

SessionFactory = Callable[[ConnectionSettings, str], ClusterSession]
log = logging.getLogger(__name__)

APP_TITLE = "Failover Cluster Management"
HISTORY_RETENTION_KEY = "history/retention_days"
RETENTION_CHOICES = (1, 7, 14, 30, 90, 365)


def history_retention_days(settings: QSettings | None) -> int:
    raw = settings.value(HISTORY_RETENTION_KEY) if settings is not None else None
    try:
        days = int(str(raw)) if raw is not None else DEFAULT_RETENTION_DAYS
    except ValueError:
        days = DEFAULT_RETENTION_DAYS
    return min(max(days, 1), 3650)


class ActionsPane(QWidget):
    """MMC's right-hand pane: the selection's name and its actions as links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Actions pane")
        self.heading = plain_label("Actions")
        self.heading.setStyleSheet("font-weight: bold; background: palette(midlight); padding: 4px;")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.heading)
        self._layout.addStretch(1)
        self.buttons: list[QToolButton] = []

    def show_actions(self, title: str, qactions: list[QAction | None]) -> None:
        self.heading.setText(title or "Actions")
        for b in self.buttons:
            self._layout.removeWidget(b)
            b.deleteLater()
        self.buttons = []
        for act in qactions:
            if act is None:
                continue
            b = QToolButton(self)
            b.setDefaultAction(act)
            b.setAccessibleName(act.text().replace("&", ""))
            b.setAccessibleDescription(act.toolTip())
            b.setAutoRaise(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            if act.menu() is not None:
                b.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            self._layout.insertWidget(self._layout.count() - 1, b, 0, Qt.AlignmentFlag.AlignLeft)
            self.buttons.append(b)

    def button(self, text: str) -> QToolButton:
        for b in self.buttons:
            if b.defaultAction().text().replace("&", "") == text:
                return b
        raise KeyError(text)


class MainWindow(QMainWindow):
    def __init__(
        self,
        *,
        session_factory: SessionFactory | None = None,
        settings: QSettings | None = None,
        refresh_interval_s: float = 10.0,
        history: HistoryStore | None = None,
    ) -> None:
        super().__init__()
        self.history = history  # replication history (None: not kept, e.g. in most tests)
        self.recorder = HistoryRecorder(history) if history is not None else None
        self._notice_shown: str | None = None
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(icons.icon("root"))
        self.session_factory = session_factory
        self.qsettings = settings
        self.oplog = OpLogDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.oplog)
        self.manager = ConnectionManager(self.oplog.model, refresh_interval_s=refresh_interval_s, parent=self)
        self.tree_model = ClusterTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Console tree")
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setUniformRowHeights(True)
        self.results = ResultsPane()
        self.center = QStackedWidget()
        self.center.addWidget(self.results)
        self.quorum_banner = QuorumBanner()
        center_box = QWidget()
        center_lay = QVBoxLayout(center_box)
        center_lay.setContentsMargins(0, 0, 0, 0)
        center_lay.setSpacing(2)
        center_lay.addWidget(self.quorum_banner)
        center_lay.addWidget(self.center, 1)
        self.views: dict[tuple[str, Kind], CenterView] = {}  # (conn_id, kind) -> registered view
        self.actions_pane = ActionsPane()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(center_box)
        split.addWidget(self.actions_pane)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 700, 230])
        self.setCentralWidget(split)
        self.ctx = ResultContext()
        self.error_boxes: list[QMessageBox] = []
        self.upgrade_wizards: dict[str, UpgradeWizard] = {}
        self.upgrade_journal_dir: Path | None = None  # None: the user data folder (tests: tmp)
        self._action_holder: QObject | None = None
        self._shown_actions: tuple[ItemRef | None, str, list[A.ActionSpec]] | None = None
        self.confirm_dialog: ConfirmDialog | None = None
        self.properties_dialog: GroupPropertiesDialog | None = None
        self._conn_labels: dict[str, QLabel] = {}
        # How each cluster opened by connect_to was reached (password in memory only), so a
        # disconnected one — the demo cluster too — can be reopened from File > Reconnect.
        self._reachable: dict[str, tuple[ConnectionSettings, str, str]] = {}  # conn_id -> (s, pw, label)
        self._build_status_bar()
        self._build_menus()
        self.tree.expand(self.tree_model.root_index())
        self.tree.setCurrentIndex(self.tree_model.root_index())
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.activated.connect(self._activated)
        # Several clusters change in one turn of the loop (twenty reopened at start, refreshes
        # ending together): the results and actions panes are rebuilt once, after all of them.
        self._panes_due = QTimer(self, singleShot=True, interval=0)
        self._panes_due.timeout.connect(self._selection_changed)
        self.manager.changed.connect(self._conn_changed)
        self.manager.removed.connect(self._conn_removed)
        self.manager.action_failed.connect(self._action_failed)
        self.manager.work_changed.connect(self._update_progress)
        self._selection_changed()
        self._apply_history_settings()
        self.resize(1200, 760)
        self.resizeDocks([self.oplog], [150], Qt.Orientation.Vertical)

    # --- construction --------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setAccessibleName("Work in progress")
        self.progress_label = plain_label()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAccessibleName("Cancel the running action")
        self.cancel_button.clicked.connect(self.manager.cancel_actions)
        for w in (self.progress_label, self.progress, self.cancel_button):
            bar.addWidget(w)
            w.hide()

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.connect_action = self._window_action("&Manage a Cluster…", "Ctrl+M", self._ask_connect)
        file_menu.addAction(self.connect_action)
        self.reconnect_menu = file_menu.addMenu("&Reconnect")
        self.reconnect_menu.setToolTipsVisible(True)
        self.reconnect_menu.setEnabled(False)
        save = self._window_action("&Save Operations Log…", "Ctrl+S", self.oplog.ask_save)
        file_menu.addAction(save)
        file_menu.addSeparator()
        file_menu.addAction(self._window_action("E&xit", "Ctrl+Q", self.close))
        self.action_menu = menu.addMenu("&Action")
        self.action_menu.setToolTipsVisible(True)
        view = menu.addMenu("&View")
        self.refresh_action = self._window_action("&Refresh", "F5", self._refresh_selected)
        view.addAction(self.refresh_action)
        view.addAction(self.oplog.toggleViewAction())
        self.interval_menu = view.addMenu("&Auto-refresh")
        group = QActionGroup(self)
        saved = self.qsettings.value("refresh/interval_s") if self.qsettings is not None else None
        if saved is not None:
            try:
                self.manager.refresh_interval_s = max(1.0, float(str(saved)))
            except ValueError:
                pass
        for seconds in (5, 10, 30, 60, 300):
            act = QAction(
                f"Every {seconds} seconds" if seconds < 60 else f"Every {seconds // 60} minute(s)", group
            )
            act.setCheckable(True)
            act.setData(seconds)
            act.setChecked(abs(self.manager.refresh_interval_s - seconds) < 0.5)
            act.triggered.connect(lambda *_, s=seconds: self.set_refresh_interval(float(s)))
            self.interval_menu.addAction(act)
        self.retention_menu = view.addMenu("Keep &Replication History")
        retention_group = QActionGroup(self)
        for days in RETENTION_CHOICES:
            act = QAction(f"{days} days", retention_group)
            act.setCheckable(True)
            act.setData(days)
            act.triggered.connect(lambda *_, d=days: self.set_history_retention(d))
            self.retention_menu.addAction(act)
        # Delete never destroys anything: it only says so.
        self.delete_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tree)
        self.delete_shortcut.activated.connect(
            lambda: self.statusBar().showMessage(
                "Delete does nothing here: ccrgui never deletes cluster objects.", 5000
            )
        )
        self.properties_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Return), self.tree)
        self.properties_shortcut.activated.connect(lambda: self._activated(self.tree.currentIndex()))

    def set_refresh_interval(self, seconds: float) -> None:
        """The auto-refresh period (a setting kept in QSettings)."""
        self.manager.refresh_interval_s = seconds
        if self.qsettings is not None:
            self.qsettings.setValue("refresh/interval_s", seconds)
        for act in self.interval_menu.actions():
            act.setChecked(act.data() == int(seconds))

    def _apply_history_settings(self) -> None:
        """Retention from QSettings; a damaged history file set aside is said once, not a crash."""
        days = history_retention_days(self.qsettings)
        for act in self.retention_menu.actions():
            act.setChecked(act.data() == days)
        self.retention_menu.setEnabled(self.history is not None)
        if self.history is None:
            return
        try:
            self.history.set_retention(days)
        except ValueError:
            pass
        self._show_history_notice()

    def _show_history_notice(self) -> None:
        """Say once per set-aside that the history file was damaged (at start or mid-session)."""
        if self.history is None or not self.history.notice or self.history.notice == self._notice_shown:
            return
        self._notice_shown = self.history.notice
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Replication history",
            self.history.notice,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setObjectName("historyNotice")
        make_plain(box)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.statusBar().showMessage(self.history.notice, 30000)
        self.error_boxes.append(box)

    def set_history_retention(self, days: int) -> None:
        """How many days of replication history to keep (a setting kept in QSettings)."""
        if self.qsettings is not None:
            self.qsettings.setValue(HISTORY_RETENTION_KEY, days)
        self._apply_history_settings()

    def _record_history(self, entry: ClusterEntry) -> None:
        if self.recorder is None or entry.state is not ConnState.CONNECTED or entry.snapshot is None:
            return
        try:
            self.recorder.observe(entry.snapshot)
        except Exception as exc:  # history is a convenience: never take the console down
            log.warning("replication history not recorded", exc_info=True)
            self.statusBar().showMessage(f"Replication history not recorded: {exc}", 10000)
        self._show_history_notice()

    def _window_action(self, text: str, shortcut: str, slot: Callable[[], Any]) -> QAction:
        act = QAction(text, self)
        act.setShortcut(QKeySequence(shortcut))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda *_: slot())
        self.addAction(act)
        return act

    # --- selection -----------------------------------------------------------------------
    def selected_ref(self) -> ItemRef | None:
        return self.tree_model.ref(self.tree.currentIndex())

    def select(self, ref: ItemRef) -> None:
        index = self.tree_model.find(ref)
        if not index.isValid():
            raise KeyError(ref)
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)

    def _selection_changed(self) -> None:
        self._panes_due.stop()  # rebuilt now
        self._show_results()
        self._update_actions()

    def refresh_view(self) -> None:
        """Re-render the results and actions panes from the current state."""
        self._selection_changed()

    def _show_results(self) -> None:
        ref = self.selected_ref()
        if ref is not None and ref.kind in VIEWS and ref.conn_id in self.manager.entries():
            view, fresh = self._view(ref.conn_id, ref.kind)
            self.center.setCurrentWidget(view.widget)
            view.show(ref, fresh)
            return
        self.center.setCurrentWidget(self.results)
        self.ctx.critical_events = {c.conn_id: critical_text(c) for c in self.manager.connections()}
        self.ctx.busy = {c.conn_id: c.busy for c in self.manager.connections() if c.busy}
        self.results.show_results(build_results(ref, self.manager.entries(), self.ctx))

    def _specs(self, ref: ItemRef | None) -> list[A.ActionSpec]:
        conn = self.manager.get(ref.conn_id) if ref else None
        return A.actions_for(ref, conn.entry if conn else None, conn.busy if conn else "")

    def _update_actions(self) -> None:
        ref = self.selected_ref()
        specs = self._specs(ref)
        title = str(self.tree.currentIndex().data() or APP_TITLE) if ref else APP_TITLE
        if (ref, title, specs) == self._shown_actions:
            return  # unchanged: keep the buttons (and any menu the admin has open)
        self._shown_actions = (ref, title, specs)
        holder = QObject(self)  # owns this selection's QActions; replaced on the next update
        qactions = self._make_qactions(specs, ref, holder)
        self.action_menu.clear()
        for act in qactions:
            if act is None:
                self.action_menu.addSeparator()
            else:
                self.action_menu.addAction(act)
        self.actions_pane.show_actions(title, qactions)
        if self._action_holder is not None:
            self._action_holder.deleteLater()
        self._action_holder = holder

    def _make_qactions(
        self, specs: list[A.ActionSpec], ref: ItemRef | None, owner: QObject
    ) -> list[QAction | None]:
        return [None if spec.id == "-" else self._qaction(spec, ref, owner) for spec in specs]

    def _qaction(self, spec: A.ActionSpec, ref: ItemRef | None, owner: QObject) -> QAction:
        act = QAction(spec.text, owner)
        act.setEnabled(spec.enabled)
        act.setToolTip(plain_tooltip(spec.reason or spec.text) or "")
        act.setStatusTip(spec.reason)
        act.setObjectName(spec.id)
        if spec.icon:
            act.setIcon(icons.icon(spec.icon))
        if spec.shortcut:
            act.setShortcut(QKeySequence(spec.shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the window's own F5/Enter act
        if spec.children:
            sub = QMenu(spec.text, self)
            sub.setObjectName(spec.id)
            sub.setToolTipsVisible(True)
            act.destroyed.connect(sub.deleteLater)
            for child in spec.children:
                sub.addAction(self._qaction(child, ref, owner))
            act.setMenu(sub)
        else:
            act.triggered.connect(lambda *_, s=spec, r=ref: self.trigger(s, r))
        return act

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if not index.isValid():
            index = self.tree.currentIndex()
            pos = self.tree.visualRect(index).center()
        if index != self.tree.currentIndex():
            self.tree.setCurrentIndex(index)
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The selection's context menu (the same actions as the actions pane)."""
        menu = QMenu(self.tree)
        menu.setObjectName("contextMenu")
        menu.setToolTipsVisible(True)
        ref = self.selected_ref()
        for act in self._make_qactions(self._specs(ref), ref, menu):
            if act is None:
                menu.addSeparator()
            else:
                menu.addAction(act)
        return menu

    def _activated(self, index: QModelIndex) -> None:
        """Enter or double-click: properties of a group, the event view for Cluster Events."""
        ref = self.tree_model.ref(index)
        if ref is None:
            return
        if ref.kind is Kind.GROUP:
            self.trigger(A.ActionSpec(A.PROPERTIES, "Properties"), ref)
        elif ref.kind is Kind.EVENTS:
            self.trigger(A.ActionSpec(A.EVENTS, "Show Critical Events"), ref)
        else:
            self.tree.setExpanded(index, not self.tree.isExpanded(index))

    # --- updates from the connections --------------------------------------------------------
    def _conn_changed(self, conn_id: str) -> None:
        conn = self.manager.get(conn_id)
        if conn is None:
            return
        was_empty = self.tree_model.rowCount(self.tree_model.find(ItemRef(conn_id, Kind.CLUSTER))) == 0
        self.tree_model.update_cluster(conn.entry)
        cluster_index = self.tree_model.find(ItemRef(conn_id, Kind.CLUSTER))
        if was_empty and self.tree_model.rowCount(cluster_index):
            self.tree.expand(cluster_index)
        self._update_conn_label(conn_id)
        self._record_history(conn.entry)
        self.quorum_banner.update_from(self.manager.entries())
        if conn_id in self._reachable:
            s, pw, _ = self._reachable[conn_id]
            self._reachable[conn_id] = (s, pw, conn.entry.label)  # the cluster's name once read
        for (view_conn, _), view in self.views.items():
            if view_conn == conn_id:
                view.feed(conn.entry)
        ref = self.selected_ref()
        if ref is None or ref.kind is Kind.ROOT or ref.conn_id == conn_id:
            self._panes_due.start()

    def _conn_removed(self, conn_id: str) -> None:
        for key in [k for k in self.views if k[0] == conn_id]:
            view = self.views.pop(key)
            self.center.removeWidget(view.widget)
            view.dispose()
        self.tree_model.remove_cluster(conn_id)
        self.quorum_banner.update_from(self.manager.entries())
        self._offer_reconnect(conn_id)
        label = self._conn_labels.pop(conn_id, None)
        if label is not None:
            self.statusBar().removeWidget(label)
            label.deleteLater()
        self._selection_changed()

    def _update_conn_label(self, conn_id: str) -> None:
        conn = self.manager.get(conn_id)
        if conn is None:
            return
        label = self._conn_labels.get(conn_id)
        if label is None:
            label = plain_label()
            self._conn_labels[conn_id] = label
            self.statusBar().addPermanentWidget(label)
        e = conn.entry
        text = f"{e.label}: {e.state.value}"
        if e.state is ConnState.CONNECTED and e.snapshot is not None:
            down = [n.node for n in e.snapshot.node_errors]
            text += f" (refreshed {e.snapshot.taken_at.astimezone().strftime('%H:%M:%S')})"
            if down:
                text += " — cannot read " + ", ".join(down)
        elif e.error:
            text += f" — {e.error}"
        label.setText(text)
        label.setToolTip(plain_tooltip(e.error or text) or "")
        label.setStyleSheet("" if e.state is ConnState.CONNECTED else "color: #c62828;")

    def _offer_reconnect(self, conn_id: str) -> None:
        """Add a cluster disconnected in this run to File > Reconnect (once)."""
        reached = self._reachable.get(conn_id)
        if reached is None:
            return
        settings, _, label = reached
        for act in self.reconnect_menu.actions():
            if act.data() == conn_id:
                return
        same = label.casefold() == settings.host.casefold()
        act = QAction(label if same else f"{label} ({settings.host})", self)
        act.setData(conn_id)
        act.setToolTip(f"Connect to {settings.host} again, as before")
        act.triggered.connect(lambda *_, c=conn_id: self.reconnect(c))
        self.reconnect_menu.addAction(act)
        self.reconnect_menu.setEnabled(True)

    def reconnect(self, conn_id: str) -> str | None:
        """Reopen a cluster disconnected in this run with the settings it was opened with."""
        settings, password, _ = self._reachable[conn_id]
        return self.connect_to(settings, password)

    def _drop_reconnect(self, conn_id: str) -> None:
        for act in self.reconnect_menu.actions():
            if act.data() == conn_id:
                self.reconnect_menu.removeAction(act)
                act.deleteLater()
        self.reconnect_menu.setEnabled(bool(self.reconnect_menu.actions()))

    def connection_status(self, conn_id: str) -> str:
        label = self._conn_labels.get(conn_id)
        return label.text() if label else ""

    def _update_progress(self) -> None:
        work = self.manager.busy_work()
        acting = any(c.busy for c in self.manager.connections())
        self.progress_label.setText("; ".join(work))
        for w in (self.progress_label, self.progress):
            w.setVisible(bool(work))
        self.cancel_button.setVisible(acting)

    def _action_failed(self, conn_id: str, result: object) -> None:
        from ccrgui.domain.model import ActionResult

        assert isinstance(result, ActionResult)
        details = "\n".join(f"> {r.command}\n{r.stdout}{r.stderr}" for r in result.runs)
        self.keep_box(show_error(self, result.action, f"{result.action} failed.\n\n{result.error}", details))

    def keep_box(self, box: QMessageBox) -> QMessageBox:
        """Track an open error box until Qt deletes it (closed boxes delete themselves: a list
        holding them must never touch a deleted one)."""
        self.error_boxes.append(box)
        box.destroyed.connect(lambda *_, b=box: self._forget_box(b))
        return box

    def _forget_box(self, box: QMessageBox) -> None:
        self.error_boxes = [b for b in self.error_boxes if b is not box]

    # --- connecting ----------------------------------------------------------------------
    def add_session(self, session: ClusterSession) -> str:
        """Show a cluster reached through `session` (already constructed by the app)."""
        return self.manager.add(session)

    def _ask_connect(self) -> None:
        spawn(self.ask_connect())

    async def ask_connect(self) -> None:
        from ccrgui.gui.connect import ConnectDialog

        dialog = ConnectDialog(self, self.qsettings)
        try:
            if await await_dialog(dialog) != ConnectDialog.DialogCode.Accepted:
                return
            settings, password = dialog.connection()
        finally:
            dialog.deleteLater()
        self.connect_to(settings, password)

    def connect_to(self, settings: ConnectionSettings, password: str) -> str | None:
        if self.session_factory is None:
            show_error(self, "Manage a Cluster", "This console was started without a backend.")
            return None
        try:
            session = self.session_factory(settings, password)
        except Exception as exc:  # refused settings (e.g. a password over plain HTTP)
            self.keep_box(
                show_error(self, "Manage a Cluster", f"Cannot connect to {settings.host}.\n\n{exc}")
            )
            return None
        conn_id = self.add_session(session)
        self._reachable[conn_id] = (settings, password, settings.host)
        self._drop_reconnect(conn_id)  # open again, however it was reopened
        return conn_id

    # --- actions -------------------------------------------------------------------------
    def _refresh_selected(self) -> None:
        ref = self.selected_ref()
        if ref is None or ref.kind is Kind.ROOT:
            self.manager.refresh_all()
            return
        view = self.views.get((ref.conn_id, ref.kind))
        if view is not None:
            view.refresh()  # first: it may ask the refresh below to read more
        self.manager.refresh(ref.conn_id)

    def trigger(self, spec: A.ActionSpec, ref: ItemRef | None) -> None:
        """Run the action `spec` on `ref` (from the menu, the actions pane or a key)."""
        current = self._current_spec(spec, ref)
        if current is None or not current.enabled:
            why = current.reason if current else "no longer available"
            self.statusBar().showMessage(f"{spec.text}: {why}", 8000)
            return
        if spec.id == A.CONNECT:
            self._ask_connect()
        elif spec.id == A.REFRESH:
            self._refresh_selected()
        elif ref is not None:
            spawn(self._run(spec, ref))

    def _current_spec(self, spec: A.ActionSpec, ref: ItemRef | None) -> A.ActionSpec | None:
        """The action as it stands now (the menu may have been opened before a refresh)."""
        if spec.id == A.PROPERTIES:
            return spec
        pending = list(self._specs(ref))
        while pending:
            s = pending.pop()
            if s.id == spec.id and s.target == spec.target and s.text == spec.text:
                return s
            pending.extend(s.children)
        return None

    async def _run(self, spec: A.ActionSpec, ref: ItemRef) -> None:
        """Run an action; a value the backend refuses to quote is an error box, not a lost task."""
        try:
            await self._dispatch(spec, ref)
        except ValueError as exc:  # a bug in a plan builder: reported, not a lost task
            log.warning("%s not run: %s", spec.text, exc)
            self.keep_box(show_error(self, spec.text, f"{spec.text}: nothing was run.\n\n{exc}"))

    async def _dispatch(self, spec: A.ActionSpec, ref: ItemRef) -> None:
        conn = self.manager.get(ref.conn_id)
        if conn is None:
            return
        if spec.id == A.DISCONNECT:
            await self.manager.remove(ref.conn_id)
            collector.sweep()  # its session, snapshots and views may be frozen cycles now
        elif spec.id in VIEW_COMMANDS:
            self.open_view(ref, VIEW_COMMANDS[spec.id]).command(spec.id, ref)
        elif spec.id == A.PROPERTIES:
            snap = conn.entry.snapshot
            policy_action = A.cluster_action(A.GROUP_POLICY)
            if snap is not None and snap.policy(ref.name) is not None and policy_action is not None:
                # Editable: the same flow as the registered action (editor, plan, confirmation).
                sel = A.Selection(ref, conn.entry, conn.busy)
                specs = policy_action.specs(sel)
                if specs and specs[0].enabled:
                    await self._run_cluster_action(policy_action, specs[0], sel)
                    return
            if snap is not None and snap.group(ref.name) is not None:
                self._show_properties(ref)
        elif spec.id == A.UPGRADE:
            self.open_upgrade(ref.conn_id)
        else:
            action = A.cluster_action(spec.id)
            if action is not None and conn.entry.snapshot is not None:
                await self._run_cluster_action(action, spec, A.Selection(ref, conn.entry, conn.busy))

    async def _run_cluster_action(
        self, action: A.ClusterAction, spec: A.ActionSpec, sel: A.Selection
    ) -> None:
        """Any registered action: confirm (showing its plan), then run that same plan."""
        conn = self.manager.get(sel.ref.conn_id)
        assert conn is not None
        session = conn.session
        question = action.confirmation(sel, spec)
        inputs = A.Inputs()
        if action.edits_policy:
            edited = await self._edit_policy(sel)
            if edited is None:
                return
            inputs = A.Inputs(policy=edited)
        if question is None:
            plan = action.plan(session, sel, spec, inputs)
        else:
            edits = inputs.policy

            def plan_for(i: A.Inputs) -> Plan | Refusal:
                return action.plan(session, sel, spec, replace(i, policy=edits))

            dialog = ConfirmDialog(self, question, plan_for)
            if not await self._confirm(dialog):
                return
            plan, inputs = dialog.plan, dialog.inputs()
        if isinstance(plan, Refusal):
            self.keep_box(
                show_error(self, plan.title, f"{plan.title}: nothing was run.\n\n{plan.reason}")
            )
            return
        label = action.log_label(sel, spec, inputs)
        if self.recorder is not None and plan.request is not None and sel.snapshot is not None:
            if plan.request.kind is ActionKind.MOVE_GROUP and not plan.request.validate_only:
                self.recorder.note_move(sel.snapshot.cluster_name, plan.request.target)
        result = await self.manager.run_plan(sel.ref.conn_id, sel.target_path, label, plan)
        message = action.success_message(sel, spec, inputs)
        if result is not None and result.ok and message:
            box = QMessageBox(
                QMessageBox.Icon.Information, label, message, QMessageBox.StandardButton.Close, self
            )
            make_plain(box)
            fit_title(box)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.show()

    async def _confirm(self, dialog: ConfirmDialog) -> bool:
        self.confirm_dialog = dialog
        try:
            return await await_dialog(dialog) == ConfirmDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()

    def open_upgrade(self, conn_id: str) -> UpgradeWizard | None:
        """The upgrade wizard of one cluster (one at a time; its journal resumes a run)."""
        conn = self.manager.get(conn_id)
        if conn is None:
            return None
        current = self.upgrade_wizards.get(conn_id)
        if current is not None and current.isVisible():
            current.raise_()
            return current
        session = conn.session

        def running(busy: bool) -> None:  # other actions wait while the upgrade's steps run
            current = self.manager.get(conn_id)
            if current is not None:
                current.busy = "Upgrade Exchange" if busy else ""
                self.manager.changed.emit(conn_id)
                self.manager.work_changed.emit()

        path = journal_path(session.cluster_name, self.upgrade_journal_dir)
        wizard = UpgradeWizard(self, session, path, self.manager.oplog, conn.entry.label, running)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.destroyed.connect(lambda *_: self.upgrade_wizards.pop(conn_id, None))
        self.upgrade_wizards[conn_id] = wizard
        wizard.finished.connect(lambda *_: self.manager.refresh(conn_id))
        wizard.show()  # not modal: the console stays usable to watch the cluster for hours
        return wizard

    async def _edit_policy(self, sel: A.Selection) -> GroupFailoverPolicy | None:
        """The editable properties of a group; the edited policy, or None when cancelled."""
        snap = sel.snapshot
        policy = snap.policy(sel.ref.name) if snap is not None else None
        if snap is None or policy is None:
            return None
        results = build_results(sel.ref, self.manager.entries(), self.ctx)
        wanted = [s for s in results.sections if s.title.startswith("Summary") or s.title == "Resources"]
        dialog = GroupPropertiesDialog(self, policy, [n.name for n in snap.nodes], wanted)
        self.properties_dialog = dialog
        try:
            if await await_dialog(dialog) != GroupPropertiesDialog.DialogCode.Accepted:
                return None
            return dialog.policy()
        finally:
            if shiboken6.isValid(dialog):  # gone already when the window closed under it
                dialog.deleteLater()

    def _show_properties(self, ref: ItemRef) -> None:
        results = build_results(ref, self.manager.entries(), self.ctx)
        wanted = [s for s in results.sections if s.title.startswith("Summary") or s.title == "Resources"]
        dialog = PropertiesDialog(self, f"{ref.name} Properties", wanted)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _view(self, conn_id: str, kind: Kind) -> tuple[CenterView, bool]:
        """The cluster's registered view for `kind`, created (and fed) on first use."""
        view = self.views.get((conn_id, kind))
        if view is not None:
            return view, False

        def session() -> ClusterSession | None:
            conn = self.manager.get(conn_id)
            return conn.session if conn else None

        def entry() -> ClusterEntry | None:
            conn = self.manager.get(conn_id)
            return conn.entry if conn else None

        view = VIEWS[kind](ViewContext(self.center, conn_id, session, entry, self.qsettings, self.history))
        self.views[(conn_id, kind)] = view
        self.center.addWidget(view.widget)
        current = entry()
        if current is not None:
            view.feed(current)
        return view, True

    def open_view(self, ref: ItemRef, kind: Kind) -> CenterView:
        """Select the cluster's item of `kind` (e.g. Cluster Events) and show its view."""
        view, _ = self._view(ref.conn_id, kind)
        target = ItemRef(ref.conn_id, kind)
        if self.tree_model.find(target).isValid():
            self.select(target)
        self.center.setCurrentWidget(view.widget)
        return view

    # --- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop refreshing; close the sessions if any are open and the loop still runs."""
        self.manager.stop()
        if self.manager.connections():
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                pass  # interpreter exit: nothing left to close them with
            else:
                spawn(self.manager.close())
        super().closeEvent(event)

