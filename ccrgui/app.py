"""`ccrgui`: the console's entry point, and the only place that builds sessions and the lab.

ccrgui                          the window with the recent clusters
ccrgui --connect EXCLUS1        connect to a cluster (or node) with the current Windows user
ccrgui --demo                   start the simulated cluster in this process and connect to it
ccrgui upgrade --connect HOST --setup-path PATH [--yes] [--resume]
                                the rolling upgrade without a window (see upgrade_cli.py)
ccrgui --demo --screenshot F    render the demo with the clustered mailbox server selected,
                                save F (PNG) and exit 0 (README pictures, smoke checks)
ccrgui --demo --screenshot F --select "EXCLUS1/Nodes/EXNODE1"   the same with that tree item selected
ccrgui --self-test              the window (offscreen) against an in-process lab over Basic/HTTPS:
                                checks the tree and exits 0 when this installation works
ccrgui --version                the installed version
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from ccrgui import collector
from ccrgui.atomicfile import atomic_path
from ccrgui.domain.session_api import AuthMethod, ClusterSession, ConnectionSettings, LogonAvailability
from ccrgui.gui import asyncqt
from ccrgui.gui.connect import keyring_password, load_recent, set_logon_probe
from ccrgui.gui.state import ItemRef, Kind
from ccrgui.gui.treepath import find_path, split_path
from ccrgui.gui.window import MainWindow

if TYPE_CHECKING:
    from ccrgui.lab.lab import Lab

log = logging.getLogger("ccrgui")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ccrgui", description="Console for Exchange 2007 CCR failover clusters.")
    p.add_argument(
        "--connect",
        metavar="HOST",
        action="append",
        default=[],
        help="cluster or node to manage (repeatable); current Windows user over HTTPS",
    )
    p.add_argument("--http", action="store_true", help="use HTTP (5985) for --connect instead of HTTPS")
    p.add_argument("--port", type=int, default=None, help="WinRM port for --connect")
    p.add_argument("--demo", action="store_true", help="start the simulated cluster and connect to it")
    p.add_argument("--lab-topology", metavar="FILE", help="topology JSON for --demo")
    p.add_argument(
        "--lab-speed",
        type=float,
        default=4.0,
        help="--demo state changes run this many times faster than real (default 4)",
    )
    p.add_argument(
        "--screenshot",
        metavar="FILE.png",
        type=Path,
        help="render the window with the clustered mailbox server selected, save it and exit",
    )
    p.add_argument(
        "--select",
        metavar="PATH",
        help='with --screenshot: the tree item to select, e.g. "EXCLUS1/Nodes/EXNODE1" or "Cluster Events"',
    )
    p.add_argument(
        "--refresh",
        type=float,
        default=None,
        metavar="SECONDS",
        help="auto-refresh interval (default: the saved setting, else 10)",
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation: the window (offscreen) against an in-process lab; 0 when it works",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.self_test and (args.demo or args.connect or args.screenshot):
        p.error("--self-test runs on its own")
    if args.screenshot and not (args.demo or args.connect):
        p.error("--screenshot needs --demo or --connect")
    if args.select is not None and not (args.screenshot and split_path(args.select)):
        p.error("--select needs --screenshot and a tree path such as EXCLUS1/Nodes/EXNODE1")
    if (args.refresh is not None and args.refresh <= 0) or args.lab_speed <= 0:
        p.error("--refresh and --lab-speed must be positive")
    return args


def installed_version() -> str:
    try:
        return version("ccrgui")
    except PackageNotFoundError:  # a checkout run without installing
        return "unknown (not installed)"


def make_session(settings: ConnectionSettings, password: str) -> ClusterSession:
    """The backend session for one cluster (raises ConnectionError_ for refused settings)."""
    from ccrgui.remote.session import WinRMClusterSession

    return WinRMClusterSession(settings, password)


def current_user_logon() -> LogonAvailability:
    """The backend's answer to "can the current user log on here" (for the connect dialog)."""
    from ccrgui.remote.api import current_user_logon as probe

    return probe()


def preload_backend() -> None:
    """Import the backend (a few hundred ms) off the GUI thread, before the first connection."""
    import ccrgui.remote.session  # noqa: F401


async def console_ready() -> None:
    """The window is shown: load the backend, then freeze what lives as long as the app
    (modules, the window), so later full collections do not re-scan it on the GUI thread."""
    await asyncio.to_thread(preload_backend)
    collector.settle()


def start_lab(topology_file: str | None, speed: float, auth: str = "ntlm") -> Lab:
    """The simulated cluster, started on free ports of 127.0.0.1 (blocking; run in a thread)."""
    from ccrgui.lab.lab import Lab
    from ccrgui.lab.topology import load_topology

    topology = load_topology(topology_file) if topology_file else None
    return Lab(topology, speed=speed, auth="basic-https" if auth == "basic-https" else "ntlm").start()


def demo_connection(info: dict[str, Any]) -> tuple[ConnectionSettings, str]:
    """How to reach the lab described by `Lab.info()` (the backend's own translation)."""
    from ccrgui.remote.session import settings_from_lab_info

    return settings_from_lab_info(info)


def recent_connections(qsettings: QSettings) -> list[tuple[ConnectionSettings, str]]:
    """Recent clusters that can be reopened without asking: current user, or a stored password."""
    found = []
    for r in load_recent(qsettings):
        s = r.settings()
        if s.auth is AuthMethod.CURRENT_USER:
            found.append((s, ""))
        else:
            password = keyring_password(s.host, s.username)
            if password:
                found.append((s, password))
    return found


async def _until_changed(window: MainWindow, done: Callable[[], bool], deadline: float) -> None:
    """Wait until `done()` holds, re-checking each time a connection changes, or until `deadline`."""
    changed = asyncio.Event()

    def on_changed(_conn_id: str) -> None:
        changed.set()

    window.manager.changed.connect(on_changed)
    try:
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await changed.wait()
    finally:
        window.manager.changed.disconnect(on_changed)


async def screenshot(
    window: MainWindow, path: Path, timeout_s: float = 120.0, select: str | None = None
) -> int:
    """Wait for the clustered mailbox server, select it (or `select`), save the window as PNG."""
    deadline = time.monotonic() + timeout_s
    cms: ItemRef | None = None
    while cms is None:
        for conn in window.manager.connections():
            snap = conn.entry.snapshot
            if snap is not None and snap.cms_group is not None:
                cms = ItemRef(conn.conn_id, Kind.GROUP, snap.cms_group.name)
        if cms is None:
            if time.monotonic() > deadline:
                errors = "; ".join(f"{c.entry.label}: {c.entry.error}" for c in window.manager.connections())
                print(
                    f"ccrgui: no clustered mailbox server appeared ({errors or 'no cluster'})",
                    file=sys.stderr,
                )
                return 1
            await asyncio.sleep(0.1)
    for kind in (Kind.SERVICES, Kind.NODES, Kind.NETWORKS, Kind.REPLICATION):
        index = window.tree_model.find(ItemRef(cms.conn_id, kind))
        if index.isValid():
            window.tree.expand(index)
    window.select(cms)
    cms_conn = window.manager.get(cms.conn_id)
    if cms_conn is not None:  # the summary shows the critical-event count once it is read
        await _until_changed(window, lambda: bool(cms_conn.critical), deadline)
    if select is not None and not await select_path(window, select, deadline):
        print(f"ccrgui: no tree item {select!r}", file=sys.stderr)
        return 1
    window.refresh_view()
    await asyncio.sleep(0.3)
    path = await asyncio.to_thread(path.resolve)
    try:
        with atomic_path(path, suffix=".png") as tmp:
            if not window.grab().save(str(tmp), "PNG"):
                raise OSError(f"cannot write {path}")
    except OSError as exc:
        print(f"ccrgui: {exc}", file=sys.stderr)
        return 1
    print(f"ccrgui: saved {path}")
    return 0


async def run_self_test(app: QApplication, args: argparse.Namespace) -> int:
    """`--self-test`: see ccrgui/selftest.py (settings and audit log go to a throw-away folder)."""
    from ccrgui import selftest

    with tempfile.TemporaryDirectory(prefix="ccrgui-self-test-", ignore_cleanup_errors=True) as tmp:
        qsettings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)

        def session_in_tmp(settings: ConnectionSettings, password: str) -> ClusterSession:
            from ccrgui.remote.audit import AuditLog
            from ccrgui.remote.session import WinRMClusterSession

            audit = AuditLog(Path(tmp) / "audit.jsonl", remote_user=settings.username)
            return WinRMClusterSession(settings, password, audit=audit)

        window = MainWindow(session_factory=session_in_tmp, settings=qsettings)
        lab: Lab | None = None
        try:
            window.show()
            lab = await asyncio.to_thread(start_lab, args.lab_topology, args.lab_speed, "basic-https")
            topology = lab.topology
            expected = selftest.Expected(
                topology.cluster_name, tuple(n.name for n in topology.nodes), topology.cms_name
            )
            window.connect_to(*demo_connection(lab.info()))
            return await selftest.run(window, expected)
        finally:
            await window.manager.close()
            window.close()
            if lab is not None:
                await asyncio.to_thread(lab.stop)


async def select_path(window: MainWindow, path: str, deadline: float) -> bool:
    """Select the tree item at `path` (expanding what leads to it); wait for its view to load."""
    index = find_path(window.tree_model, path)
    while not index.isValid():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
        index = find_path(window.tree_model, path)
    parent = index.parent()
    while parent.isValid():
        window.tree.expand(parent)
        parent = parent.parent()
    window.tree.expand(index)
    window.tree.setCurrentIndex(index)
    view = window.center.currentWidget()
    await asyncio.sleep(0.2)
    # Center views share no busy-changed signal (only `busy`), so this polls, bounded by the deadline.
    while getattr(view, "busy", False) is True and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)  # e.g. the event view's query
    return True


async def run_console(app: QApplication, args: argparse.Namespace) -> int:
    qsettings = QSettings()
    set_logon_probe(current_user_logon)
    from ccrgui.history import HistoryStore

    history = HistoryStore()  # the user data folder; a damaged file is set aside with a notice
    window = MainWindow(session_factory=make_session, settings=qsettings, history=history)
    if args.refresh is not None:
        window.manager.refresh_interval_s = args.refresh
    lab: Lab | None = None
    try:
        if args.screenshot:
            window.resize(1280, 800)  # the size the views are checked at (tests/gui/test_clipping.py)
        window.show()
        await console_ready()
        if args.demo:
            window.statusBar().showMessage("Starting the simulated cluster…")
            lab = await asyncio.to_thread(start_lab, args.lab_topology, args.lab_speed)
            window.statusBar().clearMessage()
            settings, password = demo_connection(lab.info())
            window.connect_to(settings, password)
        for host in args.connect:
            window.connect_to(ConnectionSettings(host=host, port=args.port, https=not args.http), "")
        if not args.demo and not args.connect:
            for settings, password in recent_connections(qsettings):
                window.connect_to(settings, password)
        if args.screenshot:
            return await screenshot(window, args.screenshot, select=args.select)
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def window_closed() -> None:
            if not closed.done():
                closed.set_result(None)

        app.lastWindowClosed.connect(window_closed)
        await closed
        return 0
    finally:
        await window.manager.close()
        window.close()
        history.close()
        if lab is not None:
            await asyncio.to_thread(lab.stop)


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["upgrade"]:  # headless: no QApplication
        from ccrgui.upgrade_cli import main as upgrade_main

        return upgrade_main(given[1:])
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if args.self_test and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # checks the window without showing it
    if args.screenshot and "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # render without a display
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("ccrgui")
    app.setApplicationName("ccrgui")
    app.setApplicationDisplayName("Failover Cluster Management")
    app.setQuitOnLastWindowClosed(False)  # the asyncio main decides when to stop
    if args.self_test:
        return asyncqt.run(app, lambda: run_self_test(app, args))
    return asyncqt.run(app, lambda: run_console(app, args))


if __name__ == "__main__":
    sys.exit(main())
