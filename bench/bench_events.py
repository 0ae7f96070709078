"""Events benchmark through the real path: 100,000 events from 2 nodes into the real events view.

Run from the repository root:  .venv/bin/python bench/bench_events.py [--events 100000]

What is measured (one `name: value unit` line each, tracked from run to run):
  events_100k_first_rows_s   from starting the query until the table shows its first rows
  events_100k_all_rows_s     until every event is in the table (the query finished)
  events_100k_max_stall_ms   the event loop's longest stall meanwhile (qasync; a 5 ms sleep
                             that wakes late by this much)
  events_100k_requests       WS-Management requests sent for the query (every Create, Command,
                             Send, Receive, Signal, Delete; NTLM handshake legs not counted)
  events_100k_peak_rss_mb    this process's peak resident memory (the lab runs in another one);
                             beside it the children that decode the answers: each one's peak,
                             the sum of all peaks (a bound) and the sampled peak of the app's
                             processes together (events_100k_app_rss_sampled_peak_mb)
Diagnostics: events_stalls_over_20ms, events_max_stall_gui_thread_cpu_ms (the GUI thread's own
CPU time during the longest stall: far below the stall means it was waiting, for a CPU on a
busy machine or for the GIL, not working), events_requests_by_kind.

The path is the app's: a `WinRMClusterSession` over WinRM (NTLM, message encryption) to a lab in
another process (its simulated servers must not share this process's GIL or memory), with the
lab's realistic costs (`Costs.realistic`: 20 ms latency per request, 0.05 s per wevtutil run,
0.6 s to start powershell.exe), the filter every level of System and Application, any time, up
to 100,000 per node and log (the lab's history has 100,000 events on 2 nodes, so that is all of
them), in the real `EventsView` shown on screen, on qasync's loop (`ccrgui.gui.asyncqt`).  The
format parsed is the one the app asks wevtutil for (RenderedXml).  Afterwards: quick-search
keystrokes and a re-sort on the loaded table (`events_search_ms_*`, `events_sort_ms`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

KEYSTROKES = ("e", "ex", "exc", "exch", "exch1", "exch1 ", "exch1 n", "exnode2", "1069", "fsw", "")


def out(name: str, value: float | int, unit: str) -> None:
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name}: {text} {unit}", flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def app_rss_mb(exclude: int) -> float:
    """This process's resident memory plus its children's, but the lab's (`exclude`)."""
    children: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as handle:
                children.update(int(pid) for pid in handle.read().split())
        except OSError:
            continue
    total = rss_mb()
    for pid in children - {exclude}:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue  # ended meanwhile
    return total


class MemoryWatch:
    """The app's resident memory (this process and the event decoding children), sampled."""

    def __init__(self, lab_pid: int) -> None:
        self.peak = 0.0
        self._lab = lab_pid
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, app_rss_mb(self._lab))
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self._stop.set()
        await self._task


# ---- the lab, in its own process ---------------------------------------------------------------


def serve_lab(events: int, latency_ms: float, nice: int) -> None:
    """Child process: run a lab, print its info JSON (with the expected event count), stop when
    stdin closes.  The lab stands for servers elsewhere on the network, so on this machine it
    takes the cores the app leaves (POSIX niceness `nice`; 0 measures it as the app's equal)."""
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    from ccrgui.lab.faults import Costs
    from ccrgui.lab.lab import Lab

    with Lab(costs=Costs.realistic(latency_ms=latency_ms), events=events) as lab:
        info = lab.info()
        logs = ("System", "Application")
        journal = lab.journal
        info["expected"] = sum(len(journal.records(node, log)) for node in journal.nodes for log in logs)
        info["node_names"] = list(lab.journal.nodes)
        print(json.dumps(info), flush=True)
        sys.stdin.read()


class LabProcess:
    def __init__(self, events: int, latency_ms: float, nice: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-lab",
                f"--events={events}",
                f"--latency-ms={latency_ms}",
                f"--lab-nice={nice}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.info: dict[str, Any] = json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# ---- the client: this process ---------------------------------------------------------------------


class StallWatch:
    """The loop's longest stall: a 5 ms sleep that wakes up late by that much."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_cpu = 0.0  # CPU time this (the GUI) thread used during the longest stall
        self.stalls: list[float] = []  # every stall over 20 ms (seconds)
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            t0, cpu0 = loop.time(), time.thread_time()
            await asyncio.sleep(0.005)
            late = loop.time() - t0 - 0.005
            if late > self.longest:
                self.longest = late
                self.longest_cpu = time.thread_time() - cpu0
            if late > 0.02:
                self.stalls.append(late)

    async def stop(self) -> None:
        self._stop.set()
        await self._task


async def measure(lab: LabProcess) -> int:
    import qasync

    from ccrgui.app import console_ready
    from ccrgui.domain.eventquery import EventFilter, TimeRange
    from ccrgui.gui.events.model import COL_ID
    from ccrgui.gui.events.view import EventsView
    from ccrgui.remote.audit import NullAudit
    from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

    loop = asyncio.get_running_loop()
    if not isinstance(loop, qasync.QEventLoop):
        raise SystemExit(f"not measuring on qasync: the loop is {type(loop).__name__}")
    settings, password = settings_from_lab_info(lab.info)
    session = WinRMClusterSession(settings, password, audit=NullAudit())
    view = EventsView(lambda: session)
    view.set_nodes(lab.info["node_names"])
    view.resize(1200, 800)
    view.show()
    await console_ready()  # as the app starts: backend loaded, long-lived objects frozen
    await asyncio.sleep(0.2)
    expected = int(lab.info["expected"])
    flt = EventFilter(
        logs=("System", "Application"), levels=frozenset(), time_range=TimeRange.ANY, max_events=100_000
    )
    print(f"events_rss_before_query_mb: {rss_mb():.0f} MB", flush=True)
    model = view.model
    first: list[float] = []
    started = time.perf_counter()

    def shown() -> None:
        if not first and model.event_count > 0:
            first.append(time.perf_counter() - started)

    model.rowsInserted.connect(shown)
    model.modelReset.connect(shown)
    model.layoutChanged.connect(shown)
    watch = StallWatch()
    memory = MemoryWatch(lab.proc.pid)
    before = session.requests_by_kind()
    started = time.perf_counter()
    await view.query(flt)
    all_s = time.perf_counter() - started
    stall = watch.longest
    await memory.stop()
    await asyncio.sleep(1.0)  # let the background clean-up (Signal) of the last command go out
    after = session.requests_by_kind()
    kinds = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}
    failed = 0
    if model.errors or model.event_count != expected:
        print(f"incomplete: {model.event_count} of {expected} events; {model.errors[:3]}", file=sys.stderr)
        failed = 1
    out("events_100k_first_rows_s", first[0] if first else float("nan"), "s")
    out("events_100k_all_rows_s", all_s, "s")
    out("events_100k_max_stall_ms", stall * 1000, "ms")
    out("events_stalls_over_20ms", len(watch.stalls), "stalls")
    # Low: the GUI thread was not working but waiting (for the CPU on a busy machine, or for the GIL).
    out("events_max_stall_gui_thread_cpu_ms", watch.longest_cpu * 1000, "ms")
    if os.environ.get("BENCH_VERBOSE"):
        print("stalls_ms: " + " ".join(f"{s * 1000:.0f}" for s in watch.stalls), file=sys.stderr)
    out("events_100k_requests", sum(kinds.values()), "requests")
    print("events_requests_by_kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())), flush=True)
    out("events_100k_peak_rss_mb", peak_rss_mb(), "MB")
    # The processes that decoded the answers (one per compressed answer, as they reported their
    # own peak): the largest, and the app's bound, this process's peak plus every child's peak as
    # if all had peaked at once.
    from ccrgui.remote.eventdecode import child_peaks_mb

    peaks = [mb for _, mb in child_peaks_mb]
    out("events_decode_children", len(peaks), "processes")
    out("events_decode_child_peak_rss_mb", max(peaks, default=0.0), "MB")
    out("events_100k_peak_rss_with_children_mb", peak_rss_mb() + sum(peaks), "MB")
    out("events_100k_app_rss_sampled_peak_mb", memory.peak, "MB")  # every 50 ms, all at once
    out("events_loaded", model.event_count, "events")

    # The loaded table: quick search and sort, as typed (the view repaints each time).
    times = []
    for text in KEYSTROKES:
        t0 = time.perf_counter()
        view.search_edit.setText(text)  # the model re-filters synchronously
        view.table.viewport().repaint()  # and the view paints the new rows
        times.append((time.perf_counter() - t0) * 1000)
    out("events_search_ms_max", max(times), "ms")
    out("events_search_ms_median", statistics.median(times), "ms")
    t0 = time.perf_counter()
    view.proxy.sort(COL_ID, Qt.SortOrder.AscendingOrder)
    view.table.viewport().repaint()
    out("events_sort_ms", (time.perf_counter() - t0) * 1000, "ms")
    out("events_rss_end_mb", rss_mb(), "MB")
    await watch.stop()
    await view.close_async()
    view.close()
    view.deleteLater()
    await session.close()
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000, help="the lab's event history (all nodes)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--lab-nice",
        type=int,
        default=10,
        help="CPU niceness of the lab's process (it stands for remote servers; 0: equal to the app)",
    )
    parser.add_argument("--serve-lab", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_lab:
        serve_lab(args.events, args.latency_ms, args.lab_nice)
        return
    from ccrgui.gui import asyncqt

    lab = LabProcess(args.events, args.latency_ms, args.lab_nice)
    print(f"lab_process_niceness: {args.lab_nice}", flush=True)
    try:
        app = QApplication.instance() or QApplication([])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)  # closing the view at the end must not stop the loop
        failed = asyncqt.run(app, lambda: measure(lab))
        print("event_loop: qasync", flush=True)
    finally:
        lab.stop()
    sys.exit(failed)


if __name__ == "__main__":
    main()
