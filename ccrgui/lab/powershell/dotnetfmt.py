""".NET composite formatting (`-f`, [string]::Format) and the common numeric and date format
strings, en-US culture."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import Any

from .values import PSValueError, datetime_display, display_string, format_float, to_string

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def composite_format(fmt: str, args: list[Any]) -> str:
    out: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c == "{":
            if fmt[i + 1 : i + 2] == "{":
                out.append("{")
                i += 2
                continue
            end = fmt.find("}", i)
            if end < 0:
                raise PSValueError("Input string was not in a correct format.", "FormatError")
            spec = fmt[i + 1 : end]
            m = re.fullmatch(r"\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?(?::(.*))?", spec, re.DOTALL)
            if not m:
                raise PSValueError("Input string was not in a correct format.", "FormatError")
            idx = int(m.group(1))
            if idx >= len(args):
                raise PSValueError(
                    "Index (zero based) must be greater than or equal to zero and less than the size of the "
                    "argument list.",
                    "FormatError",
                )
            text = format_value(args[idx], m.group(3))
            if m.group(2):
                width = int(m.group(2))
                text = text.rjust(width) if width > 0 else text.ljust(-width)
            out.append(text)
            i = end + 1
            continue
        if c == "}":
            if fmt[i + 1 : i + 2] == "}":
                out.append("}")
                i += 2
                continue
            raise PSValueError("Input string was not in a correct format.", "FormatError")
        out.append(c)
        i += 1
    return "".join(out)


def format_value(v: Any, fmt: str | None) -> str:
    if not fmt:
        if isinstance(v, dt.datetime):
            return datetime_display(v)
        if isinstance(v, list):
            return "System.Object[]"
        return display_string(v)
    if isinstance(v, dt.datetime):
        return format_datetime(v, fmt)
    if isinstance(v, bool) or not isinstance(v, int | float | decimal.Decimal):
        return to_string(v)
    return format_number(v, fmt)


def _group(digits: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return ",".join(out)


def format_number(v: Any, fmt: str) -> str:
    m = re.fullmatch(r"([A-Za-z])(\d*)", fmt)
    if m:
        kind, prec_s = m.group(1), m.group(2)
        prec = int(prec_s) if prec_s else None
        k = kind.upper()
        if k == "D":
            if not isinstance(v, int):
                raise PSValueError("Format specifier was invalid.", "FormatError")
            s = str(abs(v)).rjust(prec or 0, "0")
            return ("-" if v < 0 else "") + s
        if k == "X":
            s = format(int(v), "x" if kind == "x" else "X")
            return s.rjust(prec or 0, "0")
        if k in ("N", "F"):
            p = 2 if prec is None else prec
            q = _round(v, p)
            s = f"{abs(q):.{p}f}"
            whole, _, frac = s.partition(".")
            if k == "N":
                whole = _group(whole)
            res = whole + ("." + frac if frac else "")
            return ("-" if q < 0 else "") + res
        if k == "P":
            p = 2 if prec is None else prec
            return format_number(v * 100, f"N{p}") + " %"
        if k == "G":
            return format_float(float(v)) if isinstance(v, float) else str(v)
        if k == "E":
            p = 6 if prec is None else prec
            s = f"{float(v):.{p}E}"
            mant, exp = s.split("E")
            return f"{mant}{'E' if kind == 'E' else 'e'}{exp[0]}{exp[1:].rjust(3, '0')}"
        if k == "C":
            p = 2 if prec is None else prec
            return "$" + format_number(v, f"N{p}")
    return custom_number(v, fmt)


def _round(v: Any, places: int) -> float:
    q = decimal.Decimal(str(v)).quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    return float(q)


def custom_number(v: Any, fmt: str) -> str:
    """Custom numeric formats built from 0, #, '.', ',' (the common subset)."""
    if not re.fullmatch(r"[0#,.]+", fmt):
        return to_string(v)
    int_part, _, frac_part = fmt.partition(".")
    places = len(frac_part)
    q = _round(v, places)
    s = f"{abs(q):.{places}f}"
    whole, _, frac = s.partition(".")
    min_int = int_part.count("0")
    whole = whole.lstrip("0") or ""
    whole = whole.rjust(min_int, "0")
    if "," in int_part and whole:
        whole = _group(whole)
    if frac:
        keep = len(frac_part.rstrip("#"))
        frac = frac.rstrip("0")
        frac = frac.ljust(keep, "0")
    res = whole + ("." + frac if frac else "")
    if not res:
        res = "0" if min_int else ""
    return ("-" if q < 0 and res.strip("0.") else "") + res


def format_datetime(v: dt.datetime, fmt: str) -> str:
    if len(fmt) == 1:
        std = {
            "d": "M/d/yyyy",
            "D": "dddd, MMMM dd, yyyy",
            "t": "h:mm tt",
            "T": "h:mm:ss tt",
            "f": "dddd, MMMM dd, yyyy h:mm tt",
            "F": "dddd, MMMM dd, yyyy h:mm:ss tt",
            "g": "M/d/yyyy h:mm tt",
            "G": "M/d/yyyy h:mm:ss tt",
            "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
            "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
            "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
            "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
            "M": "MMMM dd",
            "m": "MMMM dd",
            "y": "MMMM, yyyy",
            "Y": "MMMM, yyyy",
            "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
            "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        }
        if fmt in std:
            fmt = std[fmt]
        else:
            raise PSValueError("Input string was not in a correct format.", "FormatError")
    out: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c in "'\"":
            end = fmt.find(c, i + 1)
            if end < 0:
                end = n
            out.append(fmt[i + 1 : end])
            i = end + 1
            continue
        if c == "\\" and i + 1 < n:
            out.append(fmt[i + 1])
            i += 2
            continue
        j = i
        while j < n and fmt[j] == c:
            j += 1
        count = j - i
        out.append(_dt_token(v, c, count))
        i = j
    return "".join(out)


def _dt_token(v: dt.datetime, c: str, count: int) -> str:
    token = _DT_TOKENS.get(c)
    if token is None:
        return c * count  # ":" and "/" repeat too
    return token(v, c, count)


def _dt_year(v: dt.datetime, c: str, count: int) -> str:
    return str(v.year % 100).rjust(2, "0") if count <= 2 else str(v.year).rjust(count, "0")


def _dt_month(v: dt.datetime, c: str, count: int) -> str:
    if count == 1:
        return str(v.month)
    if count == 2:
        return f"{v.month:02d}"
    if count == 3:
        return MONTHS[v.month - 1][:3]
    return MONTHS[v.month - 1]


def _dt_day(v: dt.datetime, c: str, count: int) -> str:
    if count == 1:
        return str(v.day)
    if count == 2:
        return f"{v.day:02d}"
    if count == 3:
        return DAYS[v.weekday()][:3]
    return DAYS[v.weekday()]


def _dt_hour12(v: dt.datetime, c: str, count: int) -> str:
    h = v.hour % 12 or 12
    return f"{h:02d}" if count >= 2 else str(h)


def _dt_two_digits(v: dt.datetime, c: str, count: int) -> str:
    value = {"H": v.hour, "m": v.minute, "s": v.second}[c]
    return f"{value:02d}" if count >= 2 else str(value)


def _dt_fraction(v: dt.datetime, c: str, count: int) -> str:
    digits = f"{v.microsecond:06d}0"[:count]
    return digits.rstrip("0") if c == "F" else digits


def _dt_ampm(v: dt.datetime, c: str, count: int) -> str:
    text = "AM" if v.hour < 12 else "PM"
    return text[:count]


def _dt_kind(v: dt.datetime, c: str, count: int) -> str:
    if v.tzinfo is None:
        return ""
    off = v.utcoffset() or dt.timedelta(0)
    if off == dt.timedelta(0) and v.tzinfo is dt.UTC:
        return "Z"
    return _offset(off)


def _dt_zone(v: dt.datetime, c: str, count: int) -> str:
    off = (v.utcoffset() or dt.timedelta(0)) if v.tzinfo else dt.timedelta(0)
    total = int(off.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hh, mm = divmod(abs(total), 60)
    if count == 1:
        return f"{sign}{hh}"
    if count == 2:
        return f"{sign}{hh:02d}"
    return f"{sign}{hh:02d}:{mm:02d}"


# Custom date/time format letter -> its text for a run of `count` such letters.
_DT_TOKENS: dict[str, Callable[[dt.datetime, str, int], str]] = {
    "y": _dt_year,
    "M": _dt_month,
    "d": _dt_day,
    "H": _dt_two_digits,
    "h": _dt_hour12,
    "m": _dt_two_digits,
    "s": _dt_two_digits,
    "f": _dt_fraction,
    "F": _dt_fraction,
    "t": _dt_ampm,
    "K": _dt_kind,
    "z": _dt_zone,
}


def _offset(off: dt.timedelta) -> str:
    total = int(off.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hh, mm = divmod(abs(total), 60)
    return f"{sign}{hh:02d}:{mm:02d}"
