"""How a Windows C program splits its command line into argv (the lab side; the backend quotes).

Rules of the Microsoft C runtime's startup code (`parse_cmdline`), which cluster.exe,
wevtutil.exe and setup.com use:

* argv[0] (the program name) is special: quotes toggle a quoted span and are dropped, but
  backslashes are never escapes; it ends at the first space or tab outside quotes.
* Later arguments are separated by runs of spaces/tabs outside quotes.
* 2n backslashes followed by `"` give n backslashes and the quote toggles quoted mode;
  2n+1 backslashes followed by `"` give n backslashes and a literal `"`;
  backslashes not followed by `"` are literal.
* Inside a quoted span, `""` is a literal `"`.  The C runtime since VS2008 stays in quoted
  mode after it; the older msvcrt.dll rule (and CommandLineToArgvW) leaves quoted mode.
  `post2008=False` selects the older rule.

This module is the lab's own implementation; it shares nothing with `ccrgui/quoting.py`.
"""

from __future__ import annotations

_WS = " \t"


def split_program_name(line: str) -> tuple[str, int]:
    """argv[0] and the index where the rest of the line starts (after argv[0]'s terminator)."""
    i = 0
    n = len(line)
    in_quotes = False
    out: list[str] = []
    while i < n:
        c = line[i]
        if c == '"':
            in_quotes = not in_quotes
            i += 1
            continue
        if not in_quotes and c in _WS:
            i += 1
            break
        out.append(c)
        i += 1
    return "".join(out), i


def split_args(text: str, *, post2008: bool = True) -> list[str]:
    """Split the arguments after argv[0] by the C runtime's rules."""
    args: list[str] = []
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in _WS:
            i += 1
        if i >= n:
            break
        buf: list[str] = []
        in_quotes = False
        while i < n:
            slashes = 0
            while i < n and text[i] == "\\":
                slashes += 1
                i += 1
            if i < n and text[i] == '"':
                buf.append("\\" * (slashes // 2))
                if slashes % 2:
                    buf.append('"')
                    i += 1
                    continue
                if in_quotes and i + 1 < n and text[i + 1] == '"':
                    buf.append('"')
                    i += 2
                    if not post2008:
                        in_quotes = False
                    continue
                in_quotes = not in_quotes
                i += 1
                continue
            buf.append("\\" * slashes)
            if i >= n:
                break
            c = text[i]
            if not in_quotes and c in _WS:
                break
            buf.append(c)
            i += 1
        args.append("".join(buf))
    return args


def split_command_line(line: str, *, post2008: bool = True) -> list[str]:
    """The argv a C program started with `line` sees (argv[0] included)."""
    prog, rest = split_program_name(line)
    return [prog, *split_args(line[rest:], post2008=post2008)]
