"""Parser for ``wevtutil qe ... /f:xml`` (and ``/f:RenderedXml``) output.

wevtutil prints a bare sequence of ``<Event xmlns=...>`` elements (no root) unless ``/e:Root``
names a wrapper; both are accepted.  ``RenderingInfo`` (RenderedXml) supplies the message and
the rendered task name.  Events are located by their ``<Event ...>``/``</Event>`` tags and read
one by one, so one damaged event costs only itself: the good events travel on the
`EventParseError` that reports the bad ones (with the event's index and line).

Speed (the GUI loads tens of thousands of events): defusedxml's tree builder calls Python for
every element (~4,000 events/s).  The fast path instead checks the whole text with expat hardened
exactly as defusedxml hardens it (DTD, entity declarations and external references forbidden,
so only the five predefined entities and character references can occur) and without per-element
callbacks, then reads the fields of wevtutil's fixed layout with regular expressions.  An event
with anything unusual (CDATA, comments, UserData, missing fields) takes the defusedxml tree path.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree.ElementTree import Element
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ccrgui.domain.model import Event, EventLevel
from ccrgui.remote.parsers._table import host_wrapped, unwrap_host_lines
from ccrgui.remote.parsers.errors import ParseError

__all__ = ["EventParseError", "parse_events", "parse_system_time"]

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
_EVENT_START = re.compile(r"<Event(?=[\s>/])")
_EVENT_END = "</Event>"
_WRAPPER = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<([A-Za-z_][\w.\-]*)(?:\s[^>]*)?>)?", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class EventParseError(ParseError):
    """Some events could not be read; `events` holds the ones that could, `errors` the others."""

    def __init__(self, events: list[Event], errors: list[ParseError]) -> None:
        self.events = events
        self.errors = errors
        first = errors[0]
        super().__init__(
            f"{len(errors)} of {len(events) + len(errors)} events unreadable; first: {first.message}",
            first.line_no,
            first.line,
        )


def parse_system_time(text: str) -> datetime:
    """``2026-11-25T21:49:03.123456700Z`` (any number of fraction digits) -> aware UTC datetime."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _spans(text: str) -> list[tuple[int, int]]:
    """Start/end offsets of every ``<Event ...>...</Event>`` (events never nest)."""
    spans: list[tuple[int, int]] = []
    for match in _EVENT_START.finditer(text):
        start = match.start()
        if spans and start < spans[-1][1]:
            continue
        end = text.find(_EVENT_END, start)
        end = len(text) if end < 0 else end + len(_EVENT_END)
        spans.append((start, end))
    return spans


def _line_of(text: str, offset: int) -> tuple[int, str]:
    line_no = text.count("\n", 0, offset) + 1
    begin = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return line_no, text[begin : end if end >= 0 else len(text)].rstrip("\r")


def _parse(fragment: str) -> Element:
    root: Element = SafeET.fromstring("<_r>" + fragment + "</_r>")
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _level(number: int) -> EventLevel:
    level = _LEVELS.get(number)
    if level is None:
        level = EventLevel.INFORMATION if number > 5 else EventLevel.LOG_ALWAYS
    return level


def _event(elem: Element, node: str, log: str, raw: str) -> Event:
    """One ``<Event>`` element -> Event (the tree path); ParseError if System data is missing."""
    ns = elem.tag[: -len("Event")] if elem.tag.endswith("Event") else ""
    system = elem.find(ns + "System")
    if system is None:
        raise ParseError("event without <System>")
    provider_el = system.find(ns + "Provider")
    provider = ""
    if provider_el is not None:
        provider = provider_el.get("Name") or provider_el.get("EventSourceName") or ""
    event_id_text = system.findtext(ns + "EventID")
    if event_id_text is None:
        raise ParseError("event without <EventID>")
    try:
        event_id = int(event_id_text)
        level_num = int(system.findtext(ns + "Level") or 0)
        task_num = int(system.findtext(ns + "Task") or 0)
        record_id = int(system.findtext(ns + "EventRecordID") or 0)
    except ValueError as exc:
        raise ParseError(f"non-numeric System field: {exc}") from None
    created = system.find(ns + "TimeCreated")
    stamp = created.get("SystemTime") if created is not None else None
    if not stamp:
        raise ParseError("event without TimeCreated/@SystemTime")
    try:
        when = parse_system_time(stamp)
    except ValueError:
        raise ParseError(f"bad SystemTime {stamp!r}") from None
    data: dict[str, str] = {}
    event_data = elem.find(ns + "EventData")
    if event_data is not None:
        for index, item in enumerate(event_data, start=1):
            if _local(item.tag) == "Data":
                data[item.get("Name") or str(index)] = item.text or ""
            elif _local(item.tag) == "Binary":
                data["Binary"] = item.text or ""
    else:
        user_data = elem.find(ns + "UserData")
        if user_data is not None:
            for leaf in user_data.iter():
                if len(leaf) == 0 and leaf is not user_data:
                    data[_local(leaf.tag)] = leaf.text or ""
    message = ""
    task = str(task_num) if task_num else ""
    rendering = elem.find(ns + "RenderingInfo")
    if rendering is not None:
        message = rendering.findtext(ns + "Message") or ""
        task = rendering.findtext(ns + "Task") or task
    return Event(
        node=node,
        log=system.findtext(ns + "Channel") or log,
        provider=provider,
        event_id=event_id,
        level=_level(level_num),
        time_created=when,
        record_id=record_id,
        task=task,
        computer=system.findtext(ns + "Computer") or "",
        message=message.replace("\r\n", "\n"),
        data=data,
        raw_xml=raw,
    )


# ------------------------------------------------------------------------------ fast path


def _forbid_dtd(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(
    name: str,
    is_pe: bool,
    value: str | None,
    base: str | None,
    sysid: str | None,
    pubid: str | None,
    notation: str | None,
) -> None:
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation)


def _forbid_unparsed(
    name: str, base: str | None, sysid: str | None, pubid: str | None, notation: str | None
) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation)


def _forbid_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _well_formed(fragment: str) -> bool:
    """Expat (C speed, no element callbacks) with defusedxml's restrictions; False if malformed."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_unparsed
    parser.ExternalEntityRefHandler = _forbid_external
    try:
        parser.Parse("<_r>" + fragment + "</_r>", True)
    except (expat.ExpatError, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        return False
    return True


_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    """Character data as an XML parser returns it: literal CR/CRLF become LF, then the five
    predefined entities and character references are expanded (no DTD can define others)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" not in text:
        return text

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name[0] == "#":
            return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
        return _NAMED[name]

    return _ENTITY.sub(sub, text)


# wevtutil's System block in its fixed order, read in one match; anything else takes the tree path.
_F_SYSTEM = re.compile(
    r"<Event(?:\s[^>]*)?>\s*<System>\s*"
    r"<Provider\s[^>]*?\bName=(?P<q1>['\"])(?P<prov>[^'\"<&]*)(?P=q1)[^>]*>\s*"
    r"<EventID(?:\s[^>]*)?>(?P<id>\d+)</EventID>\s*"
    r"(?:<Version>\d*</Version>\s*)?"
    r"<Level>(?P<level>\d+)</Level>\s*"
    r"<Task>(?P<task>\d+)</Task>\s*"
    r"(?:<Opcode>\d*</Opcode>\s*)?(?:<Keywords>[^<]*</Keywords>\s*)?"
    r"<TimeCreated\s+SystemTime=(?P<q2>['\"])(?P<time>[^'\"]*)(?P=q2)\s*/>\s*"
    r"<EventRecordID>(?P<rec>\d+)</EventRecordID>\s*"
    r"(?:<Correlation[^>]*/>\s*)?(?:<Execution[^>]*/>\s*)?"
    r"<Channel>(?P<chan>[^<&]*)</Channel>\s*"
    r"<Computer>(?P<comp>[^<&]*)</Computer>\s*"
    r"(?:<Security[^>]*/>\s*)?</System>"
)
_F_DATA = re.compile(r"<(Data|Binary)(?:\s+Name=(['\"])([^'\"]*)\2)?\s*(?:/>|>([^<]*)</\1>)")
_F_NAMED_DATA = re.compile(r"<Data Name='([^'<]*)'>([^<]*)</Data>")
_LEVELS = {level.value: level for level in EventLevel}


def _between(text: str, opening: str, closing: str, start: int, end: int) -> str:
    at = text.find(opening, start, end)
    if at < 0:
        return ""
    at += len(opening)
    stop = text.find(closing, at, end)
    return text[at:stop] if stop >= 0 else ""


def _fast_event(text: str, start: int, end: int, node: str, log: str, keep_xml: bool) -> Event | None:
    """Fields of one well-formed wevtutil event by pattern; None if its layout is unusual."""
    match = _F_SYSTEM.match(text, start, end)
    if match is None:
        return None
    provider, event_id, level_num, task, stamp, record_id, channel, computer = match.group(
        "prov", "id", "level", "task", "time", "rec", "chan", "comp"
    )
    pos = match.end()
    if text.find("<UserData", pos, end) >= 0 or "\t" in provider or "\n" in provider or "\r" in provider:
        return None
    try:
        when = parse_system_time(stamp)
    except ValueError:
        return None
    data: dict[str, str] = {}
    data_at = text.find("<EventData", pos, end)
    if data_at >= 0:
        close = text.find("</EventData>", data_at, end)
        body = text[data_at + 10 : close] if close >= 0 else ""
        named = _F_NAMED_DATA.findall(body)
        if len(named) == body.count("<Data") and "<Binary" not in body:
            # wevtutil's usual shape: every item is <Data Name='x'>value</Data> (one C call).
            for name, value in named:
                data[_unescape(name)] = _unescape(value)
        else:
            for index, item in enumerate(_F_DATA.finditer(body), start=1):
                if item.group(1) == "Binary":
                    data["Binary"] = item.group(4) or ""
                else:
                    name = _unescape(item.group(3)) if item.group(3) else str(index)
                    data[name] = _unescape(item.group(4) or "")
    message = ""
    if not task.strip("0"):
        task = ""
    info_at = text.find("<RenderingInfo", pos, end)
    if info_at >= 0:
        message = _unescape(_between(text, "<Message>", "</Message>", info_at, end))
        rendered_task = _between(text, "<Task>", "</Task>", info_at, end)
        if rendered_task:
            task = _unescape(rendered_task)
    return Event(
        node=node,
        log=_unescape(channel) or log,
        provider=provider,
        event_id=int(event_id),
        level=_level(int(level_num)),
        time_created=when,
        record_id=int(record_id),
        task=task,
        computer=_unescape(computer),
        message=message.replace("\r\n", "\n") if message else "",
        data=data,
        raw_xml=text[start:end] if keep_xml else "",
    )


# ------------------------------------------------------------------------------ public


def parse_events(text: str, *, node: str = "", log: str = "", keep_xml: bool = True) -> list[Event]:
    """wevtutil XML output -> events in output order.

    Raises `EventParseError` (a ParseError) when any event is unreadable or text outside the
    events is not a wrapper element; its `events` attribute still carries every readable event.
    `node` is the node the query ran on; `log` is used when an event has no Channel.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    text = text.lstrip("\ufeff")
    if host_wrapped(text):
        # Read through PowerShell 2.0's host, which breaks every line at 80 columns.
        text = unwrap_host_lines(text)
    spans = _spans(text)
    errors: list[ParseError] = []
    _check_outside(text, spans, errors)
    events: list[Event] = []
    plain = "<![CDATA[" not in text and "<!--" not in text
    # One expat pass for the whole text; if it fails, each event is checked on its own so a
    # single damaged event does not push all the others onto the slow path.
    whole_ok = plain and bool(spans) and _well_formed(text[spans[0][0] : spans[-1][1]])
    for index, (start, end) in enumerate(spans):
        try:
            usable = whole_ok or (plain and _well_formed(text[start:end]))
            fast = _fast_event(text, start, end, node, log, keep_xml) if usable else None
            if fast is not None:
                events.append(fast)
                continue
            raw = text[start:end]
            try:
                parsed = _parse(raw)
            except Exception as exc:  # expat errors and defusedxml refusals alike
                raise ParseError(f"event {index + 1}: malformed XML ({exc})") from None
            found = [e for e in parsed if _local(e.tag) == "Event"]
            if len(found) != 1:
                raise ParseError(f"event {index + 1}: not a single <Event> element")
            events.append(_event(found[0], node, log, raw if keep_xml else ""))
        except ParseError as exc:
            line_no, line = _line_of(text, start)
            message = exc.message if exc.message.startswith("event ") else f"event {index + 1}: {exc.message}"
            errors.append(ParseError(message, line_no, line))
    if errors:
        raise EventParseError(events, errors)
    return events


def _check_outside(text: str, spans: list[tuple[int, int]], errors: list[ParseError]) -> None:
    """Text between events may only be blanks, an XML declaration and one wrapper element."""
    pieces = []
    previous = 0
    for start, end in spans:
        pieces.append((previous, text[previous:start]))
        previous = end
    pieces.append((previous, text[previous:]))
    wrapper = ""
    for offset, original in pieces:
        piece = _COMMENT.sub(lambda m: " " * len(m.group(0)), original)
        stripped = piece.strip()
        if not stripped:
            continue
        if offset == 0:
            match = _WRAPPER.match(piece)
            if match and not piece[match.end() :].strip():
                wrapper = match.group(1) or ""
                continue
        if wrapper and stripped == f"</{wrapper}>":
            continue
        line_no, line = _line_of(text, offset + (len(piece) - len(piece.lstrip())))
        errors.append(ParseError("text outside any <Event> element", line_no, line))
