"""`ccrgui-lab` as a separate process: one JSON line once listening, clean exit on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import winrm

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


def _free_range(count: int) -> int:
    """A first port P such that P..P+count-1 are free right now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            socks = []
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return base
    raise RuntimeError("no free port range")


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccrgui.lab.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout=30):
        proc.kill()
        raise AssertionError("ccrgui-lab printed nothing within 30 s")
    line = proc.stdout.readline()
    if not line:
        _, err = proc.communicate(timeout=5)
        raise AssertionError(f"ccrgui-lab exited: {err}")
    return proc, json.loads(line)


def test_cli_prints_one_json_line_and_stops_on_sigint() -> None:
    base = _free_range(4)
    proc, info = _start("--nodes", "3", "--port", str(base), "--speed", "20", "--events", "50")
    try:
        assert info["cluster"] == "EXCLUS1"
        assert info["nodes"] == {f"EXNODE{i + 1}": f"http://127.0.0.1:{base + i}/wsman" for i in range(3)}
        assert info["cluster_endpoint"] == f"http://127.0.0.1:{base + 3}/wsman"
        assert (info["auth"], info["username"], info["ca_file"]) == ("ntlm", "CONTOSO\\Administrator", None)
        session = winrm.Session(
            info["nodes"]["EXNODE3"], auth=(info["username"], info["password"]), transport="ntlm"
        )
        assert session.run_cmd("hostname").std_out == b"EXNODE3\r\n"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert out == ""  # exactly one line on stdout


def test_cli_basic_https_exports_the_ca_and_stops_on_sigterm() -> None:
    proc, info = _start("--auth", "basic-https", "--events", "50")
    try:
        assert info["auth"] == "basic-https"
        assert isinstance(info["ca_file"], str) and Path(info["ca_file"]).read_text().startswith(
            "-----BEGIN CERTIFICATE-----"
        )
        url = info["nodes"]["EXNODE1"]
        assert isinstance(url, str) and url.startswith("https://127.0.0.1:")
        session = winrm.Session(
            url, auth=(info["username"], info["password"]), transport="ssl", ca_trust_path=info["ca_file"]
        )
        assert session.run_cmd("hostname").std_out == b"EXNODE1\r\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_cli_rejects_a_bad_topology_file(tmp_path: Path) -> None:
    bad = tmp_path / "topo.json"
    bad.write_text('{"nodes": 12}', encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-m", "ccrgui.lab.cli", "--topology", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=30,
    )
    assert r.returncode == 2
    assert "nodes" in r.stderr and r.stdout == ""
