"""Core PowerShell 2.0 cmdlets the backend and the tests use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..clixml import deserialize, serialize
from ..cmdlet import EXCHANGE_SNAPIN, Cmdlet, CmdletContext, Param
from ..conversions import convert_to
from ..convertxml import convert_to_xml
from ..dotnetfmt import format_datetime
from ..errors import ErrorRecord, PSRuntimeError
from ..formatting import FormattedText, format_list, format_table, host_wrap, out_string
from ..operators import like, order
from ..streams import construct
from ..values import (
    ArrayList,
    PSHashtable,
    PSObject,
    PSProperty,
    PSValueError,
    ScriptBlock,
    UInt64,
    custom_object,
    dotnet_type,
    enumerate_value,
    to_bool,
    to_int,
    to_number,
    to_string,
)
from .files import exists

U = "Microsoft.PowerShell.Commands."


def _inputs(ctx: CmdletContext, name: str = "InputObject") -> list[Any]:
    if ctx.had_input:
        return ctx.input
    if ctx.has(name):
        v = ctx.get(name)
        return [v]
    return []


def _limit(ctx: CmdletContext) -> int:
    v = ctx.interp.get_var("FormatEnumerationLimit")
    return to_int(v) if v is not None else 4


def write_output(ctx: CmdletContext) -> None:
    if ctx.had_input:
        for o in ctx.input:
            ctx.emit(o)
        return
    for o in enumerate_value(ctx.get("InputObject")):
        ctx.emit(o)


def _console_flush(ctx: CmdletContext) -> None:
    flush = getattr(getattr(ctx.emit, "__self__", None), "flush", None)
    if callable(flush):
        flush()


def write_host(ctx: CmdletContext) -> None:
    sep = to_string(ctx.get("Separator", " "))
    objs = ctx.input if ctx.had_input else enumerate_value(ctx.get("Object"))
    text = sep.join(to_string(o) for o in objs)
    _console_flush(ctx)

    ctx.interp.io.write(host_wrap(text, ctx.interp.width) + ("" if ctx.switch("NoNewline") else "\r\n"))


def write_warning(ctx: CmdletContext) -> None:
    _console_flush(ctx)
    ctx.interp.io.write("WARNING: " + to_string(ctx.get("Message")) + "\r\n")


def write_quiet(ctx: CmdletContext) -> None:
    return None


def write_error(ctx: CmdletContext) -> None:
    rec_in = ctx.get("ErrorRecord")
    if isinstance(rec_in, ErrorRecord):
        ctx.interp.write_error(rec_in, ctx.error_action)
        return
    message = to_string(ctx.get("Message", ctx.get("Exception", "")))
    category = to_string(ctx.get("Category", "NotSpecified")) or "NotSpecified"
    error_id = to_string(ctx.get("ErrorId", "")) or "Microsoft.PowerShell.Commands.WriteErrorException"
    target = ctx.get("TargetObject")
    rec = ErrorRecord(
        message=message,
        error_id=error_id,
        category=category,
        target=target,
        target_type=dotnet_type(target).rsplit(".", 1)[-1] if target is not None else "",
        activity="Write-Error",
        reason="WriteErrorException",
        exception_type="Microsoft.PowerShell.Commands.WriteErrorException",
        command=ctx.invocation_text,
        position=None,
    )
    ctx.interp.write_error(rec, ctx.error_action)


def out_string_cmd(ctx: CmdletContext) -> None:
    items = _inputs(ctx)
    width = to_int(ctx.get("Width", ctx.interp.width))
    text = out_string(items, width, _limit(ctx))
    if ctx.switch("Stream"):
        for line in text.split("\r\n")[:-1]:
            ctx.emit(line)
        return
    if items:
        ctx.emit(text)


def out_null(ctx: CmdletContext) -> None:
    return None


def out_host(ctx: CmdletContext) -> None:
    _console_flush(ctx)
    ctx.interp.io.write(out_string(_inputs(ctx), ctx.interp.width, _limit(ctx)))


def out_file(ctx: CmdletContext) -> None:
    path = to_string(ctx.get("FilePath"))
    width = to_int(ctx.get("Width", ctx.interp.width))
    text = out_string(_inputs(ctx), width, _limit(ctx))
    ctx.interp.write_file(path, text, ctx.switch("Append"))


def _prop_value(ctx: CmdletContext, obj: Any, spec: Any) -> tuple[str, Any]:
    if isinstance(spec, PSHashtable):
        name = None
        expr = None
        for k, v in spec.items():
            key = to_string(k).casefold()
            if "name".startswith(key) or "label".startswith(key):
                name = to_string(v)
            elif "expression".startswith(key):
                expr = v
        if isinstance(expr, ScriptBlock):
            value = ctx.interp.scriptblock_value(expr, obj)
            return name or expr.text, value
        prop = to_string(expr)
        return name or prop, ctx.interp.get_member(obj, prop)
    if isinstance(spec, ScriptBlock):
        return spec.text, ctx.interp.scriptblock_value(spec, obj)
    name = to_string(spec)
    return name, ctx.interp.get_member(obj, name)


def _expand_names(obj: Any, specs: list[Any]) -> list[Any]:
    out: list[Any] = []
    for spec in specs:
        if isinstance(spec, str) and ("*" in spec or "?" in spec):
            names = [p.name for p in obj.props] if isinstance(obj, PSObject) else []
            out.extend(n for n in names if like(n, spec, False))
        else:
            out.append(spec)
    return out


def select_object(ctx: CmdletContext) -> None:
    items = _inputs(ctx)
    if not ctx.had_input and ctx.has("InputObject"):
        items = [ctx.get("InputObject")]
    if ctx.has("Skip"):
        items = items[to_int(ctx.get("Skip")) :]
    if ctx.has("First") or ctx.has("Last"):
        first = items[: to_int(ctx.get("First"))] if ctx.has("First") else []
        last = items[-to_int(ctx.get("Last")) :] if ctx.has("Last") and to_int(ctx.get("Last")) else []
        items = first + [x for x in last if x not in first] if ctx.has("First") else last
    specs = enumerate_value(ctx.get("Property")) if ctx.has("Property") else []
    expand = ctx.get("ExpandProperty")
    seen: list[Any] = []
    for obj in items:
        if expand is not None:
            value = ctx.interp.get_member(obj, to_string(expand))
            if value is None and not _has_member(obj, to_string(expand)):
                ctx.write_error(
                    ctx.error(
                        f'Property "{to_string(expand)}" cannot be found.',
                        "ExpandPropertyNotFound",
                        "InvalidArgument",
                        target=obj,
                        target_type=dotnet_type(obj).rsplit(".", 1)[-1],
                        reason="PSArgumentException",
                    )
                )
                continue
            for v in enumerate_value(value) if isinstance(value, list) else [value]:
                ctx.emit(v)
            continue
        if not specs:
            out = obj
        else:
            names = _expand_names(obj, specs)
            out = custom_object([_prop_value(ctx, obj, s) for s in names])
        if ctx.switch("Unique"):
            key = to_string(out)
            if key in seen:
                continue
            seen.append(key)
        ctx.emit(out)


def _has_member(obj: Any, name: str) -> bool:
    if isinstance(obj, PSObject):
        return obj.get(name) is not None
    return True


def where_object(ctx: CmdletContext) -> None:
    sb = ctx.get("FilterScript")
    if not isinstance(sb, ScriptBlock):
        ctx.throw(
            ctx.error(
                "Cannot bind parameter 'FilterScript'. Cannot convert the value to type "
                '"System.Management.Automation.ScriptBlock".',
                "CannotConvertArgumentNoMessage",
                "InvalidArgument",
                reason="ParameterBindingException",
            )
        )
        return
    for obj in ctx.input:
        if to_bool(ctx.interp.scriptblock_value(sb, obj)):
            ctx.emit(obj)


def foreach_object(ctx: CmdletContext) -> None:
    blocks = enumerate_value(ctx.get("Process"))
    begin = ctx.get("Begin")
    end = ctx.get("End")
    if len(blocks) >= 2 and begin is None and end is None:
        begin, *mid, last = blocks
        end = last if len(blocks) >= 3 else None
        blocks = mid if len(blocks) >= 3 else [blocks[1]]
    if isinstance(begin, ScriptBlock):
        ctx.interp.invoke_scriptblock(begin, ctx.emit, new_scope=False)
    for obj in ctx.input:
        for sb in blocks:
            if isinstance(sb, ScriptBlock):
                ctx.interp.set_var("_", obj)
                ctx.interp.invoke_scriptblock(sb, ctx.emit, dollar_under=obj, new_scope=False)
    if isinstance(end, ScriptBlock):
        ctx.interp.invoke_scriptblock(end, ctx.emit, new_scope=False)


def sort_object(ctx: CmdletContext) -> None:
    import functools

    specs = enumerate_value(ctx.get("Property")) if ctx.has("Property") else []
    desc = ctx.switch("Descending")

    def keys(obj: Any) -> list[Any]:
        if not specs:
            return [obj]
        return [_prop_value(ctx, obj, s)[1] for s in specs]

    def cmp(a: Any, b: Any) -> int:
        for x, y in zip(keys(a), keys(b), strict=False):
            if x is None and y is None:
                continue
            if x is None:
                return -1
            if y is None:
                return 1
            try:
                c = order(x, y, False)
            except Exception:
                c = order(to_string(x), to_string(y), False)
            if c:
                return c
        return 0

    items = sorted(ctx.input, key=functools.cmp_to_key(cmp), reverse=desc)
    if ctx.switch("Unique"):
        uniq: list[Any] = []
        for o in items:
            if not any(cmp(o, u) == 0 for u in uniq):
                uniq.append(o)
        items = uniq
    for o in items:
        ctx.emit(o)


def measure_object(ctx: CmdletContext) -> None:
    prop = ctx.get("Property")
    values = [ctx.interp.get_member(o, to_string(prop)) if prop is not None else o for o in ctx.input]
    obj = PSObject("Microsoft.PowerShell.Commands.GenericMeasureInfo")
    obj.set("Count", len(values))
    nums = (
        [to_number(v) for v in values if v is not None]
        if any(ctx.switch(s) for s in ("Sum", "Average", "Maximum", "Minimum"))
        else []
    )
    obj.set("Average", (sum(nums) / len(nums) if nums else None) if ctx.switch("Average") else None)
    obj.set("Sum", (sum(nums) if nums else 0) if ctx.switch("Sum") else None)
    obj.set("Maximum", (max(nums) if nums else None) if ctx.switch("Maximum") else None)
    obj.set("Minimum", (min(nums) if nums else None) if ctx.switch("Minimum") else None)
    obj.set("Property", to_string(prop) if prop is not None else None)
    obj.default_view = "list"
    ctx.emit(obj)


def get_date(ctx: CmdletContext) -> None:
    when = ctx.get("Date")
    value = convert_to(ctx.interp, "System.DateTime", when) if when is not None else now_local()
    if ctx.has("Format"):
        ctx.emit(format_datetime(value, to_string(ctx.get("Format"))))
        return
    if ctx.has("UFormat"):
        codes = {
            "Y": "%Y",
            "y": "%y",
            "m": "%m",
            "d": "%d",
            "H": "%H",
            "M": "%M",
            "S": "%S",
            "Z": "+00",
            "A": "%A",
            "a": "%a",
            "B": "%B",
            "b": "%b",
            "j": "%j",
            "s": str(int(value.timestamp())),
        }
        fmt = to_string(ctx.get("UFormat"))
        out = ""
        i = 0
        while i < len(fmt):
            if fmt[i] == "%" and i + 1 < len(fmt):
                code = codes.get(fmt[i + 1], fmt[i + 1])
                out += value.strftime(code) if code.startswith("%") else code
                i += 2
            else:
                out += fmt[i]
                i += 1
        ctx.emit(out)
        return
    ctx.emit(value)


def now_local() -> dt.datetime:
    """The nodes' clocks run on UTC (the lab's time zone), as naive local times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def start_sleep(ctx: CmdletContext) -> None:
    if ctx.has("Milliseconds"):
        seconds = to_number(ctx.get("Milliseconds")) / 1000
    else:
        seconds = to_number(ctx.get("Seconds", 0))
    ctx.interp.io.sleep(float(seconds))


def invoke_expression(ctx: CmdletContext) -> None:
    cmd = ctx.get("Command")
    if ctx.had_input and cmd is None:
        for o in ctx.input:
            ctx.interp.invoke_expression(to_string(o), ctx.emit)
        return
    ctx.interp.invoke_expression(to_string(cmd), ctx.emit)


def format_list_cmd(ctx: CmdletContext) -> None:
    props = [to_string(p) for p in enumerate_value(ctx.get("Property"))] if ctx.has("Property") else None
    items = _inputs(ctx)
    ctx.emit(FormattedText(format_list(items, ctx.interp.width, props, _limit(ctx))))


def format_table_cmd(ctx: CmdletContext) -> None:
    props = [to_string(p) for p in enumerate_value(ctx.get("Property"))] if ctx.has("Property") else None
    items = _inputs(ctx)
    ctx.emit(
        FormattedText(
            format_table(items, ctx.interp.width, props, limit=_limit(ctx), autosize=ctx.switch("AutoSize"))
        )
    )


def new_object(ctx: CmdletContext) -> None:
    tname = to_string(ctx.get("TypeName")).casefold()
    if tname in ("psobject", "system.management.automation.psobject", "pscustomobject"):
        obj = custom_object([])
        props = ctx.get("Property")
        if isinstance(props, PSHashtable):
            for k, v in props.items():
                obj.set(to_string(k), v)
        ctx.emit(obj)
        return
    if tname in ("system.collections.arraylist", "collections.arraylist"):
        ctx.emit(ArrayList())
        return

    raw_args = ctx.get("ArgumentList")
    ctor_args = [] if raw_args is None else list(raw_args) if isinstance(raw_args, list) else [raw_args]
    try:
        stream = construct(tname, ctor_args)
    except PSValueError as exc:
        if exc.error_id == "CannotFindAppropriateCtor":
            ctx.throw(ctx.error(exc.message, exc.error_id, "ObjectNotFound", reason="PSArgumentException"))
        ctx.throw(
            ctx.error(
                f'Exception calling ".ctor" with "{len(ctor_args)}" argument(s): "{exc.message}"',
                "ConstructorInvokedThrowException",
                "InvalidOperation",
                reason="MethodInvocationException",
            )
        )
    if stream is not None:
        ctx.emit(stream)
        return
    ctx.throw(
        ctx.error(
            f"Cannot find type [{to_string(ctx.get('TypeName'))}]: make sure the assembly containing this "
            "type is "
            "loaded.",
            "TypeNotFound",
            "InvalidType",
            target=to_string(ctx.get("TypeName")),
            target_type="String",
            reason="PSArgumentException",
        )
    )


def add_member(ctx: CmdletContext) -> None:
    for obj in _inputs(ctx):
        if isinstance(obj, PSObject):
            obj.props.append(PSProperty(to_string(ctx.get("Name")), ctx.get("Value")))
        if ctx.switch("PassThru"):
            ctx.emit(obj)


def get_content(ctx: CmdletContext) -> None:
    path = to_string(ctx.get("Path"))
    text = ctx.interp.files.get(path.casefold())
    if text is None:
        ctx.write_error(
            ctx.error(
                f"Cannot find path '{path}' because it does not exist.",
                "PathNotFound",
                "ObjectNotFound",
                target=path,
                target_type="String",
                reason="ItemNotFoundException",
            )
        )
        return
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        ctx.emit(line)


def set_content(ctx: CmdletContext) -> None:
    path = to_string(ctx.get("Path"))
    values = ctx.input if ctx.had_input else enumerate_value(ctx.get("Value"))
    ctx.interp.write_file(path, "".join(to_string(v) + "\r\n" for v in values), False)


def test_path(ctx: CmdletContext) -> None:
    path, kind = to_string(ctx.get("Path")), to_string(ctx.get("PathType", "Any"))
    host = ctx.interp.host
    if (
        host is not None
        and path.rstrip("\\").casefold() == host.engine.witness_share().rstrip("\\").casefold()
    ):
        ctx.emit(host.engine.witness_reachable_from(host.name))  # the file share witness (UNC)
        return
    written = path.casefold() in ctx.interp.files and kind.casefold() != "container"
    ctx.emit(written or exists(ctx.interp.host, path, kind))


def get_variable_value(ctx: CmdletContext) -> None:
    ctx.emit(ctx.interp.get_var(to_string(ctx.get("Name"))))


def convertto_csv(ctx: CmdletContext) -> None:
    delim = to_string(ctx.get("Delimiter", ","))
    items = _inputs(ctx)
    if not items:
        return
    first = items[0]
    if not ctx.switch("NoTypeInformation"):
        tname = dotnet_type(first)
        if isinstance(first, PSObject) and first.type_name == "System.Management.Automation.PSCustomObject":
            tname = "System.Management.Automation.PSCustomObject"
        ctx.emit("#TYPE " + tname)
    names = [p.name for p in first.props] if isinstance(first, PSObject) else ["Length"]

    def q(v: Any) -> str:
        return '"' + to_string(v).replace('"', '""') + '"'

    ctx.emit(delim.join(q(n) for n in names))
    for obj in items:
        ctx.emit(delim.join(q(_csv_value(ctx.interp.get_member(obj, n))) for n in names))


def _csv_value(v: Any) -> Any:
    if isinstance(v, list):
        return "System.Object[]" if not hasattr(v, "dotnet") else "System.String[]"
    return v


def add_pssnapin(ctx: CmdletContext) -> None:
    for name in enumerate_value(ctx.get("Name")):
        sname = to_string(name)
        if sname.casefold() != EXCHANGE_SNAPIN.casefold():
            ctx.write_error(
                ctx.error(
                    f"The Windows PowerShell snap-in '{sname}' is not installed on this machine.",
                    "AddPSSnapInRead",
                    "InvalidArgument",
                    target=sname,
                    target_type="String",
                    reason="PSArgumentException",
                )
            )
            continue
        if any(s.casefold() == sname.casefold() for s in ctx.interp.snapins):
            ctx.write_error(
                ctx.error(
                    f"Cannot add Windows PowerShell snap-in {EXCHANGE_SNAPIN} because it is already added. "
                    "Verify the "
                    "name of the snap-in and try again.",
                    "AddPSSnapInRead",
                    "InvalidArgument",
                    target=EXCHANGE_SNAPIN,
                    target_type="String",
                    reason="PSArgumentException",
                )
            )
            continue
        host = ctx.interp.host
        if host is not None:
            ctx.interp.io.sleep(host.faults.costs.snapin_load_s)
        ctx.interp.snapins.append(EXCHANGE_SNAPIN)
        if ctx.switch("PassThru"):
            ctx.emit(_snapin_info(EXCHANGE_SNAPIN))


CORE_SNAPINS = [
    (
        "Microsoft.PowerShell.Diagnostics",
        "This Windows PowerShell snap-in contains Windows Eventing and Performance Counter cmdlets.",
    ),
    (
        "Microsoft.WSMan.Management",
        "This Windows PowerShell snap-in contains cmdlets (such as Get-WSManInstance "
        "and Set-WSManInstance) that are used by the Windows PowerShell host to manage WSMan operations.",
    ),
    (
        "Microsoft.PowerShell.Core",
        "This Windows PowerShell snap-in contains cmdlets used to manage components of Windows PowerShell.",
    ),
    (
        "Microsoft.PowerShell.Utility",
        "This Windows PowerShell snap-in contains utility Cmdlets used to manipulate data.",
    ),
    (
        "Microsoft.PowerShell.Host",
        "This Windows PowerShell snap-in contains cmdlets (such as Start-Transcript "
        "and Stop-Transcript) that are provided for use with the Windows PowerShell console host.",
    ),
    (
        "Microsoft.PowerShell.Management",
        "This Windows PowerShell snap-in contains management cmdlets used to manage Windows components.",
    ),
    (
        "Microsoft.PowerShell.Security",
        "This Windows PowerShell snap-in contains cmdlets to manage Windows PowerShell security.",
    ),
]
EXCHANGE_DESCRIPTION = "Admin Tasks for the Exchange Server"


def _snapin_info(name: str) -> PSObject:
    desc = dict(CORE_SNAPINS).get(name, EXCHANGE_DESCRIPTION)
    version = (
        "2.0" if name.startswith("Microsoft.PowerShell") or name.startswith("Microsoft.WSMan") else "1.0"
    )
    obj = PSObject(
        "System.Management.Automation.PSSnapInInfo",
        [PSProperty("Name", name), PSProperty("PSVersion", version), PSProperty("Description", desc)],
        to_string=name,
        default_view="list",
    )
    return obj


def get_pssnapin(ctx: CmdletContext) -> None:
    if ctx.switch("Registered"):
        names = [EXCHANGE_SNAPIN]
    else:
        names = [n for n, _ in CORE_SNAPINS] + list(ctx.interp.snapins)
    want = ctx.get("Name")
    found = False
    for name in names:
        if want is None or any(like(name, to_string(w), False) for w in enumerate_value(want)):
            found = True
            ctx.emit(_snapin_info(name))
    if want is not None and not found and not any("*" in to_string(w) for w in enumerate_value(want)):
        w = to_string(want)
        ctx.write_error(
            ctx.error(
                f"No Windows PowerShell Snap-ins matching the pattern '{w}' were found. Check "
                "the pattern and then try the command again.",
                "NoPSSnapInsFound",
                "InvalidArgument",
                target=w,
                target_type="String",
                reason="PSArgumentException",
            )
        )


def export_clixml(ctx: CmdletContext) -> None:
    items = _inputs(ctx)
    depth = to_int(ctx.get("Depth", 2))
    ctx.interp.write_file(to_string(ctx.get("Path")), serialize(items, depth), False)


def import_clixml(ctx: CmdletContext) -> None:
    path = to_string(ctx.get("Path"))
    text = ctx.interp.files.get(path.casefold())
    if text is None:
        ctx.write_error(
            ctx.error(
                f"Could not find file '{path}'.",
                "System.IO.FileNotFoundException",
                "ObjectNotFound",
                target=path,
                target_type="String",
                reason="FileNotFoundException",
            )
        )
        return
    for o in deserialize(text):
        ctx.emit(o)


def convertto_xml(ctx: CmdletContext) -> None:
    items = _inputs(ctx)
    if not ctx.had_input and ctx.has("InputObject"):
        items = [ctx.get("InputObject")]
    as_ = to_string(ctx.get("As", "Document")).casefold()
    depth = to_int(ctx.get("Depth", 1))
    result = convert_to_xml(items, depth, ctx.switch("NoTypeInformation"), as_)
    if isinstance(result, list):
        for r in result:
            ctx.emit(r)
    else:
        ctx.emit(result)


def throw_term(ctx: CmdletContext, rec: ErrorRecord) -> None:
    raise PSRuntimeError(rec)


def cmdlets() -> list[Cmdlet]:
    P = Param
    io_param = P("InputObject", pipeline=True, type_name="System.Management.Automation.PSObject")
    return [
        Cmdlet(
            "Write-Output",
            U + "WriteOutputCommand",
            [P("InputObject", mandatory=True, position=0, pipeline=True)],
            write_output,
        ),
        Cmdlet(
            "Write-Host",
            U + "WriteHostCommand",
            [
                P("Object", position=0, pipeline=True),
                P("NoNewline", True),
                P("Separator"),
                P("ForegroundColor"),
                P("BackgroundColor"),
            ],
            write_host,
        ),
        Cmdlet(
            "Write-Warning",
            U + "WriteWarningCommand",
            [P("Message", mandatory=True, position=0, pipeline=True)],
            write_warning,
        ),
        Cmdlet(
            "Write-Verbose",
            U + "WriteVerboseCommand",
            [P("Message", mandatory=True, position=0, pipeline=True)],
            write_quiet,
        ),
        Cmdlet(
            "Write-Debug",
            U + "WriteDebugCommand",
            [P("Message", mandatory=True, position=0, pipeline=True)],
            write_quiet,
        ),
        Cmdlet(
            "Write-Error",
            U + "WriteErrorCommand",
            [
                P("Message", position=0, aliases=("Msg",)),
                P("Exception"),
                P("ErrorRecord"),
                P("Category"),
                P("ErrorId"),
                P("TargetObject"),
                P("RecommendedAction"),
                P("CategoryActivity"),
                P("CategoryReason"),
                P("CategoryTargetName"),
                P("CategoryTargetType"),
            ],
            write_error,
        ),
        Cmdlet(
            "Out-String", U + "OutStringCommand", [io_param, P("Width"), P("Stream", True)], out_string_cmd
        ),
        Cmdlet("Out-Null", U + "OutNullCommand", [io_param], out_null),
        Cmdlet("Out-Host", U + "OutHostCommand", [io_param, P("Paging", True)], out_host),
        Cmdlet("Out-Default", U + "OutDefaultCommand", [io_param], out_host),
        Cmdlet(
            "Out-File",
            U + "OutFileCommand",
            [
                P("FilePath", mandatory=True, position=0, aliases=("Path",)),
                P("Encoding", position=1),
                io_param,
                P("Append", True),
                P("Force", True),
                P("NoClobber", True),
                P("Width"),
            ],
            out_file,
        ),
        Cmdlet(
            "Select-Object",
            U + "SelectObjectCommand",
            [
                P("Property", position=0),
                io_param,
                P("ExcludeProperty"),
                P("ExpandProperty"),
                P("Unique", True),
                P("First"),
                P("Last"),
                P("Skip"),
            ],
            select_object,
        ),
        Cmdlet(
            "Where-Object",
            U + "WhereObjectCommand",
            [P("FilterScript", mandatory=True, position=0), io_param],
            where_object,
        ),
        Cmdlet(
            "ForEach-Object",
            U + "ForEachObjectCommand",
            [P("Process", mandatory=True, position=0), P("Begin"), P("End"), io_param],
            foreach_object,
        ),
        Cmdlet(
            "Sort-Object",
            U + "SortObjectCommand",
            [
                P("Property", position=0),
                P("Descending", True),
                P("Unique", True),
                io_param,
                P("CaseSensitive", True),
                P("Culture"),
            ],
            sort_object,
        ),
        Cmdlet(
            "Measure-Object",
            U + "MeasureObjectCommand",
            [
                P("Property", position=0),
                io_param,
                P("Sum", True),
                P("Average", True),
                P("Maximum", True),
                P("Minimum", True),
            ],
            measure_object,
        ),
        Cmdlet(
            "Get-Date", U + "GetDateCommand", [P("Date", position=0), P("Format"), P("UFormat")], get_date
        ),
        Cmdlet(
            "Start-Sleep", U + "StartSleepCommand", [P("Seconds", position=0), P("Milliseconds")], start_sleep
        ),
        Cmdlet(
            "Invoke-Expression",
            U + "InvokeExpressionCommand",
            [P("Command", mandatory=True, position=0, pipeline=True)],
            invoke_expression,
        ),
        Cmdlet(
            "Format-List",
            U + "FormatListCommand",
            [P("Property", position=0), io_param, P("Force", True)],
            format_list_cmd,
        ),
        Cmdlet(
            "Format-Table",
            U + "FormatTableCommand",
            [
                P("Property", position=0),
                io_param,
                P("AutoSize", True),
                P("Wrap", True),
                P("Force", True),
                P("HideTableHeaders", True),
            ],
            format_table_cmd,
        ),
        Cmdlet(
            "New-Object",
            U + "NewObjectCommand",
            [P("TypeName", mandatory=True, position=0), P("ArgumentList", position=1), P("Property")],
            new_object,
        ),
        Cmdlet(
            "Add-Member",
            U + "AddMemberCommand",
            [
                P("MemberType", mandatory=True, position=0),
                P("Name", position=1),
                P("Value", position=2),
                io_param,
                P("PassThru", True),
                P("Force", True),
            ],
            add_member,
        ),
        Cmdlet("Get-Content", U + "GetContentCommand", [P("Path", mandatory=True, position=0)], get_content),
        Cmdlet(
            "Set-Content",
            U + "SetContentCommand",
            [P("Path", mandatory=True, position=0), P("Value", position=1, pipeline=True), P("Encoding")],
            set_content,
        ),
        Cmdlet(
            "Test-Path",
            U + "TestPathCommand",
            [P("Path", mandatory=True, position=0), P("PathType")],
            test_path,
        ),
        Cmdlet(
            "ConvertTo-Csv",
            U + "ConvertToCsvCommand",
            [
                P("InputObject", mandatory=True, position=0, pipeline=True),
                P("Delimiter", position=1),
                P("NoTypeInformation", True),
                P("UseCulture", True),
            ],
            convertto_csv,
        ),
        Cmdlet(
            "ConvertTo-Xml",
            U + "ConvertToXmlCommand",
            [
                P("InputObject", mandatory=True, position=0, pipeline=True),
                P("Depth"),
                P("NoTypeInformation", True),
                P("As"),
            ],
            convertto_xml,
        ),
        Cmdlet(
            "Export-Clixml",
            U + "ExportClixmlCommand",
            [
                P("Path", mandatory=True, position=0),
                P("InputObject", mandatory=True, pipeline=True),
                P("Depth"),
                P("Force", True),
                P("NoClobber", True),
                P("Encoding"),
            ],
            export_clixml,
        ),
        Cmdlet(
            "Import-Clixml", U + "ImportClixmlCommand", [P("Path", mandatory=True, position=0)], import_clixml
        ),
        Cmdlet(
            "Add-PSSnapin",
            U + "AddPSSnapinCommand",
            [P("Name", mandatory=True, position=0), P("PassThru", True)],
            add_pssnapin,
        ),
        Cmdlet(
            "Get-PSSnapin",
            U + "GetPSSnapinCommand",
            [P("Name", position=0), P("Registered", True)],
            get_pssnapin,
        ),
    ]


__all__ = ["UInt64", "cmdlets", "throw_term"]
