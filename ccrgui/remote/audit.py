"""Audit log: one JSON line per command the console ran on a cluster node.

Why: administrators must be able to show afterwards who ran what where (change control).  Lines
are appended with a single `os.write` on an `O_APPEND` descriptor so concurrent writers (several
sessions, several app instances) never interleave half lines.  Passwords never reach this module:
it only receives command lines, and `redact` strips anything that looks like a secret anyway.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "ccrgui"
log = logging.getLogger(__name__)

# Defensive: a secret must never be written even if a caller passes one inside a command line.
_SECRET = re.compile(r"(?i)(-(?:password|credential|pwd)\s+)(\S+)|((?:password|pwd)\s*[=:]\s*)(\S+)")


# Characters other than \n that some readers treat as line ends; inside JSON strings only.
_LINE_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"}


def default_audit_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "audit.jsonl"


def windows_user() -> str:
    """The local logon of whoever runs the console (DOMAIN\\user on Windows)."""
    domain = os.environ.get("USERDOMAIN", "")
    try:
        user = os.environ.get("USERNAME") or getpass.getuser()
    except Exception:  # getpass fails without a passwd entry (containers)
        user = "unknown"
    return f"{domain}\\{user}" if domain else user


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: (m.group(1) or m.group(3)) + "***", text)


@dataclass(frozen=True)
class AuditRecord:
    time: str
    user: str  # the local Windows user running the console
    remote_user: str  # the account used on the cluster
    host: str
    command: str
    exit_code: int | None
    duration_s: float
    action: str = ""
    error: str = ""

    def to_json(self) -> str:
        data: dict[str, Any] = dict(self.__dict__)
        text = json.dumps(data, ensure_ascii=False, sort_keys=False)
        # Escaped although JSON allows them raw: tools that split on every Unicode line break
        # (Python's str.splitlines, many editors) would cut the record in two.
        return text.translate(_LINE_BREAKS)


class AuditLog:
    """Appends records to a JSON-lines file; thread-safe and safe across processes."""

    def __init__(self, path: str | Path | None = None, *, remote_user: str = "") -> None:
        self.path = Path(path) if path is not None else default_audit_path()
        self.remote_user = remote_user
        self._lock = threading.Lock()
        self.write_error = ""  # why the last record could not be written ("" when it was)

    def record(
        self,
        host: str,
        command: str,
        exit_code: int | None,
        duration_s: float,
        *,
        action: str = "",
        error: str = "",
    ) -> AuditRecord:
        rec = AuditRecord(
            time=datetime.now(UTC).isoformat(timespec="milliseconds"),
            user=windows_user(),
            remote_user=self.remote_user,
            host=host,
            command=redact(command),
            exit_code=exit_code,
            duration_s=round(duration_s, 3),
            action=action,
            error=redact(error),
        )
        try:
            self.append(rec)
            self.write_error = ""
        except OSError as exc:
            # The command has already run (or been refused): an unwritable audit file must not
            # turn its result into an exception and lose what Windows answered.
            self.write_error = f"The audit log {self.path} could not be written: {exc}"
            log.error("%s", self.write_error)
        return rec

    def append(self, rec: AuditRecord) -> None:
        line = (rec.to_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one write on O_APPEND: the line lands whole
            finally:
                os.close(fd)

    def read(self) -> list[AuditRecord]:
        """All records (for tests and an audit viewer); unreadable lines are skipped."""
        out: list[AuditRecord] = []
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return out
        for line in text.split("\n"):  # records end with \n only: U+2028, U+0085... are data
            if not line.strip():
                continue
            try:
                out.append(AuditRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return out


class NullAudit(AuditLog):
    """Used when auditing is switched off (bench runs)."""

    def __init__(self) -> None:
        super().__init__(path=os.devnull)

    def append(self, rec: AuditRecord) -> None:
        return None
