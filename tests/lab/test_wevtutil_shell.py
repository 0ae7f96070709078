"""wevtutil as a WinRS command reaches it: through cmd.exe or CreateProcess, against engine events."""

from __future__ import annotations

from collections.abc import Iterator

import defusedxml.ElementTree as DET
import pytest

from ccrgui.lab import cmdshell
from ccrgui.lab.eventlog import EVENT_NS
from ccrgui.lab.lab import Lab

NS = {"e": EVENT_NS}


@pytest.fixture
def lab() -> Iterator[Lab]:
    """The lab's parts without its network endpoints: programs run exactly as WinRS starts them."""
    running = Lab(speed=200.0, events=400, seed=4)
    try:
        yield running
    finally:
        running.stop()


def launch(lab: Lab, command: str, arguments: list[str], *, skip_cmd_shell: bool) -> tuple[int, str, str]:
    proc = cmdshell.launch(
        lab.hosts["EXNODE1"], lab.account, command, arguments, skip_cmd_shell=skip_cmd_shell,
        codepage=437, env={},
    )  # fmt: skip
    out, err = bytearray(), bytearray()
    while True:
        drained = proc.io.drain(5.0)
        for chunk in drained.chunks:
            (out if chunk.stream == "stdout" else err).extend(chunk.data)
        if drained.done:
            assert drained.exit_code is not None
            return drained.exit_code, out.decode("cp437"), err.decode("cp437")


def _levels(xml: str) -> list[int]:
    root = DET.fromstring(xml)
    return [int(e.findtext("e:System/e:Level", namespaces=NS) or 0) for e in root]


def test_query_through_cmd_exe_keeps_the_quoted_xpath_whole(lab: Lab) -> None:
    code, out, err = launch(
        lab, "wevtutil",
        ["qe", "System", '/q:"*[System[(Level=1 or Level=2)]]"', "/c:5", "/rd:true", "/f:xml", "/e:Events"],
        skip_cmd_shell=False,
    )  # fmt: skip
    assert (code, err) == (0, "")
    levels = _levels(out)
    assert levels and all(level in (1, 2) for level in levels)


def test_query_without_cmd_needs_msvcrt_quoting(lab: Lab) -> None:
    quoted = '"/q:*[System[(Level=1 or Level=2)]]"'
    code, out, _ = launch(
        lab, "wevtutil.exe", ["qe", "System", quoted, "/c:2", "/f:xml", "/e:r"], skip_cmd_shell=True
    )
    assert code == 0 and all(level in (1, 2) for level in _levels(out))
    # Unquoted, the query splits into several arguments, which wevtutil refuses (measured: 87).
    code, out, err = launch(
        lab, "wevtutil.exe", ["qe", "System", "/q:*[System[(Level=1 or Level=2)]]"], skip_cmd_shell=True
    )
    assert (code, out) == (87, "")
    assert err.startswith("Too many arguments are specified.\r\n")


def test_engine_events_are_the_newest_records(lab: Lab) -> None:
    lab.engine.offline_group("Available Storage")
    lab.engine.wait_group("Available Storage", 60)
    code, out, _ = launch(
        lab, "wevtutil",
        ["qe", "System", '/q:"*[System[EventID=1203 or EventID=1204]]"', "/c:2", "/rd:true", "/f:RenderedXml",
         "/e:Events"],
        skip_cmd_shell=False,
    )  # fmt: skip
    assert code == 0
    root = DET.fromstring(out)
    messages = [e.findtext("e:RenderingInfo/e:Message", namespaces=NS) for e in root]
    assert messages == [
        "The Cluster service successfully brought the clustered service or application 'Available Storage' "
        "offline.",
        "The Cluster service is attempting to bring the clustered service or application 'Available Storage' "
        "offline.",
    ]
    newest = lab.journal.records("EXNODE1", "System")[-1]
    assert int(root[0].findtext("e:System/e:EventRecordID", namespaces=NS) or 0) == newest.record_id
