"""powershell.exe through the lab's real WS-Management endpoint, driven by pywinrm."""

from __future__ import annotations

from typing import Any

import pytest

winrm = pytest.importorskip("winrm")


def session(lab: Any, node: str = "EXNODE1") -> Any:
    return winrm.Session(lab.endpoints[node], auth=(lab.username, lab.password), transport="ntlm")


def test_run_ps_error_is_parsed_by_pywinrm(lab: Any) -> None:
    r = session(lab).run_ps('Write-Error "Error"')
    assert r.status_code == 1
    assert r.std_out == b""
    # pywinrm strips the CLIXML framing and joins the <S S="Error"> lines
    assert r.std_err == (
        b'Write-Error "Error" : Error\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], '
        b"WriteErrorExcep \n   tion\n    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands."
        b"WriteErrorExceptio \n   n"
    )


def test_run_ps_exchange_status_as_xml(lab: Any) -> None:
    r = session(lab).run_ps(
        "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.Admin\n"
        "Get-ClusteredMailboxServerStatus | Select-Object State | ConvertTo-Xml -As String"
    )
    assert (r.status_code, r.std_err) == (0, b"")
    assert r.std_out.decode("ascii").startswith('<?xml version="1.0"?>\r\n<Objects>\r\n')
    assert '<Property Name="State" Type="' in r.std_out.decode("ascii")
