"""Per-node context for the simulated programs: which machine they run on and what it sees.

A `NodeHost` is what a WinRS shell on one node hands to `cmdshell.launch`: the node's name,
the shared engine, event journal and fault settings, and the machine's environment block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ccrgui.lab.faults import Faults
from ccrgui.lab.topology import Account, Topology

if TYPE_CHECKING:
    from ccrgui.lab.engine import ClusterEngine, JournalLike


def machine_env(topology: Topology, node: str) -> dict[str, str]:
    """The system part of a WS2008 x64 Exchange 2007 node's environment block."""
    spec = topology.node(node)
    return {
        "ALLUSERSPROFILE": "C:\\ProgramData",
        "APPDATA": "",
        "CommonProgramFiles": "C:\\Program Files\\Common Files",
        "CommonProgramFiles(x86)": "C:\\Program Files (x86)\\Common Files",
        "COMPUTERNAME": spec.name.upper(),
        "ComSpec": "C:\\Windows\\system32\\cmd.exe",
        "ExchangeInstallPath": "C:\\Program Files\\Microsoft\\Exchange Server\\",
        "NUMBER_OF_PROCESSORS": str(spec.cpu_count),
        "OS": "Windows_NT",
        "Path": (
            "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;"
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\;"
            "C:\\Program Files\\Microsoft\\Exchange Server\\bin"
        ),
        "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
        "PROCESSOR_ARCHITECTURE": "AMD64",
        "ProgramData": "C:\\ProgramData",
        "ProgramFiles": "C:\\Program Files",
        "ProgramFiles(x86)": "C:\\Program Files (x86)",
        "PROMPT": "$P$G",
        "PUBLIC": "C:\\Users\\Public",
        "SystemDrive": "C:",
        "SystemRoot": "C:\\Windows",
        "TEMP": "C:\\Windows\\TEMP",
        "TMP": "C:\\Windows\\TEMP",
        "windir": "C:\\Windows",
    }


def session_env(base: dict[str, str], account: Account, topology: Topology) -> dict[str, str]:
    """The environment a logged-on account's process sees (WinRS adds the user's variables)."""
    env = dict(base)
    profile = f"C:\\Users\\{account.user}"
    env.update(
        {
            "USERDOMAIN": account.domain.upper(),
            "USERNAME": account.user,
            "USERPROFILE": profile,
            "APPDATA": f"{profile}\\AppData\\Roaming",
            "LOCALAPPDATA": f"{profile}\\AppData\\Local",
            "HOMEDRIVE": "C:",
            "HOMEPATH": f"\\Users\\{account.user}",
            "TEMP": f"{profile}\\AppData\\Local\\Temp",
            "TMP": f"{profile}\\AppData\\Local\\Temp",
            "USERDNSDOMAIN": f"{topology.domain.upper()}.COM",
        }
    )
    return env


@dataclass
class NodeHost:
    """One simulated machine as seen by programs running on it."""

    name: str
    engine: ClusterEngine
    journal: JournalLike
    faults: Faults
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.env:
            self.env = machine_env(self.engine.topology, self.name)

    @property
    def topology(self) -> Topology:
        return self.engine.topology

    def getenv(self, name: str, env: dict[str, str] | None = None) -> str | None:
        """Environment lookup, case-insensitive as on Windows."""
        source = env if env is not None else self.env
        key = name.casefold()
        for k, v in source.items():
            if k.casefold() == key:
                return v
        return None
