"""The files a lab node has that programs look at: setup media, update rollups, ExSetup.exe, drives.

Read-only and derived from the topology and the engine (a node's ExSetup.exe has the node's
current build), so every node answers the same way cmd.exe, PowerShell and WMI would:
`Test-Path`, `Get-Item` (with VersionInfo), `Get-ChildItem`, `Win32_LogicalDisk`, and the program
lookup that finds `setup.com` only in a setup media folder.

Exchange 2007 binaries carry their version as `08.02.0176.002` (two-digit major and minor, four-
digit build, three-digit revision) in both FileVersion and ProductVersion; `file_version` is the
one place that format lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccrgui.lab.topology import RollupSpec, SetupMedia, Topology

if TYPE_CHECKING:
    from ccrgui.lab.nodehost import NodeHost

EXCHANGE_BIN = "C:\\Program Files\\Microsoft\\Exchange Server\\bin"
EXSETUP = EXCHANGE_BIN + "\\ExSetup.exe"
MB = 1024 * 1024
DATA_DRIVE_SIZE_MB = 278_527
DATA_DRIVE_FREE_MB = 131_072


@dataclass(frozen=True)
class LabFile:
    path: str  # full path as Windows shows it
    is_dir: bool
    length: int = 0
    version: str = ""  # Exchange-style file version ("08.02.0176.002"), "" for none
    description: str = ""

    @property
    def name(self) -> str:
        return self.path.rstrip("\\").rsplit("\\", 1)[-1] if len(self.path) > 3 else self.path


@dataclass(frozen=True)
class Drive:
    letter: str  # "C:"
    size_mb: int
    free_mb: int
    label: str


def file_version(build: str) -> str:
    """`8.2.176.2` -> `08.02.0176.002`, as Exchange 2007 binaries show FileVersion/ProductVersion."""
    parts = [int(p) for p in build.split(".")] + [0, 0, 0, 0]
    return f"{parts[0]:02d}.{parts[1]:02d}.{parts[2]:04d}.{parts[3]:03d}"


def normalize(path: str) -> str:
    """Case-folded, single backslashes, no trailing one (except a drive root `c:\\`)."""
    p = path.strip().strip('"').replace("/", "\\")
    low = p.casefold()
    for prefix in ("microsoft.powershell.core\\filesystem::", "filesystem::"):
        if low.startswith(prefix):
            p = p[len(prefix) :]
    while "\\\\" in p[1:]:  # Windows treats repeated separators as one
        p = p[0] + p[1:].replace("\\\\", "\\")
    if len(p) == 2 and p[1] == ":":
        p += "\\"
    while len(p) > 3 and p.endswith("\\"):
        p = p[:-1]
    return p.casefold()


def _media_files(m: SetupMedia) -> list[LabFile]:
    v = file_version(m.build)
    base = m.path.rstrip("\\")
    return [
        LabFile(base + "\\setup.com", False, 19_320, v, "Microsoft Exchange Server Setup"),
        LabFile(base + "\\setup.exe", False, 1_092_472, v, "Microsoft Exchange Server Setup"),
        LabFile(base + "\\exchangeserver.msi", False, 39_843_840),
        LabFile(base + "\\Setup\\ServerRoles\\Common\\ExSetup.exe", False, 30_584, v, "ExSetup"),
    ]


def _rollup_file(r: RollupSpec) -> LabFile:
    return LabFile(r.path, False, 85_393_408, "", r.name)


def node_files(host: NodeHost) -> dict[str, LabFile]:
    """Every file and folder of `host`, keyed by `normalize(path)`; ancestors are folders."""
    topo = host.topology
    build = host.engine.node(host.name).file_build
    files = [f for m in topo.setup_media for f in _media_files(m)]
    files += [_rollup_file(r) for r in topo.rollups]
    files.append(LabFile(EXSETUP, False, 30_584, file_version(build), "ExSetup"))
    out: dict[str, LabFile] = {}
    for f in files:
        out[normalize(f.path)] = f
        parent = f.path
        while len(parent) > 3:
            parent = parent.rsplit("\\", 1)[0]
            if len(parent) == 2:
                parent += "\\"
            out.setdefault(normalize(parent), LabFile(parent, True))
    for m in topo.setup_media:
        out.setdefault(normalize(m.path), LabFile(m.path.rstrip("\\"), True))
    for d in drives(topo, host.name):
        out.setdefault(normalize(d.letter), LabFile(d.letter + "\\", True))
    return out


def lookup(host: NodeHost, path: str) -> LabFile | None:
    return node_files(host).get(normalize(path))


def children(host: NodeHost, folder: str) -> list[LabFile]:
    """The direct children of `folder`, folders first, then by name (as Get-ChildItem lists)."""
    key = normalize(folder)
    prefix = key if key.endswith("\\") else key + "\\"
    items = [
        f
        for k, f in node_files(host).items()
        if k.startswith(prefix) and "\\" not in k[len(prefix) :] and k != key
    ]
    return sorted(items, key=lambda f: (not f.is_dir, f.name.casefold()))


def setup_media_at(topology: Topology, program: str) -> SetupMedia | None:
    """The setup media whose `setup.com` `program` names (a full path), or None."""
    folder, _, name = normalize(program).rpartition("\\")
    if name not in ("setup.com", "setup"):
        return None
    for m in topology.setup_media:
        if normalize(m.path) == folder:
            return m
    return None


def rollup_at(topology: Topology, path: str) -> RollupSpec | None:
    key = normalize(path)
    return next((r for r in topology.rollups if normalize(r.path) == key), None)


def drives(topology: Topology, node: str) -> list[Drive]:
    spec = topology.node(node)
    return [
        Drive("C:", spec.system_drive_size_mb, spec.system_drive_free_mb, ""),
        Drive("D:", DATA_DRIVE_SIZE_MB, DATA_DRIVE_FREE_MB, "Data"),
    ]
