"""The compressed event path's pieces: decoding the node's base64 gzip answer, parsing it piece by
piece, and the command lines (the XPath reaches them only through ccrgui.quoting)."""

from __future__ import annotations

import base64
import gzip
import os
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui import quoting
from ccrgui.domain.model import Event
from ccrgui.lab.eventlog import EventJournal, render_xml
from ccrgui.lab.topology import default_topology
from ccrgui.remote import scripts
from ccrgui.remote.eventdecode import CompressedAnswerError, decompressed_pieces
from ccrgui.remote.parsers import EventParseError, EventStreamParser, parse_events

XPATH = "*[System[(Level=1 or Level=2) and Provider[@Name='Microsoft-Windows-FailoverClustering']]]"


def _xml(count: int = 60) -> str:
    journal = EventJournal(default_topology(2), history=count, seed=5)
    node = journal.nodes[0]
    records = list(reversed(journal.records(node, "System")))
    return "".join(render_xml(r, journal.computer(node), rendered=True) for r in records) + "\r\n"


def _b64gz(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode("utf-8"))).decode("ascii")


def test_round_trip_in_pieces() -> None:
    text = _xml()
    assert "".join(decompressed_pieces(_b64gz(text), piece=1000)) == text


@pytest.mark.parametrize("chunk", [4, 64, 1 << 16])
def test_base64_decoded_in_chunks(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from ccrgui.remote import eventdecode

    monkeypatch.setattr(eventdecode, "BASE64_PIECE", chunk)
    text = _xml()
    answer = _b64gz(text)
    wrapped = "\r\n".join(answer[i : i + 76] for i in range(0, len(answer), 76))  # line breaks ignored
    assert "".join(decompressed_pieces(wrapped, piece=1000)) == text
    padded = base64.b64encode(gzip.compress(text.encode("utf-8")) + b"\0\0").decode("ascii")
    assert "".join(decompressed_pieces(padded)) == text  # NUL padding after the end is accepted
    pieces = []
    with pytest.raises(CompressedAnswerError, match="not base64"):
        for got in decompressed_pieces(answer[: len(answer) - 40] + "!!" + answer[-38:], piece=1000):
            pieces.append(got)
    if chunk < len(answer):  # the part before the damage was handed over
        assert pieces and text.startswith("".join(pieces))
    with pytest.raises(CompressedAnswerError, match="unexpected data"):
        list(decompressed_pieces(base64.b64encode(gzip.compress(b"x") + b"junk").decode("ascii")))


def test_empty_answer_is_empty_text() -> None:
    assert list(decompressed_pieces("")) == []  # .NET < 4.5 writes nothing for no input


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda s: s[:10] + "!!" + s[12:], "not base64"),
        (lambda s: base64.b64encode(b"\x1f\x8b\x08\x00" + b"\xff" * 40).decode(), "damaged"),
        (lambda s: base64.b64encode(base64.b64decode(s)[:-30]).decode(), "cut off"),
    ],
)
def test_damaged_answers_are_clear_errors(damage, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CompressedAnswerError, match=message):
        list(decompressed_pieces(damage(_b64gz(_xml()))))


@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=12))
def test_stream_parser_equals_whole_parse(cuts: list[int]) -> None:
    text = _TEXT
    parser = EventStreamParser(node="EXNODE1", log="System")
    got = []
    pos = 0
    for size in cuts:
        got += parser.feed(text[pos : pos + size])
        pos += size
    got += parser.feed(text[pos:])
    got += parser.close()
    assert got == parse_events(text, node="EXNODE1", log="System")


_TEXT = _xml(40)


def test_stream_parser_reports_damaged_events_and_keeps_the_rest() -> None:
    text = _xml(40)
    cut = text.index("<Event", 3000)
    damaged = text[:cut] + "<Event><System><Bad></Event>" + text[cut:]
    parser = EventStreamParser(node="EXNODE1", log="System")
    got = parser.feed(damaged[: len(damaged) // 2])
    got += parser.feed(damaged[len(damaged) // 2 :])
    with pytest.raises(EventParseError) as info:
        parser.close()
    got += info.value.events
    assert len(got) == len(parse_events(text, node="EXNODE1", log="System"))
    assert "1 of" in str(info.value) and "malformed XML" in str(info.value)


def test_query_lines_are_unchanged_and_quoted_by_the_quoting_module() -> None:
    line = scripts.wevtutil_query_line("System", XPATH, 200, True)
    assert line == quoting.cmd_line(
        "wevtutil.exe", "qe", "System", f"/q:{XPATH}", "/f:RenderedXml", "/rd:true", "/c:200"
    )
    body = scripts.compressed_events_section("events", "System", XPATH, 5000, True)
    args = ["qe", "System", f"/q:{XPATH}", "/f:RenderedXml", "/rd:true", "/c:5000"]
    assert "& wevtutil.exe " + " ".join(quoting.ps_native_arg(a) for a in args) + " 2>&1" in body
    assert "IO.Compression.GZipStream" in body and "Out-String" not in body.split("} else {")[1]


def test_an_xpath_powershell_cannot_pass_is_refused_before_sending() -> None:
    xpath = "*[System[Provider[@Name=\"O'Brien\"]]]"  # both quotes: PowerShell 2.0 cannot pass it
    with pytest.raises(quoting.UnsafeValueError):
        scripts.compressed_events_section("events", "System", xpath, 5000, True)
    assert '\\"' in scripts.wevtutil_query_line("System", xpath, 200, True)  # the plain path can


def test_decode_reports_damage_and_hands_over_what_was_read() -> None:
    import threading

    from ccrgui.remote.eventdecode import decode

    data = gzip.compress(_xml(200).encode("utf-8"))
    cut = len(data) * 2 // 3
    damaged = data[:cut] + bytes(64) + data[cut + 64 :]
    got: list[object] = []
    answer = base64.b64encode(damaged).decode("ascii")
    count, error = decode(answer, "EXNODE1", "System", got.extend, threading.Event())
    assert "compressed answer" in error
    assert count == len(got)


# ---- the decoding child process ----------------------------------------------------------------


def _in_thread(answer: str) -> tuple[list[object], tuple[int, str]]:
    import threading

    from ccrgui.remote.eventdecode import decode

    got: list[object] = []
    return got, decode(answer, "EXNODE1", "System", got.extend, threading.Event(), pause=0.0)


def test_a_child_process_hands_over_exactly_what_the_thread_parses() -> None:
    import os
    import threading

    from ccrgui.remote.eventdecode import DecodeChild

    answer = _b64gz(_xml(4000))
    expected, outcome = _in_thread(answer)
    child = DecodeChild.start()
    assert child is not None and child.proc.pid != os.getpid()
    got: list[object] = []
    pieces: list[int] = []

    def hand_over(events: list[Event]) -> None:
        pieces.append(len(events))
        got.extend(events)

    got_outcome = child.decode(answer, "EXNODE1", "System", hand_over, threading.Event())
    assert got_outcome == outcome == (len(expected), "")
    assert got == expected and len(pieces) > 1  # in pieces, not as one list at the end
    assert child.proc.poll() is not None


def test_a_damaged_answer_through_the_child_keeps_what_was_read() -> None:
    import threading

    from ccrgui.remote.eventdecode import DecodeChild

    data = gzip.compress(_xml(300).encode("utf-8"))
    cut = len(data) * 2 // 3
    answer = base64.b64encode(data[:cut] + bytes(64) + data[cut + 64 :]).decode("ascii")
    expected, (count, error) = _in_thread(answer)
    child = DecodeChild.start()
    assert child is not None
    got: list[object] = []
    assert child.decode(answer, "EXNODE1", "System", got.extend, threading.Event()) == (count, error)
    assert "compressed answer" in error and got == expected


def test_a_child_that_died_before_its_work_is_replaced_by_the_thread() -> None:
    import threading

    from ccrgui.remote.eventdecode import DecodeChild, decode_answer

    answer = _b64gz(_xml(300))
    expected, outcome = _in_thread(answer)
    child = DecodeChild.start()
    assert child is not None
    child.proc.kill()
    child.proc.wait(10)
    got: list[object] = []
    assert decode_answer(child, answer, "EXNODE1", "System", got.extend, threading.Event()) == outcome
    assert got == expected


def test_a_stopped_decode_stops_the_child() -> None:
    import threading

    from ccrgui.remote.eventdecode import DecodeChild

    child = DecodeChild.start()
    assert child is not None
    stop = threading.Event()
    stop.set()
    assert child.decode(_b64gz(_xml(300)), "EXNODE1", "System", lambda events: None, stop) == (0, "stopped")
    assert child.proc.poll() is not None


def test_without_a_python_to_start_the_thread_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import sys
    import threading

    from ccrgui.remote.eventdecode import DecodeChild, decode_answer

    answer = _b64gz(_xml(300))
    expected, outcome = _in_thread(answer)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert DecodeChild.start() is None
    got: list[object] = []
    assert decode_answer(None, answer, "EXNODE1", "System", got.extend, threading.Event()) == outcome
    assert got == expected
    true = shutil.which("true")
    if true is not None:  # a program that is not Python answers nothing: the thread takes over
        monkeypatch.setattr(sys, "executable", true)
        child = DecodeChild.start()
        assert child is not None
        got.clear()
        assert decode_answer(child, answer, "EXNODE1", "System", got.extend, threading.Event()) == outcome
        assert got == expected


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities (Windows: a creation flag)")
def test_the_child_runs_below_the_gui_priority() -> None:
    """The GUI thread gets a core before the decoding does on a busy machine."""
    import threading

    from ccrgui.remote.eventdecode import CHILD_NICENESS, DecodeChild

    child = DecodeChild.start()
    assert child is not None
    try:
        own = os.getpriority(os.PRIO_PROCESS, 0)
        deadline = time.monotonic() + 10
        while os.getpriority(os.PRIO_PROCESS, child.proc.pid) == own and time.monotonic() < deadline:
            time.sleep(0.01)  # the child lowers its own as it starts
        assert os.getpriority(os.PRIO_PROCESS, child.proc.pid) == min(own + CHILD_NICENESS, 19)
        got: list[object] = []
        answer = _b64gz(_xml(300))
        expected, outcome = _in_thread(answer)
        assert child.decode(answer, "EXNODE1", "System", got.extend, threading.Event()) == outcome
        assert got == expected
    finally:
        child.close(5.0)
