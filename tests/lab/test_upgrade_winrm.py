"""The rolling service-pack upgrade and the update-rollup procedure, step by step through the
lab's real WinRM endpoints (pywinrm, NTLM), each command on the node the procedure names."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import winrm

from ccrgui.domain.model import CmsState, CopyStatus, NodeState
from ccrgui.lab.lab import Lab

pytestmark = pytest.mark.timeout(120)

SNAPIN = "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.Admin"
SETUP = "D:\\Exchange2007SP2\\setup.com"
UR9 = "D:\\Updates\\Exchange2007-KB970162-x64-EN.msp"


@pytest.fixture
def fast_lab() -> Iterator[Lab]:
    with Lab(speed=2000.0, events=50) as running:
        yield running


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def _session(lab: Lab, node: str) -> winrm.Session:
    return winrm.Session(lab.endpoints[node], auth=(lab.username, lab.password), transport="ntlm")


def _cmd(lab: Lab, node: str, command: str, *args: str) -> Any:
    return _session(lab, node).run_cmd(command, list(args))


def _ps(lab: Lab, node: str, script: str) -> Any:
    return _session(lab, node).run_ps(script)


def _copies_healthy(lab: Lab) -> bool:
    return {c.status for c in lab.engine.copy_status()} == {CopyStatus.HEALTHY}


def _prepare_and_upgrade(lab: Lab, node: str) -> None:
    """Step 2/4: stop the performance-counter services, restart Remote Registry, move other
    groups away, setup.com /mode:upgrade, reboot, wait until Up, start the services again."""
    other = next(n for n in lab.endpoints if n != node)
    r = _ps(
        lab, node, "Get-Service | Where-Object { $_.Name -eq 'HealthService' } | ForEach-Object { $_.Name }"
    )
    agents = r.std_out.decode().split()
    for svc in agents:
        assert _ps(lab, node, f"Stop-Service {svc}").status_code == 0
    assert _ps(lab, node, "Restart-Service RemoteRegistry").status_code == 0
    for group in ("Cluster Group", "Available Storage"):
        r = _cmd(lab, node, "cluster", "group", f'"{group}"', f"/move:{other}")
        assert r.status_code == 0, r.std_err
    r = _cmd(lab, node, SETUP, "/mode:upgrade")
    assert r.status_code == 0, r.std_out
    assert r.std_out.decode().endswith(
        "The Microsoft Exchange Server setup operation completed successfully.\r\n"
    )
    booted = lab.engine.node(node).last_boot
    # /t is nominal seconds like every lab delay: 300 leaves the WinRS call time to finish.
    assert _cmd(lab, node, "shutdown", "/r", "/t", "300").status_code == 0
    _wait(lambda: lab.engine.node(node).last_boot > booted and lab.engine.node(node).state is NodeState.UP)
    assert lab.wait_listening(node, True, timeout=10)
    for svc in agents:
        _ps(lab, node, f"Start-Service {svc}")
    r = _ps(
        lab,
        node,
        "(Get-Service HealthService, ClusSvc -ErrorAction SilentlyContinue) | ForEach-Object { $_.Status }",
    )
    assert set(r.std_out.decode().split()) == {"Running"}


def test_service_pack_procedure_through_winrm(fast_lab: Lab) -> None:
    lab = fast_lab
    # Pre-checks on each node: the folder, setup.com, its build, free space on C:.
    for node in ("EXNODE1", "EXNODE2"):
        r = _ps(
            lab,
            node,
            f"Test-Path '{SETUP}'; (Get-Item '{SETUP}').VersionInfo.ProductVersion;"
            " (Get-WmiObject Win32_LogicalDisk -Filter \"DeviceID='C:'\").FreeSpace",
        )
        lines = r.std_out.decode().split("\r\n")
        assert lines[:2] == ["True", "08.02.0176.002"] and int(lines[2]) > 10 * 1024**3
    # setup.com from a wrong folder: cmd.exe's own error.
    r = _cmd(lab, "EXNODE2", "setup.com", "/mode:upgrade")
    assert r.status_code == 9009 and r.std_err.startswith(b"'setup.com' is not recognized")
    # Node 1 is active: /mode:upgrade refused there.
    r = _cmd(lab, "EXNODE1", SETUP, "/mode:upgrade")
    assert r.status_code == 1 and b"is currently active on this node" in r.std_out

    _prepare_and_upgrade(lab, "EXNODE2")
    _wait(lambda: _copies_healthy(lab))

    # The CMS: stop, move (stopped) to Node 2 -- run on Node 2 -- and /upgradecms there.
    r = _ps(
        lab,
        "EXNODE2",
        f"{SNAPIN}; Stop-ClusteredMailboxServer -Identity EXCH1 -StopReason 'SP2' -Confirm:$false",
    )
    assert r.status_code == 0, r.std_err
    _wait(lambda: lab.engine.cms_status().state is CmsState.OFFLINE)
    r = _ps(
        lab,
        "EXNODE2",
        f"{SNAPIN}; Move-ClusteredMailboxServer -Identity EXCH1 -TargetMachine EXNODE2 -MoveComment 'SP2'"
        " -Confirm:$false",
    )
    assert r.status_code == 0, r.std_err
    assert lab.engine.cms_status().active_node == "EXNODE2"
    r = _cmd(lab, "EXNODE2", SETUP, "/upgradecms")
    assert r.status_code == 0, r.std_out
    _wait(lambda: lab.engine.cms_status().state is CmsState.ONLINE)
    r = _ps(lab, "EXNODE2", f"{SNAPIN}; (Get-ClusteredMailboxServerStatus -Identity EXCH1).State")
    assert r.std_out == b"Online\r\n"

    _prepare_and_upgrade(lab, "EXNODE1")
    assert {n.exchange_version for n in lab.engine.nodes()} == {"8.2.176.2"}
    cms = lab.engine.cms_status()
    assert (cms.version, cms.active_node, cms.state) == ("8.2.176.2", "EXNODE2", CmsState.ONLINE)


def test_update_rollup_procedure_through_winrm(fast_lab: Lab) -> None:
    lab = fast_lab
    # Refused on the node where the CMS runs.
    assert _cmd(lab, "EXNODE1", "msiexec", "/p", UR9, "/qn").status_code == 1603
    # Passive node: move every other group off it first, then patch.
    for node in ("EXNODE2", "EXNODE1"):
        other = "EXNODE1" if node == "EXNODE2" else "EXNODE2"
        for group in ("Cluster Group", "Available Storage"):
            assert _cmd(lab, node, "cluster", "group", f'"{group}"', f"/move:{other}").status_code == 0
        assert _cmd(lab, node, "msiexec", "/p", UR9, "/qn").status_code == 0
        _wait(lambda: lab.engine.node(node).state is NodeState.UP and _copies_healthy(lab))  # noqa: B023
        if node == "EXNODE2":
            r = _ps(
                lab,
                "EXNODE2",
                f"{SNAPIN}; Move-ClusteredMailboxServer -Identity EXCH1 -TargetMachine EXNODE2"
                " -MoveComment 'UR9' -Confirm:$false",
            )
            assert r.status_code == 0, r.std_err
            _wait(lambda: lab.engine.cms_status().state is CmsState.ONLINE and _copies_healthy(lab))
    exsetup = '(Get-Item "$env:ExchangeInstallPath\\bin\\ExSetup.exe").VersionInfo.FileVersion'
    for node in ("EXNODE1", "EXNODE2"):
        assert _ps(lab, node, exsetup).std_out == b"08.01.0393.001\r\n"
    assert lab.engine.cms_status().version == "8.1.240.6"


def test_cluster_service_stop_start_and_restart_computer_through_winrm(fast_lab: Lab) -> None:
    lab = fast_lab
    r = _cmd(lab, "EXNODE1", "cluster", "node", "EXNODE2", "/stop")
    assert r.status_code == 0 and r.std_out.endswith(
        b"The cluster service has been successfully stopped.\r\n"
    )
    assert lab.engine.node("EXNODE2").state is NodeState.DOWN
    r = _cmd(lab, "EXNODE2", "net", "start", "clussvc")
    assert r.status_code == 0
    _wait(lambda: lab.engine.node("EXNODE2").state is NodeState.UP)
    booted = lab.engine.node("EXNODE2").last_boot
    try:
        assert _ps(lab, "EXNODE2", "Restart-Computer -Force").status_code == 0
    except requests.exceptions.ConnectionError:
        pass  # the node went down before the shell was closed, as a real one may
    _wait(lambda: lab.engine.node("EXNODE2").last_boot > booted)
    _wait(lambda: lab.engine.node("EXNODE2").state is NodeState.UP)
    assert lab.wait_listening("EXNODE2", True, timeout=10)
