"""The XPath ccrgui generates, run by the lab's wevtutil, selects exactly what the filter means.

The reference is a plain Python filter written here over the lab's event store (not
`EventFilter.matches`, which shares code with the generator).  wevtutil runs in-process on a lab
node (no WinRM), so this isolates the query language: the lab implements Windows' XPath subset
independently of ccrgui's code.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import defusedxml.ElementTree as DET
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrgui.domain.eventquery import (
    FAILOVER_CLUSTERING,
    MSEXCHANGE_REPL,
    EventFilter,
    IdRange,
    IdSpec,
    TimeRange,
    count_expressions,
    to_log_queries,
    validate,
    xpath_older_than,
)
from ccrgui.domain.model import EventLevel

lab_mod = pytest.importorskip("ccrgui.lab.lab")
from ccrgui.lab.eventlog import TICKS_PER_SECOND, to_ticks  # noqa: E402
from ccrgui.lab.nodehost import NodeHost  # noqa: E402
from ccrgui.lab.process import ProcessIO  # noqa: E402
from ccrgui.lab.wevtutil import run_wevtutil  # noqa: E402

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
LOGS = ("System", "Application")


@pytest.fixture(scope="module")
def offline_lab() -> Iterator[Any]:
    """A lab that is built but not started: its journal, engine and nodes, no servers."""
    lab = lab_mod.Lab(events=3000, seed=7)
    # LogAlways (0) and Verbose (5) events are rare on real nodes and absent from the history;
    # write a few so the Information (= 4 or 0) and Verbose choices are really exercised.
    for node in lab.journal.nodes:
        for level in (0, 0, 5):
            lab.journal.write(
                node, "System", FAILOVER_CLUSTERING, 1201, level, data=[("ResourceGroup", "Cluster Group")]
            )
            lab.journal.write(
                node,
                "Application",
                MSEXCHANGE_REPL,
                2114,
                level,
                data=[("StorageGroup", "SG1"), ("Generation", "42")],
            )
    yield lab


def wevtutil_record_ids(lab: Any, node: str, log: str, xpath: str, count: int | None = None) -> list[int]:
    host = NodeHost(name=node, engine=lab.engine, journal=lab.journal, faults=lab.faults)
    account = next(a for a in lab.topology.accounts if a.admin)
    io = ProcessIO(codepage=65001)
    argv = ["wevtutil", "qe", log, f"/q:{xpath}", "/f:xml", "/rd:true", "/e:Events"]
    if count is not None:
        argv.append(f"/c:{count}")
    code = run_wevtutil(io, host, account, argv)
    io.finish(code)
    out = bytearray()
    err = bytearray()
    while True:
        drained = io.drain(1.0, max_bytes=1 << 24)
        for chunk in drained.chunks:
            (out if chunk.stream == "stdout" else err).extend(chunk.data)
        if drained.done or not drained.chunks:
            break
    assert code == 0, err.decode("utf-8", "replace")
    root = DET.fromstring(bytes(out).decode("utf-8"))
    return [int(e.findtext(f"{NS}System/{NS}EventRecordID") or "0") for e in root.iter(f"{NS}Event")]


def reference(
    lab: Any,
    node: str,
    log: str,
    *,
    providers: set[str],
    levels: set[int],
    include: list[tuple[int, int]],
    exclude: list[tuple[int, int]],
    low_ticks: int | None,
    high_ticks: int | None,
    fuzz: int,
) -> tuple[set[int], set[int]]:
    """(expected record ids, ids too close to a time boundary to judge)."""
    expected: set[int] = set()
    unsure: set[int] = set()
    for rec in lab.journal.records(node, log):
        if providers and rec.provider.casefold() not in providers:
            continue
        if levels and rec.level not in levels:
            continue
        if include and not any(lo <= rec.event_id <= hi for lo, hi in include):
            continue
        if any(lo <= rec.event_id <= hi for lo, hi in exclude):
            continue
        if low_ticks is not None and abs(rec.ticks - low_ticks) <= fuzz:
            unsure.add(rec.record_id)
            continue
        if high_ticks is not None and abs(rec.ticks - high_ticks) <= fuzz:
            unsure.add(rec.record_id)
            continue
        if low_ticks is not None and rec.ticks < low_ticks:
            continue
        if high_ticks is not None and rec.ticks > high_ticks:
            continue
        expected.add(rec.record_id)
    return expected, unsure


def present_ids(lab: Any) -> list[int]:
    return sorted({r.event_id for r in all_records(lab)})


def all_records(lab: Any) -> list[Any]:
    return [r for node in lab.journal.nodes for log in LOGS for r in lab.journal.records(node, log)]


LEVELS = [
    EventLevel.CRITICAL,
    EventLevel.ERROR,
    EventLevel.WARNING,
    EventLevel.INFORMATION,
    EventLevel.VERBOSE,
]
PROVIDERS = [
    FAILOVER_CLUSTERING,
    MSEXCHANGE_REPL,
    "Service Control Manager",
    "MSExchangeIS",
    "No Such Source",
]


@st.composite
def filters(draw: st.DrawFn, ids: list[int]) -> tuple[EventFilter, dict[str, Any]]:
    levels = draw(st.sets(st.sampled_from(LEVELS), max_size=4))
    providers = draw(st.lists(st.sampled_from(PROVIDERS), unique=True, max_size=3))
    id_or_near = st.one_of(
        st.sampled_from(ids), st.sampled_from(ids).map(lambda i: i + 1), st.integers(0, 9000)
    )

    def pairs(n: int) -> st.SearchStrategy[list[tuple[int, int]]]:
        # Ranges whose ends sit exactly on IDs that occur, to catch off-by-one comparisons.
        return st.lists(st.tuples(id_or_near, id_or_near).map(lambda t: (min(t), max(t))), max_size=n)

    include = draw(st.lists(id_or_near.map(lambda i: (i, i)), max_size=4)) + draw(pairs(2))
    exclude = draw(st.lists(id_or_near.map(lambda i: (i, i)), max_size=2)) + draw(pairs(1))
    time_range = draw(st.sampled_from(list(TimeRange)))
    now = datetime.now(UTC)
    since = until = None
    if time_range is TimeRange.CUSTOM:
        a = now - timedelta(hours=draw(st.integers(1, 24 * 40)))
        b = a + timedelta(hours=draw(st.integers(1, 24 * 20)))
        since, until = a.replace(microsecond=0), b.replace(microsecond=0)
        if draw(st.booleans()):
            until = None
    spec = IdSpec(tuple(IdRange(lo, hi) for lo, hi in include), tuple(IdRange(lo, hi) for lo, hi in exclude))
    flt = EventFilter(
        logs=LOGS,
        levels=frozenset(levels),
        providers=tuple(providers),
        event_ids=spec.format(),
        time_range=time_range,
        since=since,
        until=until,
    )
    plain_levels = {int(lv) for lv in levels} | ({0} if EventLevel.INFORMATION in levels else set())
    if len(levels) == len(LEVELS):
        plain_levels = set()
    return flt, {
        "providers": {p.casefold() for p in providers},
        "levels": plain_levels,
        "include": include,
        "exclude": exclude,
    }


def bounds(flt: EventFilter) -> tuple[int | None, int | None]:
    now = datetime.now(UTC)
    if flt.time_range is TimeRange.ANY:
        return None, None
    if flt.time_range is TimeRange.CUSTOM:
        low = to_ticks(flt.since) if flt.since else None
        high = to_ticks(flt.until) + TICKS_PER_SECOND if flt.until else None  # .999 covers the second
        return low, high
    return to_ticks(now - timedelta(milliseconds=flt.time_range.value)), None


def test_lab_history_has_what_the_filters_need(offline_lab: Any) -> None:
    records = all_records(offline_lab)
    assert {r.provider for r in records} >= {FAILOVER_CLUSTERING, MSEXCHANGE_REPL}
    assert {r.level for r in records} >= {1, 2, 3, 4}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_xpath_selects_exactly_the_filtered_events(offline_lab: Any, data: st.DataObject) -> None:
    flt, plain = data.draw(filters(present_ids(offline_lab)))
    low, high = bounds(flt)
    for query in to_log_queries(flt, offline_lab.journal.nodes):
        got = wevtutil_record_ids(offline_lab, query.node, query.log, query.xpath)
        expected, unsure = reference(
            offline_lab,
            query.node,
            query.log,
            low_ticks=low,
            high_ticks=high,
            fuzz=10 * TICKS_PER_SECOND,
            **plain,
        )
        assert set(got) - unsure == expected, (query.xpath, sorted(set(got) ^ expected)[:10])
        assert got == sorted(got, reverse=True)  # newest first


@pytest.mark.parametrize(
    ("levels", "providers", "event_ids"),
    [
        ({EventLevel.INFORMATION}, (), ""),  # Information also selects LogAlways (Level=0)
        ({EventLevel.VERBOSE}, (), ""),
        ({EventLevel.CRITICAL, EventLevel.ERROR}, (FAILOVER_CLUSTERING,), ""),
        (set(), (), "1135-1201"),  # range ends on IDs that occur
        (set(), (), "-1135-1201"),
        (set(), (), "1201,-1201"),
        (set(), (MSEXCHANGE_REPL, "Service Control Manager"), "-7036"),
        (set(LEVELS), (), "7036,1069-1069,2114"),
    ],
)
def test_generated_xpath_on_chosen_filters(
    offline_lab: Any, levels: set[EventLevel], providers: tuple[str, ...], event_ids: str
) -> None:
    flt = EventFilter(
        logs=LOGS,
        levels=frozenset(levels),
        providers=providers,
        event_ids=event_ids,
        time_range=TimeRange.ANY,
    )
    spec = flt.id_spec
    plain_levels = {int(lv) for lv in levels} | ({0} if EventLevel.INFORMATION in levels else set())
    plain: dict[str, Any] = {
        "providers": {p.casefold() for p in providers},
        "levels": set() if len(levels) == len(LEVELS) else plain_levels,
        "include": [(r.low, r.high) for r in spec.include],
        "exclude": [(r.low, r.high) for r in spec.exclude],
    }
    found = 0
    for query in to_log_queries(flt, offline_lab.journal.nodes):
        got = wevtutil_record_ids(offline_lab, query.node, query.log, query.xpath)
        expected, _ = reference(
            offline_lab, query.node, query.log, low_ticks=None, high_ticks=None, fuzz=0, **plain
        )
        assert set(got) == expected, (query.xpath, sorted(set(got) ^ expected)[:10])
        found += len(got)
    assert found or event_ids == "1201,-1201"  # the cases are chosen to select something


def test_load_more_pages_by_record_id(offline_lab: Any) -> None:
    node = offline_lab.journal.nodes[0]
    flt = EventFilter(logs=("System",), levels=frozenset(), time_range=TimeRange.ANY)
    query = to_log_queries(flt, [node])[0]
    assert query.xpath == "*"
    everything = wevtutil_record_ids(offline_lab, node, "System", query.xpath)
    assert len(everything) == len(offline_lab.journal.records(node, "System")) > 50
    first = wevtutil_record_ids(offline_lab, node, "System", query.xpath, count=20)
    assert first == everything[:20]
    next_page = xpath_older_than(query.xpath, min(first))
    second = wevtutil_record_ids(offline_lab, node, "System", next_page, count=20)
    assert second == everything[20:40]


def test_lab_written_event_found_by_exact_filter(offline_lab: Any) -> None:
    node = offline_lab.journal.nodes[1]
    rec = offline_lab.journal.write(
        node,
        "System",
        FAILOVER_CLUSTERING,
        1564,
        1,
        data=[("ResourceName", "File Share Witness"), ("SharePath", "\\\\HUB1\\FSW")],
    )
    flt = EventFilter(
        logs=("System",),
        levels=frozenset({EventLevel.CRITICAL}),
        providers=(FAILOVER_CLUSTERING,),
        event_ids="1564",
        time_range=TimeRange.LAST_HOUR,
    )
    query = to_log_queries(flt, [node])[0]
    got = wevtutil_record_ids(offline_lab, node, "System", query.xpath)
    assert got[0] == rec.record_id
    excluded = to_log_queries(
        EventFilter(logs=("System",), levels=frozenset(), event_ids="-1564", time_range=TimeRange.LAST_HOUR),
        [node],
    )[0]
    assert rec.record_id not in wevtutil_record_ids(offline_lab, node, "System", excluded.xpath)


def test_expression_limit_matches_windows_and_leaves_room_for_paging(offline_lab: Any) -> None:
    node = offline_lab.journal.nodes[0]
    ids = ",".join(str(1000 + i) for i in range(27))  # + 3 levels + 1 time = 31 expressions
    flt = EventFilter(logs=("System",), event_ids=ids)
    assert validate(flt) == []
    query = to_log_queries(flt, [node])[0]
    paged = xpath_older_than(query.xpath, 10_000)
    assert count_expressions(paged) == 32
    wevtutil_record_ids(offline_lab, node, "System", paged)  # accepted by the lab (exit 0)
    one_more = EventFilter(logs=("System",), event_ids=ids + ",2000")
    assert any("Windows allows 32" in p for p in validate(one_more))
