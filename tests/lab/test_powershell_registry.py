"""Get-ItemProperty on the Exchange 2007 setup key: the node's installed build, which
setup.com /mode:upgrade raises (the rolling-upgrade state the console shows)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lab.test_powershell_rig import PSRig

KEY = "HKLM:\\SOFTWARE\\Microsoft\\Exchange\\v8.0\\Setup"
SELECT = "Select-Object MsiProductMajor,MsiProductMinor,MsiBuildMajor,MsiBuildMinor"


@pytest.fixture
def rig() -> Iterator[PSRig]:
    r = PSRig()
    yield r
    r.close()


def test_setup_key_lists_the_build_then_the_provider_properties(rig: PSRig) -> None:
    res = rig.cmd(f"Get-ItemProperty '{KEY}'")
    assert res.code == 0, res.err
    lines = [ln for ln in res.out.split("\r\n") if ln.strip()]
    assert lines[1:5] == [
        "MsiProductMajor  : 8",
        "MsiProductMinor  : 1",
        "MsiBuildMajor    : 240",
        "MsiBuildMinor    : 6",
    ]
    assert any(ln.startswith("PSChildName      : Setup") for ln in lines)
    xml = rig.cmd(f"Get-ItemProperty '{KEY}' | {SELECT} | ConvertTo-Xml -As String").out
    assert '<Property Name="MsiBuildMajor" Type="System.Int32">240</Property>' in xml


def test_upgrade_raises_only_that_nodes_build(rig: PSRig) -> None:
    passive = next(n.name for n in rig.engine.nodes() if n.name != rig.engine.group("EXCH1").owner)
    rig.engine.upgrade_node_exchange(passive, "8.2.176.2")
    script = f"Get-ItemProperty '{KEY}' | {SELECT} | ConvertTo-Xml -As String"
    assert ">176</Property>" in rig.cmd(script, node=passive).out
    other = next(n.name for n in rig.engine.nodes() if n.name != passive)
    assert ">240</Property>" in rig.cmd(script, node=other).out


def test_missing_key_is_path_not_found(rig: PSRig) -> None:
    res = rig.cmd("Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Exchange\\Nope'")
    assert res.code == 1 and res.out.strip() == ""
    assert "Cannot find path 'HKLM:\\SOFTWARE\\Microsoft\\Exchange\\Nope' because it does not exist." in (
        res.err.replace("\r\n", "")
    )
    assert "PathNotFound,Microsoft.PowerShell.Commands.GetIt" in res.err
