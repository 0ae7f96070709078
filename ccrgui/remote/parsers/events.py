"""Parser for ``wevtutil qe ... /f:xml`` (and ``/f:RenderedXml``) output.

wevtutil prints a bare sequence of ``<Event xmlns=...>`` elements (no root) unless ``/e:Root``
names a wrapper; both are accepted.  ``RenderingInfo`` (RenderedXml) supplies the message and
the rendered task name.  Events are located by their ``<Event ...>``/``</Event>`` tags and read
one by one, so one damaged event costs only itself: the good events travel on the
`EventParseError` that reports the bad ones (with the event's index and line).

Speed and memory (the GUI loads 100,000 events): defusedxml's tree builder calls Python for
every element (~4,000 events/s).  Events of wevtutil's own layout are instead read with strict
patterns whose every match is well-formed XML without DTD, entity or external reference (see
the comment above `_PIECE_A`), cut into four pieces; the pieces that repeat between events
(provider header, execution block, event data) are checked, read and stored once and shared,
so an event costs ~450 bytes instead of ~2 KB, and parsing runs at 80,000-100,000 events/s
(bench/bench_events.py).  Anything unusual (CDATA, comments, UserData, blanks inside an event,
other attributes) goes to the defusedxml tree, which decides.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from ccrgui.domain.model import Event, EventLevel, new_event
from ccrgui.remote.parsers._table import HOST_WIDTH, host_wrapped, unwrap_host_lines
from ccrgui.remote.parsers.errors import ParseError
from ccrgui.remote.parsers.xmlchars import escape_forbidden

__all__ = ["EventParseError", "EventStreamParser", "parse_events", "parse_system_time"]

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
_EVENT_START = re.compile(r"<Event(?=[\s>/])")
_EVENT_END = "</Event>"
_WRAPPER = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<([A-Za-z_][\w.\-]*)(?:\s[^>]*?)?(/?)>)?", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# A console prompt line (with the echoed wevtutil command) around a pasted capture.
_PROMPT_LINE = re.compile(
    r"^[ \t]*(?:(?:\[PS\] )?(?:[A-Za-z]:\\|\\\\)[^>\r\n<]*>|PS [^>\r\n<]*>)[^\r\n<]*\r?$", re.M
)


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


# The strict patterns: wevtutil's EvtRender layout, written so that everything they match is
# well-formed XML by construction -- fixed element and attribute names in a fixed order (no
# duplicate attributes), no markup, comments, CDATA, PIs or DTD anywhere, ``&`` only in one of
# the five predefined entities (so nothing can be expanded), no character XML forbids (control
# characters, surrogates, U+FFFE/U+FFFF) and no ``]]>`` in text.  Blanks between the elements
# of an event are not in them either (EvtRender prints none; allowing them costs a third of the
# time).  An event they do not match goes to defusedxml's tree builder, which decides.
#
# An event is read as four consecutive pieces, each checked by its own pattern (the four
# patterns concatenated are the whole event's pattern; the cuts fall on fixed markup that text
# cannot contain).  Pieces A, C and D repeat between events, so each distinct one is checked and
# read once, then shared by every event carrying it -- the raw XML is kept as these pieces.
_BAD = r"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_REF = r"&(?:amp|lt|gt|quot|apos);"
_TX = rf"[^<&>{_BAD}]*(?:(?:{_REF}|(?<!\]\])>)[^<&>{_BAD}]*)*"  # character data
_AV = rf"[^'<&\t\n\r{_BAD}]*(?:{_REF}[^'<&\t\n\r{_BAD}]*)*"  # attribute value inside '...'
_N = r"[0-9]"
_TIME_MARK = "<TimeCreated SystemTime='"
_SYSTEM_END = "</System>"
_TIME_MARK_LEN, _SYSTEM_END_LEN, _EVENT_END_LEN = len(_TIME_MARK), len(_SYSTEM_END), len(_EVENT_END)


def _element(name: str, body: str) -> str:
    """``<name>body</name>`` or ``<name/>``."""
    return rf"(?:<{name}>{body}</{name}>|<{name}/>)"


# A: up to the time stamp (shared by the events of one provider, ID, level and task)
_PIECE_A = re.compile(
    r"<Event(?: xmlns='http://schemas\.microsoft\.com/win/2004/08/events/event')?>"
    rf"<System><Provider Name='(?P<prov>{_AV})'(?: Guid='{_AV}')?(?: EventSourceName='{_AV}')?/>"
    rf"<EventID(?: Qualifiers='{_N}{{1,5}}')?>(?P<id>{_N}{{1,10}})</EventID>"
    rf"(?:<Version>{_N}{{1,3}}</Version>)?"
    rf"<Level>(?P<level>{_N}{{1,3}})</Level><Task>(?P<task>{_N}{{1,5}})</Task>"
    rf"(?:<Opcode>{_N}{{1,3}}</Opcode>)?(?:<Keywords>0x[0-9A-Fa-f]{{1,16}}</Keywords>)?"
    + re.escape(_TIME_MARK)
)
# B: time stamp and record number (the event's own)
_PIECE_B = re.compile(
    rf"({_N}{{4}}-{_N}{{2}}-{_N}{{2}}T{_N}{{2}}:{_N}{{2}}:{_N}{{2}}(?:\.{_N}{{1,9}})?Z)'/>"
    rf"<EventRecordID>({_N}{{1,20}})</EventRecordID>"
)
# C: correlation, execution, channel, computer, security (shared per process, thread and log)
_PIECE_C = re.compile(
    rf"(?:<Correlation(?: ActivityID='{_AV}')?(?: RelatedActivityID='{_AV}')?/>)?"
    rf"(?:<Execution ProcessID='{_N}{{1,10}}' ThreadID='{_N}{{1,10}}'(?: ProcessorID='{_N}{{1,5}}')?"
    rf"(?: SessionID='{_N}{{1,10}}')?(?: KernelTime='{_N}{{1,20}}')?(?: UserTime='{_N}{{1,20}}')?"
    rf"(?: ProcessorTime='{_N}{{1,20}}')?/>)?"
    rf"<Channel>(?P<chan>{_TX})</Channel><Computer>(?P<comp>{_TX})</Computer>"
    rf"(?:<Security(?: UserID='{_AV}')?/>)?" + _SYSTEM_END
)
# D: event data, rendering info and the end tag (shared by events with the same strings)
_PIECE_D = re.compile(
    rf"(?:<EventData/>|<EventData>(?P<data>(?:<Data(?: Name='{_AV}')?>{_TX}</Data>"
    rf"|<Data(?: Name='{_AV}')?/>|<Binary>[0-9A-Fa-f]*</Binary>|<Binary/>)*)</EventData>)?"
    rf"(?:<RenderingInfo Culture='{_AV}'>"  # each part left out when it cannot be rendered
    rf"(?:<Message>(?P<msg>{_TX})</Message>|<Message/>)?"
    rf"{_element('Level', _TX)}?(?:<Task>(?P<rtask>{_TX})</Task>|<Task/>)?"
    rf"{_element('Opcode', _TX)}?{_element('Channel', _TX)}?{_element('Provider', _TX)}?"
    rf"{_element('Keywords', f'(?:<Keyword>{_TX}</Keyword>)*')}?</RenderingInfo>)?" + _EVENT_END
)
_NON_BLANK = re.compile(r"[^ \t\r\n]")
_DATA_ITEM = re.compile(r"<(Data|Binary)(?: Name='([^']*)')?(?:/>|>([^<]*)</\1>)")
_LEVELS = {level.value: level for level in EventLevel}

_Head = tuple[str, str, int, EventLevel, str]  # piece, provider, event ID, level, task number
_System = tuple[str, str, str]  # piece, channel, computer
_Body = tuple[str, Mapping[str, str], str, str]  # piece, data, message, rendered task


def _name(text: str) -> str:
    """Names repeat in every event: one shared string each, across parses too."""
    return sys.intern(_unescape(text))


class _Reader:
    """Reads events of the strict layout piece by piece; each distinct piece A, C and D is
    checked and read once per parse (the dictionaries), then shared.  Everything the loop in
    `run` touches is a local: it runs 100,000 times."""

    def __init__(self, node: str, log: str, keep_xml: bool) -> None:
        self.node = node
        self.log = log
        self.keep_xml = keep_xml
        self.heads: dict[str, _Head] = {}
        self.systems: dict[str, _System] = {}
        self.bodies: dict[str, _Body] = {}

    def run(self, text: str, pos: int, add: Callable[[Event], object]) -> int:
        """Reads the events of the strict layout from `pos` on (blanks between them allowed),
        passing each to `add`; returns the offset after the last one read (`pos` if none)."""
        heads, systems, bodies = self.heads, self.systems, self.bodies
        node, log, keep_xml = self.node, self.log, self.keep_xml
        match_b = _PIECE_B.match
        non_blank = _NON_BLANK.search
        parse_time = datetime.fromisoformat
        make = new_event
        while True:
            at = pos
            if not text.startswith("<Event", at):
                after = non_blank(text, at)
                if after is None or not text.startswith("<Event", after.start()):
                    return pos
                at = after.start()
            cut = text.find(_TIME_MARK, at)
            if cut < 0:
                return pos
            cut += _TIME_MARK_LEN
            a = text[at:cut]
            head = heads.get(a)
            if head is None:
                head = self._head(a)
                if head is None:
                    return pos
            b = match_b(text, cut)
            if b is None:
                return pos
            start = b.end()
            cut = text.find(_SYSTEM_END, start)
            if cut < 0:
                return pos
            cut += _SYSTEM_END_LEN
            c = text[start:cut]
            system = systems.get(c)
            if system is None:
                system = self._system(c)
                if system is None:
                    return pos
            start = cut
            cut = text.find(_EVENT_END, start)
            if cut < 0:
                return pos
            cut += _EVENT_END_LEN
            d = text[start:cut]
            body = bodies.get(d)
            if body is None:
                body = self._body(d)
                if body is None:
                    return pos
            whole, stamp, record = b.group(0, 1, 2)
            add(
                make(
                    node,
                    system[1] or log,
                    head[1],
                    head[2],
                    head[3],
                    parse_time(stamp),
                    int(record),
                    body[3] or head[4],
                    system[2],
                    body[2],
                    body[1],
                    (head[0], whole, system[0], body[0]) if keep_xml else (),
                )
            )
            pos = cut

    def _head(self, a: str) -> _Head | None:
        match = _PIECE_A.fullmatch(a)
        if match is None:
            return None
        provider, event_id, level, task = match.group("prov", "id", "level", "task")
        head = (a, _name(provider), int(event_id), _level(int(level)), str(int(task)) if int(task) else "")
        self.heads[a] = head
        return head

    def _system(self, c: str) -> _System | None:
        match = _PIECE_C.fullmatch(c)
        if match is None:
            return None
        channel, computer = match.group("chan", "comp")
        system = (c, _name(channel), _name(computer))
        self.systems[c] = system
        return system

    def _body(self, d: str) -> _Body | None:
        match = _PIECE_D.fullmatch(d)
        if match is None:
            return None
        items, message, rendered_task = match.group("data", "msg", "rtask")
        data: dict[str, str] = {}  # shared by the events with this piece, so read-only (below)
        if items:
            # Same keys as the tree path: Name (or the 1-based position), "Binary" for Binary.
            for index, (kind, name, value) in enumerate(_DATA_ITEM.findall(items), start=1):
                if kind == "Binary":
                    data["Binary"] = value
                else:
                    data[_name(name) if name else str(index)] = _unescape(value)
        body = (
            d,
            MappingProxyType(data),
            _unescape(message) if message else "",
            _unescape(rendered_task or ""),
        )
        self.bodies[d] = body
        return body


# ------------------------------------------------------------------------------ public


def _short_first_line(text: str) -> bool:
    """Cheap necessary condition for `host_wrapped` (whose line split costs 20 ms per MB): text
    broken at 80 columns has a line break within its first 81 characters."""
    return len(text) <= HOST_WIDTH or "\n" in text[: HOST_WIDTH + 2] or "\r" in text[: HOST_WIDTH + 1]


def parse_events(text: str, *, node: str = "", log: str = "", keep_xml: bool = True) -> list[Event]:
    """wevtutil XML output -> events in output order.

    Raises `EventParseError` (a ParseError) when any event is unreadable or text outside the
    events is not a wrapper element; its `events` attribute still carries every readable event.
    `node` is the node the query ran on; `log` is used when an event has no Channel.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    text = text.lstrip("\ufeff")
    if _short_first_line(text) and host_wrapped(text):
        # Read through PowerShell 2.0's host, which breaks every line at 80 columns.
        text = unwrap_host_lines(text)
    collecting = gc.isenabled()
    # Building 100,000 events triggers a full garbage collection every few thousand: a quarter
    # of the time, for objects that cannot form cycles.  Collected normally afterwards.
    gc.disable()
    try:
        events, errors = _parse_all(text, node, log, keep_xml)
    finally:
        if collecting:
            gc.enable()
    if errors:
        raise EventParseError(events, errors)
    return events


class _State:
    """What parsing carries from one piece of a streamed answer to the next."""

    __slots__ = ("bad", "first", "good", "wrapper")

    def __init__(self) -> None:
        self.wrapper: str | None = None  # the wrapper element's name once known
        self.bad = 0  # unreadable events so far (error messages number the events)
        self.good = 0  # events read so far
        self.first = True  # the next piece starts the answer (a wrapper may open there)


def _parse_all(
    text: str, node: str, log: str, keep_xml: bool, reader: _Reader | None = None, state: _State | None = None
) -> tuple[list[Event], list[ParseError]]:
    events: list[Event] = []
    errors: list[ParseError] = []
    state = state or _State()
    # Comments and CDATA sections are outside the strict patterns' language: all tree path.
    fast = None
    if "<![CDATA[" not in text and "<!--" not in text:
        fast = (reader or _Reader(node, log, keep_xml)).run
    add = events.append
    wrapper = state.wrapper
    first = state.first
    pos = 0
    end = len(text)
    while True:
        if fast is not None:
            pos = fast(text, pos, add)
        found = _EVENT_START.search(text, pos)
        start = found.start() if found is not None else end
        if start > pos:
            wrapper = _check_outside(text, pos, start, wrapper, errors, first)
        if found is None:
            break
        if fast is not None and start > pos:
            after = fast(text, start, add)  # after text before the first event or a damaged one
            if after > start:
                pos = after
                continue
        stop = text.find(_EVENT_END, start)
        stop = end if stop < 0 else stop + len(_EVENT_END)
        index = state.good + len(events) + state.bad + 1
        try:
            events.append(_slow_event(text[start:stop], index, node, log, keep_xml))
        except ParseError as exc:
            state.bad += 1
            line_no, line = _line_of(text, start)
            message = exc.message if exc.message.startswith("event ") else f"event {index}: {exc.message}"
            errors.append(ParseError(message, line_no, line))
        pos = stop
    state.wrapper = wrapper
    state.first = False
    state.good += len(events)
    return events, errors


class EventStreamParser:
    """Reads wevtutil XML that arrives in pieces (a decompressed answer), so that events can be
    shown while the rest is still being decoded and the whole text never has to be held.

    `feed` returns the events complete so far; `close` the rest, and raises `EventParseError`
    (its `events`: those not returned yet) when any event was unreadable.  The pieces repeating
    between events are shared across pieces (one cache for the whole answer).  Text holding a
    comment or CDATA section is kept until `close` and read whole (an ``</Event>`` inside it
    must not end a piece).  Output read through PowerShell's 80-column host wrapping is not
    expected here (see `parse_events`)."""

    def __init__(self, *, node: str = "", log: str = "", keep_xml: bool = True) -> None:
        self.node = node
        self.log = log
        self.keep_xml = keep_xml
        self._reader = _Reader(node, log, keep_xml)
        self._state = _State()
        self._buffer: list[str] = []
        self._whole = False  # a comment or CDATA was seen: read the rest in one piece
        self._errors: list[ParseError] = []

    def feed(self, text: str) -> list[Event]:
        if not text:
            return []
        self._buffer.append(text)
        if self._whole:
            return []
        joined = "".join(self._buffer)
        cut = joined.rfind(_EVENT_END)
        if cut < 0:
            self._buffer = [joined]
            return []
        cut += len(_EVENT_END)
        piece, rest = joined[:cut], joined[cut:]
        if "<!" in piece:
            self._whole = True
            self._buffer = [joined]
            return []
        self._buffer = [rest] if rest else []
        return self._parse(piece)

    def close(self) -> list[Event]:
        joined = "".join(self._buffer)
        self._buffer = []
        events = self._parse(joined) if joined or self._state.first else []
        if self._errors:
            raise EventParseError(events, self._errors)
        return events

    def _parse(self, piece: str) -> list[Event]:
        if self._state.first:
            piece = piece.lstrip("\ufeff")
        collecting = gc.isenabled()
        gc.disable()  # see parse_events
        try:
            events, errors = _parse_all(piece, self.node, self.log, self.keep_xml, self._reader, self._state)
        finally:
            if collecting:
                gc.enable()
        self._errors.extend(errors)
        return events


def _slow_event(raw: str, index: int, node: str, log: str, keep_xml: bool) -> Event:
    """An event outside the strict pattern: expat's verdict, then defusedxml's tree."""
    parsed: Element | None
    try:
        parsed = _parse(raw)
    except Exception as exc:  # expat errors and defusedxml refusals alike
        shown = escape_forbidden(raw)  # control characters a program logged: shown escaped
        try:
            parsed = _parse(shown) if shown != raw else None
        except Exception:
            parsed = None
        if parsed is None:
            raise ParseError(f"event {index}: malformed XML ({exc})") from None
        raw = shown
    found = [e for e in parsed if _local(e.tag) == "Event"]
    if len(found) != 1:
        raise ParseError(f"event {index}: not a single <Event> element")
    return _event(found[0], node, log, raw if keep_xml else "")


def _check_outside(
    text: str, start: int, end: int, wrapper: str | None, errors: list[ParseError], first: bool = True
) -> str | None:
    """Text between events may only be blanks, comments, an XML declaration and one wrapper
    element (opened before the first event), and console prompt lines of a pasted capture;
    returns the wrapper's name once known."""
    piece = _COMMENT.sub(lambda m: " " * len(m.group(0)), text[start:end])
    piece = _PROMPT_LINE.sub(lambda m: " " * len(m.group(0)), piece)
    stripped = piece.strip()
    if not stripped:
        return wrapper
    if start == 0 and first and wrapper is None:
        match = _WRAPPER.match(piece)
        if match:
            rest = piece[match.end() :].strip()
            name = match.group(1) or ""
            # The wrapper alone, or (no event matched the query) opened and closed, or <Events/>.
            if not rest or (name and not match.group(2) and rest == f"</{name}>"):
                return "" if match.group(2) else name
    if wrapper and stripped == f"</{wrapper}>":
        return wrapper
    line_no, line = _line_of(text, start + (len(piece) - len(piece.lstrip())))
    errors.append(ParseError("text outside any <Event> element", line_no, line))
    return wrapper
