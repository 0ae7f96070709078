"""PowerShell values on the Python side: PS objects with typed properties, enums, typed integers,
script blocks, and the conversions PowerShell applies (to string, to bool, to number)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any


class PSValueError(Exception):
    """A conversion failed; the interpreter turns it into PowerShell's runtime error."""

    def __init__(self, message: str, error_id: str = "InvalidCastFromStringToInteger") -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id


# ---- typed scalars ----------------------------------------------------------------------------


class TypedInt(int):
    """An integer that remembers its .NET type (UInt32, UInt64, Int64, Byte...)."""

    dotnet = "System.Int32"


class UInt16(TypedInt):
    dotnet = "System.UInt16"


class UInt32(TypedInt):
    dotnet = "System.UInt32"


class UInt64(TypedInt):
    dotnet = "System.UInt64"


class Int64(TypedInt):
    dotnet = "System.Int64"


class Byte(TypedInt):
    dotnet = "System.Byte"


@dataclass(frozen=True)
class PSEnum:
    """A .NET enum value: prints as its name, keeps its full type name for ConvertTo-Xml."""

    type_name: str
    name: str
    value: int = 0

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class PSGuid:
    value: uuid.UUID

    def __str__(self) -> str:
        return str(self.value)


@dataclass
class TimeSpan:
    seconds: float

    def __str__(self) -> str:
        total = int(self.seconds)
        sign = "-" if total < 0 else ""
        total = abs(total)
        days, rem = divmod(total, 86400)
        h, rem = divmod(rem, 3600)
        m, s = divmod(rem, 60)
        frac = abs(self.seconds) - int(abs(self.seconds))
        base = f"{h:02d}:{m:02d}:{s:02d}"
        if days:
            base = f"{days}.{base}"
        if frac > 0:
            base += f".{round(frac * 10_000_000):07d}"
        return sign + base


@dataclass
class PSProperty:
    name: str
    value: Any
    type_name: str | None = None  # declared .NET type (used when the value is null)


@dataclass
class PSObject:
    """An object with ordered, typed properties, like a .NET object seen through PowerShell."""

    type_name: str
    props: list[PSProperty] = field(default_factory=list)
    to_string: str | None = None  # what ToString() returns; None = PowerShell's default
    default_view: str = "auto"  # "list", "table" or "auto"
    table_columns: tuple[str, ...] = ()  # default table view columns (when default_view is table)
    extra_types: tuple[str, ...] = ()  # further type names (base classes) for -is checks
    list_columns: tuple[str, ...] = ()  # default list view properties (empty: all)
    column_widths: list[int | None] | None = None  # default table view widths
    column_alias: dict[str, str] = field(default_factory=dict)  # table column label -> property

    def get(self, name: str) -> PSProperty | None:
        low = name.casefold()
        for p in self.props:
            if p.name.casefold() == low:
                return p
        return None

    def __getitem__(self, name: str) -> Any:
        p = self.get(name)
        return p.value if p else None

    def set(self, name: str, value: Any, type_name: str | None = None) -> None:
        p = self.get(name)
        if p is None:
            self.props.append(PSProperty(name, value, type_name))
        else:
            p.value = value

    def str_value(self) -> str:
        if self.to_string is not None:
            return self.to_string
        if self.type_name == "System.Management.Automation.PSCustomObject":
            inner = "; ".join(f"{p.name}={to_string(p.value)}" for p in self.props)
            return "@{" + inner + "}"
        return self.type_name


def custom_object(pairs: list[tuple[str, Any]]) -> PSObject:
    return PSObject("System.Management.Automation.PSCustomObject", [PSProperty(k, v, None) for k, v in pairs])


class PSHashtable(dict[Any, Any]):
    """A hashtable with case-insensitive string keys (insertion order kept for output)."""

    def _key(self, key: Any) -> Any:
        if isinstance(key, str):
            low = key.casefold()
            for k in dict.keys(self):
                if isinstance(k, str) and k.casefold() == low:
                    return k
        return key

    def lookup(self, key: Any) -> Any:
        return dict.get(self, self._key(key))

    def has(self, key: Any) -> bool:
        return dict.__contains__(self, self._key(key))

    def put(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, self._key(key), value)

    def remove(self, key: Any) -> None:
        dict.pop(self, self._key(key), None)


@dataclass
class ScriptBlock:
    body: Any  # nodes.ScriptAst
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class TypeRef:
    """A [type] literal's value."""

    name: str  # resolved full name, e.g. System.String

    def __str__(self) -> str:
        return self.name


# ---- type names -------------------------------------------------------------------------------

TYPE_ALIASES = {
    "string": "System.String",
    "int": "System.Int32",
    "int32": "System.Int32",
    "long": "System.Int64",
    "int64": "System.Int64",
    "double": "System.Double",
    "float": "System.Single",
    "single": "System.Single",
    "bool": "System.Boolean",
    "boolean": "System.Boolean",
    "char": "System.Char",
    "byte": "System.Byte",
    "datetime": "System.DateTime",
    "decimal": "System.Decimal",
    "array": "System.Array",
    "hashtable": "System.Collections.Hashtable",
    "object": "System.Object",
    "guid": "System.Guid",
    "xml": "System.Xml.XmlDocument",
    "regex": "System.Text.RegularExpressions.Regex",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "switch": "System.Management.Automation.SwitchParameter",
    "convert": "System.Convert",
    "console": "System.Console",
    "math": "System.Math",
    "environment": "System.Environment",
    "text.encoding": "System.Text.Encoding",
    "uint32": "System.UInt32",
    "uint64": "System.UInt64",
    "timespan": "System.TimeSpan",
    "string[]": "System.String[]",
    "object[]": "System.Object[]",
    "byte[]": "System.Byte[]",
    "int[]": "System.Int32[]",
    "void": "System.Void",
    "psobject": "System.Management.Automation.PSObject",
    "security.securityelement": "System.Security.SecurityElement",
    "text.regularexpressions.regex": "System.Text.RegularExpressions.Regex",
    "management.automation.errorrecord": "System.Management.Automation.ErrorRecord",
    "exception": "System.Exception",
    "net.dns": "System.Net.Dns",
}


def resolve_type_name(name: str) -> str:
    key = name.strip().lower()
    if key.startswith("system."):
        short = key[7:]
        if short in TYPE_ALIASES:
            return TYPE_ALIASES[short]
        return name.strip()
    if key in TYPE_ALIASES:
        return TYPE_ALIASES[key]
    return name.strip()


def dotnet_type(v: Any) -> str:
    """The .NET type name PowerShell would report for a value."""
    if v is None:
        return "System.Object"
    if isinstance(v, bool):
        return "System.Boolean"
    if isinstance(v, TypedInt):
        return v.dotnet
    if isinstance(v, int):
        return "System.Int32" if -(2**31) <= v < 2**31 else "System.Int64"
    if isinstance(v, PSObject | PSEnum):
        return v.type_name
    for types, dotnet in _DOTNET_NAMES:
        if isinstance(v, types):
            return dotnet
    name = getattr(v, "dotnet_type", None)
    if isinstance(name, str):
        return name
    return "System.Object"


class StrArray(list[Any]):
    """A typed string[] (e.g. OperationalMachines): ConvertTo-Xml reports System.String[]."""


class ArrayList(list[Any]):
    """System.Collections.ArrayList (growable, unlike PowerShell arrays)."""


# ---- conversions ------------------------------------------------------------------------------


def format_float(v: float) -> str:
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    text = repr(v)
    if "e" in text:
        mant, exp = text.split("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        return f"{mant}E{sign}{digits}"
    return text


def datetime_invariant(v: dt.datetime) -> str:
    return v.strftime("%m/%d/%Y %H:%M:%S")


def datetime_display(v: dt.datetime) -> str:
    """en-US general format ("G"): 6/14/2006 4:42:01 PM."""
    hour = v.hour % 12 or 12
    return f"{v.month}/{v.day}/{v.year} {hour}:{v.minute:02d}:{v.second:02d} {'AM' if v.hour < 12 else 'PM'}"


def to_string(v: Any, ofs: str = " ") -> str:
    """PowerShell's string conversion (invariant culture, arrays joined with $OFS)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return format_float(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dt.datetime):
        return datetime_invariant(v)
    if isinstance(v, PSObject):
        return v.str_value()
    if isinstance(v, PSHashtable):
        return "System.Collections.Hashtable"
    if isinstance(v, bytes | bytearray):
        return ofs.join(str(b) for b in v)
    if isinstance(v, list):
        return ofs.join(to_string(x, ofs) for x in v)
    return str(v)


def display_string(v: Any) -> str:
    """How formatting shows a value (current culture, en-US)."""
    if isinstance(v, dt.datetime):
        return datetime_display(v)
    if isinstance(v, PSObject):
        return v.str_value()
    return to_string(v)


def to_bool(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float | decimal.Decimal):
        return v != 0
    if isinstance(v, str):
        return v != ""
    if isinstance(v, list):
        if not v:
            return False
        if len(v) == 1:
            return to_bool(v[0])
        return True
    return True


def to_number(v: Any, target: str = "System.Int32") -> Any:
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float | decimal.Decimal):
        return v
    if isinstance(v, PSEnum):
        return v.value
    if isinstance(v, str):
        s = v.strip()
        if s == "":
            return 0
        try:
            if s.lower().startswith("0x"):
                return int(s, 16)
            return int(s)
        except ValueError:
            pass
        try:
            return float(s)
        except ValueError:
            raise PSValueError(
                f'Cannot convert value "{v}" to type "{target}". Error: "Input string was not in a correct '
                'format."'
            ) from None
    if isinstance(v, list) and len(v) == 1:
        return to_number(v[0], target)
    raise PSValueError(
        f'Cannot convert the "{to_string(v)}" value of type "{dotnet_type(v)}" to type "{target}".',
        "InvalidCastException",
    )


def to_int(v: Any) -> int:
    num = to_number(v)
    if isinstance(num, float | decimal.Decimal):
        # .NET rounds half to even when converting to an integer
        return round(num)
    return int(num)


def enumerate_value(v: Any) -> list[Any]:
    """What the pipeline sees: arrays unroll one level, everything else is one object."""
    if v is None:
        return []
    if isinstance(v, list):
        return list(v)
    return [v]


def is_collection(v: Any) -> bool:
    return isinstance(v, list | bytes | bytearray)


# Python type -> .NET type name, in the order they are tried (see dotnet_type).
_DOTNET_NAMES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (float, "System.Double"),
    (decimal.Decimal, "System.Decimal"),
    (str, "System.String"),
    (dt.datetime, "System.DateTime"),
    (PSHashtable, "System.Collections.Hashtable"),
    ((bytes, bytearray), "System.Byte[]"),
    (StrArray, "System.String[]"),
    (ArrayList, "System.Collections.ArrayList"),
    (list, "System.Object[]"),
    (ScriptBlock, "System.Management.Automation.ScriptBlock"),
    (PSGuid, "System.Guid"),
    (TimeSpan, "System.TimeSpan"),
    (TypeRef, "System.RuntimeType"),
)
