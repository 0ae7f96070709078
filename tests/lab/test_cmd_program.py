"""cmd.exe as a program the lab's shells can start: `cmd /c cluster node` runs as on Windows."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import winrm

from ccrgui.lab.clock import Clock
from ccrgui.lab.cmdshell import CmdSwitches, collect_output, launch, parse_cmd_switches, run_line
from ccrgui.lab.engine import ClusterEngine
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.lab import Lab
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.topology import SetupMedia, default_topology

MEDIA = "D:\\Exchange 2007 SP2"


@pytest.fixture
def host() -> Iterator[NodeHost]:
    # Setup media in a folder whose name has spaces: /S's quote stripping splits it there.
    topo = dataclasses.replace(default_topology(), setup_media=(SetupMedia(MEDIA, "8.2.176.2"),))
    clock = Clock(1000)
    journal = EventJournal(topo, history=0, clock=clock)
    engine = ClusterEngine(topo, clock=clock, faults=Faults(), journal=journal)
    yield NodeHost("EXNODE1", engine, journal, Faults())
    engine.stop()
    clock.stop()


def run(host: NodeHost, line: str) -> tuple[str, str, int]:
    return run_line(host, host.topology.accounts[0], line)


def run_direct(host: NodeHost, command: str, args: list[str], stdin: bytes = b"") -> tuple[bytes, bytes, int]:
    """CreateProcess without cmd.exe around it (WINRS_SKIP_CMD_SHELL), optional standard input."""
    proc = launch(
        host, host.topology.accounts[0], command, args, skip_cmd_shell=True, codepage=437, env={}
    )  # fmt: skip
    proc.io.send(stdin, eof=True)
    return collect_output(proc)


@pytest.mark.parametrize(
    "line",
    [
        "cmd /c cluster node",
        "cmd.exe /c cluster node",
        "CMD /C cluster node",
        "C:\\Windows\\system32\\cmd.exe /c cluster node",
        '"C:\\Windows\\system32\\cmd.exe" /c cluster node',
        "cmd /d /q /c cluster node",
        "cmd/c cluster node",
        'cmd /c "cluster node"',
        'cmd /s /c "cluster node"',
        "cmd /v:off /e:on /c cluster node",
    ],
)
def test_cmd_runs_cluster_node_in_every_spelling(host: NodeHost, line: str) -> None:
    direct = run(host, "cluster node")
    assert direct[2] == 0 and "EXNODE2" in direct[0]
    assert run(host, line) == direct


def test_cmd_started_directly_without_a_shell(host: NodeHost) -> None:
    out, err, code = run_direct(host, "cmd.exe", ["/c", "cluster", "node"])
    assert (err, code) == (b"", 0) and b"EXNODE1" in out
    out, err, code = run_direct(host, "C:\\Windows\\system32\\cmd.exe", ["/c", "exit", "7"])
    assert code == 7


def test_exit_codes_and_operators_cross_the_child_shell(host: NodeHost) -> None:
    assert run(host, "cmd /c exit 3")[2] == 3
    assert run(host, "cmd /c exit 3 & echo parent goes on") == ("parent goes on\r\n", "", 0)
    assert run(host, "cmd /c frobnicate")[2] == 9009
    # Unquoted, & belongs to the outer shell; quoted, to the child.
    assert run(host, 'cmd /c "echo a& echo b"') == ("a\r\nb\r\n", "", 0)
    assert run(host, "cmd /c echo a& echo b") == ("a\r\nb\r\n", "", 0)
    assert run(host, "cmd /c exit 1 || echo failed") == ("failed\r\n", "", 0)


def test_child_shell_has_a_copy_of_the_environment(host: NodeHost) -> None:
    # The child expands its own line when it starts: it sees the parent's ZZ.  The parent's line
    # was expanded once, before anything ran (command-line semantics), so its %ZZ% stays.
    out, _, _ = run(host, 'set ZZ=outer& cmd /c "set ZZ=inner& echo %ZZ%"& echo %ZZ%')
    assert out == "outer\r\n%ZZ%\r\n"
    assert run(host, 'cmd /c "set ZQ=1& set ZQ"')[0] == "ZQ=1\r\n"
    assert run(host, 'cmd /c "set ZQ=1" & set ZQ')[1] == "Environment variable ZQ not defined\r\n"


def test_s_switch_strips_the_first_and_last_quote(host: NodeHost) -> None:
    setup = f'"{MEDIA}\\setup.com"'
    # Without /S, two quotes around a program's path with a space are kept: the program runs.
    assert run(host, f"cmd /c {setup}")[2] != 9009
    # With /S they go whatever is between them, and the path splits at its space.
    _, err, code = run(host, f"cmd /s /c {setup}")
    assert code == 9009 and err.startswith("'D:\\Exchange' is not recognized")
    assert run(host, 'cmd /s /c ""cluster" node"')[2] == 0


def test_u_switch_writes_cmds_own_output_as_utf16(host: NodeHost) -> None:
    out, _, code = run_direct(host, "cmd", ["/u", "/c", "echo", "hé"])
    assert code == 0 and out == "hé\r\n".encode("utf-16-le")
    out, _, _ = run_direct(host, "cmd", ["/a", "/c", "echo", "hi"])
    assert out == b"hi\r\n"


def test_k_and_interactive_cmd_read_commands_from_stdin(host: NodeHost) -> None:
    out, _, code = run_direct(
        host, "cmd", ["/q", "/k", "echo", "first"], b"echo second\r\nexit 4\r\necho never\r\n"
    )
    assert (out, code) == (b"first\r\nsecond\r\n", 4)
    out, _, code = run_direct(host, "cmd", [], b"hostname\r\n")
    text = out.decode()
    assert text.startswith("Microsoft Windows [Version 6.0.6001]\r\n")
    assert "C:\\Users\\Administrator>hostname\r\nEXNODE1\r\n" in text
    assert code == 0


def test_switch_parsing() -> None:
    assert parse_cmd_switches("cmd /Q/S/C  echo x") == CmdSwitches("c", "echo x", True, True, False)
    assert parse_cmd_switches('"C:\\Windows\\system32\\cmd.exe" /u /k dir') == CmdSwitches(
        "k", "dir", unicode=True
    )
    assert parse_cmd_switches("cmd /cecho x").command == "echo x"
    assert parse_cmd_switches("cmd").mode == ""


def test_pywinrm_runs_cmd_c_cluster_node_on_the_lab(lab: Lab) -> None:
    session = winrm.Session(lab.endpoints["EXNODE1"], auth=(lab.username, lab.password), transport="ntlm")
    for command, args in [
        ("cmd", ["/c", "cluster", "node"]),
        ("C:\\Windows\\system32\\cmd.exe", ["/c", "cluster node"]),
    ]:
        r = session.run_cmd(command, args)
        assert r.status_code == 0, r.std_err
        assert b"EXNODE2" in r.std_out
