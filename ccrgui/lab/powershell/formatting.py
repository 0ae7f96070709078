"""Console formatting as PowerShell 2.0's Out-Default / Out-String / Format-List / Format-Table
render it on an 80-column buffer.

* List: a blank line, then per object a blank line and `Label : value` lines, labels padded to the
  longest label; values hard-wrapped at column 79 onto continuation lines indented to the value
  column (VERBATIM in the EMS sample `ems-get-umserver_get-exchangeserver-fl_ex2007sp1.txt`);
  an empty value leaves `Label :` with no trailing blank (same sample); two blank lines at the end.
* Table: a blank line, header, dashes under each label, rows, two blank lines.  Without widths from a
  view, the 79 usable columns are shared equally (PowerShell's non -AutoSize behaviour); long
  values end in "...", numbers are right-aligned.
* Collections show as `{a, b}` with at most $FormatEnumerationLimit (4 in a plain powershell.exe;
  the EMS profile raises it, but -NoProfile skips that) items, then "...".
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from .dotnetfmt import format_datetime
from .errors import ErrorRecord, console_wrap
from .operators import like
from .values import (
    PSEnum,
    PSGuid,
    PSHashtable,
    PSObject,
    TimeSpan,
    TypeRef,
    display_string,
    format_float,
)

ENUM_LIMIT = 4


def is_scalar(v: Any) -> bool:
    return (
        isinstance(
            v,
            str
            | int
            | float
            | decimal.Decimal
            | bool
            | dt.datetime
            | PSEnum
            | PSGuid
            | TimeSpan
            | TypeRef
            | bytes,
        )
        or v is None
    )


def value_text(v: Any, limit: int = ENUM_LIMIT) -> str:
    """A property value as Format-List/Format-Table show it."""
    if v is None:
        return ""
    if isinstance(v, list | tuple | bytes | bytearray):
        items = [value_text(x, limit) for x in list(v)[:limit]]
        more = "..." if len(v) > limit else ""
        return "{" + ", ".join(items) + more + "}"
    if isinstance(v, float):
        return format_float(v)
    if isinstance(v, PSHashtable):
        return (
            "{" + ", ".join(str(k) for k in list(v.keys())[:limit]) + ("..." if len(v) > limit else "") + "}"
        )
    if isinstance(v, ErrorRecord):
        return v.message
    return display_string(v)


def object_properties(obj: Any) -> list[tuple[str, Any]]:
    if isinstance(obj, PSObject):
        return [(p.name, p.value) for p in obj.props]
    if isinstance(obj, PSHashtable):
        return [("Name", k) for k in obj] if False else [(str(k), v) for k, v in obj.items()]
    return []


def format_list(
    objects: list[Any], width: int = 80, properties: list[str] | None = None, limit: int = ENUM_LIMIT
) -> str:
    out = ["\r\n"]
    for obj in objects:
        if is_scalar(obj):
            out.append("\r\n" + value_text(obj, limit) + "\r\n")
            continue
        if isinstance(obj, ErrorRecord):
            out.append("\r\n" + "\r\n".join(obj.render(width)) + "\r\n")
            continue
        if not properties and isinstance(obj, PSObject) and obj.list_columns:
            props = [(name, obj[name]) for name in obj.list_columns]
        else:
            props = select_props(obj, properties)
        if not props:
            out.append("\r\n")
            continue
        label_w = max(len(name) for name, _ in props)
        lines: list[str] = []
        value_w = max(1, (width - 1) - (label_w + 3))
        for name, value in props:
            text = value_text(value, limit)
            prefix = name.ljust(label_w) + " : "
            text_lines = text.replace("\r\n", "\n").split("\n") if text else [""]
            first = True
            for tl in text_lines:
                chunks = [tl[i : i + value_w] for i in range(0, len(tl), value_w)] or [""]
                for chunk in chunks:
                    lead = prefix if first else " " * (label_w + 3)
                    lines.append((lead + chunk).rstrip())
                    first = False
        out.append("\r\n" + "".join(line + "\r\n" for line in lines))
    out.append("\r\n\r\n")
    return "".join(out)


def select_props(obj: Any, properties: list[str] | None) -> list[tuple[str, Any]]:
    props = object_properties(obj)
    if not properties or properties == ["*"]:
        return props

    chosen: list[tuple[str, Any]] = []
    for want in properties:
        for name, value in props:
            if like(name, want, False) and (name, value) not in chosen:
                chosen.append((name, value))
    return chosen


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | decimal.Decimal) and not isinstance(v, bool)


def column_widths(n: int, width: int, fixed: list[int | None] | None = None) -> list[int]:
    fixed = fixed or [None] * n
    available = (width - 1) - (n - 1) - sum(w for w in fixed if w)
    free = [i for i, w in enumerate(fixed) if not w]
    widths = [w or 0 for w in fixed]
    if free:
        base = max(1, available // len(free))
        extra = max(0, available - base * len(free))
        for k, i in enumerate(free):
            widths[i] = base + (1 if k < extra else 0)
    return widths


def _fit(text: str, w: int, right: bool) -> str:
    if len(text) > w:
        text = text[: max(0, w - 3)] + "..." if w > 3 else text[:w]
    return text.rjust(w) if right else text.ljust(w)


def format_table(
    objects: list[Any],
    width: int = 80,
    properties: list[str] | None = None,
    fixed: list[int | None] | None = None,
    limit: int = ENUM_LIMIT,
    autosize: bool = False,
) -> str:
    rows_src = [o for o in objects if not is_scalar(o)]
    if not rows_src:
        return "".join(value_text(o) + "\r\n" for o in objects)
    first = rows_src[0]
    if properties:
        names = [name for name, _ in select_props(first, properties)]
    elif isinstance(first, PSObject) and first.table_columns:
        names = list(first.table_columns)
    else:
        names = [name for name, _ in object_properties(first)]
    values = [[_lookup(o, name) for name in names] for o in rows_src]
    texts = [[value_text(v, limit) for v in row] for row in values]
    numeric = [
        all(_is_number(row[i]) for row in values if row[i] is not None)
        and any(row[i] is not None for row in values)
        for i in range(len(names))
    ]
    if autosize:
        widths = [max([len(names[i])] + [len(r[i]) for r in texts]) for i in range(len(names))]
    else:
        widths = column_widths(len(names), width, fixed)
    lines = []
    lines.append(" ".join(_fit(names[i], widths[i], numeric[i]) for i in range(len(names))))
    lines.append(" ".join(_fit("-" * len(names[i]), widths[i], numeric[i]) for i in range(len(names))))
    for row in texts:
        lines.append(" ".join(_fit(row[i], widths[i], numeric[i]) for i in range(len(names))))
    return "\r\n" + "".join(line + "\r\n" for line in lines) + "\r\n\r\n"


def _lookup(obj: Any, name: str) -> Any:
    if isinstance(obj, PSObject):
        if obj.get(name) is None and name in obj.column_alias:
            return obj[obj.column_alias[name]]
        return obj[name]
    if isinstance(obj, PSHashtable):
        return obj.lookup(name)
    return None


def hashtable_table(h: PSHashtable, width: int = 80) -> str:
    rows = [PSObject("System.Collections.DictionaryEntry", [])]
    rows = []
    for k, v in h.items():
        o = PSObject("System.Collections.DictionaryEntry")
        o.set("Name", k)
        o.set("Value", v)
        rows.append(o)
    if not rows:
        return ""
    return format_table(rows, width, fixed=[30, None])


def view_of(obj: Any) -> str:
    if isinstance(obj, PSObject):
        if obj.default_view != "auto":
            return obj.default_view
        return "table" if len(obj.props) <= 4 else "list"
    return "table"


def out_string(items: list[Any], width: int = 80, limit: int = ENUM_LIMIT) -> str:
    """What Out-Default writes (and Out-String returns) for a sequence of pipeline objects."""
    parts: list[str] = []
    i = 0
    while i < len(items):
        obj = items[i]
        if isinstance(obj, FormattedText):
            parts.append(obj.text)
            i += 1
            continue
        if isinstance(obj, dt.datetime):
            # DateTime's own view: a blank line, the long date and time, two blank lines

            parts.append("\r\n" + format_datetime(obj, "dddd, MMMM dd, yyyy h:mm:ss tt") + "\r\n\r\n\r\n")
            i += 1
            continue
        if is_scalar(obj):
            parts.append(_scalar(obj) + "\r\n")
            i += 1
            continue
        if isinstance(obj, ErrorRecord):
            parts.append("".join(line + "\r\n" for line in console_wrap(obj.render(width), width)))
            i += 1
            continue
        if isinstance(obj, PSHashtable):
            parts.append(hashtable_table(obj, width))
            i += 1
            continue
        if isinstance(obj, list):
            parts.append(out_string(obj, width, limit))
            i += 1
            continue
        if not isinstance(obj, PSObject):
            parts.append(display_string(obj) + "\r\n")
            i += 1
            continue
        # a run of objects of the same type shares one view (one table header)
        j = i
        while j < len(items) and isinstance(items[j], PSObject) and items[j].type_name == obj.type_name:
            j += 1
        group = items[i:j]
        if view_of(obj) == "list":
            parts.append(format_list(group, width, limit=limit))
        else:
            fixed = obj.column_widths
            parts.append(format_table(group, width, fixed=fixed, limit=limit))
        i = j
    return "".join(parts)


def _scalar(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bytes):
        return "\r\n".join(str(b) for b in v)
    return value_text(v)


def host_wrap(text: str, width: int = 80) -> str:
    """PowerShell 2.0's console host breaks every output line longer than the buffer width
    (pywinrm issue #216: "a line break appear every 80 chars in the returned std_out")."""
    if len(text) <= width:
        return text
    out: list[str] = []
    for segment in text.split("\n"):
        cr = segment.endswith("\r")
        body = segment[:-1] if cr else segment
        if len(body) > width:
            body = "\r\n".join(body[i : i + width] for i in range(0, len(body), width))
        out.append(body + ("\r" if cr else ""))
    return "\n".join(out)


class FormattedText:
    """Output of Format-List/Format-Table: already-rendered text that Out-Default writes as is."""

    dotnet_type = "Microsoft.PowerShell.Commands.Internal.Format.FormatStartData"

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.dotnet_type
