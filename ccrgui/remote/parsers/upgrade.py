"""The upgrade pre-checks' per-node reads (ConvertTo-Xml of Get-Service, Win32_LogicalDisk,
Test-Path and setup.com's VersionInfo) -> `NodeUpgradeFacts`."""

from __future__ import annotations

from collections.abc import Mapping

from ccrgui.domain.upgrade.facts import NodeUpgradeFacts, ServiceInfo, parse_build
from ccrgui.remote.parsers.ems import parse_convertto_xml
from ccrgui.remote.parsers.errors import ParseError

__all__ = ["parse_upgrade_facts"]


def _bool(xml: str) -> bool:
    objs = parse_convertto_xml(xml)
    if not objs:
        raise ParseError("no value in Test-Path output")
    return (objs[0].text or "").strip().casefold() == "true"


def _services(xml: str) -> tuple[ServiceInfo, ...]:
    out = []
    for o in parse_convertto_xml(xml):
        name = str(o.get("Name") or "")
        if name:
            out.append(
                ServiceInfo(name, str(o.get("DisplayName") or ""), str(o.get("Status") or "") == "Running")
            )
    return tuple(out)


def _free(xml: str) -> int | None:
    for o in parse_convertto_xml(xml):
        value = str(o.get("FreeSpace") or "").strip()
        if value.isdigit():
            return int(value)
    return None


def parse_upgrade_facts(node: str, sections: Mapping[str, tuple[str, str]]) -> NodeUpgradeFacts:
    """`sections`: name -> (text, error) as the node answered; a missing name was not asked."""
    facts: dict[str, object] = {"node": node}
    if "services" in sections and not sections["services"][1]:
        facts["services"] = _services(sections["services"][0])
    if "disk" in sections and not sections["disk"][1]:
        facts["free_bytes"] = _free(sections["disk"][0])
    if "folder" in sections:
        text, error = sections["folder"]
        facts["folder_exists"] = False if error else _bool(text)
    if "setup" in sections:
        text, error = sections["setup"]
        if error:
            facts["setup_error"] = error
        else:
            objs = parse_convertto_xml(text)
            version = str(objs[0].get("ProductVersion") or objs[0].get("FileVersion") or "") if objs else ""
            facts["setup_found"] = True
            facts["setup_build"] = parse_build(version)
    if "exsetup" in sections and not sections["exsetup"][1]:
        objs = parse_convertto_xml(sections["exsetup"][0])
        facts["installed_build"] = parse_build(str(objs[0].get("FileVersion") or "")) if objs else None
    if "msp" in sections:
        text, error = sections["msp"]
        facts["msp_found"] = False if error else _bool(text)
    return NodeUpgradeFacts(**facts)  # type: ignore[arg-type]
