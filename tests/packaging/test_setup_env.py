"""scripts/setup-env installs the project only when its packaging changed (run-app calls it every time)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/../calls.log"
"""


def _project(tmp_path: Path) -> Path:
    """A copy of the packaging files with a .venv whose python only records how it was called."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "setup-env", tmp_path / "scripts" / "setup-env")
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy2(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "ccrgui"):
        (bin_dir / name).write_text(FAKE_PYTHON)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def _setup_env(project: Path, *args: str) -> list[str]:
    """Run setup-env; the pip installs it started (the pip self-upgrade left out)."""
    log = project / ".venv" / "calls.log"
    before = log.read_text().splitlines() if log.exists() else []
    done = subprocess.run(
        [str(project / "scripts" / "setup-env"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "warn" not in done.stderr.lower(), done.stdout + done.stderr
    after = log.read_text().splitlines() if log.exists() else []
    return [c for c in after[len(before) :] if "--upgrade pip" not in c]


# A plain install builds the Kerberos extra where MIT's headers and a compiler are present.
KERBEROS = bool(shutil.which("krb5-config") and shutil.which("cc"))
PLAIN = "-m pip install -q -e ." + ("[kerberos]" if KERBEROS else "")


def test_installs_once_and_again_only_when_the_packaging_changes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert _setup_env(project) == [PLAIN]
    assert _setup_env(project) == []
    assert _setup_env(project, "test") == ["-m pip install -q -e .[test]"]
    assert _setup_env(project) == []  # the test install holds the plain one
    assert _setup_env(project, "test") == []
    with (project / "pyproject.toml").open("a") as f:
        f.write("\n# a new dependency\n")
    assert _setup_env(project, "test") == ["-m pip install -q -e .[test]"]
    (project / "setup.py").write_text((project / "setup.py").read_text() + "\n")
    assert _setup_env(project) == [PLAIN]


def test_a_failed_install_is_retried(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert _setup_env(project) == [PLAIN]
    (project / ".venv" / "bin" / "ccrgui").unlink()  # e.g. the install broke half-way
    assert _setup_env(project) == [PLAIN]
