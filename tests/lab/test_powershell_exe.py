"""powershell.exe as a process: command line, -EncodedCommand + CLIXML errors, -Command - on
stdin, the backend's framing line, native programs, exit codes."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
from test_powershell_rig import PSRig, encode, framing, rig  # noqa: F401 - fixture

from ccrgui.lab.powershell import parse_command_line, run_powershell
from ccrgui.lab.process import LabProcess, ProcessIO


def pywinrm_fixture_stderr(reference: Path) -> str:
    """The stderr pywinrm's fixture shows for `Write-Error "Error"` via run_ps."""
    text = (reference / "winrm" / "samples" / "winrm-pywinrm-receive.xml").read_text(encoding="utf-8")
    chunks = re.findall(r'<rsp:Stream (?=[^>]*Name="stderr")[^>]*>([^<]+)</rsp:Stream>', text)
    return "".join(base64.b64decode(c).decode("utf-8") for c in chunks)


def test_encoded_command_write_error_matches_pywinrm_fixture(rig: PSRig, reference: Path) -> None:  # noqa: F811
    # the very command line pywinrm's run_ps sends (winrm-pywinrm-run-ps-command.xml)
    r = rig.exe(["-encodedcommand", "VwByAGkAdABlAC0ARQByAHIAbwByACAAIgBFAHIAcgBvAHIAIgA="])
    assert r.err == pywinrm_fixture_stderr(reference)
    assert r.out == ""
    assert r.code == 1


def test_encoded_command_output_and_one_clixml_document(rig: PSRig) -> None:  # noqa: F811
    r = rig.exe(
        ["-NoProfile", "-EncodedCommand", encode("'ok'; Write-Error 'one'; Write-Error 'two'; 'end'")]
    )
    assert r.out == "ok\r\nend\r\n"
    assert r.err.startswith(
        '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    )
    assert r.err.count("<Objs ") == 1 and r.err.endswith("</Objs>")
    assert "<S S=\"Error\">Write-Error 'two' : two_x000D__x000A_</S>" in r.err
    assert r.code == 0  # the last statement succeeded


def test_plain_command_errors_are_text(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("Get-Nothing")
    assert r.err.startswith("The term 'Get-Nothing' is not recognized as the name of a cmdlet, function, ")
    assert "CLIXML" not in r.err
    assert r.code == 1


def test_exit_codes(rig: PSRig) -> None:  # noqa: F811
    assert rig.cmd("'x'").code == 0
    assert rig.cmd("exit 7").code == 7
    assert rig.cmd("throw 'x'").code == 1
    assert rig.cmd("cmd-that-does-not-exist; 'fine'").code == 0


def test_command_line_parsing() -> None:
    cl = parse_command_line(["powershell", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"])
    assert cl.stdin and cl.options == {"NoLogo": True, "NoProfile": True, "NonInteractive": True}
    cl = parse_command_line(
        ["powershell", "-nop", "-ExecutionPolicy", "Bypass", "-c", "Get-Date", "-Format", "x"]
    )
    assert cl.command == "Get-Date -Format x" and cl.options["ExecutionPolicy"] == "Bypass"
    cl = parse_command_line(
        ["powershell", "-OutputFormat", "Text", "-InputFormat", "Text", "-encodedcommand", encode("1")]
    )
    assert cl.encoded and cl.command == "1"
    assert parse_command_line(["powershell", "'a'", "+", "'b'"]).command == "'a' + 'b'"
    assert parse_command_line(["powershell", "-EncodedCommand", "!!"]).error


def test_stdin_mode_runs_line_by_line_and_writes_as_it_goes(rig: PSRig) -> None:  # noqa: F811
    io = ProcessIO(65001)
    host = rig.hosts["EXNODE1"]
    account = rig.topology.accounts[0]
    argv = ["powershell", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"]
    LabProcess(lambda pio: run_powershell(pio, host, account, argv), io).start()
    io.send(b"$x = 40\r\n", eof=False)
    io.send(b"$x + 2\r\n", eof=False)
    got = b""
    deadline = time.monotonic() + 10
    while b"42" not in got and time.monotonic() < deadline:
        d = io.drain(0.5)
        got += b"".join(c.data for c in d.chunks if c.stream == "stdout")
    assert got == b"42\r\n"  # answered before stdin ended
    assert not io.done
    io.send(b"if ($x) {\r\n  'multi'\r\n}\r\nexit 3\r\n", eof=True)
    out = b""
    while True:
        d = io.drain(5)
        out += b"".join(c.data for c in d.chunks if c.stream == "stdout")
        if d.done:
            break
    assert out == b"multi\r\n"
    assert d.exit_code == 3


def test_stdin_mode_eof_exit_code(rig: PSRig) -> None:  # noqa: F811
    argv = ["-NonInteractive", "-Command", "-"]
    assert rig.exe(argv, b"'a'\r\n'b'\r\n").out == "a\r\nb\r\n"
    r = rig.exe(argv, b"'a'\r\nnot-a-command\r\n")
    assert r.code == 1 and r.out == "a\r\n"


def test_iex_framing_line(rig: PSRig) -> None:  # noqa: F811
    script = "$m = 'M1'\n$o = $m + ':B:1' + \"`n\"\n$o += 'caf\u00e9'\n[Console]::Out.Write($o)"
    r = rig.exe(
        ["-NonInteractive", "-Command", "-"], (framing(script) + "\r\n").encode("utf-8"), codepage=65001
    )
    assert r.out == "M1:B:1\ncaf\u00e9"
    assert r.err == ""


def test_backend_frame_script_runs(rig: PSRig) -> None:  # noqa: F811
    shells = pytest.importorskip("ccrgui.remote.shells")
    body = (
        "$r = & cluster.exe group 2>&1 | Out-String\n"
        '$o = $o + $m + \':S:groups:\' + $LASTEXITCODE + "`n" + $r + "`n"'
    )
    line = shells.request_line(shells.frame_script(body, "mk", 5))
    r = rig.exe(["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"], line, codepage=65001)
    assert r.err == ""
    assert r.out.startswith("mk:B:5\nmk:S:groups:0\nListing status for all available resource groups:\r\n")
    assert r.out.endswith("mk:E:5\n")


def test_backend_frame_script_catches_errors(rig: PSRig) -> None:  # noqa: F811
    shells = pytest.importorskip("ccrgui.remote.shells")
    line = shells.request_line(shells.frame_script("Get-ClusteredMailboxServerStatus", "mk", 1))
    r = rig.exe(["-NonInteractive", "-Command", "-"], line, codepage=65001)
    assert r.out == (
        "mk:B:1\nmk:X:script:The term 'Get-ClusteredMailboxServerStatus' is not recognized as the name of a "
        "cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path "
        "was "
        "included, verify that the path is correct and try again.\nmk:E:1\n"
    )


def test_native_command_output_and_exit_code(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("$lines = cluster.exe node; $lines.GetType().FullName; $LASTEXITCODE; $?")
    assert r.out == "System.Object[]\r\n0\r\nTrue\r\n"
    r = rig.cmd("hostname")
    assert r.out == "EXNODE1\r\n"


def test_native_arguments_with_spaces_are_quoted(rig: PSRig) -> None:  # noqa: F811
    direct = rig.cmd("cluster.exe group 'Cluster Group' /prop").out
    assert "Cluster Group" in direct and "Description" in direct
    assert rig.cmd("$g = 'Cluster Group'; & cluster.exe group $g /prop").out == direct


def test_native_stderr_with_merge_becomes_error_records(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("$t = cluster.exe group 'nosuch' 2>&1 | Out-String; $LASTEXITCODE; $t")
    lines = r.out.split("\r\n")
    assert lines[0] != "0"
    assert lines[1].startswith("cluster.exe : System error 5013 has occurred")
    assert "    + FullyQualifiedErrorId : NativeCommandError" in r.out
    assert "The cluster group could not be found." in r.out
    assert r.err == ""


def test_native_stderr_without_redirection_passes_through(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("cluster.exe group 'nosuch'; 'next'")
    assert r.err.startswith("System error 5013 has occurred")
    assert r.out == "next\r\n"


def test_native_stderr_under_stop_is_terminating(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "$ErrorActionPreference = 'Stop'; try { cluster.exe group 'nosuch' 2>&1 | Out-String } "
        "catch { 'caught: ' + $_.FullyQualifiedErrorId }"
    )
    assert r.out == "caught: NativeCommandError\r\n"


def test_console_breaks_long_output_lines_at_80(rig: PSRig) -> None:  # noqa: F811
    # PowerShell 2.0 over WinRM (pywinrm issue #216); [Console]::Out.Write is not wrapped
    r = rig.cmd("'a' * 90; [Console]::Out.Write('b' * 90)")
    assert r.out == "a" * 80 + "\r\n" + "a" * 10 + "\r\n" + "b" * 90


def test_startup_cost_is_slept(rig: PSRig) -> None:  # noqa: F811
    rig.faults.costs.powershell_start_s = 0.2
    started = time.monotonic()
    rig.cmd("1")
    assert time.monotonic() - started >= 0.2
