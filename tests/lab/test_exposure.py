"""Issue 10 item 10: the lab warns loudly when it is reachable from other machines or accepts
Basic over plain HTTP (its accounts are published test values)."""

from __future__ import annotations

import logging

import pytest

from ccrgui.lab import cli
from ccrgui.lab import lab as lab_module


class _NoListen:
    """Stands in for `Lab` so the test never opens a port on every interface."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def start(self) -> None:
        raise OSError("not opened in this test")

    def stop(self) -> None:
        pass


def test_every_interface_with_basic_over_http_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lab_module, "Lab", _NoListen)
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)  # keep pytest's Ctrl-C handler
    assert cli.main(["--host", "0.0.0.0", "--allow-unencrypted"]) == 1
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("ccrgui-lab: WARNING: ")]
    assert len(warnings) == 2, err
    assert "EVERY network interface" in warnings[0] and "test accounts" in warnings[0]
    assert "Basic" in warnings[1] and "plain HTTP" in warnings[1] and "anyone" in warnings[1]


def test_loopback_without_the_flag_is_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lab_module, "Lab", _NoListen)
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)  # keep pytest's Ctrl-C handler
    assert cli.main(["--host", "127.0.0.1"]) == 1
    assert "WARNING" not in capsys.readouterr().err
    cli.main(["--host", "127.0.0.1", "--allow-unencrypted"])
    err = capsys.readouterr().err
    assert "WARNING: --allow-unencrypted" in err and "anyone" not in err


def test_an_in_process_lab_logs_the_same_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ccrgui.lab.lab"):
        with lab_module.Lab(allow_unencrypted=True, events=5):
            pass
    assert any("--allow-unencrypted" in r.getMessage() for r in caplog.records)
