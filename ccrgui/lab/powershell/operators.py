"""PowerShell's arithmetic and comparison operators (left operand decides the conversion;
string comparisons are case-insensitive unless the -c variant is used; arrays filter)."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .conversions import convert_to
from .lexer import CASE_PREFIXED
from .values import (
    PSHashtable,
    PSValueError,
    TimeSpan,
    TypeRef,
    dotnet_type,
    enumerate_value,
    resolve_type_name,
    to_bool,
    to_number,
    to_string,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


def _num(v: Any) -> Any:
    return to_number(v, "System.Int32")


def _fix(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return v
    return v


def arithmetic(op: str, left: Any, right: Any) -> Any:
    operation = _ARITHMETIC.get(op)
    if operation is None:
        raise PSValueError(f"Unsupported operator {op}.", "UnsupportedOperator")
    return operation(left, right)


def _add(left: Any, right: Any) -> Any:
    if left is None:
        return right
    if isinstance(left, str):
        return left + to_string(right)
    if isinstance(left, list):
        return left + (right if isinstance(right, list) else [right])
    if isinstance(left, PSHashtable):
        return _add_hashtables(left, right)
    if isinstance(left, dt.datetime):
        raise PSValueError(
            "Method invocation failed because [System.DateTime] doesn't contain a method named "
            "'op_Addition'.",
            "MethodNotFound",
        )
    a, b = _num(left), _num(right)
    return _int_result(a + b, a, b)


def _add_hashtables(left: PSHashtable, right: Any) -> PSHashtable:
    if not isinstance(right, PSHashtable):
        raise PSValueError(
            "A hash table can only be added to another hash table.", "AddHashTableToNonHashTable"
        )
    out = PSHashtable(left)
    for k, v in right.items():
        if out.has(k):
            raise PSValueError(
                f"Item has already been added. Key in dictionary: '{k}'  Key being added: '{k}'",
                "DuplicateKeyInHashLiteral",
            )
        out.put(k, v)
    return out


def _subtract(left: Any, right: Any) -> Any:
    if left is None:
        return -_num(right)
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return TimeSpan((left - right).total_seconds())
    a, b = _num(left), _num(right)
    return _int_result(a - b, a, b)


def _multiply(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        return left * int(_num(right))
    if isinstance(left, list):
        return left * int(_num(right))
    a, b = _num(left), _num(right)
    return _int_result(a * b, a, b)


def _divide(left: Any, right: Any) -> Any:
    a, b = _num(left), _num(right)
    if b == 0:
        raise ZeroDivisionError
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        return decimal.Decimal(a) / decimal.Decimal(b)
    return a / b


def _modulo(left: Any, right: Any) -> Any:
    a, b = _num(left), _num(right)
    if b == 0:
        raise ZeroDivisionError
    r = abs(a) % abs(b)
    return -r if a < 0 else r


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "%": _modulo,
}


def _int_result(v: Any, a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and not (-(2**63) <= v < 2**63):
        return float(v)
    return v


def wildcard_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                out.append("[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "^" + "".join(out) + "$"


def like(value: Any, pattern: Any, case: bool) -> bool:
    flags = 0 if case else re.IGNORECASE
    return re.match(wildcard_regex(to_string(pattern)), to_string(value), flags | re.DOTALL) is not None


def dotnet_regex(pattern: str) -> str:
    """Translate the few .NET regex spellings Python spells differently."""
    return re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)


def dotnet_replacement(rep: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(rep):
        c = rep[i]
        if c == "$" and i + 1 < len(rep):
            nxt = rep[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt.isdigit():
                j = i + 1
                while j < len(rep) and rep[j].isdigit():
                    j += 1
                out.append(f"\\g<{rep[i + 1 : j]}>")
                i = j
                continue
            if nxt == "{":
                end = rep.find("}", i)
                if end > 0:
                    out.append(f"\\g<{rep[i + 2 : end]}>")
                    i = end + 1
                    continue
        if c == "\\":
            out.append("\\\\")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def equals(left: Any, right: Any, case: bool) -> bool:
    if left is None:
        return right is None
    if right is None:
        return False
    if isinstance(left, str):
        r = to_string(right)
        return left == r if case else left.casefold() == r.casefold()
    if isinstance(left, bool):
        return left == to_bool(right)
    if isinstance(left, int | float | decimal.Decimal):
        try:
            return bool(left == to_number(right))
        except PSValueError:
            return False
    if isinstance(left, dt.datetime):
        return isinstance(right, dt.datetime) and left == right
    if isinstance(left, (list, PSHashtable)):
        return left is right
    # enums and other objects compare through their string form when the right side is a string
    if isinstance(right, str):
        return to_string(left).casefold() == right.casefold() if not case else to_string(left) == right
    return bool(left == right)


def order(left: Any, right: Any, case: bool) -> int:
    if isinstance(left, str) or left is None:
        a = to_string(left)
        b = to_string(right)
        if not case:
            a, b = a.casefold(), b.casefold()
        return (a > b) - (a < b)
    if isinstance(left, dt.datetime):
        if not isinstance(right, dt.datetime):
            raise PSValueError(
                f'Cannot convert value "{to_string(right)}" to type "System.DateTime".',
                "InvalidCastParseTargetInvocation",
            )
        return (left > right) - (left < right)
    a = to_number(left)
    b = to_number(right)
    return (a > b) - (a < b)


def compare_op(interp: Interpreter, op: str, left: Any, right: Any) -> Any:
    case = False
    base = op
    if op[:1] == "c" and op[1:] in CASEABLE:
        case, base = True, op[1:]
    elif op[:1] == "i" and op[1:] in CASEABLE:
        base = op[1:]
    operation = _COMPARISONS.get(base)
    if operation is None:
        raise PSValueError(f"Unsupported operator -{op}.", "UnsupportedOperator")
    return operation(interp, base, left, right, case)


def _join(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    sep = to_string(right)
    return sep.join(to_string(v) for v in enumerate_value(left))


def _split(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    pattern = right[0] if isinstance(right, list) and right else right
    limit = int(to_number(right[1])) if isinstance(right, list) and len(right) > 1 else 0
    flags = 0 if case else re.IGNORECASE
    out: list[str] = []
    for v in enumerate_value(left) or [""]:
        out.extend(
            re.split(dotnet_regex(to_string(pattern)), to_string(v), maxsplit=max(0, limit - 1), flags=flags)
        )
    return out


def _replace(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    if isinstance(right, list):
        pattern = to_string(right[0]) if right else ""
        rep = to_string(right[1]) if len(right) > 1 else ""
    else:
        pattern, rep = to_string(right), ""
    flags = 0 if case else re.IGNORECASE
    rx = re.compile(dotnet_regex(pattern), flags)
    r = dotnet_replacement(rep)
    if isinstance(left, list):
        return [rx.sub(r, to_string(v)) for v in left]
    return rx.sub(r, to_string(left))


def _is(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    tname = right.name if isinstance(right, TypeRef) else resolve_type_name(to_string(right))
    result = is_type(left, tname)
    return result if base == "is" else not result


def _as(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    tname = right.name if isinstance(right, TypeRef) else resolve_type_name(to_string(right))
    try:
        return convert_to(interp, tname, left)
    except PSValueError:
        return None


def _contains(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    found = any(equals(v, right, case) for v in enumerate_value(left))
    return found if base == "contains" else not found


def _match(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    flags = 0 if case else re.IGNORECASE
    rx = re.compile(dotnet_regex(to_string(right)), flags)
    if isinstance(left, list):
        hits = [v for v in left if bool(rx.search(to_string(v))) == (base == "match")]
        return hits
    m = rx.search(to_string(left))
    if m and base == "match":
        groups = PSHashtableMatches(m)
        interp.set_var("matches", groups)
    return bool(m) if base == "match" else not m


def _like(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    if isinstance(left, list):
        return [v for v in left if like(v, right, case) == (base == "like")]
    return like(left, right, case) == (base == "like")


def _eq(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    if isinstance(left, list):
        return [v for v in left if equals(v, right, case) == (base == "eq")]
    return equals(left, right, case) == (base == "eq")


def _order(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    def test(v: Any) -> bool:
        c = order(v, right, case)
        return {"gt": c > 0, "ge": c >= 0, "lt": c < 0, "le": c <= 0}[base]

    if isinstance(left, list):
        return [v for v in left if test(v)]
    return test(left)


def _bitwise(interp: Interpreter, base: str, left: Any, right: Any, case: bool) -> Any:
    a, b = int(to_number(left)), int(to_number(right))
    return {"band": a & b, "bor": a | b, "bxor": a ^ b}[base]


# Comparison/string operator (without its c/i prefix) -> implementation.
_COMPARISONS: dict[str, Callable[[Interpreter, str, Any, Any, bool], Any]] = {
    "join": _join,
    "split": _split,
    "replace": _replace,
    "is": _is,
    "isnot": _is,
    "as": _as,
    "contains": _contains,
    "notcontains": _contains,
    "match": _match,
    "notmatch": _match,
    "like": _like,
    "notlike": _like,
    "eq": _eq,
    "ne": _eq,
    "gt": _order,
    "ge": _order,
    "lt": _order,
    "le": _order,
    "band": _bitwise,
    "bor": _bitwise,
    "bxor": _bitwise,
}


CASEABLE = CASE_PREFIXED  # operators that take the c/i prefix (-ceq, -ilike, ...)


def PSHashtableMatches(m: re.Match[str]) -> PSHashtable:
    h = PSHashtable()
    h.put(0, m.group(0))
    for i, g in enumerate(m.groups(), start=1):
        if g is not None:
            h.put(i, g)
    for name, g in m.groupdict().items():
        if g is not None:
            h.put(name, g)
    return h


def is_type(value: Any, type_name: str) -> bool:
    low = type_name.casefold()
    if low in ("system.object", "object", "psobject", "system.management.automation.psobject"):
        return value is not None
    if value is None:
        return False
    actual = dotnet_type(value).casefold()
    if actual == low:
        return True
    if low == "system.array" and isinstance(value, list):
        return True
    if low in ("system.int32", "int") and isinstance(value, int) and not isinstance(value, bool):
        return actual == "system.int32"
    if low == "system.valuetype" and isinstance(value, int | float | bool | dt.datetime):
        return True
    extra = getattr(value, "extra_types", ())
    if any(t.casefold() == low for t in extra):
        return True
    if low == "system.exception" and actual.endswith("exception"):
        return True
    return actual.endswith("." + low)
