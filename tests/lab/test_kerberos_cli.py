"""`ccrgui-lab --auth kerberos` as a separate process: its KDC, and stock clients logging on with a ticket.

Nothing on this machine is configured for the lab's realm: the clients find it through
KRB5_CONFIG (the krb5.conf the JSON line names) and keep their ticket in KRB5CCNAME, and they
reach 127.0.0.1 while asking for the node's FQDN as the Kerberos host name.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import winrm

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kerberos_lab(kerberos_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The CLI's lab with its realm, and a ticket for its user (kinit, as an admin would)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccrgui.lab.cli", "--auth", "kerberos", "--events", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=60):
            raise AssertionError("ccrgui-lab --auth kerberos printed nothing within 60 s")
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        info = json.loads(line)
        krb = info["kerberos"]
        ccache = f"FILE:{tmp_path_factory.mktemp('krb') / 'cc'}"
        client_env = dict(os.environ, KRB5_CONFIG=krb["krb5_conf"], KRB5CCNAME=ccache)
        kinit = subprocess.run(
            ["kinit", krb["user"]], input=krb["password"] + "\n", env=client_env,
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert kinit.returncode == 0, kinit.stderr
        yield {"info": info, "env": client_env, "proc": proc}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0
    assert not os.path.exists(krb["krb5_conf"])  # the realm's temporary directory is gone


@pytest.fixture
def ticket(kerberos_lab: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for key in ("KRB5_CONFIG", "KRB5CCNAME"):
        monkeypatch.setenv(key, kerberos_lab["env"][key])
    return dict(kerberos_lab["info"])


def test_info_line_says_how_to_kinit_and_whom_to_ask_for(ticket: dict[str, Any]) -> None:
    krb = ticket["kerberos"]
    assert krb["realm"] == "CONTOSO.COM" and os.path.isfile(krb["krb5_conf"])
    assert krb["user"] == "Administrator@CONTOSO.COM" and krb["password"]
    assert ticket["fqdns"]["EXNODE1"] == "exnode1.contoso.com"
    assert krb["service_principals"]["EXNODE1"] == "HTTP/exnode1.contoso.com@CONTOSO.COM"
    assert "CONTOSO.COM" in open(krb["krb5_conf"], encoding="utf-8").read()
    klist = subprocess.run(["klist"], capture_output=True, text=True, check=False, timeout=10)
    assert "Administrator@CONTOSO.COM" in klist.stdout


def test_pywinrm_kerberos_transport_logs_on_with_the_ticket(ticket: dict[str, Any]) -> None:
    for node in ("EXNODE1", "EXNODE2"):
        session = winrm.Session(
            ticket["nodes"][node],
            auth=(None, None),  # type: ignore[arg-type]  # pywinrm's Kerberos transport takes no user/password
            transport="kerberos",
            kerberos_hostname_override=ticket["fqdns"][node],
            message_encryption="always",
        )
        r = session.run_cmd("whoami")
        assert (r.status_code, r.std_out) == (0, b"contoso\\administrator\r\n")
        r = session.run_cmd("hostname")
        assert r.std_out == f"{node}\r\n".encode()


def test_pypsrp_logs_on_with_the_ticket(ticket: dict[str, Any]) -> None:
    from pypsrp.client import Client

    url = urlsplit(ticket["cluster_endpoint"])
    client = Client(
        "127.0.0.1",
        port=url.port,
        ssl=False,
        auth="kerberos",
        negotiate_hostname_override=ticket["fqdns"][ticket["cluster"]],
        encryption="always",
    )
    out, err, rc = client.execute_cmd("cluster node")
    assert rc == 0, err
    assert "EXNODE1" in out and "EXNODE2" in out
