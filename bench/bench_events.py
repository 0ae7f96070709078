"""Event pipeline benchmark: 100,000 events from 2 nodes.

Prints `name: value unit` lines:
  events_xml_bytes        size of the wevtutil /f:xml output parsed
  events_parse_rate       events/s through ccrgui.remote.parsers.events.parse_events (target >= 50,000)
  (times are CPU time of this process; the *_wall lines show wall-clock time on a shared machine)
  events_model_load_ms    time to put all events into the table model (sorted newest first)
  events_search_ms_max    slowest quick-search keystroke re-filter, view included (target < 100)
  events_search_ms_median median keystroke re-filter
  events_sort_ms          re-sorting all rows by a column (Event ID)
  events_rss_*_mb         resident memory with the XML read, after parsing, after loading the
                          model (the last is the figure for the target < 300)

The XML is rendered by the lab's event journal (`ccrgui.lab.eventlog`) exactly as its wevtutil
prints it, so the parser sees wevtutil's layout: /f:xml by default, /f:RenderedXml (message
text included, as the app queries) with `--rendered`.
Run: `.venv/bin/python bench/bench_events.py [--rendered]`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ccrgui.gui.events.model import COL_ID
from ccrgui.gui.events.view import EventsView
from ccrgui.lab.eventlog import EventJournal, render_xml
from ccrgui.lab.topology import default_topology
from ccrgui.remote.parsers.events import parse_events

TOTAL = 100_000
KEYSTROKES = ("e", "ex", "exc", "exch", "exch1", "exch1 ", "exch1 n", "exnode2", "1069", "fsw", "")


_APP: list[QApplication] = []


def _application() -> QApplication:
    """One QApplication for the whole process, kept alive until exit."""
    if not _APP:
        existing = QApplication.instance()
        _APP.append(existing if isinstance(existing, QApplication) else QApplication([]))
    return _APP[0]


class Clock:
    """CPU time of this process (what an idle machine's wall clock would show: the work is
    single-threaded) and wall time (inflated when other jobs share the CPUs)."""

    def __init__(self) -> None:
        self.cpu = time.process_time()
        self.wall = time.perf_counter()

    def lap(self) -> tuple[float, float]:
        return time.process_time() - self.cpu, time.perf_counter() - self.wall


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build_xml(rendered: bool = False) -> list[tuple[str, str, str]]:
    """(node, log, wevtutil XML text) for each node and log, newest first like /rd:true;
    `rendered`: /f:RenderedXml (with message text, what the app asks for) instead of /f:xml."""
    topology = default_topology(2)
    journal = EventJournal(topology, history=TOTAL, seed=3)
    out = []
    for node in journal.nodes:
        computer = journal.computer(node)
        for log in ("System", "Application"):
            records = list(reversed(journal.records(node, log)))
            if records:
                text = (
                    "<Events>"
                    + "".join(render_xml(r, computer, rendered=rendered) for r in records)
                    + "</Events>"
                )
                out.append((node, log, text))
    return out


def main(rendered: bool) -> None:
    """Render the XML with the lab, then measure in a fresh process that only sees the text (as
    the app receives it), so the lab's own memory does not count in the RSS figure."""
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        for i, (node, log, text) in enumerate(build_xml(rendered)):
            Path(tmp, f"{i}.xml").write_text(f"{node}\n{log}\n{text}", encoding="utf-8")
        subprocess.run([sys.executable, __file__, "--measure", tmp], check=True)


def measure(folder: str) -> None:
    app = _application()
    texts = []
    for path in sorted(Path(folder).glob("*.xml")):
        node, log, text = path.read_text(encoding="utf-8").split("\n", 2)
        texts.append((node, log, text))
    size = sum(len(t.encode("utf-8")) for _, _, t in texts)
    print(f"events_xml_bytes: {size} B")
    print(f"events_rss_start_mb: {rss_mb():.0f} MB")

    clock = Clock()
    events = []
    for node, log, text in texts:
        events.extend(parse_events(text, node=node, log=log))
    cpu, wall = clock.lap()
    print(f"events_parsed: {len(events)} events")
    print(f"events_parse_rate: {len(events) / cpu:.0f} events/s")
    print(f"events_parse_rate_wall: {len(events) / wall:.0f} events/s")
    del texts, text
    print(f"events_rss_parsed_mb: {rss_mb():.0f} MB")

    view = EventsView(lambda: None)  # the real widget: table, status line, details pane
    model, proxy = view.model, view.proxy
    view.resize(1200, 800)
    view.show()
    app.processEvents()

    clock = Clock()
    half = len(events) // 2
    model.add_events(events[:half])  # as two nodes' batches arrive
    model.add_events(events[half:])
    app.processEvents()
    cpu, wall = clock.lap()
    print(f"events_model_load_ms: {cpu * 1000:.0f} ms")
    print(f"events_model_load_ms_wall: {wall * 1000:.0f} ms")

    cpus, walls = [], []
    for text in KEYSTROKES:
        clock = Clock()
        view.search_edit.setText(text)  # as typed: the model re-filters, the view repaints
        app.processEvents()
        cpu, wall = clock.lap()
        cpus.append(cpu * 1000)
        walls.append(wall * 1000)
    print(f"events_search_ms_max: {max(cpus):.1f} ms")
    print(f"events_search_ms_median: {statistics.median(cpus):.1f} ms")
    print(f"events_search_ms_max_wall: {max(walls):.1f} ms")

    clock = Clock()
    proxy.sort(COL_ID, Qt.SortOrder.AscendingOrder)
    app.processEvents()
    cpu, wall = clock.lap()
    print(f"events_sort_ms: {cpu * 1000:.0f} ms")
    print(f"events_rss_mb: {rss_mb():.0f} MB")
    # Destroy the widgets while the QApplication still exists (not in arbitrary GC order).
    view.close()
    view.deleteLater()
    del model, proxy, view
    app.processEvents()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
    else:
        main(rendered="--rendered" in sys.argv[1:])
