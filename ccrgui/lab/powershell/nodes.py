"""AST node types for the PowerShell subset.  `pos`/`end` are offsets into the parsed text,
used to build PowerShell 2.0's "At line:N char:M / + text <<<< rest" position messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    pos: int
    end: int


# ---- expressions ----------------------------------------------------------------------------


@dataclass
class Const(Node):
    value: Any


@dataclass
class XString(Node):
    parts: list[Any]  # str | ("var", name) | ("sub", ScriptAst)


@dataclass
class Var(Node):
    name: str


@dataclass
class Unary(Node):
    op: str
    operand: Node


@dataclass
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass
class ArrayLit(Node):
    items: list[Node]


@dataclass
class SubExpr(Node):
    body: ScriptAst
    array: bool  # @( ) rather than $( )


@dataclass
class Paren(Node):
    pipeline: Node


@dataclass
class HashLit(Node):
    pairs: list[tuple[Node, Node]]


@dataclass
class ScriptBlockExpr(Node):
    body: ScriptAst
    text: str


@dataclass
class TypeLit(Node):
    name: str


@dataclass
class Cast(Node):
    type_name: str
    operand: Node


@dataclass
class Member(Node):
    target: Node
    name: Node  # usually Const(str)
    static: bool


@dataclass
class Invoke(Node):
    target: Node
    name: Node
    args: list[Node]
    static: bool


@dataclass
class Index(Node):
    target: Node
    index: Node


# ---- commands and statements ----------------------------------------------------------------


@dataclass
class CmdParam(Node):
    name: str
    arg: Node | None
    colon: bool


@dataclass
class CmdArg(Node):
    value: Node


@dataclass
class Redirection(Node):
    stream: str  # "1" or "2"
    target: Node | None  # file target; None for 2>&1
    merge: bool
    append: bool


@dataclass
class Command(Node):
    name: Node  # Const(str) for a bare name; any expression after &
    call_op: str  # "", "&" or "."
    elements: list[Node]
    redirections: list[Redirection] = field(default_factory=list)
    name_end: int = 0


@dataclass
class ExprStatement(Node):
    expr: Node
    redirections: list[Redirection] = field(default_factory=list)


@dataclass
class Pipeline(Node):
    elements: list[Node]  # Command | ExprStatement (first only)


@dataclass
class Assign(Node):
    target: Node
    op: str
    value: Node


@dataclass
class If(Node):
    clauses: list[tuple[Node, ScriptAst]]
    else_body: ScriptAst | None


@dataclass
class Foreach(Node):
    var: str
    iterable: Node
    body: ScriptAst


@dataclass
class For(Node):
    init: Node | None
    cond: Node | None
    step: Node | None
    body: ScriptAst


@dataclass
class While(Node):
    cond: Node
    body: ScriptAst
    do: bool = False
    until: bool = False


@dataclass
class Switch(Node):
    value: Node
    flags: list[str]
    clauses: list[tuple[Node | None, ScriptAst]]  # None pattern = default


@dataclass
class Catch:
    types: list[str]
    body: ScriptAst


@dataclass
class Try(Node):
    body: ScriptAst
    catches: list[Catch]
    final: ScriptAst | None


@dataclass
class Throw(Node):
    value: Node | None


@dataclass
class Flow(Node):
    kind: str  # return break continue exit
    value: Node | None


@dataclass
class FunctionDef(Node):
    name: str
    params: list[tuple[str, Node | None]]
    body: ScriptAst


@dataclass
class ScriptAst(Node):
    statements: list[Node]
    params: list[tuple[str, Node | None]] = field(default_factory=list)
    text: str = ""
