"""The MSI: its tables (msiinfo), and a whole life under Wine — silent install, the installed
console's self-test and demo window, upgrade, refused downgrade, uninstall with nothing left.
"""

from __future__ import annotations

import filecmp
import re
import struct
import subprocess
from pathlib import Path

import pytest
from helpers import Build, msiinfo_table
from wine import WinePrefix, unix_to_windows

UPGRADE_CODE = "{04DD2116-30F7-4471-A258-202722ABD1E4}"
MANUFACTURER = "ccrgui project"
INSTALL_DIR = r"C:\Program Files\ccrgui"
# Left out of the MSI on purpose (build_msi.trim_pyside): none of these may reappear.
TRIMMED = re.compile(r"^(Qt6Quick.*|Qt6Qml.*|Qt6Designer.*|designer\.exe|opengl32sw\.dll|.*\.pyi|qt_.*\.qm)$")


def properties(msi: Path) -> dict[str, str]:
    return {row["Property"]: row["Value"] for row in msiinfo_table(msi, "Property")}


def extract(msi: Path, dest: Path) -> Path:
    subprocess.run(["msiextract", "-C", str(dest), str(msi)], check=True, capture_output=True)
    return dest / "ccrgui"


# --- the tables ------------------------------------------------------------------------------------
def test_product_properties(builds: tuple[Build, Build]) -> None:
    for build in builds:
        props = properties(build.msi)
        assert props["ProductName"] == "ccrgui"
        assert props["ProductVersion"] == build.msi_version
        assert props["Manufacturer"] == MANUFACTURER
        assert props["UpgradeCode"] == UPGRADE_CODE
        assert props["ALLUSERS"] == "1"  # per-machine
        assert props["ARPPRODUCTICON"] == "ccrgui.ico"
        assert props["REBOOT"] == "ReallySuppress"
    assert builds[0].msi_version == builds[0].version  # pyproject's version, as Windows compares it
    assert properties(builds[0].msi)["ProductCode"] != properties(builds[1].msi)["ProductCode"]
    summary = subprocess.run(["msiinfo", "suminfo", str(builds[0].msi)], capture_output=True, text=True)
    assert "Template: x64;1033" in summary.stdout


def test_upgrade_replaces_older_and_refuses_downgrade(builds: tuple[Build, Build]) -> None:
    rows = msiinfo_table(builds[0].msi, "Upgrade")
    assert {(r["UpgradeCode"], r["ActionProperty"]) for r in rows} == {
        (UPGRADE_CODE, "WIX_UPGRADE_DETECTED"),
        (UPGRADE_CODE, "WIX_DOWNGRADE_DETECTED"),
    }
    conditions = {r["Condition"] for r in msiinfo_table(builds[0].msi, "LaunchCondition")}
    assert "NOT WIX_DOWNGRADE_DETECTED" in conditions
    sequence = {r["Action"] for r in msiinfo_table(builds[0].msi, "InstallExecuteSequence")}
    assert "RemoveExistingProducts" in sequence


def test_shortcuts(builds: tuple[Build, Build]) -> None:
    rows = {r["Name"]: r for r in msiinfo_table(builds[0].msi, "Shortcut")}
    assert set(rows) == {"ccrgui", "ccrgui demo (simulated cluster)"}
    for row in rows.values():
        assert row["Target"] == "[INSTALLDIR]ccrguiw.exe"
        assert row["Icon_"] == "ccrgui.ico" and row["WkDir"] == "INSTALLDIR"
        assert row["Directory_"] == "MenuFolder"
    assert rows["ccrgui demo (simulated cluster)"]["Arguments"] == "--demo"
    assert rows["ccrgui"]["Arguments"] == ""
    assert [r["Name"] for r in msiinfo_table(builds[0].msi, "Icon")] == ["ccrgui.ico"]


def test_files(builds: tuple[Build, Build], tmp_path: Path) -> None:
    rows = msiinfo_table(builds[0].msi, "File")
    names = [r["FileName"] for r in rows]
    launchers = ("ccrgui.exe", "ccrguiw.exe", "ccrgui-lab.exe")
    python = ("python.exe", "pythonw.exe", "python311.dll", "python311._pth")
    for wanted in (*launchers, *python, "Qt6Core.dll", "qwindows.dll", "app.py", "selftest.py"):
        assert wanted in names, wanted
    assert [n for n in names if TRIMMED.match(n)] == []
    root = extract(builds[0].msi, tmp_path)
    extracted = [p for p in root.rglob("*") if p.is_file()]
    assert len(extracted) == len(rows)
    assert sum(p.stat().st_size for p in extracted) == sum(int(r["FileSize"]) for r in rows)
    dist_info = root / "Lib" / "site-packages" / f"ccrgui-{builds[0].version}.dist-info"
    assert (dist_info / "METADATA").is_file()
    assert (root / "Lib" / "site-packages" / "ccrgui" / "lab" / "__init__.py").is_file()
    pth = (root / "python311._pth").read_text().split()
    assert pth == ["python311.zip", ".", "Lib\\site-packages", "import", "site"]
    # every module is precompiled: Program Files is read-only for the users who run it
    sources = list((root / "Lib" / "site-packages" / "ccrgui").rglob("*.py"))
    compiled = list((root / "Lib" / "site-packages" / "ccrgui").rglob("__pycache__/*.cpython-311.pyc"))
    assert len(compiled) == len(sources) > 50


# --- under Wine ------------------------------------------------------------------------------------
def msiexec(wine: WinePrefix, *args: str) -> int:
    return wine.wine("msiexec", *args, timeout=300).returncode


def installed_dir(wine: WinePrefix) -> Path:
    return wine.drive_c / "Program Files" / "ccrgui"


def console(
    wine: WinePrefix, *args: str, env: dict[str, str] | None = None, launcher: str = "ccrgui.exe"
) -> tuple[int, str]:
    done = wine.wine(INSTALL_DIR + "\\" + launcher, *args, timeout=240, env=env)
    return done.returncode, done.stdout + done.stderr


def reg_values(wine: WinePrefix, key: str) -> dict[str, str]:
    done = wine.wine("reg", "query", key, timeout=60)
    if done.returncode != 0:
        return {}
    found = {}
    for line in done.stdout.splitlines():
        m = re.match(r"\s+(\S.*?)\s+REG_\w+\s+(.*)$", line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


UNINSTALL = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"


def arp_entries(wine: WinePrefix) -> dict[str, dict[str, str]]:
    """Add/Remove Programs entries named ccrgui, by product code."""
    done = wine.wine("reg", "query", UNINSTALL, timeout=60)
    entries = {}
    pattern = re.compile(r"^(HKEY_LOCAL_MACHINE\\.*\\Uninstall\\\{[0-9A-F-]+\})\s*$", re.M | re.I)
    for key in pattern.findall(done.stdout):
        values = reg_values(wine, key)
        if values.get("DisplayName") == "ccrgui":
            entries[key.rsplit("\\", 1)[1]] = values
    return entries


def shortcuts(wine: WinePrefix) -> list[str]:
    return sorted(p.name for p in wine.drive_c.rglob("*.lnk") if p.parent.name == "ccrgui")


def same_files(installed: Path, extracted: Path) -> list[str]:
    """Paths that differ between the installed folder and the MSI's content (empty when equal)."""
    inst = {p.relative_to(installed).as_posix().lower(): p for p in installed.rglob("*") if p.is_file()}
    ext = {p.relative_to(extracted).as_posix().lower(): p for p in extracted.rglob("*") if p.is_file()}
    differ = sorted(set(inst) ^ set(ext))
    differ += [k for k in sorted(set(inst) & set(ext)) if not filecmp.cmp(inst[k], ext[k], shallow=False)]
    return differ


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def colours(path: Path) -> int:
    """Distinct colours on a grid of the picture: a blank or single-colour window has 1 or 2."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull()
    grid = [(x, y) for x in range(0, image.width(), 8) for y in range(0, image.height(), 8)]
    return len({image.pixel(x, y) for x, y in grid})


@pytest.mark.timeout(900)
def test_install_run_upgrade_downgrade_uninstall_under_wine(
    builds: tuple[Build, Build], prefix: WinePrefix, display: str, tmp_path: Path
) -> None:
    old, new = builds
    old_code = properties(old.msi)["ProductCode"]
    new_code = properties(new.msi)["ProductCode"]

    # silent per-machine install: every file as in the MSI, HKLM key, ARP entry, shortcuts
    assert msiexec(prefix, "/i", unix_to_windows(old.msi), "/qn") == 0
    assert same_files(installed_dir(prefix), extract(old.msi, tmp_path / "old")) == []
    assert reg_values(prefix, r"HKLM\Software\ccrgui")["Version"] == old.msi_version
    arp = arp_entries(prefix)
    assert list(arp) == [old_code]
    assert arp[old_code]["DisplayVersion"] == old.msi_version
    assert arp[old_code]["Publisher"] == MANUFACTURER
    assert shortcuts(prefix) == ["ccrgui demo (simulated cluster).lnk", "ccrgui.lnk"]

    # the installed console, started by its launcher from elsewhere
    rc, out = console(prefix, "--version")
    assert (rc, out.strip()) == (0, f"ccrgui {old.version}")
    rc, out = console(prefix, "--self-test")
    assert rc == 0 and "ccrgui self-test: OK: cluster EXCLUS1" in out, out
    assert "Python 3.11.9" in out  # the MSI's Python, not one of the machine's
    # what the demo shortcut starts (the windowed launcher, pythonw.exe), on a display
    shot = tmp_path / "demo.png"
    args = ("--demo", "--screenshot", unix_to_windows(shot))
    rc, out = console(prefix, *args, env={"DISPLAY": display}, launcher="ccrguiw.exe")
    assert rc == 0, out
    width, height = png_size(shot)
    assert width >= 1000 and height >= 700
    assert colours(shot) > 20  # icons, text, selection: the window was drawn

    # a newer MSI replaces the older one in place
    assert msiexec(prefix, "/i", unix_to_windows(new.msi), "/qn") == 0
    assert list(arp_entries(prefix)) == [new_code]
    assert same_files(installed_dir(prefix), extract(new.msi, tmp_path / "new")) == []
    assert reg_values(prefix, r"HKLM\Software\ccrgui")["Version"] == new.msi_version
    rc, out = console(prefix, "--version")
    assert (rc, out.strip()) == (0, f"ccrgui {new.version}")
    rc, out = console(prefix, "--self-test")
    assert rc == 0, out

    # an older one is refused and changes nothing
    assert msiexec(prefix, "/i", unix_to_windows(old.msi), "/qn") != 0
    assert list(arp_entries(prefix)) == [new_code]
    assert console(prefix, "--version")[1].strip() == f"ccrgui {new.version}"

    # uninstall: no file, no key, no entry, no shortcut left (Wine may leave empty folders)
    assert msiexec(prefix, "/x", new_code, "/qn") == 0
    assert [p for p in installed_dir(prefix).rglob("*") if p.is_file()] == []
    assert reg_values(prefix, r"HKLM\Software\ccrgui") == {}
    assert arp_entries(prefix) == {}
    assert shortcuts(prefix) == []
