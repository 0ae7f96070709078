"""The event view's filter and answer in words: which filter is active (also the restrictions only
the XML tab showed, such as the object names of "Show critical events") and which nodes answered."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ccrgui.domain.eventquery import STANDARD_SOURCES, EventFilter, TimeRange
from ccrgui.domain.model import EventLevel

_LEVEL_ORDER = (
    EventLevel.CRITICAL,
    EventLevel.ERROR,
    EventLevel.WARNING,
    EventLevel.INFORMATION,
    EventLevel.VERBOSE,
)


def _words(items: Sequence[str], joiner: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {joiner} " + items[-1]


def describe_filter(flt: EventFilter, all_nodes: Sequence[str] = ()) -> str:
    """ "Filter: Critical and Error events of the last 24 hours in System and Application, all
    nodes, naming EXCH1 or EXCH1 Network Name." """
    levels = [lv.display for lv in _LEVEL_ORDER if lv in flt.levels]
    what = "All events" if flt.any_level else _words(levels) + " events"
    if flt.time_range is TimeRange.CUSTOM:
        since = flt.since.strftime("%Y-%m-%d %H:%M") if flt.since else "the start"
        until = flt.until.strftime("%Y-%m-%d %H:%M") if flt.until else "now"
        when = f" from {since} to {until}"
    elif flt.time_range is TimeRange.ANY:
        when = " of any time"
    else:
        when = " of the " + flt.time_range.label.casefold()
    parts = [what + when + " in " + _words(list(flt.logs))]
    if flt.nodes and {n.casefold() for n in flt.nodes} != {n.casefold() for n in all_nodes}:
        parts.append("on " + _words(list(flt.nodes)))
    else:
        parts.append("all nodes")
    standard = {p for _, p in STANDARD_SOURCES}
    if flt.providers:
        if set(flt.providers) == standard:
            parts.append("cluster and Exchange replication sources")
        else:
            parts.append("from " + _words(list(flt.providers), "or"))
    if flt.event_ids.strip():
        parts.append("event IDs " + flt.event_ids.strip())
    if flt.mentions:
        naming = "naming " + _words([f"“{m}”" for m in flt.mentions], "or")
        if flt.mentions_include_origin:
            naming += " (or logged on it)"
        parts.append(naming)
    parts.append(f"at most {flt.max_events:,} per node and log")
    return "Filter: " + ", ".join(parts) + "."


def nodes_answer(queried: Iterable[str], with_events: Iterable[str], failed: Iterable[str]) -> str:
    """ "from EXNODE2; none from EXNODE1; EXNODE3 could not be read" (names as queried)."""
    seen = {n.casefold() for n in with_events}
    bad = {n.casefold() for n in failed}
    names = list(dict.fromkeys(queried))
    answered = [n for n in names if n.casefold() in seen]
    empty = [n for n in names if n.casefold() not in seen and n.casefold() not in bad]
    unread = [n for n in names if n.casefold() in bad and n.casefold() not in seen]
    parts = []
    if answered:
        parts.append("from " + _words(answered))
    if empty:
        parts.append("none from " + _words(empty))
    if unread:
        parts.append(_words(unread) + " could not be read")
    text = "; ".join(parts)
    return text if answered or not text else "— " + text


__all__ = ["describe_filter", "nodes_answer"]
