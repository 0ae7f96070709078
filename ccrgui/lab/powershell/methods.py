"""Members of the .NET objects the subset exposes: string/array/hashtable/DateTime members,
error records, static members ([Convert], [Text.Encoding], [Console], [guid], [DateTime], ...)
and casts."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .conversions import as_bytes as _as_bytes
from .conversions import convert_to as convert_to  # re-exported: callers import it from here
from .conversions import parse_datetime as parse_datetime
from .dotnetfmt import composite_format, format_datetime, format_number
from .errors import ErrorRecord, Position, PSRuntimeError
from .operators import dotnet_regex, dotnet_replacement, equals
from .streams import DotNetStream, compression_mode, is_compression_mode_type
from .values import (
    ArrayList,
    Int64,
    PSEnum,
    PSGuid,
    PSHashtable,
    PSObject,
    PSValueError,
    ScriptBlock,
    TimeSpan,
    TypeRef,
    datetime_display,
    dotnet_type,
    enumerate_value,
    to_bool,
    to_int,
    to_number,
    to_string,
)

if TYPE_CHECKING:
    from . import nodes as n
    from .interpreter import Interpreter


@dataclass
class Encoding:
    name: str  # python codec
    web_name: str
    dotnet_type = "System.Text.UTF8Encoding"

    def __str__(self) -> str:
        return {
            "utf-8": "System.Text.UTF8Encoding",
            "utf-16-le": "System.Text.UnicodeEncoding",
            "ascii": "System.Text.ASCIIEncoding",
        }.get(self.name, "System.Text.SBCSCodePageEncoding")


@dataclass
class ConsoleWriter:
    interp: Any
    stream: str
    dotnet_type = "System.IO.TextWriter+SyncTextWriter"

    def __str__(self) -> str:
        return "System.IO.TextWriter+SyncTextWriter"


def exception_object(rec: ErrorRecord) -> PSObject:
    inner = exception_object(rec.inner) if rec.inner is not None else None
    obj = PSObject(rec.exception_type, to_string=rec.message)
    obj.set("ErrorRecord", rec.inner if rec.extra.get("stopped") and rec.inner is not None else rec)
    obj.set("Message", rec.message)
    obj.set("Data", PSHashtable())
    obj.set("InnerException", inner)
    obj.set("TargetSite", None)
    obj.set("StackTrace", None)
    obj.set("HelpLink", None)
    obj.set("Source", None)
    return obj


def error_member(rec: ErrorRecord, name: str) -> Any:
    low = name.casefold()
    if low == "exception":
        return exception_object(rec)
    if low == "fullyqualifiederrorid":
        return rec.error_id
    if low == "categoryinfo":
        ci = PSObject("System.Management.Automation.ErrorCategoryInfo", to_string=rec.category_info())
        ci.set("Category", PSEnum("System.Management.Automation.ErrorCategory", rec.category))
        ci.set("Activity", rec.activity)
        ci.set("Reason", rec.reason)
        ci.set("TargetName", "" if rec.target is None else to_string(rec.target))
        ci.set("TargetType", rec.target_type)
        return ci
    if low == "targetobject":
        return rec.target
    if low == "invocationinfo":
        if rec.position is None:
            return None
        info = PSObject("System.Management.Automation.InvocationInfo")
        info.set("PositionMessage", rec.position.message())
        info.set("Line", rec.position.text)
        return info
    if low == "errordetails":
        return None
    return None


def get_property(interp: Interpreter, target: Any, name: str) -> Any:
    low = name.casefold()
    if target is None:
        return None
    for types, read in _PROPERTIES:
        if isinstance(target, types):
            return read(target, name, low)
    return None


def _psobject_property(target: PSObject, name: str, low: str) -> Any:
    p = target.get(name)
    if p is not None:
        return p.value
    return None


def _error_property(target: ErrorRecord, name: str, low: str) -> Any:
    return error_member(target, name)


def _hashtable_property(target: PSHashtable, name: str, low: str) -> Any:
    if target.has(name):
        return target.lookup(name)
    if low == "count":
        return len(target)
    if low == "keys":
        return list(target.keys())
    if low == "values":
        return list(target.values())
    return None


def _string_property(target: str, name: str, low: str) -> Any:
    if low == "length":
        return len(target)
    return None


def _sequence_property(target: list[Any] | bytes | bytearray, name: str, low: str) -> Any:
    if low in ("count", "length"):
        return len(target)
    if low == "rank":
        return 1
    return None  # PowerShell 2.0 has no member enumeration


def _datetime_property(target: dt.datetime, name: str, low: str) -> Any:
    table = {
        "year": target.year,
        "month": target.month,
        "day": target.day,
        "hour": target.hour,
        "minute": target.minute,
        "second": target.second,
        "millisecond": target.microsecond // 1000,
        "dayofweek": PSEnum("System.DayOfWeek", target.strftime("%A"), (target.weekday() + 1) % 7),
        "dayofyear": target.timetuple().tm_yday,
        "date": target.replace(hour=0, minute=0, second=0, microsecond=0),
        "ticks": Int64(_ticks(target)),
        "kind": PSEnum("System.DateTimeKind", "Utc" if target.tzinfo else "Local"),
    }
    return table.get(low)


def _timespan_property(target: TimeSpan, name: str, low: str) -> Any:
    s = target.seconds
    table2 = {
        "totalseconds": s,
        "totalmilliseconds": s * 1000,
        "totalminutes": s / 60,
        "totalhours": s / 3600,
        "totaldays": s / 86400,
        "seconds": int(s) % 60,
        "minutes": int(s) // 60 % 60,
        "hours": int(s) // 3600 % 24,
        "days": int(s) // 86400,
        "milliseconds": round(s * 1000) % 1000,
    }
    return table2.get(low)


def _type_property(target: TypeRef, name: str, low: str) -> Any:
    if low == "fullname":
        return target.name
    if low == "name":
        return target.name.rsplit(".", 1)[-1]
    return None


def _enum_property(target: PSEnum, name: str, low: str) -> Any:
    if low == "value__":
        return target.value
    return None


def _no_property(target: Any, name: str, low: str) -> Any:
    return None


def _stream_property(target: DotNetStream, name: str, low: str) -> Any:
    return target.property(low)


def _encoding_property(target: Encoding, name: str, low: str) -> Any:
    if low == "webname":
        return target.web_name
    return None


# Value type -> its properties, in the order the types are tried.
_PROPERTIES: tuple[tuple[type | tuple[type, ...], Callable[[Any, str, str], Any]], ...] = (
    (PSObject, _psobject_property),
    (ErrorRecord, _error_property),
    (PSHashtable, _hashtable_property),
    (str, _string_property),
    ((list, bytes, bytearray), _sequence_property),
    (dt.datetime, _datetime_property),
    (TimeSpan, _timespan_property),
    (TypeRef, _type_property),
    (PSEnum, _enum_property),
    ((PSGuid, ScriptBlock), _no_property),
    (DotNetStream, _stream_property),
    (Encoding, _encoding_property),
)


def _ticks(d: dt.datetime) -> int:
    base = dt.datetime(1, 1, 1, tzinfo=d.tzinfo)
    delta = d - base
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _method_not_found(target: Any, name: str, node: n.Node, interp: Interpreter) -> PSRuntimeError:
    tname = dotnet_type(target)
    name_node = getattr(node, "name", None)
    if name_node is not None and hasattr(name_node, "end"):
        node = name_node
    rec = ErrorRecord(
        f"Method invocation failed because [{tname}] doesn't contain a method named '{name}'.",
        "MethodNotFound",
        "InvalidOperation",
        target=name,
        target_type="String",
        reason="RuntimeException",
        position=Position(interp.current_text(node), node.end),
    )
    return PSRuntimeError(rec)


def _argc(args: list[Any], *counts: int) -> None:
    if len(args) not in counts:
        raise PSValueError(
            f'Cannot find an overload for the method and the argument count: "{len(args)}".',
            "MethodCountCouldNotFindBest",
        )


def call_method(interp: Interpreter, target: Any, name: str, args: list[Any], node: n.Node) -> Any:
    low = name.casefold()
    if target is None:
        node = getattr(node, "name", node)
        rec = ErrorRecord(
            "You cannot call a method on a null-valued expression.",
            "InvokeMethodOnNull",
            "InvalidOperation",
            reason="RuntimeException",
            position=Position(interp.current_text(node), node.end),
        )
        raise PSRuntimeError(rec)
    result = _any_method(interp, target, low, args)
    if result is not _NOT_FOUND:
        return result
    if isinstance(target, str):
        return string_method(target, low, name, args, node, interp)
    for types, call in _METHODS:
        if isinstance(target, types):
            result = call(interp, target, low, args)
            if result is not _NOT_FOUND:
                return result
            break
    raise _method_not_found(target, name, node, interp)


_NOT_FOUND: Any = object()  # a method table's answer for a method the type does not have


def _any_method(interp: Interpreter, target: Any, low: str, args: list[Any]) -> Any:
    if low == "gettype" and not args:
        return TypeRef(dotnet_type(target))
    if low == "tostring" and isinstance(target, dt.datetime):
        if args:
            return format_datetime(target, to_string(args[0]))
        return datetime_display(target)
    if low == "tostring" and isinstance(target, int | float) and not isinstance(target, bool) and args:
        return format_number(target, to_string(args[0]))
    if low == "tostring" and not args:
        if isinstance(target, ErrorRecord):
            return target.message
        return to_string(target)
    if low == "equals" and len(args) == 1:
        return equals(target, args[0], True)
    return _NOT_FOUND


def _console_method(interp: Interpreter, target: ConsoleWriter, low: str, args: list[Any]) -> Any:
    if low in ("write", "writeline"):
        text = to_string(args[0]) if args else ""
        if len(args) > 1:
            text = composite_format(text, args[1:])
        interp.io.write(text + ("\r\n" if low == "writeline" else ""), target.stream)
        return None
    if low == "flush":
        return None
    return _NOT_FOUND


def _stream_method(interp: Interpreter, target: DotNetStream, low: str, args: list[Any]) -> Any:
    found, result = target.call(low, args)
    if found:
        return result
    return _NOT_FOUND


def _encoding_method(interp: Interpreter, target: Encoding, low: str, args: list[Any]) -> Any:
    if low == "getstring":
        data = _as_bytes(args[0])
        if len(args) == 3:
            data = data[to_int(args[1]) : to_int(args[1]) + to_int(args[2])]
        return data.decode(target.name, errors="replace")
    if low == "getbytes":
        return to_string(args[0]).encode(target.name, errors="replace")
    return _NOT_FOUND


def _hashtable_method(interp: Interpreter, target: PSHashtable, low: str, args: list[Any]) -> Any:
    if low == "containskey" or low == "contains":
        return target.has(args[0])
    if low == "add":
        if target.has(args[0]):
            raise PSValueError(
                f"Item has already been added. Key in dictionary: '{to_string(args[0])}'  "
                f"Key being added: '{to_string(args[0])}'"
            )
        target.put(args[0], args[1])
        return None
    if low == "remove":
        target.remove(args[0])
        return None
    if low == "containsvalue":
        return any(v == args[0] for v in target.values())
    if low == "getenumerator":
        entries = []
        for k, v in target.items():
            e = PSObject("System.Collections.DictionaryEntry", default_view="table")
            e.set("Name", k)
            e.set("Key", k)
            e.set("Value", v)
            e.table_columns = ("Name", "Value")
            e.column_widths = [30, None]
            entries.append(e)
        return entries
    return _NOT_FOUND


def _list_method(interp: Interpreter, target: list[Any], low: str, args: list[Any]) -> Any:
    if low == "contains":
        return any(equals(v, args[0], True) for v in target)
    if low == "clear" and target is interp.errors:
        target.clear()
        return None
    if low == "add" and not isinstance(target, ArrayList):
        raise PSValueError("Collection was of a fixed size.", "NotSupportedException")
    if low == "add":
        target.append(args[0])
        return len(target) - 1
    if low == "indexof":
        return next((i for i, v in enumerate(target) if v == args[0]), -1)
    return _NOT_FOUND


def _datetime_method(interp: Interpreter, target: dt.datetime, low: str, args: list[Any]) -> Any:
    units = {
        "addseconds": 1,
        "addminutes": 60,
        "addhours": 3600,
        "adddays": 86400,
        "addmilliseconds": 0.001,
    }
    if low in units:
        return target + dt.timedelta(seconds=float(to_number(args[0])) * units[low])
    if low == "touniversaltime":
        return target if target.tzinfo else target.replace(tzinfo=dt.UTC)
    if low == "tolocaltime":
        return target
    if low == "subtract":
        other = args[0]
        if isinstance(other, dt.datetime):
            return TimeSpan((target - other).total_seconds())
    if low == "tofiletimeutc" or low == "tofiletime":
        return Int64(_ticks(target) - 504911232000000000)
    return _NOT_FOUND


def _scriptblock_method(interp: Interpreter, target: ScriptBlock, low: str, args: list[Any]) -> Any:
    if low in ("invoke", "invokereturnasis"):
        out: list[Any] = []
        interp.invoke_scriptblock(target, out.append, args=args)
        return out if len(out) != 1 else out[0]
    return _NOT_FOUND


def _guid_method(interp: Interpreter, target: PSGuid, low: str, args: list[Any]) -> Any:
    if low == "tostring":
        return str(target)
    return _NOT_FOUND


# Value type -> its instance methods, in the order the types are tried.
_METHODS: tuple[tuple[type, Callable[[Interpreter, Any, str, list[Any]], Any]], ...] = (
    (ConsoleWriter, _console_method),
    (DotNetStream, _stream_method),
    (Encoding, _encoding_method),
    (PSHashtable, _hashtable_method),
    (list, _list_method),
    (dt.datetime, _datetime_method),
    (ScriptBlock, _scriptblock_method),
    (PSGuid, _guid_method),
)


def string_method(s: str, low: str, name: str, args: list[Any], node: n.Node, interp: Interpreter) -> Any:
    a = [to_string(x) if not isinstance(x, int | list) else x for x in args]
    method = _STRING_METHODS.get(low)
    if method is not None:
        return method(s, low, args)
    del a
    raise _method_not_found(s, name, node, interp)


def _str_contains(s: str, low: str, args: list[Any]) -> Any:
    _argc(args, 1)
    return to_string(args[0]) in s


def _str_startswith(s: str, low: str, args: list[Any]) -> Any:
    return (
        s.startswith(to_string(args[0]))
        if len(args) == 1
        else s.casefold().startswith(to_string(args[0]).casefold())
    )


def _str_endswith(s: str, low: str, args: list[Any]) -> Any:
    return (
        s.endswith(to_string(args[0]))
        if len(args) == 1
        else s.casefold().endswith(to_string(args[0]).casefold())
    )


def _str_substring(s: str, low: str, args: list[Any]) -> Any:
    _argc(args, 1, 2)
    start = to_int(args[0])
    if start < 0 or start > len(s):
        raise PSValueError(
            "startIndex cannot be larger than length of string.\r\nParameter name: startIndex",
            "ArgumentOutOfRangeException",
        )
    if len(args) == 2:
        length = to_int(args[1])
        if length < 0 or start + length > len(s):
            raise PSValueError(
                "Index and length must refer to a location within the string.\r\nParameter name: length",
                "ArgumentOutOfRangeException",
            )
        return s[start : start + length]
    return s[start:]


def _str_indexof(s: str, low: str, args: list[Any]) -> Any:
    needle = to_string(args[0])
    if low == "indexof":
        start = to_int(args[1]) if len(args) > 1 else 0
        return s.find(needle, start)
    return s.rfind(needle)


def _str_split(s: str, low: str, args: list[Any]) -> Any:
    if not args:
        return s.split()
    seps = args[0]
    chars = (
        "".join(to_string(x) for x in enumerate_value(seps)) if isinstance(seps, list) else to_string(seps)
    )
    if not chars:
        return re.split(r"\s", s)
    return re.split("[" + re.escape(chars) + "]", s)


def _str_trim(s: str, low: str, args: list[Any]) -> Any:
    trim_chars: str | None = "".join(to_string(x) for x in args) if args else None
    if low == "trim":
        return s.strip(trim_chars) if trim_chars else s.strip()
    if low == "trimstart":
        return s.lstrip(trim_chars) if trim_chars else s.lstrip()
    return s.rstrip(trim_chars) if trim_chars else s.rstrip()


def _str_replace(s: str, low: str, args: list[Any]) -> Any:
    _argc(args, 2)
    old = to_string(args[0])
    if old == "":
        raise PSValueError(
            "String cannot be of zero length.\r\nParameter name: oldValue", "ArgumentException"
        )
    return s.replace(old, to_string(args[1]))


def _str_toupper(s: str, low: str, args: list[Any]) -> Any:
    return s.upper()


def _str_tolower(s: str, low: str, args: list[Any]) -> Any:
    return s.lower()


def _str_padleft(s: str, low: str, args: list[Any]) -> Any:
    width = to_int(args[0])
    ch = to_string(args[1]) if len(args) > 1 else " "
    return s.rjust(width, ch) if low == "padleft" else s.ljust(width, ch)


def _str_insert(s: str, low: str, args: list[Any]) -> Any:
    i = to_int(args[0])
    return s[:i] + to_string(args[1]) + s[i:]


def _str_remove(s: str, low: str, args: list[Any]) -> Any:
    i = to_int(args[0])
    if len(args) > 1:
        return s[:i] + s[i + to_int(args[1]) :]
    return s[:i]


def _str_tochararray(s: str, low: str, args: list[Any]) -> Any:
    return list(s)


def _str_compareto(s: str, low: str, args: list[Any]) -> Any:
    o = to_string(args[0])
    return (s > o) - (s < o)


def _str_normalize(s: str, low: str, args: list[Any]) -> Any:
    return s


# String method (lower case) -> implementation.
_STRING_METHODS: dict[str, Callable[[str, str, list[Any]], Any]] = {
    "contains": _str_contains,
    "startswith": _str_startswith,
    "endswith": _str_endswith,
    "substring": _str_substring,
    "indexof": _str_indexof,
    "lastindexof": _str_indexof,
    "split": _str_split,
    "trim": _str_trim,
    "trimstart": _str_trim,
    "trimend": _str_trim,
    "replace": _str_replace,
    "toupper": _str_toupper,
    "toupperinvariant": _str_toupper,
    "tolower": _str_tolower,
    "tolowerinvariant": _str_tolower,
    "padleft": _str_padleft,
    "padright": _str_padleft,
    "insert": _str_insert,
    "remove": _str_remove,
    "tochararray": _str_tochararray,
    "compareto": _str_compareto,
    "normalize": _str_normalize,
}


def get_static(interp: Interpreter, target: Any, name: str, node: n.Node) -> Any:
    if not isinstance(target, TypeRef):
        return None
    t = target.name.casefold()
    low = name.casefold()
    if is_compression_mode_type(t):
        return compression_mode(low)
    get = _STATIC_PROPERTIES.get(t)
    if get is None:
        return None
    value = get(interp, low)
    return None if value is _NOT_FOUND else value


def _get_encoding(interp: Interpreter, low: str) -> Any:
    return {
        "utf8": Encoding("utf-8", "utf-8"),
        "unicode": Encoding("utf-16-le", "utf-16"),
        "ascii": Encoding("ascii", "us-ascii"),
        "default": Encoding("cp1252", "Windows-1252"),
        "bigendianunicode": Encoding("utf-16-be", "unicodeFFFE"),
    }.get(low)


def _get_console(interp: Interpreter, low: str) -> Any:
    if low == "out":
        return ConsoleWriter(interp, "stdout")
    if low == "error":
        return ConsoleWriter(interp, "stderr")
    if low == "outputencoding":
        return Encoding(interp.io.encoding, interp.io.encoding)
    return _NOT_FOUND


def _get_datetime(interp: Interpreter, low: str) -> Any:
    now = _now(interp)
    if low == "utcnow":
        return now
    if low == "now":
        return now.replace(tzinfo=None)
    if low == "today":
        return now.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    if low == "minvalue":
        return dt.datetime(1, 1, 1)
    return _NOT_FOUND


def _get_environment(interp: Interpreter, low: str) -> Any:
    return {
        "newline": "\r\n",
        "machinename": interp.host.name.upper() if interp.host else "LOCALHOST",
        "username": interp.account.user if interp.account else "Administrator",
        "userdomainname": interp.account.domain if interp.account else "CONTOSO",
        "osversion": "Microsoft Windows NT 6.0.6001 Service Pack 1",
        "processorcount": 4,
        "version": "2.0.50727.4016",
    }.get(low)


def _get_int32(interp: Interpreter, low: str) -> Any:
    return {"maxvalue": 2**31 - 1, "minvalue": -(2**31)}.get(low)


def _get_string(interp: Interpreter, low: str) -> Any:
    if low == "empty":
        return ""
    return _NOT_FOUND


def _get_math(interp: Interpreter, low: str) -> Any:
    if low == "pi":
        return math.pi
    return _NOT_FOUND


# .NET type (lower case) -> its static properties.
_STATIC_PROPERTIES: dict[str, Callable[[Interpreter, str], Any]] = {
    "system.text.encoding": _get_encoding,
    "system.console": _get_console,
    "system.datetime": _get_datetime,
    "system.environment": _get_environment,
    "system.int32": _get_int32,
    "system.string": _get_string,
    "system.math": _get_math,
}


def _now(interp: Interpreter) -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def call_static(interp: Interpreter, target: Any, name: str, args: list[Any], node: n.Node) -> Any:
    if not isinstance(target, TypeRef):
        member = get_property(interp, target, name)
        del member
        raise _method_not_found(target, name, node, interp)
    t = target.name.casefold()
    low = name.casefold()
    call = _STATIC_METHODS.get(t)
    result = call(interp, low, args) if call is not None else _NOT_FOUND
    if result is _NOT_FOUND:
        raise _method_not_found(target, name, node, interp)
    return result


def _call_convert(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "frombase64string":
        text = to_string(args[0])
        try:
            cleaned = re.sub(r"\s", "", text)
            return base64.b64decode(cleaned, validate=True)
        except (binascii.Error, ValueError):
            raise PSValueError(
                "Invalid length for a Base-64 char array."
                if len(re.sub(r"\s", "", text)) % 4
                else "Invalid character in a Base-64 string.",
                "FormatException",
            ) from None
    if low == "tobase64string":
        return base64.b64encode(_as_bytes(args[0])).decode("ascii")
    if low == "toint32":
        if len(args) == 2:
            return int(to_string(args[0]), to_int(args[1]))
        return to_int(args[0])
    if low == "tostring":
        return to_string(args[0])
    if low == "toboolean":
        return to_bool(args[0])
    return _NOT_FOUND


def _call_guid(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "newguid":
        return PSGuid(uuid.uuid4())
    return _NOT_FOUND


def _call_string(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "isnullorempty":
        return args[0] is None or to_string(args[0]) == ""
    if low == "join":
        items = args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:]
        return to_string(args[0]).join(to_string(x) for x in items)
    if low == "format":
        rest = args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:]
        return composite_format(to_string(args[0]), list(rest))
    if low == "concat":
        return "".join(to_string(x) for x in args)
    return _NOT_FOUND


def _call_math(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "round":
        v = to_number(args[0])
        places = to_int(args[1]) if len(args) > 1 else 0
        q = decimal.Decimal(str(v)).quantize(
            decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN
        )
        return float(q) if places else float(int(q))
    if low in ("floor", "ceiling"):
        f = math.floor if low == "floor" else math.ceil
        return float(f(to_number(args[0])))
    if low in ("max", "min"):
        a, b = to_number(args[0]), to_number(args[1])
        return max(a, b) if low == "max" else min(a, b)
    if low == "abs":
        return abs(to_number(args[0]))
    if low == "truncate":
        return float(math.trunc(to_number(args[0])))
    return _NOT_FOUND


def _call_securityelement(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "escape":
        s = to_string(args[0])
        return (
            s.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("'", "&apos;")
        )
    return _NOT_FOUND


def _call_regex(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "escape":
        return re.sub(r"([\\*+?|{}\[\]()^$.# \t\n\r\f])", r"\\\1", to_string(args[0])).replace("\\ ", "\\ ")
    if low == "replace":
        return re.sub(
            dotnet_regex(to_string(args[1])), dotnet_replacement(to_string(args[2])), to_string(args[0])
        )
    if low == "ismatch":
        return re.search(dotnet_regex(to_string(args[1])), to_string(args[0])) is not None
    if low == "split":
        return re.split(dotnet_regex(to_string(args[1])), to_string(args[0]))
    return _NOT_FOUND


def _call_datetime(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "parse":
        return parse_datetime(to_string(args[0]))
    if low == "fromfiletimeutc":
        return dt.datetime(1601, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=to_int(args[0]) / 10)
    return _NOT_FOUND


def _call_dns(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "gethostname":
        return interp.host.name if interp.host else "localhost"
    return _NOT_FOUND


def _call_path(interp: Interpreter, low: str, args: list[Any]) -> Any:
    if low == "combine":
        return "\\".join(to_string(x).rstrip("\\") for x in args)
    return _NOT_FOUND


# .NET type (lower case) -> its static methods.
_STATIC_METHODS: dict[str, Callable[[Interpreter, str, list[Any]], Any]] = {
    "system.convert": _call_convert,
    "system.guid": _call_guid,
    "system.string": _call_string,
    "system.math": _call_math,
    "system.security.securityelement": _call_securityelement,
    "system.text.regularexpressions.regex": _call_regex,
    "system.datetime": _call_datetime,
    "system.net.dns": _call_dns,
    "system.io.path": _call_path,
}
