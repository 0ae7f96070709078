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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ErrorRecord, Position, PSRuntimeError
from .streams import DotNetStream, compression_mode, is_compression_mode_type
from .values import (
    ArrayList,
    Byte,
    Int64,
    PSEnum,
    PSGuid,
    PSHashtable,
    PSObject,
    PSValueError,
    ScriptBlock,
    StrArray,
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


def _as_bytes(v: Any) -> bytes:
    if isinstance(v, bytes | bytearray):
        return bytes(v)
    return bytes(to_int(x) & 0xFF for x in enumerate_value(v))


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
    if isinstance(target, PSObject):
        p = target.get(name)
        if p is not None:
            return p.value
        return None
    if isinstance(target, ErrorRecord):
        return error_member(target, name)
    if isinstance(target, PSHashtable):
        if target.has(name):
            return target.lookup(name)
        if low == "count":
            return len(target)
        if low == "keys":
            return list(target.keys())
        if low == "values":
            return list(target.values())
        return None
    if isinstance(target, str):
        if low == "length":
            return len(target)
        return None
    if isinstance(target, list | bytes | bytearray):
        if low in ("count", "length"):
            return len(target)
        if low == "rank":
            return 1
        return None  # PowerShell 2.0 has no member enumeration
    if isinstance(target, dt.datetime):
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
    if isinstance(target, TimeSpan):
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
    if isinstance(target, TypeRef):
        if low == "fullname":
            return target.name
        if low == "name":
            return target.name.rsplit(".", 1)[-1]
        return None
    if isinstance(target, PSEnum):
        if low == "value__":
            return target.value
        return None
    if isinstance(target, PSGuid):
        return None
    if isinstance(target, ScriptBlock):
        return None
    if isinstance(target, DotNetStream):
        return target.property(low)
    if isinstance(target, Encoding):
        if low == "webname":
            return target.web_name
        return None
    return None


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
    if low == "gettype" and not args:
        return TypeRef(dotnet_type(target))
    if low == "tostring" and isinstance(target, dt.datetime):
        if args:
            from .dotnetfmt import format_datetime

            return format_datetime(target, to_string(args[0]))
        return datetime_display(target)
    if low == "tostring" and isinstance(target, int | float) and not isinstance(target, bool) and args:
        from .dotnetfmt import format_number

        return format_number(target, to_string(args[0]))
    if low == "tostring" and not args:
        if isinstance(target, ErrorRecord):
            return target.message
        return to_string(target)
    if low == "equals" and len(args) == 1:
        from .operators import equals

        return equals(target, args[0], True)
    if isinstance(target, str):
        return string_method(target, low, name, args, node, interp)
    if isinstance(target, ConsoleWriter):
        if low in ("write", "writeline"):
            text = to_string(args[0]) if args else ""
            if len(args) > 1:
                from .dotnetfmt import composite_format

                text = composite_format(text, args[1:])
            interp.io.write(text + ("\r\n" if low == "writeline" else ""), target.stream)
            return None
        if low == "flush":
            return None
    if isinstance(target, DotNetStream):
        found, result = target.call(low, args)
        if found:
            return result
    if isinstance(target, Encoding):
        if low == "getstring":
            data = _as_bytes(args[0])
            if len(args) == 3:
                data = data[to_int(args[1]) : to_int(args[1]) + to_int(args[2])]
            return data.decode(target.name, errors="replace")
        if low == "getbytes":
            return to_string(args[0]).encode(target.name, errors="replace")
    if isinstance(target, PSHashtable):
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
    if isinstance(target, list):
        if low == "contains":
            from .operators import equals

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
    if isinstance(target, dt.datetime):
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
    if isinstance(target, ScriptBlock) and low in ("invoke", "invokereturnasis"):
        out: list[Any] = []
        interp.invoke_scriptblock(target, out.append, args=args)
        return out if len(out) != 1 else out[0]
    if isinstance(target, PSGuid) and low == "tostring":
        return str(target)
    raise _method_not_found(target, name, node, interp)


def string_method(s: str, low: str, name: str, args: list[Any], node: n.Node, interp: Interpreter) -> Any:
    a = [to_string(x) if not isinstance(x, int | list) else x for x in args]
    if low == "contains":
        _argc(args, 1)
        return to_string(args[0]) in s
    if low == "startswith":
        return (
            s.startswith(to_string(args[0]))
            if len(args) == 1
            else s.casefold().startswith(to_string(args[0]).casefold())
        )
    if low == "endswith":
        return (
            s.endswith(to_string(args[0]))
            if len(args) == 1
            else s.casefold().endswith(to_string(args[0]).casefold())
        )
    if low == "substring":
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
    if low in ("indexof", "lastindexof"):
        needle = to_string(args[0])
        if low == "indexof":
            start = to_int(args[1]) if len(args) > 1 else 0
            return s.find(needle, start)
        return s.rfind(needle)
    if low == "split":
        if not args:
            return s.split()
        seps = args[0]
        chars = (
            "".join(to_string(x) for x in enumerate_value(seps))
            if isinstance(seps, list)
            else to_string(seps)
        )
        if not chars:
            return re.split(r"\s", s)
        return re.split("[" + re.escape(chars) + "]", s)
    if low in ("trim", "trimstart", "trimend"):
        trim_chars: str | None = "".join(to_string(x) for x in args) if args else None
        if low == "trim":
            return s.strip(trim_chars) if trim_chars else s.strip()
        if low == "trimstart":
            return s.lstrip(trim_chars) if trim_chars else s.lstrip()
        return s.rstrip(trim_chars) if trim_chars else s.rstrip()
    if low == "replace":
        _argc(args, 2)
        old = to_string(args[0])
        if old == "":
            raise PSValueError(
                "String cannot be of zero length.\r\nParameter name: oldValue", "ArgumentException"
            )
        return s.replace(old, to_string(args[1]))
    if low == "toupper" or low == "toupperinvariant":
        return s.upper()
    if low == "tolower" or low == "tolowerinvariant":
        return s.lower()
    if low in ("padleft", "padright"):
        width = to_int(args[0])
        ch = to_string(args[1]) if len(args) > 1 else " "
        return s.rjust(width, ch) if low == "padleft" else s.ljust(width, ch)
    if low == "insert":
        i = to_int(args[0])
        return s[:i] + to_string(args[1]) + s[i:]
    if low == "remove":
        i = to_int(args[0])
        if len(args) > 1:
            return s[:i] + s[i + to_int(args[1]) :]
        return s[:i]
    if low == "tochararray":
        return list(s)
    if low == "compareto":
        o = to_string(args[0])
        return (s > o) - (s < o)
    if low == "normalize":
        return s
    del a
    raise _method_not_found(s, name, node, interp)


def get_static(interp: Interpreter, target: Any, name: str, node: n.Node) -> Any:
    if not isinstance(target, TypeRef):
        return None
    t = target.name.casefold()
    low = name.casefold()
    if t == "system.text.encoding":
        return {
            "utf8": Encoding("utf-8", "utf-8"),
            "unicode": Encoding("utf-16-le", "utf-16"),
            "ascii": Encoding("ascii", "us-ascii"),
            "default": Encoding("cp1252", "Windows-1252"),
            "bigendianunicode": Encoding("utf-16-be", "unicodeFFFE"),
        }.get(low)
    if is_compression_mode_type(t):
        return compression_mode(low)
    if t == "system.console":
        if low == "out":
            return ConsoleWriter(interp, "stdout")
        if low == "error":
            return ConsoleWriter(interp, "stderr")
        if low == "outputencoding":
            return Encoding(interp.io.encoding, interp.io.encoding)
    if t == "system.datetime":
        now = _now(interp)
        if low == "utcnow":
            return now
        if low == "now":
            return now.replace(tzinfo=None)
        if low == "today":
            return now.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        if low == "minvalue":
            return dt.datetime(1, 1, 1)
    if t == "system.environment":
        return {
            "newline": "\r\n",
            "machinename": interp.host.name.upper() if interp.host else "LOCALHOST",
            "username": interp.account.user if interp.account else "Administrator",
            "userdomainname": interp.account.domain if interp.account else "CONTOSO",
            "osversion": "Microsoft Windows NT 6.0.6001 Service Pack 1",
            "processorcount": 4,
            "version": "2.0.50727.4016",
        }.get(low)
    if t == "system.int32":
        return {"maxvalue": 2**31 - 1, "minvalue": -(2**31)}.get(low)
    if t == "system.string" and low == "empty":
        return ""
    if t == "system.math" and low == "pi":
        return math.pi
    return None


def _now(interp: Interpreter) -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def call_static(interp: Interpreter, target: Any, name: str, args: list[Any], node: n.Node) -> Any:
    if not isinstance(target, TypeRef):
        member = get_property(interp, target, name)
        del member
        raise _method_not_found(target, name, node, interp)
    t = target.name.casefold()
    low = name.casefold()
    if t == "system.convert":
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
    if t == "system.guid" and low == "newguid":
        return PSGuid(uuid.uuid4())
    if t == "system.string":
        if low == "isnullorempty":
            return args[0] is None or to_string(args[0]) == ""
        if low == "join":
            items = args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:]
            return to_string(args[0]).join(to_string(x) for x in items)
        if low == "format":
            from .dotnetfmt import composite_format

            rest = args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:]
            return composite_format(to_string(args[0]), list(rest))
        if low == "concat":
            return "".join(to_string(x) for x in args)
    if t == "system.math":
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
    if t == "system.security.securityelement" and low == "escape":
        s = to_string(args[0])
        return (
            s.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("'", "&apos;")
        )
    if t == "system.text.regularexpressions.regex":
        from .operators import dotnet_regex, dotnet_replacement

        if low == "escape":
            return re.sub(r"([\\*+?|{}\[\]()^$.# \t\n\r\f])", r"\\\1", to_string(args[0])).replace(
                "\\ ", "\\ "
            )
        if low == "replace":
            return re.sub(
                dotnet_regex(to_string(args[1])), dotnet_replacement(to_string(args[2])), to_string(args[0])
            )
        if low == "ismatch":
            return re.search(dotnet_regex(to_string(args[1])), to_string(args[0])) is not None
        if low == "split":
            return re.split(dotnet_regex(to_string(args[1])), to_string(args[0]))
    if t == "system.datetime":
        if low == "parse":
            return parse_datetime(to_string(args[0]))
        if low == "fromfiletimeutc":
            return dt.datetime(1601, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=to_int(args[0]) / 10)
    if t == "system.net.dns" and low == "gethostname":
        return interp.host.name if interp.host else "localhost"
    if t == "system.io.path" and low == "combine":
        return "\\".join(to_string(x).rstrip("\\") for x in args)
    raise _method_not_found(target, name, node, interp)


def parse_datetime(s: str) -> dt.datetime:
    s = s.strip()
    for fmt in (
        "%Y-%m-%dT%H:%M:%S.%fZ",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y",
    ):
        try:
            d = dt.datetime.strptime(s, fmt)
            return d.replace(tzinfo=dt.UTC) if s.endswith("Z") else d
        except ValueError:
            continue
    raise PSValueError(
        f'Cannot convert value "{s}" to type "System.DateTime". Error: "String was not recognized '
        'as a valid DateTime."',
        "InvalidCastParseTargetInvocation",
    )


def convert_to(interp: Interpreter, type_name: str, value: Any) -> Any:
    t = type_name.casefold()
    if t == "system.string":
        if isinstance(value, list):
            return to_string(value, to_string(interp.get_var("OFS")) if interp.has_var("OFS") else " ")
        return None if value is None and False else to_string(value)
    if t in ("system.int32", "system.int64", "system.uint32", "system.uint64", "system.byte"):
        if isinstance(value, list):
            if len(value) != 1:
                raise PSValueError(
                    f'Cannot convert the "{to_string(value)}" value of type "System.Object[]" to type '
                    f'"{type_name}".',
                    "ConvertToFinalInvalidCastException",
                )
            value = value[0]
        num = to_number(value, type_name)
        if isinstance(num, float | decimal.Decimal):
            num = int(
                decimal.Decimal(str(num)).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_EVEN)
            )
        if t == "system.int32" and not -(2**31) <= num < 2**31:
            raise PSValueError(
                f'Cannot convert value "{to_string(value)}" to type "System.Int32". Error: "Value '
                'was either too large or too small for an Int32."',
                "InvalidCastIConvertible",
            )
        if t == "system.int64":
            return Int64(num)
        if t == "system.byte":
            return Byte(num)
        return int(num)
    if t in ("system.double", "system.single"):
        return float(to_number(value, type_name))
    if t == "system.decimal":
        return decimal.Decimal(str(to_number(value, type_name)))
    if t == "system.boolean":
        return to_bool(value)
    if t in ("system.object[]", "system.array"):
        return enumerate_value(value) if not isinstance(value, list) else list(value)
    if t == "system.string[]":
        return StrArray(to_string(v) for v in enumerate_value(value))
    if t in ("system.int32[]",):
        return [convert_to(interp, "System.Int32", v) for v in enumerate_value(value)]
    if t == "system.byte[]":
        return _as_bytes(value)
    if t == "system.char":
        s = to_string(value)
        if isinstance(value, int):
            return chr(value)
        if len(s) != 1:
            raise PSValueError(
                f'Cannot convert value "{s}" to type "System.Char". Error: "String must be exactly '
                'one character long."',
                "InvalidCastParseTargetInvocation",
            )
        return s
    if t == "system.datetime":
        if isinstance(value, dt.datetime):
            return value
        return parse_datetime(to_string(value))
    if t == "system.guid":
        try:
            return PSGuid(uuid.UUID(to_string(value)))
        except ValueError:
            raise PSValueError(f'Cannot convert value "{to_string(value)}" to type "System.Guid".') from None
    if t in ("system.collections.hashtable",):
        if isinstance(value, PSHashtable):
            return value
        raise PSValueError(
            f'Cannot convert the "{to_string(value)}" value of type "{dotnet_type(value)}" to type '
            '"System.Collections.Hashtable".',
            "ConvertToFinalInvalidCastException",
        )
    if t == "system.management.automation.scriptblock":
        if isinstance(value, ScriptBlock):
            return value
        raise PSValueError(
            f'Cannot convert the "{to_string(value)}" value of type "{dotnet_type(value)}" to type '
            '"System.Management.Automation.ScriptBlock".',
            "ConvertToFinalInvalidCastException",
        )
    if t in ("system.void",):
        return None
    if t in ("system.object", "system.management.automation.psobject"):
        return value
    if t == "system.management.automation.switchparameter":
        return to_bool(value)
    raise PSValueError(
        f"Unable to find type [{type_name}]: make sure that the assembly containing this type is loaded.",
        "TypeNotFound",
    )
