"""wevtutil.exe on a lab node: qe (query-events), el, gl, gli, as Windows prints them.

Sources (NOTES §3 and a measured wevtutil run on a current Windows build, see the final report):
* `qe <Log> [/q:XPath] [/f:XML|RenderedXml|Text] [/c:N] [/rd:true|false] [/e:Root] [/r:Remote]`,
  options `/name:value` or `-name:value`, long names too (`/query:`, `/format:`, ...).
  Default format is Text.  `/c:0` or a negative count is "Invalid value for property count." (87).
* No match: exit 0 and no output at all.  A misspelt element name matches nothing (not an error).
* Errors go to stderr, exit code = the Win32 / EvtQuery error: 15007 channel not found,
  15001 invalid query (with the "A syntax error occurred at position N" extended status),
  5 access denied, 87 bad option.  The extended-status line, a blank line, "Failed to open event
  query." and the error text: the layout measured for access denied on a current Windows.

Choices where no capture exists (kept in the constants below):
* /f:xml writes the events back to back with no separator and one CRLF at the end (a measured
  `/c:3 /f:xml /e:root` answer was 2 lines); /e:NAME wraps them in <NAME>...</NAME>.
* Non-administrators are refused (5) for every channel: System and Application grant read to
  Interactive/Service users and Event Log Readers, and a WinRM logon is a network logon.
* Microsoft-Windows-FailoverClustering/Diagnostic is an enabled debug channel; reading it fails
  with 15022 (an enabled direct channel cannot be read), as on Windows.
* /uni:true writes UTF-16LE without a byte-order mark; /l (locale) is accepted and ignored (the
  nodes have one message language); /u /p /a are accepted with /r and ignored.
* /sq:true, /bm, /sbm and /lf:true name files; the lab's nodes have none (2 or 3).  A QueryList in
  /q: is evaluated for the command-line log only (its Select Path must name that log).
* Verbs that change or export logs (cl, epl, sl, im, um, al) and gp are answered with 5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ccrgui.lab import event_messages as em
from ccrgui.lab.eventlog import EventJournal, EventRecord, render_text, render_xml, to_ticks
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context, register
from ccrgui.lab.topology import Account
from ccrgui.lab.xpath import INVALID_QUERY_MESSAGE, EvalContext, XPathError, bind, compile_query

if TYPE_CHECKING:
    from ccrgui.lab.nodehost import NodeHost

ERROR_ACCESS_DENIED = 5
ERROR_FILE_NOT_FOUND = 2
ERROR_PATH_NOT_FOUND = 3
ERROR_INVALID_PARAMETER = 87
RPC_S_SERVER_UNAVAILABLE = 1722
ERROR_EVT_INVALID_QUERY = 15001
ERROR_EVT_CHANNEL_NOT_FOUND = 15007
ERROR_EVT_INVALID_OPERATION_OVER_ENABLED_DIRECT_CHANNEL = 15022

MESSAGES = {
    ERROR_ACCESS_DENIED: "Access is denied.",
    ERROR_FILE_NOT_FOUND: "The system cannot find the file specified.",
    ERROR_PATH_NOT_FOUND: "The system cannot find the path specified.",
    ERROR_INVALID_PARAMETER: "The parameter is incorrect.",
    RPC_S_SERVER_UNAVAILABLE: "The RPC server is unavailable.",
    ERROR_EVT_INVALID_QUERY: INVALID_QUERY_MESSAGE,
    ERROR_EVT_CHANNEL_NOT_FOUND: "The specified channel could not be found. Check channel configuration.",
    ERROR_EVT_INVALID_OPERATION_OVER_ENABLED_DIRECT_CHANNEL: (
        "The requested operation cannot be performed over an enabled direct channel. "
        "The channel must first be disabled before performing the requested operation."
    ),
}

XML_TRAILER = "\r\n"
EVENTS_PER_CHUNK = 500

# Channels `wevtutil el` lists on a WS2008 Exchange 2007 mailbox node (a representative subset,
# sorted as Windows sorts them); those without a journal behind them read as empty.
CHANNELS = (
    "Application",
    "DFS Replication",
    "HardwareEvents",
    "Internet Explorer",
    "Key Management Service",
    "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
    "Microsoft-Windows-Application-Experience/Program-Inventory",
    "Microsoft-Windows-Application-Experience/Program-Telemetry",
    "Microsoft-Windows-Bits-Client/Operational",
    "Microsoft-Windows-CAPI2/Operational",
    "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
    "Microsoft-Windows-FailoverClustering-Manager/Admin",
    em.FC_DIAGNOSTIC,
    em.FC_OPERATIONAL,
    "Microsoft-Windows-GroupPolicy/Operational",
    "Microsoft-Windows-Kernel-WHEA",
    "Microsoft-Windows-NetworkProfile/Operational",
    "Microsoft-Windows-PowerShell/Operational",
    "Microsoft-Windows-TaskScheduler/Operational",
    "Microsoft-Windows-WindowsUpdateClient/Operational",
    "Microsoft-Windows-WinRM/Operational",
    "Microsoft-Windows-Wired-AutoConfig/Operational",
    "Security",
    "Setup",
    "System",
    "Windows PowerShell",
)
DEBUG_CHANNELS = frozenset({em.FC_DIAGNOSTIC.casefold()})
# `wevtutil ep`: the lab's providers among a few standard ones, sorted as Windows sorts them.
PUBLISHERS = tuple(
    sorted(
        {*em.PROVIDERS, "Microsoft-Windows-FailoverClustering-Manager", "Microsoft-Windows-Eventlog",
         "Microsoft-Windows-Kernel-General", "Microsoft-Windows-WinRM", "MSExchange ADAccess",
         "MSExchange Common", "MSExchangeSA", "ESE"},
        key=str.casefold,
    )
)  # fmt: skip

OPTION_NAMES = {
    "lf": "lf", "logfile": "lf",
    "sq": "sq", "structuredquery": "sq",
    "q": "q", "query": "q",
    "bm": "bm", "bookmark": "bm",
    "sbm": "sbm", "savebookmark": "sbm",
    "rd": "rd", "reversedirection": "rd",
    "f": "f", "format": "f",
    "l": "l", "locale": "l",
    "c": "c", "count": "c",
    "e": "e", "element": "e",
    "r": "r", "remote": "r",
    "u": "u", "username": "u",
    "p": "p", "password": "p",
    "a": "a", "authentication": "a",
    "uni": "uni", "unicode": "uni",
}  # fmt: skip
BOOLEAN_OPTIONS = frozenset({"lf", "sq", "rd", "uni"})
VERBS = {
    "qe": "qe", "query-events": "qe",
    "el": "el", "enum-logs": "el",
    "gl": "gl", "get-log": "gl",
    "gli": "gli", "get-log-info": "gli", "get-loginfo": "gli",
    "ep": "ep", "enum-publishers": "ep",
}  # fmt: skip
OTHER_VERBS = frozenset(
    {"sl", "set-log", "gp", "get-publisher", "im", "install-manifest",
     "um", "uninstall-manifest", "epl", "export-log", "al", "archive-log", "cl", "clear-log"}
)  # fmt: skip

USAGE = (
    "Windows Events Command Line Utility.\r\n"
    "\r\n"
    "Enables you to retrieve information about event logs and publishers, install\r\n"
    "and uninstall event manifests, run queries, and export, archive and clear logs.\r\n"
    "\r\n"
    "Usage:\r\n"
    "\r\n"
    "You can use either the short (for example, ep /uni) or long (for example,\r\n"
    "enum-publishers /unicode) version of the command and option names. Commands,\r\n"
    "options and option values are not case-sensitive.\r\n"
    "\r\n"
    "Variables are noted in all upper-case.\r\n"
    "\r\n"
    "wevtutil COMMAND [ARGUMENT [ARGUMENT] ...] [/OPTION:VALUE [/OPTION:VALUE] ...]\r\n"
    "\r\n"
    "Commands:\r\n"
    "\r\n"
    "el | enum-logs          List log names.\r\n"
    "gl | get-log            Get log configuration information.\r\n"
    "sl | set-log            Modify configuration of a log.\r\n"
    "ep | enum-publishers    List event publishers.\r\n"
    "gp | get-publisher      Get publisher configuration information.\r\n"
    "im | install-manifest   Install event publishers and logs from manifest.\r\n"
    "um | uninstall-manifest Uninstall event publishers and logs from manifest.\r\n"
    "qe | query-events       Query events from a log or log file.\r\n"
    "gli | get-log-info      Get log status information.\r\n"
    "epl | export-log        Export a log.\r\n"
    "al | archive-log        Archive an exported log.\r\n"
    "cl | clear-log          Clear a log.\r\n"
)


class WevtutilError(Exception):
    """Ends the program with `code`; `lines` are printed to stderr before the error text."""

    def __init__(self, code: int, *lines: str, failure: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.lines = lines
        self.failure = failure


def error_text(code: int, *lines: str, failure: str | None = None) -> str:
    """The stderr text for a failure: context lines, then the Win32/EvtQuery message."""
    message = MESSAGES.get(code, f"Unknown error ({code}).")
    out = "".join(f"{line}\r\n" for line in lines)
    if failure is not None:
        out += f"\r\n{failure}\r\n"
    elif lines:
        out += "\r\n"
    return out + message + "\r\n"


def run_wevtutil(io: ProcessIO, host: NodeHost, account: Account, argv: list[str]) -> int:
    """Run `wevtutil <argv[1:]>` on `host` as `account`; returns the exit code."""
    journal = host.journal
    if not isinstance(journal, EventJournal):
        raise TypeError("wevtutil needs the lab's EventJournal")
    cost = host.faults.costs.wevtutil_s
    if cost > 0:
        io.sleep(cost)
    engine = getattr(host, "engine", None)
    powered: Callable[[str], bool] = getattr(engine, "node_is_powered", lambda node: True)
    try:
        return _dispatch(io, journal, host.name, account, argv[1:], powered)
    except WevtutilError as exc:
        io.write(error_text(exc.code, *exc.lines, failure=exc.failure), "stderr")
        return exc.code


def _dispatch(
    io: ProcessIO,
    journal: EventJournal,
    node: str,
    account: Account,
    args: list[str],
    powered: Callable[[str], bool],
) -> int:
    if not args or args[0] in ("/?", "-?"):
        io.write(USAGE)
        return 0
    verb_text = args[0].casefold()
    verb = VERBS.get(verb_text)
    positional, options = _parse(args[1:])
    if verb is None:
        if verb_text in OTHER_VERBS:
            # Changing logs is not something the lab allows; it answers like a locked-down node.
            raise WevtutilError(ERROR_ACCESS_DENIED)
        raise WevtutilError(ERROR_INVALID_PARAMETER, f"Unknown command {args[0]}.")
    if verb == "el":
        _no_args(positional, 0)
        io.write("".join(f"{name}\r\n" for name in CHANNELS))
        return 0
    if verb == "ep":
        _no_args(positional, 0)
        io.write("".join(f"{name}\r\n" for name in PUBLISHERS))
        return 0
    if not positional:
        raise WevtutilError(ERROR_INVALID_PARAMETER, "Required argument(s) is/are not specified.")
    _no_args(positional, 1)
    if verb == "gl":
        return _get_log(io, journal, node, positional[0], options)
    if verb == "gli":
        return _get_log_info(io, journal, node, account, positional[0])
    return _query(io, journal, node, account, positional[0], options, powered)


def _no_args(positional: list[str], allowed: int) -> None:
    if len(positional) > allowed:
        raise WevtutilError(ERROR_INVALID_PARAMETER, "Too many arguments are specified.")


def _parse(args: list[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    for arg in args:
        if arg[:1] in ("/", "-") and len(arg) > 1:
            name, sep, value = arg[1:].partition(":")
            key = OPTION_NAMES.get(name.casefold())
            if key is None:
                raise WevtutilError(ERROR_INVALID_PARAMETER, f"Invalid option {name}. Option is not valid.")
            if not sep:
                if key not in BOOLEAN_OPTIONS:
                    raise WevtutilError(ERROR_INVALID_PARAMETER, f"Invalid value for option {name}.")
                value = "true"
            if key in BOOLEAN_OPTIONS and value.casefold() not in ("true", "false"):
                raise WevtutilError(ERROR_INVALID_PARAMETER, f"Invalid option {name}. Option is not Boolean.")
            options[key] = value
        else:
            positional.append(arg)
    return positional, options


def _flag(options: dict[str, str], key: str) -> bool:
    return options.get(key, "false").casefold() == "true"


def _channel(name: str) -> str:
    for channel in CHANNELS:
        if channel.casefold() == name.casefold():
            return channel
    raise WevtutilError(
        ERROR_EVT_CHANNEL_NOT_FOUND,
        MESSAGES[ERROR_EVT_CHANNEL_NOT_FOUND],
        failure="Failed to open event query.",
    )


def _target_node(
    journal: EventJournal, node: str, options: dict[str, str], powered: Callable[[str], bool]
) -> str:
    """`/r:NODE` reads another cluster node's logs (RPC to the Event Log service), if it is up."""
    remote = options.get("r")
    if not remote:
        return node
    short = remote.split(".", 1)[0].lstrip("\\")
    try:
        target = journal.node_name(short)
        if not powered(target):
            raise KeyError(target)
        return target
    except KeyError:
        raise WevtutilError(
            RPC_S_SERVER_UNAVAILABLE,
            MESSAGES[RPC_S_SERVER_UNAVAILABLE],
            failure="Failed to open event query.",
        ) from None


def _query(
    io: ProcessIO,
    journal: EventJournal,
    node: str,
    account: Account,
    path: str,
    options: dict[str, str],
    powered: Callable[[str], bool],
) -> int:
    if _flag(options, "lf"):
        raise WevtutilError(ERROR_PATH_NOT_FOUND)
    if "bm" in options or "sbm" in options or _flag(options, "sq"):
        # Bookmark and structured-query files: the lab's nodes have no such files.
        raise WevtutilError(ERROR_FILE_NOT_FOUND)
    fmt = options.get("f", "text").casefold()
    if fmt not in ("xml", "renderedxml", "text"):
        raise WevtutilError(ERROR_INVALID_PARAMETER, "Invalid value for option f.")
    count: int | None = None
    if "c" in options:
        try:
            count = int(options["c"])
        except ValueError:
            count = 0
        if count <= 0:
            raise WevtutilError(ERROR_INVALID_PARAMETER, "Invalid value for property count.")
    node = _target_node(journal, node, options, powered)
    channel = _channel(path)
    query_text = options.get("q", "*") or "*"
    try:
        pred = compile_query(query_text, channel)
    except XPathError as exc:
        raise WevtutilError(
            ERROR_EVT_INVALID_QUERY,
            f"A syntax error occurred at position {exc.position}",
            failure="Failed to open event query.",
        ) from None
    if not account.admin:
        raise WevtutilError(
            ERROR_ACCESS_DENIED, MESSAGES[ERROR_ACCESS_DENIED], failure="Failed to open event query."
        )
    if channel.casefold() in DEBUG_CHANNELS:
        code = ERROR_EVT_INVALID_OPERATION_OVER_ENABLED_DIRECT_CHANNEL
        raise WevtutilError(code, MESSAGES[code], failure="Failed to open event query.")
    records: list[EventRecord] = []
    if journal.find_log(channel) is not None:
        ctx = EvalContext(journal.computer(node), to_ticks(journal.clock.now()))
        records = journal.query(node, channel, bind(pred, ctx), reverse=_flag(options, "rd"), count=count)
    computer = journal.computer(node)
    domain = journal.topology.domain
    root = options.get("e", "")
    write = _writer(io, _flag(options, "uni"))
    if fmt == "text":
        _write_chunked(write, records, lambda r, i: render_text(r, computer, i, domain))
        return 0
    rendered = fmt == "renderedxml"
    if root:
        write(f"<{root}>")
    _write_chunked(write, records, lambda r, i: render_xml(r, computer, rendered=rendered))
    if root:
        write(f"</{root}>")
    if records or root:
        write(XML_TRAILER)
    return 0


def _writer(io: ProcessIO, unicode: bool) -> Callable[[str], None]:
    """stdout in the console codepage, or UTF-16LE with /uni:true (no byte-order mark)."""
    if unicode:
        return lambda text: io.write_bytes(text.encode("utf-16-le"))
    return io.write


def _write_chunked(
    write: Callable[[str], None], records: list[EventRecord], fn: Callable[[EventRecord, int], str]
) -> None:
    for start in range(0, len(records), EVENTS_PER_CHUNK):
        chunk = records[start : start + EVENTS_PER_CHUNK]
        write("".join(fn(r, start + i) for i, r in enumerate(chunk)))


def _get_log(io: ProcessIO, journal: EventJournal, node: str, name: str, options: dict[str, str]) -> int:
    try:
        channel = _channel(name)
    except WevtutilError:
        raise WevtutilError(
            ERROR_EVT_CHANNEL_NOT_FOUND, f"Failed to read configuration for log {name}."
        ) from None
    classic = channel in ("Application", "System", "Security", "Setup", "HardwareEvents")
    debug = channel.casefold() in DEBUG_CHANNELS
    kind = "Debug" if debug else ("Admin" if classic else "Operational")
    file_name = channel.replace("/", "%4")
    lines = [
        f"name: {channel}",
        "enabled: true",
        f"type: {kind}",
        "owningPublisher: " + ("" if classic else em.FAILOVER_CLUSTERING if "Failover" in channel else ""),
        "isolation: " + ("Application" if channel == "Application" else "System"),
        "channelAccess: O:BAG:SYD:(A;;0xf0007;;;SY)(A;;0x7;;;BA)(A;;0x3;;;BO)(A;;0x5;;;SO)"
        "(A;;0x1;;;IU)(A;;0x3;;;SU)(A;;0x1;;;S-1-5-3)(A;;0x2;;;S-1-5-33)(A;;0x1;;;S-1-5-32-573)",
        "logging:",
        f"  logFileName: %SystemRoot%\\System32\\Winevt\\Logs\\{file_name}.evtx",
        "  retention: false",
        "  autoBackup: false",
        f"  maxSize: {20971520 if classic else 1052672}",
        "publishing:",
        "  fileMax: 1",
    ]
    io.write("".join(f"{line}\r\n" for line in lines))
    return 0


def _get_log_info(io: ProcessIO, journal: EventJournal, node: str, account: Account, name: str) -> int:
    try:
        channel = _channel(name)
    except WevtutilError:
        raise WevtutilError(
            ERROR_EVT_CHANNEL_NOT_FOUND, f"Failed to read log status information for log {name}."
        ) from None
    if not account.admin:
        raise WevtutilError(ERROR_ACCESS_DENIED, f"Failed to read log status information for log {name}.")
    records = journal.records(node, channel) if journal.find_log(channel) else []
    now = journal.clock.now()
    created = records[0].time_created if records else now
    last = records[-1].time_created if records else created
    max_size = 20971520 if channel in ("Application", "System") else 1052672
    size = min(max_size, 69632 + 4096 * ((len(records) * 700) // 4096))

    def iso(t: object) -> str:
        return f"{t:%Y-%m-%dT%H:%M:%S}.{getattr(t, 'microsecond', 0) // 1000:03d}Z"

    lines = [
        f"creationTime: {iso(created)}",
        f"lastAccessTime: {iso(now)}",
        f"lastWriteTime: {iso(last)}",
        f"fileSize: {size}",
        "attributes: 32",
        f"numberOfLogRecords: {len(records)}",
        f"oldestRecordNumber: {records[0].record_id if records else 0}",
    ]
    io.write("".join(f"{line}\r\n" for line in lines))
    return 0


def _wevtutil_program(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    return run_wevtutil(io, ctx.host, ctx.account, argv)


register("wevtutil", _wevtutil_program)
