"""The upgrade's journal: where a rolling upgrade stands, written atomically after every step.

Closing the app, a crash or a lost network loses nothing: the next run (the wizard reopened,
`ccrgui upgrade --resume`) reads it, re-reads the cluster and continues at the first step not
done; every step checks the real state before acting, so a step cut short is simply run again.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import platformdirs

from ccrgui.atomicfile import atomic_path

APP_NAME = "ccrgui"
JOURNAL_VERSION = 1
SERVICE_PACK = "service-pack"
ROLLUP = "rollup"


class JournalError(Exception):
    """The journal file is damaged or from a newer ccrgui (it is left as it is)."""


def journal_path(cluster: str, folder: Path | None = None) -> Path:
    """One journal per cluster in the user data folder."""
    base = folder or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "upgrades"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", cluster.casefold()) or "cluster"
    return base / f"{safe}.json"


@dataclass
class Journal:
    """Everything a resumed run needs: the choices made at the start and what is done."""

    cluster: str
    kind: str  # SERVICE_PACK or ROLLUP
    first: str  # the passive node at the start (upgraded first; the CMS moves to it)
    second: str  # the active node at the start
    cms: str  # the clustered mailbox server's name (Exchange's)
    cms_group: str
    setup_folder: str = ""
    rollup: str = ""
    target_build: str = ""  # the setup files' build (service pack); "" for a rollup
    builds_before: dict[str, str] = field(default_factory=dict)  # node -> build at the start
    services: dict[str, list[str]] = field(default_factory=dict)  # node -> monitoring services to stop
    stopped: dict[str, list[str]] = field(default_factory=dict)  # node -> services this run stopped
    boots: dict[str, str] = field(default_factory=dict)  # node -> last boot (ISO) before its restart
    reboot_needed: dict[str, bool] = field(default_factory=dict)  # rollup: msiexec said 3010
    move_back: bool = False
    stop_reason: str = ""
    done: list[str] = field(default_factory=list)  # ids of the steps that completed
    failed: str = ""  # the step that failed last ("" when none)
    error: str = ""
    finished: bool = False
    version: int = JOURNAL_VERSION

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Journal | None:
        """The journal at `path`, None when there is none."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise JournalError(f"{path}: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("version") != JOURNAL_VERSION:
            raise JournalError(f"{path}: not a ccrgui upgrade journal of version {JOURNAL_VERSION}")
        try:
            return cls(**raw)
        except TypeError as exc:
            raise JournalError(f"{path}: {exc}") from exc


__all__ = ["ROLLUP", "SERVICE_PACK", "Journal", "JournalError", "journal_path"]
