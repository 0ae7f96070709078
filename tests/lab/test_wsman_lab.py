"""The composed lab over real WinRM: node endpoints, the cluster-name endpoint, reboots, HTTPS."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import winrm
from pypsrp.shell import Process, WinRS
from pypsrp.wsman import WSMan

from ccrgui.lab.lab import Lab
from ccrgui.lab.topology import topology_from_json

pytestmark = pytest.mark.timeout(60)


def _wait(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _run(lab: Any, url: str, *cmd: str, user: str | None = None, password: str | None = None) -> Any:
    session = winrm.Session(url, auth=(user or lab.username, password or lab.password), transport="ntlm")
    return session.run_cmd(cmd[0], list(cmd[1:]))


def test_info_lists_every_endpoint_and_each_answers_as_its_node(lab: Lab) -> None:
    info = lab.info()
    assert info == {
        "cluster": "EXCLUS1",
        "nodes": lab.endpoints,
        "cluster_endpoint": lab.cluster_endpoint,
        "auth": "ntlm",
        "username": "CONTOSO\\Administrator",
        "password": lab.password,
        "ca_file": None,
        "speed": 50.0,
        "setup_media": [{"path": "D:\\Exchange2007SP2", "build": "8.2.176.2"}],
        "rollups": [
            {
                "path": "D:\\Updates\\Exchange2007-KB970162-x64-EN.msp",
                "build": "8.1.393.1",
                "name": "Update Rollup 9 for Exchange Server 2007 Service Pack 1 (KB970162)",
                "reboot_required": False,
            },
            {
                "path": "D:\\Updates\\Exchange2007-KB979784-x64-EN.msp",
                "build": "8.2.247.2",
                "name": "Update Rollup 3 for Exchange Server 2007 Service Pack 2 (KB979784)",
                "reboot_required": False,
            },
        ],
        "fqdns": {
            "EXNODE1": "exnode1.contoso.com",
            "EXNODE2": "exnode2.contoso.com",
            "EXCLUS1": "exclus1.contoso.com",
        },
        "kerberos": None,
    }
    assert set(lab.endpoints) == {"EXNODE1", "EXNODE2"}
    ports = {url.rsplit(":", 1)[1] for url in [*lab.endpoints.values(), lab.cluster_endpoint]}
    assert len(ports) == 3
    for name, url in lab.endpoints.items():
        assert url.startswith("http://127.0.0.1:") and url.endswith("/wsman")
        r = _run(lab, url, "hostname")
        assert (r.std_out, r.status_code) == (f"{name}\r\n".encode(), 0)
    owner = lab.cluster_owner()
    assert owner == "EXNODE1"
    assert _run(lab, lab.cluster_endpoint, "hostname").std_out == b"EXNODE1\r\n"


def test_the_authenticated_account_reaches_the_programs(lab: Lab) -> None:
    url = lab.endpoints["EXNODE2"]
    r = _run(lab, url, "echo", "%USERDOMAIN%\\%USERNAME%")
    assert r.std_out == b"CONTOSO\\Administrator\r\n"
    r = _run(lab, url, "echo", "%USERNAME%", user="CONTOSO\\helpdesk", password="Help#Desk1")
    assert r.std_out == b"helpdesk\r\n"


def test_cluster_endpoint_follows_the_core_group(lab: Lab) -> None:
    lab.engine.move_group("Cluster Group", "EXNODE2")
    assert _wait(lambda: lab.cluster_owner() == "EXNODE2")
    assert _wait(lambda: _run(lab, lab.cluster_endpoint, "hostname").std_out == b"EXNODE2\r\n")


def test_reboot_closes_the_node_endpoint_until_the_machine_is_back(lab: Lab) -> None:
    url = lab.endpoints["EXNODE2"]
    server = lab.servers["EXNODE2"]
    lab.engine.reboot_node("EXNODE2")
    assert _wait(lambda: not server.up)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(url, timeout=2)
    assert lab.node_is_down("EXNODE2")
    assert _wait(lambda: server.up, 10)
    assert server.url == url
    assert _run(lab, url, "hostname").std_out == b"EXNODE2\r\n"


def test_fault_down_on_the_owner_takes_the_cluster_name_down_too(lab: Lab) -> None:
    lab.faults.down.add("EXNODE1")
    try:
        assert lab.wait_listening("EXNODE1", False)
        assert lab.wait_listening("exclus1", False)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(lab.cluster_endpoint, timeout=2)
    finally:
        lab.faults.down.discard("EXNODE1")
    assert lab.wait_listening("EXCLUS1") and lab.wait_listening("EXNODE1")
    assert _run(lab, lab.endpoints["EXNODE1"], "hostname").std_out == b"EXNODE1\r\n"


def test_basic_https_lab_with_pypsrp_verifying_the_ca() -> None:
    with Lab(auth="basic-https", speed=50.0, events=50) as lab:
        info = lab.info()
        assert info["auth"] == "basic-https"
        assert info["ca_file"] and info["nodes"]["EXNODE1"].startswith("https://127.0.0.1:")
        port = int(lab.endpoints["EXNODE1"].rsplit(":", 1)[1].split("/")[0])
        wsman = WSMan(
            "127.0.0.1",
            port=port,
            ssl=True,
            auth="basic",
            username=lab.username,
            password=lab.password,
            cert_validation=lab.ca_file,  # type: ignore[arg-type]  # pypsrp passes a CA bundle path to requests
        )
        with WinRS(wsman) as shell:
            proc = Process(shell, "hostname")
            proc.invoke()
            assert (proc.stdout, proc.rc) == (b"EXNODE1\r\n", 0)


def test_two_labs_with_different_accounts_in_one_process() -> None:
    topo = topology_from_json(
        {
            "cluster_name": "LABCLU",
            "accounts": [{"domain": "FABRIKAM", "user": "ops", "password": "0ps!pass"}],
        }
    )
    with Lab(speed=50.0, events=50) as first, Lab(topo, speed=50.0, events=50) as second:
        assert second.username == "FABRIKAM\\ops"
        assert _run(second, second.endpoints["EXNODE1"], "echo", "%USERDOMAIN%").std_out == b"FABRIKAM\r\n"
        assert _run(first, first.endpoints["EXNODE1"], "echo", "%USERDOMAIN%").std_out == b"CONTOSO\r\n"
        with pytest.raises(winrm.exceptions.InvalidCredentialsError):
            _run(
                second, second.endpoints["EXNODE1"], "hostname", user=first.username, password=first.password
            )


def test_cluster_name_is_unreachable_while_the_core_group_is_offline(lab: Lab) -> None:
    assert lab.cluster_server is not None
    lab.engine.offline_group("Cluster Group")
    assert _wait(lambda: lab.cluster_server is not None and not lab.cluster_server.up)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(lab.cluster_endpoint, timeout=2)
    assert _run(lab, lab.endpoints["EXNODE1"], "hostname").std_out == b"EXNODE1\r\n"
    lab.engine.online_group("Cluster Group")
    assert _wait(lambda: lab.cluster_server is not None and lab.cluster_server.up)
    assert _run(lab, lab.cluster_endpoint, "hostname").std_out == b"EXNODE1\r\n"


def test_pypsrp_client_execute_cmd_and_no_powershell_remoting_on_ws2008(lab: Lab) -> None:
    from pypsrp.client import Client
    from pypsrp.exceptions import WSManFaultError

    port = int(lab.endpoints["EXNODE2"].rsplit(":", 1)[1].split("/")[0])
    client = Client(
        "127.0.0.1", port=port, ssl=False, auth="ntlm", username=lab.username, password=lab.password
    )
    assert client.execute_cmd("hostname") == ("EXNODE2\r\n", "", 0)
    # WinRM 1.1 on Windows Server 2008 has no PowerShell remoting endpoint (PSRP).
    with pytest.raises(WSManFaultError) as info:
        client.execute_ps("hostname")
    assert info.value.code == 2150858752


def _ps_line(script: str) -> str:
    b64 = base64.b64encode(script.encode("utf-8")).decode("ascii")
    return f"iex ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{b64}')))\r\n"


def test_long_running_powershell_fed_through_stdin(lab: Lab) -> None:
    """The backend's pattern: one `powershell -Command -` per node, one line per request."""
    p = winrm.Protocol(
        lab.endpoints["EXNODE2"],
        transport="ntlm",
        username=lab.username,
        password=lab.password,
        operation_timeout_sec=2,
        read_timeout_sec=5,
    )
    shell = p.open_shell()
    cmd = p.run_command(shell, "powershell", ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"])
    for request in range(2):
        p.send_command_input(shell, cmd, _ps_line(f"Write-Output ('req{request}:' + $env:COMPUTERNAME)"))
        out = b""
        deadline = time.monotonic() + 10
        while f"req{request}:EXNODE2".encode() not in out and time.monotonic() < deadline:
            try:
                chunk, err, _, done = p.get_command_output_raw(shell, cmd)
            except winrm.exceptions.WinRMOperationTimeoutError:
                continue
            assert (err, done) == (b"", False)
            out += chunk
        assert out == f"req{request}:EXNODE2\r\n".encode()
    p.send_command_input(shell, cmd, "exit\r\n", end=True)
    assert p.get_command_output(shell, cmd) == (b"", b"", 0)
    p.close_shell(shell)


def test_pywinrm_run_ps_through_the_lab(lab: Lab) -> None:
    session = winrm.Session(lab.cluster_endpoint, auth=(lab.username, lab.password), transport="ntlm")
    r = session.run_ps("Write-Output $env:COMPUTERNAME")
    assert (r.std_out, r.std_err, r.status_code) == (b"EXNODE1\r\n", b"", 0)
