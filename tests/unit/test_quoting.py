"""Property tests for ccrgui.quoting against independent reference parsers written here.

The splitters below re-implement the documented Windows rules from scratch (they share no code
with the module under test or the lab), so a round trip proves the quoting, not a mirror image.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrgui.quoting import (
    UnsafeValueError,
    cluster_name,
    cluster_option,
    cmd_arg,
    cmd_exe_arg,
    cmd_exe_line,
    cmd_line,
    ps_array,
    ps_literal,
    ps_native_arg,
    ps_native_command,
    xpath_literal,
)

# ---------------------------------------------------------------- reference parsers


def split_argv(line: str, *, msvcrt2008: bool = True) -> list[str]:
    """CommandLineToArgvW / MSVCRT argv rules.

    argv[0]: a leading quote runs to the next quote, otherwise up to whitespace; no escapes.
    Later arguments: 2n backslashes + quote -> n backslashes, quote toggles; 2n+1 -> n and a
    literal quote; other backslashes are literal.  Inside quotes, ``""`` is a literal quote; the
    2008+ runtime stays in quoted mode after it, the old shell32 rule leaves it.
    """
    argv: list[str] = []
    n = len(line)
    if n == 0:
        return argv
    program, i = _split_program(line)
    argv.append(program)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return argv
        cur: list[str] = []
        in_quotes = False
        while i < n:
            ch = line[i]
            if ch == "\\":
                i = _split_backslashes(line, i, cur)
                continue
            if ch == '"':
                if in_quotes and i + 1 < n and line[i + 1] == '"':
                    cur.append('"')
                    i += 2
                    if not msvcrt2008:
                        in_quotes = False
                    continue
                in_quotes = not in_quotes
                i += 1
                continue
            if ch in " \t" and not in_quotes:
                break
            cur.append(ch)
            i += 1
        argv.append("".join(cur))


def _split_program(line: str) -> tuple[str, int]:
    """argv[0] and where the arguments start: quoted up to the next quote, else up to whitespace."""
    n = len(line)
    if line[0] == '"':
        end = line.find('"', 1)
        end = n if end < 0 else end
        return line[1:end], end + 1
    j = 0
    while j < n and line[j] not in " \t":
        j += 1
    return line[:j], j


def _split_backslashes(line: str, i: int, cur: list[str]) -> int:
    """A run of backslashes at `i`: appends what it stands for; returns where parsing goes on."""
    n = len(line)
    j = i
    while j < n and line[j] == "\\":
        j += 1
    count = j - i
    if j < n and line[j] == '"':
        cur.append("\\" * (count // 2))
        if count % 2:
            cur.append('"')
            return j + 1
        return j  # the quote is handled by the caller
    cur.append("\\" * count)
    return j


def cmd_exe_exposed(line: str) -> list[str]:
    """What cmd.exe would act on: metacharacters outside quotes, and any % or ! at all."""
    exposed = []
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in "%!\r\n\x00":
            exposed.append(ch)
        elif not in_quotes and ch in "&|<>^()":
            exposed.append(ch)
    return exposed


def ps_eval_single_quoted(literal: str) -> str:
    """Evaluate a PowerShell single-quoted literal (quote chars: ' and U+2018..U+201B)."""
    quotes = "'\u2018\u2019\u201a\u201b"
    assert literal[0] in quotes and literal[-1] in quotes
    body = literal[1:-1]
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in quotes:
            # Inside a literal, a quote char must be doubled; a lone one would end the string.
            assert i + 1 < len(body) and body[i + 1] in quotes, f"unescaped quote in {literal!r}"
            out.append(ch)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------- strategies

TRICKY = " \t\"\\a%!&|<>^()'\u2018\u2019\u201a\u201b/-:,é漢\U0001f600\x00\r\n"
tricky_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=12)
any_text = st.one_of(st.text(max_size=30), tricky_text)


# ---------------------------------------------------------------- tests: reference splitter


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('prog "a b" c', ["prog", "a b", "c"]),
        (r"prog a\\\"b", ["prog", 'a\\"b']),
        (r"prog a\\b", ["prog", r"a\\b"]),
        (r'prog "a\\" b', ["prog", "a\\", "b"]),
        ('prog ""', ["prog", ""]),
        ('"C:\\Program Files\\x.exe" y', ["C:\\Program Files\\x.exe", "y"]),
    ],
)
def test_reference_splitter_documented_examples(line: str, expected: list[str]) -> None:
    """The reference splitter reproduces Microsoft's documented examples."""
    assert split_argv(line) == expected


# ---------------------------------------------------------------- tests: cmd_arg / cmd_line


@settings(max_examples=400)
@given(st.lists(any_text, max_size=5))
def test_cmd_line_round_trips_or_refuses(args: list[str]) -> None:
    """Any list of strings either is refused or splits back to exactly itself (both rule sets)."""
    try:
        line = cmd_line("cluster.exe", *args)
    except UnsafeValueError:
        assert any(ch in a for a in args for ch in "\x00\r\n")
        return
    assert split_argv(line) == ["cluster.exe", *args]
    assert split_argv(line, msvcrt2008=False) == ["cluster.exe", *args]


@given(any_text)
def test_cmd_arg_only_refuses_uncarriable(value: str) -> None:
    """Only NUL and line breaks are refused for CreateProcess arguments."""
    carriable = not any(ch in value for ch in "\x00\r\n")
    try:
        cmd_arg(value)
    except UnsafeValueError as exc:
        assert not carriable
        assert "refusing" in str(exc)
    else:
        assert carriable


def test_cmd_arg_leaves_plain_words_alone() -> None:
    """Plain names stay readable in the operations log."""
    assert cmd_arg("NODE1") == "NODE1"
    assert cmd_arg("Cluster Group") == '"Cluster Group"'
    assert cmd_arg("") == '""'
    assert cmd_arg('a"b') == '"a\\"b"'
    assert cmd_arg("C:\\dir with space\\") == '"C:\\dir with space\\\\"'


def test_cmd_line_program_rules() -> None:
    """argv[0] has no escape: spaces are quoted, double quotes refused."""
    assert cmd_line("C:\\Program Files\\x.exe", "a") == '"C:\\Program Files\\x.exe" a'
    with pytest.raises(UnsafeValueError):
        cmd_line('bad"prog')
    with pytest.raises(UnsafeValueError):
        cmd_line("")


# ---------------------------------------------------------------- tests: cmd.exe


@settings(max_examples=400)
@given(st.lists(any_text, max_size=4))
def test_cmd_exe_line_is_inert_for_cmd_and_round_trips(args: list[str]) -> None:
    """Through cmd.exe: nothing is exposed to cmd and the program still gets exact argv."""
    try:
        line = cmd_exe_line("cluster", *args)
    except UnsafeValueError as exc:
        assert any(ch in a for a in args for ch in '%!"\x00\r\n'), exc
        return
    assert cmd_exe_exposed(line) == []
    assert not line.startswith('"')  # cmd /c would strip the first and last quote
    assert split_argv(line) == ["cluster", *args]


@pytest.mark.parametrize("value", ["50%", "a!b", 'say "hi"', "two\r\nlines", "nul\x00"])
def test_cmd_exe_arg_refuses_what_quotes_cannot_protect(value: str) -> None:
    """%, !, double quote, line breaks and NUL are refused with a reason."""
    with pytest.raises(UnsafeValueError) as info:
        cmd_exe_arg(value)
    assert info.value.value == value
    assert info.value.reason


def test_cmd_exe_arg_quotes_metacharacters() -> None:
    """& | < > ^ ( ) are safe inside quotes; a trailing backslash is doubled."""
    assert cmd_exe_arg("a&b|c") == '"a&b|c"'
    assert cmd_exe_arg("C:\\x\\") == '"C:\\x\\\\"'
    with pytest.raises(UnsafeValueError):
        cmd_exe_line("evil&calc", "x")


# ---------------------------------------------------------------- tests: PowerShell


@settings(max_examples=400)
@given(any_text)
def test_ps_literal_round_trips_or_refuses(value: str) -> None:
    """Every string but one with NUL evaluates back to itself."""
    try:
        lit = ps_literal(value)
    except UnsafeValueError:
        assert "\x00" in value
        return
    assert ps_eval_single_quoted(lit) == value


def test_ps_literal_doubles_lookalike_quotes() -> None:
    """U+2018..U+201B act as quotes in PowerShell and are doubled like '."""
    assert ps_literal("O'Brien") == "'O''Brien'"
    assert ps_literal("a\u2019b") == "'a\u2019\u2019b'"
    assert ps_literal("\u201a\u201b\u2018") == "'\u201a\u201a\u201b\u201b\u2018\u2018'"
    assert ps_literal("$(calc)") == "'$(calc)'"


def test_ps_array() -> None:
    """Arrays are comma-separated literals; empty gives @()."""
    assert ps_array([]) == "@()"
    assert ps_array(["a", "b'c"]) == "@('a','b''c')"


@given(any_text)
def test_ps_native_arg_round_trips_through_ps2_native_passing(value: str) -> None:
    """PowerShell 2.0 wraps args with whitespace in quotes; the program must get the value back."""
    try:
        lit = ps_native_arg(value)
    except UnsafeValueError:
        return
    evaluated = ps_eval_single_quoted(lit)
    passed = f'"{evaluated}"' if (" " in evaluated or "\t" in evaluated) else evaluated
    assert split_argv("prog " + passed) == ["prog", value]


# ---------------------------------------------------------------- tests: cluster.exe


@given(any_text)
def test_cluster_option_round_trips(value: str) -> None:
    """The program sees exactly /option:value."""
    try:
        opt = cluster_option("move", value)
    except UnsafeValueError:
        assert any(ch in value for ch in "\x00\r\n")
        return
    assert split_argv("cluster " + opt) == ["cluster", "/move:" + value]


def test_cluster_option_documented_spelling() -> None:
    """Matches the documented /move:"Node Name" form."""
    assert cluster_option("move", "NODE2") == "/move:NODE2"
    assert cluster_option("move", "Node Name") == '/move:"Node Name"'
    assert cluster_option("status") == "/status"
    with pytest.raises(UnsafeValueError):
        cluster_option("move /delete", "x")


@pytest.mark.parametrize("name", ["/delete", "-x", "", "a\nb"])
def test_cluster_name_refuses_switch_lookalikes(name: str) -> None:
    """Names cluster.exe would read as switches (or cannot carry) are refused."""
    with pytest.raises(UnsafeValueError):
        cluster_name(name)


@given(any_text)
def test_cluster_name_round_trips(name: str) -> None:
    """Accepted names split back to themselves."""
    try:
        arg = cluster_name(name)
    except UnsafeValueError:
        return
    assert name and name[0] not in "/-"
    assert split_argv("cluster group " + arg + " /status") == ["cluster", "group", name, "/status"]


# ---------------------------------------------------------------- tests: XPath


@given(any_text)
def test_xpath_literal(value: str) -> None:
    """Picks the quote that does not occur; refuses values with both or NUL."""
    try:
        lit = xpath_literal(value)
    except UnsafeValueError:
        assert ("'" in value and '"' in value) or "\x00" in value
        return
    assert lit[0] == lit[-1] and lit[0] in "'\""
    assert lit[1:-1] == value
    assert lit[0] not in value


def test_ps_native_command_and_line_limits() -> None:
    """The PowerShell 2.0 native call form, and Windows' command-line length limits."""
    assert ps_native_command("cluster.exe", "group", "Cluster Group", "/move:NODE 2") == (
        "& 'cluster.exe' 'group' 'Cluster Group' '/move:NODE 2'"
    )
    with pytest.raises(UnsafeValueError):
        ps_native_command("cluster.exe", "a\tb")
    with pytest.raises(UnsafeValueError, match="too long"):
        cmd_exe_line("cluster", "x" * 9000)
    assert len(cmd_line("cluster", "x" * 9000)) > 9000
    with pytest.raises(UnsafeValueError, match="too long"):
        cmd_line("cluster", "x" * 40000)
