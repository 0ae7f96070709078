"""Parsers for Exchange Management Shell and WMI output.

The backend asks PowerShell for ``... | Select-Object ... | ConvertTo-Xml -As String``
(PowerShell 2.0's format: ``<Objects><Object Type=..><Property Name=.. Type=..>value</Property>``,
collections as nested ``<Property Type=..>`` elements without a Name).  The domain parsers also
accept ``Format-List`` text (a console copy with 80-column hard wraps), so a captured console
session can be fed to them as well.  Remote XML goes through defusedxml only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from ccrgui.domain.model import CmsState, CmsStatus, CopyStatus, ExchangeServer, NodeDetails, StorageGroupCopy
from ccrgui.remote.parsers._table import LINE_SPLIT, PROMPT, host_wrapped, unwrap_host_lines
from ccrgui.remote.parsers.errors import ParseError

__all__ = [
    "PsObject",
    "PsValue",
    "active_node_of",
    "merge_details",
    "parse_cms_status",
    "parse_convertto_xml",
    "parse_copy_status",
    "parse_exchange_servers",
    "parse_exchange_setup",
    "parse_format_list",
    "parse_format_table",
    "parse_ps_datetime",
    "parse_wmi_computer",
    "parse_wmi_datetime",
    "parse_wmi_os",
    "parse_wmi_processor",
]

PsValue = str | None | list["PsValue"] | dict[str, "PsValue"]


@dataclass(frozen=True)
class PsObject:
    """One ``<Object>`` of ConvertTo-Xml: its .NET type and its properties (or its own text)."""

    type_name: str
    properties: dict[str, PsValue] = field(default_factory=dict)
    text: str | None = None  # for objects that are plain values (strings, numbers)

    def get(self, *names: str) -> PsValue:
        """The first present property among `names`, case-insensitively (PowerShell semantics)."""
        folded = {k.casefold(): v for k, v in self.properties.items()}
        for name in names:
            if name.casefold() in folded:
                return folded[name.casefold()]
        return None


# ------------------------------------------------------------------------- ConvertTo-Xml

_XML_DECL = re.compile(r"<\?xml[^>]*\?>")


def _parse_xml_fragment(text: str, root_tag: str = "_root", *, unwrap: bool = True) -> Element:
    """Parse one or more concatenated documents safely, wrapped in one synthetic root."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    text = text.lstrip("\ufeff")
    if unwrap and host_wrapped(text):
        # Written through the PowerShell 2.0 host, which breaks lines at 80 columns even inside
        # tags and values: join them back first, fall back to the text as it is.
        try:
            return _parse_xml_fragment(unwrap_host_lines(text), root_tag, unwrap=False)
        except ParseError:
            pass
    body = _XML_DECL.sub(lambda m: " " * len(m.group(0)), text)
    wrapped = f"<{root_tag}>{body}</{root_tag}>"
    try:
        root: Element = SafeET.fromstring(wrapped)
        return root
    except SafeET.ParseError as exc:
        line_no, _col = getattr(exc, "position", (0, 0))
        lines = text.splitlines()
        line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
        raise ParseError(f"malformed XML ({exc})", line_no, line) from None
    except Exception as exc:  # defusedxml refuses DTDs/entities with its own exceptions
        raise ParseError(f"refused XML: {type(exc).__name__}: {exc}") from None


def _value(elem: Element) -> PsValue:
    children = [c for c in elem if c.tag == "Property"]
    if not children:
        if elem.text is None:
            return None if "Type" not in elem.attrib else ""
        return elem.text
    if all("Name" not in c.attrib for c in children):
        return [_value(c) for c in children]
    return {c.attrib.get("Name", ""): _value(c) for c in children}


def parse_convertto_xml(xml: str) -> list[PsObject]:
    """Every ``<Object>`` in ConvertTo-Xml output (several documents may be concatenated)."""
    root = _parse_xml_fragment(xml)
    objects: list[PsObject] = []
    containers = [c for c in root if c.tag == "Objects"]
    if not containers:
        raise ParseError("no <Objects> element: not ConvertTo-Xml output")
    for container in containers:
        for obj in container:
            if obj.tag != "Object":
                raise ParseError(f"unexpected <{obj.tag}> inside <Objects>")
            props = [c for c in obj if c.tag == "Property"]
            if props:
                value = _value(obj)
                properties: dict[str, PsValue] = value if isinstance(value, dict) else {"": value}
                objects.append(PsObject(obj.attrib.get("Type", ""), properties))
            else:
                objects.append(PsObject(obj.attrib.get("Type", ""), {}, obj.text or ""))
    return objects


# --------------------------------------------------------------------------- Format-List

_FL_LABEL = re.compile(r"^([A-Za-z_][\w.\-]*)[ \t]*:(?:[ \t]?(.*))?$")


def parse_format_list(text: str) -> list[dict[str, str]]:
    """``Format-List`` text -> one dict per object, hard-wrapped values re-joined.

    Lines before the first ``Label : value`` line (prompt, echoed command) are skipped; a prompt
    ends the list.  A continuation line is indented to the value column; the console wraps
    mid-word, so the pieces are joined without a space, and a piece that was wrapped keeps its
    trailing blanks (they are part of the value).  Objects are separated by blank lines (or, in
    copies that lost them, by a label repeating).
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    lines = [line.lstrip("\ufeff") for line in LINE_SPLIT.split(text)]  # a saved capture's BOM
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last_key = ""
    value_col = 0
    started = False

    def continues(index: int) -> bool:
        """Whether line `index` is a continuation of the current value."""
        if not last_key or index >= len(lines):
            return False
        nxt = lines[index]
        indent = len(nxt) - len(nxt.lstrip(" "))
        return bool(nxt.strip()) and indent >= min(value_col, 4) and not _FL_LABEL.match(nxt)

    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if PROMPT.match(stripped):
            if started:
                break
            continue
        match = _FL_LABEL.match(line) if line[:1] not in (" ", "\t") else None
        if match:
            key = match.group(1)
            if key in current:
                records.append(current)
                current = {}
            last_key = key
            value_col = line.index(":") + 2
            value = match.group(2) or ""
            current[key] = value if continues(number) else value.rstrip()
            started = True
            continue
        if not started:
            continue
        if not stripped:
            if current:
                records.append(current)
                current = {}
                last_key = ""
            continue
        indent = len(line) - len(line.lstrip(" "))
        if last_key and indent >= min(value_col, 4):
            piece = line[value_col:] if indent >= value_col else line.lstrip(" ")
            current[last_key] += piece if continues(number) else piece.rstrip()
            continue
        raise ParseError("not a 'Label : value' line or a continuation", number, line)
    if current:
        records.append(current)
    return records


_FT_DASHES = re.compile(r"^-+(?: +-+)*$")


def _cells(line: str, starts: Sequence[int]) -> list[str]:
    out = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(line)
        out.append(line[start:end].strip())
    return out


def parse_format_table(text: str) -> list[dict[str, str]]:
    """``Format-Table`` text (the default view of Get-StorageGroupCopyStatus and others) -> one
    dict per row.

    Columns are where the dash line puts them; a title too long for its column is wrapped over
    several header lines (``SummaryCopySt`` / ``atus``) and is joined back.  Rows run to a blank
    line or a prompt.  Values the console truncated keep their ``...``.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    lines = [line.lstrip("\ufeff").rstrip() for line in LINE_SPLIT.split(text)]
    records: list[dict[str, str]] = []

    def ends(line: str) -> bool:
        return not line.strip() or bool(PROMPT.match(line.strip()))

    i = 1
    while i < len(lines):
        if not (_FT_DASHES.match(lines[i]) and not ends(lines[i - 1])):
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"-+", lines[i])]
        top = i - 1
        while top > 0 and not ends(lines[top - 1]):
            top -= 1
        titles = [""] * len(starts)
        for header in lines[top:i]:
            for k, cell in enumerate(_cells(header, starts)):
                titles[k] += cell
        j = i + 1
        while j < len(lines) and not ends(lines[j]) and not _FT_DASHES.match(lines[j]):
            records.append({t: c for t, c in zip(titles, _cells(lines[j], starts), strict=True) if t})
            j += 1
        i = j
    return records


# ------------------------------------------------------------------ values of either format

Record = Mapping[str, PsValue]


def _records(text: str) -> list[Record]:
    """Objects from ConvertTo-Xml output or Format-List text (decided by the first character)."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return [obj.properties for obj in parse_convertto_xml(text)]
    records = parse_format_list(text)
    # No "Label : value" line at all: the cmdlet's default table view, pasted from a console.
    return list(records or parse_format_table(text))


def _get(record: Record, *names: str) -> PsValue:
    folded = {k.casefold(): v for k, v in record.items()}
    for name in names:
        if name.casefold() in folded:
            return folded[name.casefold()]
    return None


def _text(record: Record, *names: str) -> str:
    value = _get(record, *names)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(v for v in value if isinstance(v, str))
    return ""


def _list(record: Record, *names: str) -> tuple[str, ...]:
    """A collection: nested elements, or the shell's ``{a, b}`` text, or one plain value."""
    value = _get(record, *names)
    if value is None or isinstance(value, dict):
        return ()
    if isinstance(value, list):
        return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
        return tuple(p.strip() for p in _split_commas(text[1:-1]) if p.strip())
    if not text or re.fullmatch(r"System\.[\w.`\[\]]+", text):
        return ()  # empty, or a type name printed because ConvertTo-Xml's depth ran out
    return (text,)


def _split_commas(text: str) -> list[str]:
    """Split ``a, b <x, y>, c`` on commas outside angle brackets (OperationalMachines)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _bool(record: Record, *names: str) -> bool:
    return _text(record, *names).strip().casefold() in ("true", "yes", "1", "$true")


def _int(record: Record, *names: str) -> int:
    text = _text(record, *names).strip().replace(",", "")
    try:
        return int(text)
    except ValueError:
        return 0


# ----------------------------------------------------------------------------- date/time

_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_ps_datetime(text: str) -> datetime | None:
    """A DateTime as PowerShell prints it: ISO 8601, en-US ``6/14/2006 4:42:01 PM``, or
    day-first cultures (``14.06.2006 16:42:01``, ``14/06/2006 16:42:01`` when the day > 12).

    Returns None for empty or unreadable text (the shell prints nothing for a null time).
    Times without an offset are returned naive (server local time).
    """
    text = (text or "").strip()
    if not text:
        return None
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    match = _US.match(text)
    try:
        if match:
            a, b, year, hour, minute, second, ampm = match.groups()
            month, day = int(a), int(b)
            h = int(hour)
            if ampm:
                h = h % 12 + (12 if ampm.lower() == "p" else 0)
            elif month > 12:
                month, day = day, month
            return datetime(int(year), month, day, h, int(minute), int(second or 0))
        match = _DOTTED.match(text)
        if match:
            d, m, year, hour, minute, second = match.groups()
            return datetime(int(year), int(m), int(d), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    return None


_WMI = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,6}))?([+-])(\d{3})$")


def parse_wmi_datetime(text: str) -> datetime | None:
    """CIM_DATETIME ``20261125214903.000000+000`` (offset in minutes) -> aware datetime."""
    match = _WMI.match((text or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second, frac, sign, offset = match.groups()
    minutes = int(offset) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((frac or "0").ljust(6, "0")),
            tzinfo=timezone(timedelta(minutes=minutes)),
        )
    except ValueError:
        return None


# -------------------------------------------------------------------------- domain objects

_MACHINE = re.compile(r"^(\S+)(?:\s+<([^>]*)>)?\s*$")


def active_node_of(operational_machines: Sequence[str]) -> str:
    """The node whose OperationalMachines element carries the token ``Active``.

    Elements look like ``NODE1 <Active, Quorum Owner>`` (inferred from third-party scripts,
    which test ``Contains("Active")`` and take the text before the first space).
    """
    for element in operational_machines:
        match = _MACHINE.match(element.strip())
        if match and match.group(2) is not None:
            tokens = [t.strip().casefold() for t in match.group(2).split(",")]
            if "active" in tokens:
                return match.group(1)
    for element in operational_machines:
        words = element.replace("<", " ").replace(">", " ").replace(",", " ").split()
        if len(words) > 1 and "active" in (w.casefold() for w in words[1:]):
            return words[0]
    return ""


def cms_state(text: str) -> CmsState:
    """A State display string, or the .NET enum name ConvertTo-Xml writes (``PartiallyOnline``)."""
    key = "".join(text.split()).casefold()
    for member in CmsState:
        if member.value.replace(" ", "").casefold() == key:
            return member
    return CmsState.UNKNOWN


def parse_cms_status(text: str) -> CmsStatus:
    """Get-ClusteredMailboxServerStatus (ConvertTo-Xml or Format-List) -> CmsStatus."""
    records = _records(text)
    if not records:
        raise ParseError("no Get-ClusteredMailboxServerStatus object in the output")
    rec = records[0]
    name = _text(rec, "ClusteredMailboxServerName", "Identity", "Name")
    if not name and _get(rec, "State") is None:
        raise ParseError("the object has neither a server name nor a State")
    machines = _list(rec, "OperationalMachines")
    valid = _get(rec, "IsValid")
    return CmsStatus(
        name=name,
        state=cms_state(_text(rec, "State")),
        active_node=active_node_of(machines),
        operational_machines=machines,
        failed_resources=_list(rec, "FailedResources"),
        operational_replication_hosts=_list(rec, "OperationalReplicationHostNames"),
        failed_replication_hosts=_list(rec, "FailedReplicationHostNames"),
        in_use_replication_hosts=_list(rec, "InUseReplicationHostNames"),
        is_valid=True if valid is None else _bool(rec, "IsValid"),
    )


def parse_copy_status(text: str) -> list[StorageGroupCopy]:
    """Get-StorageGroupCopyStatus (ConvertTo-Xml or Format-List) -> one entry per storage group."""
    copies = []
    for rec in _records(text):
        identity = _text(rec, "Identity")
        group = _text(rec, "StorageGroupName", "Name") or identity.rsplit("\\", 1)[-1]
        status = CopyStatus.from_text(_text(rec, "SummaryCopyStatus"))
        # The default table view has no Suspend column; its status says it.
        suspended = (
            _bool(rec, "Suspend") if _get(rec, "Suspend") is not None else status is CopyStatus.SUSPENDED
        )
        if not identity and not group:
            raise ParseError("a storage group copy status object without Identity or Name")
        copies.append(
            StorageGroupCopy(
                identity=identity or group,
                storage_group=group,
                status=status,
                copy_queue_length=_int(rec, "CopyQueueLength"),
                replay_queue_length=_int(rec, "ReplayQueueLength"),
                suspended=suspended,
                suspend_comment=_text(rec, "SuspendComment"),
                failed=_bool(rec, "Failed"),
                failed_message=_text(rec, "FailedMessage"),
                seeding=_bool(rec, "Seeding"),
                last_inspected_log_time=parse_ps_datetime(_text(rec, "LastInspectedLogTime")),
                last_copied_log_time=parse_ps_datetime(_text(rec, "LastCopiedLogTime")),
                last_replayed_log_time=parse_ps_datetime(_text(rec, "LastReplayedLogTime")),
            )
        )
    return copies


def parse_exchange_servers(text: str) -> list[ExchangeServer]:
    """Get-ExchangeServer / Get-MailboxServer (ConvertTo-Xml or Format-List) -> servers."""
    servers = []
    for rec in _records(text):
        name = _text(rec, "Name", "Identity")
        if not name:
            raise ParseError("an Exchange server object without Name")
        roles = _list(rec, "ServerRole")
        if len(roles) == 1 and "," in roles[0]:
            roles = tuple(r.strip() for r in roles[0].split(",") if r.strip())
        roles = tuple(r for r in roles if r.casefold() != "none")
        servers.append(
            ExchangeServer(
                name=name,
                fqdn=_text(rec, "Fqdn"),
                version=_text(rec, "AdminDisplayVersion"),
                edition=_text(rec, "Edition"),
                roles=roles,
                is_member_of_cluster=_bool(rec, "IsMemberOfCluster"),
                clustered_storage_type=_text(rec, "ClusteredStorageType"),
                redundant_machines=_list(rec, "RedundantMachines"),
            )
        )
    return servers


def _first_record(text: str, what: str) -> Record:
    records = _records(text)
    if not records:
        raise ParseError(f"no {what} object in the output")
    return records[0]


def parse_wmi_os(text: str) -> NodeDetails:
    """Win32_OperatingSystem (Caption, Version, CSDVersion, memory in KB, LastBootUpTime,
    CurrentTimeZone)."""
    rec = _first_record(text, "Win32_OperatingSystem")
    total_kb = _int(rec, "TotalVisibleMemorySize")
    free_kb = _int(rec, "FreePhysicalMemory")
    boot = _text(rec, "LastBootUpTime")
    return NodeDetails(
        os_caption=_text(rec, "Caption").strip(),
        os_version=_text(rec, "Version"),
        service_pack=_text(rec, "CSDVersion"),
        memory_total_mb=total_kb // 1024,
        memory_in_use_mb=max(0, total_kb - free_kb) // 1024 if total_kb else 0,
        last_boot=parse_wmi_datetime(boot) or parse_ps_datetime(boot),
        utc_offset_minutes=_offset_minutes(_text(rec, "CurrentTimeZone")),
    )


def _offset_minutes(text: str) -> int | None:
    """CurrentTimeZone (SInt16 minutes east of UTC, e.g. -300 or 60); None when absent or odd."""
    try:
        minutes = int(text.strip())
    except ValueError:
        return None
    return minutes if -16 * 60 <= minutes <= 16 * 60 else None


def parse_exchange_setup(text: str) -> NodeDetails:
    """Get-ItemProperty of Exchange's Setup key (MsiProductMajor/Minor, MsiBuildMajor/Minor) ->
    the installed build as AdminDisplayVersion words it, "Version 8.1 (Build 240.6)"; no key
    (Exchange not installed) -> an empty version."""
    for rec in _records(text):
        parts = [_text(rec, name).strip() for name in _SETUP_VALUES]
        if all(p.isdigit() for p in parts):
            major, minor, build, revision = (int(p) for p in parts)
            return NodeDetails(exchange_version=f"Version {major}.{minor} (Build {build}.{revision})")
    return NodeDetails()


_SETUP_VALUES = ("MsiProductMajor", "MsiProductMinor", "MsiBuildMajor", "MsiBuildMinor")


def parse_wmi_computer(text: str) -> NodeDetails:
    """Win32_ComputerSystem (NumberOfProcessors, TotalPhysicalMemory in bytes)."""
    rec = _first_record(text, "Win32_ComputerSystem")
    return NodeDetails(
        cpu_count=_int(rec, "NumberOfLogicalProcessors", "NumberOfProcessors"),
        memory_total_mb=_int(rec, "TotalPhysicalMemory") // (1024 * 1024),
    )


def parse_wmi_processor(text: str) -> NodeDetails:
    """Win32_Processor objects: the first one's Name (whitespace collapsed), and their count."""
    records = _records(text)
    if not records:
        raise ParseError("no Win32_Processor object in the output")
    return NodeDetails(cpu=" ".join(_text(records[0], "Name").split()), cpu_count=len(records))


def merge_details(*parts: NodeDetails) -> NodeDetails:
    """Combine partial NodeDetails: for each field the first non-default value wins."""
    merged = NodeDetails()
    for f in fields(NodeDetails):
        default = getattr(merged, f.name)
        for part in parts:
            value = getattr(part, f.name)
            if value != default:
                merged = replace(merged, **{f.name: value})
                break
    return merged
