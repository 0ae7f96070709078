"""What the upgrade reads on each node besides the snapshot, and Exchange build numbers.

Exchange prints one build in three spellings: AdminDisplayVersion ``Version 8.1 (Build 240.6)``,
a file version ``08.02.0176.002`` and the registry/short form ``8.2.176.2``.  `parse_build` turns
each into the same comparable tuple.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Build = tuple[int, int, int, int]

_ADMIN = re.compile(r"Version\s+(\d+)\.(\d+)\s*\(Build\s+(\d+)\.(\d+)\)", re.IGNORECASE)
_DOTTED = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)\.(\d+)")


def parse_build(text: str) -> Build | None:
    """``Version 8.1 (Build 240.6)``, ``08.01.0240.006`` or ``8.1.240.6`` -> (8, 1, 240, 6)."""
    m = _ADMIN.search(text or "") or _DOTTED.match(text or "")
    if m is None:
        return None
    a, b, c, d = (int(x) for x in m.groups())
    return (a, b, c, d)


def build_text(build: Build | None) -> str:
    return ".".join(str(x) for x in build) if build else "unknown"


@dataclass(frozen=True)
class ServiceInfo:
    """One Windows service on a node (Get-Service)."""

    name: str
    display_name: str
    running: bool


@dataclass(frozen=True)
class NodeUpgradeFacts:
    """One node's answers for the pre-checks (None: not asked or not answered)."""

    node: str
    folder_exists: bool | None = None
    setup_found: bool = False
    setup_build: Build | None = None
    setup_error: str = ""  # Windows' text when setup.com could not be read
    msp_found: bool | None = None
    free_bytes: int | None = None
    installed_build: Build | None = None  # ExSetup.exe's file version (update rollups change it)
    services: tuple[ServiceInfo, ...] = ()
    error: str = ""  # the node did not answer at all

    def service(self, name: str) -> ServiceInfo | None:
        return next((s for s in self.services if s.name.casefold() == name.casefold()), None)


# Services that read performance counters and must be stopped before setup.com (monitoring agents).
# Matched on the service name or on words of the display name.
KNOWN_MONITORING_NAMES = (
    "HealthService",  # System Center Operations Manager 2007 agent (OpsMgr Health Service)
    "MOM",  # Microsoft Operations Manager 2005 agent
    "MOMConnector",
    "AdtAgent",  # Operations Manager audit collection
    "KNTCMA_Primary",  # IBM Tivoli Monitoring: Windows OS agent
    "KEXCMA_Primary",  # IBM Tivoli Monitoring: Exchange agent
    "ArgentGuardian",
    "NetIQmc",  # NetIQ AppManager client
    "NetIQccm",
    "PatrolAgent",  # BMC Patrol
)
KNOWN_MONITORING_WORDS = ("Operations Manager", "OpsMgr", "Argent", "Tivoli", "NetIQ", "Patrol", "MOM ")


def monitoring_services(facts: NodeUpgradeFacts) -> tuple[ServiceInfo, ...]:
    """The node's running services that match the known monitoring agents."""
    names = {n.casefold() for n in KNOWN_MONITORING_NAMES}
    out = []
    for s in facts.services:
        display = s.display_name.casefold() + " "
        if s.running and (
            s.name.casefold() in names or any(w.casefold() in display for w in KNOWN_MONITORING_WORDS)
        ):
            out.append(s)
    return tuple(out)
