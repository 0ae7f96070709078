"""Snapshot speed against the lab: prints `name: value unit` lines.

Run from the repository root:  .venv/bin/python bench/bench_snapshot.py [--clusters 20] [--runs 5]

Labs run in a child process (their simulated servers must not share the GIL with the client),
each a 2-node CCR cluster with 20 ms latency per request, a 3 s Exchange snap-in load and the
lab's per-command costs (`ccrgui.lab.faults.Costs.realistic`).  Everything is measured on the
GUI's own loop (qasync on PySide6) with the real `MainWindow` where a window is involved:

* first_tree_visible_s: from adding a new connection to the main window until its tree shows the
  cluster's folders (median of --runs fresh connections); the complete first snapshot beside it;
* later_snapshot_s: median of later snapshots, their requests per node, the slowest one, the
  5-minute static refresh, and the naive way (one pywinrm run_cmd/run_ps per read) as ratios
  against the first and the warm snapshot;
* snapshot_50_groups_s: the same on a cluster with 50 more groups of 5 resources each (preferred
  owners and failover policies of every group come in every snapshot's WMI read);
* gui_20_clusters_max_stall_ms: --clusters different lab clusters added to one real MainWindow
  (tree and results pane updating) through their first snapshot and two refreshes of all; the
  event loop's longest stall per run, median over --runs runs.
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
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import requests.adapters  # noqa: E402

from ccrgui.domain.model import ClusterSnapshot  # noqa: E402
from ccrgui.lab.faults import Costs  # noqa: E402
from ccrgui.lab.lab import Lab  # noqa: E402
from ccrgui.lab.topology import GroupSpec, ResourceSpec, Topology, default_topology  # noqa: E402
from ccrgui.remote import scripts  # noqa: E402
from ccrgui.remote.audit import NullAudit  # noqa: E402
from ccrgui.remote.session import STATIC_REFRESH_S, WinRMClusterSession, settings_from_lab_info  # noqa: E402
from ccrgui.remote.shells import EXCHANGE_SNAPIN  # noqa: E402

T = TypeVar("T")
STARTED = time.perf_counter()


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


def out(name: str, value: float | int | str, unit: str = "") -> None:
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name}: {text} {unit}".rstrip(), flush=True)


def complete(snap: ClusterSnapshot) -> None:
    if snap.node_errors or not snap.groups or snap.reading_exchange:
        raise SystemExit(f"incomplete snapshot: {[e.message for e in snap.node_errors]}")


# ---- labs in a child process ------------------------------------------------------------------


def big_topology(extra_groups: int, resources: int) -> Topology:
    """The default CCR cluster plus `extra_groups` generic groups of `resources` resources each,
    half preferring each node (two preferred owners, in order)."""
    base = default_topology()
    nodes = [n.name for n in base.nodes]
    groups = list(base.groups)
    for i in range(extra_groups):
        name = f"App {i + 1:02d}"
        res = tuple(ResourceSpec(f"{name} resource {j + 1}", "Generic Service") for j in range(resources))
        owners = tuple(nodes if i % 2 == 0 else reversed(nodes))
        groups.append(GroupSpec(name, owners[0], res, preferred_owners=owners))
    return replace(base, groups=tuple(groups))


def serve_labs(latency_ms: float, snapin_s: float, labs: int, extra_groups: int, nice: int) -> None:
    """Child process: run `labs` lab clusters, print their info JSON list, stop when stdin closes."""
    lower_priority(nice)
    costs = Costs.realistic(latency_ms=latency_ms, snapin_s=snapin_s)
    running = []
    try:
        for i in range(labs):
            if extra_groups:
                topo = big_topology(extra_groups, 5)
            else:
                topo = default_topology(cluster_name=f"EXCLUS{i + 1:02d}", cms_name=f"EXCH{i + 1:02d}")
            lab = Lab(topo, costs=replace(costs), events=50)
            lab.start()
            running.append(lab)
        infos = []
        for lab in running:
            info = lab.info()
            info["cms_name"] = lab.topology.cms_name
            infos.append(info)
        print(json.dumps(infos), flush=True)
        sys.stdin.read()
    finally:
        for lab in running:
            lab.stop()


def lower_priority(nice: int) -> None:
    """The labs stand for servers elsewhere on the network: on this machine they take the cores
    the app leaves (POSIX niceness; `--lab-nice 0` measures them as equals)."""
    if nice and hasattr(os, "nice"):
        os.nice(nice)


LAB_NICE = 10  # see lower_priority


class LabProcess:
    def __init__(
        self, latency_ms: float, snapin_s: float, labs: int = 1, extra_groups: int = 0, nice: int = LAB_NICE
    ) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-labs",
                f"--latency-ms={latency_ms}",
                f"--snapin-s={snapin_s}",
                f"--labs={labs}",
                f"--extra-groups={extra_groups}",
                f"--lab-nice={nice}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the lab process did not start")
        self.infos: list[dict[str, Any]] = json.loads(line)

    def session(self, index: int = 0) -> WinRMClusterSession:
        info = dict(self.infos[index])
        info.pop("cms_name", None)
        settings, password = settings_from_lab_info(info)
        return WinRMClusterSession(settings, password, audit=NullAudit())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# ---- measurements ---------------------------------------------------------------------------


async def timed(coro: Awaitable[T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    result = await coro
    return time.perf_counter() - t0, result


async def until(predicate: Callable[[], bool], timeout: float = 60.0, poll_s: float = 0.002) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the window")
        await asyncio.sleep(poll_s)


class StallWatch:
    """The event loop's longest stall: how late a 5 ms sleep wakes up, and how much CPU the GUI
    thread itself used meanwhile (little CPU in a long stall: the thread was waiting for a core
    or for the GIL, not running this program's code)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_cpu = 0.0
        self._stop = False
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop:
            t0, c0 = loop.time(), time.thread_time()
            await asyncio.sleep(0.005)
            late = loop.time() - t0 - 0.005
            if late > self.longest:
                self.longest, self.longest_cpu = late, time.thread_time() - c0

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._watch())

    async def stop(self) -> float:
        self._stop = True
        if self._task is not None:
            await self._task
        return self.longest


async def new_window() -> Any:
    """The main window as `ccrgui.app.run_console` starts it (shown, backend loaded, long-lived
    objects frozen), except that the bench adds the connections."""
    from PySide6.QtWidgets import QApplication

    from ccrgui.app import console_ready
    from ccrgui.gui.window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # the bench opens and closes windows one after another

    window = MainWindow(refresh_interval_s=3600.0)  # refreshes are driven by the bench
    window.resize(1200, 800)
    if not os.environ.get("BENCH_HIDDEN"):
        window.show()
    await console_ready()
    return window


async def close_window(window: Any) -> None:
    await window.manager.close()
    window.close()
    window.deleteLater()


async def first_tree_visible(lab: LabProcess) -> tuple[float, float]:
    """Seconds from adding a new connection to the window until the tree shows the cluster's
    folders, and until the complete first snapshot is shown."""
    from ccrgui.gui.state import ConnState, ItemRef, Kind

    window = await new_window()
    try:
        t0 = time.perf_counter()
        conn_id = window.add_session(lab.session())
        visible: list[float] = []

        def changed(cid: str) -> None:  # connected after the window's own handler: runs after it
            index = window.tree_model.find(ItemRef(conn_id, Kind.CLUSTER))
            if cid == conn_id and not visible and window.tree_model.rowCount(index):
                visible.append(time.perf_counter() - t0)

        window.manager.changed.connect(changed)

        def done() -> bool:
            conn = window.manager.get(conn_id)
            snap = conn.entry.snapshot if conn else None
            connected = conn is not None and conn.entry.state is ConnState.CONNECTED
            return connected and snap is not None and not snap.reading_exchange

        await until(done)
        whole = time.perf_counter() - t0
        conn = window.manager.get(conn_id)
        assert conn is not None and conn.entry.snapshot is not None
        complete(conn.entry.snapshot)
        return visible[0], whole
    finally:
        await close_window(window)


async def later_snapshots(
    session: WinRMClusterSession, counter: HttpCounter, rounds: int = 5
) -> tuple[list[float], list[int], float]:
    """Warm snapshot times and requests, then one snapshot carrying the 5-minute static refresh."""
    times, reqs = [], []
    for _ in range(rounds):
        await asyncio.sleep(0.1)  # let the previous command's background clean-up finish
        before = counter.count
        t, snap = await timed(session.snapshot())
        complete(snap)
        times.append(t)
        reqs.append(counter.count - before)
    session._static.props_at -= STATIC_REFRESH_S + 1  # as if five minutes had passed: every
    # static read is due again (failover policies and preferred owners come in every snapshot)
    static_s, snap = await timed(session.snapshot())
    complete(snap)
    return times, reqs, static_s


async def bench_one(lab: LabProcess, counter: HttpCounter, runs: int) -> tuple[float, float]:
    visible, whole = [], []
    for _ in range(runs):
        v, w = await first_tree_visible(lab)
        visible.append(v)
        whole.append(w)
    out("first_tree_visible_s", statistics.median(visible), "s")
    out("first_tree_visible_runs", " ".join(f"{v:.3f}" for v in visible), "s")
    out("first_snapshot_complete_s", statistics.median(whole), "s")
    session = lab.session()
    try:
        before = counter.count
        snap = await session.snapshot()
        complete(snap)
        out("first_snapshot_http_requests", counter.count - before, "requests")
        times, reqs, static_s = await later_snapshots(session, counter)
        nodes = len(snap.nodes)
        out("later_snapshot_s", statistics.median(times), "s")
        out("later_snapshot_max_s", max(times), "s")
        out("later_snapshot_static_refresh_s", static_s, "s")
        out("later_snapshot_http_requests_per_node", max(reqs) / nodes, "requests")
        return statistics.median(whole), statistics.median(times)
    finally:
        await session.close()


async def bench_50_groups(lab: LabProcess, counter: HttpCounter) -> None:
    session = lab.session()
    try:
        first_s, snap = await timed(session.snapshot())
        complete(snap)
        owners = sum(1 for g in snap.groups if g.preferred_owners)
        second_s, snap = await timed(session.snapshot())
        complete(snap)
        times, reqs, static_s = await later_snapshots(session, counter)
        out("snapshot_50_groups_s", statistics.median(times), "s")
        out("snapshot_50_groups_groups", len(snap.groups), "groups")
        out("snapshot_50_groups_resources", len(snap.resources), "resources")
        out("snapshot_50_groups_with_preferred_owners_in_first", owners, "groups")
        out("snapshot_50_groups_first_s", first_s, "s")
        out("snapshot_50_groups_second_s", second_s, "s")
        out("snapshot_50_groups_max_s", max(times), "s")
        out("snapshot_50_groups_static_refresh_s", static_s, "s")
        out("snapshot_50_groups_http_requests_per_node", max(reqs) / len(snap.nodes), "requests")
    finally:
        await session.close()


async def gui_many(lab: LabProcess, runs: int) -> None:
    """Every lab cluster in one real MainWindow: first snapshots, then two refreshes of all."""
    from ccrgui.gui.state import ConnState, ItemRef, Kind

    stalls, cpu = [], []
    for _ in range(runs):
        window = await new_window()
        await asyncio.sleep(0.5)  # shown and painted before the clusters come
        watch = StallWatch()
        watch.start()
        try:
            ids = [window.add_session(lab.session(i)) for i in range(len(lab.infos))]
            window.tree.setCurrentIndex(window.tree_model.find(ItemRef(ids[0], Kind.CLUSTER)))

            def all_read(window: Any = window) -> bool:
                entries = [c.entry for c in window.manager.connections()]
                return all(
                    e.state is ConnState.CONNECTED and e.snapshot and not e.snapshot.reading_exchange
                    for e in entries
                )

            await until(all_read, 120.0, poll_s=0.05)  # the bench's own polling: rarely
            for _ in range(2):
                tasks = [window.manager.refresh(i) for i in ids]
                await asyncio.gather(*(t for t in tasks if t is not None))
            for c in window.manager.connections():
                assert c.entry.snapshot is not None
                complete(c.entry.snapshot)
        finally:
            stalls.append(await watch.stop())
            cpu.append(watch.longest_cpu)
            await close_window(window)
    clusters = len(lab.infos)
    out(f"gui_{clusters}_clusters_max_stall_ms", statistics.median(stalls) * 1000, "ms")
    out(f"gui_{clusters}_clusters_max_stall_runs", " ".join(f"{s * 1000:.1f}" for s in stalls), "ms")
    cpu_text = " ".join(f"{c * 1000:.1f}" for c in cpu)
    out(f"gui_{clusters}_clusters_gui_thread_cpu_in_those_stalls", cpu_text, "ms")


def naive_snapshot(lab: LabProcess, counter: HttpCounter) -> tuple[float, int, int]:
    """The same reads, one pywinrm Session.run_cmd / run_ps per command (each opens a shell)."""
    import winrm

    info = lab.infos[0]
    snapin = f"Add-PSSnapin {EXCHANGE_SNAPIN}; "
    before = counter.count
    failed = 0
    t0 = time.perf_counter()
    first = next(iter(info["nodes"].values()))
    s = winrm.Session(
        first, auth=(info["username"], info["password"]), transport="ntlm", message_encryption="always"
    )
    for item in (*scripts.CLUSTER_READS, *scripts.STATIC_READS):
        if item.wmi:
            r = s.run_ps(scripts.wmi_pipeline(item.name) + " | ConvertTo-Xml -As String")
        else:
            r = s.run_cmd("cluster.exe", [item.keyword])
        failed += r.status_code != 0
    for pipeline in (
        scripts.mailbox_servers_pipeline(),
        scripts.cms_status_pipeline(info["cms_name"]),
        scripts.copy_status_pipeline(info["cms_name"]),
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
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--groups", type=int, default=50, help="groups added for snapshot_50_groups_s")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--snapin-s", type=float, default=3.0)
    parser.add_argument(
        "--lab-nice",
        type=int,
        default=LAB_NICE,
        help="CPU niceness of the labs' process (they stand for remote servers; 0: equal to the app)",
    )
    parser.add_argument("--serve-labs", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--labs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--extra-groups", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_labs:
        serve_labs(args.latency_ms, args.snapin_s, args.labs, args.extra_groups, args.lab_nice)
        return
    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    import ccrgui.gui.window  # noqa: F401  (imported before anything is timed)
    counter = HttpCounter()
    labs = [
        LabProcess(args.latency_ms, args.snapin_s, nice=args.lab_nice),
        LabProcess(args.latency_ms, args.snapin_s, extra_groups=args.groups, nice=args.lab_nice),
        LabProcess(args.latency_ms, args.snapin_s, labs=args.clusters, nice=args.lab_nice),
    ]
    one, big, many = labs
    try:

        async def run() -> None:
            first, later = await bench_one(one, counter, args.runs)
            naive_s, naive_reqs, failed = await asyncio.get_running_loop().run_in_executor(
                None, naive_snapshot, one, counter
            )
            out("naive_snapshot_s", naive_s, "s")
            out("naive_snapshot_failed_commands", failed, "commands")
            out("naive_snapshot_http_requests", naive_reqs, "requests")
            out("naive_to_first_snapshot_ratio", naive_s / first, "x")
            out("naive_to_later_snapshot_ratio", naive_s / later, "x")
            await bench_50_groups(big, counter)
            await gui_many(many, args.runs)

        run_on_qasync(run)
    finally:
        for lab in labs:
            lab.stop()
        out("wall_time_s", time.perf_counter() - STARTED, "s")
        out("lab_process_niceness", args.lab_nice)
        out("machine_load_average_1min", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
