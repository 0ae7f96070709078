"""Get-WmiObject -Namespace root\\MSCluster: the cluster provider's instances (`ccrgui.lab.mscluster`)
as ManagementObjects (system properties first, then the class's properties alphabetically)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ccrgui.lab import mscluster
from ccrgui.lab.engine import LabError

from ..cmdlet import CmdletContext
from ..values import PSObject, PSProperty, UInt32, to_string

if TYPE_CHECKING:
    from ccrgui.lab.engine import NodeInfo


def _error(ctx: CmdletContext, message: str) -> None:
    ctx.write_error(
        ctx.error(
            message=message,
            error_id="GetWMIManagementException",
            category="InvalidOperation",
            reason="ManagementException",
            exception_type="System.Management.ManagementException",
        )
    )


def _typed(value: Any) -> Any:
    # uint32 properties (State, Role, Flags, ...): PowerShell shows them as System.UInt32.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return UInt32(value)
    return value


def get_mscluster(ctx: CmdletContext, info: NodeInfo, namespace: str, cls: str) -> None:
    if namespace.replace("/", "\\").casefold() != mscluster.NAMESPACE.casefold():
        _error(ctx, "Invalid namespace ")
        return
    host = ctx.interp.host
    assert host is not None
    engine = host.engine
    # The provider needs packet privacy ("the authentication level must be set to Packet
    # Privacy", Microsoft's clustering team blog, 2008); the refusal's wording is not confirmed.
    level = to_string(ctx.get("Authentication")) if ctx.has("Authentication") else "Default"
    if level.casefold() not in ("packetprivacy", "6"):
        _error(ctx, "Access denied ")
        return
    try:
        # The provider opens the cluster through the local cluster service (not confirmed: the
        # exact message a node with a stopped cluster service gives).
        engine.require_cluster(info.name)
    except LabError:
        _error(ctx, "Generic failure ")
        return
    # A provider query goes to the cluster service like a cluster.exe listing, without starting a
    # process: costed as one cmdlet call (an estimate, not a measurement).
    ctx.interp.io.sleep(host.faults.costs.cmdlet_s)
    server = info.name.upper()
    found = mscluster.instances(engine, cls, server)
    if found is None:
        _error(ctx, "Invalid class ")
        return
    for canon, rel, props in found:
        system = [
            ("__GENUS", 2),
            ("__CLASS", canon),
            ("__SUPERCLASS", None),
            ("__DYNASTY", canon),
            ("__RELPATH", rel),
            ("__PROPERTY_COUNT", len(props)),
            ("__DERIVATION", []),
            ("__SERVER", server),
            ("__NAMESPACE", mscluster.NAMESPACE),
            ("__PATH", f"\\\\{server}\\{mscluster.NAMESPACE}:{rel}"),
        ]
        ordered = system + sorted(((k, _typed(v)) for k, v in props.items()), key=lambda kv: kv[0].casefold())
        ctx.emit(
            PSObject(
                "System.Management.ManagementObject",
                [PSProperty(k, v) for k, v in ordered],
                to_string=f"\\\\{server}\\{mscluster.NAMESPACE}:{rel}",
                default_view="list",
                list_columns=tuple(
                    k for k in ("Name", "State", "GroupComponent", "PartComponent") if k in props
                ),
            )
        )


__all__ = ["get_mscluster"]
