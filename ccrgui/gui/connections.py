"""The console's connections: one ClusterSession per cluster, its refresh loop and its actions.

Qt-free apart from signals.  Refresh is a named task per cluster, so a manual refresh supersedes a
periodic one still waiting on a slow node; periodic refresh is held back while an action runs on
that cluster and runs faster for a while after an action or while a group is changing state.
A cluster that cannot be read keeps its last snapshot, greyed, with the error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ccrgui.domain.eventquery import TargetKind, critical_events_filter, to_log_queries
from ccrgui.domain.model import ActionResult, ClusterSnapshot
from ccrgui.domain.plan import Plan
from ccrgui.domain.session_api import ClusterSession
from ccrgui.gui.oplog import CANCELLED, FAILED, OpLogModel
from ccrgui.gui.state import ClusterEntry, ConnState
from ccrgui.gui.tasks import NamedTasks

log = logging.getLogger(__name__)
ActionCall = Callable[[], Coroutine[Any, Any, ActionResult]]


@dataclass
class Connection:
    conn_id: str
    session: ClusterSession
    entry: ClusterEntry
    busy: str = ""  # label of the action running on this cluster
    last_refresh: float = 0.0  # monotonic
    fast_until: float = 0.0
    critical: str = ""  # count of critical events in the last 24 h, as shown
    critical_read: float = 0.0
    errors: list[str] = field(default_factory=list)


def conn_id_for(session: ClusterSession) -> str:
    s = session.settings
    return f"{s.host}:{s.effective_port}".casefold()


class ConnectionManager(QObject):
    changed = Signal(str)  # conn_id: entry, busy or critical count changed
    removed = Signal(str)
    action_failed = Signal(str, object)  # conn_id, ActionResult
    work_changed = Signal()  # something started or finished (status bar progress)

    def __init__(
        self,
        oplog: OpLogModel,
        *,
        refresh_interval_s: float = 10.0,
        fast_interval_s: float = 1.0,
        fast_period_s: float = 30.0,
        critical_interval_s: float = 300.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.oplog = oplog
        self.refresh_interval_s = refresh_interval_s
        self.fast_interval_s = fast_interval_s
        self.fast_period_s = fast_period_s
        self.critical_interval_s = critical_interval_s
        self.tasks = NamedTasks()
        self._conns: dict[str, Connection] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)
        self._loop: asyncio.AbstractEventLoop | None = None  # where the refreshes run

    # --- connections ---------------------------------------------------------------------
    def connections(self) -> list[Connection]:
        return list(self._conns.values())

    def get(self, conn_id: str) -> Connection | None:
        return self._conns.get(conn_id)

    def entries(self) -> dict[str, ClusterEntry]:
        return {c.conn_id: c.entry for c in self._conns.values()}

    def add(self, session: ClusterSession) -> str:
        """Show `session` (greyed "Connecting") and read it at once; returns its connection id."""
        conn_id = conn_id_for(session)
        old = self._conns.get(conn_id)
        if old is not None:
            return conn_id
        self._loop = asyncio.get_running_loop()
        entry = ClusterEntry(conn_id, session.settings.host, ConnState.CONNECTING)
        self._conns[conn_id] = Connection(conn_id, session, entry)
        self.changed.emit(conn_id)
        self.refresh(conn_id)
        if not self._timer.isActive():
            self._timer.start()
        return conn_id

    async def remove(self, conn_id: str) -> None:
        conn = self._conns.pop(conn_id, None)
        if conn is None:
            return
        self.tasks.cancel_prefix(f"refresh:{conn_id}")
        self.tasks.cancel_prefix(f"critical:{conn_id}")
        self.removed.emit(conn_id)
        await conn.session.close()

    def stop(self) -> None:
        """Stop periodic refresh (when no event loop is left to close sessions with)."""
        self._timer.stop()

    async def close(self) -> None:
        """Stop refreshing and close every session (idempotent)."""
        self._timer.stop()
        await self.tasks.cancel_all()
        for conn_id in list(self._conns):
            await self.remove(conn_id)

    # --- refresh -------------------------------------------------------------------------
    def refresh(self, conn_id: str) -> asyncio.Task[None] | None:
        """Re-read the cluster now, superseding a refresh still running for it."""
        if conn_id not in self._conns:
            return None
        task = self.tasks.run(f"refresh:{conn_id}", self._refresh(conn_id))
        task.add_done_callback(lambda _: self.work_changed.emit())  # after it no longer counts as running
        return task

    def refresh_all(self) -> None:
        for conn_id in list(self._conns):
            self.refresh(conn_id)

    def is_refreshing(self, conn_id: str) -> bool:
        return self.tasks.is_running(f"refresh:{conn_id}")

    async def _refresh(self, conn_id: str) -> None:
        conn = self._conns[conn_id]
        self.work_changed.emit()

        def partial(snap: ClusterSnapshot) -> None:
            # A first read's earlier view (the cluster before Exchange, marked; or the whole
            # cluster before the store's slow read): shown at once.
            if self._conns.get(conn_id) is conn:
                conn.entry = ClusterEntry(conn_id, conn.entry.host, ConnState.CONNECTED, snap)
                self.changed.emit(conn_id)

        try:
            snap = await conn.session.snapshot(on_partial=partial)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the backend's own failures (network, auth) are shown, not raised
            log.warning("cannot read %s", conn.entry.label, exc_info=True)
            conn.entry = replace(conn.entry, state=ConnState.UNREACHABLE, error=_describe(exc))
        else:
            if nothing_read(snap):
                # No node answered: the cluster is unreachable; keep showing what was last read.
                error = "; ".join(dict.fromkeys(e.message for e in snap.node_errors))
                last = conn.entry.snapshot or snap
                conn.entry = ClusterEntry(conn_id, conn.entry.host, ConnState.UNREACHABLE, last, error)
            else:
                conn.entry = ClusterEntry(conn_id, conn.entry.host, ConnState.CONNECTED, snap)
        finally:
            conn.last_refresh = time.monotonic()
        if conn_id in self._conns:
            self.changed.emit(conn_id)
            if conn.entry.state is ConnState.CONNECTED and (
                not conn.critical_read or time.monotonic() - conn.critical_read > self.critical_interval_s
            ):
                self.tasks.run(f"critical:{conn_id}", self._read_critical(conn_id))

    async def _read_critical(self, conn_id: str) -> None:
        """Count Critical and Error cluster events of the last 24 hours on every node."""
        conn = self._conns[conn_id]
        snap = conn.entry.snapshot
        if snap is None:
            return
        conn.critical_read = time.monotonic()
        nodes = [n.name for n in snap.nodes]
        flt = critical_events_filter(TargetKind.CLUSTER, snap.cluster_name, nodes=nodes)
        total, more, failed = 0, False, []
        try:
            async for batch in conn.session.query_events(to_log_queries(flt, nodes)):
                if batch.error:
                    failed.append(batch.query.node)
                total += len(batch.events)
                more = more or batch.truncated
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a summary figure must not take the console down
            log.warning("cannot count critical events on %s", snap.cluster_name, exc_info=True)
            text = f"Unavailable: {_describe(exc)}"
        else:
            text = f"{total}{'+' if more else ''}"
            if failed:
                text += " (not read from " + ", ".join(sorted(set(failed))) + ")"
        conn.critical = text
        if conn_id in self._conns:
            self.changed.emit(conn_id)

    def _tick(self) -> None:
        if self._loop is None or self._loop.is_closed():
            # The loop it was reading on has ended (never closed: an app shutting down, a test
            # that forgot): Qt still fires the timer, but reading on another loop would reach
            # hosts nobody shows any more.
            self._timer.stop()
            return
        now = time.monotonic()
        for conn in list(self._conns.values()):
            if conn.busy or self.is_refreshing(conn.conn_id):
                continue
            snap = conn.entry.snapshot
            changing = snap is not None and any(g.state.is_pending for g in snap.groups)
            fast = changing or now < conn.fast_until
            interval = self.fast_interval_s if fast else self.refresh_interval_s
            if now - conn.last_refresh >= interval:
                self.refresh(conn.conn_id)

    # --- actions -------------------------------------------------------------------------
    def busy_work(self) -> list[str]:
        """Labels of the work running now (actions and refreshes) for the status bar."""
        work = [f"{c.entry.label}: {c.busy}" for c in self._conns.values() if c.busy]
        work += [f"Refreshing {c.entry.label}" for c in self._conns.values() if self.is_refreshing(c.conn_id)]
        return work

    def cancel_actions(self) -> None:
        self.tasks.cancel_prefix("action:")

    async def run_plan(self, conn_id: str, target: str, label: str, plan: Plan) -> ActionResult | None:
        """Run `plan` as confirmed: the log records that plan, the session runs that object."""
        session = self._conns[conn_id].session
        lines = [plan.describe()]
        return await self.run_action(conn_id, target, label, lines, lambda: session.run_plan(plan))

    async def run_action(
        self, conn_id: str, target: str, label: str, commands: list[str], call: ActionCall
    ) -> ActionResult | None:
        """Run one action (one at a time per cluster), log it, then re-read the cluster."""
        conn = self._conns[conn_id]
        if conn.busy:
            raise RuntimeError(f"{conn.busy} is still running on {conn.entry.label}")
        entry_id = self.oplog.start(target, label, "\n".join(commands))
        conn.busy = label
        self.tasks.cancel(f"refresh:{conn_id}")  # its answer would be older than the action
        self.changed.emit(conn_id)
        self.work_changed.emit()
        task = self.tasks.run(f"action:{conn_id}", call())
        result: ActionResult | None = None
        try:
            result = await task
        except asyncio.CancelledError:
            self.oplog.finish(
                entry_id, CANCELLED, "Cancelled by the user; the command may still complete on Windows"
            )
            if not task.cancelled():
                raise
        except Exception as exc:
            result = ActionResult(label, False, (), _describe(exc))
            self.oplog.finish(entry_id, FAILED, result.error)
        else:
            self.oplog.finish_with(entry_id, result)
        finally:
            conn.busy = ""
            conn.fast_until = time.monotonic() + self.fast_period_s
            self.work_changed.emit()
        if result is not None and not result.ok:
            self.action_failed.emit(conn_id, result)
        if conn_id in self._conns:
            self.changed.emit(conn_id)
            self.refresh(conn_id)
        return result


def critical_text(conn: Connection) -> str:
    """The critical-event count as shown: never "Reading…" for a cluster nobody can read."""
    if conn.critical:
        return conn.critical
    if conn.entry.state is ConnState.UNREACHABLE:
        return "Not read: the cluster cannot be reached"
    return "Reading…"


def nothing_read(snap: ClusterSnapshot) -> bool:
    """True when no node answered (the backend returns errors for all and no cluster state)."""
    return bool(snap.node_errors) and not snap.served_by and not snap.groups


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
