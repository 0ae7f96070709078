"""Event filters: Event Viewer's ID syntax, XPath for `wevtutil qe`, and QueryList XML files.

Pure Python (no Qt, no WinRM) so the dialog, the backend and the tests share one definition of
what a filter means.

Choices made here, in one place so they can be corrected when a real capture says otherwise:

* **Event IDs** use Event Viewer's "Filter Current Log" syntax: ``1069,1135,1200-1210,-1201``
  (IDs and ranges separated by commas, a leading minus excludes).  IDs are 0-65535 (EventID is
  a UInt16).  Windows' query schema limits one Select or Suppress XPath to 32 expressions
  (https://learn.microsoft.com/en-us/windows/win32/wes/queryschema-querytype-complextype), so
  the parser refuses more than 32 expressions of includes or of exclusions (an ID counts 1, a
  range 2); `validate` checks the whole XPath of each log against the same limit.
* **QueryList XML** (Save/Open, the XML tab) is what Event Viewer writes: one ``<Query Id="0">``
  with a ``<Select>`` per log and the exclusions as ``<Suppress>`` per log.  The XPath strings
  are Event Viewer's shape: ``*[System[Provider[@Name='..'] and (Level=1 or Level=2) and
  (EventID=1069 or (EventID >= 1200 and EventID <= 1210)) and TimeCreated[...]]]``; the
  Information level is ``Level=4 or Level=0`` as Event Viewer writes it.  ccrgui's own extras
  (nodes, max events, object names) ride in an XML comment, which Event Viewer ignores.
* **wevtutil** takes one XPath (``/q:``), not a QueryList, so `wevtutil_xpath` folds the
  exclusions into the Select with operators of Windows' XPath subset (MS-EVEN6 2.2.15.1:
  ``=, !=, <, <=, >, >=, and, or``): ``EventID!=1201`` and
  ``(EventID < 1200 or EventID > 1210)``.
* **"Events that name an object"** (the critical-events presets) is filtered client-side:
  Windows' XPath has no ``contains()``, event data often holds the name inside a longer value
  (``EXCH1\\SG1``), and MSExchange events carry unnamed data; Critical+Error events of 24 hours
  are few, so fetching them and matching whole names in Python (`mentions.names_object`) is cheap.
"""

from __future__ import annotations

import enum
import functools
import json
import os
import re
import xml.etree.ElementTree as ET  # only to build trees and for its types; parsing uses defusedxml
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape  # escaping only, no parsing

import defusedxml.ElementTree as DET

from ccrgui.atomicfile import write_text_atomic
from ccrgui.domain.mentions import names_object
from ccrgui.domain.model import Event, EventLevel
from ccrgui.domain.nodenames import node_name_problem
from ccrgui.domain.session_api import LogQuery
from ccrgui.quoting import xpath_literal

# ---------------------------------------------------------------------------------------------
# Well-known names

FAILOVER_CLUSTERING = "Microsoft-Windows-FailoverClustering"
MSEXCHANGE_REPL = "MSExchangeRepl"
MSEXCHANGE_IS = "MSExchangeIS"
MSEXCHANGE_CLUSTER = "MSExchangeCluster"  # the Exchange 2007 cluster resource DLL (exres.dll)

LOG_SYSTEM = "System"
LOG_APPLICATION = "Application"
LOG_FC_OPERATIONAL = "Microsoft-Windows-FailoverClustering/Operational"
LOG_FC_DIAGNOSTIC = "Microsoft-Windows-FailoverClustering/Diagnostic"

STANDARD_LOGS: tuple[str, ...] = (LOG_SYSTEM, LOG_APPLICATION, LOG_FC_OPERATIONAL, LOG_FC_DIAGNOSTIC)
# (display label, provider name) for the dialog's source check list.
STANDARD_SOURCES: tuple[tuple[str, str], ...] = (
    ("FailoverClustering", FAILOVER_CLUSTERING),
    ("MSExchangeRepl (replication)", MSEXCHANGE_REPL),
    ("MSExchangeIS (information store)", MSEXCHANGE_IS),
    ("MSExchangeCluster (Exchange cluster service)", MSEXCHANGE_CLUSTER),
)

MAX_EVENT_ID = 65535
MAX_XPATH_EXPRESSIONS = 32
DEFAULT_MAX_EVENTS = 5000
MAX_MAX_EVENTS = 1_000_000  # per node and log


# ---------------------------------------------------------------------------------------------
# Event ID syntax


class IdSpecError(ValueError):
    """The event ID text is invalid; `position` is the 0-based index of the offending character."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class IdRange:
    """Inclusive range of event IDs; a single ID is a range with low == high."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high <= MAX_EVENT_ID:
            raise ValueError(f"invalid event ID range {self.low}-{self.high}")

    def __contains__(self, event_id: object) -> bool:
        return isinstance(event_id, int) and self.low <= event_id <= self.high

    @property
    def expressions(self) -> int:
        return 1 if self.low == self.high else 2

    def text(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True, slots=True)
class IdSpec:
    """Parsed event ID text: what to include (empty = every ID) and what to exclude."""

    include: tuple[IdRange, ...] = ()
    exclude: tuple[IdRange, ...] = ()

    @property
    def is_any(self) -> bool:
        return not self.include and not self.exclude

    def matches(self, event_id: int) -> bool:
        if self.include and not any(event_id in r for r in self.include):
            return False
        return not any(event_id in r for r in self.exclude)

    def format(self) -> str:
        """Event Viewer's text for this spec; `parse_id_spec(spec.format()) == spec`."""
        parts = [r.text() for r in self.include] + ["-" + r.text() for r in self.exclude]
        return ",".join(parts)


_TOKEN = re.compile(r"\s*(-?)\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def parse_id_spec(text: str) -> IdSpec:
    """Parse ``1069,1135,1200-1210,-1201``; raise IdSpecError naming the position of the problem."""
    if not text.strip():
        return IdSpec()
    include: list[IdRange] = []
    exclude: list[IdRange] = []
    pos = 0
    n = len(text)
    while True:
        start = pos
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _token_error(text, pos)
        negative, low_text, high_text = m.group(1), m.group(2), m.group(3)
        low = int(low_text)
        high = int(high_text) if high_text is not None else low
        number_at = m.start(2)
        if low > MAX_EVENT_ID:
            raise IdSpecError(f"event ID {low} is out of range (0 to {MAX_EVENT_ID})", number_at)
        if high > MAX_EVENT_ID:
            raise IdSpecError(f"event ID {high} is out of range (0 to {MAX_EVENT_ID})", m.start(3))
        if low > high:
            raise IdSpecError(f"range {low}-{high} runs backwards; write {high}-{low}", number_at)
        (exclude if negative else include).append(IdRange(low, high))
        for kind, items in (("included", include), ("excluded", exclude)):
            count = sum(r.expressions for r in items)
            if count > MAX_XPATH_EXPRESSIONS:
                raise IdSpecError(
                    f"too many {kind} event IDs: Windows allows {MAX_XPATH_EXPRESSIONS} expressions "
                    f"in one query (an ID counts 1, a range 2), this needs {count}",
                    _skip_space(text, start),
                )
        pos = m.end()
        if pos >= n:
            break
        if text[pos] == "-":
            raise IdSpecError(f"the range starting at {low} has no end; write it like 1200-1210", pos)
        if text[pos] != ",":
            raise IdSpecError(f"unexpected character {text[pos]!r}; separate IDs with commas", pos)
        pos += 1
    return IdSpec(tuple(include), tuple(exclude))


def _token_error(text: str, pos: int) -> IdSpecError:
    bad = _skip_space(text, pos)
    if bad >= len(text):
        return IdSpecError("an event ID is missing at the end", bad)
    char = text[bad]
    if char == ",":
        return IdSpecError("an event ID is missing before this comma", bad)
    if char == "-":
        return IdSpecError("a minus must be followed by the event ID to exclude", bad)
    return IdSpecError(
        f"unexpected character {char!r}; use IDs like 1069, ranges like 1200-1210 and -1201 to exclude", bad
    )


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


# ---------------------------------------------------------------------------------------------
# The filter


class TimeRange(enum.Enum):
    """The "Logged" choices of Event Viewer's filter dialog; value = milliseconds for timediff."""

    ANY = 0
    LAST_HOUR = 3_600_000
    LAST_12_HOURS = 43_200_000
    LAST_24_HOURS = 86_400_000
    LAST_7_DAYS = 604_800_000
    LAST_30_DAYS = 2_592_000_000
    CUSTOM = -1

    @property
    def label(self) -> str:
        return _TIME_LABELS[self]


_TIME_LABELS = {
    TimeRange.ANY: "Any time",
    TimeRange.LAST_HOUR: "Last hour",
    TimeRange.LAST_12_HOURS: "Last 12 hours",
    TimeRange.LAST_24_HOURS: "Last 24 hours",
    TimeRange.LAST_7_DAYS: "Last 7 days",
    TimeRange.LAST_30_DAYS: "Last 30 days",
    TimeRange.CUSTOM: "Custom range",
}

ALL_LEVELS: frozenset[EventLevel] = frozenset(
    {EventLevel.CRITICAL, EventLevel.ERROR, EventLevel.WARNING, EventLevel.INFORMATION, EventLevel.VERBOSE}
)


class FilterError(ValueError):
    """The filter cannot be turned into a query; the message says which part and why."""


@dataclass(frozen=True)
class EventFilter:
    """What the admin asked for.  Empty `nodes` = every node; empty `providers` = any source;
    `levels` empty or all five = any level (LogAlways events show as Information)."""

    nodes: tuple[str, ...] = ()
    logs: tuple[str, ...] = (LOG_SYSTEM, LOG_APPLICATION)
    levels: frozenset[EventLevel] = frozenset({EventLevel.CRITICAL, EventLevel.ERROR, EventLevel.WARNING})
    providers: tuple[str, ...] = ()
    event_ids: str = ""  # Event Viewer syntax; see parse_id_spec
    time_range: TimeRange = TimeRange.LAST_24_HOURS
    since: datetime | None = None  # CUSTOM only; timezone-aware
    until: datetime | None = None
    max_events: int = DEFAULT_MAX_EVENTS  # per node and log
    mentions: tuple[str, ...] = ()  # client-side: events naming any of these (data or message)
    mentions_include_origin: bool = False  # an event logged *on* a mentioned node also matches

    def __post_init__(self) -> None:
        # One spelling of "any level", so filters compare equal after a QueryList round trip.
        levels = frozenset(EventLevel(x) for x in self.levels) - {EventLevel.LOG_ALWAYS}
        object.__setattr__(self, "levels", frozenset() if ALL_LEVELS <= levels else levels)

    @functools.cached_property
    def id_spec(self) -> IdSpec:
        """The parsed `event_ids` (raises IdSpecError; `validate` reports it politely)."""
        return parse_id_spec(self.event_ids)

    @property
    def any_level(self) -> bool:
        return not self.levels or ALL_LEVELS <= self.levels

    def level_matches(self, level: int) -> bool:
        if self.any_level:
            return True
        wanted = {int(x) for x in self.levels}
        if EventLevel.INFORMATION in self.levels:
            wanted.add(int(EventLevel.LOG_ALWAYS))
        return level in wanted

    def time_bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """The absolute window this filter covers at `now` (None = unbounded)."""
        if self.time_range is TimeRange.ANY:
            return None, None
        if self.time_range is TimeRange.CUSTOM:
            return self.since, self.until
        return now - timedelta(milliseconds=self.time_range.value), None

    def mentions_match(self, event: Event) -> bool:
        """Client-side part of the filter: does the event name one of `mentions`?"""
        if not self.mentions:
            return True
        for name in self.mentions:
            key = name.casefold()
            if names_object(event, name):
                return True
            if self.mentions_include_origin and key in (event.node.casefold(), event.computer.casefold()):
                return True
        return False

    def matches(self, event: Event, now: datetime) -> bool:
        """The whole filter applied in Python (used for the client-side part and as a reference)."""
        if self.nodes and event.node.casefold() not in {n.casefold() for n in self.nodes}:
            return False
        if event.log.casefold() not in {log.casefold() for log in self.logs}:
            return False
        if self.providers and event.provider.casefold() not in {p.casefold() for p in self.providers}:
            return False
        if not self.level_matches(int(event.level)):
            return False
        if not self.id_spec.matches(event.event_id):
            return False
        low, high = self.time_bounds(now)
        if low is not None and event.time_created < low:
            return False
        if high is not None and event.time_created > high:
            return False
        return self.mentions_match(event)


def default_filter() -> EventFilter:
    """The dialog's Reset to defaults: System and Application, Critical/Error/Warning, 24 hours."""
    return EventFilter()


def validate(flt: EventFilter) -> list[str]:
    """Problems that stop the filter from running, phrased for the dialog; empty when fine."""
    problems: list[str] = []
    if not flt.logs:
        problems.append("Choose at least one event log.")
    if any(not log.strip() for log in flt.logs):
        problems.append("An event log name is empty.")
    try:
        flt.id_spec  # noqa: B018 - parse for the error
    except IdSpecError as exc:
        problems.append(f"Event IDs: {exc}")
        return problems
    if flt.time_range is TimeRange.CUSTOM:
        problems.extend(_custom_range_problems(flt))
    for label, value in (("start", flt.since), ("end", flt.until)):
        if value is not None and value.tzinfo is not None and _utc(value) is None:
            problems.append(f"Custom range: the {label} time is out of range.")
    if not 1 <= flt.max_events <= MAX_MAX_EVENTS:
        problems.append("Maximum events per node and log must be between 1 and 1,000,000.")
    if not problems:
        problems.extend(_query_size_problems(flt))
    return problems


def _custom_range_problems(flt: EventFilter) -> list[str]:
    problems: list[str] = []
    if flt.since is None and flt.until is None:
        problems.append("Custom range: give a start or an end time.")
    for label, value in (("start", flt.since), ("end", flt.until)):
        if value is not None and value.tzinfo is None:
            problems.append(f"Custom range: the {label} time has no time zone.")
    if flt.since and flt.until and flt.since.tzinfo and flt.until.tzinfo and flt.since > flt.until:
        problems.append("Custom range: the start is after the end.")
    return problems


def _query_size_problems(flt: EventFilter) -> list[str]:
    try:
        expressions = count_expressions(wevtutil_xpath(flt))
    except FilterError as exc:
        return [str(exc)]
    # One expression stays free for "Load more" (EventRecordID < n, see xpath_older_than).
    if expressions + 1 > MAX_XPATH_EXPRESSIONS:
        return [
            f"The query needs {expressions} expressions; Windows allows {MAX_XPATH_EXPRESSIONS}, "
            "and ccrgui keeps one for Load more. Choose fewer sources, levels or event IDs."
        ]
    return []


# ---------------------------------------------------------------------------------------------
# XPath


def _literal(value: str) -> str:
    try:
        return xpath_literal(value)
    except ValueError as exc:
        raise FilterError(f"Source name {value!r} cannot be written in an XPath query: {exc}") from exc


def _provider_clause(providers: Sequence[str]) -> str:
    return "Provider[" + " or ".join(f"@Name={_literal(p)}" for p in providers) + "]"


def _level_clause(levels: Iterable[EventLevel]) -> str:
    order = [
        EventLevel.CRITICAL,
        EventLevel.ERROR,
        EventLevel.WARNING,
        EventLevel.INFORMATION,
        EventLevel.VERBOSE,
    ]
    chosen = set(levels)
    parts: list[str] = []
    for level in order:
        if level in chosen:
            parts.append(f"Level={int(level)}")
            if level is EventLevel.INFORMATION:
                parts.append("Level=0")  # Event Viewer's "Information" also selects LogAlways
    return "(" + " or ".join(parts) + ")"


def _range_include(r: IdRange) -> str:
    return f"EventID={r.low}" if r.low == r.high else f"(EventID >= {r.low} and EventID <= {r.high})"


def _range_exclude(r: IdRange) -> str:
    return f"EventID!={r.low}" if r.low == r.high else f"(EventID < {r.low} or EventID > {r.high})"


def _time_clause(flt: EventFilter) -> str | None:
    if flt.time_range is TimeRange.ANY:
        return None
    if flt.time_range is TimeRange.CUSTOM:
        parts = []
        if flt.since is not None:
            parts.append(f"@SystemTime>='{_system_time(flt.since, end=False)}'")
        if flt.until is not None:
            parts.append(f"@SystemTime<='{_system_time(flt.until, end=True)}'")
        return "TimeCreated[" + " and ".join(parts) + "]" if parts else None
    return f"TimeCreated[timediff(@SystemTime) <= {flt.time_range.value}]"


def _utc(value: datetime) -> datetime | None:
    """`value` in UTC, or None when that falls outside years 1-9999 (0001-01-01T00:00+14:00)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def _system_time(value: datetime, *, end: bool) -> str:
    """Event Viewer's form: UTC, milliseconds, Z; an end time covers its whole second (.999)."""
    utc = value.astimezone(UTC)
    millis = 999 if end and utc.microsecond == 0 else utc.microsecond // 1000
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def _system_clauses(flt: EventFilter, *, fold_exclusions: bool) -> list[str]:
    spec = flt.id_spec
    clauses: list[str] = []
    if flt.providers:
        clauses.append(_provider_clause(flt.providers))
    if not flt.any_level:
        clauses.append(_level_clause(flt.levels))
    if spec.include:
        clauses.append("(" + " or ".join(_range_include(r) for r in spec.include) + ")")
    if fold_exclusions:
        clauses.extend(_range_exclude(r) for r in spec.exclude)
    time = _time_clause(flt)
    if time:
        clauses.append(time)
    return clauses


def select_xpath(flt: EventFilter) -> str:
    """The Select XPath Event Viewer writes for this filter (exclusions go to `suppress_xpath`)."""
    clauses = _system_clauses(flt, fold_exclusions=False)
    return "*[System[" + " and ".join(clauses) + "]]" if clauses else "*"


def suppress_xpath(flt: EventFilter) -> str | None:
    """Event Viewer's Suppress XPath for the excluded IDs, or None when nothing is excluded."""
    spec = flt.id_spec
    if not spec.exclude:
        return None
    return "*[System[(" + " or ".join(_range_include(r) for r in spec.exclude) + ")]]"


def wevtutil_xpath(flt: EventFilter) -> str:
    """One XPath for `wevtutil qe /q:` with the exclusions folded in (wevtutil has no Suppress)."""
    clauses = _system_clauses(flt, fold_exclusions=True)
    return "*[System[" + " and ".join(clauses) + "]]" if clauses else "*"


_EXPRESSION = re.compile(
    r"(?:@Name|EventID|EventRecordID|Level|@SystemTime|timediff\(@SystemTime\))\s*(?:!=|<=|>=|=|<|>)"
)


def count_expressions(xpath: str) -> int:
    """Number of comparisons in an XPath, the unit of Windows' 32-expression limit."""
    return len(_EXPRESSION.findall(xpath))


def xpath_older_than(xpath: str, record_id: int) -> str:
    """`xpath` narrowed to records older than `record_id`: the next page for "Load more".

    Record IDs grow with every event written to a log, so newest-first pages continue exactly
    below the oldest record already shown, without gaps or duplicates."""
    clause = f"EventRecordID < {int(record_id)}"
    if xpath.strip() == "*":
        return f"*[System[{clause}]]"
    if not (xpath.startswith("*[System[") and xpath.endswith("]]")):
        raise FilterError(f"cannot extend the XPath {xpath!r}")
    return xpath[:-2] + f" and {clause}]]"


def to_log_queries(flt: EventFilter, all_nodes: Sequence[str] = ()) -> list[LogQuery]:
    """One `wevtutil qe` per node and log.  Empty `flt.nodes` means `all_nodes`."""
    problems = validate(flt)
    if problems:
        raise FilterError(" ".join(problems))
    nodes = flt.nodes or tuple(all_nodes)
    if not nodes:
        raise FilterError("Choose at least one node.")
    members = {n.casefold() for n in all_nodes}
    for node in flt.nodes:
        # A filter read from a file names nodes of whatever cluster it was saved on.
        if members and node.casefold() not in members:
            raise FilterError(f"{node!r} is not a node of this cluster ({', '.join(all_nodes)}).")
        problem = node_name_problem(node) if not members else None
        if problem:
            raise FilterError(f"{node!r} is not a node name: {problem}.")
    xpath = wevtutil_xpath(flt)
    return [
        LogQuery(
            node=node, log=log, xpath=xpath, max_events=flt.max_events, newest_first=reads_backwards(log)
        )
        for node in nodes
        for log in flt.logs
    ]


def reads_backwards(log: str) -> bool:
    """Whether a log can be read newest first (`/rd:true`).  Debug and analytic channels
    (".../Diagnostic", ".../Analytic", ".../Debug") can only be read oldest first, as
    Get-WinEvent's `-Oldest` requirement shows (reference events/NOTES.md §4)."""
    return log.rsplit("/", 1)[-1].casefold() not in ("diagnostic", "analytic", "debug")


# ---------------------------------------------------------------------------------------------
# Critical-events presets


class TargetKind(enum.Enum):
    CLUSTER = "cluster"
    NODE = "node"
    GROUP = "group"  # a service or application
    RESOURCE = "resource"


def critical_events_filter(
    kind: TargetKind, name: str, *, nodes: Sequence[str] = (), related: Sequence[str] = ()
) -> EventFilter:
    """ "Show critical events" on an object: Critical and Error of the last 24 hours naming it.

    `related` adds names that also count (a group's resources, say).  For the cluster the preset
    takes every cluster and Exchange replication event instead of matching names; for a node it
    also takes every event logged on that node.
    """
    base = EventFilter(
        nodes=tuple(nodes),
        logs=(LOG_SYSTEM, LOG_APPLICATION),
        levels=frozenset({EventLevel.CRITICAL, EventLevel.ERROR}),
        time_range=TimeRange.LAST_24_HOURS,
    )
    if kind is TargetKind.CLUSTER:
        return replace(base, providers=tuple(p for _, p in STANDARD_SOURCES))
    mentions = tuple(dict.fromkeys(n for n in (name, *related) if n.strip()))
    return replace(base, mentions=mentions, mentions_include_origin=kind is TargetKind.NODE)


# ---------------------------------------------------------------------------------------------
# QueryList XML


class QueryListError(ValueError):
    """A QueryList file ccrgui cannot represent as a filter; the message says what and why."""


_EXTRAS_TAG = "ccrgui-filter "


def to_querylist_xml(flt: EventFilter) -> str:
    """The QueryList Event Viewer writes for this filter (Filter Current Log → XML, custom views)."""
    problems = validate(flt)
    if problems:
        raise FilterError(" ".join(problems))
    select = _xml_escape(select_xpath(flt))
    suppress = suppress_xpath(flt)
    first = flt.logs[0]
    lines = ["<QueryList>", f'  <Query Id="0" Path="{_attr(first)}">']
    for log in flt.logs:
        lines.append(f'    <Select Path="{_attr(log)}">{select}</Select>')
    if suppress:
        for log in flt.logs:
            lines.append(f'    <Suppress Path="{_attr(log)}">{_xml_escape(suppress)}</Suppress>')
    lines.append("  </Query>")
    extras = _extras(flt)
    if extras:
        lines.append(f"  <!-- {_EXTRAS_TAG}{extras} -->")
    lines.append("</QueryList>")
    return "\n".join(lines) + "\n"


def _attr(value: str) -> str:
    return _xml_escape(value, {'"': "&quot;"})


def _extras(flt: EventFilter) -> str:
    """ccrgui-only settings as JSON inside a comment ("-" escaped so "--" never ends it)."""
    data: dict[str, object] = {}
    if flt.nodes:
        data["nodes"] = list(flt.nodes)
    if flt.max_events != DEFAULT_MAX_EVENTS:
        data["max_events"] = flt.max_events
    if flt.mentions:
        data["mentions"] = list(flt.mentions)
    if flt.mentions_include_origin:
        data["mentions_include_origin"] = True
    if not data:
        return ""
    return json.dumps(data, ensure_ascii=True).replace("-", "\\u002d")


def from_querylist_xml(text: str) -> EventFilter:
    """Read a QueryList (or an Event Viewer custom view file holding one) back into a filter."""
    try:
        parser = DET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
        parser.feed(text)
        root = parser.close()
    except ET.ParseError as exc:
        raise QueryListError(f"not well-formed XML: {exc}") from exc
    except Exception as exc:  # defusedxml refuses entities, DTDs, ...
        raise QueryListError(f"refused XML: {exc}") from exc
    querylist = root if _local(root.tag) == "QueryList" else _find(root, "QueryList")
    if querylist is None:
        raise QueryListError("no <QueryList> element found")
    queries = [q for q in querylist if _local(q.tag) == "Query"]
    if len(queries) != 1:
        raise QueryListError(f"expected one <Query>, found {len(queries)}; ccrgui filters are one query")
    query = queries[0]
    selects: list[tuple[str, str]] = []
    suppresses: list[tuple[str, str]] = []
    default_path = query.get("Path", "")
    for child in query:
        tag = _local(child.tag) if isinstance(child.tag, str) else ""
        path = child.get("Path", default_path)
        xpath = (child.text or "").strip()
        if tag == "Select":
            selects.append((path, xpath))
        elif tag == "Suppress":
            suppresses.append((path, xpath))
    if not selects:
        raise QueryListError("the query has no <Select>")
    if any(not path for path, _ in selects):
        raise QueryListError("a <Select> has no Path (log name)")
    logs = tuple(dict.fromkeys(path for path, _ in selects))
    xpaths = {_normalise(x) for _, x in selects}
    if len(xpaths) != 1:
        raise QueryListError("the logs have different criteria; ccrgui applies one set to every log")
    parsed = _parse_select(selects[0][1])
    excluded: list[IdRange] = []
    sup_xpaths = {_normalise(x) for _, x in suppresses}
    if len(sup_xpaths) > 1:
        raise QueryListError("the logs have different exclusions; ccrgui applies one set to every log")
    if sup_xpaths:
        excluded = _parse_suppress(suppresses[0][1])
    spec = IdSpec(parsed.include, tuple(parsed.exclude) + tuple(excluded))
    flt = EventFilter(
        logs=logs,
        levels=parsed.levels,
        providers=parsed.providers,
        event_ids=spec.format(),
        time_range=parsed.time_range,
        since=parsed.since,
        until=parsed.until,
    )
    flt = _apply_extras(flt, querylist)
    try:
        flt.id_spec  # noqa: B018 - re-validate the combined ID text
    except IdSpecError as exc:
        raise QueryListError(f"event IDs: {exc}") from exc
    return flt


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> ET.Element | None:
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el.tag) == name:
            return el
    return None


def _normalise(xpath: str) -> str:
    return re.sub(r"\s+", "", xpath)


def _apply_extras(flt: EventFilter, querylist: ET.Element) -> EventFilter:
    for node in querylist:
        if node.tag is not ET.Comment:
            continue
        text = (node.text or "").strip()
        if not text.startswith(_EXTRAS_TAG.strip()):
            continue
        try:
            data = json.loads(text[len(_EXTRAS_TAG.strip()) :].strip())
        except ValueError as exc:
            raise QueryListError(f"the ccrgui settings comment is damaged: {exc}") from exc
        if not isinstance(data, dict):
            raise QueryListError("the ccrgui settings comment is damaged: not an object")
        nodes = data.get("nodes", [])
        mentions = data.get("mentions", [])
        max_events = data.get("max_events", DEFAULT_MAX_EVENTS)
        if not (isinstance(nodes, list) and all(isinstance(n, str) for n in nodes)):
            raise QueryListError("the ccrgui settings comment is damaged: nodes")
        if not (isinstance(mentions, list) and all(isinstance(n, str) for n in mentions)):
            raise QueryListError("the ccrgui settings comment is damaged: mentions")
        if not isinstance(max_events, int) or isinstance(max_events, bool):
            raise QueryListError("the ccrgui settings comment is damaged: max_events")
        if not 1 <= max_events <= MAX_MAX_EVENTS:
            raise QueryListError(f"max_events {max_events} is out of range (1 to {MAX_MAX_EVENTS:,})")
        return replace(
            flt,
            nodes=tuple(nodes),
            mentions=tuple(mentions),
            max_events=max_events,
            mentions_include_origin=bool(data.get("mentions_include_origin", False)),
        )
    return flt


# --- a small parser for the XPath shapes Event Viewer (and ccrgui) write -----------------------

_XTOKEN = re.compile(
    r"\s*(?:(?P<num>\d+)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>!=|<=|>=|=|<|>)"
    r"|(?P<punct>[\[\]()*])|(?P<name>@?[A-Za-z_][\w.\-]*))"
)


@dataclass
class _Parsed:
    providers: tuple[str, ...] = ()
    levels: frozenset[EventLevel] = frozenset()
    include: tuple[IdRange, ...] = ()
    exclude: list[IdRange] = field(default_factory=list)
    time_range: TimeRange = TimeRange.ANY
    since: datetime | None = None
    until: datetime | None = None


class _XPathReader:
    """Recursive-descent reader for ``*[System[clause and clause ...]]``; anything else is refused
    with a message, because silently dropping a condition would show the wrong events."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _XTOKEN.match(text, pos)
            if m is None:
                raise QueryListError(f"cannot read the XPath at {text[pos : pos + 20]!r}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value) or (kind is not None and tok[0] != kind):
            where = f"at {self.text[tok[2] : tok[2] + 25]!r}" if tok else "at the end"
            raise QueryListError(f"unsupported XPath {where}: expected {value or kind}")
        self.i += 1
        return tok[1]

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[1] == value

    def done(self) -> None:
        if self.peek() is not None:
            self.take(kind="end")


def _parse_select(xpath: str) -> _Parsed:
    r = _XPathReader(xpath)
    out = _Parsed()
    r.take("*")
    if r.peek() is None:
        return out
    r.take("[")
    r.take("System")
    r.take("[")
    while True:
        _parse_clause(r, out)
        if r.at("and"):
            r.take("and")
            continue
        break
    r.take("]")
    r.take("]")
    r.done()
    return out


def _parse_clause(r: _XPathReader, out: _Parsed) -> None:
    tok = r.peek()
    if tok is None:
        r.take(kind="clause")
        return
    if tok[1] == "Provider":
        _parse_providers(r, out)
    elif tok[1] == "TimeCreated":
        _parse_time(r, out)
    elif tok[1] in ("EventID", "Level"):
        _parse_atom_into(r, out)
    elif tok[1] == "(":
        _parse_group(r, out)
    else:
        r.take(kind="a Provider, Level, EventID or TimeCreated condition")


def _parse_providers(r: _XPathReader, out: _Parsed) -> None:
    """Provider[@Name='A' or @Name='B']."""
    r.take("Provider")
    r.take("[")
    names = [_provider_name(r)]
    while r.at("or"):
        r.take("or")
        names.append(_provider_name(r))
    r.take("]")
    out.providers = out.providers + tuple(names)


def _parse_group(r: _XPathReader, out: _Parsed) -> None:
    """A parenthesised or-group of Level, EventID terms, or a folded range exclusion."""
    save = r.i
    r.take("(")
    first, second = r.peek(), r.peek(1)
    if first and second and first[1] == "EventID" and second[1] == "<":
        r.i = save
        out.exclude.append(_parse_range_exclusion(r))
        return
    levels: set[EventLevel] = set()
    ids: list[IdRange] = []
    while True:
        if r.at("("):
            ids.append(_parse_range(r))
        else:
            _parse_group_term(r, levels, ids)
        if r.at("or"):
            r.take("or")
            continue
        break
    r.take(")")
    if levels and ids:
        raise QueryListError("unsupported XPath: levels and event IDs mixed in one or-group")
    if levels:
        out.levels = out.levels | frozenset(levels)
    if ids:
        if out.include:
            raise QueryListError("unsupported XPath: two event ID groups")
        out.include = tuple(ids)


def _parse_group_term(r: _XPathReader, levels: set[EventLevel], ids: list[IdRange]) -> None:
    name = r.take(kind="name")
    op = r.take(kind="op")
    value = int(r.take(kind="num"))
    if name == "Level" and op == "=":
        levels.add(_level(value))
    elif name == "Level" and op in ("<=", "<"):
        levels |= {lv for lv in ALL_LEVELS if lv <= value - (op == "<")}
    elif name == "EventID" and op == "=":
        ids.append(_id_range(value, value))
    else:
        raise QueryListError(f"unsupported XPath term {name}{op}{value}")


def _parse_atom_into(r: _XPathReader, out: _Parsed) -> None:
    name = r.take(kind="name")
    op = r.take(kind="op")
    value = int(r.take(kind="num"))
    if name == "Level" and op == "=":
        out.levels = out.levels | {_level(value)}
    elif name == "Level" and op in ("<=", "<"):
        out.levels = out.levels | {lv for lv in ALL_LEVELS if lv <= value - (op == "<")}
    elif name == "EventID" and op == "=":
        if out.include:
            raise QueryListError("unsupported XPath: two event ID groups")
        out.include = (_id_range(value, value),)
    elif name == "EventID" and op == "!=":
        out.exclude.append(_id_range(value, value))
    else:
        raise QueryListError(f"unsupported XPath term {name}{op}{value}")


def _provider_name(r: _XPathReader) -> str:
    r.take("@Name")
    r.take("=")
    literal = r.take(kind="str")
    return literal[1:-1]


def _parse_range(r: _XPathReader) -> IdRange:
    r.take("(")
    r.take("EventID")
    r.take(">=")
    low = int(r.take(kind="num"))
    r.take("and")
    r.take("EventID")
    r.take("<=")
    high = int(r.take(kind="num"))
    r.take(")")
    return _id_range(low, high)


def _parse_range_exclusion(r: _XPathReader) -> IdRange:
    r.take("(")
    r.take("EventID")
    r.take("<")
    low = int(r.take(kind="num"))
    r.take("or")
    r.take("EventID")
    r.take(">")
    high = int(r.take(kind="num"))
    r.take(")")
    return _id_range(low, high)


def _id_range(low: int, high: int) -> IdRange:
    try:
        return IdRange(low, high)
    except ValueError as exc:
        raise QueryListError(str(exc)) from exc


def _level(value: int) -> EventLevel:
    if value == 0:
        return EventLevel.INFORMATION  # Event Viewer pairs Level=0 with Information
    try:
        return EventLevel(value)
    except ValueError as exc:
        raise QueryListError(f"unknown event level {value}") from exc


def _parse_time(r: _XPathReader, out: _Parsed) -> None:
    r.take("TimeCreated")
    r.take("[")
    if r.at("timediff"):
        r.take("timediff")
        r.take("(")
        r.take("@SystemTime")
        r.take(")")
        op = r.take(kind="op")
        value = int(r.take(kind="num"))
        if op not in ("<=", "<"):
            raise QueryListError(f"unsupported time condition timediff {op} {value}")
        try:
            out.time_range = TimeRange(value)
        except ValueError as exc:
            raise QueryListError(
                f"unsupported time span of {value} ms; ccrgui offers the last hour, 12 or 24 hours, "
                "7 or 30 days, or a custom range"
            ) from exc
        if out.time_range in (TimeRange.ANY, TimeRange.CUSTOM):
            raise QueryListError(f"unsupported time span of {value} ms")
    else:
        out.time_range = TimeRange.CUSTOM
        while True:
            r.take("@SystemTime")
            op = r.take(kind="op")
            stamp = _parse_stamp(r.take(kind="str")[1:-1], end=op == "<=")
            if op == ">=":
                out.since = stamp
            elif op == "<=":
                out.until = stamp
            else:
                raise QueryListError(f"unsupported time condition @SystemTime {op}")
            if r.at("and"):
                r.take("and")
                continue
            break
    r.take("]")


def _parse_stamp(text: str, *, end: bool) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryListError(f"unreadable time {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if _utc(value) is None:
        raise QueryListError(f"the time {text!r} is out of range")
    if end and value.microsecond == 999_000:
        value = value.replace(microsecond=0)  # our end times cover their whole second
    return value


def _parse_suppress(xpath: str) -> list[IdRange]:
    parsed = _parse_select(xpath)
    if parsed.providers or parsed.levels or parsed.time_range is not TimeRange.ANY or parsed.exclude:
        raise QueryListError("unsupported <Suppress>: ccrgui only reads excluded event IDs")
    if not parsed.include:
        raise QueryListError("unsupported <Suppress>: it excludes everything")
    return list(parsed.include)


# ---------------------------------------------------------------------------------------------
# Files


def save_querylist(flt: EventFilter, path: str | os.PathLike[str]) -> None:
    """Write the QueryList atomically (temp file in the same folder, then os.replace)."""
    write_text_atomic(Path(path), to_querylist_xml(flt))


def load_querylist(path: str | os.PathLike[str]) -> EventFilter:
    data = Path(path).read_bytes()
    if len(data) > 4_000_000:
        raise QueryListError("the file is too large for a query")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-16")  # Event Viewer may save UTF-16 with a BOM
    return from_querylist_xml(text)


__all__ = [
    "DEFAULT_MAX_EVENTS",
    "FAILOVER_CLUSTERING",
    "LOG_APPLICATION",
    "LOG_FC_DIAGNOSTIC",
    "LOG_FC_OPERATIONAL",
    "LOG_SYSTEM",
    "MAX_EVENT_ID",
    "MAX_MAX_EVENTS",
    "MAX_XPATH_EXPRESSIONS",
    "MSEXCHANGE_CLUSTER",
    "MSEXCHANGE_IS",
    "MSEXCHANGE_REPL",
    "STANDARD_LOGS",
    "STANDARD_SOURCES",
    "EventFilter",
    "FilterError",
    "IdRange",
    "IdSpec",
    "IdSpecError",
    "QueryListError",
    "TargetKind",
    "TimeRange",
    "count_expressions",
    "critical_events_filter",
    "default_filter",
    "from_querylist_xml",
    "load_querylist",
    "parse_id_spec",
    "reads_backwards",
    "save_querylist",
    "select_xpath",
    "suppress_xpath",
    "to_log_queries",
    "to_querylist_xml",
    "validate",
    "wevtutil_xpath",
    "write_text_atomic",
    "xpath_older_than",
]
