"""A group's failover and failback policy: the common properties cluster.exe /prop writes.

Names, units and ranges are the Windows Server 2008 cluster group common properties:
FailoverThreshold (DWORD, failovers allowed within FailoverPeriod), FailoverPeriod (hours,
1-1193: CLUSTER_GROUP_MAXIMUM_FAILOVER_PERIOD), AutoFailbackType (0 ClusterGroupPreventFailback,
1 ClusterGroupAllowFailback), FailbackWindowStart / FailbackWindowEnd (hour 0-23 local time, or
0xFFFFFFFF = -1 for "immediately").  A value out of range is refused as the resource utility
library refuses it: ERROR_INVALID_PARAMETER (87).

INFERRED (no source found): a window needs both ends set or both -1 (the console always writes
the pair); the window includes its end hour and wraps past midnight when start > end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

NO_WINDOW = 0xFFFFFFFF
MAX_DWORD = 0xFFFFFFFF
MAX_FAILOVER_PERIOD_H = 1193
PREVENT_FAILBACK = 0
ALLOW_FAILBACK = 1

# name -> (minimum, maximum, extra accepted value)
_RANGES: dict[str, tuple[int, int, int | None]] = {
    "FailoverThreshold": (0, MAX_DWORD, None),
    "FailoverPeriod": (1, MAX_FAILOVER_PERIOD_H, None),
    "AutoFailbackType": (PREVENT_FAILBACK, ALLOW_FAILBACK, None),
    "FailbackWindowStart": (0, 23, NO_WINDOW),
    "FailbackWindowEnd": (0, 23, NO_WINDOW),
}
WRITABLE = tuple(_RANGES)
_FIELD = {
    "FailoverThreshold": "failover_threshold",
    "FailoverPeriod": "failover_period",
    "AutoFailbackType": "auto_failback_type",
    "FailbackWindowStart": "failback_window_start",
    "FailbackWindowEnd": "failback_window_end",
}


class PolicyError(ValueError):
    """A refused property write; `code` is the Win32 error cluster.exe reports."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class GroupPolicy:
    failover_threshold: int = 10
    failover_period: int = 6
    auto_failback_type: int = PREVENT_FAILBACK
    failback_window_start: int = NO_WINDOW
    failback_window_end: int = NO_WINDOW

    def value(self, name: str) -> int:
        return int(getattr(self, _FIELD[name]))

    @property
    def failback_allowed(self) -> bool:
        return self.auto_failback_type == ALLOW_FAILBACK

    def in_window(self, when: datetime) -> bool:
        """Whether failback may happen at `when` (node local time)."""
        start, end = self.failback_window_start, self.failback_window_end
        if start == NO_WINDOW or end == NO_WINDOW:
            return True
        hour = when.hour
        if start <= end:
            return start <= hour <= end
        return hour >= start or hour <= end

    def failovers_allowed(self, recent: list[datetime], now: datetime) -> bool:
        """Whether one more failover fits: fewer than FailoverThreshold in the last FailoverPeriod."""
        since = now - timedelta(hours=self.failover_period)
        return sum(1 for t in recent if t >= since) < self.failover_threshold


def parse_dword(text: str) -> int:
    """A DWORD as cluster.exe accepts it on the command line: decimal, 0x hex, or -1."""
    t = text.strip()
    try:
        value = int(t, 16) if t.casefold().startswith("0x") else int(t, 10)
    except ValueError:
        raise PolicyError(87, f"not a number: {text!r}") from None
    if value == -1:
        return MAX_DWORD
    if not 0 <= value <= MAX_DWORD:
        raise PolicyError(87, f"out of DWORD range: {text!r}")
    return value


def apply_assignments(policy: GroupPolicy, assignments: list[tuple[str, str]]) -> GroupPolicy:
    """The policy after `Name=Value` writes (all or nothing, like one SET_COMMON_PROPERTIES)."""
    changes: dict[str, int] = {}
    for raw_name, raw_value in assignments:
        name = next((n for n in WRITABLE if n.casefold() == raw_name.strip().casefold()), None)
        if name is None:
            raise PolicyError(87, f"unknown or read-only property {raw_name!r}")
        value = parse_dword(raw_value)
        low, high, extra = _RANGES[name]
        if not (low <= value <= high or value == extra):
            raise PolicyError(87, f"{name}={value} out of range")
        changes[_FIELD[name]] = value
    new = replace(policy, **changes)
    if (new.failback_window_start == NO_WINDOW) != (new.failback_window_end == NO_WINDOW):
        raise PolicyError(87, "FailbackWindowStart and FailbackWindowEnd must both be set or both -1")
    return new
