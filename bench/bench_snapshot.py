"""Snapshot speed against the lab: prints `name: value unit` lines.

Run from the repository root:  .venv/bin/python bench/bench_snapshot.py [--clusters 20]

Measures, on a 2-node CCR lab with 20 ms latency, a 3 s Exchange snap-in load and realistic
per-command costs: HTTP requests per snapshot (every POST, NTLM legs included), the time of the
first and of later snapshots, the same reads done the naive way (one pywinrm `run_cmd`/`run_ps`
per command), and N clusters snapshotted at once with the event loop's longest stall.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import requests.adapters  # noqa: E402

from ccrgui.lab.faults import Costs  # noqa: E402
from ccrgui.lab.lab import Lab  # noqa: E402
from ccrgui.remote import scripts  # noqa: E402
from ccrgui.remote.audit import NullAudit  # noqa: E402
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info  # noqa: E402
from ccrgui.remote.shells import EXCHANGE_SNAPIN  # noqa: E402
from ccrgui.remote.transport import Limits  # noqa: E402

T = TypeVar("T")


class HttpCounter:
    """Counts every HTTP request requests sends (NTLM handshake legs included)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        original = requests.adapters.HTTPAdapter.send

        def counted(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.count += 1
            return original(adapter, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = counted  # type: ignore[method-assign]


def report_incomplete(snaps: Any) -> int:
    """Count incomplete snapshots and say why on stderr (the figures stay on stdout)."""
    bad = [snap for snap in snaps if snap.node_errors or not snap.groups]
    for snap in bad[:3]:
        print(f"incomplete snapshot: {[e.message for e in snap.node_errors]}", file=sys.stderr)
    return len(bad)


def out(name: str, value: float | int, unit: str) -> None:
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name}: {text} {unit}", flush=True)


class LabProcess:
    """The lab in its own process, as in real use: its simulated servers must not share the
    GIL with the client (that would make the client's event-loop stall a lab artefact)."""

    def __init__(self, latency_ms: float, snapin_s: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-lab", f"--latency-ms={latency_ms}", f"--snapin-s={snapin_s}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self._info = json.loads(self.proc.stdout.readline())
        self.topology_cms = self._info.pop("cms_name")

    def info(self) -> dict[str, Any]:
        return dict(self._info)

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def serve_lab(latency_ms: float, snapin_s: float) -> None:
    """Child process: run a lab, print its info JSON, stop when stdin closes."""
    with Lab(costs=Costs.realistic(latency_ms=latency_ms, snapin_s=snapin_s), events=200) as lab:
        info = lab.info()
        info["cms_name"] = lab.topology.cms_name
        print(json.dumps(info), flush=True)
        sys.stdin.read()


def session_for(lab: LabProcess, limits: Limits | None = None) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    return WinRMClusterSession(settings, password, audit=NullAudit(), limits=limits)


async def timed(coro: Awaitable[T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    result = await coro
    return time.perf_counter() - t0, result


async def bench_one(lab: LabProcess, counter: HttpCounter) -> float:
    session = session_for(lab)
    try:
        before = counter.count
        first_s, snap = await timed(session.snapshot())
        assert not snap.node_errors, snap.node_errors
        out("first_snapshot_time", first_s, "s")
        out("first_snapshot_http_requests", counter.count - before, "requests")
        times, reqs = [], []
        for _ in range(5):
            before = counter.count
            t, snap = await timed(session.snapshot())
            assert not snap.node_errors and snap.groups, snap.node_errors
            times.append(t)
            reqs.append(counter.count - before)
        nodes = len(snap.nodes)
        out("later_snapshot_time_median", statistics.median(times), "s")
        out("later_snapshot_time_max", max(times), "s")
        out("later_snapshot_http_requests", max(reqs), "requests")
        out("later_snapshot_http_requests_per_node", max(reqs) / nodes, "requests")
        return statistics.median(times)
    finally:
        await session.close()


def naive_snapshot(lab: LabProcess, counter: HttpCounter) -> tuple[float, int, int]:
    """The same reads, one pywinrm Session.run_cmd / run_ps per command (each opens a shell)."""
    import winrm

    info = lab.info()
    snapin = f"Add-PSSnapin {EXCHANGE_SNAPIN}; "
    before = counter.count
    failed = 0
    t0 = time.perf_counter()
    first = next(iter(info["nodes"].values()))
    s = winrm.Session(
        first, auth=(info["username"], info["password"]), transport="ntlm", message_encryption="always"
    )
    for item in scripts.CLUSTER_READS:
        if item.wmi:
            r = s.run_ps(scripts.wmi_pipeline(item.name) + " | ConvertTo-Xml -As String")
        else:
            r = s.run_cmd("cluster.exe", [item.keyword])
        failed += r.status_code != 0
    for pipeline in (
        scripts.mailbox_servers_pipeline(),
        scripts.cms_status_pipeline(lab.topology_cms),
        scripts.copy_status_pipeline(lab.topology_cms),
    ):
        r = s.run_ps(snapin + pipeline + " | ConvertTo-Xml -As String")
        failed += r.status_code != 0
    for url in info["nodes"].values():
        node = winrm.Session(
            url, auth=(info["username"], info["password"]), transport="ntlm", message_encryption="always"
        )
        for pipeline in (scripts.os_pipeline(), scripts.cpu_pipeline()):
            r = node.run_ps(pipeline + " | ConvertTo-Xml -As String")
            failed += r.status_code != 0
    return time.perf_counter() - t0, counter.count - before, failed


async def bench_many(lab: LabProcess, clusters: int) -> None:
    """N sessions (N clusters' worth of work) snapshotted at once; the loop's longest stall."""
    limits = Limits(
        total=int(os.environ.get("BENCH_TOTAL", "4")), long_polls=int(os.environ.get("BENCH_POLLS", "8"))
    )
    sessions = [session_for(lab, limits) for _ in range(clusters)]
    stall = 0.0
    stop = asyncio.Event()

    async def watch() -> None:
        nonlocal stall
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            t0 = loop.time()
            await asyncio.sleep(0.005)
            stall = max(stall, loop.time() - t0 - 0.005)

    watcher = asyncio.ensure_future(watch())
    stalls = []
    try:
        first_s, snaps = await timed(asyncio.gather(*(s.snapshot() for s in sessions)))
        stalls.append(stall)
        stall = 0.0
        bad = report_incomplete(snaps)
        out(f"clusters_{clusters}_first_snapshot_total_time", first_s, "s")
        later_s, snaps = await timed(asyncio.gather(*(s.snapshot() for s in sessions)))
        stalls.append(stall)
        bad += report_incomplete(snaps)
        out(f"clusters_{clusters}_later_snapshot_total_time", later_s, "s")
        out(f"clusters_{clusters}_incomplete_snapshots", bad, "snapshots")
    finally:
        stop.set()
        await watcher
        await asyncio.gather(*(s.close() for s in sessions))
    out(f"clusters_{clusters}_event_loop_longest_stall_first_snapshots", stalls[0] * 1000, "ms")
    out(f"clusters_{clusters}_event_loop_longest_stall_later_snapshots", stalls[1] * 1000, "ms")
    stall = max(stalls)
    out(f"clusters_{clusters}_event_loop_longest_stall", stall * 1000, "ms")


def run_on_qasync(main: Callable[[], Awaitable[None]]) -> None:
    """The GUI's loop: qasync on PySide6, through the app's own module (`ccrgui.gui.asyncqt`).
    No fallback: if qasync or Qt cannot be imported the bench fails instead of silently
    measuring a plain asyncio loop."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from ccrgui.gui import asyncqt

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)

    async def checked() -> None:
        loop = asyncio.get_running_loop()
        if not isinstance(loop, qasync.QEventLoop):
            raise SystemExit(f"not measuring on qasync: the loop is {type(loop).__name__}")
        await main()

    asyncqt.run(app, checked)
    print("event_loop: qasync", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--snapin-s", type=float, default=3.0)
    parser.add_argument("--serve-lab", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_lab:
        serve_lab(args.latency_ms, args.snapin_s)
        return
    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    counter = HttpCounter()
    lab = LabProcess(args.latency_ms, args.snapin_s)
    try:

        async def run() -> None:
            later = await bench_one(lab, counter)
            naive_s, naive_reqs, failed = await asyncio.get_running_loop().run_in_executor(
                None, naive_snapshot, lab, counter
            )
            out("naive_snapshot_time", naive_s, "s")
            out("naive_snapshot_failed_commands", failed, "commands")
            out("naive_snapshot_http_requests", naive_reqs, "requests")
            out("naive_to_later_snapshot_ratio", naive_s / later, "x")
            await bench_many(lab, args.clusters)

        run_on_qasync(run)
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
