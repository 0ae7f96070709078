"""A WMI ManagementObject as Get-WmiObject returns it (system properties first, then the class's)."""

from __future__ import annotations

from typing import Any

from ..values import PSObject, PSProperty


def wmi_object(cls: str, node: str, props: dict[str, Any], view: tuple[str, ...], ts: str) -> PSObject:
    system = [
        ("__GENUS", 2),
        ("__CLASS", cls),
        ("__SUPERCLASS", None),
        ("__DYNASTY", cls),
        ("__RELPATH", ts),
        ("__PROPERTY_COUNT", len(props)),
        ("__DERIVATION", []),
        ("__SERVER", node),
        ("__NAMESPACE", "root\\cimv2"),
        ("__PATH", f"\\\\{node}\\root\\cimv2:{ts}"),
    ]
    ordered = system + sorted(props.items(), key=lambda kv: kv[0].casefold())
    return PSObject(
        "System.Management.ManagementObject",
        [PSProperty(k, v) for k, v in ordered],
        to_string=f"\\\\{node}\\root\\cimv2:{ts}",
        default_view="list",
        list_columns=view,
    )
