"""cmd.exe line processing, program dispatch and the C runtime's argv rules in the lab."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrgui.domain.model import NodeState
from ccrgui.lab import cmdshell
from ccrgui.lab.argv import split_command_line
from ccrgui.lab.clock import Clock
from ccrgui.lab.cmdshell import Context, ProgramNotFound, launch, run_line, strip_outer_quotes
from ccrgui.lab.engine import ClusterEngine
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.process import LabProcess, ProcessIO
from ccrgui.lab.topology import default_topology

# ---- argv ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # Microsoft's "Parsing C++ command-line arguments" table.
        ('prog "abc" d e', ["abc", "d", "e"]),
        ('prog a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]),
        ('prog a\\\\\\"b c d', ['a\\"b', "c", "d"]),
        ('prog a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
        ('prog a"b"" c d', ['ab" c d']),
        # More: tabs, empty quoted argument, trailing backslashes.
        ('prog \t a  ""  b\\\\', ["a", "", "b\\\\"]),
        ('prog "C:\\dir with space\\\\"', ["C:\\dir with space\\"]),
    ],
)
def test_msvcrt_argument_rules(line: str, expected: list[str]) -> None:
    assert split_command_line(line)[1:] == expected


def test_legacy_double_quote_rule_leaves_quoted_mode() -> None:
    assert split_command_line('prog a"b"" c d', post2008=False)[1:] == ['ab"', "c", "d"]


def test_program_name_has_no_backslash_escapes() -> None:
    assert split_command_line('"C:\\Program Files\\x\\"y z') == ["C:\\Program Files\\x\\y", "z"]
    assert split_command_line('C:\\a"b c"\\d.exe e')[0] == "C:\\ab c\\d.exe"


def _quote(arg: str) -> str:
    """MSVCRT quoting written independently for the test: quote if needed, double the
    backslashes that precede a quote or the closing quote, escape the quote."""
    if arg and not any(c in arg for c in ' \t"'):
        return arg
    out = ['"']
    slashes = 0
    for c in arg:
        if c == "\\":
            slashes += 1
            continue
        if c == '"':
            out.append("\\" * (2 * slashes + 1) + '"')
        else:
            out.append("\\" * slashes + c)
        slashes = 0
    out.append("\\" * (2 * slashes) + '"')
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab \t\"\\xé€'^&%")), max_size=12), max_size=6))
def test_quoting_then_splitting_round_trips(args: list[str]) -> None:
    line = "prog.exe " + " ".join(_quote(a) for a in args)
    assert split_command_line(line) == ["prog.exe", *args]
    assert split_command_line(line, post2008=False) == ["prog.exe", *args]


# ---- cmd.exe ------------------------------------------------------------------------------------


@pytest.fixture
def host() -> Iterator[NodeHost]:
    topo = default_topology()
    clock = Clock(1000)
    journal = EventJournal(topo, history=0, clock=clock)
    engine = ClusterEngine(topo, clock=clock, faults=Faults(), journal=journal)
    yield NodeHost("EXNODE1", engine, journal, Faults())
    engine.stop()
    clock.stop()


def run(host: NodeHost, line: str) -> tuple[str, str, int]:
    return run_line(host, host.topology.accounts[0], line)


def collect(proc: LabProcess) -> tuple[bytes, int | None]:
    """All output of a launched process and its exit code."""
    out = b""
    while True:
        d = proc.io.drain(timeout=10)
        out += b"".join(c.data for c in d.chunks)
        if d.done:
            return out, d.exit_code


@pytest.mark.parametrize(
    ("line", "out"),
    [
        ('echo "%COMPUTERNAME%"', '"EXNODE1"\r\n'),
        ("echo %NO_SUCH_VAR_X%", "%NO_SUCH_VAR_X%\r\n"),
        ("echo 100%", "100%\r\n"),
        ("echo %NOPE%COMPUTERNAME%", "%NOPEEXNODE1\r\n"),
        ("echo %computername:~0,4%", "EXNO\r\n"),
        ("echo %COMPUTERNAME:NODE=box%", "EXbox1\r\n"),
        ("echo a^&b", "a&b\r\n"),
        ('echo "a^&b" & echo c', '"a^&b" \r\nc\r\n'),
        ('echo "a & b"', '"a & b"\r\n'),
        ("echo a & echo b", "a \r\nb\r\n"),
        ("echo.", "\r\n"),
        ("echo", "ECHO is on.\r\n"),
        ("echo ^^", "^\r\n"),
        ("ver", "\r\nMicrosoft Windows [Version 6.0.6001]\r\n"),
        ("type nul", ""),
        ("hostname", "EXNODE1\r\n"),
        ("whoami", "contoso\\administrator\r\n"),
        ("set ZZ_LAB=1 & set ZZ_L", "ZZ_LAB=1\r\n"),
    ],
)
def test_cmd_builtins_expansion_and_escapes(host: NodeHost, line: str, out: str) -> None:
    assert run(host, line) == (out, "", 0)


def test_and_or_operators_follow_exit_codes(host: NodeHost) -> None:
    out, err, code = run(host, "cluster node NOPE && echo ok || echo failed")
    assert (out, code) == ("failed\r\n", 0)
    assert err.startswith("System error 5042")
    assert run(host, "hostname && echo ok")[0] == "EXNODE1\r\nok\r\n"
    assert run(host, "cluster node NOPE & echo next")[2] == 0
    assert run(host, "echo x & cluster node NOPE")[2] == 5042


def test_redirection_to_nul_and_stream_duplication(host: NodeHost) -> None:
    assert run(host, "cluster node > nul") == ("", "", 0)
    out, err, code = run(host, "cluster node NOPE 2>&1")
    assert err == "" and out.startswith("System error 5042 has occurred") and code == 5042
    assert run(host, "cluster node NOPE 2> nul") == ("", "", 5042)
    assert run(host, "cluster node NOPE >nul 2>&1") == ("", "", 5042)
    assert run(host, "cluster node 1>NUL")[0] == ""


def test_pipe_feeds_stdout_to_the_next_program(host: NodeHost, monkeypatch: pytest.MonkeyPatch) -> None:
    def upper(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
        io.write(io.read_stdin_all().decode(io.encoding).upper())
        return 7

    monkeypatch.setitem(cmdshell.PROGRAMS, "upper", upper)
    out, err, code = run(host, "echo abc| upper")
    assert (out, err, code) == ("ABC\r\n", "", 7)
    out = run(host, 'cluster group "Cluster Group" | upper')[0]
    assert out.startswith("LISTING STATUS FOR RESOURCE GROUP 'CLUSTER GROUP':\r\n")


def test_unknown_program_is_not_recognized_9009(host: NodeHost) -> None:
    out, err, code = run(host, "frobnicate /x")
    assert (out, code) == ("", 9009)
    assert (
        err == "'frobnicate' is not recognized as an internal or external command,\r\n"
        "operable program or batch file.\r\n"
    )
    # cmd /c strips the outer quotes of a line that starts with one (not an executable name)...
    assert run(host, '"no such.exe" a')[1].startswith("'no' is not recognized")
    # ...but a quoted name later on the line is reported with its quotes.
    assert run(host, 'echo x& "no such.exe" a')[1].startswith("'\"no such.exe\"' is not recognized")
    assert run(host, "setup.exe /mode:upgrade")[2] == 9009


def test_command_line_too_long(host: NodeHost) -> None:
    out, err, code = run(host, "echo " + "x" * 8190)
    assert (out, err, code) == ("", "The command line is too long.\r\n", 1)
    assert run(host, "echo " + "x" * 8180)[2] == 0
    # The limit also applies after expansion.
    assert run(host, "echo " + "%COMPUTERNAME%" * 600)[1] == "The command line is too long.\r\n"


def test_outer_quote_rule_of_cmd_c() -> None:
    assert strip_outer_quotes('"cluster" node') == "cluster node"
    assert strip_outer_quotes('"cluster group "Cluster Group""') == 'cluster group "Cluster Group"'
    assert strip_outer_quotes('"C:\\Program Files\\x\\setup.com"') == '"C:\\Program Files\\x\\setup.com"'
    assert strip_outer_quotes("cluster node") == "cluster node"


def test_quoted_whole_line_runs(host: NodeHost) -> None:
    out, _, code = run(host, '"cluster group "Available Storage""')
    assert code == 0 and out.endswith("Available Storage    EXNODE1         Online\r\n")


def test_exit_builtin_sets_the_exit_code(host: NodeHost) -> None:
    assert run(host, "exit /b 3 & echo never") == ("", "", 3)


def test_skip_cmd_shell_uses_argv_and_refuses_unknown_programs(host: NodeHost) -> None:
    account = host.topology.accounts[0]
    proc = launch(
        host, account, "cluster", ["group", '"Cluster Group"'], skip_cmd_shell=True, codepage=437, env={}
    )
    chunks, code = collect(proc)
    assert code == 0 and chunks.startswith(b"Listing status for resource group 'Cluster Group':")
    with pytest.raises(ProgramNotFound) as exc:
        launch(host, account, "echo", ["hi"], skip_cmd_shell=True, codepage=437, env={})
    assert exc.value.code == 2
    # Without cmd.exe, ^ and % are plain characters handed to the program.
    proc = launch(
        host, account, "cluster", ["group", "%COMPUTERNAME%^"], skip_cmd_shell=True, codepage=437, env={}
    )
    assert collect(proc)[1] == 5013


def test_winrs_environment_reaches_programs(host: NodeHost) -> None:
    account = host.topology.accounts[0]
    proc = launch(
        host,
        account,
        "echo",
        ["%LAB_X%", "%USERNAME%"],
        skip_cmd_shell=False,
        codepage=437,
        env={"LAB_X": "from-winrs"},
    )
    assert collect(proc) == (b"from-winrs Administrator\r\n", 0)


def test_shutdown_reboots_the_node(host: NodeHost) -> None:
    assert run(host, "shutdown /r /t 0 /f") == ("", "", 0)
    engine = host.engine
    end = time.monotonic() + 5
    states = set()
    while time.monotonic() < end:
        states.add(engine.node("EXNODE1").state)
        if NodeState.DOWN in states and engine.node("EXNODE1").state is NodeState.UP:
            break
        time.sleep(0.003)
    assert NodeState.DOWN in states and engine.node("EXNODE1").state is NodeState.UP
    helpdesk = host.topology.accounts[1]
    assert run_line(host, helpdesk, "shutdown /r /t 0") == ("", "EXNODE1: Access is denied.(5)\r\n", 5)


def test_net_stop_start_cluster_service(host: NodeHost) -> None:
    out, _, code = run(host, "net stop clussvc")
    assert code == 0
    assert (
        out == "The Cluster Service service is stopping.\r\n"
        "The Cluster Service service was stopped successfully.\r\n\r\n"
    )
    assert host.engine.node("EXNODE1").state is NodeState.DOWN
    assert run(host, "cluster node")[2] == 1722
    assert run(host, "net start clussvc")[2] == 0
    assert run(host, "net start clussvc")[2] == 2
