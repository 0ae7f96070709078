"""The built wheel, installed into a clean venv (not editable), carries every package and runs.

The editable installs of the other tests see the checkout, so a package left out of the wheel (as
ccrgui.lab once was) shows only here.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "tests"
)


def _run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=dict(os.environ, **env)
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel built from a copy of the checkout, and the build's output (verbose)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    done = _run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp / "dist"), "."], src)
    (wheel,) = (tmp / "dist").glob("ccrgui-*.whl")
    return wheel, done.stdout + done.stderr


def test_the_build_warns_of_nothing(built: tuple[Path, str]) -> None:
    _, output = built
    assert "BuildBackendWarning" not in output and "absent from the" not in output, output


def test_every_module_and_data_file_is_in_the_wheel(built: tuple[Path, str]) -> None:
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {p.relative_to(ROOT).as_posix() for p in (ROOT / "ccrgui").rglob("*.py")}
    wanted |= {f"ccrgui/resources/icons/{p.name}" for p in (ROOT / "resources" / "icons").glob("*.svg")}
    wanted |= {f"ccrgui/ui/{p.name}" for p in (ROOT / "ui").glob("*.ui")}
    wanted.add("ccrgui/py.typed")
    assert "ccrgui/lab/__init__.py" in wanted
    assert sorted(wanted - names) == []


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_installed_wheel_runs_the_demo(built: tuple[Path, str], tmp_path: Path) -> None:
    wheel, _ = built
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path)
    home = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    where = _run([str(bin_dir / "python"), "-c", "import ccrgui.lab.lab as m; print(m.__file__)"], tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(env_dir)  # the installed copy, not the checkout
    out = tmp_path / "demo.png"
    _run(
        [str(bin_dir / "ccrgui"), "--demo", "--screenshot", str(out)],
        tmp_path,
        QT_QPA_PLATFORM="offscreen",
        **home,
    )
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1000 and height >= 700
    assert _run([str(bin_dir / "ccrgui"), "--version"], tmp_path).stdout.strip() == f"ccrgui {_version()}"
    assert "ccrgui-lab" in _run([str(bin_dir / "ccrgui-lab"), "--help"], tmp_path).stdout


def _version() -> str:
    import tomllib

    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])
