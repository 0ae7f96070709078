"""Test doubles for the GUI: realistic snapshots and an in-memory ClusterSession.

The fake session applies actions to its snapshot the way the real cluster would (owner changes,
paused nodes refuse groups, ...), so window tests check real GUI behaviour, not canned answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from ccrgui.domain.maintenance import (
    CheckResult,
    ReplicationCheck,
    ReplicationHealth,
    ReplicationHealthReport,
    WitnessReachability,
)
from ccrgui.domain.model import (
    ActionResult,
    ClusterSnapshot,
    CmsState,
    CmsStatus,
    CommandRun,
    CopyStatus,
    Group,
    GroupState,
    InterfaceState,
    NetInterface,
    Network,
    NetworkState,
    Node,
    NodeDetails,
    NodeError,
    NodeState,
    Quorum,
    Resource,
    ResourceState,
    SetupReport,
    StorageGroupCopy,
)
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, ProgressCallback, Refusal, Shell, Step
from ccrgui.domain.session_api import (
    AuthMethod,
    ClusterSession,
    ConnectionSettings,
    EventBatch,
    LogQuery,
    PartialCallback,
)
from ccrgui.domain.upgrade.facts import NodeUpgradeFacts

NODES = ("EXNODE1", "EXNODE2")


def make_snapshot(
    cluster: str = "EXCLUS1",
    owner: str = "EXNODE1",
    node_states: tuple[NodeState, ...] = (NodeState.UP, NodeState.UP),
    cms_state: GroupState = GroupState.ONLINE,
    extra_groups: tuple[str, ...] = (),
    networks: tuple[str, ...] = ("Cluster Network 1", "Cluster Network 2"),
    node_errors: tuple[NodeError, ...] = (),
) -> ClusterSnapshot:
    nodes = tuple(
        Node(
            name,
            state,
            node_id=i + 1,
            details=NodeDetails(
                os_caption="Microsoft® Windows Server® 2008 Enterprise ",
                os_version="6.0.6001",
                service_pack="Service Pack 1",
                cpu="Intel(R) Xeon(R) CPU           E5440  @ 2.83GHz",
                cpu_count=4,
                memory_total_mb=16383,
                memory_in_use_mb=8600 + 600 * i,
                exchange_version="Version 8.1 (Build 240.6)",
            ),
        )
        for i, (name, state) in enumerate(zip(NODES, node_states, strict=False))
    )
    passive = next(n for n in NODES if n != owner)
    groups = [
        Group("Cluster Group", GroupState.ONLINE, "EXNODE1", is_core=True),
        Group("Available Storage", GroupState.ONLINE, "EXNODE1", is_storage=True),
        Group("EXCH1", cms_state, owner, is_cms=True),
    ]
    groups += [Group(name, GroupState.ONLINE, "EXNODE2") for name in extra_groups]
    res_state = cms_state if cms_state in (GroupState.ONLINE, GroupState.OFFLINE) else GroupState.ONLINE
    resources = (
        Resource("Cluster IP Address", ResourceState.ONLINE, "Cluster Group", "EXNODE1", "IP Address"),
        Resource("Cluster Name", ResourceState.ONLINE, "Cluster Group", "EXNODE1", "Network Name"),
        Resource(
            "File Share Witness (\\\\HUB1\\FSW_EXCH1)",
            ResourceState.ONLINE,
            "Cluster Group",
            "EXNODE1",
            "File Share Witness",
        ),
        Resource("Network Name (EXCH1)", res_state, "EXCH1", owner, "Network Name"),
        Resource(
            "Exchange System Attendant Instance (EXCH1)",
            res_state,
            "EXCH1",
            owner,
            "Microsoft Exchange System Attendant",
        ),
        Resource(
            "Exchange Information Store Instance (EXCH1)",
            res_state,
            "EXCH1",
            owner,
            "Microsoft Exchange Information Store",
        ),
        Resource(
            "First Storage Group/Mailbox Database (EXCH1)",
            res_state,
            "EXCH1",
            owner,
            "Microsoft Exchange Database Instance",
        ),
        Resource(
            "Second Storage Group/Executives (EXCH1)",
            res_state,
            "EXCH1",
            owner,
            "Microsoft Exchange Database Instance",
        ),
    )
    nets = tuple(
        Network(n, NetworkState.UP, "Internal and client use", f"10.0.{i}.0", "255.255.255.0")
        for i, n in enumerate(networks)
    )
    interfaces = tuple(
        NetInterface(
            node,
            net.name,
            InterfaceState.UP,
            f"{node} - Public{i}",
            "Intel(R) PRO/1000 MT",
            f"10.0.{i}.{11 + j}",
        )
        for j, node in enumerate(NODES)
        for i, net in enumerate(nets)
    )
    online = cms_state is GroupState.ONLINE
    return ClusterSnapshot(
        cluster_name=cluster,
        taken_at=datetime(2026, 11, 25, 22, 0, tzinfo=UTC),
        nodes=nodes,
        groups=tuple(groups),
        resources=resources,
        networks=nets,
        interfaces=interfaces,
        quorum=Quorum(
            "Node and File Share Majority",
            "File Share Witness (\\\\HUB1\\FSW_EXCH1)",
            "\\\\HUB1\\FSW_EXCH1",
            ResourceState.ONLINE,
        ),
        cms=CmsStatus(
            "EXCH1",
            CmsState.ONLINE if online else CmsState.OFFLINE,
            owner,
            (f"{owner} <Active, Quorum Owner>", passive),
        ),
        copies=(
            StorageGroupCopy("EXCH1\\First Storage Group", "First Storage Group", CopyStatus.HEALTHY),
            StorageGroupCopy(
                "EXCH1\\Second Storage Group",
                "Second Storage Group",
                CopyStatus.HEALTHY,
                copy_queue_length=1,
                replay_queue_length=2,
            ),
        ),
        node_errors=node_errors,
        served_by="EXNODE1",
    )


class FakeSession:
    """An in-memory ClusterSession: actions change the snapshot as the cluster would."""

    def __init__(self, host: str = "EXCLUS1", delay: float = 0.0) -> None:
        self._settings = ConnectionSettings(
            host=host, https=False, auth=AuthMethod.NTLM, username="CONTOSO\\a"
        )
        self.snap = make_snapshot()
        self.delay = delay
        self.fail_next: str = ""
        self.unreachable: str = ""
        self.calls: list[tuple[str, ...]] = []
        self.closed = False
        self.snapshot_calls = 0
        self.plans_run: list[Plan] = []
        # Set: the next snapshot gives the cluster part first (reading_exchange, no CMS known),
        # then waits for this event before answering in full (Exchange's snap-in loading).
        self.exchange_loading: asyncio.Event | None = None

    @property
    def cluster_name(self) -> str:
        return self.snap.cluster_name

    @property
    def settings(self) -> ConnectionSettings:
        return self._settings

    async def snapshot(self, on_partial: PartialCallback | None = None) -> ClusterSnapshot:
        self.snapshot_calls += 1
        if self.exchange_loading is not None and on_partial is not None:
            groups = tuple(dataclasses.replace(g, is_cms=False) for g in self.snap.groups)
            partial = dataclasses.replace(self.snap, groups=groups, cms=None, copies=())
            partial = dataclasses.replace(partial, reading_exchange=True)
            on_partial(partial)
            await self.exchange_loading.wait()
            self.exchange_loading = None
        await asyncio.sleep(self.delay)
        if self.unreachable:
            raise OSError(self.unreachable)
        return self.snap

    def _result(self, action: str, command: str, ok: bool = True, error: str = "") -> ActionResult:
        if self.fail_next:
            error, ok, self.fail_next = self.fail_next, False, ""
        return ActionResult(action, ok, (CommandRun("EXNODE1", command, 0 if ok else 1, "", error),), error)

    def _set_group(self, name: str, **changes: object) -> None:
        groups = tuple(dataclasses.replace(g, **changes) if g.name == name else g for g in self.snap.groups)  # type: ignore[arg-type]
        self.snap = dataclasses.replace(self.snap, groups=groups)

    async def move_group(self, group: str, node: str | None, comment: str = "") -> ActionResult:
        self.calls.append(("move", group, node or "", comment))
        await asyncio.sleep(self.delay)
        cmd = self.preview(ActionRequest(ActionKind.MOVE_GROUP, group, node, comment))[0]
        target = self.snap.node(node) if node else None
        if target is not None and target.state is not NodeState.UP:
            return self._result(
                f"Move {group}", cmd, False, "The cluster node is not in a state to accept groups."
            )
        res = self._result(f"Move {group} to {node}", cmd)
        if res.ok:
            new_owner = node or "EXNODE2"
            self._set_group(group, owner=new_owner)
            if self.snap.cms and group == self.snap.cms.name:
                self.snap = dataclasses.replace(
                    self.snap, cms=dataclasses.replace(self.snap.cms, active_node=new_owner)
                )
        return res

    async def validate_move_cms(self, node: str, comment: str) -> ActionResult:
        self.calls.append(("validate", node, comment))
        return self._result(
            "Validate move", f"Move-ClusteredMailboxServer -ValidateOnly -TargetMachine '{node}'"
        )

    async def bring_online(self, group: str) -> ActionResult:
        self.calls.append(("online", group))
        await asyncio.sleep(self.delay)
        line = self.preview(ActionRequest(ActionKind.ONLINE_GROUP, group))[0]
        res = self._result(f"Bring {group} online", line)
        if res.ok:
            self._set_group(group, state=GroupState.ONLINE)
        return res

    async def take_offline(self, group: str, reason: str = "") -> ActionResult:
        self.calls.append(("offline", group, reason))
        await asyncio.sleep(self.delay)
        line = self.preview(ActionRequest(ActionKind.OFFLINE_GROUP, group, text=reason))[0]
        res = self._result(f"Take {group} offline", line)
        if res.ok:
            self._set_group(group, state=GroupState.OFFLINE)
        return res

    def _set_node(self, name: str, state: NodeState) -> None:
        nodes = tuple(dataclasses.replace(n, state=state) if n.name == name else n for n in self.snap.nodes)
        self.snap = dataclasses.replace(self.snap, nodes=nodes)

    async def pause_node(self, node: str) -> ActionResult:
        self.calls.append(("pause", node))
        res = self._result(f"Pause {node}", self.preview(ActionRequest(ActionKind.PAUSE_NODE, node))[0])
        if res.ok:
            self._set_node(node, NodeState.PAUSED)
        return res

    async def resume_node(self, node: str) -> ActionResult:
        self.calls.append(("resume", node))
        res = self._result(f"Resume {node}", self.preview(ActionRequest(ActionKind.RESUME_NODE, node))[0])
        if res.ok:
            self._set_node(node, NodeState.UP)
        return res

    async def suspend_copy(self, storage_group: str, comment: str) -> ActionResult:
        self.calls.append(("suspend", storage_group, comment))
        return self._result("Suspend", f"Suspend-StorageGroupCopy '{storage_group}'")

    async def resume_copy(self, storage_group: str) -> ActionResult:
        self.calls.append(("resume-copy", storage_group))
        return self._result("Resume", f"Resume-StorageGroupCopy '{storage_group}'")

    async def update_copy(self, storage_group: str) -> ActionResult:
        self.calls.append(("update", storage_group))
        return self._result("Update", self.preview(ActionRequest(ActionKind.UPDATE_COPY, storage_group))[0])

    def _lines(self, r: ActionRequest) -> list[str]:
        """The lines the real backend would show (the fake's own rendering of them)."""
        cms = self.snap.cms.name if self.snap.cms else ""
        k = r.kind
        if k is ActionKind.MOVE_GROUP and r.target == cms:
            line = (
                f"Move-ClusteredMailboxServer -Identity '{r.target}' -TargetMachine '{r.node}' "
                f"-MoveComment '{r.text}' -Confirm:$false"
            )
            if r.validate_only:
                line = line.replace(" -Confirm:$false", " -ValidateOnly -Confirm:$false")
            return [line]
        if k is ActionKind.MOVE_GROUP:
            return [f'cluster.exe group "{r.target}" /move' + (f':"{r.node}"' if r.node else "")]
        if k is ActionKind.OFFLINE_GROUP and r.target == cms:
            return [
                f"Stop-ClusteredMailboxServer -Identity '{r.target}' -StopReason '{r.text}' -Confirm:$false"
            ]
        return {
            ActionKind.OFFLINE_GROUP: [f'cluster.exe group "{r.target}" /offline'],
            ActionKind.ONLINE_GROUP: [f'cluster.exe group "{r.target}" /online'],
            ActionKind.PAUSE_NODE: [f'cluster.exe node "{r.target}" /pause'],
            ActionKind.RESUME_NODE: [f'cluster.exe node "{r.target}" /resume'],
            ActionKind.SUSPEND_COPY: [
                f"Suspend-StorageGroupCopy -Identity '{r.target}' -SuspendComment '{r.text}' -Confirm:$false"
            ],
            ActionKind.RESUME_COPY: [f"Resume-StorageGroupCopy -Identity '{r.target}' -Confirm:$false"],
            ActionKind.UPDATE_COPY: [
                f"Update-StorageGroupCopy -Identity '{r.target}' -Force -Confirm:$false"
            ],
        }[k]

    def plan(self, request: ActionRequest) -> Plan | Refusal:
        lines = self._lines(request)
        shell = Shell.EMS if "-Identity" in lines[0] else Shell.CMD
        return Plan(request.kind.value, (Step(request.kind.value, shell, tuple(lines)),), request)

    def preview(self, request: ActionRequest) -> list[str]:
        plan = self.plan(request)
        return plan.command_lines

    async def run_plan(self, plan: Plan, progress: ProgressCallback | None = None) -> ActionResult:
        """Runs the plan through the per-action methods (which change the snapshot)."""
        self.plans_run.append(plan)
        r = plan.request
        assert r is not None
        k = r.kind
        if k is ActionKind.MOVE_GROUP and r.validate_only:
            return await self.validate_move_cms(r.node or "", r.text)
        if k is ActionKind.MOVE_GROUP:
            return await self.move_group(r.target, r.node, r.text)
        if k is ActionKind.ONLINE_GROUP:
            return await self.bring_online(r.target)
        if k is ActionKind.OFFLINE_GROUP:
            return await self.take_offline(r.target, r.text)
        if k is ActionKind.PAUSE_NODE:
            return await self.pause_node(r.target)
        if k is ActionKind.RESUME_NODE:
            return await self.resume_node(r.target)
        if k is ActionKind.SUSPEND_COPY:
            return await self.suspend_copy(r.target, r.text)
        if k is ActionKind.RESUME_COPY:
            return await self.resume_copy(r.target)
        return await self.update_copy(r.target)

    def mark_stale(self) -> None:
        self.calls.append(("mark_stale",))

    async def replication_health(self) -> ReplicationHealthReport:
        """Every check passes unless a copy is suspended (as Test-ReplicationHealth would say)."""
        nodes = tuple(n.name for n in self.snap.nodes)
        checks = []
        for node in nodes:
            suspended = [c.identity for c in self.snap.copies if c.suspended]
            result = CheckResult.FAILED if suspended else CheckResult.PASSED
            error = "; ".join(f"Storage group copy '{i}' is suspended." for i in suspended)
            checks.append(ReplicationCheck(node, "SGCopySuspended", result, error))
        errors = {self.unreachable: "WinRM: connection refused"} if self.unreachable in nodes else {}
        return ReplicationHealthReport(ReplicationHealth(tuple(checks)), errors, nodes)

    async def check_witness(self) -> WitnessReachability | None:
        q = self.snap.quorum
        if q is None or not q.path:
            return None
        return WitnessReachability(q.path, {n.name: True for n in self.snap.nodes})

    async def query_events(self, queries: list[LogQuery]) -> AsyncIterator[EventBatch]:
        for q in queries:
            yield EventBatch(q)

    async def read_upgrade_facts(self, node: str, setup_folder: str = "", msp: str = "") -> NodeUpgradeFacts:
        """The upgrade's per-node reads are exercised against the lab (tests/integration)."""
        return NodeUpgradeFacts(node, error="the fake session reads no node")

    def parse_setup_output(self, text: str) -> SetupReport:
        return SetupReport()

    async def close(self) -> None:
        self.closed = True


# mypy checks the fake against the real protocol the GUI is written for.
_CONFORMS: type[ClusterSession] = FakeSession
