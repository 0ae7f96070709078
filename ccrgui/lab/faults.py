"""Lab settings for timing and injected faults, switchable while the lab runs.

One instance is shared by the WS-Man servers (network-level faults) and the simulated
programs (costs, failing resources).  Plain attributes guarded by a lock: tests flip them
mid-operation from another thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Costs:
    """Server-side costs in seconds, before the speed factor (which scales state changes only)."""

    latency_s: float = 0.0  # added to every HTTP request
    powershell_start_s: float = 0.0  # starting powershell.exe
    snapin_load_s: float = 0.0  # Add-PSSnapin Microsoft.Exchange.Management.PowerShell.Admin
    cluster_exe_s: float = 0.0  # one cluster.exe call
    cmdlet_s: float = 0.0  # one Exchange cmdlet call
    wevtutil_s: float = 0.0

    @classmethod
    def realistic(cls, latency_ms: float = 20.0, snapin_s: float = 3.0) -> Costs:
        return cls(
            latency_s=latency_ms / 1000,
            powershell_start_s=0.6,
            snapin_load_s=snapin_s,
            cluster_exe_s=0.08,
            cmdlet_s=0.05,
            wevtutil_s=0.05,
        )


@dataclass
class Faults:
    costs: Costs = field(default_factory=Costs)
    down: set[str] = field(default_factory=set)  # nodes refusing connections
    hang: set[str] = field(default_factory=set)  # nodes accepting but never answering
    http500_next: dict[str, int] = field(default_factory=dict)  # node -> count of 500s to send
    reject_auth: set[str] = field(default_factory=set)  # nodes answering 401 to everything
    garble_next: dict[str, int] = field(default_factory=dict)  # node -> count of garbled outputs
    truncate_next: dict[str, int] = field(default_factory=dict)  # node -> count of truncated outputs
    strip_ids_next: dict[str, int] = field(default_factory=dict)  # next Create/Command replies lack their id
    fail_delete_next: dict[str, int] = field(default_factory=dict)  # next shell Deletes: HTTP 500, shell kept
    receive_timeout_cap_s: float | None = None  # answer TimedOut sooner than OperationTimeout
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, counter: dict[str, int], node: str) -> bool:
        """Consume one pending fault of a counting kind for a node."""
        with self._lock:
            left = counter.get(node.casefold(), 0)
            if left <= 0:
                return False
            counter[node.casefold()] = left - 1
            return True

    def arm(self, counter: dict[str, int], node: str, count: int = 1) -> None:
        with self._lock:
            counter[node.casefold()] = counter.get(node.casefold(), 0) + count

    def is_down(self, node: str) -> bool:
        return node.casefold() in {n.casefold() for n in self.down}

    def is_hung(self, node: str) -> bool:
        return node.casefold() in {n.casefold() for n in self.hang}
