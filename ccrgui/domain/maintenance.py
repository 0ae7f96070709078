"""What the backup, replication-health and placement views need: database status with backup
times, Test-ReplicationHealth checks, a group's failover/failback policy, the file share
witness as each node sees it.  Plain data, no Qt, no WinRM."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

NO_WINDOW = 0xFFFFFFFF  # FailbackWindowStart/End "not set" (-1 as a DWORD)
MAX_FAILOVER_PERIOD_HOURS = 1193  # CLUSTER_GROUP_MAXIMUM_FAILOVER_PERIOD
MAX_DWORD = 0xFFFFFFFF


# ------------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class MailboxDatabaseStatus:
    """One row of ``Get-MailboxDatabase -Status``.  `mounted` is None when -Status was not used
    (the store did not answer); backup times are None when never backed up."""

    name: str
    storage_group: str  # "CMS\\Storage Group" as the cmdlet prints it
    server: str
    identity: str = ""
    edb_file_path: str = ""
    mounted: bool | None = None
    backup_in_progress: bool | None = None
    last_full_backup: datetime | None = None
    last_incremental_backup: datetime | None = None
    last_differential_backup: datetime | None = None
    last_copy_backup: datetime | None = None

    @property
    def storage_group_name(self) -> str:
        """The storage group without the server part."""
        return self.storage_group.rsplit("\\", 1)[-1]

    @property
    def last_backup(self) -> datetime | None:
        """The most recent backup of any kind (None if none)."""
        times = [
            t
            for t in (
                self.last_full_backup,
                self.last_incremental_backup,
                self.last_differential_backup,
                self.last_copy_backup,
            )
            if t is not None
        ]
        return max(times, default=None)


# ----------------------------------------------------------------------- replication health


class CheckResult(enum.Enum):
    PASSED = "Passed"
    WARNING = "Warning"
    FAILED = "Failed"
    UNKNOWN = "Unknown"

    @classmethod
    def from_text(cls, text: str) -> CheckResult:
        """``Passed``, ``*FAILED*``, ``Failed``, ``*WARNING*`` ... (the console stars failures)."""
        key = text.strip().strip("*").strip().casefold()
        return next((m for m in cls if m.value.casefold() == key), cls.UNKNOWN)


@dataclass(frozen=True)
class ReplicationCheck:
    server: str
    check: str
    result: CheckResult
    error: str = ""
    description: str = ""

    @property
    def ok(self) -> bool:
        return self.result is CheckResult.PASSED


@dataclass(frozen=True)
class ReplicationHealth:
    checks: tuple[ReplicationCheck, ...] = ()

    @property
    def failed(self) -> tuple[ReplicationCheck, ...]:
        return tuple(c for c in self.checks if c.result is not CheckResult.PASSED)

    @property
    def healthy(self) -> bool:
        return bool(self.checks) and not self.failed

    def by_name(self, check: str) -> ReplicationCheck | None:
        return next((c for c in self.checks if c.check.casefold() == check.casefold()), None)


@dataclass(frozen=True)
class ReplicationHealthReport:
    """Test-ReplicationHealth as each node answered it (the cmdlet tests its own node), with
    the nodes that could not run it and why."""

    health: ReplicationHealth = ReplicationHealth()
    errors: Mapping[str, str] = field(default_factory=dict)  # node -> why it has no checks
    nodes: tuple[str, ...] = ()  # the nodes asked


# -------------------------------------------------------------------- failover and failback


class FailbackMode(enum.Enum):
    PREVENT = "prevent"
    IMMEDIATELY = "immediately"
    WINDOW = "window"


class PolicyError(ValueError):
    """A policy cluster.exe would refuse (the message says which property and why)."""


@dataclass(frozen=True)
class GroupFailoverPolicy:
    """A group's preferred owners (in order) and its failover/failback common properties."""

    group: str
    preferred_owners: tuple[str, ...] = ()
    failover_threshold: int = 10
    failover_period_hours: int = 6
    auto_failback: bool = False  # AutoFailbackType 1
    failback_window_start: int = NO_WINDOW
    failback_window_end: int = NO_WINDOW

    @property
    def failback_mode(self) -> FailbackMode:
        if not self.auto_failback:
            return FailbackMode.PREVENT
        if self.failback_window_start == NO_WINDOW or self.failback_window_end == NO_WINDOW:
            return FailbackMode.IMMEDIATELY
        return FailbackMode.WINDOW

    def failback_possible_at(self, hour: int) -> bool:
        """Whether a failed-over group may fail back at `hour` (0-23, the nodes' local time);
        a window wraps past midnight when start > end and includes its end hour."""
        mode = self.failback_mode
        if mode is FailbackMode.PREVENT:
            return False
        if mode is FailbackMode.IMMEDIATELY:
            return True
        start, end = self.failback_window_start, self.failback_window_end
        return start <= hour <= end if start <= end else (hour >= start or hour <= end)

    def validate(self) -> None:
        """Raise PolicyError for what cluster.exe refuses (System error 87)."""
        if not 0 <= self.failover_threshold <= MAX_DWORD:
            raise PolicyError("FailoverThreshold must be between 0 and 4294967295.")
        if not 1 <= self.failover_period_hours <= MAX_FAILOVER_PERIOD_HOURS:
            raise PolicyError(f"FailoverPeriod must be between 1 and {MAX_FAILOVER_PERIOD_HOURS} hours.")
        ends = (self.failback_window_start, self.failback_window_end)
        if any(e != NO_WINDOW and not 0 <= e <= 23 for e in ends):
            raise PolicyError("FailbackWindowStart and FailbackWindowEnd must be hours 0-23.")
        if (ends[0] == NO_WINDOW) != (ends[1] == NO_WINDOW):
            raise PolicyError("FailbackWindowStart and FailbackWindowEnd must be set together.")
        if len({o.casefold() for o in self.preferred_owners}) != len(self.preferred_owners):
            raise PolicyError("A node is listed twice among the preferred owners.")

    def property_values(self) -> dict[str, int]:
        """The common properties as cluster.exe ``/prop Name=Value`` writes them."""
        return {
            "FailoverThreshold": self.failover_threshold,
            "FailoverPeriod": self.failover_period_hours,
            "AutoFailbackType": 1 if self.auto_failback else 0,
            "FailbackWindowStart": self.failback_window_start,
            "FailbackWindowEnd": self.failback_window_end,
        }

    def changed_properties(self, old: GroupFailoverPolicy) -> dict[str, int]:
        """Only the properties that differ from `old` (what an edit has to write)."""
        before = old.property_values()
        return {k: v for k, v in self.property_values().items() if before[k] != v}


# ---------------------------------------------------------------------------------- witness


class QuorumHealth(enum.Enum):
    OK = "ok"
    AT_RISK = "at risk"  # one more failure loses quorum
    LOST = "lost"


@dataclass(frozen=True)
class WitnessReachability:
    """The file share witness path and whether it answered from each node (None: not asked,
    e.g. the node is down; the error text says why)."""

    share: str
    reachable: Mapping[str, bool | None] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def unreachable_from(self) -> tuple[str, ...]:
        return tuple(n for n, ok in self.reachable.items() if ok is False)


def assess_quorum(votes: int, total_votes: int) -> QuorumHealth:
    """Node and File Share Majority: quorum needs a majority of all votes (nodes + witness);
    at risk when losing one more vote would lose it."""
    needed = total_votes // 2 + 1
    if votes < needed:
        return QuorumHealth.LOST
    return QuorumHealth.AT_RISK if votes - 1 < needed else QuorumHealth.OK
