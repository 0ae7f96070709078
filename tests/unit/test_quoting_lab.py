"""The quoting module against the lab's independent argv splitter, cmd.exe and PowerShell.

Only tests import the lab: production code never does.  Two independent implementations
(helpers 2/3 on the lab side, quoting.py on the backend side) must agree.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrgui.quoting import UnsafeValueError, cmd_exe_line, cmd_line, ps_literal

argv = pytest.importorskip("ccrgui.lab.argv")
interpreter = pytest.importorskip("ccrgui.lab.powershell.interpreter")
process = pytest.importorskip("ccrgui.lab.process")
cmdshell = pytest.importorskip("ccrgui.lab.cmdshell")

TRICKY = " \t\"\\a%!&|<>^()'\u2018\u2019\u201a\u201b/-:,é漢\U0001f600"
values = st.one_of(st.text(max_size=20), st.text(alphabet=st.sampled_from(TRICKY), max_size=12))


@settings(max_examples=300)
@given(st.lists(values, max_size=4))
def test_cmd_line_against_lab_argv(args: list[str]) -> None:
    """The lab's C-runtime splitter gives back exactly the arguments, with both rule sets."""
    try:
        line = cmd_line("cluster.exe", *args)
    except UnsafeValueError:
        return
    assert argv.split_command_line(line) == ["cluster.exe", *args]
    assert argv.split_command_line(line, post2008=False) == ["cluster.exe", *args]


def ps_eval(literal: str) -> object:
    io = process.ProcessIO(65001)
    interp = interpreter.Interpreter(io, None, None)
    interp.run_text("$__r = " + literal)
    return interp.get_var("__r")


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_ps_literal_against_lab_powershell(value: str) -> None:
    """The lab's PowerShell evaluates our literal to exactly the value."""
    try:
        literal = ps_literal(value)
    except UnsafeValueError:
        return
    assert ps_eval(literal) == value


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(values, min_size=1, max_size=3))
def test_cmd_exe_line_through_lab_cmd(args: list[str]) -> None:
    """Through the lab's cmd.exe: no expansion, one command, no redirection, exact argv after."""
    try:
        line = cmd_exe_line("cluster", *args)
    except UnsafeValueError:
        return
    assert cmdshell.expand_percent(line, lambda name: "EXPANDED") == line
    parsed = cmdshell.parse_line(line)
    assert len(parsed) == 1
    (command,) = parsed[0][1].commands
    assert command.redirects == []
    assert command.text == line
    assert argv.split_command_line(command.text) == ["cluster", *args]
