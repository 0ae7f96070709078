"""Regenerate installer/wheels-win_amd64.lock (run through installer/lock-wheels).

pip resolves the dependencies for the machine it runs on: on Linux it drops Windows-only ones
(pywin32-ctypes for keyring, sspilib for pyspnego) and adds Linux ones. So the set is resolved by
pip running under Wine with the very Python the MSI ships, and the result written with the hash
of every wheel, for build-msi to download with --require-hashes (no Wine needed there).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_msi import HERE, ROOT, WORK, BuildError, embeddable_python, log, pip_download
from wine import WinePrefix, unix_to_windows

HEADER = """\
# The win_amd64 wheels of the MSI (Windows CPython {py}), with their hashes: every dependency in
# pyproject.toml and what it needs ON WINDOWS (pywin32-ctypes, sspilib, ...), resolved by pip running
# under Wine with the MSI's own Python. Regenerate with installer/lock-wheels after changing the
# dependencies; tests/packaging/test_lock.py fails while this file misses one of them.
"""


def dependencies() -> list[str]:
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def resolve(tmp: Path) -> list[Path]:
    python = embeddable_python(tmp / "python")
    (pip_wheel,) = pip_download(HERE / "resolver-requirements.txt", WORK / "downloads" / "resolver")
    with zipfile.ZipFile(pip_wheel) as z:
        z.extractall(python / "Lib" / "site-packages")
    prefix = WinePrefix(tmp / "prefix")
    prefix.boot()
    out = tmp / "wheels"
    done = prefix.wine(
        str(python / "python.exe"), "-m", "pip", "download", "--disable-pip-version-check",
        "--only-binary=:all:", "--cert", unix_to_windows(Path("/etc/ssl/certs/ca-certificates.crt")),
        "-d", unix_to_windows(out), *dependencies(), timeout=900,
    )  # fmt: skip
    prefix.stop()
    if done.returncode != 0:
        raise BuildError(f"pip under Wine failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return sorted(out.glob("*.whl"), key=lambda p: p.name.lower())


def lock_text(wheels: list[Path]) -> str:
    lines = [HEADER.format(py="3.11")]
    for wheel in wheels:
        name, version = wheel.name.split("-")[:2]
        name = re.sub(r"[-_.]+", "-", name).lower()
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}\n")
    return "".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ccrgui-lock-") as tmp:
        try:
            wheels = resolve(Path(tmp))
        except BuildError as exc:
            print(f"lock-wheels: {exc}", file=sys.stderr)
            return 1
        lock = HERE / "wheels-win_amd64.lock"
        tmp_lock = lock.with_suffix(".tmp")
        tmp_lock.write_text(lock_text(wheels))
        tmp_lock.replace(lock)
        shutil.rmtree(Path(tmp), ignore_errors=True)
    log(f"{lock.relative_to(ROOT)}: {len(wheels)} wheels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
