"""The upgrade's pre-checks: each shown with its result; a failing blocking check refuses.

Read from one fresh snapshot plus each node's `NodeUpgradeFacts`; nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccrgui.domain.model import ClusterSnapshot, CmsState, CopyStatus, NodeState
from ccrgui.domain.upgrade.facts import (
    Build,
    NodeUpgradeFacts,
    ServiceInfo,
    build_text,
    monitoring_services,
    parse_build,
)

MIN_FREE_MB = 4096  # setup.com /mode:upgrade unpacks and copies the new binaries on the system drive


@dataclass(frozen=True)
class UpgradeOptions:
    """What the admin chose: a service pack (setup files folder) or an update rollup (.msp)."""

    setup_folder: str = ""
    rollup: str = ""
    move_back: bool = False  # move the CMS back to the node that was active at the start
    stop_reason: str = "Exchange service pack upgrade (ccrgui)"
    min_free_mb: int = MIN_FREE_MB

    @property
    def is_rollup(self) -> bool:
        return bool(self.rollup)


@dataclass(frozen=True)
class PreCheck:
    name: str
    ok: bool
    detail: str
    blocking: bool = True  # False: shown for information only


@dataclass(frozen=True)
class PreCheckReport:
    checks: tuple[PreCheck, ...]
    snapshot: ClusterSnapshot
    facts: dict[str, NodeUpgradeFacts] = field(default_factory=dict)
    active: str = ""
    passive: str = ""
    cms: str = ""
    cms_group: str = ""
    target_build: Build | None = None
    monitoring: dict[str, tuple[ServiceInfo, ...]] = field(default_factory=dict)

    @property
    def refusals(self) -> tuple[PreCheck, ...]:
        return tuple(c for c in self.checks if c.blocking and not c.ok)

    @property
    def ok(self) -> bool:
        return not self.refusals


def node_build(snap: ClusterSnapshot, node: str) -> Build | None:
    n = snap.node(node)
    return parse_build(n.details.exchange_version) if n is not None and n.details is not None else None


def copies_healthy(snap: ClusterSnapshot) -> bool:
    return bool(snap.copies) and all(c.status is CopyStatus.HEALTHY for c in snap.copies)


def _short_error(text: str) -> str:
    """PowerShell's 'Command execution stopped because ... Stop: ' prefix is noise here."""
    marker = "is set to Stop: "
    return text.split(marker, 1)[1] if marker in text else text


def _nodes(snap: ClusterSnapshot) -> list[PreCheck]:
    out = []
    if not snap.nodes:
        said = (
            e.message if not e.node or e.message.startswith(e.node) else f"{e.node}: {e.message}"
            for e in snap.node_errors
        )
        errors = "; ".join(dict.fromkeys(said))
        out.append(
            PreCheck(f"{snap.cluster_name} answers", False, errors or "no node of the cluster answered")
        )
    for n in snap.nodes:
        ok = n.state is NodeState.UP and n.reachable
        why = n.state.value + ("" if n.reachable else f", not reachable: {n.error}")
        out.append(PreCheck(f"{n.name} is Up and not paused", ok, why))
    if len(snap.nodes) != 2:
        out.append(
            PreCheck("Two nodes", False, f"a CCR cluster has two nodes; this one has {len(snap.nodes)}")
        )
    return out


def _cms(snap: ClusterSnapshot) -> list[PreCheck]:
    cms = snap.cms
    if cms is None:
        return [
            PreCheck(
                "Clustered mailbox server Online", False, "Exchange did not report a clustered mailbox server"
            )
        ]
    out = [
        PreCheck(
            f"{cms.name.split('.')[0]} is Online",
            cms.state is CmsState.ONLINE,
            f"{cms.state.value} on {cms.active_node or 'no node'}",
        )
    ]
    bad = [f"{c.identity}: {c.status.value}" for c in snap.copies if c.status is not CopyStatus.HEALTHY]
    detail = "; ".join(bad) if bad else f"{len(snap.copies)} copies Healthy"
    out.append(PreCheck("Every storage group copy is Healthy", copies_healthy(snap), detail))
    return out


def _media(
    options: UpgradeOptions, facts: dict[str, NodeUpgradeFacts]
) -> tuple[list[PreCheck], Build | None]:
    out = []
    builds = set()
    for node, f in facts.items():
        if f.error:
            out.append(PreCheck(f"{node} answers the pre-check reads", False, f.error))
            continue
        if options.is_rollup:
            out.append(
                PreCheck(
                    f"{options.rollup} on {node}", bool(f.msp_found), "found" if f.msp_found else "not found"
                )
            )
        else:
            where = options.setup_folder
            if not f.folder_exists:
                out.append(
                    PreCheck(f"Setup files folder on {node}", False, f"{where} does not exist on {node}")
                )
            elif not f.setup_found:
                detail = _short_error(f.setup_error) or f"setup.com is not in {where}"
                out.append(PreCheck(f"setup.com in {where} on {node}", False, detail))
            else:
                builds.add(f.setup_build)
                out.append(
                    PreCheck(f"setup.com in {where} on {node}", True, f"build {build_text(f.setup_build)}")
                )
        free = f.free_bytes
        if free is None:
            out.append(PreCheck(f"Free space on {node}'s system drive", False, "not reported"))
        else:
            mb = free // (1024 * 1024)
            out.append(
                PreCheck(
                    f"Free space on {node}'s system drive",
                    mb >= options.min_free_mb,
                    f"{mb:,} MB free (at least {options.min_free_mb:,} MB needed)",
                )
            )
    target = next(iter(builds)) if len(builds) == 1 else None
    if len(builds) > 1:
        text = ", ".join(sorted(build_text(b) for b in builds))
        out.append(PreCheck("Same setup files on every node", False, f"builds differ: {text}"))
    return out, target


def _builds(
    snap: ClusterSnapshot, facts: dict[str, NodeUpgradeFacts], options: UpgradeOptions, target: Build | None
) -> list[PreCheck]:
    out = []
    for n in snap.nodes:
        b = node_build(snap, n.name)
        f = facts.get(n.name)
        if options.is_rollup and f is not None and f.installed_build is not None:
            b = f.installed_build  # ExSetup.exe's version: rollups change it, not the registry
        out.append(PreCheck(f"Exchange build of {n.name}", b is not None, build_text(b), blocking=b is None))
    cms_build = parse_build(snap.cms_version)
    out.append(PreCheck("Exchange build of the clustered mailbox server", True, build_text(cms_build), False))
    if options.is_rollup:
        return out
    if target is not None and cms_build is not None:
        newer = target > cms_build
        out.append(
            PreCheck(
                "The setup files are newer than the clustered mailbox server",
                newer,
                f"setup files {build_text(target)}, clustered mailbox server {build_text(cms_build)}",
            )
        )
    return out


def evaluate(
    snap: ClusterSnapshot,
    facts: dict[str, NodeUpgradeFacts],
    options: UpgradeOptions,
    *,
    backup_confirmed: bool,
) -> PreCheckReport:
    """Every pre-check from what was read."""
    checks = _nodes(snap) + _cms(snap)
    media, target = _media(options, facts)
    checks += _builds(snap, facts, options, target) + media
    active = snap.cms.active_node if snap.cms is not None else ""
    passive = next((n.name for n in snap.nodes if n.name.casefold() != active.casefold()), "")
    checks.append(
        PreCheck(
            "Passive node (upgraded first)",
            bool(active and passive),
            f"{passive} (the clustered mailbox server runs on {active})" if active else "unknown",
        )
    )
    monitoring = {node: monitoring_services(f) for node, f in facts.items()}
    for node, found in monitoring.items():
        names = ", ".join(f"{s.name} ({s.display_name})" for s in found) or "none found"
        checks.append(PreCheck(f"Monitoring services on {node}", True, names, blocking=False))
    checks.append(
        PreCheck(
            "Full backups of both nodes taken",
            backup_confirmed,
            "confirmed" if backup_confirmed else "confirm that full backups of both nodes were taken",
        )
    )
    group = snap.cms_group
    return PreCheckReport(
        checks=tuple(checks),
        snapshot=snap,
        facts=facts,
        active=active,
        passive=passive,
        cms=snap.cms.name.split(".")[0] if snap.cms is not None else "",
        cms_group=group.name if group is not None else "",
        target_build=target,
        monitoring=monitoring,
    )


__all__ = [
    "MIN_FREE_MB",
    "PreCheck",
    "PreCheckReport",
    "UpgradeOptions",
    "copies_healthy",
    "evaluate",
    "node_build",
]
