"""The lab's event journal: message table, writes, rendering in the real schema, background history."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import defusedxml.ElementTree as DET
import pytest

from ccrgui.lab import event_messages as em
from ccrgui.lab.eventlog import (
    EVENT_NS,
    EventJournal,
    EventRecord,
    format_system_time,
    generate_history,
    render_text,
    render_xml,
    to_ticks,
)
from ccrgui.lab.topology import default_topology

NS = {"e": EVENT_NS}
END = datetime(2026, 11, 25, 21, 49, 3, 123456, tzinfo=UTC)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t


@pytest.fixture
def journal() -> EventJournal:
    return EventJournal(default_topology(), history=0, clock=FixedClock(END))


def _sample_data(d: em.MessageDef) -> list[tuple[str, str]]:
    return [(name, f"<v{i} & '{name}'>") for i, name in enumerate(d.data_names, 1)]


@pytest.mark.parametrize("d", em.MESSAGES_LIST, ids=lambda d: f"{d.provider}-{d.event_id}")
def test_every_message_renders_in_the_event_schema(journal: EventJournal, d: em.MessageDef) -> None:
    prov = em.PROVIDERS[d.provider]
    rec = journal.write("EXNODE1", prov.channel, d.provider, d.event_id, d.level, data=_sample_data(d))
    message = rec.message
    assert not re.search(r"%\d", message), message
    for _, value in _sample_data(d):
        if f"%{d.data_names.index(_) + 1}" in d.template:
            assert value in message
    xml = render_xml(rec, journal.computer("EXNODE1"), rendered=True)
    root = DET.fromstring(xml)
    assert root.tag == f"{{{EVENT_NS}}}Event"
    system = root.find("e:System", NS)
    assert system is not None
    names = [child.tag.split("}")[1] for child in system]
    # Every record, classic or manifest-based, renders the full System block (real 6013 XML).
    assert names == [
        "Provider", "EventID", "Version", "Level", "Task", "Opcode", "Keywords", "TimeCreated",
        "EventRecordID", "Correlation", "Execution", "Channel", "Computer", "Security",
    ]  # fmt: skip
    execution = system.find("e:Execution", NS)
    assert execution is not None
    if prov.classic:
        assert (execution.get("ProcessID"), execution.get("ThreadID")) == ("0", "0")
    else:
        assert execution.get("ProcessID") != "0"
    event_id = system.find("e:EventID", NS)
    assert event_id is not None and event_id.text == str(d.event_id)
    assert (event_id.get("Qualifiers") is not None) == prov.qualifiers
    assert system.findtext("e:Level", namespaces=NS) == str(d.level)
    assert system.findtext("e:Computer", namespaces=NS) == "EXNODE1.contoso.com"
    provider = system.find("e:Provider", NS)
    assert provider is not None and provider.get("Name") == d.provider
    data = root.findall("e:EventData/e:Data", NS)
    assert [x.text for x in data] == [v for _, v in _sample_data(d)]
    if prov.named_data:
        assert [x.get("Name") for x in data] == list(d.data_names)
    else:
        assert all(x.get("Name") is None for x in data)
    # An XML parser normalises the message's CRLF line breaks to LF.
    assert root.findtext("e:RenderingInfo/e:Message", namespaces=NS) == message.replace("\r\n", "\n")
    assert root.findtext("e:RenderingInfo/e:Task", namespaces=NS) == d.task_name


def test_every_message_has_a_known_wording_source() -> None:
    sources = {v for k, v in vars(em).items() if k.startswith("WORDING_")}
    for d in em.MESSAGES_LIST:
        assert any(d.wording.startswith(s) for s in sources), d
        assert d.provider in em.PROVIDERS
        highest = max((int(n) for n in re.findall(r"%(\d+)", d.template)), default=0)
        assert highest <= len(d.data_names), d


def test_ws2008_wording_is_used_where_known() -> None:
    assert (
        em.lookup(em.FAILOVER_CLUSTERING, 1069).render(
            {"ResourceName": "Cluster Disk 4", "ResourceGroup": "Cluster Group"}
        )
        == "Cluster resource 'Cluster Disk 4' in clustered service or application 'Cluster Group' failed."
    )
    assert "clustered role" not in " ".join(d.template for d in em.MESSAGES_LIST)
    d1135 = em.lookup(em.FAILOVER_CLUSTERING, 1135)
    assert (d1135.level, d1135.task_name) == (em.CRITICAL, "Node Mgr")
    d1177 = em.lookup(em.FAILOVER_CLUSTERING, 1177)
    assert (d1177.level, d1177.task_name) == (em.CRITICAL, "Quorum Manager")


def test_write_rejects_unknown_data_names_and_logs(journal: EventJournal) -> None:
    with pytest.raises(ValueError, match="NodeNme"):
        journal.write("EXNODE1", "System", em.FAILOVER_CLUSTERING, 1135, 1, data=[("NodeNme", "x")])
    with pytest.raises(KeyError):
        journal.write("EXNODE1", "Securityy", em.FAILOVER_CLUSTERING, 1135, 1, data=[("NodeName", "x")])
    with pytest.raises(KeyError):
        journal.write("NOPE", "System", em.FAILOVER_CLUSTERING, 1135, 1, data=[("NodeName", "x")])


def test_record_ids_rise_per_node_and_log(journal: EventJournal) -> None:
    a = [journal.write("EXNODE1", "System", em.SCM, 7036, 4, data=[("param1", "X"), ("param2", "running")])
         for _ in range(3)]  # fmt: skip
    b = journal.write("exnode1", "application", em.MSEXCHANGEREPL, 2072, 4, data=[("StorageGroup", "SG")])
    c = journal.write("EXNODE2", "System", em.SCM, 7036, 4, data=[("param1", "X"), ("param2", "stopped")])
    assert [r.record_id for r in a] == [1, 2, 3]
    assert (b.record_id, b.log, b.node) == (1, "Application", "EXNODE1")
    assert (c.record_id, c.node) == (1, "EXNODE2")
    assert journal.records("EXNODE1", "System") == a


def test_write_keeps_the_table_order_of_data(journal: EventJournal) -> None:
    rec = journal.write(
        "EXNODE1", "System", em.FAILOVER_CLUSTERING, 1069, 2,
        data=[("ResourceGroup", "EXCH1"), ("ResourceName", "Network Name (EXCH1)")],
    )  # fmt: skip
    assert rec.data == (("ResourceName", "Network Name (EXCH1)"), ("ResourceGroup", "EXCH1"))


def test_write_is_thread_safe(journal: EventJournal) -> None:
    per_thread, threads = 300, 8

    def work(n: int) -> None:
        for i in range(per_thread):
            journal.write(
                "EXNODE2", "System", em.SCM, 7036, 4, data=[("param1", f"t{n}-{i}"), ("param2", "running")]
            )

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    recs = journal.records("EXNODE2", "System")
    assert [r.record_id for r in recs] == list(range(1, per_thread * threads + 1))
    assert len({r.data[0][1] for r in recs}) == per_thread * threads
    ticks = [r.ticks for r in recs]
    assert ticks == sorted(ticks)


def test_system_time_format_and_quantisation(journal: EventJournal) -> None:
    rec = journal.write("EXNODE1", "System", em.EVENTLOG, 6005, 4)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", rec.system_time)
    assert rec.ticks % 156_250 == 0  # the 15.625 ms system tick
    assert abs(rec.time_created - END) < timedelta(milliseconds=16)
    assert format_system_time(to_ticks(datetime(2026, 1, 2, 3, 4, 5, 593750, tzinfo=UTC))) == (
        "2026-01-02T03:04:05.593750000Z"
    )
    explicit = journal.write("EXNODE1", "System", em.EVENTLOG, 6006, 4, when=END - timedelta(days=1))
    assert explicit.time_created == END - timedelta(days=1)


def test_text_rendering_layout(journal: EventJournal) -> None:
    rec = journal.write("EXNODE1", "System", em.FAILOVER_CLUSTERING, 1135, 1, data=[("NodeName", "EXNODE2")])
    text = render_text(rec, journal.computer("EXNODE1"), 7)
    lines = text.split("\r\n")
    assert lines[:13] == [
        "Event[7]:",
        "  Log Name: System",
        "  Source: Microsoft-Windows-FailoverClustering",
        f"  Date: {rec.time_created:%Y-%m-%dT%H:%M:%S}.{rec.time_created.microsecond // 1000:03d}",
        "  Event ID: 1135",
        "  Task: Node Mgr",
        "  Level: Critical",
        "  Opcode: Info",
        "  Keyword: N/A",
        "  User: S-1-5-18",
        "  User Name: NT AUTHORITY\\SYSTEM",
        "  Computer: EXNODE1.contoso.com",
        "  Description:",
    ]
    assert lines[13].startswith(
        "Cluster node 'EXNODE2' was removed from the active failover cluster membership."
    )
    assert text.endswith("\r\n\r\n") and "\n" not in text.replace("\r\n", "")


def test_classic_event_text_shows_classic_keyword(journal: EventJournal) -> None:
    rec = journal.write("EXNODE1", "Application", em.MSEXCHANGEREPL, 2071, 4,
                        data=[("StorageGroup", "SG1"), ("Comment", "line1\nline2")])  # fmt: skip
    text = render_text(rec, "EXNODE1.contoso.com", 0)
    assert "  Keyword: Classic\r\n" in text and "  Task: Service\r\n" in text
    assert "line1\r\nline2" in text


def test_history_is_deterministic_sized_and_spread() -> None:
    topo = default_topology()
    a = list(generate_history(topo, 3000, seed=7, end=END))
    b = list(generate_history(topo, 3000, seed=7, end=END))
    c = list(generate_history(topo, 3000, seed=8, end=END))
    assert a == b
    assert a != c
    assert len(a) == 3000
    end_ticks, start_ticks = to_ticks(END), to_ticks(END - timedelta(days=30))
    assert all(start_ticks <= p.ticks <= end_ticks for p in a)
    assert [p.ticks for p in a] == sorted(p.ticks for p in a)
    levels = Counter(p.level for p in a)
    assert levels[4] > levels[2] > 0 and levels[1] > 0 and levels[3] > 0
    assert levels[4] / len(a) > 0.8
    kinds = {(p.provider, p.event_id) for p in a}
    assert {(em.SCM, 7036), (em.FAILOVER_CLUSTERING, 1069), (em.MSEXCHANGEREPL, 2114)} <= kinds
    assert {p.node for p in a} == {"EXNODE1", "EXNODE2"}
    for p in a:  # every generated event is a valid write
        d = em.lookup(p.provider, p.event_id)
        assert [n for n, _ in p.data] == [n for n in d.data_names if n in dict(p.data)]


def test_journal_history_loads_with_increasing_record_ids() -> None:
    j1 = EventJournal(default_topology(), history=2000, seed=3, clock=FixedClock(END))
    j2 = EventJournal(default_topology(), history=2000, seed=3, clock=FixedClock(END))
    assert len(j1) == 2000
    for node in j1.nodes:
        for log in j1.logs:
            recs = j1.records(node, log)
            assert [r.record_id for r in recs] == list(range(1, len(recs) + 1))
            other = j2.records(node, log)
            assert [(r.provider, r.event_id, r.data, r.ticks, r.pid) for r in recs] == [
                (r.provider, r.event_id, r.data, r.ticks, r.pid) for r in other
            ]
    live = j1.write("EXNODE1", "System", em.EVENTLOG, 6005, 4)
    assert live.record_id == len(j1.records("EXNODE1", "System"))
    assert live.ticks >= j1.records("EXNODE1", "System")[-2].ticks


def test_large_history_generation_speed() -> None:
    """100k events must build in seconds; the time is printed (a shared machine varies)."""
    started = time.perf_counter()
    journal = EventJournal(default_topology(), history=100_000, seed=1, clock=FixedClock(END))
    elapsed = time.perf_counter() - started
    print(f"\n100,000 background events generated in {elapsed:.2f} s")
    assert len(journal) == 100_000


def test_scm_event_has_the_layout_of_real_evtrender_output() -> None:
    """A real 7036 as EvtRender printed it (public agent test fixtures, a 2013 Windows host), with
    the values of this record; the <Binary> element newer builds append is not on WS2008."""
    ticks = to_ticks(datetime(2013, 8, 22, 14, 51, 44, 205667, tzinfo=UTC)) + 3
    rec = EventRecord(
        "EXNODE1", "System", 2, em.SCM, 7036, 4, 0, ticks,
        (("param1", "Windows Event Log"), ("param2", "stopped")), 516, 1792,
    )  # fmt: skip
    expected = (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' "
        "EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID>"
        "<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>"
        "<Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2013-08-22T14:51:44.205667300Z'/>"
        "<EventRecordID>2</EventRecordID><Correlation/><Execution ProcessID='516' ThreadID='1792'/>"
        "<Channel>System</Channel><Computer>windows-n7iefg2</Computer><Security/></System>"
        "<EventData><Data Name='param1'>Windows Event Log</Data><Data Name='param2'>stopped</Data>"
        "</EventData></Event>"
    )
    assert render_xml(rec, "windows-n7iefg2") == expected
    rendered = render_xml(rec, "windows-n7iefg2", rendered=True)
    assert rendered.endswith(
        "</EventData><RenderingInfo Culture='en-US'><Message>The Windows Event Log service entered the "
        "stopped state.</Message><Level>Information</Level><Task></Task><Opcode></Opcode><Channel></Channel>"
        "<Provider>Microsoft-Windows-Service Control Manager</Provider><Keywords><Keyword>Classic</Keyword>"
        "</Keywords></RenderingInfo></Event>"
    )
    text = render_text(rec, "windows-n7iefg2", 0)
    assert "  Task: N/A\r\n" in text and "  Opcode: N/A\r\n" in text and "  Keyword: Classic\r\n" in text


def test_classic_text_block_matches_real_wevtutil_layout(journal: EventJournal) -> None:
    """Real `wevtutil qe Application /f:text` of a classic source (WLMS event 100, 2020) reads
    Task: None, Opcode: Info, Keyword: Classic, User: N/A, then the message after Description:."""
    rec = journal.write("EXNODE1", "System", em.EVENTLOG, 6005, 4)
    assert render_text(rec, "WIN-1O0UJBNP9G7", 0) == (
        "Event[0]:\r\n"
        "  Log Name: System\r\n"
        "  Source: EventLog\r\n"
        f"  Date: {rec.time_created:%Y-%m-%dT%H:%M:%S}.{rec.time_created.microsecond // 1000:03d}\r\n"
        "  Event ID: 6005\r\n"
        "  Task: None\r\n"
        "  Level: Information\r\n"
        "  Opcode: Info\r\n"
        "  Keyword: Classic\r\n"
        "  User: N/A\r\n"
        "  User Name: N/A\r\n"
        "  Computer: WIN-1O0UJBNP9G7\r\n"
        "  Description:\r\n"
        "The Event log service was started.\r\n"
        "\r\n"
    )
