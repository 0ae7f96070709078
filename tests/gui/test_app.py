"""`ccrgui` entry point: argument rules and the --demo --screenshot smoke run (real lab, real backend)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from ccrgui.app import parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_arguments() -> None:
    args = parse_args(["--connect", "EXCLUS1", "--connect", "OTHER", "--http", "--port", "5990"])
    assert args.connect == ["EXCLUS1", "OTHER"] and args.http and args.port == 5990
    assert parse_args([]).refresh is None
    with pytest.raises(SystemExit):
        parse_args(["--screenshot", "x.png"])  # needs --demo or --connect
    with pytest.raises(SystemExit):
        parse_args(["--demo", "--refresh", "0"])


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_demo_screenshot(tmp_path: Path) -> None:
    pytest.importorskip("ccrgui.remote.session")
    out = tmp_path / "demo.png"
    home = str(tmp_path)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=home, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home)
    done = subprocess.run(
        [sys.executable, "-m", "ccrgui.app", "--demo", "--screenshot", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1000 and height >= 700
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".png"] == ["demo.png"]  # no temp left


def test_recent_clusters_reopen_without_asking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QSettings

    import ccrgui.app as app
    from ccrgui.domain.session_api import AuthMethod, ConnectionSettings
    from ccrgui.gui.connect import remember_recent

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    remember_recent(qs, ConnectionSettings("KERB", auth=AuthMethod.CURRENT_USER))
    remember_recent(qs, ConnectionSettings("STORED", auth=AuthMethod.NTLM, username="C\\a"))
    remember_recent(qs, ConnectionSettings("ASK", auth=AuthMethod.NTLM, username="C\\b"))
    monkeypatch.setattr(app, "keyring_password", lambda host, user: "pw" if host == "STORED" else "")
    found = [(s.host, p) for s, p in app.recent_connections(qs)]
    assert found == [("STORED", "pw"), ("KERB", "")]
