"""Parsers for cluster.exe listings: node, group, res, network, netinterface, /prop, /quorum.

Written for the real output in shared/reference/cluster-exe (raw captures, console copies with
trailing blanks or indents, web copies with collapsed spacing).  Every function is total: it
returns domain objects, raises `ParseError` naming the offending line, or raises
`ClusterExeError` when the text is cluster.exe reporting ``System error N has occurred``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

from ccrgui.domain.model import (
    ClusterProperty,
    Group,
    GroupState,
    InterfaceState,
    NetInterface,
    Network,
    NetworkState,
    Node,
    NodeState,
    Quorum,
    Resource,
    ResourceState,
)
from ccrgui.remote.parsers._table import (
    DASHES,
    HOST_WIDTH,
    LINE_SPLIT,
    SYSTEM_ERROR,
    Cut,
    Table,
    best_unique,
    collapse,
    find_tables,
    host_wrapped,
    split_lines,
    split_row,
)
from ccrgui.remote.parsers.errors import ClusterExeError, ParseError

__all__ = [
    "find_system_error",
    "network_role",
    "parse_cluster_name",
    "parse_groups",
    "parse_netinterface_properties",
    "parse_netinterfaces",
    "parse_networks",
    "parse_nodes",
    "parse_owners",
    "parse_properties",
    "parse_quorum",
    "parse_resources",
    "raise_for_system_error",
]

NODE_TITLES = ("Node", "Node ID", "Status")
GROUP_TITLES = ("Group", "Node", "Status")
RESOURCE_TITLES = ("Resource", "Group", "Node", "Status")
ALL_HEADERS = (" ".join(NODE_TITLES), " ".join(GROUP_TITLES), " ".join(RESOURCE_TITLES))

# Display strings cluster.exe prints for groups and resources; split_row tries the longest first.
GROUP_STATES = (
    "Partially Online",
    "Online Pending",
    "Offline Pending",
    "Online",
    "Offline",
    "Failed",
    "Pending",
    "Unknown",
    "Inherited",
    "Initializing",
)
NODE_STATES = tuple(s.value for s in NodeState)
NETWORK_STATES = tuple(s.value for s in NetworkState)
INTERFACE_STATES = tuple(s.value for s in InterfaceState)

_NODE_ROW = re.compile(r"^(?P<name>\S(?:.*\S)?)[ \t]+(?P<id>\d{1,10})[ \t]+(?P<state>\S(?:.*\S)?)$")


# ------------------------------------------------------------------------------------- errors


_PS_DECORATION = re.compile(r"^(?:At line:\d+|At char:\d+|\+ )")
_NATIVE_PREFIX = re.compile(r"^[\w.\-]+\.(?:exe|com) : ", re.IGNORECASE)


def find_system_error(text: str) -> ClusterExeError | None:
    """The first ``System error N has occurred (0x...).`` in `text` with its message, or None.

    Also understood through PowerShell 2.0 (``& cluster.exe ... 2>&1 | Out-String``), which
    prefixes the first stderr line with ``cluster.exe : `` and adds ``At line:``/``+ ...``
    decoration before the message.
    """
    lines = split_lines(text)
    raw = LINE_SPLIT.split(text)
    wrapped = host_wrapped(text)
    for index, line in enumerate(lines):
        match = SYSTEM_ERROR.search(line.strip())
        if not match:
            continue
        code = int(match.group(1))
        message = ""
        previous_full = False
        for number in range(index + 1, len(lines)):
            follow = lines[number]
            stripped = follow.strip()
            if not stripped:
                if message:
                    break
                continue
            if not message and (_PS_DECORATION.match(stripped) or follow[:1] in (" ", "\t")):
                continue
            if SYSTEM_ERROR.search(stripped) or stripped.endswith(">"):
                break
            piece = _NATIVE_PREFIX.sub("", stripped)
            # A line the PowerShell host broke at 80 columns continues without a blank.
            message += piece if previous_full else (" " + piece if message else piece)
            previous_full = wrapped and len(raw[number]) == HOST_WIDTH
        return ClusterExeError(code, message)
    return None


def raise_for_system_error(text: str) -> None:
    """Raise `ClusterExeError` if cluster.exe printed a system error (for action output)."""
    error = find_system_error(text)
    if error is not None:
        raise error


def _tables_or_error(text: str, tables: list[Table], what: str) -> list[Table]:
    """The listings found; an error after the last header wins; no listing is a ParseError."""
    lines = split_lines(text)
    if tables:
        after = "\n".join(lines[tables[-1].header_line :])
        error = find_system_error(after)
        if error is not None:
            raise error
        return tables
    error = find_system_error(text)
    if error is not None:
        raise error
    first = next(((i + 1, ln) for i, ln in enumerate(lines) if ln.strip()), (0, ""))
    raise ParseError(f"no '{what}' listing found", *first)


def _known(names: Iterable[object]) -> frozenset[str]:
    out = set()
    for item in names:
        name = getattr(item, "name", item)
        if isinstance(name, str) and name:
            out.add(name.casefold())
    return frozenset(out)


def _resolve(
    table: Table,
    n_fields: int,
    known: list[frozenset[str] | None],
    *,
    last_phrases: Sequence[str] = (),
    allow_empty: frozenset[int] = frozenset(),
    single_word: frozenset[int] = frozenset(),
    what: str,
) -> list[tuple[int, str, tuple[str, ...]]]:
    """Split every row; learn names from unambiguous rows and use them for the ambiguous ones."""
    widths = table.widths if table.widths is not None and len(table.widths) == n_fields else None
    first: list[tuple[int, str, Cut | None, bool]] = []
    learnt: list[set[str]] = [set() for _ in range(n_fields)]
    for line_no, row in table.rows:
        cuts = split_row(
            row,
            widths,
            n_fields,
            known=known,
            last_phrases=last_phrases,
            allow_empty=allow_empty,
            single_word=single_word,
        )
        best, unique = best_unique(cuts)
        first.append((line_no, row, best, unique))
        if best is not None and unique:
            for i, value in enumerate(best.fields):
                if value:
                    learnt[i].add(value.casefold())
    merged: list[frozenset[str] | None] = []
    for i in range(n_fields):
        base = known[i] if i < len(known) else None
        merged.append(frozenset((base or frozenset()) | learnt[i]) if (base or learnt[i]) else None)
    out = []
    for line_no, row, best, unique in first:
        if best is not None and not unique:
            cuts = split_row(
                row,
                widths,
                n_fields,
                known=merged,
                last_phrases=last_phrases,
                allow_empty=allow_empty,
                single_word=single_word,
            )
            best = cuts[0] if cuts else None
        if best is None:
            raise ParseError(
                f"cannot split this {what} row into {n_fields} columns", line_no, table.line(line_no)
            )
        out.append((line_no, row, best.fields))
    return out


# ------------------------------------------------------------------------------------- nodes


def parse_nodes(text: str) -> list[Node]:
    """`cluster node` (all nodes, or ``cluster node X``) -> nodes with id and state."""
    lines = split_lines(text)
    tables = find_tables(
        lines, lambda t: collapse(" ".join(t)) == ALL_HEADERS[0], (NODE_TITLES,), ALL_HEADERS
    )
    nodes: list[Node] = []
    for table in _tables_or_error(text, tables, "cluster node"):
        for line_no, row in table.rows:
            match = _NODE_ROW.match(row.strip())
            if not match:
                raise ParseError(
                    "not a 'cluster node' row (name, node id, status)", line_no, table.line(line_no)
                )
            nodes.append(
                Node(
                    name=match.group("name"),
                    state=NodeState.from_text(match.group("state")),
                    node_id=int(match.group("id")),
                )
            )
    return nodes


# ------------------------------------------------------------------------------------ groups


def _group(name: str, owner: str, state: str) -> Group:
    folded = name.casefold()
    return Group(
        name=name,
        state=GroupState.from_text(state),
        owner=owner,
        is_core=folded == "cluster group",
        is_storage=folded == "available storage",
    )


def parse_groups(text: str, nodes: Iterable[object] = ()) -> list[Group]:
    """`cluster group` (or ``cluster group X``) -> groups with owner node and state.

    `nodes` (names or Node objects) helps when a long group name pushed the owner column.
    Whether a group is the Exchange CMS is not visible here; the backend sets `is_cms`.
    """
    lines = split_lines(text)
    tables = find_tables(
        lines, lambda t: collapse(" ".join(t)) == ALL_HEADERS[1], (GROUP_TITLES,), ALL_HEADERS
    )
    groups: list[Group] = []
    known: list[frozenset[str] | None] = [None, _known(nodes) or None, None]
    for table in _tables_or_error(text, tables, "cluster group"):
        rows = _resolve(
            table,
            3,
            known,
            last_phrases=GROUP_STATES,
            allow_empty=frozenset({1}),
            single_word=frozenset({1}),
            what="group",
        )
        for _line_no, _row, (name, owner, state) in rows:
            groups.append(_group(name, owner, state))
    return groups


# --------------------------------------------------------------------------------- resources


def parse_resources(text: str, groups: Iterable[object] = (), nodes: Iterable[object] = ()) -> list[Resource]:
    """`cluster res` (or ``cluster res X``) -> resources with group, owner node and state.

    Resource and group names contain spaces and long names push later columns right; the known
    group and node names (strings or domain objects) decide rows that layout alone cannot.
    """
    lines = split_lines(text)
    tables = find_tables(
        lines, lambda t: collapse(" ".join(t)) == ALL_HEADERS[2], (RESOURCE_TITLES,), ALL_HEADERS
    )
    known: list[frozenset[str] | None] = [None, _known(groups) or None, _known(nodes) or None, None]
    resources: list[Resource] = []
    for table in _tables_or_error(text, tables, "cluster resource"):
        rows = _resolve(
            table,
            4,
            known,
            last_phrases=GROUP_STATES,
            allow_empty=frozenset({2}),
            single_word=frozenset({2}),
            what="resource",
        )
        for _line_no, _row, (name, group, owner, state) in rows:
            resources.append(
                Resource(name=name, state=ResourceState.from_text(state), group=group, owner=owner)
            )
    return resources


# ----------------------------------------------------------------- networks and interfaces
# No real capture of `cluster network` / `cluster netinterface` exists (NOTES: NOT FOUND); the
# parsers read the column titles from the header above the dash line and map them by name.


def _title_index(titles: Sequence[str], *names: str) -> int | None:
    folded = [t.casefold() for t in titles]
    for name in names:
        if name.casefold() in folded:
            return folded.index(name.casefold())
    return None


def _state_last(titles: Sequence[str]) -> bool:
    return titles[-1].casefold() in ("status", "state")


def parse_networks(text: str) -> list[Network]:
    """`cluster network` -> networks (name and state; role/address when the listing has them)."""
    lines = split_lines(text)

    def accept(titles: list[str]) -> bool:
        return (
            bool(titles)
            and titles[0].casefold() == "network"
            and _title_index(titles, "Status", "State") is not None
            and _title_index(titles, "Node") is None
        )

    tables = find_tables(lines, accept, (("Network", "Status"),), ALL_HEADERS)
    networks: list[Network] = []
    for table in _tables_or_error(text, tables, "cluster network"):
        titles = table.titles
        phrases = NETWORK_STATES if _state_last(titles) else ()
        rows = _resolve(table, len(titles), [None] * len(titles), last_phrases=phrases, what="network")
        state_i = _title_index(titles, "Status", "State")
        role_i = _title_index(titles, "Role")
        addr_i = _title_index(titles, "Address", "IP Address")
        mask_i = _title_index(titles, "Address Mask", "Mask", "Subnet Mask")
        for _line_no, _row, values in rows:
            networks.append(
                Network(
                    name=values[0],
                    state=NetworkState.from_text(values[state_i] if state_i is not None else ""),
                    role=values[role_i] if role_i is not None else "",
                    address=values[addr_i] if addr_i is not None else "",
                    address_mask=values[mask_i] if mask_i is not None else "",
                )
            )
    return networks


def parse_netinterfaces(
    text: str, nodes: Iterable[object] = (), networks: Iterable[object] = ()
) -> list[NetInterface]:
    """`cluster netinterface` -> interfaces (node, network, state; name/adapter/address if shown)."""
    lines = split_lines(text)

    def accept(titles: list[str]) -> bool:
        return (
            _title_index(titles, "Node") is not None
            and _title_index(titles, "Network") is not None
            and _title_index(titles, "Status", "State") is not None
        )

    known_titles = (("Node", "Network", "Network Interface", "Status"),)
    tables = find_tables(lines, accept, known_titles, ALL_HEADERS)
    node_names = _known(nodes) or None
    network_names = _known(networks) or None
    result: list[NetInterface] = []
    for table in _tables_or_error(text, tables, "cluster netinterface"):
        titles = table.titles
        node_i = _title_index(titles, "Node")
        net_i = _title_index(titles, "Network")
        known: list[frozenset[str] | None] = [None] * len(titles)
        if node_i is not None:
            known[node_i] = node_names
        if net_i is not None:
            known[net_i] = network_names
        phrases = INTERFACE_STATES if _state_last(titles) else ()
        single = frozenset({node_i}) if node_i is not None else frozenset()
        rows = _resolve(
            table, len(titles), known, last_phrases=phrases, single_word=single, what="network interface"
        )
        state_i = _title_index(titles, "Status", "State")
        name_i = _title_index(titles, "Network Interface", "Interface", "Name")
        adapter_i = _title_index(titles, "Adapter")
        addr_i = _title_index(titles, "Address", "IP Address")
        for _line_no, _row, values in rows:

            def get(index: int | None, values: tuple[str, ...] = values) -> str:
                return values[index] if index is not None else ""

            result.append(
                NetInterface(
                    node=get(node_i),
                    network=get(net_i),
                    state=InterfaceState.from_text(get(state_i)),
                    name=get(name_i),
                    adapter=get(adapter_i),
                    address=get(addr_i),
                )
            )
    return result


# -------------------------------------------------------------------------------- properties

_PROP_TITLE = re.compile(r"^Listing (private )?properties for '(.*)':$", re.IGNORECASE)
_TYPE_CODE = re.compile(r"^[A-Z]{1,3}$")
_PROP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def parse_properties(text: str, owners: Iterable[object] = ()) -> list[ClusterProperty]:
    """`cluster ... /prop` and `/priv` -> rows ``T  Object  Name  Value`` (values as printed).

    The exact layout is not documented (NOTES: NOT FOUND); it is read from the header and dash
    line (type code, object name, property name, value).  The object name comes from the
    ``Listing properties for 'x':`` title when present, else from `owners`, else from layout.
    Several listings in one text are all returned.
    """
    lines = split_lines(text)

    def accept(titles: list[str]) -> bool:
        return len(titles) >= 3 and titles[0] in ("T", "Type") and titles[-1].casefold() == "value"

    tables = find_tables(lines, accept, (("T", "Resource", "Name", "Value"),), ALL_HEADERS)
    if not tables:
        _tables_or_error(text, tables, "properties")
    known_owners = _known(owners)
    result: list[ClusterProperty] = []
    for table in _tables_or_error(text, tables, "properties"):
        title = _PROP_TITLE.match(table.title)
        private = bool(title and title.group(1))
        owner_hint = title.group(2) if title else ""
        first = len(result)
        for line_no, row in table.rows:
            if row.startswith("   ") and len(result) > first:
                # A multi-string value continues on lines indented to the value column.
                last = result[-1]
                value = f"{last.value}\n{row.strip()}" if last.value else row.strip()
                result[-1] = dataclasses.replace(last, value=value)
                continue
            try:
                result.append(_property_row(line_no, row, table, owner_hint, known_owners, private))
            except ParseError as exc:
                raise ParseError(exc.message, line_no, table.line(line_no)) from None
    return result


def _property_row(
    line_no: int, row: str, table: Table, owner_hint: str, known: frozenset[str], private: bool
) -> ClusterProperty:
    match = re.match(r"^(\S+)[ \t]+", row)
    if not match or not _TYPE_CODE.match(match.group(1)):
        raise ParseError("not a property row (type code, object, name, value)", line_no, row)
    code = match.group(1)
    widths = table.widths if table.widths and len(table.widths) == len(table.titles) else None
    # Column start of the object field, from the type column width (2 in "T  Resource").
    obj_start = (widths[0] + 1) if widths else match.end()
    if widths and row[obj_start - 1 : obj_start] != " ":
        obj_start = match.end()
    rest = row[obj_start:] if len(row) > obj_start else ""
    if not rest.strip():
        raise ParseError("property row without a property name", line_no, row)
    candidates: list[tuple[tuple[int, int, int], str, str, str]] = []
    names = known | ({owner_hint.casefold()} if owner_hint else set())
    word_starts = [m.start() for m in re.finditer(r"(?<![^ \t])[^ \t]", rest)]
    for k, start in enumerate(word_starts[1:], start=1):
        owner = rest[:start].rstrip()
        after = rest[start:]
        name_match = re.match(r"^(\S+)(?:[ \t]+(.*))?$", after)
        if not name_match or not _PROP_NAME.match(name_match.group(1)):
            continue
        prop = name_match.group(1)
        value = name_match.group(2) or ""
        layout = 0
        if widths and len(widths) >= 4:
            expect_name = max(len(owner), widths[1]) + 1
            expect_value = expect_name + max(len(prop), widths[2]) + 1
            value_at = start + len(after) - len(value)
            layout = int(start == expect_name and (not value or value_at == expect_value))
        score = (int(owner.casefold() in names), layout, -k)
        candidates.append((score, owner, prop, value))
    if not candidates:
        raise ParseError("cannot find the property name in this row", line_no, row)
    candidates.sort(key=lambda c: c[0], reverse=True)
    _score, owner, prop, value = candidates[0]
    return ClusterProperty(owner=owner, name=prop, value=value, type_code=code, private=private)


_NETIF_PROP_TITLES = ("T", "Node", "Network", "Name", "Value")


def parse_netinterface_properties(
    text: str, nodes: Iterable[object] = (), networks: Iterable[object] = ()
) -> dict[tuple[str, str], dict[str, str]]:
    """`cluster netinterface /prop` -> ``{(node, network): {property: value}}`` (values as printed).

    Interfaces have no owner column: rows are ``T  Node  Network  Name  Value``
    (MSG_PROPERTY_HEADER_NETINT, row format ``%1!-15s! %2!-15s! %3!-20s! %4``).  Network names
    hold spaces and overflow their 15 columns, so known node and network names (from the status
    listings) and the printf layout decide the cut, as for the other listings.
    """
    lines = split_lines(text)

    def accept(titles: list[str]) -> bool:
        folded = [t.casefold() for t in titles]
        return len(titles) == 5 and folded[0] in ("t", "type") and folded[1:3] == ["node", "network"]

    tables = find_tables(lines, accept, (_NETIF_PROP_TITLES,), ALL_HEADERS)
    known: list[frozenset[str] | None] = [None, _known(nodes) or None, _known(networks) or None, None, None]
    result: dict[tuple[str, str], dict[str, str]] = {}
    node_list = sorted(_known(nodes), key=len, reverse=True)
    net_list = sorted(_known(networks), key=len, reverse=True)
    for table in _tables_or_error(text, tables, "netinterface properties"):
        fast = [_netif_prop_row(row, node_list, net_list) for _line_no, row in table.rows]
        if all(f is not None for f in fast):
            rows = [(ln, row, f) for (ln, row), f in zip(table.rows, fast, strict=True) if f is not None]
        else:  # unknown names: cut by layout and word scoring (slower)
            rows = _resolve(
                table,
                5,
                known,
                allow_empty=frozenset({4}),
                single_word=frozenset({0, 1, 3}),
                what="network interface property",
            )
        for line_no, row, (code, node, network, name, value) in rows:
            if not _TYPE_CODE.match(code) or not _PROP_NAME.match(name):
                raise ParseError("not a property row (type, node, network, name, value)", line_no, row)
            result.setdefault((node, network), {})[name] = value
    return result


def _netif_prop_row(row: str, nodes: Sequence[str], networks: Sequence[str]) -> tuple[str, ...] | None:
    """Fast path for a row whose node and network are known names (casefolded, longest first)."""
    match = re.match(r"^(\S+)[ \t]+", row)
    if not match or not nodes or not networks:
        return None
    rest = row[match.end() :]
    folded = rest.casefold()
    node = next(
        (n for n in nodes if folded.startswith(n) and folded[len(n) : len(n) + 1] in (" ", "\t")), None
    )
    if node is None:
        return None
    after = rest[len(node) :].lstrip(" \t")
    folded = after.casefold()
    net = next(
        (n for n in networks if folded.startswith(n) and folded[len(n) : len(n) + 1] in (" ", "\t")), None
    )
    if net is None:
        return None
    tail = after[len(net) :].lstrip(" \t")
    name, _, value = tail.partition(" ")
    return (match.group(1), rest[: len(node)], after[: len(net)], name, value.strip(" \t"))


_ANY_PROP_TITLE = re.compile(r"^[ \t]*Listing properties for '(.+)':[ \t]*$", re.IGNORECASE | re.MULTILINE)


def parse_cluster_name(text: str) -> str:
    """`cluster /prop` -> the cluster's name.

    The title ``Listing properties for 'EXCLUS1':`` carries it (Hyperic's ClusterDetect reads the
    same line); without a title, the ``Name`` property row does.
    """
    match = _ANY_PROP_TITLE.search(text if isinstance(text, str) else "")
    if match:
        return match.group(1)
    raise_for_system_error(text)
    for prop in parse_properties(text):
        if prop.name.casefold() == "name" and prop.value.strip():
            return prop.value.strip()
    raise ParseError("no cluster name in the 'cluster /prop' output")


# ClusterNetworkRole values (clusapi.h) as Failover Cluster Manager words them.
_NETWORK_ROLES = {0: "Disabled", 1: "Internal use", 2: "Client access only", 3: "Internal and client use"}


def network_role(prop: ClusterProperty) -> str:
    """A network's Role property (a DWORD printed ``3 (0x3)``) as a display string."""
    number = prop.int_value
    if number is None:
        return prop.value.strip()
    return _NETWORK_ROLES.get(number, f"Role {number}")


# ------------------------------------------------------------------------------------ quorum

_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$")
_QUORUM_MODELS = (
    "Node and File Share Majority",
    "Node and Disk Majority",
    "No Majority: Disk Only",
    "Node Majority",
    "Majority Node Set",
    "Shared Disk",
)


def parse_owners(text: str) -> list[str]:
    """`cluster group X /listowners` (preferred owners, in order) or `cluster res X /listowners`."""
    lines = split_lines(text)

    def accept(titles: list[str]) -> bool:
        return len(titles) == 1 and titles[0].casefold().endswith("owner nodes")

    known = (("Preferred", "Owner", "Nodes"), ("Possible", "Owner", "Nodes"))
    owners: list[str] = []
    for table in _tables_or_error(text, find_tables(lines, accept, known, ALL_HEADERS), "listowners"):
        owners.extend(row.strip() for _line_no, row in table.rows)
    return owners


def parse_quorum(text: str, resources: Iterable[Resource] = ()) -> Quorum:
    """`cluster /quorum` -> the quorum model, witness resource and path.

    No verbatim WS2008 output is known (NOTES: NOT FOUND), so both shapes are read: a column
    listing (``Quorum Resource Name  Path ...``, titles from the header) and ``Label: value``
    lines.  The witness state comes from `resources` (a `cluster res` listing) when given.
    """
    lines = split_lines(text)
    fields: dict[str, str] = {}

    def accept(titles: list[str]) -> bool:
        return any("resource" in t.casefold() or "quorum" in t.casefold() for t in titles)

    tables = find_tables(lines, accept, (), ALL_HEADERS)
    for table in tables:
        if not table.rows:
            continue
        # Node Majority has no witness: the resource and device columns are then empty.
        rows = _resolve(
            table,
            len(table.titles),
            [None] * len(table.titles),
            allow_empty=frozenset(range(len(table.titles) - 1)),
            what="quorum",
        )
        _line_no, row, values = rows[0]
        for title, value in zip(table.titles, values, strict=False):
            fields[_quorum_key(title)] = value
        _exact_witness(fields, row, table, resources)
        break
    if not fields:
        for line in lines:
            stripped = line.strip()
            if not stripped or DASHES.match(stripped):
                continue
            match = _KEY_VALUE.match(stripped)
            if match and not re.match(r"^[A-Za-z]:\\", stripped):
                fields.setdefault(_quorum_key(match.group(1)), match.group(2).strip())
    fields.pop("", None)
    if not fields:
        error = find_system_error(text)
        if error is not None:
            raise error
        first = next(((i + 1, ln) for i, ln in enumerate(lines) if ln.strip()), (0, ""))
        raise ParseError("no 'cluster /quorum' output found", *first)
    resource = fields.get("resource", "")
    model = fields.get("model", "") or _infer_model(resource)
    state = None
    for res in resources:
        if resource and res.name.casefold() == resource.casefold():
            state = res.state
    return Quorum(model=model, resource=resource, path=fields.get("path", ""), witness_state=state)


def _exact_witness(fields: dict[str, str], row: str, table: Table, resources: Iterable[Resource]) -> None:
    """With the exact resource names known (from WMI), the witness is the one the row starts with;
    a row that starts with several known names, or with none while naming a resource, is
    ambiguous: an error, never a guess by layout."""
    names = [r.name for r in resources]
    if not names or not fields.get("resource"):
        return
    text = row.lstrip(" ")
    hits = [n for n in names if text.startswith(n) and text[len(n) : len(n) + 1] in ("", " ", "\t")]
    line = table.line(table.rows[0][0])
    if len(hits) != 1:
        what = "several resources: " + ", ".join(repr(h) for h in hits) if hits else "no known resource"
        raise ParseError(f"ambiguous 'cluster /quorum' row: it starts with {what}", table.rows[0][0], line)
    if fields["resource"] != hits[0]:
        # The layout cut the row elsewhere than the exact name: the other columns are suspect too.
        raise ParseError(
            f"ambiguous 'cluster /quorum' row: the columns do not separate the resource {hits[0]!r}",
            table.rows[0][0],
            line,
        )


def _quorum_key(title: str) -> str:
    folded = title.casefold()
    if "path" in folded or "device" in folded or ("share" in folded and "witness" not in folded):
        return "path"
    if "type" in folded or "model" in folded or "mode" in folded:
        return "model"
    if "resource" in folded or "witness" in folded:
        return "resource"
    return ""


def _infer_model(resource: str) -> str:
    folded = resource.casefold()
    for model in _QUORUM_MODELS:
        if folded == model.casefold():
            return model
    if not resource:
        return "Node Majority"
    if "file share" in folded:
        return "Node and File Share Majority"
    if "majority node set" in folded:
        return "Majority Node Set"
    return "Node and Disk Majority"
