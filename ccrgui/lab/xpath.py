"""The Windows Event Log XPath subset (EvtQuery / wevtutil /q:), evaluated over lab records.

What Windows documents ("XPath 1.0 limitations", Consuming Events): only elements that are events
can be selected (`*` or `Event`, with predicates); axes are child and attribute (`@`); operators
`and`, `or`, `=`, `!=`, `<`, `<=`, `>`, `>=` and parentheses; the only functions are `position()`,
`band()` and `timediff()`.  So `not()`, `contains()` and friends are invalid queries (15001).
A misspelt element name is not an error: it matches nothing (measured: `*[System[(Bogus=1)]]`
returns exit 0 and no events).

Comparisons follow XPath 1.0 (node-set vs value: "some node matches"), with the Event Log's
extensions: hexadecimal numbers (`Keywords`) and date-time comparison of `@SystemTime` with an
ISO string, as Event Viewer's generated `TimeCreated[@SystemTime>='...']` filters rely on.
Structured `<QueryList>` queries (Select/Suppress per Path) are accepted too.

Nothing here is shared with the backend (`ccrgui/remote/`): the lab must not agree with the
client by construction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import defusedxml.ElementTree as DET

from ccrgui.lab.eventlog import TICKS_PER_SECOND, EventRecord, to_ticks

ERROR_EVT_INVALID_QUERY = 15001
INVALID_QUERY_MESSAGE = "The specified query is invalid."


class XPathError(ValueError):
    """The query is not in the supported subset; `position` is where parsing stopped."""

    code = ERROR_EVT_INVALID_QUERY

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True, slots=True)
class EvalContext:
    """What a query sees beyond the record: the node's FQDN and the current time."""

    computer: str
    now_ticks: int


# ---- tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<num>0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?|\.\d+)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<punct>[\[\]()/@,*])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise XPathError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(Tok("end", "", len(text)))
    return out


# ---- the virtual event tree -------------------------------------------------------------------------
# A node is a (element name, index) tuple; attribute values are plain strings.

Node = tuple[str, int]
Item = Node | str
Value = list[Item] | float | int | str | bool

_SYSTEM_FULL = (
    "Provider", "EventID", "Version", "Level", "Task", "Opcode", "Keywords", "TimeCreated",
    "EventRecordID", "Correlation", "Execution", "Channel", "Computer", "Security",
)  # fmt: skip
_SYSTEM_CLASSIC = (
    "Provider", "EventID", "Level", "Task", "Keywords", "TimeCreated", "EventRecordID", "Channel",
    "Computer", "Security",
)  # fmt: skip
_EVENT = ("Event", 0)


def children(rec: EventRecord, node: Node, name: str) -> list[Node]:
    """Child elements named `name` (`*` = all), in document order."""
    kind = node[0]
    if kind == "#root":
        names: tuple[str, ...] = ("Event",)
    elif kind == "Event":
        names = ("System", "EventData")
    elif kind == "System":
        names = _SYSTEM_FULL if rec.provider_info.full_system else _SYSTEM_CLASSIC
    elif kind == "EventData":
        if name in ("Data", "*"):
            return [("Data", i) for i in range(len(rec.data))]
        return []
    else:
        return []
    if name == "*":
        return [(n, 0) for n in names]
    return [(name, 0)] if name in names else []


def attribute(rec: EventRecord, node: Node, name: str, ctx: EvalContext) -> list[Item]:
    kind = node[0]
    prov = rec.provider_info
    value: str | None = None
    if kind == "Provider":
        value = {"Name": prov.name, "Guid": prov.guid, "EventSourceName": prov.event_source_name}.get(name)
    elif kind == "EventID" and name == "Qualifiers":
        q = rec.qualifiers
        value = None if q is None else str(q)
    elif kind == "TimeCreated" and name == "SystemTime":
        value = rec.system_time
    elif kind == "Execution":
        value = {"ProcessID": str(rec.pid), "ThreadID": str(rec.tid)}.get(name)
    elif kind == "Security" and name == "UserID":
        value = prov.user_sid
    elif kind == "Data" and name == "Name" and prov.named_data:
        value = rec.data[node[1]][0]
    return [] if value is None else [value]


def text_of(rec: EventRecord, node: Node, ctx: EvalContext) -> str:
    kind = node[0]
    if kind == "EventID":
        return str(rec.event_id)
    if kind == "Level":
        return str(rec.level)
    if kind == "Task":
        return str(rec.task)
    if kind in ("Version", "Opcode"):
        return "0"
    if kind == "Keywords":
        return rec.provider_info.keywords
    if kind == "EventRecordID":
        return str(rec.record_id)
    if kind == "Channel":
        return rec.log
    if kind == "Computer":
        return ctx.computer
    if kind == "Data":
        return rec.data[node[1]][1]
    if kind == "EventData":
        return "".join(v for _, v in rec.data)
    return ""


def _string(rec: EventRecord, item: Item, ctx: EvalContext) -> str:
    return item if isinstance(item, str) else text_of(rec, item, ctx)


# ---- values ------------------------------------------------------------------------------------------

_TIME = re.compile(r"^\s*(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z?\s*$")


def parse_time(text: str) -> int | None:
    """100-ns ticks for an ISO SystemTime string (up to 9 fractional digits), None if not a time."""
    m = _TIME.match(text)
    if not m:
        return None
    try:
        y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
        base = datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
    except ValueError:
        return None
    frac = (m.group(7) or "").ljust(9, "0")
    return to_ticks(base) + int(frac) // 100


def to_number(text: str) -> float | int:
    s = text.strip()
    try:
        if s[:2] in ("0x", "0X"):
            return int(s, 16)
        if re.fullmatch(r"-?\d+", s):
            return int(s)
        return float(s) if s else math.nan
    except ValueError:
        return math.nan


def _as_bool(v: Value) -> bool:
    if isinstance(v, list):
        return bool(v)
    if isinstance(v, str):
        return bool(v)
    if isinstance(v, bool):
        return v
    return not (isinstance(v, float) and math.isnan(v)) and v != 0


_OPS: dict[str, Callable[[object, object], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}


def _compare_atoms(op: str, a: str | float | int | bool, b: str | float | int | bool) -> bool:
    fn = _OPS[op]
    if isinstance(a, bool) or isinstance(b, bool):
        return fn(bool(a), bool(b)) if op in ("=", "!=") else fn(float(a), float(b))
    if isinstance(a, str) and isinstance(b, str):
        if op in ("=", "!="):
            return fn(a, b)
        ta, tb = parse_time(a), parse_time(b)
        if ta is not None and tb is not None:
            return fn(ta, tb)
        na, nb = to_number(a), to_number(b)
        return not (_nan(na) or _nan(nb)) and fn(na, nb)
    na = to_number(a) if isinstance(a, str) else a
    nb = to_number(b) if isinstance(b, str) else b
    if _nan(na) or _nan(nb):
        return op == "!="
    return fn(na, nb)


def _nan(v: float | int) -> bool:
    return isinstance(v, float) and math.isnan(v)


def compare(op: str, left: Value, right: Value, rec: EventRecord, ctx: EvalContext) -> bool:
    """XPath 1.0 comparison: a node-set matches if some member's string value does."""
    if isinstance(left, list):
        lefts = [_string(rec, i, ctx) for i in left]
        if isinstance(right, list):
            rs = [_string(rec, i, ctx) for i in right]
            return any(_compare_atoms(op, a, b) for a in lefts for b in rs)
        if isinstance(right, bool):
            return _compare_atoms(op, bool(left), right)
        return any(_compare_atoms(op, a, right) for a in lefts)
    if isinstance(right, list):
        if isinstance(left, bool):
            return _compare_atoms(op, left, bool(right))
        return any(_compare_atoms(op, left, _string(rec, i, ctx)) for i in right)
    return _compare_atoms(op, left, right)


# ---- compiler -----------------------------------------------------------------------------------------
# An expression compiles to fn(rec, node, position, ctx) -> Value.

Expr = Callable[[EventRecord, Node, int, EvalContext], Value]
Pred = Callable[[EventRecord, EvalContext], bool]

FUNCTIONS = ("position", "band", "timediff")
# "Each XPath that you specify is limited to 32 expressions" (Query Schema docs); the lab counts
# comparisons, so `EventID=1` is one expression and `(EventID >= 1 and EventID <= 9)` two.
MAX_EXPRESSIONS = 32


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        # The element kind predicates are evaluated on ("?" = not known statically); the event
        # schema is fixed, so most paths resolve at compile time to a direct field access.
        self.context: list[str] = ["Event"]
        self.comparisons = 0
        self.root_paths = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self, kind: str, text: str | None = None) -> Tok:
        t = self.tok
        if t.kind != kind or (text is not None and t.text != text):
            raise XPathError(f"expected {text or kind} at position {t.pos}", t.pos)
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    # query := ['/'] ('*' | 'Event') predicate*
    def query(self) -> Pred:
        """The whole selector: an expression over the document whose root element is the event.

        `*[System[...]]` is the usual shape, but Windows also takes `*/System[EventID=100]` and
        boolean combinations such as `*/System/EventID=101 and */System/Provider[@Name='x']`;
        every top-level path must start at the event (`*` or `Event`)."""
        self.context = ["#root"]
        if self.at("punct", "/"):
            self.i += 1
        expr = self.or_expr()
        if not self.at("end"):
            raise XPathError(f"unexpected {self.tok.text!r} at position {self.tok.pos}", self.tok.pos)
        if not self.root_paths:
            raise XPathError("only events can be selected", 0)
        root: Node = ("#root", 0)

        def run(rec: EventRecord, ctx: EvalContext) -> bool:
            return _as_bool(expr(rec, root, 1, ctx))

        return run

    def predicates(self, kind: str = "Event") -> list[Expr]:
        preds: list[Expr] = []
        self.context.append(kind)
        try:
            while self.at("punct", "["):
                self.i += 1
                preds.append(self.or_expr())
                self.take("punct", "]")
        finally:
            self.context.pop()
        return preds

    def or_expr(self) -> Expr:
        parts = [self.and_expr()]
        while self.at("name", "or"):
            self.i += 1
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]

        def run(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
            return any(_as_bool(p(rec, node, pos, ctx)) for p in parts)

        return run

    def and_expr(self) -> Expr:
        parts = [self.rel_expr()]
        while self.at("name", "and"):
            self.i += 1
            parts.append(self.rel_expr())
        if len(parts) == 1:
            return parts[0]

        def run(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
            return all(_as_bool(p(rec, node, pos, ctx)) for p in parts)

        return run

    def rel_expr(self) -> Expr:
        left = self.primary()
        if not self.at("op"):
            return left
        op_tok = self.take("op")
        op = op_tok.text
        self.comparisons += 1
        if self.comparisons > MAX_EXPRESSIONS:
            raise XPathError(f"more than {MAX_EXPRESSIONS} expressions", op_tok.pos)
        right = self.primary()
        if self.at("op"):
            raise XPathError("chained comparison", self.tok.pos)

        fast = _fast_compare(op, left, right)
        if fast is not None:
            return fast

        def run(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
            return compare(op, left(rec, node, pos, ctx), right(rec, node, pos, ctx), rec, ctx)

        return run

    def primary(self) -> Expr:
        t = self.tok
        if self.at("punct", "("):
            self.i += 1
            inner = self.or_expr()
            self.take("punct", ")")
            return inner
        if t.kind == "str":
            self.i += 1
            return _Literal(t.text[1:-1])
        if t.kind == "num":
            self.i += 1
            return _Literal(to_number(t.text))
        if t.kind == "name" and self.toks[self.i + 1].kind == "punct" and self.toks[self.i + 1].text == "(":
            return self.function()
        if t.kind == "name" or self.at("punct", "@") or self.at("punct", "*"):
            return self.path()
        raise XPathError(f"unexpected {t.text or 'end of query'!r} at position {t.pos}", t.pos)

    def function(self) -> Expr:
        name_tok = self.take("name")
        name = name_tok.text
        if name.casefold() not in FUNCTIONS:
            raise XPathError(f"function {name}() is not supported", name_tok.pos)
        self.take("punct", "(")
        args: list[Expr] = []
        if not self.at("punct", ")"):
            args.append(self.or_expr())
            while self.at("punct", ","):
                self.i += 1
                args.append(self.or_expr())
        self.take("punct", ")")
        fname = name.casefold()
        if fname == "position":
            if args:
                raise XPathError("position() takes no arguments", name_tok.pos)
            return lambda rec, node, pos, ctx: pos
        if fname == "band":
            if len(args) != 2:
                raise XPathError("band() takes two arguments", name_tok.pos)
            a, b = args

            def band(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
                x, y = _num(a(rec, node, pos, ctx), rec, ctx), _num(b(rec, node, pos, ctx), rec, ctx)
                if _nan(x) or _nan(y):
                    return math.nan
                return int(x) & int(y)

            return band
        if len(args) != 1:
            raise XPathError("timediff() takes one argument", name_tok.pos)
        (arg,) = args
        if isinstance(arg, _Leaf) and arg.field == "SystemTime":
            ms = TICKS_PER_SECOND // 1000
            return lambda rec, node, pos, ctx: (ctx.now_ticks - rec.ticks) // ms

        def timediff(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
            v = arg(rec, node, pos, ctx)
            text = _string(rec, v[0], ctx) if isinstance(v, list) and v else (v if isinstance(v, str) else "")
            ticks = parse_time(text)
            if ticks is None:
                return math.nan
            return (ctx.now_ticks - ticks) // (TICKS_PER_SECOND // 1000)

        return timediff

    def path(self) -> Expr:
        at_root = self.context[-1] == "#root"
        first = self.tok
        steps = [self.step()]
        if at_root:
            if steps[0][0] != "el" or steps[0][1] not in ("*", "Event"):
                raise XPathError("only events can be selected", first.pos)
            self.root_paths += 1
        while self.at("punct", "/"):
            self.i += 1
            steps.append(self.step())
        for s in steps[:-1]:
            if s[0] == "@":
                raise XPathError("an attribute has no children", self.tok.pos)
        static = _static_path(self.context[-1], steps)
        if static is not None:
            return static

        generic = _walker(steps)
        return _data_path(self.context[-1], steps, generic) or generic

    def step(self) -> tuple[str, str, list[Expr]]:
        if self.at("punct", "@"):
            self.i += 1
            name = self.take("name").text
            return ("@", name, [])
        if self.at("punct", "*"):
            self.i += 1
            kind = "Event" if self.context[-1] == "#root" else "?"
            return ("el", "*", _positional(self.predicates(kind)))
        name = self.take("name").text
        return ("el", name, _positional(self.predicates(name)))


def _walker(steps: list[tuple[str, str, list[Expr]]]) -> Expr:
    """The generic path evaluator: step by step over the virtual event tree."""

    def run(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        current: list[Item] = [node]
        for kind, name, preds in steps:
            nxt: list[Item] = []
            for item in current:
                if isinstance(item, str):
                    continue
                if kind == "@":
                    nxt.extend(attribute(rec, item, name, ctx))
                    continue
                found = children(rec, item, name)
                for p in preds:
                    found = [n for i, n in enumerate(found, 1) if _as_bool(p(rec, n, i, ctx))]
                nxt.extend(found)
            current = nxt
        return current

    return run


class _DataName:
    """`@Name` on a Data element (generic semantics, recognisable by the fast paths)."""

    __slots__ = ("generic",)

    def __init__(self, generic: Expr) -> None:
        self.generic = generic

    def __call__(self, rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        return self.generic(rec, node, pos, ctx)


class _NameIs:
    """The predicate `@Name='x'` on a Data element."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        return rec.provider_info.named_data and rec.data[node[1]][0] == self.name


class _DataValues:
    """`Data` or `Data[@Name='x']` (below EventData) or `EventData/Data[...]` (below Event)."""

    __slots__ = ("generic", "name")

    def __init__(self, name: str | None, generic: Expr) -> None:
        self.name = name
        self.generic = generic

    def __call__(self, rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        return self.generic(rec, node, pos, ctx)

    def values(self, rec: EventRecord) -> list[str]:
        if self.name is None:
            return [v for _, v in rec.data]
        if not rec.provider_info.named_data:
            return []
        return [v for n, v in rec.data if n == self.name]


def _data_path(context: str, steps: list[tuple[str, str, list[Expr]]], generic: Expr) -> Expr | None:
    """Recognise the EventData shapes that the fast comparisons handle."""
    shape = [(kind, name) for kind, name, _ in steps]
    if context == "Data" and shape == [("@", "Name")]:
        return _DataName(generic)
    if context == "EventData" and shape == [("el", "Data")]:
        preds = steps[0][2]
    elif context == "Event" and shape == [("el", "EventData"), ("el", "Data")] and not steps[0][2]:
        preds = steps[1][2]
    else:
        return None
    if not preds:
        return _DataValues(None, generic)
    if len(preds) == 1 and isinstance(preds[0], _NameIs):
        return _DataValues(preds[0].name, generic)
    return None


def _positional(preds: list[Expr]) -> list[Expr]:
    """A number literal as a step predicate means position()=n (XPath 1.0), as in `Data[2]`.

    Any other numeric result (Windows' `band(Keywords, mask)`) is a plain boolean test."""
    out: list[Expr] = []
    for p in preds:
        if isinstance(p, _Literal) and not isinstance(p.value, str):
            out.append(_position_is(p.value))
        else:
            out.append(p)
    return out


class _Literal:
    """A string or number literal (kept inspectable for the compiled fast paths)."""

    __slots__ = ("value",)

    def __init__(self, value: str | float | int) -> None:
        self.value = value

    def __call__(self, rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        return self.value


# Elements that every event has exactly once, by parent; and the leaf fields they give access to.
_SINGLETONS: dict[str, frozenset[str]] = {
    "Event": frozenset({"System", "EventData"}),
    "System": frozenset(
        {
            "Provider",
            "EventID",
            "Level",
            "Task",
            "Keywords",
            "TimeCreated",
            "EventRecordID",
            "Channel",
            "Computer",
            "Security",
        }
    ),
}
_Getter = Callable[[EventRecord, EvalContext], "str | int | None"]
_LEAF_GETTERS: dict[str, _Getter] = {
    "EventID": lambda rec, ctx: rec.event_id,
    "Level": lambda rec, ctx: rec.level,
    "Task": lambda rec, ctx: rec.task,
    "EventRecordID": lambda rec, ctx: rec.record_id,
    "Keywords": lambda rec, ctx: rec.provider_info.keywords,
    "Channel": lambda rec, ctx: rec.log,
    "Computer": lambda rec, ctx: ctx.computer,
    "Provider/@Name": lambda rec, ctx: rec.provider_info.name,
    "Provider/@Guid": lambda rec, ctx: rec.provider_info.guid,
    "Provider/@EventSourceName": lambda rec, ctx: rec.provider_info.event_source_name,
    "TimeCreated/@SystemTime": lambda rec, ctx: rec.system_time,
    "Security/@UserID": lambda rec, ctx: rec.provider_info.user_sid,
    "EventID/@Qualifiers": lambda rec, ctx: rec.qualifiers,
}


class _Leaf:
    """A path that resolves at compile time to one field of the record (or to nothing)."""

    __slots__ = ("field", "getter")

    def __init__(self, getter: _Getter, field: str) -> None:
        self.getter = getter
        self.field = field

    def __call__(self, rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        v = self.getter(rec, ctx)
        return [] if v is None else [str(v)]


def _static_path(context: str, steps: list[tuple[str, str, list[Expr]]]) -> Expr | None:
    """Resolve a path over always-present elements without running the generic walker."""
    kind = context
    preds_at: list[tuple[Node, list[Expr]]] = []
    for i, (step_kind, name, preds) in enumerate(steps):
        if kind == "#root" and step_kind == "el" and name in ("*", "Event"):
            preds_at.append((_EVENT, preds))
            kind = "Event"
            continue
        if step_kind == "@":
            if preds_at and any(p for _, p in preds_at):
                return None
            getter = _LEAF_GETTERS.get(f"{kind}/@{name}")
            if getter is None or i != len(steps) - 1:
                return None
            return _Leaf(getter, name)
        if name not in _SINGLETONS.get(kind, ()):
            return None
        preds_at.append(((name, 0), preds))
        kind = name
    last_name = preds_at[-1][0]
    if not any(p for _, p in preds_at) and last_name[0] in _LEAF_GETTERS:
        return _Leaf(_LEAF_GETTERS[last_name[0]], last_name[0])
    target = last_name

    def run(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        for n, preds in preds_at:
            for p in preds:
                if not _as_bool(p(rec, n, 1, ctx)):
                    return []
        return [target]

    return run


def _fast_compare(op: str, left: Expr, right: Expr) -> Expr | None:
    """Field-versus-literal comparisons compiled to a direct test (the common filter shapes)."""
    if isinstance(left, _Literal) and isinstance(right, _Leaf):
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        return _fast_compare(flipped, right, left)
    if (
        isinstance(left, _DataName)
        and isinstance(right, _Literal)
        and op == "="
        and isinstance(right.value, str)
    ):
        return _NameIs(right.value)
    if isinstance(left, _DataValues) and isinstance(right, _Literal) and op in ("=", "!="):
        values, lit_value, eq = left.values, right.value, op == "="
        if isinstance(lit_value, str):
            return lambda rec, node, pos, ctx: any((v == lit_value) is eq for v in values(rec))
        return None
    if not (isinstance(left, _Leaf) and isinstance(right, _Literal)):
        return None
    getter, lit, fn = left.getter, right.value, _OPS[op]
    if left.field == "SystemTime" and isinstance(lit, str) and op not in ("=", "!="):
        lit_ticks = parse_time(lit)
        if lit_ticks is not None:
            return lambda rec, node, pos, ctx: fn(rec.ticks, lit_ticks)
    if left.field in ("EventID", "Level", "Task", "EventRecordID") and not isinstance(lit, str):
        if _nan(lit):
            return lambda rec, node, pos, ctx: False
        return lambda rec, node, pos, ctx: fn(getter(rec, ctx), lit)

    def run(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        v = getter(rec, ctx)
        return v is not None and _compare_atoms(op, str(v), lit)

    return run


def _position_is(n: float | int) -> Expr:
    def run(rec: EventRecord, node: Node, pos: int, ctx: EvalContext) -> Value:
        return pos == n

    return run


def _num(v: Value, rec: EventRecord, ctx: EvalContext) -> float | int:
    if isinstance(v, list):
        return to_number(_string(rec, v[0], ctx)) if v else math.nan
    if isinstance(v, str):
        return to_number(v)
    return int(v) if isinstance(v, bool) else v


def compile_xpath(text: str) -> Pred | None:
    """A predicate for an XPath event selector; None means "every event" (`*`)."""
    if text.strip() == "*":
        return None
    return _Parser(text).query()


@dataclass(frozen=True, slots=True)
class _Clause:
    path: str
    pred: Pred | None


def compile_query(text: str, log: str) -> Pred | None:
    """An XPath selector or a `<QueryList>` structured query, as a predicate for one log."""
    stripped = text.strip()
    if not stripped.startswith("<"):
        return compile_xpath(stripped)
    try:
        root = DET.fromstring(stripped)
    except Exception as exc:  # defusedxml raises ParseError or its own DTD/entity errors
        raise XPathError(f"structured query is not well-formed XML: {exc}") from exc
    if root.tag != "QueryList":
        raise XPathError("structured query must be a QueryList")
    selects: list[_Clause] = []
    suppresses: list[_Clause] = []
    for query in root:
        if query.tag != "Query":
            raise XPathError(f"unexpected element {query.tag}")
        default_path = query.get("Path", "")
        for clause in query:
            if clause.tag not in ("Select", "Suppress"):
                raise XPathError(f"unexpected element {clause.tag}")
            c = _Clause(clause.get("Path", default_path), compile_xpath(clause.text or "*"))
            (selects if clause.tag == "Select" else suppresses).append(c)
    if not selects:
        raise XPathError("a structured query needs a Select")
    mine = [c for c in selects if c.path.casefold() == log.casefold()]
    hide = [c for c in suppresses if c.path.casefold() == log.casefold()]

    def run(rec: EventRecord, ctx: EvalContext) -> bool:
        if not any(c.pred is None or c.pred(rec, ctx) for c in mine):
            return False
        return not any(c.pred is None or c.pred(rec, ctx) for c in hide)

    return run


def bind(pred: Pred | None, ctx: EvalContext) -> Callable[[EventRecord], bool] | None:
    """The predicate with its context fixed, for `EventJournal.query`."""
    if pred is None:
        return None
    return lambda rec: pred(rec, ctx)
