"""Event Viewer ID syntax, XPath generation, QueryList XML round trips and the knowledge table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui.domain import event_knowledge
from ccrgui.domain.eventquery import (
    FAILOVER_CLUSTERING,
    LOG_FC_DIAGNOSTIC,
    LOG_FC_OPERATIONAL,
    MSEXCHANGE_REPL,
    EventFilter,
    FilterError,
    IdRange,
    IdSpec,
    IdSpecError,
    QueryListError,
    TargetKind,
    TimeRange,
    count_expressions,
    critical_events_filter,
    from_querylist_xml,
    load_querylist,
    parse_id_spec,
    save_querylist,
    select_xpath,
    suppress_xpath,
    to_log_queries,
    to_querylist_xml,
    validate,
    wevtutil_xpath,
)
from ccrgui.domain.model import Event, EventLevel

# --- ID syntax --------------------------------------------------------------------------------

ids = st.integers(min_value=0, max_value=65535)
ranges = st.tuples(ids, ids).map(lambda t: IdRange(min(t), max(t)))


def _budget(items: list[IdRange]) -> bool:
    return sum(r.expressions for r in items) <= 32


specs = st.builds(
    lambda inc, exc: IdSpec(tuple(inc), tuple(exc)),
    st.lists(ranges, max_size=12).filter(_budget),
    st.lists(ranges, max_size=12).filter(_budget),
)


@given(specs)
def test_id_spec_format_parse_round_trip(spec: IdSpec) -> None:
    assert parse_id_spec(spec.format()) == spec


@given(specs, st.sampled_from([" ", "  ", "\t"]))
def test_id_spec_tolerates_spaces(spec: IdSpec, space: str) -> None:
    text = spec.format().replace(",", space + "," + space)
    assert parse_id_spec(space + text + space) == spec


@given(specs, ids)
def test_id_spec_matches_like_a_plain_set(spec: IdSpec, event_id: int) -> None:
    included = not spec.include or any(r.low <= event_id <= r.high for r in spec.include)
    excluded = any(r.low <= event_id <= r.high for r in spec.exclude)
    assert spec.matches(event_id) == (included and not excluded)


def test_id_spec_example_from_event_viewer() -> None:
    spec = parse_id_spec("1069,1135,1200-1210,-1201")
    assert spec.include == (IdRange(1069, 1069), IdRange(1135, 1135), IdRange(1200, 1210))
    assert spec.exclude == (IdRange(1201, 1201),)
    assert [i for i in (1069, 1135, 1200, 1201, 1210, 1211) if spec.matches(i)] == [1069, 1135, 1200, 1210]


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("1,,2", 2, "missing before this comma"),
        ("1069,", 5, "missing at the end"),
        ("-", 0, "minus must be followed"),
        ("1200-", 4, "has no end"),
        ("70000", 0, "out of range"),
        ("1-70000", 2, "out of range"),
        ("1210-1200", 0, "runs backwards"),
        ("10a", 2, "unexpected character 'a'"),
        ("1069;1135", 4, "unexpected character ';'"),
        ("x", 0, "unexpected character"),
    ],
)
def test_id_spec_errors_name_the_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(IdSpecError) as info:
        parse_id_spec(text)
    assert info.value.position == position
    assert fragment in info.value.message


@given(st.text(alphabet="0123456789-, x;", max_size=30))
def test_id_spec_parse_either_round_trips_or_raises_with_position(text: str) -> None:
    try:
        spec = parse_id_spec(text)
    except IdSpecError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        assert parse_id_spec(spec.format()) == spec


def test_id_spec_limit_of_32_expressions() -> None:
    parse_id_spec(",".join(str(i) for i in range(32)))
    with pytest.raises(IdSpecError) as info:
        parse_id_spec(",".join(str(i) for i in range(33)))
    assert "32" in info.value.message
    with pytest.raises(IdSpecError):
        parse_id_spec(",".join(f"{i * 10}-{i * 10 + 5}" for i in range(17)))  # 34 expressions
    parse_id_spec(",".join(f"{i * 10}-{i * 10 + 5}" for i in range(16)) + ",-1,-2")


# --- XPath ------------------------------------------------------------------------------------


def test_xpath_like_event_viewer() -> None:
    flt = EventFilter(
        providers=(FAILOVER_CLUSTERING,),
        levels=frozenset({EventLevel.CRITICAL, EventLevel.ERROR}),
        event_ids="1069,1200-1210,-1201",
        time_range=TimeRange.LAST_24_HOURS,
    )
    assert select_xpath(flt) == (
        "*[System[Provider[@Name='Microsoft-Windows-FailoverClustering'] and (Level=1 or Level=2) and "
        "(EventID=1069 or (EventID >= 1200 and EventID <= 1210)) and "
        "TimeCreated[timediff(@SystemTime) <= 86400000]]]"
    )
    assert suppress_xpath(flt) == "*[System[(EventID=1201)]]"
    assert wevtutil_xpath(flt) == (
        "*[System[Provider[@Name='Microsoft-Windows-FailoverClustering'] and (Level=1 or Level=2) and "
        "(EventID=1069 or (EventID >= 1200 and EventID <= 1210)) and EventID!=1201 and "
        "TimeCreated[timediff(@SystemTime) <= 86400000]]]"
    )
    assert count_expressions(wevtutil_xpath(flt)) == 8


def test_xpath_information_includes_log_always_and_all_levels_mean_any() -> None:
    flt = EventFilter(levels=frozenset({EventLevel.INFORMATION}), time_range=TimeRange.ANY)
    assert select_xpath(flt) == "*[System[(Level=4 or Level=0)]]"
    every = EventFilter(levels=frozenset(EventLevel) - {EventLevel.LOG_ALWAYS}, time_range=TimeRange.ANY)
    assert select_xpath(every) == "*"
    assert suppress_xpath(every) is None


def test_xpath_custom_range_and_range_exclusion() -> None:
    since = datetime(2026, 11, 24, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    until = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    flt = EventFilter(
        levels=frozenset(), event_ids="-1200-1210", time_range=TimeRange.CUSTOM, since=since, until=until
    )
    assert wevtutil_xpath(flt) == (
        "*[System[(EventID < 1200 or EventID > 1210) and TimeCreated[@SystemTime>='2026-11-24T06:30:00.000Z'"
        " and @SystemTime<='2026-11-25T00:00:00.999Z']]]"
    )


def test_xpath_quotes_names_with_apostrophes_through_quoting_module() -> None:
    flt = EventFilter(providers=("O'Neil Source",), time_range=TimeRange.ANY, levels=frozenset())
    assert select_xpath(flt) == '*[System[Provider[@Name="O\'Neil Source"]]]'
    bad = EventFilter(providers=("both ' and \"",))
    assert any("cannot be written" in p for p in validate(bad))
    with pytest.raises(FilterError):
        to_log_queries(bad, ["N1"])


def test_to_log_queries_one_per_node_and_log() -> None:
    flt = EventFilter(logs=("System", LOG_FC_OPERATIONAL), max_events=123)
    queries = to_log_queries(flt, ["EXNODE1", "EXNODE2"])
    assert [(q.node, q.log) for q in queries] == [
        ("EXNODE1", "System"),
        ("EXNODE1", LOG_FC_OPERATIONAL),
        ("EXNODE2", "System"),
        ("EXNODE2", LOG_FC_OPERATIONAL),
    ]
    assert {q.max_events for q in queries} == {123}
    assert all(q.newest_first and q.xpath == wevtutil_xpath(flt) for q in queries)
    diagnostic = to_log_queries(EventFilter(logs=(LOG_FC_DIAGNOSTIC, "System")), ["EXNODE1"])
    assert [q.newest_first for q in diagnostic] == [False, True]  # debug channels read oldest first
    only_one = to_log_queries(EventFilter(nodes=("EXNODE2",)), ["EXNODE1", "EXNODE2"])
    assert {q.node for q in only_one} == {"EXNODE2"}
    with pytest.raises(FilterError):
        to_log_queries(EventFilter(), [])
    with pytest.raises(FilterError, match="Event IDs"):
        to_log_queries(EventFilter(event_ids="12-"), ["N"])


def test_validate_reports_problems() -> None:
    assert validate(EventFilter()) == []
    assert validate(EventFilter(logs=())) == ["Choose at least one event log."]
    naive = EventFilter(time_range=TimeRange.CUSTOM, since=datetime(2026, 1, 1))
    assert any("time zone" in p for p in validate(naive))
    backwards = EventFilter(
        time_range=TimeRange.CUSTOM,
        since=datetime(2026, 2, 1, tzinfo=UTC),
        until=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert any("start is after the end" in p for p in validate(backwards))
    many = EventFilter(
        providers=tuple(f"P{i}" for i in range(10)), event_ids=",".join(str(i) for i in range(25))
    )
    assert any("Windows allows 32" in p for p in validate(many))


# --- filter semantics in Python ---------------------------------------------------------------


def _event(**kw: object) -> Event:
    base: dict[str, object] = dict(
        node="EXNODE1",
        log="System",
        provider=FAILOVER_CLUSTERING,
        event_id=1069,
        level=EventLevel.ERROR,
        time_created=datetime(2026, 11, 25, 12, tzinfo=UTC),
    )
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def test_filter_matches_in_python() -> None:
    now = datetime(2026, 11, 25, 13, tzinfo=UTC)
    flt = EventFilter(providers=(FAILOVER_CLUSTERING,), event_ids="1000-1100,-1070")
    assert flt.matches(_event(), now)
    assert not flt.matches(_event(event_id=1070), now)
    assert not flt.matches(_event(level=EventLevel.INFORMATION), now)
    assert not flt.matches(_event(time_created=now - timedelta(days=2)), now)
    assert not flt.matches(_event(provider=MSEXCHANGE_REPL), now)
    assert not flt.matches(_event(log=LOG_FC_OPERATIONAL), now)
    info = EventFilter(levels=frozenset({EventLevel.INFORMATION}))
    assert info.matches(_event(level=EventLevel.LOG_ALWAYS), now)


def test_critical_events_presets_match_names_client_side() -> None:
    now = datetime(2026, 11, 25, 13, tzinfo=UTC)
    group = critical_events_filter(TargetKind.GROUP, "EXCH1", related=["EXCH1 Network Name"])
    assert group.levels == frozenset({EventLevel.CRITICAL, EventLevel.ERROR})
    assert group.time_range is TimeRange.LAST_24_HOURS
    assert "EXCH1" not in wevtutil_xpath(group)  # names are matched in Python, not by XPath
    assert group.matches(_event(data={"ResourceName": "EXCH1 Network Name", "ResourceGroup": "EXCH1"}), now)
    message = "Cluster resource 'x' in clustered service or application 'exch1' failed."
    assert group.matches(_event(message=message), now)
    assert not group.matches(_event(data={"ResourceGroup": "EXCH10"}), now)
    node = critical_events_filter(TargetKind.NODE, "EXNODE2")
    assert node.matches(_event(node="EXNODE1", data={"NodeName": "EXNODE2"}), now)
    assert node.matches(_event(node="EXNODE2"), now)
    assert not node.matches(_event(node="EXNODE1"), now)
    cluster = critical_events_filter(TargetKind.CLUSTER, "EXCLUS1")
    assert FAILOVER_CLUSTERING in cluster.providers and not cluster.mentions


# --- QueryList --------------------------------------------------------------------------------

_EV_SELECT = (
    "*[System[Provider[@Name='Microsoft-Windows-FailoverClustering' or @Name='MSExchangeRepl'] and "
    "(Level=1  or Level=2 or Level=4 or Level=0) and (EventID=1069 or  (EventID &gt;= 1200 and "
    "EventID &lt;= 1210) ) and TimeCreated[timediff(@SystemTime) &lt;= 604800000]]]"
)
# The spacing ("Level=1  or", "or  (") is Event Viewer's own.
EVENT_VIEWER_XML = f"""<QueryList>
  <Query Id="0" Path="System">
    <Select Path="System">{_EV_SELECT}</Select>
    <Select Path="Application">{_EV_SELECT}</Select>
    <Suppress Path="System">*[System[(EventID=1201)]]</Suppress>
    <Suppress Path="Application">*[System[(EventID=1201)]]</Suppress>
  </Query>
</QueryList>"""


def test_open_event_viewer_querylist() -> None:
    flt = from_querylist_xml(EVENT_VIEWER_XML)
    assert flt.logs == ("System", "Application")
    assert flt.providers == (FAILOVER_CLUSTERING, MSEXCHANGE_REPL)
    assert flt.levels == frozenset({EventLevel.CRITICAL, EventLevel.ERROR, EventLevel.INFORMATION})
    assert flt.event_ids == "1069,1200-1210,-1201"
    assert flt.time_range is TimeRange.LAST_7_DAYS


def test_open_custom_view_file_and_star() -> None:
    view = """<ViewerConfig><QueryConfig><QueryParams><Simple><Channel>System</Channel></Simple></QueryParams>
    <QueryNode><Name>Cluster</Name><QueryList><Query Id="0" Path="System"><Select Path="System">*</Select>
    </Query></QueryList></QueryNode></QueryConfig></ViewerConfig>"""
    flt = from_querylist_xml(view)
    assert flt.logs == ("System",) and flt.time_range is TimeRange.ANY
    assert select_xpath(flt) == "*"


filters = st.builds(
    EventFilter,
    nodes=st.lists(st.sampled_from(["EXNODE1", "EXNODE2", "NODE-3 x"]), unique=True, max_size=3).map(tuple),
    logs=st.lists(
        st.sampled_from(["System", "Application", LOG_FC_OPERATIONAL, "My Log"]),
        unique=True,
        min_size=1,
        max_size=4,
    ).map(tuple),
    levels=st.frozensets(
        st.sampled_from([EventLevel.CRITICAL, EventLevel.ERROR, EventLevel.WARNING, EventLevel.INFORMATION]),
        max_size=4,
    ),
    providers=st.lists(
        st.sampled_from([FAILOVER_CLUSTERING, MSEXCHANGE_REPL, "O'Neil", "A & B <c>"]),
        unique=True,
        max_size=3,
    ).map(tuple),
    event_ids=st.lists(ranges, max_size=6).map(lambda rs: IdSpec(tuple(rs)).format()),
    time_range=st.sampled_from([t for t in TimeRange if t is not TimeRange.CUSTOM]),
    max_events=st.sampled_from([5000, 100, 20000]),
    mentions=st.lists(st.sampled_from(["EXCH1", "--weird-- name"]), unique=True, max_size=2).map(tuple),
)


@given(filters)
def test_querylist_round_trip(flt: EventFilter) -> None:
    assert from_querylist_xml(to_querylist_xml(flt)) == flt


def test_querylist_round_trip_custom_times_and_exclusions(tmp_path: Path) -> None:
    flt = EventFilter(
        time_range=TimeRange.CUSTOM,
        since=datetime(2026, 11, 1, 6, tzinfo=UTC),
        until=datetime(2026, 11, 2, 6, tzinfo=UTC),
        event_ids="1-10,-5,-7-8",
    )
    target = tmp_path / "q.xml"
    save_querylist(flt, target)
    assert load_querylist(target) == flt
    assert [p.name for p in tmp_path.iterdir()] == ["q.xml"]  # no temp file left behind
    target.write_bytes(to_querylist_xml(flt).encode("utf-16"))
    assert load_querylist(target) == flt


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<QueryList>", "not well-formed"),
        ("<Foo/>", "no <QueryList>"),
        (
            '<QueryList><Query Id="0"><Select Path="System">*[System[Task=3]]</Select></Query></QueryList>',
            "unsupported XPath",
        ),
        (
            '<QueryList><Query Id="0"><Select Path="System">*</Select><Select Path="Application">'
            "*[System[Level=1]]</Select></Query></QueryList>",
            "different criteria",
        ),
        (
            '<QueryList><Query Id="0"><Select Path="System">*[System[TimeCreated[timediff(@SystemTime) '
            "&lt;= 1000]]]</Select></Query></QueryList>",
            "time span",
        ),
        ('<!DOCTYPE x [<!ENTITY a "b">]><QueryList/>', "refused"),
    ],
)
def test_querylist_errors(xml: str, fragment: str) -> None:
    with pytest.raises(QueryListError, match=fragment):
        from_querylist_xml(xml)


# --- knowledge table --------------------------------------------------------------------------


def test_knowledge_table_covers_the_important_events() -> None:
    assert len(event_knowledge.KNOWN_EVENTS) >= 20
    keys = [(k.provider, k.event_id) for k in event_knowledge.KNOWN_EVENTS]
    assert len(keys) == len(set(keys))
    for event_id in (1069, 1135, 1146, 1177, 1205, 1006, 1564, 1573, 1561):
        assert event_knowledge.lookup(FAILOVER_CLUSTERING, event_id) is not None, event_id
    assert "network" in event_knowledge.lookup("FailoverClustering", 1135).next_step  # type: ignore[union-attr]
    assert "permission" in event_knowledge.lookup(FAILOVER_CLUSTERING, 1564).next_step  # type: ignore[union-attr]
    assert "handed off" in event_knowledge.explain(MSEXCHANGE_REPL, 100)
    assert event_knowledge.lookup(FAILOVER_CLUSTERING, 4242) is None
    assert event_knowledge.explain("Some Source", 1135) == ""
