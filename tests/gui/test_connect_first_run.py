"""The connect dialog on first use: the last host selected (typing replaces it), margins (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtTest import QTest

from ccrgui.domain.session_api import ConnectionSettings
from ccrgui.gui import connect as C


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ccrgui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "keyring_password", lambda host, user: "")


def test_the_last_host_is_selected_so_typing_replaces_it(qtbot, qsettings, no_keyring) -> None:  # type: ignore[no-untyped-def]
    C.remember_recent(qsettings, ConnectionSettings(host="exnode9.contoso.com", port=5985, https=False))
    d = C.ConnectDialog(None, qsettings)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    editor = d.host.lineEdit()
    assert editor is not None and editor.selectedText() == "exnode9.contoso.com"
    QTest.keyClicks(editor, "EXCLUS1")
    assert d.host.currentText() == "EXCLUS1"
    # The form keeps the dialog's margins: nothing touches the window's edge.
    top_left = d.host.mapTo(d, QPoint(0, 0))
    intro = d.form.findChild(C.QLabel, "introLabel")
    assert intro is not None
    assert intro.mapTo(d, QPoint(0, 0)).x() >= 9 and intro.mapTo(d, QPoint(0, 0)).y() >= 9
    assert top_left.x() >= 9
    right = d.host.mapTo(d, QPoint(d.host.width(), 0)).x()
    assert d.width() - right >= 9
