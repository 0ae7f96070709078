"""The PowerShell 2.0 language subset: literals, quoting, operators, control flow, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_powershell_rig import PSRig, rig  # noqa: F401 - fixture

from ccrgui.lab.powershell.interpreter import Interpreter
from ccrgui.lab.powershell.parser import parse
from ccrgui.lab.process import ProcessIO


def run(script: str) -> tuple[str, str]:
    io = ProcessIO(65001)
    interp = Interpreter(io, None, None)
    interp.run_text(script)
    d = io.drain(0)
    out = b"".join(c.data for c in d.chunks if c.stream == "stdout").decode()
    err = b"".join(c.data for c in d.chunks if c.stream == "stderr").decode()
    return out, err


def value(expr: str) -> object:
    io = ProcessIO(65001)
    interp = Interpreter(io, None, None)
    interp.run_text("$__r = " + expr)
    return interp.get_var("__r")


def out(script: str) -> str:
    o, e = run(script)
    assert e == "", e
    return o


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("10 / 5", 2),
        ("7 % 3", 1),
        ("'a' + 1", "a1"),
        ("1 + '2'", 3),
        ("'ab' * 3", "ababab"),
        ("-join ('a','b')", "ab"),
        ("(1,2,3) -join '-'", "1-2-3"),
        ("'a b  c' -split ' +'", ["a", "b", "c"]),
        ("'Hello' -replace 'l', 'L'", "HeLLo"),
        ("'abc' -replace '(b)', '[$1]'", "a[b]c"),
        ("'ABC' -eq 'abc'", True),
        ("'ABC' -ceq 'abc'", False),
        ("'EXNODE1 <Active>' -like '*active*'", True),
        ("'x' -match '^(?<n>x)$'", True),
        ("1,2,3 -contains 2", True),
        ("(1,2,3,4) -gt 2", [3, 4]),
        ("5 -ge 5 -and 2 -lt 1", False),
        ("-not $false", True),
        ("!$null", True),
        ("'{0}-{1:D3}' -f 'a', 7", "a-007"),
        ("'{0,-4}|{1,4}' -f 'ab', 'cd'", "ab  |  cd"),
        ("'{0:N0}' -f 1234567", "1,234,567"),
        ("[int]'42' + 1", 43),
        ("[string]12 + 3", "123"),
        ("'abcdef'.Substring(2, 3)", "cde"),
        ("'a,b'.Split(',')[1]", "b"),
        ("'  x '.Trim()", "x"),
        ("'EXNODE1 <Active>'.IndexOf(' ')", 7),
        ("'abc'.Contains('bc')", True),
        ("'abc'.StartsWith('ab')", True),
        ("'a.b'.Replace('.', '')", "ab"),
        ("'abc'.Length", 3),
        ("@(1,2,3).Count", 3),
        ("@().Count", 0),
        ("@(5).Count", 1),
        ("(1..4)[-1]", 4),
        ("$null -eq $null", True),
        ("[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('w6k='))", "é"),
        ("[Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes('A'))", "QQA="),
        ("@{a=1; b='x'}.b", "x"),
        ('"a`tb"', "a\tb"),
        ('"q""q"', 'q"q'),
    ],
)
def test_expressions(expr: str, expected: object) -> None:
    assert value(expr) == expected


def test_variables_and_expansion() -> None:
    assert out("$n = 'EX'; $h = @{k='v'}; \"[$n] $($h.k) ${n}1 `$n\"") == "[EX] v EX1 $n\r\n"


def test_member_access_is_not_expanded_in_strings() -> None:
    # "$x.Length" expands $x only, as in PowerShell
    assert out("$x = 'ab'; \"$x.Length\"") == "ab.Length\r\n"


def test_here_strings() -> None:
    script = "$v = 'V'\n$a = @'\nraw $v 'q'\n'@\n$b = @\"\nexp $v\n\"@\n$a; $b"
    assert out(script) == "raw $v 'q'\r\nexp V\r\n"


def test_control_flow() -> None:
    script = (
        "$s = 0; foreach ($i in 1..5) {\n"
        " if ($i -eq 2) { continue } elseif ($i -eq 5) { break } else { $s += $i } }\n"
        "for ($j = 0; $j -lt 3; $j++) { $s += 10 }\n"
        "$k = 0; while ($k -lt 2) { $k++ }\n"
        "do { $k-- } until ($k -le 0)\n"
        '"$s $k"'
    )
    assert out(script) == "38 0\r\n"


def test_functions_and_scriptblocks() -> None:
    script = "function Add($a, $b = 2) { $a + $b }\nAdd 1; Add -a 1 -b 5; & { param($x) $x * 2 } 21"
    assert out(script) == "3\r\n6\r\n42\r\n"


def test_pipeline_cmdlets() -> None:
    script = (
        "1..6 | Where-Object { $_ % 2 -eq 0 } | ForEach-Object { $_ * 10 } | Sort-Object -Descending"
        " | Select-Object -First 2"
    )
    assert out(script) == "60\r\n40\r\n"


def test_select_object_calculated_properties() -> None:
    script = (
        "$o = 'abc' | Select-Object @{n='Upper';e={$_.ToUpper()}},\n"
        " @{Name='Len'; Expression={$_.Length}}, Length\n"
        '"$($o.Upper) $($o.Len) $($o.Length)"'
    )
    assert out(script) == "ABC 3 3\r\n"


def test_measure_object() -> None:
    assert out("(1,2,3 | Measure-Object -Sum).Sum; (1,2 | Measure-Object).Count") == "6\r\n2\r\n"


def test_try_catch_finally_and_exception_message() -> None:
    script = "try { throw 'boom' } catch { 'caught ' + $_.Exception.Message } finally { 'finally' }"
    assert out(script) == "caught boom\r\nfinally\r\n"


def test_error_action_stop_wraps_non_terminating_errors() -> None:
    # PowerShell 2.0's ActionPreferenceStopException message carries this prefix
    script = (
        "$ErrorActionPreference = 'Stop'; try { Write-Error 'bad thing' }"
        " catch { [Console]::Out.Write($_.Exception.Message) }"
    )
    assert out(script) == (
        'Command execution stopped because the preference variable "ErrorActionPreference" or common '
        "parameter "
        "is set to Stop: bad thing"
    )


def test_non_terminating_error_continues() -> None:
    o, e = run("Write-Error 'first'; 'after'")
    assert o == "after\r\n"
    assert e.startswith("Write-Error 'first' : first\r\n")


def test_statement_terminating_error_continues_with_next_statement() -> None:
    o, e = run("nosuchcommand; 'next'")
    assert o == "next\r\n"
    assert "The term 'nosuchcommand' is not recognized as the name of a cmdlet" in e


def test_throw_stops_the_script() -> None:
    o, e = run("throw 'stop here'; 'never'")
    assert o == ""
    assert e.startswith("stop here\r\nAt line:1 char:6\r\n+ throw <<<<  'stop here'; 'never'\r\n")
    # the console wraps error lines at column 79
    assert (
        "    + CategoryInfo          : OperationStopped: (stop here:String) [], Runtime \r\n   Exception\r\n"
        in e
    )
    assert "+ FullyQualifiedErrorId : stop here" in e


def test_parse_error_is_reported_not_run() -> None:
    o, e = run("'before'; 1 2")
    assert o == ""
    assert e.startswith(
        "Unexpected token '2' in expression or statement.\r\nAt line:1 char:14\r\n+ 'before'; 1 2 <<<< \r\n"
    )
    assert "ParserError" in e and "UnexpectedToken" in e


@pytest.mark.parametrize(
    "script",
    ["if ($x) { 1", "'unterminated", "foo | | bar", "a && b", "$x = (1 + ", "1 +"],
)
def test_unsupported_or_bad_syntax_is_a_parse_error(script: str) -> None:
    o, e = run(script)
    assert o == ""
    assert "ParserError" in e


def test_unicode_quote_lookalikes_are_single_quotes() -> None:
    assert value("\u2018it\u2019\u2019s\u201b") == "it\u2019s"


SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"


def ps_quote(s: str) -> str:
    """Quote as ccrgui.quoting does: double every single-quote lookalike."""
    return "'" + "".join(c + c if c in SINGLE_QUOTES else c for c in s) + "'"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_single_quoted_literal_round_trips(s: str) -> None:
    assert value(ps_quote(s)) == s


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30))
def test_quoted_argument_reaches_a_cmdlet_unchanged(s: str) -> None:
    assert value("Write-Output " + ps_quote(s)) == s


def test_parse_builds_one_statement_per_line() -> None:
    ast = parse("$a = 1\n$b = 2; $c = 3")
    assert len(ast.statements) == 3


def test_ps20_has_no_member_enumeration() -> None:
    # PowerShell 2.0: a property of an array is looked up on the array itself
    assert value("@('ab','cd').Length") == 2
    assert value("@('ab','cd').Foo") is None


def test_files_out_file_and_get_content(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("'one','two' | Out-File C:\\t.txt; Get-Content C:\\t.txt; Test-Path C:\\t.txt")
    assert r.out == "one\r\ntwo\r\nTrue\r\n"


def test_clixml_round_trip(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "$o = New-Object PSObject -Property @{Name='x'}; $o | Export-Clixml C:\\o.xml;"
        " $i = Import-Clixml C:\\o.xml; $i.Name"
    )
    assert r.out == "x\r\n"


@pytest.fixture
def interp() -> Iterator[Interpreter]:
    yield Interpreter(ProcessIO(437), None, None)


def test_variables_are_case_insensitive(interp: Interpreter) -> None:
    interp.run_text("$Abc = 5")
    assert interp.get_var("aBC") == 5


def test_switch_statement() -> None:
    script = (
        "switch ('b') { 'a' { 'A' } 'b' { 'B' } default { 'D' } }\n"
        "switch -wildcard ('abc', 'x') { 'a*' { \"W:$_\" } default { \"D:$_\" } }\n"
        "switch -regex ('n42') { '^n(\\d+)$' { 'R' ; break } 'n' { 'never' } }"
    )
    assert out(script) == "B\r\nW:abc\r\nD:x\r\nR\r\n"


def test_hashtable_enumeration_and_dates() -> None:
    script = (
        "$h = @{b=2; a=1}; $h.GetEnumerator() | Sort-Object Name |\n"
        ' ForEach-Object { "$($_.Key)=$($_.Value)" }\n'
        "$d = [datetime]'2020-01-02 03:04:05'; '{0:yyyy-MM-dd HH:mm:ss}' -f $d\n"
        "($d.AddMinutes(2) - $d).TotalSeconds"
    )
    assert out(script) == "a=1\r\nb=2\r\n2020-01-02 03:04:05\r\n120\r\n"


def test_method_errors_point_at_the_member() -> None:
    _, e = run("$x = $null; $x.Foo()")
    assert e.startswith("You cannot call a method on a null-valued expression.\r\nAt line:1 char:19\r\n")
    assert "+ $x = $null; $x.Foo <<<< ()" in e
