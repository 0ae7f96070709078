"""cluster.exe as Windows Server 2008 prints it, over the lab engine.

Layouts measured on the real samples (shared/reference/cluster-exe): a title line, a blank
line, the header, a dash line, the rows; CRLF line ends; no trailing spaces; every column width
is a minimum (a longer value pushes the later columns right, one space apart).

Formats with no real capture (network, netinterface, /prop, /priv, /listowners, /quorum, the
progress line of /move, /online, /offline, /pause, /resume, single node/resource titles) are
the lab's choice, following the same conventions; each lives in ONE entry of `FORMATS` or of
the `TITLES`/`PROGRESS` tables below so it can be corrected when a real capture turns up.
Errors go to stderr as `System error N has occurred (0x%08x).`, a blank line, the Win32
message (lower-case hex, as in the real 5065 sample); the exit code is N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccrgui.lab.engine import (
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    ClusterEngine,
    GroupInfo,
    LabError,
    NodeInfo,
    ResourceInfo,
    win32,
)
from ccrgui.lab.process import ProcessIO

if TYPE_CHECKING:
    from ccrgui.lab.cmdshell import Context

CRLF = "\r\n"


@dataclass(frozen=True)
class TableFormat:
    """Column headers and minimum widths; the last column has no width (it runs to the end).

    `right` lists columns printed right-aligned (the node id)."""

    headers: tuple[str, ...]
    widths: tuple[int, ...]  # one per column; the last is the dash count of the last column
    right: tuple[int, ...] = ()


FORMATS: dict[str, TableFormat] = {
    # Real samples (cluster-node.txt, cluster-res.txt, cluster-group.txt).
    "node": TableFormat(("Node", "Node ID", "Status"), (14, 7, 21), right=(1,)),
    "resource": TableFormat(("Resource", "Group", "Node", "Status"), (20, 20, 15, 6)),
    "group": TableFormat(("Group", "Node", "Status"), (20, 15, 6)),
    # Lab choices (no capture): same style, status column as wide as "Partitioned"/"Unreachable".
    "network": TableFormat(("Network", "Status"), (20, 11)),
    "netinterface": TableFormat(("Node", "Network", "Status"), (15, 20, 11)),
    "prop": TableFormat(("T", "{object}", "Name", "Value"), (2, 20, 30, 23)),
    "owners_group": TableFormat(("Preferred Owner Nodes",), (21,)),
    "owners_resource": TableFormat(("Possible Owner Nodes",), (20,)),
    "quorum": TableFormat(("Quorum Resource Name", "Quorum Type", "Path"), (31, 31, 31)),
}

TITLES: dict[str, str] = {
    # Real: the three "all available" titles and the single group one.
    "node_all": "Listing status for all available nodes:",
    "resource_all": "Listing status for all available resources:",
    "group_all": "Listing status for all available resource groups:",
    "group_one": "Listing status for resource group '{name}':",
    # Lab choices.
    "node_one": "Listing status for node '{name}':",
    "resource_one": "Listing status for resource '{name}':",
    "network_all": "Listing status for all available networks:",
    "network_one": "Listing status for network '{name}':",
    "netinterface_all": "Listing status for all available network interfaces:",
    "netinterface_one": "Listing status for network interface on node '{node}' network '{network}':",
    "prop": "Listing properties for '{name}':",
    "priv": "Listing private properties for '{name}':",
    "owners_group": "Listing preferred owners for resource group '{name}':",
    "owners_resource": "Listing possible owners for resource '{name}':",
    "quorum": "Listing quorum configuration for cluster '{name}':",
}

# Progress line printed before the final status table (lab choice; cluster.exe's wording for
# WS2003 as remembered by administrators, no verbatim capture).
PROGRESS: dict[str, str] = {
    "group_move": "Moving resource group '{name}'...",
    "group_online": "Bringing resource group '{name}' online...",
    "group_offline": "Bringing resource group '{name}' offline...",
    "resource_online": "Bringing resource '{name}' online...",
    "resource_offline": "Bringing resource '{name}' offline...",
    "node_pause": "Pausing node '{name}'...",
    "node_resume": "Resuming node '{name}'...",
}

# Objects (first word after the optional cluster name): full keyword and shortest accepted prefix.
OBJECTS: tuple[tuple[str, str], ...] = (
    ("netinterface", "netint"),
    ("network", "net"),
    ("resourcetype", "restype"),
    ("resource", "res"),
    ("group", "group"),
    ("node", "node"),
)

# Options: full name and shortest accepted abbreviation (cluster.exe's "/stat[us]" notation).
OPTIONS: tuple[tuple[str, str], ...] = (
    ("status", "stat"),
    ("properties", "prop"),
    ("privproperties", "priv"),
    ("moveto", "move"),
    ("online", "on"),
    ("offline", "off"),
    ("wait", "wait"),
    ("pause", "pause"),
    ("resume", "resume"),
    ("listowners", "listowners"),
    ("quorumresource", "quorum"),
    ("cluster", "cluster"),
    ("node", "node"),
    ("network", "net"),
)

DEFAULT_MOVE_WAIT_S = 20.0  # "if /wait is not given with /move[to], cluster.exe waits 20 seconds"


def format_table(fmt: TableFormat, rows: Sequence[Sequence[str]], object_label: str = "") -> list[str]:
    """Header, dash line and rows; widths are minimums; no trailing spaces."""
    headers = [h.replace("{object}", object_label) for h in fmt.headers]
    lines = [_row(fmt, headers, header=True), " ".join("-" * w for w in fmt.widths)]
    lines.extend(_row(fmt, list(r)) for r in rows)
    return lines


def _row(fmt: TableFormat, cells: list[str], header: bool = False) -> str:
    out: list[str] = []
    last = len(cells) - 1
    for i, cell in enumerate(cells):
        if i == last:
            out.append(cell)
        elif i in fmt.right and not header:
            out.append(cell.rjust(fmt.widths[i]))
        else:
            out.append(cell.ljust(fmt.widths[i]))
    return " ".join(out).rstrip(" ")


def _dword(value: int) -> str:
    """A DWORD property value as cluster.exe prints it: decimal, then hex in parentheses."""
    return f"{value} (0x{value:x})"


def _match(word: str, table: tuple[tuple[str, str], ...]) -> str | None:
    w = word.casefold()
    for full, short in table:
        if w.startswith(short) and full.startswith(w):
            return full
    return None


@dataclass
class Option:
    name: str  # full option name
    value: str | None  # text after ':' (None if no colon)
    typed: str


def _parse_option(arg: str) -> Option | None:
    if not arg or arg[0] not in "/-":
        return None
    body = arg[1:]
    key, colon, value = body.partition(":")
    full = _match(key, OPTIONS)
    if full is None:
        return Option("?" + key, value if colon else None, arg)
    return Option(full, value if colon else None, arg)


class ClusterExe:
    """One cluster.exe invocation."""

    def __init__(self, io: ProcessIO, engine: ClusterEngine, local_node: str) -> None:
        self.io = io
        self.engine = engine
        self.local_node = local_node
        self.lines: list[str] = []

    # ---- output ---------------------------------------------------------------------------------

    def out(self, *lines: str) -> None:
        self.io.write("".join(line + CRLF for line in lines))

    def fail(self, exc: LabError) -> int:
        code = exc.code if exc.code else 1
        self.io.write(
            f"System error {code} has occurred (0x{code:08x}).{CRLF}{CRLF}{exc.message}{CRLF}", "stderr"
        )
        return code

    # ---- entry ----------------------------------------------------------------------------------

    def run(self, args: list[str], *, admin: bool) -> int:
        try:
            if not admin:
                raise win32(5)
            return self._dispatch(args)
        except LabError as exc:
            return self.fail(exc)

    def _dispatch(self, args: list[str]) -> int:
        args = list(args)
        cluster_name: str | None = None
        if args and args[0][:1] in "/-":
            opt = _parse_option(args[0])
            if opt is not None and opt.name == "cluster" and opt.value is not None:
                cluster_name = opt.value
                args.pop(0)
        elif args and _match(args[0], OBJECTS) is None and args[0].casefold() not in ("log", "/?"):
            cluster_name = args.pop(0)
        if cluster_name is not None and cluster_name != ".":
            self.engine.resolve_cluster_target(cluster_name)
        else:
            self.engine.require_cluster(self.local_node)
        if not args:
            raise win32(ERROR_INVALID_PARAMETER)
        obj = _match(args[0], OBJECTS) if args[0][:1] not in "/-" else None
        if obj is None:
            return self._cluster_level(args, cluster_name)
        rest = args[1:]
        name: str | None = None
        if rest and rest[0][:1] not in "/-":
            name = rest.pop(0)
        opts = []
        for a in rest:
            opt = _parse_option(a)
            if opt is None or opt.name.startswith("?"):
                raise win32(ERROR_INVALID_PARAMETER)
            opts.append(opt)
        handler = {
            "node": self._node,
            "group": self._group,
            "resource": self._resource,
            "network": self._network,
            "netinterface": self._netinterface,
        }.get(obj)
        if handler is None:
            raise win32(ERROR_INVALID_PARAMETER)
        return handler(name, opts)

    def _cluster_level(self, args: list[str], cluster_name: str | None) -> int:
        opt = _parse_option(args[0])
        if opt is None or opt.name != "quorumresource":
            raise win32(ERROR_INVALID_PARAMETER)
        q = self.engine.quorum()
        self.out(TITLES["quorum"].format(name=cluster_name or self.engine.topology.cluster_name), "")
        self.out(*format_table(FORMATS["quorum"], [(q.witness_resource, q.model, q.witness_path)]))
        return 0

    # ---- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _wait_value(opts: list[Option], default: float | None) -> float | None:
        for o in opts:
            if o.name == "wait":
                if o.value is None or o.value == "":
                    return None  # /wait without a value: until done
                try:
                    return float(int(o.value))
                except ValueError as exc:
                    raise win32(ERROR_INVALID_PARAMETER) from exc
        return default

    def _nominal(self, real_s: float | None) -> float | None:
        """/wait:N is N real seconds (the user's clock); the engine counts nominal seconds."""
        return None if real_s is None else real_s * self.engine.clock.speed

    @staticmethod
    def _action(opts: list[Option], allowed: set[str]) -> Option | None:
        actions = [o for o in opts if o.name != "wait"]
        if len(actions) > 1:
            raise win32(ERROR_INVALID_PARAMETER)
        if actions and actions[0].name not in allowed:
            raise win32(ERROR_INVALID_PARAMETER)
        return actions[0] if actions else None

    def _node_rows(self, nodes: list[NodeInfo]) -> list[tuple[str, str, str]]:
        return [(n.name, str(n.node_id), n.state.value) for n in nodes]

    def _group_rows(self, groups: list[GroupInfo]) -> list[tuple[str, str, str]]:
        return [(g.name, g.owner, g.state.value) for g in groups]

    def _res_rows(self, res: list[ResourceInfo]) -> list[tuple[str, str, str, str]]:
        return [(r.name, r.group, r.owner, r.state.value) for r in res]

    def _props(self, title: str, label: str, obj: str, rows: list[tuple[str, str, str]]) -> int:
        self.out(TITLES[title].format(name=obj), "")
        self.out(*format_table(FORMATS["prop"], [(t, obj, n, v) for t, n, v in rows], object_label=label))
        return 0

    # ---- node -----------------------------------------------------------------------------------

    def _node(self, name: str | None, opts: list[Option]) -> int:
        action = self._action(opts, {"status", "pause", "resume", "properties", "privproperties"})
        if name is None:
            if action is not None and action.name != "status":
                raise win32(ERROR_INVALID_PARAMETER)
            self.out(TITLES["node_all"], "")
            self.out(*format_table(FORMATS["node"], self._node_rows(self.engine.nodes())))
            return 0
        node = self.engine.node(name)
        kind = action.name if action else "status"
        if kind == "properties":
            spec = node.spec
            return self._props(
                "prop",
                "Node",
                node.name,
                [
                    ("SR", "NodeName", node.name),
                    ("S", "Description", ""),
                    ("DR", "NodeHighestVersion", "393222 (0x60006)"),
                    ("DR", "NodeLowestVersion", "393222 (0x60006)"),
                    ("DR", "MajorVersion", "6 (0x6)"),
                    ("DR", "MinorVersion", "0 (0x0)"),
                    ("DR", "BuildNumber", _dword(int(spec.os_version.split(".")[-1]))),
                    ("SR", "CSDVersion", spec.service_pack),
                ],
            )
        if kind == "privproperties":
            return self._props("priv", "Node", node.name, [])
        if kind in ("pause", "resume"):
            self.out(PROGRESS["node_" + kind].format(name=name), "")
            if kind == "pause":
                self.engine.pause_node(name)
            else:
                self.engine.resume_node(name)
            node = self.engine.node(name)
            self.out(*format_table(FORMATS["node"], self._node_rows([node])))
            return 0
        self.out(TITLES["node_one"].format(name=name), "")
        self.out(*format_table(FORMATS["node"], self._node_rows([node])))
        return 0

    # ---- group ----------------------------------------------------------------------------------

    def _group(self, name: str | None, opts: list[Option]) -> int:
        allowed = {
            "status",
            "moveto",
            "online",
            "offline",
            "properties",
            "privproperties",
            "listowners",
            "node",
        }
        action = self._action(opts, allowed)
        if name is None:
            groups = self.engine.groups()
            if action is not None and action.name == "node":
                node = self.engine.node(action.value or "")
                groups = [g for g in groups if g.owner.casefold() == node.name.casefold()]
            elif action is not None and action.name != "status":
                raise win32(ERROR_INVALID_PARAMETER)
            self.out(TITLES["group_all"], "")
            self.out(*format_table(FORMATS["group"], self._group_rows(groups)))
            return 0
        group = self.engine.group(name)
        kind = action.name if action else "status"
        if kind == "status":
            self.out(TITLES["group_one"].format(name=name), "")
            self.out(*format_table(FORMATS["group"], self._group_rows([group])))
            return 0
        if kind == "properties":
            return self._props(
                "prop",
                "Group",
                group.name,
                [
                    ("SR", "Name", group.name),
                    ("S", "Description", ""),
                    ("D", "PersistentState", "1 (0x1)" if group.state.value != "Offline" else "0 (0x0)"),
                    ("D", "FailoverThreshold", "10 (0xa)"),
                    ("D", "FailoverPeriod", "6 (0x6)"),
                    ("D", "AutoFailbackType", "0 (0x0)"),
                    ("D", "FailbackWindowStart", "4294967295 (0xffffffff)"),
                    ("D", "FailbackWindowEnd", "4294967295 (0xffffffff)"),
                ],
            )
        if kind == "privproperties":
            return self._props("priv", "Group", group.name, [])
        if kind == "listowners":
            self.out(TITLES["owners_group"].format(name=name), "")
            self.out(*format_table(FORMATS["owners_group"], [(n,) for n in group.preferred_owners]))
            return 0
        if kind == "node":
            raise win32(ERROR_INVALID_PARAMETER)
        assert action is not None
        if kind == "moveto":
            self.out(PROGRESS["group_move"].format(name=name), "")
            self.engine.move_group(name, action.value or None)
            wait = self._wait_value(opts, DEFAULT_MOVE_WAIT_S)
        elif kind == "online":
            self.out(PROGRESS["group_online"].format(name=name), "")
            self.engine.online_group(name, action.value or None)
            wait = self._wait_value(opts, None)
        else:
            self.out(PROGRESS["group_offline"].format(name=name), "")
            self.engine.offline_group(name)
            wait = self._wait_value(opts, None)
        final = self.engine.wait_group(name, self._nominal(wait))
        if final.state.is_pending:
            raise win32(ERROR_IO_PENDING)
        self.out(*format_table(FORMATS["group"], self._group_rows([final])))
        return 0

    # ---- resource -------------------------------------------------------------------------------

    def _resource(self, name: str | None, opts: list[Option]) -> int:
        allowed = {"status", "online", "offline", "properties", "privproperties", "listowners"}
        action = self._action(opts, allowed)
        if name is None:
            if action is not None and action.name != "status":
                raise win32(ERROR_INVALID_PARAMETER)
            self.out(TITLES["resource_all"], "")
            self.out(*format_table(FORMATS["resource"], self._res_rows(self.engine.resources())))
            return 0
        res = self.engine.resource(name)
        kind = action.name if action else "status"
        if kind == "status":
            self.out(TITLES["resource_one"].format(name=name), "")
            self.out(*format_table(FORMATS["resource"], self._res_rows([res])))
            return 0
        if kind == "properties":
            return self._props(
                "prop",
                "Resource",
                res.name,
                [
                    ("SR", "Name", res.name),
                    ("SR", "Type", res.type),
                    ("S", "Description", ""),
                    ("D", "PersistentState", "1 (0x1)" if res.state.value != "Offline" else "0 (0x0)"),
                    ("D", "RestartAction", "2 (0x2)"),
                    ("D", "RestartThreshold", "1 (0x1)"),
                    ("D", "RestartPeriod", "900000 (0xdbba0)"),
                    ("D", "PendingTimeout", "180000 (0x2bf20)"),
                ],
            )
        if kind == "privproperties":
            return self._props("priv", "Resource", res.name, [("S", k, v) for k, v in res.private.items()])
        if kind == "listowners":
            self.out(TITLES["owners_resource"].format(name=name), "")
            self.out(*format_table(FORMATS["owners_resource"], [(n,) for n in res.possible_owners]))
            return 0
        if kind == "online":
            self.out(PROGRESS["resource_online"].format(name=name), "")
            self.engine.online_resource(name)
        else:
            self.out(PROGRESS["resource_offline"].format(name=name), "")
            self.engine.offline_resource(name)
        final = self.engine.wait_resource(name, self._nominal(self._wait_value(opts, None)))
        if final.state.is_pending:
            raise win32(ERROR_IO_PENDING)
        self.out(*format_table(FORMATS["resource"], self._res_rows([final])))
        return 0

    # ---- network / netinterface -----------------------------------------------------------------

    def _network(self, name: str | None, opts: list[Option]) -> int:
        action = self._action(opts, {"status"})
        del action
        if name is None:
            rows = [(n.name, n.state.value) for n in self.engine.networks()]
            self.out(TITLES["network_all"], "")
        else:
            net = self.engine.network(name)
            rows = [(net.name, net.state.value)]
            self.out(TITLES["network_one"].format(name=name), "")
        self.out(*format_table(FORMATS["network"], rows))
        return 0

    def _netinterface(self, name: str | None, opts: list[Option]) -> int:
        node = next((o.value for o in opts if o.name == "node"), None)
        network = next((o.value for o in opts if o.name == "network"), None)
        if any(o.name not in ("node", "network", "status") for o in opts) or name is not None:
            raise win32(ERROR_INVALID_PARAMETER)
        if node is not None and network is not None:
            i = self.engine.interface(node, network)
            self.out(TITLES["netinterface_one"].format(node=node, network=network), "")
            self.out(*format_table(FORMATS["netinterface"], [(i.node, i.network, i.state.value)]))
            return 0
        items = self.engine.interfaces()
        if node is not None:
            canon = self.engine.node(node).name
            items = [i for i in items if i.node == canon]
        if network is not None:
            canon = self.engine.network(network).name
            items = [i for i in items if i.network == canon]
        self.out(TITLES["netinterface_all"], "")
        self.out(*format_table(FORMATS["netinterface"], [(i.node, i.network, i.state.value) for i in items]))
        return 0


def run_cluster(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    """Program entry used by cmdshell (argv[0] is the program name as typed)."""
    host = ctx.host
    account = ctx.account
    cost = host.faults.costs.cluster_exe_s
    if cost > 0:
        io.sleep(cost)
    return ClusterExe(io, host.engine, host.name).run(argv[1:], admin=account.admin)
