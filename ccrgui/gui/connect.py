"""Manage a Cluster: the connect dialog (Designer form ui/connect.ui), recent clusters, keyring.

Recent clusters live in QSettings without passwords; a remembered password goes only to the
operating system's keyring (`keyring`).  The dialog refuses a password over plain HTTP with
Basic authentication, the one combination that would send it readable (the backend refuses it
too); NTLM, Kerberos and CredSSP encrypt the WinRM messages even over HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ccrgui.domain.session_api import AuthMethod, ConnectionSettings, LogonAvailability
from ccrgui.gui.events.dialog import load_form
from ccrgui.gui.plaintext import make_plain
from ccrgui.gui.state import RecentCluster

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ccrgui"
RECENT_KEY = "connect/recent"
MAX_RECENT = 10
PASSWORD_METHODS = (
    (AuthMethod.NTLM, "NTLM"),
    (AuthMethod.KERBEROS, "Kerberos"),
    (AuthMethod.CREDSSP, "CredSSP"),
    (AuthMethod.BASIC, "Basic (HTTPS only)"),
)


def load_recent(settings: QSettings | None) -> list[RecentCluster]:
    if settings is None:
        return []
    raw = settings.value(RECENT_KEY, "[]")
    try:
        items = json.loads(str(raw))
        if not isinstance(items, list):
            raise TypeError("not a list")
    except (ValueError, TypeError) as exc:  # a damaged entry must not stop the console
        log.warning("ignoring unreadable recent clusters: %s", exc)
        return []
    found: list[RecentCluster] = []
    for item in items:
        # Each entry on its own: one damaged entry (an unknown auth method, a port that is not a
        # number) is skipped, and the app still starts and reconnects the others.
        try:
            r = RecentCluster(**item)
            r.settings()
            if not (isinstance(r.host, str) and isinstance(r.username, str) and type(r.port) is int):
                raise TypeError("wrong field types")
            if not 1 <= r.port <= 65535:
                raise ValueError(f"port {r.port} is out of range")  # the port box would overflow
            if not (isinstance(r.https, bool) and isinstance(r.verify_tls, bool)):
                raise TypeError("wrong field types")
        except (ValueError, TypeError) as exc:
            log.warning("ignoring an unreadable recent cluster %r: %s", item, exc)
            continue
        found.append(r)
    return found[:MAX_RECENT]


def remember_recent(settings: QSettings | None, s: ConnectionSettings) -> None:
    if settings is None:
        return
    new = RecentCluster.of(s)
    kept = [
        r for r in load_recent(settings) if (r.host.casefold(), r.port) != (new.host.casefold(), new.port)
    ]
    settings.setValue(RECENT_KEY, json.dumps([asdict(r) for r in [new, *kept][:MAX_RECENT]]))


def _keyring_account(host: str, username: str) -> str:
    return f"{username}@{host}".casefold()


def keyring_password(host: str, username: str) -> str:
    """The remembered password, or "" (also when no keyring backend is available)."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, _keyring_account(host, username)) or ""
    except Exception as exc:  # keyring backends raise many kinds of errors
        log.info("keyring unavailable: %s", exc)
        return ""


def keyring_store(host: str, username: str, password: str) -> str:
    """Keep the password in the OS keyring; returns why it could not ("" on success)."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, _keyring_account(host, username), password)
        return ""
    except Exception as exc:
        return f"The password could not be stored in the system keyring: {exc}"


def keyring_forget(host: str, username: str) -> str:
    """Remove a remembered password; returns why it could not ("" on success)."""
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, _keyring_account(host, username))
        return ""
    except Exception as exc:
        return f"The remembered password could not be removed from the system keyring: {exc}"


def _no_probe() -> LogonAvailability:
    return LogonAvailability(False, "This build cannot tell whether the current user can log on.")


_logon_probe: Callable[[], LogonAvailability] = _no_probe


def set_logon_probe(probe: Callable[[], LogonAvailability]) -> None:
    """The app installs the backend's check (the GUI knows nothing of Kerberos or SSPI)."""
    global _logon_probe
    _logon_probe = probe


def current_user_logon() -> LogonAvailability:
    """Can "the current user" log on from this computer (asked when the dialog opens)?"""
    return _logon_probe()


def settings_problem(s: ConnectionSettings, password: str, logon: LogonAvailability | None = None) -> str:
    """Why these settings cannot be used ("" if they can), checked before anything is sent."""
    if not s.host.strip():
        return "Enter the name of the cluster or of one of its nodes."
    if s.auth is AuthMethod.CURRENT_USER and logon is not None and not logon.ok:
        return f"The current user cannot log on here: {logon.reason}"
    if s.auth is AuthMethod.BASIC and not s.https:
        return (
            "Basic authentication over HTTP would send the password readable by anyone on the "
            "network. Choose HTTPS, or NTLM/Kerberos, which encrypt the WinRM messages."
        )
    if s.auth not in (AuthMethod.CURRENT_USER,):
        if "\\" not in s.username and "@" not in s.username:
            return "Enter the user name as DOMAIN\\user or user@domain."
        if not password:
            return "Enter the password."
    return ""


_W = TypeVar("_W", bound=QWidget)


def _child(form: QWidget, kind: type[_W], name: str) -> _W:
    found = form.findChild(kind, name)
    if found is None:
        raise RuntimeError(f"connect.ui has no {kind.__name__} named {name}")
    return found


class ConnectDialog(QDialog):
    """Asks where and how to connect.  Open it with open() and read `connection()` when accepted."""

    def __init__(self, parent: QWidget | None, settings: QSettings | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Manage a Cluster")
        self.setObjectName("connectDialog")
        self._qsettings = settings
        self._stored: set[str] = set()  # keyring accounts whose remembered password was offered
        self.form = load_form("connect.ui", self)
        lay = QVBoxLayout(self)
        lay.addWidget(self.form)  # the dialog's own margins around the form
        f = self.form
        self.host = _child(f, QComboBox, "hostCombo")
        self.https = _child(f, QRadioButton, "httpsRadio")
        self.http = _child(f, QRadioButton, "httpRadio")
        self.port = _child(f, QSpinBox, "portSpin")
        self.current_user = _child(f, QRadioButton, "currentUserRadio")
        self.current_user_note = _child(f, QLabel, "currentUserNote")
        make_plain(self.current_user_note)
        self.with_password = _child(f, QRadioButton, "passwordRadio")
        self.method = _child(f, QComboBox, "methodCombo")
        self.user = _child(f, QLineEdit, "userEdit")
        self.password = _child(f, QLineEdit, "passwordEdit")
        self.remember = _child(f, QCheckBox, "rememberCheck")
        self.verify_tls = _child(f, QCheckBox, "verifyTlsCheck")
        self.error = _child(f, QLabel, "errorLabel")
        make_plain(self.error)
        self.buttons = _child(f, QDialogButtonBox, "buttonBox")
        for auth, text in PASSWORD_METHODS:
            self.method.addItem(text, auth.value)
        self.recent = load_recent(settings)
        for r in self.recent:
            self.host.addItem(r.host)
        self.host.setCurrentText(self.recent[0].host if self.recent else "")
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Connect")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.host.currentIndexChanged.connect(self._recent_chosen)
        self.https.toggled.connect(self._transport_changed)
        for w in (self.host, self.method):
            w.currentTextChanged.connect(self._validate)
        for e in (self.user, self.password):
            e.textChanged.connect(self._validate)
        for b in (self.https, self.current_user, self.with_password):
            b.toggled.connect(self._validate)
        self.port.valueChanged.connect(self._validate)
        self.logon = current_user_logon()
        self._show_logon()
        if self.recent:
            self._apply(self.recent[0])
        self._validate()

    def _show_logon(self) -> None:
        """Offer the current user where it can work; where not, say what is missing and default
        to a user name and password (NTLM)."""
        logon = self.logon
        self.current_user.setEnabled(logon.ok)
        if logon.ok:
            note = f"Logs on as {logon.principal}, no password." if logon.principal else ""
        else:
            note = f"Not available here: {logon.reason}"
            self.with_password.setChecked(True)
        self.current_user_note.setText(note)
        self.current_user_note.setVisible(bool(note))
        self.current_user.setToolTip(note)

    def _recent_chosen(self, index: int) -> None:
        if 0 <= index < len(self.recent):
            self._apply(self.recent[index])

    def _apply(self, r: RecentCluster) -> None:
        (self.https if r.https else self.http).setChecked(True)
        self.port.setValue(r.port)
        self.verify_tls.setChecked(r.verify_tls)
        if r.auth == AuthMethod.CURRENT_USER.value:
            # The last logon was as the current user; if that cannot work now, the note says why.
            (self.current_user if self.logon.ok else self.with_password).setChecked(True)
        else:
            self.with_password.setChecked(True)
            self.method.setCurrentIndex(max(0, self.method.findData(r.auth)))
            self.user.setText(r.username)
            stored = keyring_password(r.host, r.username)
            if stored:
                self._stored.add(_keyring_account(r.host, r.username))
            self.password.setText(stored)
            self.remember.setChecked(bool(stored))

    def _transport_changed(self, https: bool) -> None:
        if self.port.value() in (5985, 5986):
            self.port.setValue(5986 if https else 5985)

    def connection(self) -> tuple[ConnectionSettings, str]:
        """The settings and password as entered."""
        auth = AuthMethod.CURRENT_USER
        if self.with_password.isChecked():
            auth = AuthMethod(self.method.currentData())
        s = ConnectionSettings(
            host=self.host.currentText().strip(),
            port=self.port.value(),
            https=self.https.isChecked(),
            auth=auth,
            username=self.user.text().strip() if auth is not AuthMethod.CURRENT_USER else "",
            verify_tls=self.verify_tls.isChecked(),
        )
        return s, self.password.text() if auth is not AuthMethod.CURRENT_USER else ""

    def _validate(self, *_: object) -> str:
        uses_password = self.with_password.isChecked()
        for w in (self.method, self.user, self.password, self.remember):
            w.setEnabled(uses_password)
        self.verify_tls.setEnabled(self.https.isChecked())
        s, password = self.connection()
        problem = settings_problem(s, password, self.logon)
        # Say why OK is disabled only once the admin has typed something.
        shown = problem if (s.host or self.user.text() or self.password.text()) else ""
        self.error.setText(shown)
        self.ok.setEnabled(not problem)
        self.ok.setToolTip(problem)
        return problem

    def _accept(self) -> None:
        if self._validate():
            return
        s, password = self.connection()
        if self.remember.isChecked() and password:
            failed = keyring_store(s.host, s.username, password)
            if failed:
                self.error.setText(failed)
                return
        elif _keyring_account(s.host, s.username) in self._stored and not self.remember.isChecked():
            # "Remember" unticked: the old password must not stay behind (it would be used to
            # reconnect at the next start).
            failed = keyring_forget(s.host, s.username)
            if failed:
                log.warning("%s", failed)
        remember_recent(self._qsettings, s)
        self.accept()

    def showEvent(self, event: QShowEvent) -> None:
        """Start in the host field with the last host selected: typing replaces it."""
        super().showEvent(event)
        self.host.setFocus(Qt.FocusReason.OtherFocusReason)
        editor = self.host.lineEdit()
        if editor is not None:
            editor.selectAll()
