"""Running Windows programs under Debian's Wine in a throw-away prefix (lock-wheels and the MSI tests).

Two traps: the Windows Python dies with "init_sys_streams ... WinError 6" when a standard stream
is a file or closed, so every stream is a pipe here; and Wine must not offer to download Mono or
Gecko (there is no network for it), so those are switched off.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


def unix_to_windows(path: Path) -> str:
    """Wine's Z: drive is the Unix root."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


class WinePrefix:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "QT_", "VIRTUAL_ENV"))
        }
        self.env.update(
            WINEPREFIX=str(path),
            WINEARCH="win64",
            WINEDEBUG="-all",
            WINEDLLOVERRIDES="mscoree,mshtml=",
        )

    def boot(self, timeout: float = 180) -> None:
        self.run(["wineboot", "-i"], timeout=timeout)
        self.run(["wineserver", "-w"], timeout=timeout)

    @property
    def drive_c(self) -> Path:
        return self.path / "drive_c"

    def run(
        self, cmd: Sequence[str], *, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`cmd` (wine, wineboot, ...) with pipes on every stream; never raises on exit codes."""
        return subprocess.run(
            list(cmd),
            input="",
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env={**self.env, **(env or {})},
        )

    def wine(
        self, program: str, *args: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run(["wine", program, *args], timeout=timeout, env=env)

    def stop(self) -> None:
        subprocess.run(["wineserver", "-k"], env=self.env, capture_output=True, timeout=60, check=False)
