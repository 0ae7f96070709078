"""Issue 10 item 7: damaged saved settings and filter files give a clear error, never OverflowError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ccrgui.domain.eventquery import EventFilter, to_querylist_xml
from ccrgui.gui import connect as C
from ccrgui.gui.events.dialog import EventFilterDialog


def test_a_recent_cluster_with_an_impossible_port_is_skipped(qtbot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(C, "keyring_password", lambda host, user: "")
    qsettings = QSettings(str(tmp_path / "ccrgui.ini"), QSettings.Format.IniFormat)
    bad = [{"host": "BIG", "port": 99999999999, "https": True, "auth": "ntlm", "username": "C\\a"}]
    bad.append({"host": "ZERO", "port": 0, "https": True, "auth": "ntlm", "username": "C\\a"})
    good = {"host": "EXCLUS1", "port": 5986, "https": True, "auth": "ntlm", "username": "C\\a"}
    qsettings.setValue(C.RECENT_KEY, json.dumps([*bad, good]))
    assert [r.host for r in C.load_recent(qsettings)] == ["EXCLUS1"]
    dialog = C.ConnectDialog(None, qsettings)  # raised OverflowError in QSpinBox.setValue
    qtbot.addWidget(dialog)
    assert dialog.host.currentText() == "EXCLUS1" and dialog.port.value() == 5986


_TIME_FILE = """<QueryList><Query Id="0" Path="System"><Select Path="System">
*[System[TimeCreated[@SystemTime&gt;='{since}']]]</Select></Query></QueryList>"""


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_filter_file_with_a_time_outside_the_calendar_is_refused(qtbot, tmp_path: Path, since: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "q.xml"
    path.write_text(_TIME_FILE.format(since=since), encoding="utf-8")
    dialog = EventFilterDialog(["EXNODE1"])
    qtbot.addWidget(dialog)
    before = dialog.current_filter()
    assert "out of range" in dialog.open_from(path)
    assert dialog.current_filter() == before


@pytest.mark.parametrize("count", [10**23, 0, 1_000_001])
def test_a_filter_file_with_absurd_max_events_is_refused(qtbot, tmp_path: Path, count: int) -> None:  # type: ignore[no-untyped-def]
    text = to_querylist_xml(EventFilter(max_events=1234)).replace(
        '"max_events": 1234', f'"max_events": {count}'
    )
    path = tmp_path / "q.xml"
    path.write_text(text, encoding="utf-8")
    dialog = EventFilterDialog(["EXNODE1"])
    qtbot.addWidget(dialog)
    assert "max_events" in dialog.open_from(path)


def test_settings_with_an_impossible_port_are_refused_before_anything_is_sent() -> None:
    from ccrgui.remote.api import AuthMethod, ConnectionError_, ConnectionSettings
    from ccrgui.remote.transport import validate_settings

    for port in (99999999999, 0, 65536):
        settings = ConnectionSettings("EXCLUS1", port=port, auth=AuthMethod.NTLM, username="C\\a")
        with pytest.raises(ConnectionError_, match="not a TCP port"):
            validate_settings(settings, "pw")
