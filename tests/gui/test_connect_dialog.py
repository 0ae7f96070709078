"""The connect dialog (Designer form): validation, the plain-HTTP password refusal, recent clusters."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from ccrgui.domain.session_api import AuthMethod, ConnectionSettings, LogonAvailability
from ccrgui.gui import connect as C


@pytest.fixture(autouse=True)
def logon_works(monkeypatch: pytest.MonkeyPatch) -> None:
    """The current user can log on (whatever this machine's tickets); tests below change it."""
    monkeypatch.setattr(C, "current_user_logon", lambda: LogonAvailability(True))


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ccrgui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An in-memory keyring so tests never touch the real one."""
    store: dict[str, str] = {}
    monkeypatch.setattr(C, "keyring_password", lambda host, user: store.get(f"{user}@{host}", ""))

    def put(host: str, user: str, password: str) -> str:
        store[f"{user}@{host}"] = password
        return ""

    monkeypatch.setattr(C, "keyring_store", put)
    return store


def test_basic_over_http_is_refused_with_a_clear_message(qtbot, qsettings, no_keyring) -> None:  # type: ignore[no-untyped-def]
    d = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(d)
    d.host.setCurrentText("EXCLUS1")
    assert d.ok.isEnabled()  # current Windows user over HTTPS
    d.http.setChecked(True)
    assert d.port.value() == 5985
    d.with_password.setChecked(True)
    d.method.setCurrentIndex(d.method.findData(AuthMethod.BASIC.value))
    d.user.setText("CONTOSO\\admin")
    d.password.setText("secret")
    assert not d.ok.isEnabled()
    assert "Basic authentication over HTTP" in d.error.text()
    d.method.setCurrentIndex(d.method.findData(AuthMethod.NTLM.value))
    assert d.ok.isEnabled() and d.error.text() == ""
    d.user.setText("admin")
    assert not d.ok.isEnabled() and "DOMAIN\\user" in d.error.text()


def test_accept_remembers_cluster_and_password_only_in_keyring(qtbot, qsettings, no_keyring) -> None:  # type: ignore[no-untyped-def]
    d = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(d)
    d.host.setCurrentText("exnode1.contoso.com")
    d.with_password.setChecked(True)
    d.user.setText("CONTOSO\\admin")
    d.password.setText("P@ss")
    d.remember.setChecked(True)
    d.ok.click()
    assert d.result() == C.ConnectDialog.DialogCode.Accepted
    settings, password = d.connection()
    assert settings == ConnectionSettings(
        "exnode1.contoso.com", 5986, True, AuthMethod.NTLM, "CONTOSO\\admin"
    )
    assert password == "P@ss"
    assert no_keyring == {"CONTOSO\\admin@exnode1.contoso.com": "P@ss"}
    qsettings.sync()
    assert "P@ss" not in Path(qsettings.fileName()).read_text()
    # The next dialog offers it first, with the stored password.
    again = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(again)
    assert again.host.currentText() == "exnode1.contoso.com"
    assert again.with_password.isChecked() and again.password.text() == "P@ss"
    assert again.remember.isChecked()


def test_recent_list_is_bounded_and_deduplicated(qsettings) -> None:  # type: ignore[no-untyped-def]
    for i in range(15):
        C.remember_recent(qsettings, ConnectionSettings(f"CLUS{i}"))
    C.remember_recent(qsettings, ConnectionSettings("clus3"))
    recent = C.load_recent(qsettings)
    assert len(recent) == C.MAX_RECENT
    assert [r.host for r in recent[:2]] == ["clus3", "CLUS14"]
    assert sum(r.host.casefold() == "clus3" for r in recent) == 1
    qsettings.setValue(C.RECENT_KEY, "not json")
    assert C.load_recent(qsettings) == []


def test_unticking_remember_forgets_the_stored_password(qtbot, qsettings, no_keyring, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        C, "keyring_forget", lambda host, user: no_keyring.pop(f"{user}@{host}", None) and "", raising=False
    )
    C.remember_recent(
        qsettings, ConnectionSettings("exnode1", https=True, auth=AuthMethod.NTLM, username="CONTOSO\\admin")
    )
    no_keyring["CONTOSO\\admin@exnode1"] = "old"
    d = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(d)
    assert d.password.text() == "old" and d.remember.isChecked()
    d.password.setText("new")
    d.remember.setChecked(False)
    d.ok.click()
    assert d.result() == C.ConnectDialog.DialogCode.Accepted
    assert d.connection()[1] == "new"
    assert no_keyring == {}  # not kept for the next start's automatic reconnect


def test_a_damaged_recent_entry_is_skipped_not_fatal(qtbot, qsettings, no_keyring) -> None:  # type: ignore[no-untyped-def]
    import json

    good = {"host": "EXCLUS1", "port": 5986, "https": True, "auth": "ntlm", "username": "C\\a"}
    bad = [
        {"host": "X", "port": 5986, "https": True, "auth": "telnet"},
        {"host": "Y", "port": "5986", "https": True, "auth": "ntlm"},
        "not an object",
    ]
    qsettings.setValue(C.RECENT_KEY, json.dumps([*bad, good]))
    recent = C.load_recent(qsettings)
    assert [r.host for r in recent] == ["EXCLUS1"]
    assert [r.settings().auth for r in recent] == [AuthMethod.NTLM]  # what the app reconnects with
    d = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(d)
    assert d.host.currentText() == "EXCLUS1"


def test_current_user_is_offered_with_whom_it_logs_on_as(qtbot, qsettings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        C, "current_user_logon", lambda: LogonAvailability(True, principal="admin@CONTOSO.COM")
    )
    d = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(d)
    assert d.current_user.isEnabled() and d.current_user.isChecked()
    assert d.current_user_note.text() == "Logs on as admin@CONTOSO.COM, no password."
    d.host.setCurrentText("EXCLUS1")
    assert d.ok.isEnabled()
    s, password = d.connection()
    assert (s.auth, s.username, password) == (AuthMethod.CURRENT_USER, "", "")


def test_current_user_where_it_cannot_work_says_what_is_missing(
    qtbot: QtBot, qsettings: QSettings, no_keyring: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = "You have no Kerberos ticket: run kinit user@REALM first."
    monkeypatch.setattr(C, "current_user_logon", lambda: LogonAvailability(False, reason))
    # Even when the last cluster was reached as the current user, the default is what can work.
    C.remember_recent(qsettings, ConnectionSettings("EXCLUS1", auth=AuthMethod.CURRENT_USER))
    d = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(d)
    assert not d.current_user.isEnabled() and not d.current_user.isChecked()
    assert d.with_password.isChecked() and d.method.currentData() == AuthMethod.NTLM.value
    assert d.current_user_note.text() == f"Not available here: {reason}"
    assert d.current_user.toolTip() == d.current_user_note.text()
    assert d.host.currentText() == "EXCLUS1"
    d.user.setText("CONTOSO\\admin")
    d.password.setText("secret")
    assert d.ok.isEnabled()
    # And the settings check refuses the current user with the same reason.
    s = ConnectionSettings("EXCLUS1", auth=AuthMethod.CURRENT_USER)
    assert reason in C.settings_problem(s, "", LogonAvailability(False, reason))
