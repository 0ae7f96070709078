"""A fresh machine with a display (issue 14): Qt's platform plugins find every library once
scripts/setup-env has run, and scripts/run-app starts under a real X server (Xvfb)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
# The platform plugins and what they load in turn (xcb's GL integrations, wayland's shells).
PLUGIN_DIRS = (
    "platforms",
    "xcbglintegrations",
    "wayland-shell-integration",
    "wayland-decoration-client",
    "wayland-graphics-integration-client",
)

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("ldd") is None, reason="ldd: Linux only"
)


def qt_dir() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "Qt"


def plugins() -> list[Path]:
    found = [so for d in PLUGIN_DIRS for so in sorted((qt_dir() / "plugins" / d).glob("*.so"))]
    assert any(p.name == "libqxcb.so" for p in found), "PySide6 without the xcb platform plugin?"
    return found


def ldd(path: Path) -> str:
    return subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=True).stdout


@linux_only
def test_qt_platform_plugins_find_every_library() -> None:
    missing = {
        f"{so.name}: {line.strip()}"
        for so in plugins()
        for line in ldd(so).splitlines()
        if "not found" in line
    }
    assert not missing, "run scripts/setup-env as root; still missing:\n" + "\n".join(sorted(missing))


def setup_env_packages() -> set[str]:
    """The Debian packages scripts/setup-env installs (its pkgs= and qt_pkgs= lists)."""
    text = (ROOT / "scripts" / "setup-env").read_text()
    names: set[str] = set()
    for m in re.finditer(r'^\s*(?:qt_)?pkgs="([^"]*)"', text, re.MULTILINE):
        names.update(w for w in m.group(1).split() if not w.startswith("$"))
    return names


@linux_only
@pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("apt-cache") is None, reason="Debian only")
def test_setup_env_installs_every_package_the_plugins_load() -> None:
    """On a fresh machine only what setup-env installs (and what that depends on) is there: every
    library the plugins load must come from that set, not from something installed by chance."""
    listed = sorted(setup_env_packages())
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"} <= set(listed)
    closure = subprocess.run(
        [
            *("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts"),
            *("--no-breaks", "--no-replaces", "--no-enhances", *listed),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    provided = {line.split(":")[0].strip() for line in closure.splitlines() if not line.startswith(" ")}
    libs = {
        os.path.realpath(m.group(1))
        for so in plugins()
        for m in re.finditer(r"=> (/\S+) \(", ldd(so))
        if not os.path.realpath(m.group(1)).startswith(str(qt_dir().parent))
    }
    owners: dict[str, str] = {}
    for lib in sorted(libs):
        found = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        if found.returncode != 0:  # e.g. /lib vs /usr/lib (merged /usr): ask for the other spelling
            other = lib.removeprefix("/usr") if lib.startswith("/usr/") else "/usr" + lib
            found = subprocess.run(["dpkg", "-S", other], capture_output=True, text=True)
        assert found.returncode == 0, f"{lib} belongs to no Debian package"
        owners[lib] = found.stdout.split(":")[0].strip()
    stray = {lib: pkg for lib, pkg in owners.items() if pkg not in provided}
    assert not stray, f"add these packages to scripts/setup-env: {sorted(set(stray.values()))}"


@linux_only
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (setup-env test installs it)")
def test_run_app_starts_under_xvfb_and_takes_a_screenshot(tmp_path: Path) -> None:
    """The real xcb platform plugin (QT_QPA_PLATFORM=xcb aborts when it cannot load), a real X server."""
    shot = tmp_path / "node.png"
    hidden = ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["QT_QPA_PLATFORM"] = "xcb"
    done = subprocess.run(
        [
            *("xvfb-run", "-a", "-s", "-screen 0 1280x800x24", str(ROOT / "scripts" / "run-app")),
            *("--demo", "--lab-speed", "50", "--screenshot", str(shot)),
            *("--select", "EXCLUS1/Nodes/EXNODE1"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Could not load the Qt platform plugin" not in done.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)
    colours = {image.pixel(x, y) for x in range(0, 1280, 37) for y in range(0, 800, 23)}
    assert len(colours) > 20, "a blank picture"


def test_readme_pictures_are_the_ones_make_screenshots_makes() -> None:
    script = (ROOT / "scripts" / "make-screenshots").read_text()
    made = set(re.findall(r'"(screenshot-[\w-]+\.png)\|', script))
    shown = set(re.findall(r"\(docs/(screenshot-[\w-]+\.png)\)", (ROOT / "README.md").read_text()))
    assert shown and shown <= made, shown - made
    for name in shown:
        image = QImage(str(ROOT / "docs" / name))
        assert (image.width(), image.height()) == (1280, 800), name
