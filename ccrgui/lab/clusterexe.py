"""cluster.exe as Windows Server 2008 prints it, over the lab engine.

Every text cluster.exe prints comes from its message table (cmderror.mc: headers, dash lines,
printf-style row formats such as `%1!-15s! %2!6s! %3`, titles, progress lines, status words).
The lab copies those strings into the tables below (`FORMATS`, `TITLES`, `PROGRESS`), one
entry per format, so each can be checked or corrected in one place:

* node, group and resource listings agree byte for byte with the real captures in
  shared/reference/cluster-exe (tests compare them);
* network, netinterface, /prop, /priv, /listowners, /quorum and the progress lines follow the
  WS2003-era message table (2001), the newest one found; no WS2008 capture exists, so WS2008
  changes (if any) are unknown.  `/quorum` prints the "Max Log Size" column with 4096 (the
  classic default) because WS2008 keeps no quorum log.
* Widths are minimums: a longer value pushes the later columns right (printf `%-20s`).  Rows
  end without padding except where the format pads its last column (network status `%-10s`),
  which really leaves trailing spaces.

Errors go to stderr as `System error N has occurred (0x%08x).` (MSG_ERROR), a blank line, the
Win32 message; the exit code is N.  Syntax errors print cluster.exe's own message
(`Invalid option '/x'.`, `Unrecognized object type 'x'.`) and exit with 87.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ccrgui.domain.model import NodeState
from ccrgui.lab.engine import (
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    RPC_S_SERVER_UNAVAILABLE,
    ClusterEngine,
    GroupInfo,
    InterfaceInfo,
    LabError,
    NetworkInfo,
    NodeInfo,
    ResourceInfo,
    win32,
)
from ccrgui.lab.grouppolicy import WRITABLE
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context, register

CRLF = "\r\n"


@dataclass(frozen=True)
class TableFormat:
    """A listing: its two header lines verbatim, and the row format.

    `columns` is one (width, align) per printf field: width 0 = `%s` (no padding),
    align "<" = `%-Ns`, ">" = `%Ns`.  Fields are joined by one space, as in the format strings."""

    header: str
    dashes: str
    columns: tuple[tuple[int, str], ...]


FORMATS: dict[str, TableFormat] = {
    # MSG_NODE_STATUS_HEADER / MSG_NODE_STATUS "%1!-15s! %2!6s! %3" (matches cluster-node.txt).
    "node": TableFormat(
        "Node           Node ID Status",
        "-------------- ------- ---------------------",
        ((15, "<"), (6, ">"), (0, "<")),
    ),
    # MSG_GROUP_STATUS "%1!-20s! %2!-15s! %3" (matches cluster-group.txt).
    "group": TableFormat(
        "Group                Node            Status",
        "-------------------- --------------- ------",
        ((20, "<"), (15, "<"), (0, "<")),
    ),
    # MSG_RESOURCE_STATUS "%1!-20s! %2!-20s! %3!-15s! %4" (matches cluster-res.txt).
    "resource": TableFormat(
        "Resource             Group                Node            Status",
        "-------------------- -------------------- --------------- ------",
        ((20, "<"), (20, "<"), (15, "<"), (0, "<")),
    ),
    # MSG_NETWORK_STATUS "%1!-40s! %2!-10s!" (the status is padded: trailing spaces are real).
    "network": TableFormat(
        "Network                                  Status",
        "---------------------------------------- -----------",
        ((40, "<"), (10, "<")),
    ),
    # MSG_NETINTERFACE_STATUS "%1!-26s! %2!-26s! %3".
    "netinterface": TableFormat(
        "Node                       Network                    Status",
        "-------------------------- -------------------------- -------",
        ((26, "<"), (26, "<"), (0, "<")),
    ),
    # MSG_PROPERTY_HEADER_*_ALL + "<type char><R or space> " + MSG_PROPERTY_*_WITH_OWNER
    # "%1!-20s! %2!-30s! %3".  The first field is the 2-character type/read-only flag.
    "prop_resource": TableFormat(
        "T  Resource             Name                           Value",
        "-- -------------------- ------------------------------ -----------------------",
        ((2, "<"), (20, "<"), (30, "<"), (0, "<")),
    ),
    "prop_group": TableFormat(
        "T  Resource Group       Name                           Value",
        "-- -------------------- ------------------------------ -----------------------",
        ((2, "<"), (20, "<"), (30, "<"), (0, "<")),
    ),
    "prop_node": TableFormat(
        "T  Node                 Name                           Value",
        "-- -------------------- ------------------------------ ---------------------",
        ((2, "<"), (20, "<"), (30, "<"), (0, "<")),
    ),
    "prop_network": TableFormat(
        "T  Network              Name                           Value",
        "-- -------------------- ------------------------------ -----------------------",
        ((2, "<"), (20, "<"), (30, "<"), (0, "<")),
    ),
    # MSG_PROPERTY_HEADER_NETINT + MSG_PROPERTY_*_WITH_NODE_AND_NET "%1!-15s! %2!-15s! %3!-20s! %4".
    "prop_netinterface": TableFormat(
        "T  Node            Network         Name                 Value",
        "-- --------------- --------------- -------------------- ----------------------",
        ((2, "<"), (15, "<"), (15, "<"), (20, "<"), (0, "<")),
    ),
    # MSG_PROPERTY_HEADER_CLUSTER_ALL (`cluster /prop`).
    "prop_cluster": TableFormat(
        "T  Cluster              Name                           Value",
        "-- -------------------- ------------------------------ -----------------------",
        ((2, "<"), (20, "<"), (30, "<"), (0, "<")),
    ),
    # MSG_GROUPCMD_LISTOWNERS_HEADER / MSG_NODELIST_HEADER, rows "%1".
    "owners_group": TableFormat("Preferred Owner Nodes", "---------------------", ((0, "<"),)),
    "owners_resource": TableFormat("Possible Owner Nodes", "--------------------", ((0, "<"),)),
    # MSG_QUORUM_RESOURCE "%1!-20s! %2!-40s! %3!d!".
    "quorum": TableFormat(
        "Quorum Resource Name Device                                   Max Log Size",
        "-------------------- ---------------------------------------- ------------",
        ((20, "<"), (40, "<"), (0, "<")),
    ),
}

# Titles (MSG_*_STATUS_LIST...); "\n" separates lines, a trailing "\n" is the blank line.
TITLES: dict[str, str] = {
    "node_all": "Listing status for all available nodes:\n",
    "node_one": "Listing status for node '{name}':\n",
    "resource_all": "Listing status for all available resources:\n",
    "resource_one": "Listing status for resource '{name}':\n",
    "resource_node": "Listing status of resource for node '{name}':\n",
    "group_all": "Listing status for all available resource groups:\n",
    "group_one": "Listing status for resource group '{name}':\n",
    "group_node": "Listing status of resource group for node '{name}':\n",
    "network_all": "Listing status for all available networks:\n",
    "network_one": "Listing status for network '{name}':\n",
    "netinterface_all": "Listing status for all available network interfaces:\n",
    "netinterface_one": "Listing status for network interface at node '{node}'\nand network '{network}':\n",
    "prop": "Listing properties for '{name}':\n",
    "priv": "Listing private properties for '{name}':\n",
    # MSG_PROPERTY_LISTING_*_ALL / MSG_PRIVATE_LISTING_*_ALL (no object name given).
    "prop_all": "Listing properties for all {what}:\n",
    "priv_all": "Listing private properties for all {what}:\n",
    "prop_netinterface": "Listing properties for interface at node '{node}'\nand network '{network}':\n",
    "priv_netinterface": (
        "Listing private properties for interface at node '{node}'\nand network '{network}':\n"
    ),
    "owners_group": "Listing preferred owners for resource group '{name}':\n",
    "owners_resource": "Listing possible owners for resource '{name}':",  # no blank line in the table
}

# Progress lines printed before the final status table (MSG_GROUPCMD_MOVE ...).
PROGRESS: dict[str, str] = {
    "group_move": "Moving resource group '{name}'...\n",
    "group_online": "Bringing resource group '{name}' online...\n",
    "group_offline": "Bringing resource group '{name}' offline...\n",
    "resource_online": "Bringing resource '{name}' online...\n",
    "resource_offline": "Taking resource '{name}' offline...\n",
    "node_pause": "Pausing node '{name}'...\n",
    "node_resume": "Resuming node '{name}'...\n",
}

# node /start and /stop (cluster.exe's MSG_NODECMD_* message texts: a blank line, then the text).
NODE_SERVICE: dict[str, str] = {
    "start": "\nAttempting to start the cluster service on node '{name}'",
    "started": "\nThe cluster service has been successfully started.",
    "start_issued": (
        "\nA command to start the cluster service has issued, but the service has not yet started."
    ),
    "already_start": "\nThe cluster service is already running.",
    "stop": "\nAttempting to stop the cluster service on node '{name}'",
    "stopped": "\nThe cluster service has been successfully stopped.",
    "already_stop": "\nThe cluster service has already been stopped.",
}

QUORUM_MAX_LOG_SIZE = 4096
INVALID_OPTION = "Invalid option '{option}'."
MSG_EXTRA_PARAMETERS = "Too many command line parameters have been specified for the '{option}' option."
UNRECOGNIZED_OBJECT = "Unrecognized object type '{name}'."

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
    ("start", "start"),
    ("stop", "stop"),
    ("listowners", "listowners"),
    ("setowners", "setowners"),
    ("quorumresource", "quorum"),
    ("cluster", "cluster"),
    ("node", "node"),
    ("network", "net"),
)

DEFAULT_MOVE_WAIT_S = 20.0  # "if /wait is not given with /move[to], cluster.exe waits 20 seconds"


def format_table(fmt: TableFormat, rows: Sequence[Sequence[str]]) -> list[str]:
    """Header, dash line and rows formatted like FormatMessage does with the row format."""
    return [fmt.header, fmt.dashes, *(format_row(fmt, r) for r in rows)]


def format_row(fmt: TableFormat, cells: Sequence[str]) -> str:
    out = []
    for (width, align), cell in zip(fmt.columns, cells, strict=True):
        out.append(cell.rjust(width) if align == ">" else cell.ljust(width))
    return " ".join(out)


def _dword(value: int) -> str:
    """A DWORD property value as cluster.exe prints it: decimal, then hex in parentheses."""
    return f"{value} (0x{value:x})"


def _options(obj: str, words: list[str]) -> list[Option]:
    """The options after the object name; `Name=Value` words after a group's /prop are its writes."""
    opts: list[Option] = []
    for a in words:
        opt = _parse_option(a)
        if opt is None and obj == "group" and opts and opts[-1].name == "properties":
            opts[-1].assignments.append(a)
            continue
        if opt is None or opt.name.startswith("?"):
            raise SyntaxFailure(INVALID_OPTION.format(option=a))
        opts.append(opt)
    return opts


def _assignments(words: list[str]) -> list[tuple[str, str]]:
    """`Name[:type]=Value` words of a /prop write; a word without '=' is a bad parameter (87)."""
    out = []
    for word in words:
        name, eq, value = word.partition("=")
        if not eq or not name:
            raise win32(ERROR_INVALID_PARAMETER)
        out.append((name.split(":", 1)[0], value))
    return out


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
    assignments: list[str] = field(default_factory=list)  # "Name=Value" words after /prop


def _parse_option(arg: str) -> Option | None:
    if not arg or arg[0] not in "/-":
        return None
    body = arg[1:]
    key, colon, value = body.partition(":")
    full = _match(key, OPTIONS)
    if full is None:
        return Option("?" + key, value if colon else None, arg)
    return Option(full, value if colon else None, arg)


class SyntaxFailure(Exception):
    """A command-line error cluster.exe reports in its own words (not a Win32 error)."""


class ClusterExe:
    """One cluster.exe invocation."""

    def __init__(self, io: ProcessIO, engine: ClusterEngine, local_node: str) -> None:
        self.io = io
        self.engine = engine
        self.local_node = local_node

    # ---- output ---------------------------------------------------------------------------------

    def out(self, *lines: str) -> None:
        self.io.write("".join(line + CRLF for line in lines))

    def text(self, template: str, **values: str) -> None:
        """A title or progress message: its lines, a trailing newline giving the blank line."""
        self.out(*template.format(**values).split("\n"))

    def table(self, key: str, rows: Sequence[Sequence[str]]) -> None:
        self.out(*format_table(FORMATS[key], rows))

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
        except SyntaxFailure as exc:
            self.io.write(f"{exc}{CRLF}", "stderr")
            return ERROR_INVALID_PARAMETER
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
        elif args and _match(args[0], OBJECTS) is None:
            cluster_name = args.pop(0)
        if cluster_name is not None and cluster_name != ".":
            self.engine.resolve_cluster_target(cluster_name)
        else:
            self.engine.require_cluster(self.local_node)
        if not args:
            raise SyntaxFailure("A command must be specified.")
        if args[0][:1] in "/-":
            return self._cluster_level(args)
        obj = _match(args[0], OBJECTS)
        if obj is None:
            raise SyntaxFailure(UNRECOGNIZED_OBJECT.format(name=args[0]))
        rest = args[1:]
        names: list[str] = []
        while rest and rest[0][:1] not in "/-":
            names.append(rest.pop(0))
        if len(names) > (2 if obj == "netinterface" else 1):
            raise SyntaxFailure(MSG_EXTRA_PARAMETERS.format(option=args[0]))
        name = names[0] if names else None
        opts = []
        if obj == "netinterface" and len(names) == 2:
            opts.append(Option("network", names[1], names[1]))
        opts.extend(_options(obj, rest))
        handler = {
            "node": self._node,
            "group": self._group,
            "resource": self._resource,
            "network": self._network,
            "netinterface": self._netinterface,
        }.get(obj)
        if handler is None:
            raise SyntaxFailure(UNRECOGNIZED_OBJECT.format(name=args[0]))
        return handler(name, opts)

    def _cluster_level(self, args: list[str]) -> int:
        opt = _parse_option(args[0])
        if opt is not None and opt.name in ("properties", "privproperties") and len(args) == 1:
            name = self.engine.topology.cluster_name
            if opt.name == "privproperties":
                return self._props("priv", "cluster", name, [])
            return self._props(
                "prop",
                "cluster",
                name,
                [
                    ("SR", "Name", name),  # the cluster's NetBIOS name (MSG_PROPERTY_LISTING title too)
                    ("S ", "Description", ""),
                    ("D ", "QuorumArbitrationTimeMax", _dword(20)),
                    ("D ", "ClusterLogLevel", _dword(3)),
                    ("D ", "ClusterLogSize", _dword(100)),
                ],
            )
        if opt is None or opt.name != "quorumresource":
            raise SyntaxFailure(INVALID_OPTION.format(option=args[0]))
        q = self.engine.quorum()
        self.table("quorum", [(q.witness_resource, q.witness_path, str(QUORUM_MAX_LOG_SIZE))])
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
            raise SyntaxFailure(INVALID_OPTION.format(option=actions[1].typed))
        if actions and actions[0].name not in allowed:
            raise SyntaxFailure(INVALID_OPTION.format(option=actions[0].typed))
        return actions[0] if actions else None

    @staticmethod
    def _node_rows(nodes: list[NodeInfo]) -> list[tuple[str, str, str]]:
        return [(n.name, str(n.node_id), n.state.value) for n in nodes]

    @staticmethod
    def _group_rows(groups: list[GroupInfo]) -> list[tuple[str, str, str]]:
        return [(g.name, g.owner, g.state.value) for g in groups]

    @staticmethod
    def _res_rows(res: list[ResourceInfo]) -> list[tuple[str, str, str, str]]:
        return [(r.name, r.group, r.owner, r.state.value) for r in res]

    def _props(self, title: str, kind: str, obj: str, rows: list[tuple[str, str, str]]) -> int:
        """`rows` are (type flags, property name, value); type flags are e.g. "SR", "D ", "S "."""
        self.text(TITLES[title], name=obj)
        self.table("prop_" + kind, [(t, obj, n, v) for t, n, v in rows])
        return 0

    def _props_all(self, private: bool, kind: str, what: str, rows: Sequence[Sequence[str]]) -> int:
        """No object named: every object's rows under one header (MSG_PROPERTY_LISTING_*_ALL)."""
        self.text(TITLES["priv_all" if private else "prop_all"], what=what)
        self.table("prop_" + kind, rows)
        return 0

    @staticmethod
    def _res_props(res: ResourceInfo) -> list[tuple[str, str, str]]:
        return [
            ("SR", "Name", res.name),
            ("SR", "Type", res.type),
            ("S ", "Description", ""),
            ("D ", "PersistentState", _dword(0 if res.state.value == "Offline" else 1)),
            ("D ", "RestartAction", _dword(2)),
            ("D ", "RestartThreshold", _dword(1)),
            ("D ", "RestartPeriod", _dword(900000)),
            ("D ", "PendingTimeout", _dword(180000)),
        ]

    @staticmethod
    def _net_props(net: NetworkInfo) -> list[tuple[str, str, str]]:
        role = {"Disabled": 0, "Internal use": 1, "Client access only": 2}.get(net.role, 3)
        return [
            ("S ", "Name", net.name),
            ("SR", "Address", net.address),
            ("SR", "AddressMask", net.mask),
            ("S ", "Description", ""),
            ("D ", "Role", _dword(role)),
        ]

    @staticmethod
    def _netif_props(i: InterfaceInfo) -> list[tuple[str, str, str, str, str]]:
        rows = [
            ("SR", "Name", i.name),
            ("SR", "Node", i.node),
            ("SR", "Network", i.network),
            ("SR", "Adapter", i.adapter),
            ("SR", "Address", i.address),
            ("S ", "Description", ""),
        ]
        return [(t, i.node, i.network, n, v) for t, n, v in rows]

    # ---- node -----------------------------------------------------------------------------------

    def _node(self, name: str | None, opts: list[Option]) -> int:
        action = self._action(
            opts, {"status", "pause", "resume", "start", "stop", "properties", "privproperties"}
        )
        kind = action.name if action else "status"
        if name is None:
            if kind != "status":
                raise SyntaxFailure("A node name must be specified.")
            self.text(TITLES["node_all"])
            self.table("node", self._node_rows(self.engine.nodes()))
            return 0
        node = self.engine.node(name)
        if kind in ("start", "stop"):
            return self._node_service(node, kind, opts)
        if kind == "properties":
            spec = node.spec
            build = int(spec.os_version.split(".")[-1])
            return self._props(
                "prop",
                "node",
                node.name,
                [
                    ("SR", "NodeName", node.name),
                    ("S ", "Description", ""),
                    ("DR", "NodeHighestVersion", _dword(393222)),
                    ("DR", "NodeLowestVersion", _dword(393222)),
                    ("DR", "MajorVersion", _dword(6)),
                    ("DR", "MinorVersion", _dword(0)),
                    ("DR", "BuildNumber", _dword(build)),
                    ("SR", "CSDVersion", spec.service_pack),
                ],
            )
        if kind == "privproperties":
            return self._props("priv", "node", node.name, [])
        if kind in ("pause", "resume"):
            self.text(PROGRESS["node_" + kind], name=name)
            if kind == "pause":
                self.engine.pause_node(name)
            else:
                self.engine.resume_node(name)
            self.table("node", self._node_rows([self.engine.node(name)]))
            return 0
        self.text(TITLES["node_one"], name=name)
        self.table("node", self._node_rows([node]))
        return 0

    def _node_service(self, node: NodeInfo, kind: str, opts: list[Option]) -> int:
        """node /start and /stop: the cluster service on that node through its service manager.

        /stop: its groups move to other nodes and it goes Down.  /start: it joins (Joining, then
        Up); with /wait[:N] cluster.exe waits until it is Up, else reports the start as issued.
        """
        self.text(NODE_SERVICE[kind], name=node.name)
        if not self.engine.node_is_powered(node.name):
            raise win32(RPC_S_SERVER_UNAVAILABLE)
        if self.engine.service_running(node.name, "ClusSvc") == (kind == "start"):
            self.text(NODE_SERVICE["already_" + kind])
            return 0
        if kind == "stop":
            self.engine.stop_service(node.name, "ClusSvc")
            self.text(NODE_SERVICE["stopped"])
            return 0
        self.engine.start_service(node.name, "ClusSvc")
        waits = any(o.name == "wait" for o in opts)
        up = self.engine.wait_until(
            lambda: self.engine.node(node.name).state in (NodeState.UP, NodeState.PAUSED),
            self._nominal(self._wait_value(opts, None)) if waits else 0.0,
        )
        self.text(NODE_SERVICE["started" if up or not waits else "start_issued"])
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
            "setowners",
            "node",
        }
        action = self._action(opts, allowed)
        kind = action.name if action else "status"
        if name is None:
            groups = self.engine.groups()
            if kind == "node" and action is not None:
                node = self.engine.node(action.value or "")
                self.text(TITLES["group_node"], name=action.value or "")
                self.table("group", self._group_rows([g for g in groups if g.owner == node.name]))
                return 0
            if kind != "status":
                raise SyntaxFailure("An object name must be specified.")
            self.text(TITLES["group_all"])
            self.table("group", self._group_rows(groups))
            return 0
        group = self.engine.group(name)
        if kind == "status":
            self.text(TITLES["group_one"], name=name)
            self.table("group", self._group_rows([group]))
            return 0
        if kind == "properties" and action is not None and action.assignments:
            self.engine.set_group_properties(group.name, _assignments(action.assignments))
            return 0
        if kind == "setowners" and action is not None:
            self.engine.set_group_owners(group.name, (action.value or "").split(","))
            return 0
        if kind == "properties":
            return self._props(
                "prop",
                "group",
                group.name,
                [
                    ("SR", "Name", group.name),
                    ("S ", "Description", ""),
                    ("D ", "PersistentState", _dword(0 if group.state.value == "Offline" else 1)),
                    *(("D ", name, _dword(group.policy.value(name))) for name in WRITABLE),
                ],
            )
        if kind == "privproperties":
            return self._props("priv", "group", group.name, [])
        if kind == "listowners":
            self.text(TITLES["owners_group"], name=name)
            self.table("owners_group", [(n,) for n in group.preferred_owners])
            return 0
        if kind == "node":
            raise SyntaxFailure(INVALID_OPTION.format(option=action.typed if action else ""))
        assert action is not None
        if kind == "moveto":
            self.text(PROGRESS["group_move"], name=name)
            self.engine.move_group(name, action.value or None)
            wait = self._wait_value(opts, DEFAULT_MOVE_WAIT_S)
        elif kind == "online":
            self.text(PROGRESS["group_online"], name=name)
            self.engine.online_group(name, action.value or None)
            wait = self._wait_value(opts, None)
        else:
            self.text(PROGRESS["group_offline"], name=name)
            self.engine.offline_group(name)
            wait = self._wait_value(opts, None)
        final = self.engine.wait_group(name, self._nominal(wait))
        if final.state.is_pending:
            raise win32(ERROR_IO_PENDING)
        self.table("group", self._group_rows([final]))
        return 0

    # ---- resource -------------------------------------------------------------------------------

    def _resource(self, name: str | None, opts: list[Option]) -> int:
        allowed = {"status", "online", "offline", "properties", "privproperties", "listowners", "node"}
        action = self._action(opts, allowed)
        kind = action.name if action else "status"
        if name is None:
            resources = self.engine.resources()
            if kind == "node" and action is not None:
                node = self.engine.node(action.value or "")
                self.text(TITLES["resource_node"], name=action.value or "")
                self.table("resource", self._res_rows([r for r in resources if r.owner == node.name]))
                return 0
            if kind == "properties":
                rows = [(t, r.name, n, v) for r in resources for t, n, v in self._res_props(r)]
                return self._props_all(False, "resource", "resources", rows)
            if kind == "privproperties":
                rows = [("S ", r.name, k, v) for r in resources for k, v in r.private.items()]
                return self._props_all(True, "resource", "resources", rows)
            if kind != "status":
                raise SyntaxFailure("A resource name must be specified.")
            self.text(TITLES["resource_all"])
            self.table("resource", self._res_rows(resources))
            return 0
        res = self.engine.resource(name)
        if kind == "status":
            self.text(TITLES["resource_one"], name=name)
            self.table("resource", self._res_rows([res]))
            return 0
        if kind == "properties":
            return self._props("prop", "resource", res.name, self._res_props(res))
        if kind == "privproperties":
            return self._props("priv", "resource", res.name, [("S ", k, v) for k, v in res.private.items()])
        if kind == "listowners":
            self.text(TITLES["owners_resource"], name=name)
            self.table("owners_resource", [(n,) for n in res.possible_owners])
            return 0
        if kind == "node":
            raise SyntaxFailure(INVALID_OPTION.format(option=action.typed if action else ""))
        if kind == "online":
            self.text(PROGRESS["resource_online"], name=name)
            self.engine.online_resource(name)
        else:
            self.text(PROGRESS["resource_offline"], name=name)
            self.engine.offline_resource(name)
        final = self.engine.wait_resource(name, self._nominal(self._wait_value(opts, None)))
        if final.state.is_pending:
            raise win32(ERROR_IO_PENDING)
        self.table("resource", self._res_rows([final]))
        return 0

    # ---- network / netinterface -----------------------------------------------------------------

    def _network(self, name: str | None, opts: list[Option]) -> int:
        action = self._action(opts, {"status", "properties", "privproperties"})
        kind = action.name if action else "status"
        if kind != "status":
            if name is None:
                if kind == "privproperties":
                    return self._props_all(True, "network", "networks", [])
                rows = [(t, n.name, p, v) for n in self.engine.networks() for t, p, v in self._net_props(n)]
                return self._props_all(False, "network", "networks", rows)
            net = self.engine.network(name)
            if kind == "privproperties":
                return self._props("priv", "network", net.name, [])
            return self._props("prop", "network", net.name, self._net_props(net))
        if name is None:
            self.text(TITLES["network_all"])
            self.table("network", [(n.name, n.state.value) for n in self.engine.networks()])
            return 0
        net = self.engine.network(name)
        self.text(TITLES["network_one"], name=name)
        self.table("network", [(net.name, net.state.value)])
        return 0

    def _netinterface(self, name: str | None, opts: list[Option]) -> int:
        """`[[/node:]node [/net[work]:]network] [/stat[us]]`: node and network may be bare words."""
        node = next((o.value for o in opts if o.name == "node"), None)
        network = next((o.value for o in opts if o.name == "network"), None)
        if name is not None:
            if node is None:
                node = name
            elif network is None:
                network = name
        verbs = ("status", "properties", "privproperties")
        if any(o.name not in ("node", "network", *verbs) for o in opts):
            bad = next(o for o in opts if o.name not in ("node", "network", *verbs))
            raise SyntaxFailure(INVALID_OPTION.format(option=bad.typed))
        action = self._action([o for o in opts if o.name in verbs], set(verbs))
        kind = action.name if action else "status"
        if (node is None) != (network is None):
            raise SyntaxFailure("Required parameters are missing.")
        if kind != "status":
            private = kind == "privproperties"
            if node is not None and network is not None:
                i = self.engine.interface(node, network)
                key = "priv_netinterface" if private else "prop_netinterface"
                self.text(TITLES[key], node=node, network=network)
                self.table("prop_netinterface", [] if private else self._netif_props(i))
                return 0
            rows = [] if private else [r for i in self.engine.interfaces() for r in self._netif_props(i)]
            return self._props_all(private, "netinterface", "network interfaces", rows)
        if node is not None and network is not None:
            i = self.engine.interface(node, network)
            self.text(TITLES["netinterface_one"], node=node, network=network)
            self.table("netinterface", [(i.node, i.network, i.state.value)])
            return 0
        self.text(TITLES["netinterface_all"])
        self.table("netinterface", [(i.node, i.network, i.state.value) for i in self.engine.interfaces()])
        return 0


def run_cluster(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    """Program entry used by cmdshell (argv[0] is the program name as typed)."""
    host = ctx.host
    account = ctx.account
    cost = host.faults.costs.cluster_exe_s
    if cost > 0:
        io.sleep(cost)
    return ClusterExe(io, host.engine, host.name).run(argv[1:], admin=account.admin)


register("cluster", run_cluster)
