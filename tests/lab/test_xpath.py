"""The lab's Event Log XPath subset, checked against a plain Python filter over random events."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrgui.lab import event_messages as em
from ccrgui.lab.eventlog import EventJournal, EventRecord, format_system_time, to_ticks
from ccrgui.lab.topology import default_topology
from ccrgui.lab.xpath import EvalContext, XPathError, bind, compile_query, compile_xpath

END = datetime(2026, 11, 25, 21, 0, 0, tzinfo=UTC)
NOW = to_ticks(END)
CTX = EvalContext("EXNODE1.contoso.com", NOW)
VALUES = ("Remote Registry", "running", "stopped", "EXCH1", "it's", 'say "hi"', "SG 1")
Ref = Callable[[EventRecord], bool]


class FixedClock:
    def now(self) -> datetime:
        return END


def _random_journal(seed: int = 5, count: int = 400) -> tuple[EventJournal, list[EventRecord]]:
    rng = random.Random(seed)
    journal = EventJournal(default_topology(), history=0, clock=FixedClock())
    for _ in range(count):
        d = rng.choice(em.MESSAGES_LIST)
        data = [(n, rng.choice(VALUES)) for n in d.data_names if rng.random() < 0.9]
        when = END - timedelta(seconds=rng.randint(0, 5 * 86400))
        journal.write("EXNODE1", "System", d.provider, d.event_id, rng.randint(1, 4), data=data, when=when)
    return journal, journal.records("EXNODE1", "System")


JOURNAL, RECORDS = _random_journal()


def _lit(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


OPS: dict[str, Callable[[int, int], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
EVENT_IDS = sorted({d.event_id for d in em.MESSAGES_LIST})


@st.composite
def numeric_field(draw: st.DrawFn) -> tuple[str, Ref]:
    field, getter, values = draw(
        st.sampled_from(
            [
                ("EventID", lambda r: r.event_id, EVENT_IDS),
                ("Level", lambda r: r.level, [1, 2, 3, 4]),
                ("Task", lambda r: r.task, [0, 1, 2, 3, 5]),
                ("EventRecordID", lambda r: r.record_id, [1, 50, 200, 399]),
            ]
        )
    )
    op = draw(st.sampled_from(sorted(OPS)))
    value = draw(st.sampled_from(values))
    fn = OPS[op]
    if draw(st.booleans()):
        return f"{field}{op}{value}", lambda r: fn(getter(r), value)
    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    return f"{value} {flipped} {field}", lambda r: fn(getter(r), value)


@st.composite
def system_leaf(draw: st.DrawFn) -> tuple[str, Ref]:
    kind = draw(st.sampled_from(["num", "provider", "timediff", "since"]))
    if kind == "num":
        return draw(numeric_field())
    if kind == "provider":
        name = draw(st.sampled_from(sorted(em.PROVIDERS)))
        return f"Provider[@Name={_lit(name)}]", lambda r: r.provider == name
    if kind == "timediff":
        ms = draw(st.integers(0, 5 * 86400 * 1000))
        return (
            f"TimeCreated[timediff(@SystemTime) <= {ms}]",
            lambda r: (NOW - r.ticks) // 10_000 <= ms,
        )
    ticks = NOW - draw(st.integers(0, 5 * 86400)) * 10_000_000
    stamp = format_system_time(ticks)[:23] + "Z"  # Event Viewer writes milliseconds
    limit = ticks - ticks % 10_000
    return f"TimeCreated[@SystemTime>='{stamp}']", lambda r: r.ticks >= limit


def _combine(children: st.SearchStrategy[tuple[str, Ref]]) -> st.SearchStrategy[tuple[str, Ref]]:
    @st.composite
    def combo(draw: st.DrawFn) -> tuple[str, Ref]:
        (a, fa), (b, fb) = draw(children), draw(children)
        if draw(st.booleans()):
            return f"({a} and {b})", lambda r: fa(r) and fb(r)
        return f"({a} or {b})", lambda r: fa(r) or fb(r)

    return combo()


system_expr = st.recursive(system_leaf(), _combine, max_leaves=6)


@st.composite
def event_data_expr(draw: st.DrawFn) -> tuple[str, Ref]:
    value = draw(st.sampled_from(VALUES))
    op = draw(st.sampled_from(["=", "!="]))
    test = (lambda v: v == value) if op == "=" else (lambda v: v != value)
    if draw(st.booleans()):
        name = draw(st.sampled_from(["param1", "param2", "NodeName", "ResourceGroup", "StorageGroup"]))

        def named(r: EventRecord) -> bool:
            return r.provider_info.named_data and any(n == name and test(v) for n, v in r.data)

        return f"EventData[Data[@Name='{name}']{op}{_lit(value)}]", named
    if draw(st.booleans()):
        return f"EventData/Data{op}{_lit(value)}", lambda r: any(test(v) for _, v in r.data)
    return f"EventData[Data{op}{_lit(value)}]", lambda r: any(test(v) for _, v in r.data)


@st.composite
def query(draw: st.DrawFn) -> tuple[str, Ref]:
    sys_text, sys_fn = draw(system_expr)
    shape = draw(st.sampled_from(["system", "both", "data", "path"]))
    root = draw(st.sampled_from(["*", "Event"]))
    if shape == "system":
        return f"{root}[System[{sys_text}]]", sys_fn
    if shape == "data":
        text, fn = draw(event_data_expr())
        return f"{root}[{text}]", fn
    if shape == "path":
        level = draw(st.integers(1, 4))
        return f"{root}[System/Level={level}]", lambda r: r.level == level
    text, fn = draw(event_data_expr())
    joiner = draw(st.sampled_from(["and", "or"]))
    if joiner == "and":
        return f"{root}[System[{sys_text}] and {text}]", lambda r: sys_fn(r) and fn(r)
    return f"{root}[System[{sys_text}] or {text}]", lambda r: sys_fn(r) or fn(r)


@settings(max_examples=300, deadline=None)
@given(query())
def test_evaluator_matches_a_plain_python_filter(case: tuple[str, Ref]) -> None:
    text, reference = case
    pred = compile_query(text, "System")
    assert pred is not None
    got = [r.record_id for r in RECORDS if pred(r, CTX)]
    expected = [r.record_id for r in RECORDS if reference(r)]
    assert got == expected, text


def _ids(text: str, log: str = "System") -> list[int]:
    pred = bind(compile_query(text, log), CTX)
    return [r.record_id for r in RECORDS if pred is None or pred(r)]


def test_star_selects_everything_without_a_predicate() -> None:
    assert compile_xpath("*") is None
    assert compile_xpath("  *  ") is None
    assert _ids("*") == [r.record_id for r in RECORDS]


def test_documented_examples() -> None:
    fc = em.FAILOVER_CLUSTERING
    q = (
        "*[System[Provider[@Name='Microsoft-Windows-FailoverClustering'] and "
        "(EventID=1069 or EventID=1135 or EventID=1177)]]"
    )
    assert _ids(q) == [r.record_id for r in RECORDS if r.provider == fc and r.event_id in (1069, 1135, 1177)]
    assert _ids("*[System[(Level=1 or Level=2 or Level=3)]]") == [
        r.record_id for r in RECORDS if r.level <= 3
    ]
    assert _ids("*[System[(Level <= 3) and TimeCreated[timediff(@SystemTime) <= 86400000]]]") == [
        r.record_id for r in RECORDS if r.level <= 3 and NOW - r.ticks <= 86400 * 10_000_000
    ]
    assert _ids("*[System/Level=1]") == [r.record_id for r in RECORDS if r.level == 1]


def test_paths_below_the_event_and_top_level_booleans() -> None:
    """Forms seen in real use: `wevtutil qe Application /q:*/System[EventID=100]` and
    `Get-WinEvent -FilterXPath '*/System/EventID=101 and */System/Provider[@Name="WLMS"]'`."""
    assert _ids("*/System[EventID=1069]") == [r.record_id for r in RECORDS if r.event_id == 1069]
    assert _ids("Event/System[Level=1]") == [r.record_id for r in RECORDS if r.level == 1]
    assert _ids("/Event[System/Level=2]") == [r.record_id for r in RECORDS if r.level == 2]
    q = '*/System/EventID=7036 and */System/Provider[@Name="Service Control Manager"]'
    assert _ids(q) == [r.record_id for r in RECORDS if r.event_id == 7036 and r.provider == em.SCM]
    assert _ids("*/System/Level=1 or */System/Level=3") == [r.record_id for r in RECORDS if r.level in (1, 3)]


def test_double_quoted_strings_and_whitespace() -> None:
    assert _ids('*[ System [ Provider [ @Name = "Service Control Manager" ] ] ]') == [
        r.record_id for r in RECORDS if r.provider == em.SCM
    ]


def test_unknown_names_match_nothing_without_error() -> None:
    assert _ids("*[System[(Bogus=1)]]") == []
    assert _ids("*[System[Provider[@Nmae='x']]]") == []
    assert _ids("*[UserData/*/PrinterName='MyPrinter']") == []


def test_band_position_and_classic_qualifiers() -> None:
    assert _ids("*[System[band(Keywords,36028797018963968)]]") == [
        r.record_id for r in RECORDS if int(r.provider_info.keywords, 16) & 0x80000000000000
    ]
    assert _ids("*[EventData[Data[position()=1]='running']]") == [
        r.record_id for r in RECORDS if r.data and r.data[0][1] == "running"
    ]
    assert _ids("*[EventData[Data[2]='running']]") == [
        r.record_id for r in RECORDS if len(r.data) > 1 and r.data[1][1] == "running"
    ]
    assert _ids("*[System[EventID[@Qualifiers=16388]]]") == [
        r.record_id for r in RECORDS if r.qualifiers == 16388
    ]


def test_structured_query_select_and_suppress() -> None:
    q = (
        '<QueryList><Query Id="0" Path="System">'
        '<Select Path="System">*[System[(Level=1 or Level=2)]]</Select>'
        '<Suppress Path="System">*[System[EventID=1069]]</Suppress>'
        "</Query></QueryList>"
    )
    assert _ids(q) == [r.record_id for r in RECORDS if r.level <= 2 and r.event_id != 1069]
    assert _ids(q, "Application") == []
    entity = (
        "<QueryList><Query><Select Path='System'>*[System[Level=3 and "
        "TimeCreated[timediff(@SystemTime)&lt;= 86400000]]]</Select></Query></QueryList>"
    )
    assert _ids(entity) == [
        r.record_id for r in RECORDS if r.level == 3 and NOW - r.ticks <= 86400 * 10_000_000
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "*[",
        "*[System[",
        "*[System[Level=]]",
        "*[System[not(Level=1)]]",
        "*[System[contains(Provider/@Name,'x')]]",
        "System",
        "System/EventID=1",
        "1=1",
        "*[System[Level=1]] or EventData",
        "*[System[Level=1]",
        "*[System[Level=1]]]",
        "*[System[Level = 1 = 2]]",
        "*[System['unterminated]]",
        "*[System[Level==1]]",
        "*[@]",
        "<QueryList><Query>",
        "<QueryList/>",
        "<Other/>",
    ],
)
def test_invalid_queries_raise_15001(bad: str) -> None:
    with pytest.raises(XPathError) as info:
        compile_query(bad, "System")
    assert info.value.code == 15001
    assert 0 <= info.value.position <= len(bad)


def test_an_xpath_is_limited_to_32_expressions() -> None:
    ids = " or ".join(f"EventID={1000 + i}" for i in range(32))
    assert compile_query(f"*[System[{ids}]]", "System") is not None
    with pytest.raises(XPathError) as info:
        compile_query(f"*[System[{ids} or EventID=7036]]", "System")
    assert info.value.code == 15001
    # The limit is per XPath: a QueryList can spread conditions over several selects.
    half = " or ".join(f"EventID={1000 + i}" for i in range(20))
    structured = (
        f"<QueryList><Query><Select Path='System'>*[System[{half}]]</Select>"
        f"<Select Path='System'>*[System[{half}]]</Select></Query></QueryList>"
    )
    assert compile_query(structured, "System") is not None
