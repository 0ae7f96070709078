"""Get-WmiObject (Win32_OperatingSystem, Win32_ComputerSystem, Win32_Processor, Win32_Service),
services (Get-/Start-/Stop-/Restart-Service) and Restart-Computer against the engine.

WMI property names are the real Win32 class properties; ManagementObjects list their properties
alphabetically after the __ system properties, and the default views show the classes' standard
short property sets (Win32_OperatingSystem: SystemDirectory, Organization, BuildNumber,
RegisteredUser, SerialNumber, Version).  Times use WMI's DMTF datetime string
(yyyymmddHHMMSS.ffffff+UUU).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ccrgui.lab.engine import LabError
from ccrgui.lab.powershell.cmdlets.mscluster import get_mscluster

from ..cmdlet import Cmdlet, CmdletContext, Param
from ..errors import PSRuntimeError
from ..operators import like
from ..values import (
    PSEnum,
    PSObject,
    PSProperty,
    UInt16,
    UInt32,
    UInt64,
    custom_object,
    enumerate_value,
    to_string,
)
from .files import logical_disks, not_found
from .wmiobject import wmi_object as _wmi

if TYPE_CHECKING:
    from ccrgui.lab.engine import NodeInfo

M = "Microsoft.PowerShell.Commands."


def dmtf(when: dt.datetime) -> str:
    w = when.astimezone(dt.UTC) if when.tzinfo else when
    return w.strftime("%Y%m%d%H%M%S.") + f"{w.microsecond:06d}+000"


def _node_for(ctx: CmdletContext) -> NodeInfo | None:
    host = ctx.interp.host
    assert host is not None
    eng = host.engine
    target = ctx.get("ComputerName")
    name = to_string(target[0] if isinstance(target, list) else target) if target is not None else host.name
    if name in (".", "localhost", "127.0.0.1"):
        name = host.name
    try:
        info = eng.node(name)
    except LabError:
        info = None
    if info is None or not info.powered:
        ctx.write_error(
            ctx.error(
                message="The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)",
                error_id="GetWMICOMException",
                category="InvalidOperation",
                reason="COMException",
                exception_type="System.Runtime.InteropServices.COMException",
            )
        )
        return None
    return info


def operating_system(info: NodeInfo) -> PSObject:
    spec = info.spec
    node = info.name.upper()
    total_kb = spec.memory_total_mb * 1024
    free_kb = max(0, (spec.memory_total_mb - spec.memory_in_use_mb) * 1024)
    build = spec.os_version.split(".")[-1]
    props: dict[str, Any] = {
        "BootDevice": "\\Device\\HarddiskVolume1",
        "BuildNumber": build,
        "BuildType": "Multiprocessor Free",
        "Caption": spec.os_caption,
        "CodeSet": "1252",
        "CountryCode": "1",
        "CreationClassName": "Win32_OperatingSystem",
        "CSCreationClassName": "Win32_ComputerSystem",
        "CSDVersion": spec.service_pack,
        "CSName": node,
        "CurrentTimeZone": 0,
        "Description": "",
        "FreePhysicalMemory": UInt64(free_kb),
        "FreeVirtualMemory": UInt64(free_kb + 4194304),
        "InstallDate": "20080314101522.000000+000",
        "LastBootUpTime": dmtf(info.last_boot),
        "LocalDateTime": dmtf(dt.datetime.now(dt.UTC)),
        "Locale": "0409",
        "Manufacturer": "Microsoft Corporation",
        "MaxNumberOfProcesses": UInt32(4294967295),
        "Name": f"{spec.os_caption}|C:\\Windows|\\Device\\Harddisk0\\Partition1",
        "NumberOfProcesses": UInt32(74),
        "NumberOfUsers": UInt32(3),
        "Organization": "",
        "OSArchitecture": "64-bit",
        "OSLanguage": UInt32(1033),
        "OSType": UInt16(18),
        "Primary": True,
        "ProductType": UInt32(3),
        "RegisteredUser": "Windows User",
        "SerialNumber": "92573-082-2500115-76258",
        "ServicePackMajorVersion": UInt16(1),
        "ServicePackMinorVersion": UInt16(0),
        "Status": "OK",
        "SystemDirectory": "C:\\Windows\\system32",
        "SystemDrive": "C:",
        "TotalVirtualMemorySize": UInt64(total_kb + 4194304),
        "TotalVisibleMemorySize": UInt64(total_kb),
        "Version": spec.os_version,
        "WindowsDirectory": "C:\\Windows",
    }
    return _wmi(
        "Win32_OperatingSystem",
        node,
        props,
        ("SystemDirectory", "Organization", "BuildNumber", "RegisteredUser", "SerialNumber", "Version"),
        "Win32_OperatingSystem=@",
    )


def computer_system(info: NodeInfo, domain: str) -> PSObject:
    spec = info.spec
    node = info.name.upper()
    props: dict[str, Any] = {
        "Caption": node,
        "Domain": f"{domain.lower()}.com",
        "DomainRole": UInt16(3),
        "Manufacturer": "HP",
        "Model": "ProLiant DL380 G5",
        "Name": node,
        "NumberOfLogicalProcessors": UInt32(spec.cpu_count),
        "NumberOfProcessors": UInt32(max(1, spec.cpu_count // 2)),
        "PartOfDomain": True,
        "PrimaryOwnerName": "Windows User",
        "Status": "OK",
        "SystemType": "x64-based PC",
        "TotalPhysicalMemory": UInt64(spec.memory_total_mb * 1024 * 1024),
        "UserName": None,
        "Workgroup": None,
    }
    return _wmi(
        "Win32_ComputerSystem",
        node,
        props,
        ("Domain", "Manufacturer", "Model", "Name", "PrimaryOwnerName", "TotalPhysicalMemory"),
        f'Win32_ComputerSystem.Name="{node}"',
    )


def processors(info: NodeInfo) -> list[PSObject]:
    spec = info.spec
    node = info.name.upper()
    sockets = max(1, spec.cpu_count // 2)
    out = []
    for i in range(sockets):
        props: dict[str, Any] = {
            "AddressWidth": UInt16(64),
            "Architecture": UInt16(9),
            "Caption": "Intel64 Family 6 Model 23 Stepping 6",
            "CurrentClockSpeed": UInt32(2833),
            "DataWidth": UInt16(64),
            "DeviceID": f"CPU{i}",
            "Description": "Intel64 Family 6 Model 23 Stepping 6",
            "LoadPercentage": UInt16(3),
            "Manufacturer": "GenuineIntel",
            "MaxClockSpeed": UInt32(2833),
            "Name": spec.cpu,
            "NumberOfCores": UInt32(max(1, spec.cpu_count // sockets)),
            "NumberOfLogicalProcessors": UInt32(max(1, spec.cpu_count // sockets)),
            "SocketDesignation": f"Proc {i + 1}",
            "Status": "OK",
        }
        out.append(
            _wmi(
                "Win32_Processor",
                node,
                props,
                ("Caption", "DeviceID", "Manufacturer", "MaxClockSpeed", "Name", "SocketDesignation"),
                f'Win32_Processor.DeviceID="CPU{i}"',
            )
        )
    return out


def _running(info: NodeInfo, name: str) -> bool:
    return any(k.casefold() == name.casefold() and v for k, v in info.services.items())


def _service_names(info: NodeInfo) -> list[str]:
    return list(info.services)


def _display(info: NodeInfo, name: str) -> str:
    return next((v for k, v in info.service_display.items() if k.casefold() == name.casefold()), name)


def service_wmi(info: NodeInfo, name: str) -> PSObject:
    running = _running(info, name)
    props: dict[str, Any] = {
        "Caption": _display(info, name),
        "DisplayName": _display(info, name),
        "Name": name,
        "ProcessId": UInt32(1000 if running else 0),
        "Started": running,
        "StartMode": "Auto",
        "State": "Running" if running else "Stopped",
        "Status": "OK",
    }
    return _wmi(
        "Win32_Service",
        info.name.upper(),
        props,
        ("ExitCode", "Name", "ProcessId", "StartMode", "State", "Status"),
        f'Win32_Service.Name="{name}"',
    )


def get_wmiobject(ctx: CmdletContext) -> None:
    cls = to_string(ctx.get("Class"))
    query = ctx.get("Query")
    if query is not None:
        import re

        m = re.search(r"\bfrom\s+(\w+)(?:\s+where\s+(.*))?$", to_string(query), re.IGNORECASE)
        cls = m.group(1) if m else ""
        if m and m.group(2):
            ctx.args["Filter"] = m.group(2)
    info = _node_for(ctx)
    if info is None:
        return
    host = ctx.interp.host
    assert host is not None
    low = cls.casefold()
    objs: list[PSObject]
    namespace = to_string(ctx.get("Namespace")) if ctx.has("Namespace") else "root\\cimv2"
    if namespace.replace("/", "\\").casefold() != "root\\cimv2":
        get_mscluster(ctx, info, namespace, cls)
        return
    if low == "win32_operatingsystem":
        objs = [operating_system(info)]
    elif low == "win32_computersystem":
        objs = [computer_system(info, host.topology.domain)]
    elif low == "win32_processor":
        objs = processors(info)
    elif low == "win32_service":
        objs = [service_wmi(info, n) for n in _service_names(info)]
    elif low == "win32_logicaldisk":
        objs = logical_disks(host.topology, info.name)
    else:
        ctx.write_error(
            ctx.error(
                message="Invalid class ",
                error_id="GetWMIManagementException",
                category="InvalidOperation",
                reason="ManagementException",
                exception_type="System.Management.ManagementException",
            )
        )
        return
    flt = ctx.get("Filter")
    for o in objs:
        if flt is not None and not _wql_match(o, to_string(flt)):
            continue
        ctx.emit(o)


def _wql_match(obj: PSObject, flt: str) -> bool:
    import re

    m = re.fullmatch(r"\s*(\w+)\s*=\s*['\"](.*)['\"]\s*", flt)
    if not m:
        return True
    return to_string(obj[m.group(1)]).casefold() == m.group(2).casefold()


def service_object(info: NodeInfo, name: str) -> PSObject:
    running = _running(info, name)
    status = PSEnum(
        "System.ServiceProcess.ServiceControllerStatus",
        "Running" if running else "Stopped",
        4 if running else 1,
    )
    props = [
        PSProperty("Name", name),
        PSProperty("RequiredServices", []),
        PSProperty("CanPauseAndContinue", False),
        PSProperty("CanShutdown", running),
        PSProperty("CanStop", running),
        PSProperty("DisplayName", _display(info, name)),
        PSProperty("DependentServices", []),
        PSProperty("MachineName", "."),
        PSProperty("ServiceName", name),
        PSProperty("ServicesDependedOn", []),
        PSProperty("ServiceHandle", None),
        PSProperty("Status", status),
        PSProperty("ServiceType", PSEnum("System.ServiceProcess.ServiceType", "Win32OwnProcess", 16)),
        PSProperty("Site", None),
        PSProperty("Container", None),
    ]
    return PSObject(
        "System.ServiceProcess.ServiceController",
        props,
        to_string="System.ServiceProcess.ServiceController",
        default_view="table",
        table_columns=("Status", "Name", "DisplayName"),
        column_widths=[8, 18, 38],
    )


def _match_services(ctx: CmdletContext, info: NodeInfo) -> list[str]:
    names = _service_names(info)
    wanted = enumerate_value(ctx.get("Name")) if ctx.has("Name") else ["*"]
    out: list[str] = []
    for w in wanted:
        pattern = to_string(w)
        hits = [n for n in names if like(n, pattern, False)]
        if not hits and not any(c in pattern for c in "*?["):
            ctx.write_error(
                ctx.error(
                    message=f"Cannot find any service with service name '{pattern}'.",
                    error_id="NoServiceFoundForGivenName",
                    category="ObjectNotFound",
                    target=pattern,
                    target_type="String",
                    reason="ServiceCommandException",
                    exception_type="Microsoft.PowerShell.Commands.ServiceCommandException",
                )
            )
        out.extend(h for h in hits if h not in out)
    return out


def get_service(ctx: CmdletContext) -> None:
    info = _node_for(ctx)
    if info is None:
        return
    for name in _match_services(ctx, info):
        ctx.emit(service_object(info, name))


def _service_action(ctx: CmdletContext, stop: bool, start: bool) -> None:
    host = ctx.interp.host
    assert host is not None
    eng = host.engine
    info = eng.node(host.name)
    for name in _match_services(ctx, info):
        acc = ctx.interp.account
        if acc is not None and not acc.admin:
            verb = "stop" if stop else "start"
            ctx.write_error(
                ctx.error(
                    message=f"Cannot open {name} service on computer '.'.",
                    error_id="CouldNotStopService"
                    if stop
                    else "CouldNotStartService",
                    category="CloseError" if stop else "OpenError",
                    target=name,
                    target_type="ServiceController",
                    reason="ServiceCommandException",
                    exception_type="Microsoft.PowerShell.Commands.ServiceCommandException",
                )
            )
            del verb
            continue
        try:
            if stop and eng.service_running(host.name, name):
                eng.stop_service(host.name, name)
            if start and not eng.service_running(host.name, name):
                eng.start_service(host.name, name)
        except LabError as exc:
            ctx.write_error(
                ctx.error(
                    message=f"Service '{_display(info, name)} ({name})' cannot be "
                    f"{'stopped' if stop else 'started'} due to "
                    f"the following error: {exc.message}",
                    error_id=f"CouldNot{'Stop' if stop else 'Start'}Service",
                    category="CloseError" if stop else "OpenError",
                    target=name,
                    target_type="ServiceController",
                    reason="ServiceCommandException",
                    exception_type="Microsoft.PowerShell.Commands.ServiceCommandException",
                )
            )
            continue
        if ctx.switch("PassThru"):
            ctx.emit(service_object(eng.node(host.name), name))


def stop_service(ctx: CmdletContext) -> None:
    _service_action(ctx, stop=True, start=False)


def start_service(ctx: CmdletContext) -> None:
    _service_action(ctx, stop=False, start=True)


def restart_service(ctx: CmdletContext) -> None:
    _service_action(ctx, stop=True, start=True)


def restart_computer(ctx: CmdletContext) -> None:
    host = ctx.interp.host
    assert host is not None
    eng = host.engine
    targets = enumerate_value(ctx.get("ComputerName")) if ctx.has("ComputerName") else [host.name]
    acc = ctx.interp.account
    for t in targets:
        name = host.name if to_string(t) in (".", "localhost") else to_string(t)
        try:
            if acc is not None and not acc.admin:
                raise LabError(5, "Access is denied.")
            eng.reboot_node(name, user=acc.qualified if acc else "CONTOSO\\Administrator")
        except LabError as exc:
            msg = (
                "The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)"
                if exc.code != 5
                else "Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))"
            )
            ctx.write_error(
                ctx.error(
                    message=f"Cannot restart computer {name}. {msg}" if exc.code == 5 else msg,
                    error_id="RestartcomputerFailed",
                    category="OperationStopped",
                    target=name,
                    target_type="String",
                    reason="InvalidOperationException",
                    exception_type="System.InvalidOperationException",
                )
            )


# Registry keys the lab has: the Exchange 2007 setup key with the installed build (setup.com
# /mode:upgrade raises the node's version in the engine, and with it these values).
EXCHANGE_SETUP_KEY = "SOFTWARE\\Microsoft\\Exchange\\v8.0\\Setup"
REG_PROVIDER = "Microsoft.PowerShell.Core\\Registry"


def _hklm_subkey(path: str) -> str | None:
    """The HKLM subkey of a registry path (`HKLM:\\x`, `Registry::HKEY_LOCAL_MACHINE\\x`), else None."""
    p = path.strip().replace("/", "\\")
    low = p.casefold()
    for prefix in ("hklm:\\", "hklm:", "registry::hkey_local_machine\\", "registry::hklm\\"):
        if low.startswith(prefix):
            return p[len(prefix) :].strip("\\")
    return None


def _exchange_setup(info: NodeInfo) -> list[tuple[str, Any]]:
    parts = [int(x) for x in info.exchange_version.split(".")[:4]] + [0, 0, 0, 0]
    return [
        ("MsiInstallPath", "C:\\Program Files\\Microsoft\\Exchange Server\\"),
        ("MsiProductMajor", parts[0]),
        ("MsiProductMinor", parts[1]),
        ("MsiBuildMajor", parts[2]),
        ("MsiBuildMinor", parts[3]),
        ("Services", "C:\\Program Files\\Microsoft\\Exchange Server"),
        ("Services Version", parts[0]),
    ]


def get_itemproperty(ctx: CmdletContext) -> None:
    """Get-ItemProperty on the registry: the key's values as a PSCustomObject, then PSPath,
    PSParentPath, PSChildName, PSDrive, PSProvider as PowerShell 2.0 adds them."""
    host = ctx.interp.host
    assert host is not None
    info = host.engine.node(host.name)
    for raw in enumerate_value(ctx.get("Path")):
        path = to_string(raw)
        sub = _hklm_subkey(path)
        if sub is None or sub.casefold() != EXCHANGE_SETUP_KEY.casefold() or not info.exchange_version:
            not_found(ctx, path)
            continue
        values = _exchange_setup(info)
        wanted = (
            [to_string(n).casefold() for n in enumerate_value(ctx.get("Name"))] if ctx.has("Name") else []
        )
        if wanted:
            values = [(k, v) for k, v in values if k.casefold() in wanted]
        full = "HKEY_LOCAL_MACHINE\\" + EXCHANGE_SETUP_KEY
        parent, _, child = full.rpartition("\\")
        ctx.emit(
            custom_object(
                [
                    *values,
                    ("PSPath", f"{REG_PROVIDER}::{full}"),
                    ("PSParentPath", f"{REG_PROVIDER}::{parent}"),
                    ("PSChildName", child),
                    ("PSDrive", "HKLM"),
                    ("PSProvider", REG_PROVIDER),
                ]
            )
        )


def cmdlets() -> list[Cmdlet]:
    P = Param
    return [
        Cmdlet(
            "Get-ItemProperty",
            M + "GetItemPropertyCommand",
            [P("Path", mandatory=True, position=0, pipeline=True), P("Name", position=1), P("LiteralPath")],
            get_itemproperty,
            aliases=("gp",),
        ),
        Cmdlet(
            "Get-WmiObject",
            M + "GetWmiObjectCommand",
            [
                P("Class", position=0),
                P("Property", position=1),
                P("ComputerName", aliases=("cn",)),
                P("Namespace"),
                P("Filter"),
                P("Credential"),
                P("Query"),
                P("Authentication"),
                P("Impersonation"),
            ],
            get_wmiobject,
        ),
        Cmdlet(
            "Get-Service",
            M + "GetServiceCommand",
            [
                P("Name", position=0, aliases=("ServiceName",)),
                P("ComputerName", aliases=("cn",)),
                P("DisplayName"),
                P("Include"),
                P("Exclude"),
            ],
            get_service,
        ),
        Cmdlet(
            "Stop-Service",
            M + "StopServiceCommand",
            [
                P("Name", mandatory=True, position=0, pipeline=True, aliases=("ServiceName",)),
                P("Force", True),
                P("PassThru", True),
            ],
            stop_service,
            should_process=True,
        ),
        Cmdlet(
            "Start-Service",
            M + "StartServiceCommand",
            [
                P("Name", mandatory=True, position=0, pipeline=True, aliases=("ServiceName",)),
                P("PassThru", True),
            ],
            start_service,
            should_process=True,
        ),
        Cmdlet(
            "Restart-Service",
            M + "RestartServiceCommand",
            [
                P("Name", mandatory=True, position=0, pipeline=True, aliases=("ServiceName",)),
                P("Force", True),
                P("PassThru", True),
            ],
            restart_service,
            should_process=True,
        ),
        Cmdlet(
            "Restart-Computer",
            M + "RestartComputerCommand",
            [P("ComputerName", position=0, aliases=("cn",)), P("Force", True), P("Credential")],
            restart_computer,
            should_process=True,
        ),
    ]


__all__ = ["PSRuntimeError", "cmdlets"]
