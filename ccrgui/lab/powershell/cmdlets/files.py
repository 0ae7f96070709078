"""The FileSystem provider's read side over a node's files (`ccrgui.lab.nodefiles`): Get-Item and
Get-ChildItem (FileInfo/DirectoryInfo with VersionInfo), Test-Path's lookup, and the
Win32_LogicalDisk WMI class (free space of the system drive).

Objects carry the real .NET property names: `(Get-Item X).VersionInfo.ProductVersion`,
`.VersionInfo.FileVersion`, `.Length`, `.PSIsContainer`; Win32_LogicalDisk's FreeSpace and Size
are UInt64 bytes.  The table view prints Mode, LastWriteTime, Length and Name rows; the
"Directory: ..." group header of the real console view is not reproduced.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ccrgui.lab import nodefiles
from ccrgui.lab.nodefiles import LabFile

from ..cmdlet import Cmdlet, CmdletContext, Param
from ..operators import like
from ..values import PSEnum, PSObject, PSProperty, UInt32, UInt64, enumerate_value, to_string
from .wmiobject import wmi_object

if TYPE_CHECKING:
    from ccrgui.lab.nodehost import NodeHost
    from ccrgui.lab.topology import Topology

M = "Microsoft.PowerShell.Commands."
FS = "Microsoft.PowerShell.Core\\FileSystem"
MEDIA_TIME = dt.datetime(2009, 7, 28, 16, 11, 4)  # when the SP2 files were built (lab's choice)


def version_info(f: LabFile) -> PSObject:
    """System.Diagnostics.FileVersionInfo of `f` (FileVersion/ProductVersion null when none)."""
    parts = [int(p) for p in f.version.split(".")] if f.version else [0, 0, 0, 0]
    v = f.version or None
    props = [
        ("Comments", ""),
        ("CompanyName", "Microsoft Corporation" if v else None),
        ("FileBuildPart", parts[2]),
        ("FileDescription", f.description if v else None),
        ("FileMajorPart", parts[0]),
        ("FileMinorPart", parts[1]),
        ("FileName", f.path),
        ("FilePrivatePart", parts[3]),
        ("FileVersion", v),
        ("InternalName", f.name if v else None),
        ("IsDebug", False),
        ("IsPatched", False),
        ("IsPrivateBuild", False),
        ("IsPreRelease", False),
        ("IsSpecialBuild", False),
        ("Language", "English (United States)" if v else None),
        ("LegalCopyright", "\u00a9 2009 Microsoft Corporation. All rights reserved." if v else None),
        ("LegalTrademarks", None),
        ("OriginalFilename", f.name if v else None),
        ("PrivateBuild", None),
        ("ProductBuildPart", parts[2]),
        ("ProductMajorPart", parts[0]),
        ("ProductMinorPart", parts[1]),
        ("ProductName", "Microsoft\u00ae Exchange" if v else None),
        ("ProductPrivatePart", parts[3]),
        ("ProductVersion", v),
        ("SpecialBuild", None),
    ]
    return PSObject(
        "System.Diagnostics.FileVersionInfo",
        [PSProperty(k, val) for k, val in props],
        default_view="table",
        table_columns=("ProductVersion", "FileVersion", "FileName"),
        column_widths=[15, 15, None],
    )


def item_object(f: LabFile) -> PSObject:
    """A System.IO.FileInfo or DirectoryInfo with the provider's PS* note properties."""
    parent = f.path.rstrip("\\").rsplit("\\", 1)[0] if len(f.path) > 3 else ""
    if len(parent) == 2:
        parent += "\\"
    common = [
        ("PSPath", f"{FS}::{f.path}"),
        ("PSParentPath", f"{FS}::{parent}" if parent else ""),
        ("PSChildName", f.name),
        ("PSDrive", f.path[:1].upper()),
        ("PSProvider", FS),
        ("PSIsContainer", f.is_dir),
    ]
    stamps = [("CreationTime", MEDIA_TIME), ("LastWriteTime", MEDIA_TIME), ("LastAccessTime", MEDIA_TIME)]
    if f.is_dir:
        props = [
            *common,
            ("Mode", "d----"),
            ("BaseName", f.name),
            ("Name", f.name),
            ("Parent", parent.rstrip("\\").rsplit("\\", 1)[-1] if parent else None),
            ("Exists", True),
            ("Root", f.path[:3]),
            ("FullName", f.path),
            ("Extension", ""),
            *stamps,
            ("Attributes", PSEnum("System.IO.FileAttributes", "Directory", 16)),
        ]
        type_name = "System.IO.DirectoryInfo"
    else:
        stem, dot, ext = f.name.rpartition(".")
        props = [
            *common,
            ("Mode", "-a---"),
            ("VersionInfo", version_info(f)),
            ("BaseName", stem if dot else f.name),
            ("Name", f.name),
            ("Length", f.length),
            ("DirectoryName", parent),
            ("IsReadOnly", False),
            ("Exists", True),
            ("FullName", f.path),
            ("Extension", "." + ext if dot else ""),
            *stamps,
            ("Attributes", PSEnum("System.IO.FileAttributes", "Archive", 32)),
        ]
        type_name = "System.IO.FileInfo"
    return PSObject(
        type_name,
        [PSProperty(k, v) for k, v in props],
        to_string=f.path if f.is_dir else f.name,
        default_view="table",
        table_columns=("Mode", "LastWriteTime", "Length", "Name"),
        column_widths=[18, 19, 10, None],
        extra_types=("System.IO.FileSystemInfo",),
    )


def _host(ctx: CmdletContext) -> NodeHost:
    host = ctx.interp.host
    assert host is not None
    return host


def not_found(ctx: CmdletContext, path: str) -> None:
    """PowerShell's ItemNotFoundException for a path (Test-Path's siblings and Get-ItemProperty)."""
    ctx.write_error(
        ctx.error(
            f"Cannot find path '{path}' because it does not exist.",
            "PathNotFound",
            "ObjectNotFound",
            target=path,
            target_type="String",
            reason="ItemNotFoundException",
            exception_type="System.Management.Automation.ItemNotFoundException",
        )
    )


def _paths(ctx: CmdletContext) -> list[str]:
    raw = ctx.get("LiteralPath") if ctx.has("LiteralPath") else ctx.get("Path")
    return [to_string(p) for p in enumerate_value(raw)]


def exists(host: NodeHost | None, path: str, path_type: str = "Any") -> bool:
    """Test-Path on the node's files: `path_type` is Any, Leaf (a file) or Container (a folder)."""
    if host is None:
        return False
    f = nodefiles.lookup(host, path)
    if f is None:
        return False
    kind = path_type.casefold()
    return kind == "any" or (kind == "container") == f.is_dir


def get_item(ctx: CmdletContext) -> None:
    host = _host(ctx)
    for path in _paths(ctx):
        f = nodefiles.lookup(host, path)
        if f is None:
            not_found(ctx, path)
            continue
        ctx.emit(item_object(f))


def get_childitem(ctx: CmdletContext) -> None:
    host = _host(ctx)
    for path in _paths(ctx):
        folder, pattern = path, ctx.get("Filter")
        leaf = path.replace("/", "\\").rsplit("\\", 1)[-1]
        if any(c in leaf for c in "*?["):
            folder, pattern = path.replace("/", "\\").rsplit("\\", 1)[0], leaf
        f = nodefiles.lookup(host, folder)
        if f is None:
            not_found(ctx, path)
            continue
        items = nodefiles.children(host, folder) if f.is_dir else [f]
        for item in items:
            if pattern is None or like(item.name, pattern, False):
                ctx.emit(item_object(item))


def location(interp: Any) -> str:
    """The session's current location (Set-Location); WinRM sessions start in the profile."""
    acc = interp.account
    return str(interp.location) or f"C:\\Users\\{acc.user if acc else 'Administrator'}"


def resolve_native(interp: Any, name: str) -> str:
    """A `.\\program` path is relative to the current location (PowerShell does not search it
    for bare names)."""
    if name.startswith((".\\", "./")):
        return location(interp).rstrip("\\") + "\\" + name[2:]
    return name


def set_location(ctx: CmdletContext) -> None:
    host = _host(ctx)
    path = to_string(ctx.get("Path", ""))
    if not path:
        return
    if not (path[1:3] == ":\\" or path[1:] == ":"):
        path = location(ctx.interp).rstrip("\\") + "\\" + path
    f = nodefiles.lookup(host, path)
    if f is None or not f.is_dir:
        not_found(ctx, to_string(ctx.get("Path")))
        return
    ctx.interp.location = f.path


def get_location(ctx: CmdletContext) -> None:
    here = location(ctx.interp)
    ctx.emit(
        PSObject(
            "System.Management.Automation.PathInfo",
            [
                PSProperty("Drive", here[:1].upper()),
                PSProperty("Provider", FS),
                PSProperty("ProviderPath", here),
                PSProperty("Path", here),
            ],
            to_string=here,
            default_view="table",
            table_columns=("Path",),
        )
    )


def logical_disks(topology: Topology, node_name: str) -> list[PSObject]:
    """Win32_LogicalDisk instances of the node's fixed disks."""
    node = node_name.upper()
    out = []
    for d in nodefiles.drives(topology, node_name):
        props: dict[str, Any] = {
            "Caption": d.letter,
            "Compressed": False,
            "CreationClassName": "Win32_LogicalDisk",
            "Description": "Local Fixed Disk",
            "DeviceID": d.letter,
            "DriveType": UInt32(3),
            "FileSystem": "NTFS",
            "FreeSpace": UInt64(d.free_mb * nodefiles.MB),
            "MaximumComponentLength": UInt32(255),
            "MediaType": UInt32(12),
            "Name": d.letter,
            "ProviderName": None,
            "Size": UInt64(d.size_mb * nodefiles.MB),
            "SupportsDiskQuotas": False,
            "SystemCreationClassName": "Win32_ComputerSystem",
            "SystemName": node,
            "VolumeName": d.label,
            "VolumeSerialNumber": "5C3A1F2E" if d.letter == "C:" else "7E21B0D4",
        }
        out.append(
            wmi_object(
                "Win32_LogicalDisk",
                node,
                props,
                ("DeviceID", "DriveType", "ProviderName", "FreeSpace", "Size", "VolumeName"),
                f'Win32_LogicalDisk.DeviceID="{d.letter}"',
            )
        )
    return out


def cmdlets() -> list[Cmdlet]:
    P = Param
    path_params = [
        P("Path", position=0, pipeline=True),
        P("LiteralPath", aliases=("PSPath",)),
        P("Filter"),
        P("Force", True),
    ]
    return [
        Cmdlet(
            "Set-Location",
            M + "SetLocationCommand",
            [P("Path", position=0, pipeline=True), P("LiteralPath", aliases=("PSPath",))],
            set_location,
            aliases=("cd", "sl", "chdir"),
        ),
        Cmdlet("Get-Location", M + "GetLocationCommand", [], get_location, aliases=("pwd", "gl")),
        Cmdlet("Get-Item", M + "GetItemCommand", path_params, get_item, aliases=("gi",)),
        Cmdlet(
            "Get-ChildItem",
            M + "GetChildItemCommand",
            [*path_params, P("Recurse", True), P("Name", True)],
            get_childitem,
            aliases=("gci", "dir", "ls"),
        ),
    ]
