"""`ccrgui upgrade` (headless) against a `ccrgui-lab` process: one line per step, exit 0 / 1 / 2,
questions on the terminal without --yes, and a run killed with SIGKILL resumed with --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SP2 = "D:\\Exchange2007SP2"


@pytest.fixture
def lab_info(tmp_path: Path) -> Iterator[Path]:
    """A `ccrgui-lab` process (fast clock); the JSON line it printed, saved to a file."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccrgui.lab.cli", "--speed", "2000", "--events", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert json.loads(line)["cluster"] == "EXCLUS1"
        path = tmp_path / "lab.json"
        path.write_text(line, encoding="utf-8")
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), PYTHONUNBUFFERED="1")


def _upgrade(lab_info: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ccrgui.app",
        "upgrade",
        "--lab-info",
        str(lab_info),
        "--journal",
        str(tmp_path / "journal.json"),
        *extra,
    ]


def _run(cmd: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=_env(tmp_path), timeout=150)


def test_killed_run_resumes_with_resume(lab_info: Path, tmp_path: Path) -> None:
    cmd = _upgrade(lab_info, tmp_path, "--setup-path", SP2, "--yes")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path)
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("[ 5/17]"):  # Node 2 upgraded and restarted
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=20)
    assert seen[-1].startswith("[ 5/17] EXNODE2: Restart EXNODE2") and seen[-1].rstrip().endswith(")")
    assert any("[  OK" in x or "[OK  ]" in x for x in seen)  # the pre-checks were printed first

    again = _run(_upgrade(lab_info, tmp_path, "--setup-path", SP2, "--yes"), tmp_path)
    assert again.returncode == 2 and "--resume" in again.stdout  # an upgrade is in progress

    done = _run(_upgrade(lab_info, tmp_path, "--resume"), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Resuming the upgrade of EXCLUS1")
    steps = [x for x in lines if x.startswith("[")]
    assert steps[0].startswith("[ 6/17]") and len(steps) == 12  # one line per remaining step
    assert "Move EXCH1 to EXNODE2" in done.stdout and "FAILED" not in done.stdout
    assert steps[-1].endswith("done (nodes at 8.2.176.2; EXCH1 Online on EXNODE2)")
    assert lines[-1] == "Upgrade of EXCLUS1 complete."
    nothing = _run(_upgrade(lab_info, tmp_path, "--resume"), tmp_path)
    assert nothing.returncode == 2 and nothing.stdout.startswith("Nothing to resume")
    # Now at SP2, the cluster takes SP2's update rollup with the same engine (--rollup).
    ur3 = "D:\\Updates\\Exchange2007-KB979784-x64-EN.msp"
    rollup = _run(_upgrade(lab_info, tmp_path, "--rollup", ur3, "--yes", "--move-back"), tmp_path)
    assert rollup.returncode == 0, rollup.stdout + rollup.stderr
    steps = [x for x in rollup.stdout.splitlines() if x.startswith("[")]
    assert steps[1].startswith(
        "[ 2/9] EXNODE1: Install the update rollup on EXNODE1 ... done (installed, build 8.2.247.2"
    )
    # The CMS ran on EXNODE2 after the service pack: EXNODE1 was patched first, the CMS moved back.
    assert steps[-2] == "[ 8/9] EXNODE2: Move EXCH1 back to EXNODE2 ... done (Online on EXNODE2)"
    assert steps[-1].endswith("done (nodes at 8.2.247.2; EXCH1 Online on EXNODE2)")


def test_refusals_exit_2_and_a_failed_step_exits_1(lab_info: Path, tmp_path: Path) -> None:
    wrong = _run(_upgrade(lab_info, tmp_path, "--setup-path", "D:\\SP3", "--yes"), tmp_path)
    assert wrong.returncode == 2
    assert "[FAIL] Setup files folder on EXNODE2: D:\\SP3 does not exist on EXNODE2" in wrong.stdout
    assert wrong.stdout.splitlines()[-1].startswith("Refused: Setup files folder on EXNODE1")

    # Without --yes the command asks; "no" to the backups refuses.
    no_backup = _run(_upgrade(lab_info, tmp_path, "--setup-path", SP2), tmp_path, stdin="n\n")
    assert no_backup.returncode == 2
    assert "Full backups of both nodes were taken? [y/N]" in no_backup.stdout
    assert "Refused: the full backups of both nodes were not confirmed." in no_backup.stdout

    # The admin confirms the backups but names another agent than the running one: setup.com
    # fails with Windows' own error (the performance counters are in use), exit 1 with advice.
    failed = _run(_upgrade(lab_info, tmp_path, "--setup-path", SP2), tmp_path, stdin="y\n\nNoSuchAgent\n")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    out = failed.stdout
    assert "Monitoring services to stop on EXNODE2 before setup: HealthService." in out
    assert "[ 4/17] EXNODE2: setup.com /mode:upgrade on EXNODE2 ... FAILED:" in out
    assert "in use by HealthService" in out
    assert "What to do: Read setup's error" in out and out.rstrip().endswith("--resume.")


def test_unreachable_cluster_is_a_refusing_precheck(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "ccrgui.app",
        "upgrade",
        "--connect",
        "127.0.0.1",
        "--port",
        str(port),
        "--http",
    ]
    cmd += ["--user", "CONTOSO\\\\admin", "--password-env", "CCRGUI_TEST_PW", "--setup-path", SP2, "--yes"]
    env = dict(_env(tmp_path), CCRGUI_TEST_PW="secret")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "[FAIL] 127.0.0.1 answers: 127.0.0.1: connection refused" in done.stdout
    assert "Traceback" not in done.stderr
