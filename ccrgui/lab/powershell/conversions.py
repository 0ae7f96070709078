"""Conversions to .NET types: `[type]$value`, `-as` and parameter binding (`convert_to`)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .values import (
    Byte,
    Int64,
    PSGuid,
    PSHashtable,
    PSValueError,
    ScriptBlock,
    StrArray,
    dotnet_type,
    enumerate_value,
    to_bool,
    to_int,
    to_number,
    to_string,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


def as_bytes(v: Any) -> bytes:
    if isinstance(v, bytes | bytearray):
        return bytes(v)
    return bytes(to_int(x) & 0xFF for x in enumerate_value(v))


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
    convert = _CONVERSIONS.get(t)
    if convert is not None:
        return convert(interp, type_name, t, value)
    raise PSValueError(
        f"Unable to find type [{type_name}]: make sure that the assembly containing this type is loaded.",
        "TypeNotFound",
    )


def _to_string(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    if isinstance(value, list):
        return to_string(value, to_string(interp.get_var("OFS")) if interp.has_var("OFS") else " ")
    return None if value is None and False else to_string(value)


def _to_integer(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
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
        num = int(decimal.Decimal(str(num)).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_EVEN))
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


def _to_double(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return float(to_number(value, type_name))


def _to_decimal(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return decimal.Decimal(str(to_number(value, type_name)))


def _to_boolean(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return to_bool(value)


def _to_object_array(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return enumerate_value(value) if not isinstance(value, list) else list(value)


def _to_string_array(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return StrArray(to_string(v) for v in enumerate_value(value))


def _to_int32_array(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return [convert_to(interp, "System.Int32", v) for v in enumerate_value(value)]


def _to_byte_array(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return as_bytes(value)


def _to_char(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
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


def _to_datetime(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    return parse_datetime(to_string(value))


def _to_guid(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    try:
        return PSGuid(uuid.UUID(to_string(value)))
    except ValueError:
        raise PSValueError(f'Cannot convert value "{to_string(value)}" to type "System.Guid".') from None


def _to_hashtable(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    if isinstance(value, PSHashtable):
        return value
    raise PSValueError(
        f'Cannot convert the "{to_string(value)}" value of type "{dotnet_type(value)}" to type '
        '"System.Collections.Hashtable".',
        "ConvertToFinalInvalidCastException",
    )


def _to_scriptblock(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    if isinstance(value, ScriptBlock):
        return value
    raise PSValueError(
        f'Cannot convert the "{to_string(value)}" value of type "{dotnet_type(value)}" to type '
        '"System.Management.Automation.ScriptBlock".',
        "ConvertToFinalInvalidCastException",
    )


def _to_void(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return None


def _to_object(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return value


def _to_switchparameter(interp: Interpreter, type_name: str, t: str, value: Any) -> Any:
    return to_bool(value)


# .NET type (lower case) -> how a value becomes one ([type]$x, -as, parameter binding).
_CONVERSIONS: dict[str, Callable[[Interpreter, str, str, Any], Any]] = {
    "system.string": _to_string,
    "system.int32": _to_integer,
    "system.int64": _to_integer,
    "system.uint32": _to_integer,
    "system.uint64": _to_integer,
    "system.byte": _to_integer,
    "system.double": _to_double,
    "system.single": _to_double,
    "system.decimal": _to_decimal,
    "system.boolean": _to_boolean,
    "system.object[]": _to_object_array,
    "system.array": _to_object_array,
    "system.string[]": _to_string_array,
    "system.int32[]": _to_int32_array,
    "system.byte[]": _to_byte_array,
    "system.char": _to_char,
    "system.datetime": _to_datetime,
    "system.guid": _to_guid,
    "system.collections.hashtable": _to_hashtable,
    "system.management.automation.scriptblock": _to_scriptblock,
    "system.void": _to_void,
    "system.object": _to_object,
    "system.management.automation.psobject": _to_object,
    "system.management.automation.switchparameter": _to_switchparameter,
}
