"""wevtutil XML parser: bare and wrapped output, RenderedXml, damaged events, fast/tree equivalence."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parsers_cluster import host_wrap

from ccrgui.domain.model import Event, EventLevel
from ccrgui.remote.parsers import EventParseError, ParseError, parse_events, parse_system_time
from ccrgui.remote.parsers import events as events_module

NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def esc(text: str) -> str:
    """wevtutil escapes &, < and > in text and ' in attributes (it quotes with ')."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(text: str) -> str:
    return esc(text).replace("'", "&apos;")


def wevtutil_event(
    *,
    event_id: int = 1069,
    level: int = 2,
    task: int = 3,
    record: int = 1,
    provider: str = "Microsoft-Windows-FailoverClustering",
    time_created: str = "2026-11-25T21:49:03.123456700Z",
    channel: str = "System",
    computer: str = "NODE1.contoso.com",
    data: list[tuple[str | None, str]] | None = None,
    message: str | None = None,
    rendered_task: str | None = None,
    qualifiers: bool = False,
) -> str:
    """One event as wevtutil qe /f:xml (or /f:RenderedXml when message is given) prints it."""
    data = [("ResourceName", "Cluster Disk 4"), ("ResourceGroup", "Cluster Group")] if data is None else data
    eid = (
        f"<EventID Qualifiers='16384'>{event_id}</EventID>"
        if qualifiers
        else f"<EventID>{event_id}</EventID>"
    )
    parts = [
        f"<Event xmlns='{NS}'><System><Provider Name='{attr(provider)}' "
        "Guid='{BAF908EA-3421-4CA9-9B84-6689B8C6F85F}'/>",
        f"{eid}<Version>0</Version><Level>{level}</Level><Task>{task}</Task><Opcode>0</Opcode>",
        "<Keywords>0x8000000000000000</Keywords>",
        f"<TimeCreated SystemTime='{time_created}'/><EventRecordID>{record}</EventRecordID>",
        "<Correlation/><Execution ProcessID='1234' ThreadID='5678'/>",
        f"<Channel>{esc(channel)}</Channel><Computer>{esc(computer)}</Computer>",
        "<Security UserID='S-1-5-18'/></System>",
    ]
    if data:
        parts.append("<EventData>")
        for name, value in data:
            name_attr = f" Name='{attr(name)}'" if name is not None else ""
            parts.append(f"<Data{name_attr}>{esc(value)}</Data>" if value else f"<Data{name_attr}/>")
        parts.append("</EventData>")
    else:
        parts.append("<EventData></EventData>")
    if message is not None:
        parts.append(
            f"<RenderingInfo Culture='en-US'><Message>{esc(message)}</Message><Level>Error</Level>"
            f"<Task>{esc(rendered_task or '')}</Task><Opcode>Info</Opcode><Channel>System</Channel>"
            "<Provider>Microsoft-Windows-FailoverClustering</Provider>"
            "<Keywords><Keyword>Classic</Keyword></Keywords></RenderingInfo>"
        )
    parts.append("</Event>")
    return "".join(parts)


def test_bare_sequence_with_rendering_info() -> None:
    """wevtutil without /e: bare events separated by CRLF; RenderingInfo gives message and task."""
    text = (
        "\r\n".join(
            wevtutil_event(
                record=i, message=f"Cluster resource 'Disk {i}' failed.", rendered_task="Resource Control"
            )
            for i in range(3)
        )
        + "\r\n"
    )
    events = parse_events(text, node="NODE1", log="System")
    assert [e.record_id for e in events] == [0, 1, 2]
    first = events[0]
    assert first.node == "NODE1" and first.log == "System" and first.computer == "NODE1.contoso.com"
    assert first.provider == "Microsoft-Windows-FailoverClustering"
    assert (first.event_id, first.level, first.task) == (1069, EventLevel.ERROR, "Resource Control")
    assert first.time_created == datetime(2026, 11, 25, 21, 49, 3, 123456, tzinfo=UTC)
    assert first.message == "Cluster resource 'Disk 0' failed."
    assert first.data == {"ResourceName": "Cluster Disk 4", "ResourceGroup": "Cluster Group"}
    assert first.raw_xml.startswith("<Event ") and first.raw_xml.endswith("</Event>")


def test_wrapped_output_and_classic_event() -> None:
    """/e:Events wraps the sequence; classic events have Qualifiers and unnamed Data."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>\r\n'
        + wevtutil_event(
            provider="Service Control Manager",
            event_id=7036,
            level=4,
            task=0,
            qualifiers=True,
            data=[(None, "Cluster Service"), (None, "running")],
        )
        + "\r\n</Events>\r\n"
    )
    (event,) = parse_events(text)
    assert (event.provider, event.event_id, event.level, event.task) == (
        "Service Control Manager",
        7036,
        EventLevel.INFORMATION,
        "",
    )
    assert event.data == {"1": "Cluster Service", "2": "running"}
    assert event.message == ""


def test_userdata_and_cdata_take_the_tree_path() -> None:
    """Layouts the fast path does not know still parse (through defusedxml)."""
    user = (
        f"<Event xmlns='{NS}'><System><Provider Name='Microsoft-Windows-Eventlog'/>"
        "<EventID>104</EventID><Level>4</Level><Task>104</Task>"
        "<TimeCreated SystemTime='2026-11-25T21:49:03.000Z'/><EventRecordID>9</EventRecordID>"
        "<Channel>System</Channel><Computer>N</Computer></System>"
        "<UserData><LogFileCleared xmlns='x'><SubjectUserName>Administrator</SubjectUserName>"
        "<Channel>Application</Channel></LogFileCleared></UserData></Event>"
    )
    (event,) = parse_events(user)
    assert event.data == {"SubjectUserName": "Administrator", "Channel": "Application"}
    assert event.task == "104"
    cdata = wevtutil_event(message="x").replace(
        "<Message>x</Message>", "<Message><![CDATA[a < b]]></Message>"
    )
    (event,) = parse_events(cdata)
    assert event.message == "a < b"


def test_one_damaged_event_keeps_the_others() -> None:
    """A truncated event in the middle is reported with its index and line; the rest survive."""
    good = [wevtutil_event(record=i) for i in range(4)]
    bad = good[2].replace("</EventRecordID>", "</EventRecordId>")
    text = "\n".join([good[0], good[1], bad, good[3]])
    with pytest.raises(EventParseError) as info:
        parse_events(text)
    err = info.value
    assert isinstance(err, ParseError)
    assert [e.record_id for e in err.events] == [0, 1, 3]
    assert len(err.errors) == 1
    assert err.errors[0].message.startswith("event 3:")
    assert err.errors[0].line_no == 3


def test_text_outside_events_is_reported() -> None:
    """Garbage between events is an error; the events are still returned on the exception."""
    text = wevtutil_event(record=1) + "\r\nAccess is denied.\r\n" + wevtutil_event(record=2)
    with pytest.raises(EventParseError) as info:
        parse_events(text)
    assert [e.record_id for e in info.value.events] == [1, 2]
    assert info.value.errors[0].line == "Access is denied."
    assert info.value.errors[0].line_no == 2


def test_entity_expansion_is_refused() -> None:
    """A DTD with entities (billion laughs) is refused, not expanded."""
    bomb = '<!DOCTYPE Event [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + wevtutil_event(
        computer="&b;"
    ).replace("&amp;b;", "&b;")
    with pytest.raises(ParseError):
        parse_events(bomb)


def test_no_events() -> None:
    """Empty output is no events; other text is a ParseError."""
    assert parse_events("") == []
    assert parse_events("\r\n") == []
    # /e:Events when nothing matched: the wrapper opened and closed, or empty-element form.
    assert parse_events('<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>\r\n</Events>\r\n') == []
    assert parse_events("<Events/>") == []
    with pytest.raises(ParseError):
        parse_events("<Events></Other>")
    with pytest.raises(ParseError):
        parse_events("wevtutil: the specified channel could not be found.")


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-25T21:49:03.123456700Z", datetime(2026, 11, 25, 21, 49, 3, 123456, tzinfo=UTC)),
        ("2026-11-25T21:49:03Z", datetime(2026, 11, 25, 21, 49, 3, tzinfo=UTC)),
        ("2026-11-25T21:49:03.5Z", datetime(2026, 11, 25, 21, 49, 3, 500000, tzinfo=UTC)),
        ("2026-11-25T22:49:03.25+01:00", datetime(2026, 11, 25, 21, 49, 3, 250000, tzinfo=UTC)),
    ],
)
def test_system_time(stamp: str, expected: datetime) -> None:
    """SystemTime with 0-9 fraction digits and Z or an offset."""
    assert parse_system_time(stamp) == expected


xml_text = st.text(
    st.characters(
        codec="utf-8",
        categories=("L", "N", "P", "S", "Zs"),
        include_characters="\r\n&<>'\"",
        exclude_characters="\x00",
    ),
    max_size=40,
)
names = st.text(st.characters(categories=("L", "N"), include_characters="_-. &'<"), min_size=1, max_size=20)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            names,
            st.integers(0, 65535),
            st.integers(0, 7),
            st.integers(0, 300),
            st.lists(st.tuples(st.one_of(st.none(), names), xml_text), max_size=4),
            st.one_of(st.none(), xml_text),
            xml_text,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_fast_path_equals_tree_path(
    rows: list[tuple[str, int, int, int, list[tuple[str | None, str]], str | None, str]],
) -> None:
    """Whatever the values, the pattern fast path reads exactly what defusedxml's tree reads."""
    events_xml = []
    for i, (provider, eid, level, task, data, message, computer) in enumerate(rows):
        unique: dict[str | None, str] = {}
        for name, value in data:
            unique.setdefault(name if name is not None else None, value)
        events_xml.append(
            wevtutil_event(
                provider=provider,
                event_id=eid,
                level=level,
                task=task,
                record=i,
                data=[(k, v) for k, v in unique.items() if k is not None]
                or [(None, v) for v in unique.values()],
                message=message,
                rendered_task=computer if message is not None else None,
                computer=computer,
            )
        )
    text = "\r\n".join(events_xml)
    fast = parse_events(text, node="N", log="L")
    slow = parse_events("<!-- force tree path -->" + text, node="N", log="L")
    assert [
        (e.provider, e.event_id, e.level, e.task, e.record_id, dict(e.data), e.message, e.computer)
        for e in fast
    ] == [
        (e.provider, e.event_id, e.level, e.task, e.record_id, dict(e.data), e.message, e.computer)
        for e in slow
    ]


def test_fast_path_is_used_for_wevtutil_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real wevtutil layout never reaches the slow tree builder."""

    def boom(fragment: str) -> None:
        raise AssertionError("tree path used")

    monkeypatch.setattr(events_module, "_parse", boom)
    assert len(parse_events("\r\n".join(wevtutil_event(record=i, message="m") for i in range(50)))) == 50


def test_throughput_smoke() -> None:
    """10,000 rendered events parse in well under the GUI's patience (see the report for rates)."""
    text = "\r\n".join(wevtutil_event(record=i, message="Cluster resource failed.") for i in range(10_000))
    start = time.perf_counter()
    assert len(parse_events(text, keep_xml=False)) == 10_000
    assert time.perf_counter() - start < 10.0


@settings(max_examples=100)
@given(st.text(max_size=300))
def test_fuzz_only_parse_errors(text: str) -> None:
    """Any text: events or a ParseError."""
    try:
        parse_events(text)
    except ParseError:
        pass


@settings(max_examples=100)
@given(st.integers(0, 1200), st.text(max_size=5))
def test_fuzz_damaged_event(cut: int, junk: str) -> None:
    """Cutting or corrupting a real-looking event never raises anything but ParseError."""
    event = wevtutil_event(message="hello")
    try:
        parse_events(event[:cut] + junk + event[cut:])
    except ParseError:
        pass


def test_damaged_event_does_not_slow_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the damaged event goes to the defusedxml tree builder."""
    calls: list[str] = []
    real = events_module._parse

    def counting(fragment: str) -> object:
        calls.append(fragment)
        return real(fragment)

    monkeypatch.setattr(events_module, "_parse", counting)
    good = [wevtutil_event(record=i, message="m") for i in range(30)]
    good[7] = good[7].replace("</Computer>", "</Computr>")
    with pytest.raises(EventParseError) as info:
        parse_events("\r\n".join(good))
    assert len(info.value.events) == 29
    assert len(calls) == 1


def test_events_broken_at_80_columns() -> None:
    """wevtutil output read through the PowerShell host (lines broken at 80) parses the same."""
    text = "\r\n".join(
        wevtutil_event(record=i, message=f"Cluster resource 'Disk {i}' failed.") for i in range(5)
    )
    wrapped = host_wrap(text)
    assert max(len(line) for line in wrapped.split("\r\n")) == 80
    assert parse_events(wrapped, keep_xml=False) == parse_events(text, keep_xml=False)


def _fields(events: list[Event]) -> list[tuple[object, ...]]:
    return [
        (
            e.provider,
            e.event_id,
            e.level,
            e.task,
            e.record_id,
            e.time_created,
            dict(e.data),
            e.message,
            e.computer,
            e.log,
        )
        for e in events
    ]


def _readable(text: str) -> tuple[list[tuple[object, ...]], int]:
    """The events read from `text` and how many problems were reported."""
    try:
        return _fields(parse_events(text, node="N", log="L")), 0
    except EventParseError as exc:
        return _fields(exc.events), len(exc.errors)
    except ParseError:
        return [], 1


def test_raw_xml_is_the_text_received() -> None:
    """The raw XML the details pane shows is each event's text exactly as received, on the fast
    path (kept as shared pieces) as on the tree path."""
    texts = [
        wevtutil_event(record=1, message="Disk <4> & 'more'", rendered_task="Resource Control"),
        wevtutil_event(record=2, data=[("A", "x &amp; y")], computer="N&amp;1"),
        wevtutil_event(record=3, qualifiers=True, data=[(None, "v")]),
        wevtutil_event(record=4).replace("<System>", "<System>\r\n  "),  # blanks: tree path
    ]
    events = parse_events("<Events>\r\n" + "\r\n".join(texts) + "\r\n</Events>")
    assert [e.raw_xml for e in events] == texts
    assert len(events[0].xml_parts) == 4 and len(events[3].xml_parts) == 1
    assert all(e.raw_xml == "" for e in parse_events("\r\n".join(texts), keep_xml=False))


def test_repeated_pieces_are_shared() -> None:
    """Events that repeat a provider header, execution block or event data share one copy, and
    the shared data cannot be changed through one event."""
    first, second, other = parse_events(
        wevtutil_event(record=1) + wevtutil_event(record=2) + wevtutil_event(record=3, data=[("A", "b")])
    )
    assert first.xml_parts[0] is second.xml_parts[0] and first.xml_parts[1] is not second.xml_parts[1]
    assert first.data is second.data and first.data is not other.data
    assert first.provider is other.provider and first.computer is other.computer
    with pytest.raises(TypeError):
        first.data["ResourceName"] = "x"  # type: ignore[index]


def test_events_are_numbered_after_text_outside() -> None:
    """Text outside the events is not counted as an event in the error messages."""
    good = wevtutil_event(record=1)
    bad = wevtutil_event(record=2).replace("</Computer>", "</Comp>")
    with pytest.raises(EventParseError) as info:
        parse_events("junk\r\n" + good + "\r\n" + bad)
    assert [e.message.split(":")[0] for e in info.value.errors] == [
        "text outside any <Event> element",
        "event 2",
    ]
    assert info.value.errors[1].line_no == 3


@pytest.mark.parametrize(
    ("value", "readable"),
    [
        ("Cluster\x01Disk", True),  # a character XML forbids: the tree path shows it escaped
        ("a]]>b", False),  # ]]> is not allowed in character data
        ("&foo;", False),  # no entity but the five predefined ones exists
        ("&#65;&#x42;", True),  # character references: the tree path expands them
        ("<![CDATA[x]]>", True),
    ],
)
def test_what_the_strict_patterns_leave_to_the_tree(value: str, readable: bool) -> None:
    """Text the strict patterns do not accept is decided by defusedxml, not silently read."""
    text = wevtutil_event(data=[("ResourceName", "@")]).replace("@", value)
    events, problems = _readable(text)
    assert (len(events), problems) == ((1, 0) if readable else (0, 1))
    if readable:
        expected = {"&#65;&#x42;": "AB", "<![CDATA[x]]>": "x", "Cluster\x01Disk": "Cluster\\x01Disk"}
        assert events[0][6] == {"ResourceName": expected[value]}


_MUTATIONS = st.sampled_from(
    ["<", ">", "&", "'", '"', "/", " ", "\r\n", "\x01", "]]>", "&amp;", "x", "</Data>", ""]
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2500), st.integers(0, 6), _MUTATIONS), min_size=1, max_size=3))
def test_fast_path_reads_only_what_the_tree_reads(edits: list[tuple[int, int, str]]) -> None:
    """Damaged output: the strict fast path never accepts an event that defusedxml refuses, and
    reads the same values from the ones both accept."""
    text = "\r\n".join(
        wevtutil_event(record=i, message="Disk 'x' failed." if i % 2 else None, qualifiers=i == 2)
        for i in range(3)
    )
    for at, cut, insert in edits:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + cut :]
    assert _readable(text)[0] == _readable("<!-- tree path -->" + text)[0]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<Message>m</Message>", ""),  # message that could not be rendered
        ("<Task>T</Task>", "<Task/>"),
        ("ThreadID='5678'/>", "ThreadID='5678' ProcessorID='1' KernelTime='10' UserTime='2'/>"),
        ("<Correlation/>", "<Correlation ActivityID='{5F2E1A3B-0000-0000-0000-000000000000}'/>"),
        ("<Keywords><Keyword>Classic</Keyword></Keywords>", "<Keywords></Keywords>"),
        ("<Version>0</Version>", ""),
        (
            "<EventData><Data Name='ResourceName'>",
            "<EventData><Data Name='ResourceName'/><Binary>0A0B</Binary><Data>",
        ),
    ],
)
def test_layout_variants_stay_on_the_fast_path(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    """Variants of the EvtRender layout real nodes print are read by the strict patterns, with
    the values the tree path reads."""
    text = wevtutil_event(message="m", rendered_task="T")
    assert old in text
    text = text.replace(old, new)
    tree = _readable("<!-- tree path -->" + text)
    monkeypatch.setattr(events_module, "_parse", lambda fragment: pytest.fail("tree path used"))
    assert _readable(text) == tree and len(tree[0]) == 1
