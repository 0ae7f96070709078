"""Evaluator for the PowerShell subset: scopes, pipelines, commands (cmdlets, functions, native
programs), operators, member access and error handling with PowerShell 2.0's semantics."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ccrgui.lab.process import Terminated

from . import nodes as n
from .cmdlet import BindingError, Cmdlet, CmdletContext, bind
from .cmdlets import registry
from .dotnetfmt import composite_format
from .errors import (
    CLIXML_CLOSE,
    CLIXML_HEADER,
    CLIXML_OPEN,
    ErrorRecord,
    ExitScript,
    FlowControl,
    Position,
    PSRuntimeError,
    clixml_error_lines,
    console_wrap,
    not_recognized,
    parse_error_record,
)
from .formatting import host_wrap, is_scalar, out_string
from .lexer import PSParseError
from .methods import call_method, call_static, convert_to, get_property, get_static
from .native import program_exists, run_native
from .operators import arithmetic, compare_op, equals, like
from .parser import Parser
from .values import (
    Byte,
    PSHashtable,
    PSObject,
    PSValueError,
    ScriptBlock,
    TypeRef,
    display_string,
    dotnet_type,
    enumerate_value,
    format_float,
    resolve_type_name,
    to_bool,
    to_int,
    to_number,
    to_string,
)

if TYPE_CHECKING:
    from ccrgui.lab.nodehost import NodeHost
    from ccrgui.lab.process import ProcessIO
    from ccrgui.lab.topology import Account

Emit = Callable[[Any], None]

ALIASES = {
    "%": "ForEach-Object",
    "foreach": "ForEach-Object",
    "?": "Where-Object",
    "where": "Where-Object",
    "select": "Select-Object",
    "sort": "Sort-Object",
    "measure": "Measure-Object",
    "fl": "Format-List",
    "ft": "Format-Table",
    "iex": "Invoke-Expression",
    "echo": "Write-Output",
    "write": "Write-Output",
    "gwmi": "Get-WmiObject",
    "gsv": "Get-Service",
    "sleep": "Start-Sleep",
    "oh": "Out-Host",
    "gsnp": "Get-PSSnapin",
    "asnp": "Add-PSSnapin",
    "epcsv": "Export-Csv",
    "ipcsv": "Import-Csv",
    "gc": "Get-Content",
    "type": "Get-Content",
    "cat": "Get-Content",
    "group": "Group-Object",
    "spsv": "Stop-Service",
    "sasv": "Start-Service",
}


class Interpreter:
    """One powershell.exe session."""

    def __init__(
        self,
        io: ProcessIO,
        host: NodeHost | None,
        account: Account | None,
        *,
        error_xml: bool = False,
        env: dict[str, str] | None = None,
        width: int = 80,
    ) -> None:
        self.io = io
        self.host = host
        self.account = account
        self.error_xml = error_xml
        self.width = width
        self.env = dict(env) if env is not None else (dict(host.env) if host is not None else {})
        self.scopes: list[dict[str, Any]] = [{}]
        self.functions: dict[str, n.FunctionDef] = {}
        self.cmdlets: dict[str, Cmdlet] = registry()
        self.snapins: list[str] = []
        self.errors: list[Any] = []
        self.last_ok = True
        self.clixml_started = False
        self.noninteractive = False
        self._err_stack: list[Emit | None] = []
        self._texts: list[str] = []
        self._pending_files: list[tuple[str, list[Any], bool]] = []
        self._merge_stack: list[bool] = []
        self.files: dict[str, str] = host_files(host)
        self.location = ""  # Set-Location's current folder ("" = the profile folder)
        self.set_var("ErrorActionPreference", "Continue")
        self.set_var("OFS", " ")
        self.set_var("true", True)
        self.set_var("false", False)
        self.set_var("null", None)
        self.set_var("Error", self.errors)
        self.set_var(
            "PSVersionTable",
            PSHashtable(
                {
                    "CLRVersion": "2.0.50727.4016",
                    "BuildVersion": "6.0.6002.18111",
                    "PSVersion": "2.0",
                    "WSManStackVersion": "2.0",
                    "PSCompatibleVersions": "1.0, 2.0",
                    "SerializationVersion": "1.1.0.1",
                    "PSRemotingProtocolVersion": "2.1",
                }
            ),
        )
        self.set_var("PID", 4000 + (hash(host.name if host else "") % 3000))
        self.set_var(
            "Host",
            PSObject("System.Management.Automation.Internal.Host.InternalHost", to_string="ConsoleHost"),
        )

    # ---- variables ----------------------------------------------------------------------------

    def get_var(self, name: str) -> Any:
        low = name.casefold()
        if low.startswith("env:"):
            key = name[4:].casefold()
            for k, v in self.env.items():
                if k.casefold() == key:
                    return v
            return None
        for prefix in ("global:", "script:", "local:", "private:", "variable:"):
            if low.startswith(prefix):
                low = low[len(prefix) :]
        if low == "?":
            return self.last_ok
        for scope in reversed(self.scopes):
            if low in scope:
                return scope[low][1]
        return None

    def has_var(self, name: str) -> bool:
        low = name.casefold()
        return any(low in s for s in self.scopes) or low == "?"

    def set_var(self, name: str, value: Any, local: bool = False) -> None:
        low = name.casefold()
        if low.startswith("env:"):
            key = name[4:]
            for k in list(self.env):
                if k.casefold() == key.casefold():
                    del self.env[k]
            if value is not None and value != "":
                self.env[key] = to_string(value)
            return
        if low.startswith("global:"):
            self.scopes[0][low[7:]] = (name[7:], value)
            return
        for prefix in ("script:", "local:", "private:", "variable:"):
            if low.startswith(prefix):
                low = low[len(prefix) :]
                name = name[len(prefix) :]
        if low in ("true", "false", "null") and self.has_var(low) and len(self.scopes[0]) > 5:
            raise PSRuntimeError(
                ErrorRecord(
                    f"Cannot overwrite variable {name} because it is read-only or constant.",
                    "VariableNotWritable",
                    "WriteError",
                    target=name,
                    target_type="String",
                    reason="SessionStateUnauthorizedAccessException",
                )
            )
        if not local:
            for scope in reversed(self.scopes):
                if low in scope:
                    scope[low] = (name, value)
                    return
        self.scopes[-1][low] = (name, value)

    # ---- running scripts ----------------------------------------------------------------------

    def parse(self, text: str) -> n.ScriptAst:
        return Parser(text).parse_script()

    def run_text(self, text: str, out: Emit | None = None) -> bool:
        """Run one -Command text (or one stdin line): parse, execute, report errors.
        Returns whether the last statement succeeded ($?)."""
        console = out is None
        sink = ConsoleOut(self) if console else None
        emit = sink.emit if sink else out
        assert emit is not None
        try:
            script = self.parse(text)
        except PSParseError as exc:
            rec = parse_error_record(exc.message, exc.error_id, exc.token)
            rec.position = Position(text, exc.pos)
            self.report_error(rec)
            self.last_ok = False
            return False
        self._texts.append(text)
        try:
            for stmt in script.statements:
                try:
                    self.exec_statement(stmt, emit)
                except PSRuntimeError as exc:
                    if sink:
                        sink.flush()
                    self.report_error(exc.record)
                    self.last_ok = False
                    if exc.script_terminating:
                        break
                except FlowControl as fc:
                    if fc.kind == "return":
                        break
                    break
                finally:
                    if sink:
                        sink.flush()
        finally:
            self._texts.pop()
            if sink:
                sink.flush()
        return self.last_ok

    def report_error(self, record: ErrorRecord) -> None:
        """Write an error record to stderr as the console host does (text or CLIXML)."""
        if record not in self.errors:
            self.errors.insert(0, record)
        lines = console_wrap(record.render(self.width), self.width)
        if self.error_xml:
            # one <Objs> document for the whole process, closed by close_error_stream()
            text = "" if self.clixml_started else CLIXML_HEADER + CLIXML_OPEN
            self.clixml_started = True
            self.io.write(text + clixml_error_lines(lines), "stderr")
        else:
            self.io.write("".join(line + "\r\n" for line in lines), "stderr")

    def close_error_stream(self) -> None:
        """At exit: end the CLIXML error document, as the host's serializer does."""
        if self.clixml_started:
            self.io.write(CLIXML_CLOSE, "stderr")
            self.clixml_started = False

    def write_error(
        self, record: ErrorRecord, action: str | None = None, emit_err: Emit | None = None
    ) -> None:
        """A non-terminating error, honouring -ErrorAction / $ErrorActionPreference."""
        pref = (action or to_string(self.get_var("ErrorActionPreference")) or "Continue").casefold()
        self.last_ok = False
        if pref == "stop":
            raise PSRuntimeError(stop_record(record))
        self.errors.insert(0, record)
        if pref == "silentlycontinue":
            return
        target = self._err_stack[-1] if self._err_stack else None
        if target is not None:
            target(record)
        else:
            self.report_error(record)

    # ---- statements ---------------------------------------------------------------------------

    def exec_block(self, body: n.ScriptAst, emit: Emit) -> None:
        for stmt in body.statements:
            self.exec_statement(stmt, emit)

    def exec_statement(self, stmt: n.Node, emit: Emit) -> None:
        try:
            self._exec_statement(stmt, emit)
        except (PSRuntimeError, FlowControl, ExitScript, Terminated):
            raise
        except PSValueError as exc:
            rec = ErrorRecord(
                exc.message,
                exc.error_id,
                "InvalidArgument",
                reason="RuntimeException",
                position=Position(self.current_text(stmt), stmt.end),
            )
            raise PSRuntimeError(rec) from None
        except re.error as exc:
            rec = ErrorRecord(
                f"The regular expression pattern is not valid: {exc}.",
                "InvalidRegularExpression",
                "InvalidOperation",
                reason="RuntimeException",
                position=Position(self.current_text(stmt), stmt.end),
            )
            raise PSRuntimeError(rec) from None
        except Exception as exc:
            rec = ErrorRecord(
                f"Lab internal error: {type(exc).__name__}: {exc}",
                "LabInternalError",
                "NotSpecified",
                position=Position(self.current_text(stmt), stmt.end),
            )
            raise PSRuntimeError(rec) from exc

    def _exec_statement(self, stmt: n.Node, emit: Emit) -> None:
        handler = _STATEMENTS.get(type(stmt))
        if handler is None:  # a subclass of a statement node
            handler = next((h for t, h in _STATEMENTS.items() if isinstance(stmt, t)), None)
        if handler is None:
            raise PSRuntimeError(ErrorRecord("Unsupported statement.", "UnsupportedStatement"))
        handler(self, stmt, emit)

    def _exec_pipeline(self, stmt: n.Pipeline | n.ExprStatement | n.Command, emit: Emit) -> None:
        self.run_pipeline(stmt, emit)

    def _exec_assign(self, stmt: n.Assign, emit: Emit) -> None:
        self.assign(stmt)

    def _exec_if(self, stmt: n.If, emit: Emit) -> None:
        for cond, body in stmt.clauses:
            if to_bool(self.eval_pipeline_value(cond)):
                self.exec_block(body, emit)
                return
        if stmt.else_body is not None:
            self.exec_block(stmt.else_body, emit)

    def _exec_foreach(self, stmt: n.Foreach, emit: Emit) -> None:
        items = enumerate_value(self.eval_pipeline_value(stmt.iterable))
        for item in items:
            self.set_var(stmt.var, item)
            try:
                self.exec_block(stmt.body, emit)
            except FlowControl as fc:
                if fc.kind == "break":
                    break
                if fc.kind == "continue":
                    continue
                raise

    def _exec_for(self, stmt: n.For, emit: Emit) -> None:
        if stmt.init is not None:
            self.exec_statement(stmt.init, lambda _x: None)
        while stmt.cond is None or to_bool(self.eval_pipeline_value(stmt.cond)):
            try:
                self.exec_block(stmt.body, emit)
            except FlowControl as fc:
                if fc.kind == "break":
                    break
                if fc.kind != "continue":
                    raise
            if stmt.step is not None:
                self.exec_statement(stmt.step, lambda _x: None)

    def _exec_while(self, stmt: n.While, emit: Emit) -> None:
        first = True
        while True:
            if not (stmt.do and first):
                ok = to_bool(self.eval_pipeline_value(stmt.cond))
                if stmt.until:
                    ok = not ok
                if not ok:
                    break
            first = False
            try:
                self.exec_block(stmt.body, emit)
            except FlowControl as fc:
                if fc.kind == "break":
                    break
                if fc.kind != "continue":
                    raise

    def _exec_throw(self, stmt: n.Throw, emit: Emit) -> None:
        self.exec_throw(stmt)

    def _exec_flow(self, stmt: n.Flow, emit: Emit) -> None:
        value = self.eval_pipeline_value(stmt.value) if stmt.value is not None else None
        if stmt.kind == "exit":
            raise ExitScript(to_int(value) if value is not None else 0)
        if stmt.kind == "return" and stmt.value is not None:
            for item in enumerate_value(value):
                emit(item)
        raise FlowControl(stmt.kind, value)

    def _exec_function_def(self, stmt: n.FunctionDef, emit: Emit) -> None:
        self.functions[stmt.name.casefold()] = stmt

    def exec_switch(self, stmt: n.Switch, emit: Emit) -> None:
        value = self.eval_pipeline_value(stmt.value)
        items = enumerate_value(value) if isinstance(value, list) else [value]
        case = "c" in stmt.flags
        for item in items:
            matched = False
            try:
                for pattern, body in stmt.clauses:
                    if pattern is None:
                        continue
                    if isinstance(pattern, n.ScriptBlockExpr):
                        sb = ScriptBlock(pattern.body, pattern.text)
                        hit = to_bool(self.scriptblock_value(sb, item))
                    else:
                        pat = self.eval(pattern)
                        if "r" in stmt.flags:
                            flags = 0 if case else re.IGNORECASE
                            hit = re.search(to_string(pat), to_string(item), flags) is not None
                        elif "w" in stmt.flags:
                            hit = like(item, pat, case)
                        else:
                            hit = (
                                equals(to_string(item), to_string(pat), case)
                                if isinstance(item, str)
                                else equals(item, pat, case)
                            )
                    if hit:
                        matched = True
                        self.set_var("_", item)
                        self.exec_block(body, emit)
                if not matched:
                    for pattern, body in stmt.clauses:
                        if pattern is None:
                            self.set_var("_", item)
                            self.exec_block(body, emit)
            except FlowControl as fc:
                if fc.kind == "break":
                    return
                if fc.kind == "continue":
                    continue
                raise

    def exec_try(self, stmt: n.Try, emit: Emit) -> None:
        try:
            try:
                self.exec_block(stmt.body, emit)
            except PSRuntimeError as exc:
                rec = exc.record
                for catch in stmt.catches:
                    if not catch.types or any(self.catch_matches(t, rec) for t in catch.types):
                        self.scopes.append({})
                        self.set_var("_", rec, local=True)
                        try:
                            self.exec_block(catch.body, emit)
                        finally:
                            self.scopes.pop()
                        self.last_ok = True
                        break
                else:
                    raise
        finally:
            if stmt.final is not None:
                self.exec_block(stmt.final, emit)

    def catch_matches(self, type_name: str, rec: ErrorRecord) -> bool:
        want = resolve_type_name(type_name).casefold()
        if want in ("system.exception", "exception"):
            return True
        chain = [rec.exception_type.casefold()]
        if rec.exception_type.endswith("RuntimeException") or "Exception" in rec.exception_type:
            chain.append("system.management.automation.runtimeexception")
        return want in chain or any(c.endswith("." + want) for c in chain)

    def exec_throw(self, stmt: n.Throw) -> None:
        value = self.eval_pipeline_value(stmt.value) if stmt.value is not None else None
        pos = Position(self.current_text(stmt), stmt.end)
        if isinstance(value, ErrorRecord):
            raise PSRuntimeError(value, script_terminating=True)
        if value is None:
            msg = "ScriptHalted"
            rec = ErrorRecord(
                msg, "ScriptHalted", "OperationStopped", target=None, reason="RuntimeException", position=pos
            )
        else:
            msg = to_string(value)
            rec = ErrorRecord(
                msg,
                msg,
                "OperationStopped",
                target=msg,
                target_type=_short_type(value),
                reason="RuntimeException",
                position=pos,
            )
        raise PSRuntimeError(rec, script_terminating=True, thrown_value=value)

    def current_text(self, node: n.Node) -> str:
        return self._texts[-1] if self._texts else ""

    # ---- assignment ---------------------------------------------------------------------------

    def assign(self, stmt: n.Assign) -> None:
        value = self.eval_statement_value(stmt.value)
        target = stmt.target
        if stmt.op != "=":
            current = self.eval(target)
            op = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%"}[stmt.op]
            value = self.arith(op, current, value, stmt)
        self.store(target, value, stmt)

    def store(self, target: n.Node, value: Any, stmt: n.Node) -> None:
        if isinstance(target, n.Cast):
            value = self.cast(target.type_name, value, target)
            target = target.operand
        if isinstance(target, n.Var):
            self.set_var(target.name, value)
        elif isinstance(target, n.Member):
            obj = self.eval(target.target)
            name = to_string(self.eval(target.name))
            if (
                target.static
                and isinstance(obj, TypeRef)
                and obj.name.casefold() == "system.console"
                and (name.casefold() in ("outputencoding", "inputencoding"))
            ):
                return  # the console encoding stays the shell's code page
            if isinstance(obj, PSHashtable):
                obj.put(name, value)
            elif isinstance(obj, PSObject):
                obj.set(name, value)
            else:
                raise self.runtime_error(
                    f"Property '{name}' cannot be found on this object; make sure it exists and is settable.",
                    "PropertyAssignmentException",
                    stmt,
                )
        elif isinstance(target, n.Index):
            obj = self.eval(target.target)
            idx = self.eval(target.index)
            if isinstance(obj, PSHashtable):
                obj.put(idx, value)
            elif isinstance(obj, list):
                i = to_int(idx)
                if not -len(obj) <= i < len(obj):
                    raise self.runtime_error(
                        "Array assignment failed because index '" + str(i) + "' was out of range.",
                        "IndexOutOfRange",
                        stmt,
                    )
                obj[i] = value
            else:
                raise self.runtime_error(
                    "Unable to index into an object of type " + dotnet_type(obj) + ".", "CannotIndex", stmt
                )
        else:
            raise self.runtime_error("The assignment expression is not valid.", "InvalidLeftHandSide", stmt)

    def eval_statement_value(self, stmt: n.Node) -> Any:
        """The value of a statement used as an expression (assignment RHS): one object stays a
        scalar, several become an array, none is $null."""
        if isinstance(stmt, n.ExprStatement) and not stmt.redirections:
            return self.eval(stmt.expr)
        if isinstance(stmt, n.Assign):
            self.assign(stmt)
            return self.eval(stmt.target)
        out: list[Any] = []
        self.exec_statement(stmt, out.append)
        return collapse(out)

    def eval_pipeline_value(self, node: n.Node) -> Any:
        return self.eval_statement_value(node)

    # ---- pipelines ----------------------------------------------------------------------------

    def run_pipeline(self, stmt: n.Node, emit: Emit) -> None:
        elements = stmt.elements if isinstance(stmt, n.Pipeline) else [stmt]
        data: list[Any] | None = None
        self.last_ok = True
        for i, element in enumerate(elements):
            last = i == len(elements) - 1
            out: list[Any] = []
            sink: Emit = emit if last else out.append
            if isinstance(element, n.ExprStatement):
                self.with_redirections(element.redirections, sink, self._expr_runner(element))
            elif isinstance(element, n.Command):
                self.with_redirections(element.redirections, sink, self._command_runner(element, data, last))
            if not last:
                data = out

    def _expr_runner(self, element: n.ExprStatement) -> Callable[[Emit], None]:
        def run(sink: Emit) -> None:
            self._emit_expr(element, sink)

        return run

    def _command_runner(self, cmd: n.Command, data: list[Any] | None, last: bool) -> Callable[[Emit], None]:
        def run(sink: Emit) -> None:
            self.invoke_command(cmd, data or [], sink, last, data is not None)

        return run

    def _emit_expr(self, element: n.ExprStatement, sink: Emit) -> None:
        value = self.eval(element.expr)
        if isinstance(element.expr, n.Unary) and element.expr.op in ("pre++", "pre--", "post++", "post--"):
            return  # an increment used as a statement writes nothing
        if isinstance(element.expr, n.Paren | n.SubExpr) or isinstance(value, list):
            for item in enumerate_value(value):
                sink(item)
        elif value is not None or not isinstance(element.expr, n.Var | n.Const):
            if value is not None:
                sink(value)

    def with_redirections(self, redirs: list[n.Redirection], sink: Emit, run: Callable[[Emit], None]) -> None:
        if not redirs:
            self._err_stack.append(None)
            try:
                run(sink)
            finally:
                self._err_stack.pop()
            return
        out_sink = sink
        err_sink: Emit | None = None
        file_out: list[Any] | None = None
        for r in redirs:
            if r.merge:
                err_sink = sink
            elif r.target is not None:
                target = self.eval(r.target)
                if target is None:  # > $null
                    if r.stream == "2":
                        err_sink = _drop
                    else:
                        out_sink = _drop
                else:
                    path = to_string(target)
                    collected: list[Any] = []
                    if r.stream == "2":
                        err_sink = collected.append
                    else:
                        out_sink = collected.append
                        file_out = collected
                    self._pending_files.append((path, collected, r.append))
        self._err_stack.append(err_sink)
        self._merge_stack.append(err_sink is sink and err_sink is not None)
        try:
            run(out_sink)
        finally:
            self._err_stack.pop()
            self._merge_stack.pop()
            self.flush_files()
        del file_out

    def flush_files(self) -> None:
        while self._pending_files:
            path, items, append = self._pending_files.pop(0)
            text = out_string(items, self.width)
            self.write_file(path, text, append)

    def write_file(self, path: str, text: str, append: bool) -> None:
        key = path.casefold()
        if append and key in self.files:
            self.files[key] += text
        else:
            self.files[key] = text

    # ---- commands -----------------------------------------------------------------------------

    def invoke_command(self, cmd: n.Command, data: list[Any], emit: Emit, last: bool, piped: bool) -> None:
        name_value = (
            self.eval(cmd.name) if (cmd.call_op or not isinstance(cmd.name, n.Const)) else cmd.name.value
        )
        pos = Position(self.current_text(cmd), cmd.name_end)
        if isinstance(name_value, ScriptBlock):
            args = [self.eval_arg(e) for e in cmd.elements if isinstance(e, n.CmdArg)]
            self.invoke_scriptblock(name_value, emit, args=args, input_=data)
            return
        name = to_string(name_value)
        low = name.casefold()
        target = ALIASES.get(low, name)
        fn = self.functions.get(target.casefold())
        if fn is not None:
            self.call_function(fn, cmd, data, emit)
            return
        cmdlet = self.find_cmdlet(target)
        if cmdlet is not None:
            self.call_cmdlet(cmdlet, cmd, data, emit, pos, piped)
            return
        if self.native_exists(name):
            self.call_native(name, cmd, data, emit, last, pos)
            return
        rec = not_recognized(name)
        rec.position = pos
        raise PSRuntimeError(rec)

    def find_cmdlet(self, name: str) -> Cmdlet | None:
        c = self.cmdlets.get(name.casefold())
        if c is None:
            return None
        if c.snapin and c.snapin.casefold() not in (s.casefold() for s in self.snapins):
            return None
        return c

    def eval_arg(self, element: n.Node) -> Any:
        assert isinstance(element, n.CmdArg)
        return self.eval(element.value)

    def call_cmdlet(
        self, cmdlet: Cmdlet, cmd: n.Command, data: list[Any], emit: Emit, pos: Position, piped: bool
    ) -> None:
        items: list[tuple[str | None, Any, bool]] = []
        for e in cmd.elements:
            if isinstance(e, n.CmdParam):
                if e.arg is not None:
                    items.append((e.name, self.eval(e.arg), True))
                else:
                    items.append((e.name, None, False))
            elif isinstance(e, n.CmdArg):
                items.append((None, self.eval(e.value), True))
        try:
            bound = bind(cmdlet, items)
        except BindingError as exc:
            rec = ErrorRecord(
                exc.message,
                f"{exc.error_id},{cmdlet.class_name}",
                "InvalidArgument",
                activity=cmdlet.name,
                reason="ParameterBindingException",
                exception_type="System.Management.Automation.ParameterBindingException",
                command=cmdlet.name,
                position=pos,
            )
            raise PSRuntimeError(rec) from None
        missing = [
            p.name
            for p in cmdlet.params
            if p.mandatory and p.name not in bound and not (p.pipeline and piped)
        ]
        if missing:
            rec = ErrorRecord(
                "Cannot process command because of one or more missing mandatory parameters: "
                + " ".join(missing)
                + ".",
                f"MissingMandatoryParameter,{cmdlet.class_name}",
                "InvalidArgument",
                activity=cmdlet.name,
                reason="ParameterBindingException",
                exception_type="System.Management.Automation.ParameterBindingException",
                command=cmdlet.name,
                position=pos,
            )
            raise PSRuntimeError(rec)
        action = bound.get("ErrorAction")
        ctx = CmdletContext(
            self,
            cmdlet,
            bound,
            list(data),
            emit,
            position=pos,
            error_action=to_string(action) if action is not None else None,
            had_input=piped,
            invocation_text=self.current_text(cmd)[cmd.pos : cmd.end].strip(),
        )
        if cmdlet.snapin and self.host is not None:
            self.io.sleep(self.host.faults.costs.cmdlet_s)
        try:
            cmdlet.run(ctx)
        except PSValueError as exc:
            raise PSRuntimeError(
                ctx.error(exc.message, exc.error_id, "InvalidArgument", reason="ParameterBindingException")
            ) from None

    def call_function(self, fn: n.FunctionDef, cmd: n.Command, data: list[Any], emit: Emit) -> None:
        named: dict[str, Any] = {}
        positional: list[Any] = []
        elements = list(cmd.elements)
        i = 0
        while i < len(elements):
            e = elements[i]
            i += 1
            if isinstance(e, n.CmdParam):
                if e.arg is not None:
                    named[e.name.casefold()] = self.eval(e.arg)
                elif i < len(elements) and isinstance(elements[i], n.CmdArg):
                    named[e.name.casefold()] = self.eval_arg(elements[i])
                    i += 1
                else:
                    named[e.name.casefold()] = True
            elif isinstance(e, n.CmdArg):
                positional.append(self.eval(e.value))
        self.scopes.append({})
        try:
            rest = list(positional)
            for pname, default in fn.params:
                if pname.casefold() in named:
                    self.set_var(pname, named.pop(pname.casefold()), local=True)
                elif rest:
                    self.set_var(pname, rest.pop(0), local=True)
                else:
                    self.set_var(pname, self.eval(default) if default is not None else None, local=True)
            self.set_var("args", rest, local=True)
            self.set_var("input", list(data), local=True)
            try:
                self.exec_block(fn.body, emit)
            except FlowControl as fc:
                if fc.kind != "return":
                    raise
        finally:
            self.scopes.pop()

    def invoke_scriptblock(
        self,
        sb: ScriptBlock,
        emit: Emit,
        *,
        args: list[Any] | None = None,
        input_: list[Any] | None = None,
        dollar_under: Any = ...,
        new_scope: bool = True,
    ) -> None:
        if new_scope:
            self.scopes.append({})
        try:
            if dollar_under is not ...:
                self.set_var("_", dollar_under, local=True)
            rest = list(args or [])
            for pname, default in sb.body.params:
                value = rest.pop(0) if rest else (self.eval(default) if default is not None else None)
                self.set_var(pname, value, local=True)
            self.set_var("args", rest, local=True)
            if input_ is not None:
                self.set_var("input", list(input_), local=True)
            try:
                self.exec_block(sb.body, emit)
            except FlowControl as fc:
                if fc.kind != "return":
                    raise
        finally:
            if new_scope:
                self.scopes.pop()

    def scriptblock_value(self, sb: ScriptBlock, dollar_under: Any) -> Any:
        out: list[Any] = []
        self.invoke_scriptblock(sb, out.append, dollar_under=dollar_under)
        return collapse(out)

    # ---- native programs ----------------------------------------------------------------------

    def native_exists(self, name: str) -> bool:
        return program_exists(self, name)

    def call_native(
        self, name: str, cmd: n.Command, data: list[Any], emit: Emit, last: bool, pos: Position
    ) -> None:
        args: list[str] = []
        for e in cmd.elements:
            if isinstance(e, n.CmdParam):
                text = "-" + e.name
                if e.arg is not None:
                    value = self.eval(e.arg)
                    text += ":" + to_string(value)
                args.append(text)
            elif isinstance(e, n.CmdArg):
                value = self.eval(e.value)
                if isinstance(value, list):
                    args.extend(to_string(v) for v in value)
                else:
                    args.append(to_string(value))
        err_target = self._err_stack[-1] if self._err_stack else None
        merged = bool(self._merge_stack and self._merge_stack[-1])
        run_native(
            self,
            name,
            args,
            data,
            emit,
            console=(emit_is_console(emit) and last),
            err_sink=err_target,
            merged=merged,
            position=pos,
        )

    # ---- expressions --------------------------------------------------------------------------

    def runtime_error(
        self,
        message: str,
        error_id: str,
        node: n.Node,
        category: str = "InvalidOperation",
        target: Any = None,
        reason: str = "RuntimeException",
    ) -> PSRuntimeError:
        rec = ErrorRecord(
            message,
            error_id,
            category,
            target=target,
            target_type=_short_type(target) if target is not None else "",
            reason=reason,
            position=Position(self.current_text(node), node.end),
        )
        return PSRuntimeError(rec)

    def eval(self, node: n.Node) -> Any:
        handler = _EXPRESSIONS.get(type(node))
        if handler is None:  # a subclass of an expression node
            handler = next((h for t, h in _EXPRESSIONS.items() if isinstance(node, t)), None)
        if handler is None:
            raise self.runtime_error("Unsupported expression.", "UnsupportedExpression", node)
        return handler(self, node)

    def _eval_const(self, node: n.Const) -> Any:
        return node.value

    def _eval_xstring(self, node: n.XString) -> Any:
        return self.expand(node.parts)

    def _eval_var(self, node: n.Var) -> Any:
        return self.get_var(node.name)

    def _eval_paren(self, node: n.Paren) -> Any:
        return self.eval_statement_value(node.pipeline)

    def _eval_subexpr(self, node: n.SubExpr) -> Any:
        out: list[Any] = []
        self.exec_block(node.body, out.append)
        if node.array:
            return out
        return collapse(out)

    def _eval_array(self, node: n.ArrayLit) -> Any:
        return [self.eval(i) for i in node.items]

    def _eval_hashtable(self, node: n.HashLit) -> Any:
        h = PSHashtable()
        for k, v in node.pairs:
            h.put(self.eval(k), self.eval_statement_value(v))
        return h

    def _eval_scriptblock(self, node: n.ScriptBlockExpr) -> Any:
        return ScriptBlock(node.body, node.text)

    def _eval_type(self, node: n.TypeLit) -> Any:
        return TypeRef(resolve_type_name(node.name))

    def _eval_cast(self, node: n.Cast) -> Any:
        return self.cast(node.type_name, self.eval(node.operand), node)

    def _eval_member(self, node: n.Member) -> Any:
        target = self.eval(node.target)
        name = to_string(self.eval(node.name))
        if node.static:
            return self.static_member(target, name, node)
        return self.get_member(target, name)

    def _eval_invoke(self, node: n.Invoke) -> Any:
        target = self.eval(node.target)
        name = to_string(self.eval(node.name))
        args = [self.eval(a) for a in node.args]

        try:
            if node.static:
                return call_static(self, target, name, args, node)
            return call_method(self, target, name, args, node)
        except PSValueError as exc:
            raise self.method_exception(name, len(args), exc.message, node) from None

    def _eval_index(self, node: n.Index) -> Any:
        return self.index(self.eval(node.target), self.eval(node.index))

    def method_exception(self, name: str, argc: int, message: str, node: n.Node) -> PSRuntimeError:
        rec = ErrorRecord(
            f'Exception calling "{name}" with "{argc}" argument(s): "{message}"',
            "DotNetMethodException",
            "NotSpecified",
            reason="MethodInvocationException",
            exception_type="System.Management.Automation.MethodInvocationException",
            position=Position(self.current_text(node), node.pos),
        )
        return PSRuntimeError(rec)

    def expand(self, parts: list[Any]) -> str:
        ofs = to_string(self.get_var("OFS")) if self.has_var("OFS") else " "
        out: list[str] = []
        for p in parts:
            if isinstance(p, str):
                out.append(p)
            elif p[0] == "var":
                out.append(to_string(self.get_var(p[1]), ofs))
            else:
                values: list[Any] = []
                self._texts.append(p[1].text)
                try:
                    self.exec_block(p[1], values.append)
                finally:
                    self._texts.pop()
                out.append(to_string(collapse(values), ofs))
        return "".join(out)

    def index(self, target: Any, idx: Any) -> Any:
        if isinstance(idx, list):
            return [self.index(target, i) for i in idx]
        if isinstance(target, PSHashtable):
            return target.lookup(idx)
        if isinstance(target, str):
            i = to_int(idx)
            if -len(target) <= i < len(target):
                return target[i]
            return None
        if isinstance(target, list | bytes | bytearray):
            i = to_int(idx)
            if -len(target) <= i < len(target):
                v = target[i]
                return Byte(v) if isinstance(target, bytes | bytearray) else v
            return None
        if target is None:
            raise PSRuntimeError(
                ErrorRecord(
                    "Cannot index into a null array.",
                    "NullArray",
                    "InvalidOperation",
                    reason="RuntimeException",
                )
            )
        if isinstance(target, PSObject) and isinstance(idx, str):
            return target[idx]
        if to_int(idx) in (0, -1):
            return target
        return None

    def get_member(self, target: Any, name: str) -> Any:
        return get_property(self, target, name)

    def static_member(self, target: Any, name: str, node: n.Node) -> Any:
        return get_static(self, target, name, node)

    def cast(self, type_name: str, value: Any, node: n.Node) -> Any:
        try:
            return convert_to(self, resolve_type_name(type_name), value)
        except PSValueError as exc:
            if exc.error_id == "TypeNotFound":
                raise self.runtime_error(
                    exc.message, "TypeNotFound", node, "InvalidOperation", target=type_name
                ) from None
            raise self.runtime_error(
                exc.message, exc.error_id, node, "InvalidArgument", reason="RuntimeException"
            ) from None

    def unary(self, node: n.Unary) -> Any:
        if node.op in ("pre++", "pre--", "post++", "post--"):
            value = self.eval(node.operand)
            new = self.arith("+" if node.op.endswith("++") else "-", value, 1, node)
            self.store(node.operand, new, node)
            return new if node.op.startswith("pre") else value
        value = self.eval(node.operand)
        if node.op == "not":
            return not to_bool(value)
        if node.op == "neg":
            try:
                return -to_number(value)
            except PSValueError as exc:
                raise self.runtime_error(exc.message, exc.error_id, node) from None
        if node.op == "pos":
            return to_number(value)
        if node.op == "bnot":
            return ~to_int(value)
        if node.op == "join":
            return "".join(to_string(v) for v in enumerate_value(value))
        if node.op == "split":
            out: list[str] = []
            for v in enumerate_value(value):
                out.extend(x for x in re.split(r"\s+", to_string(v).strip()))
            return out
        raise self.runtime_error("Unsupported operator.", "UnsupportedOperator", node)

    def binary(self, node: n.Binary) -> Any:
        op = node.op
        if op == "and":
            return to_bool(self.eval(node.left)) and to_bool(self.eval(node.right))
        if op == "or":
            return to_bool(self.eval(node.left)) or to_bool(self.eval(node.right))
        left = self.eval(node.left)
        right = self.eval(node.right)
        if op == "xor":
            return to_bool(left) != to_bool(right)
        if op in ("+", "-", "*", "/", "%"):
            return self.arith(op, left, right, node)
        if op == "..":
            a, b = to_int(left), to_int(right)
            step = 1 if b >= a else -1
            return list(range(a, b + step, step))
        if op == "f":
            try:
                return composite_format(
                    to_string(left), enumerate_value(right) if isinstance(right, list) else [right]
                )
            except PSValueError as exc:
                raise self.runtime_error(
                    f"Error formatting a string: {exc.message}", "FormatError", node
                ) from None

        try:
            return compare_op(self, op, left, right)
        except PSValueError as exc:
            raise self.runtime_error(exc.message, exc.error_id, node) from None
        except re.error as exc:
            raise self.runtime_error(
                f"The regular expression pattern {to_string(right)} is not valid.",
                "InvalidRegularExpression",
                node,
                reason="RuntimeException",
            ) from exc

    def arith(self, op: str, left: Any, right: Any, node: n.Node) -> Any:
        try:
            return arithmetic(op, left, right)
        except PSValueError as exc:
            raise self.runtime_error(exc.message, exc.error_id, node) from None
        except ZeroDivisionError:
            raise self.runtime_error(
                "Attempted to divide by zero.", "RuntimeException", node, reason="RuntimeException"
            ) from None

    # ---- invocation helpers used by cmdlets -----------------------------------------------------

    def invoke_expression(self, text: str, emit: Emit) -> None:
        """Invoke-Expression: parse and run text in the current scope; errors propagate."""
        try:
            script = self.parse(text)
        except PSParseError as exc:
            rec = parse_error_record(exc.message, exc.error_id, exc.token)
            rec.position = Position(text, exc.pos)
            raise PSRuntimeError(rec) from None
        self._texts.append(text)
        try:
            for stmt in script.statements:
                try:
                    self.exec_statement(stmt, emit)
                except PSRuntimeError as exc:
                    if exc.script_terminating or self.in_try():
                        raise
                    # a statement-terminating error: report it and go on with the next statement
                    self.write_error(exc.record, None)
        finally:
            self._texts.pop()

    def in_try(self) -> bool:
        return False

    def run_script_ast(self, script: n.ScriptAst, text: str, emit: Emit) -> None:
        self._texts.append(text)
        try:
            for stmt in script.statements:
                self.exec_statement(stmt, emit)
        finally:
            self._texts.pop()


# Statement node type -> how it runs (in the order a subclass is matched, see _exec_statement).
_STATEMENTS: dict[type, Callable[[Interpreter, Any, Emit], None]] = {
    n.Pipeline: Interpreter._exec_pipeline,
    n.ExprStatement: Interpreter._exec_pipeline,
    n.Command: Interpreter._exec_pipeline,
    n.Assign: Interpreter._exec_assign,
    n.If: Interpreter._exec_if,
    n.Foreach: Interpreter._exec_foreach,
    n.For: Interpreter._exec_for,
    n.While: Interpreter._exec_while,
    n.Switch: Interpreter.exec_switch,
    n.Try: Interpreter.exec_try,
    n.Throw: Interpreter._exec_throw,
    n.Flow: Interpreter._exec_flow,
    n.FunctionDef: Interpreter._exec_function_def,
}


# Expression node type -> its value (in the order a subclass is matched, see Interpreter.eval).
_EXPRESSIONS: dict[type, Callable[[Interpreter, Any], Any]] = {
    n.Const: Interpreter._eval_const,
    n.XString: Interpreter._eval_xstring,
    n.Var: Interpreter._eval_var,
    n.Paren: Interpreter._eval_paren,
    n.SubExpr: Interpreter._eval_subexpr,
    n.ArrayLit: Interpreter._eval_array,
    n.HashLit: Interpreter._eval_hashtable,
    n.ScriptBlockExpr: Interpreter._eval_scriptblock,
    n.TypeLit: Interpreter._eval_type,
    n.Cast: Interpreter._eval_cast,
    n.Unary: Interpreter.unary,
    n.Binary: Interpreter.binary,
    n.Member: Interpreter._eval_member,
    n.Invoke: Interpreter._eval_invoke,
    n.Index: Interpreter._eval_index,
    n.ExprStatement: Interpreter.eval_statement_value,
    n.Pipeline: Interpreter.eval_statement_value,
    n.Command: Interpreter.eval_statement_value,
    n.Assign: Interpreter.eval_statement_value,
}


def _drop(_obj: Any) -> None:
    return None


def collapse(items: list[Any]) -> Any:
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return items


def _short_type(v: Any) -> str:
    return dotnet_type(v).rsplit(".", 1)[-1]


def stop_record(record: ErrorRecord) -> ErrorRecord:
    """PS 2.0 wraps a non-terminating error stopped by the preference in an
    ActionPreferenceStopException whose message carries this prefix."""
    if record.extra.get("stopped"):
        return record
    msg = (
        'Command execution stopped because the preference variable "ErrorActionPreference" or common '
        "parameter is set to Stop: " + record.message
    )
    rec = ErrorRecord(
        msg,
        record.error_id,
        record.category,
        target=record.target,
        target_type=record.target_type,
        activity=record.activity,
        reason=record.reason,
        exception_type="System.Management.Automation.ActionPreferenceStopException",
        command=record.command,
        position=record.position,
        inner=record,
    )
    rec.extra["stopped"] = True
    return rec


def emit_is_console(emit: Emit) -> bool:
    return getattr(emit, "__self__", None).__class__.__name__ == "ConsoleOut"


class ConsoleOut:
    """Out-Default for the top level: strings go out at once, objects are formatted in groups."""

    def __init__(self, interp: Interpreter) -> None:
        self.interp = interp
        self.pending: list[Any] = []

    def emit(self, obj: Any) -> None:
        if is_scalar(obj) and not self.pending and not isinstance(obj, dt.datetime):
            self.interp.io.write(host_wrap(scalar_line(obj), self.interp.width) + "\r\n")
            return
        self.pending.append(obj)

    def flush(self) -> None:
        if not self.pending:
            return

        items, self.pending = self.pending, []
        self.interp.io.write(host_wrap(out_string(items, self.interp.width), self.interp.width))

    def write_raw(self, text: str) -> None:
        self.flush()
        self.interp.io.write(text)


def scalar_line(obj: Any) -> str:
    if isinstance(obj, float):
        return format_float(obj)
    return display_string(obj)


def host_files(host: NodeHost | None) -> dict[str, str]:
    """The simulated file system of a node (shared by the node's sessions)."""
    if host is None:
        return {}
    files = getattr(host, "_ps_files", None)
    if files is None:
        files = {}
        try:
            object.__setattr__(host, "_ps_files", files)
        except (AttributeError, TypeError):
            return files
    return files
