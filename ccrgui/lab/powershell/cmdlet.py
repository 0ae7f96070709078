"""Cmdlet declarations and parameter binding (named with unique prefixes, positional, switches,
common parameters), with PowerShell's own binding error messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ErrorRecord, PSRuntimeError
from .values import to_bool, to_string

if TYPE_CHECKING:
    from .interpreter import Interpreter

# The Exchange 2007 snap-in (Add-PSSnapin, Get-PSSnapin; the EMS host loads it).
EXCHANGE_SNAPIN = "Microsoft.Exchange.Management.PowerShell.Admin"


COMMON = {
    "erroraction": "ErrorAction",
    "ea": "ErrorAction",
    "errorvariable": "ErrorVariable",
    "ev": "ErrorVariable",
    "warningaction": "WarningAction",
    "wa": "WarningAction",
    "warningvariable": "WarningVariable",
    "wv": "WarningVariable",
    "verbose": "Verbose",
    "vb": "Verbose",
    "debug": "Debug",
    "db": "Debug",
    "outvariable": "OutVariable",
    "ov": "OutVariable",
    "outbuffer": "OutBuffer",
    "ob": "OutBuffer",
}
COMMON_SWITCHES = {"Verbose", "Debug"}
SHOULD_PROCESS = {"whatif": "WhatIf", "wi": "WhatIf", "confirm": "Confirm", "cf": "Confirm"}


@dataclass
class Param:
    name: str
    switch: bool = False
    mandatory: bool = False
    position: int | None = None
    aliases: tuple[str, ...] = ()
    pipeline: bool = False
    type_name: str = "System.String"


@dataclass
class Cmdlet:
    name: str
    class_name: str  # full .NET class, used in FullyQualifiedErrorId
    params: list[Param]
    run: Callable[[CmdletContext], None]
    snapin: str | None = None
    should_process: bool = False
    aliases: tuple[str, ...] = ()

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass
class CmdletContext:
    interp: Interpreter
    cmdlet: Cmdlet
    args: dict[str, Any]
    input: list[Any]
    emit: Callable[[Any], None]
    position: Any = None
    invocation_text: str = ""
    error_action: str | None = None
    errors: list[ErrorRecord] = field(default_factory=list)
    had_input: bool = False

    def has(self, name: str) -> bool:
        return name in self.args

    def get(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)

    def switch(self, name: str) -> bool:
        return to_bool(self.args.get(name, False))

    def error(
        self,
        message: str,
        error_id: str,
        category: str = "NotSpecified",
        *,
        target: Any = None,
        target_type: str = "",
        reason: str = "RuntimeException",
        exception_type: str = "System.Management.Automation.RuntimeException",
    ) -> ErrorRecord:
        return ErrorRecord(
            message=message,
            error_id=f"{error_id},{self.cmdlet.class_name}" if "," not in error_id else error_id,
            category=category,
            target=target,
            target_type=target_type,
            activity=self.cmdlet.name,
            reason=reason,
            exception_type=exception_type,
            command=self.cmdlet.name,
            position=self.position,
        )

    def write_error(self, record: ErrorRecord) -> None:
        """A non-terminating error (becomes terminating under -ErrorAction Stop)."""
        self.interp.write_error(record, self.error_action)

    def throw(self, record: ErrorRecord) -> None:
        raise PSRuntimeError(record)


class BindingError(Exception):
    def __init__(self, message: str, error_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id


def resolve_param(cmdlet: Cmdlet, given: str) -> str:
    """Map a (possibly abbreviated) parameter name to its canonical name."""
    low = given.casefold()
    names: dict[str, str] = {}
    for p in cmdlet.params:
        names[p.name.casefold()] = p.name
        for a in p.aliases:
            names[a.casefold()] = p.name
    for k, v in COMMON.items():
        names.setdefault(k, v)
    if cmdlet.should_process:
        for k, v in SHOULD_PROCESS.items():
            names.setdefault(k, v)
    if low in names:
        return names[low]
    matches = sorted({v for k, v in names.items() if k.startswith(low) and k == v.casefold()})
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise BindingError(
            f"Parameter cannot be processed because the parameter name '{given}' is ambiguous. "
            f"Possible matches include: {' '.join('-' + m for m in matches)}.",
            "AmbiguousParameter",
        )
    raise BindingError(
        f"A parameter cannot be found that matches parameter name '{given}'.", "NamedParameterNotFound"
    )


def is_switch(cmdlet: Cmdlet, name: str) -> bool:
    p = cmdlet.param(name)
    if p is not None:
        return p.switch
    return name in COMMON_SWITCHES or name in ("WhatIf", "Confirm")


def bind(cmdlet: Cmdlet, items: list[tuple[str | None, Any, bool]]) -> dict[str, Any]:
    """Bind (name, value, has_value) items; name None means positional."""
    bound: dict[str, Any] = {}
    positional: list[Any] = []
    i = 0
    while i < len(items):
        name, value, has_value = items[i]
        i += 1
        if name is None:
            positional.append(value)
            continue
        canon = resolve_param(cmdlet, name)
        if has_value:
            bound[canon] = value
        elif is_switch(cmdlet, canon):
            bound[canon] = True
        else:
            if i < len(items) and items[i][0] is None:
                bound[canon] = items[i][1]
                i += 1
            else:
                p = cmdlet.param(canon)
                tname = p.type_name if p else "System.String"
                raise BindingError(
                    f"Missing an argument for parameter '{canon}'. Specify a parameter of type '{tname}' and "
                    "try again.",
                    "MissingArgument",
                )
    slots = sorted(
        (p for p in cmdlet.params if p.position is not None and p.name not in bound),
        key=lambda p: p.position or 0,
    )
    for value in positional:
        if not slots:
            raise BindingError(
                f"A positional parameter cannot be found that accepts argument '{to_string(value)}'.",
                "PositionalParameterNotFound",
            )
        bound[slots.pop(0).name] = value
    return bound
