"""wevtutil on a lab node: qe formats and options, errors and exit codes, el/gl/gli."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import defusedxml.ElementTree as DET
import pytest

from ccrgui.lab import event_messages as em
from ccrgui.lab.eventlog import EVENT_NS, EventJournal
from ccrgui.lab.faults import Costs, Faults
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.topology import Account, default_topology
from ccrgui.lab.wevtutil import CHANNELS, run_wevtutil

if TYPE_CHECKING:
    from ccrgui.lab.nodehost import NodeHost

NS = {"e": EVENT_NS}
BAD_PARAM = "\r\n\r\nThe parameter is incorrect.\r\n"
NOT_FOUND = "The specified channel could not be found. Check channel configuration."
END = datetime(2026, 11, 25, 21, 0, 0, tzinfo=UTC)
TOPOLOGY = default_topology()
ADMIN = TOPOLOGY.accounts[0]
HELPDESK = TOPOLOGY.accounts[1]


class FixedClock:
    def now(self) -> datetime:
        return END


@dataclass
class FakeHost:
    """The part of a NodeHost wevtutil uses."""

    name: str
    journal: EventJournal
    faults: Faults = field(default_factory=Faults)
    engine: object = None


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def journal() -> EventJournal:
    j = EventJournal(TOPOLOGY, history=3000, seed=11, clock=FixedClock())
    j.write("EXNODE1", "System", em.FAILOVER_CLUSTERING, 1135, 1, data=[("NodeName", "EXNODE2")])
    j.write(
        "EXNODE1",
        "System",
        em.FAILOVER_CLUSTERING,
        1069,
        2,
        data=[
            ("ResourceName", "File Share Witness (\\\\HUB1\\FSW_EXCH1)"),
            ("ResourceGroup", "Cluster Group"),
        ],
    )
    return j


class PoweredOff:
    """An engine stand-in whose listed nodes are switched off."""

    def __init__(self, *off: str) -> None:
        self.off = {n.casefold() for n in off}

    def node_is_powered(self, node: str) -> bool:
        return node.casefold() not in self.off


def run(journal: EventJournal, *args: str, node: str = "EXNODE1", account: Account = ADMIN,
        faults: Faults | None = None, engine: object = None) -> Result:  # fmt: skip
    io = ProcessIO(437)
    host = cast("NodeHost", FakeHost(node, journal, faults or Faults(), engine))
    code = run_wevtutil(io, host, account, ["wevtutil", *args])
    out, err = bytearray(), bytearray()
    while True:
        drained = io.drain(0)
        if not drained.chunks:
            break
        for chunk in drained.chunks:
            (out if chunk.stream == "stdout" else err).extend(chunk.data)
    return Result(code, out.decode("cp437"), err.decode("cp437"))


def _events(xml: str) -> list[DET.Element]:
    root = DET.fromstring(f"<Root>{xml}</Root>")
    return list(root)


def _record_ids(xml: str) -> list[int]:
    return [int(e.findtext("e:System/e:EventRecordID", namespaces=NS) or 0) for e in _events(xml)]


def test_qe_xml_count_and_direction(journal: EventJournal) -> None:
    total = len(journal.records("EXNODE1", "System"))
    oldest = run(journal, "qe", "System", "/c:3", "/f:xml")
    assert oldest.code == 0 and oldest.err == ""
    assert _record_ids(oldest.out) == [1, 2, 3]
    newest = run(journal, "qe", "System", "/c:3", "/rd:true", "/f:xml")
    assert _record_ids(newest.out) == [total, total - 1, total - 2]
    # Bare <Event> elements back to back, one CRLF at the end: not one document without /e.
    assert newest.out.startswith(f"<Event xmlns='{EVENT_NS}'>")
    assert newest.out.count("\r\n") == 1 and newest.out.endswith("</Event>\r\n")
    assert "</Event><Event " in newest.out


def test_qe_element_wraps_in_a_root(journal: EventJournal) -> None:
    res = run(journal, "qe", "System", "/c:4", "/rd:true", "/f:xml", "/e:Events")
    root = DET.fromstring(res.out)
    assert root.tag == "Events" and len(root) == 4
    assert all(child.tag == f"{{{EVENT_NS}}}Event" for child in root)
    empty = run(journal, "qe", "System", "/q:*[System[EventID=4242]]", "/f:xml", "/e:root")
    assert (empty.code, empty.out) == (0, "<root></root>\r\n")


def test_qe_query_filters_with_long_and_dash_option_names(journal: EventJournal) -> None:
    q = "*[System[Provider[@Name='Microsoft-Windows-FailoverClustering'] and (EventID=1069 or EventID=1135)]]"
    res = run(journal, "query-events", "system", f"/query:{q}", "-format:XML", "/reversedirection:true")
    expected = [
        r.record_id
        for r in reversed(journal.records("EXNODE1", "System"))
        if r.provider == em.FAILOVER_CLUSTERING and r.event_id in (1069, 1135)
    ]
    assert expected and _record_ids(res.out) == expected
    first = _events(res.out)[0]
    assert first.findtext("e:System/e:Level", namespaces=NS) == "2"
    data = first.findall("e:EventData/e:Data", NS)
    assert [(d.get("Name"), d.text) for d in data] == [
        ("ResourceName", "File Share Witness (\\\\HUB1\\FSW_EXCH1)"),
        ("ResourceGroup", "Cluster Group"),
    ]
    assert first.findtext("e:System/e:Computer", namespaces=NS) == "EXNODE1.contoso.com"


def test_qe_rendered_xml_carries_the_message(journal: EventJournal) -> None:
    res = run(journal, "qe", "System", "/q:*[System[EventID=1135]]", "/rd:true", "/c:1", "/f:RenderedXml")
    (event,) = _events(res.out)
    msg = event.findtext("e:RenderingInfo/e:Message", namespaces=NS) or ""
    assert msg.startswith("Cluster node 'EXNODE2' was removed from the active failover cluster membership.")
    assert event.findtext("e:RenderingInfo/e:Level", namespaces=NS) == "Critical"
    assert event.findtext("e:RenderingInfo/e:Task", namespaces=NS) == "Node Mgr"


def test_qe_text_is_the_default_format(journal: EventJournal) -> None:
    res = run(journal, "qe", "System", "/c:2", "/rd:true")
    blocks = res.out.split("\r\n\r\n")
    assert blocks[-1] == "" and len(blocks) == 3
    first = blocks[0].split("\r\n")
    assert first[0] == "Event[0]:" and blocks[1].startswith("Event[1]:\r\n")
    assert [line.split(":")[0] for line in first[1:13]] == [
        "  Log Name", "  Source", "  Date", "  Event ID", "  Task", "  Level", "  Opcode", "  Keyword",
        "  User", "  User Name", "  Computer", "  Description",
    ]  # fmt: skip
    assert first[1:3] == ["  Log Name: System", "  Source: Microsoft-Windows-FailoverClustering"]
    assert re.fullmatch(r"  Date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", first[3])
    witness = "File Share Witness (\\\\HUB1\\FSW_EXCH1)"
    assert (
        first[13]
        == f"Cluster resource '{witness}' in clustered service or application 'Cluster Group' failed."
    )
    # /e only applies to XML.
    assert run(journal, "qe", "System", "/c:1", "/f:text", "/e:root").out.startswith("Event[0]:")


def test_qe_no_match_prints_nothing(journal: EventJournal) -> None:
    for fmt in ("text", "xml", "RenderedXml"):
        res = run(journal, "qe", "System", "/q:*[System[(Bogus=1)]]", f"/f:{fmt}")
        assert (res.code, res.out, res.err) == (0, "", "")


def test_qe_timediff_against_the_lab_clock(journal: EventJournal) -> None:
    res = run(journal, "qe", "Application", "/q:*[System[TimeCreated[timediff(@SystemTime) <= 86400000]]]",
              "/f:xml")  # fmt: skip
    day_ago = END - timedelta(days=1)
    expected = [r.record_id for r in journal.records("EXNODE1", "Application") if r.time_created >= day_ago]
    assert expected and _record_ids(res.out) == expected


def test_qe_remote_option_reads_the_other_node(journal: EventJournal) -> None:
    res = run(journal, "qe", "System", "/r:EXNODE2.contoso.com", "/c:1", "/f:xml")
    (event,) = _events(res.out)
    assert event.findtext("e:System/e:Computer", namespaces=NS) == "EXNODE2.contoso.com"
    bad = run(journal, "qe", "System", "/r:NOSUCH", "/c:1")
    assert bad.code == 1722 and "The RPC server is unavailable." in bad.err
    off = run(journal, "qe", "System", "/r:EXNODE2", "/c:1", engine=PoweredOff("EXNODE2"))
    assert (off.code, off.out) == (1722, "")
    assert off.err == (
        "The RPC server is unavailable.\r\n\r\n"
        "Failed to open event query.\r\n"
        "The RPC server is unavailable.\r\n"
    )


@pytest.mark.parametrize(
    ("args", "code", "err"),
    [
        (("qe", "NoSuchLog"), 15007,
         "The specified channel could not be found. Check channel configuration.\r\n\r\n"
         "Failed to open event query.\r\n"
         "The specified channel could not be found. Check channel configuration.\r\n"),
        (("qe", "System", "/q:*[System["), 15001,
         "A syntax error occurred at position 9\r\n\r\nFailed to open event query.\r\n"
         "The specified query is invalid.\r\n"),
        (("qe", "System", "/q:*[System[not(Level=1)]]"), 15001, None),
        (("qe", "System", "/c:0"), 87, "Invalid value for property count." + BAD_PARAM),
        (("qe", "System", "/c:-5"), 87, "Invalid value for property count." + BAD_PARAM),
        (("qe", "System", "/f:json"), 87, "Invalid value for option f." + BAD_PARAM),
        (("qe", "System", "/zz:true"), 87, "Invalid option zz. Option is not valid.\r\n\r\n"
                                           "The parameter is incorrect.\r\n"),
        (("qe", "System", "/rd:maybe"), 87, "Invalid option rd. Option is not Boolean.\r\n\r\n"
                                            "The parameter is incorrect.\r\n"),
        (("qe",), 87, "Required argument(s) is/are not specified.\r\n\r\nThe parameter is incorrect.\r\n"),
        (("qe", "System", "Application"), 87, "Too many arguments are specified.\r\n\r\n"
                                              "The parameter is incorrect.\r\n"),
        (("qe", em.FC_DIAGNOSTIC), 15022, None),
        (("qe", "C:\\x.evtx", "/lf:true"), 3, "The system cannot find the path specified.\r\n"),
        (("gli", "NoSuchLog"), 15007, "Failed to read log status information for log NoSuchLog.\r\n\r\n"
                                      + NOT_FOUND + "\r\n"),
    ],
)  # fmt: skip
def test_errors_and_exit_codes(
    journal: EventJournal, args: tuple[str, ...], code: int, err: str | None
) -> None:
    res = run(journal, *args)
    assert res.code == code
    assert res.out == ""
    if err is not None:
        assert res.err == err
    else:
        assert res.err.endswith("\r\n") and "Failed to open event query." in res.err


def test_non_administrators_are_refused(journal: EventJournal) -> None:
    res = run(journal, "qe", "System", "/c:1", account=HELPDESK)
    assert (res.code, res.out) == (5, "")
    assert res.err == "Access is denied.\r\n\r\nFailed to open event query.\r\nAccess is denied.\r\n"
    assert run(journal, "qe", "Application", "/c:1", account=HELPDESK).code == 5
    # Listing channels needs no access to their contents.
    assert run(journal, "el", account=HELPDESK).code == 0


def test_enum_logs(journal: EventJournal) -> None:
    res = run(journal, "el")
    names = res.out.split("\r\n")
    assert names[-1] == "" and names[:-1] == list(CHANNELS)
    for log in journal.logs:
        assert log in names
    assert names[:-1] == sorted(names[:-1], key=str.casefold)


def test_enum_publishers_lists_the_event_sources(journal: EventJournal) -> None:
    res = run(journal, "enum-publishers")
    names = res.out.split("\r\n")[:-1]
    assert set(em.PROVIDERS) <= set(names)
    assert names == sorted(names, key=str.casefold)
    assert run(journal, "cl", "System").code == 5


def test_get_log_info_counts_records(journal: EventJournal) -> None:
    res = run(journal, "gli", "Application")
    fields = dict(line.split(": ", 1) for line in res.out.split("\r\n") if line)
    assert list(fields) == [
        "creationTime", "lastAccessTime", "lastWriteTime", "fileSize", "attributes", "numberOfLogRecords",
        "oldestRecordNumber",
    ]  # fmt: skip
    assert int(fields["numberOfLogRecords"]) == len(journal.records("EXNODE1", "Application"))
    assert fields["oldestRecordNumber"] == "1"
    gl = run(journal, "gl", "system")
    assert gl.out.startswith("name: System\r\nenabled: true\r\ntype: Admin\r\n")


def test_unicode_option_writes_utf16(journal: EventJournal) -> None:
    io = ProcessIO(437)
    host = cast("NodeHost", FakeHost("EXNODE1", journal))
    assert run_wevtutil(io, host, ADMIN, ["wevtutil", "qe", "System", "/c:1", "/f:xml", "/uni:true"]) == 0
    data = b"".join(c.data for c in io.drain(0).chunks)
    text = data.decode("utf-16-le")
    assert text.startswith("<Event xmlns=") and text.endswith("</Event>\r\n")
    plain = run(journal, "qe", "System", "/c:1", "/f:xml")
    assert text == plain.out


def test_usage_and_costs(journal: EventJournal) -> None:
    assert run(journal).out.startswith("Windows Events Command Line Utility.\r\n")
    faults = Faults(costs=Costs(wevtutil_s=0.2))
    started = time.perf_counter()
    assert run(journal, "qe", "System", "/c:1", faults=faults).code == 0
    assert time.perf_counter() - started >= 0.2


def test_five_thousand_events_render_quickly() -> None:
    """Timing is printed, not asserted: the machine is shared."""
    j = EventJournal(TOPOLOGY, history=20_000, seed=2, clock=FixedClock())
    assert len(j.records("EXNODE1", "System")) > 5000
    for fmt in ("xml", "RenderedXml", "text"):
        started = time.perf_counter()
        res = run(j, "qe", "System", "/c:5000", "/rd:true", f"/f:{fmt}")
        elapsed = time.perf_counter() - started
        print(f"\nwevtutil qe /c:5000 /f:{fmt}: {elapsed:.2f} s, {len(res.out):,} characters")
        assert res.code == 0
        count = res.out.count("Event[") if fmt == "text" else res.out.count("<Event ")
        assert count == 5000
