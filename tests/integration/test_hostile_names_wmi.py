"""Hostile group and resource names through a lab topology, end to end (issue 10 item 3).

Every snapshot object (names, states, owners, membership) must equal the lab engine's, and an
action on a group must reach exactly that group (or be refused before anything is sent).  The
shapes below made the cluster.exe table parser drop rows, report a false access-denied, forge
rows, confuse `Web ` with `Web` or attribute long names to the wrong group.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ccrgui.domain.model import ClusterSnapshot, GroupState
from ccrgui.lab.lab import Lab
from ccrgui.lab.topology import default_topology, topology_from_json
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

pytestmark = pytest.mark.integration

SHAPES = (
    "C:\\Windows>",
    "PS C:\\>",
    "\\\\srv\\share>",
    "System error 5 has occurred.",
    "Web ",
    "Web",
    "Gx" + " word" * 24,  # 122 characters: a long multi-word group
    "Forged\nCluster Group                   EXNODE2         Online",
)


def _lab(groups: list[tuple[str, str]]) -> Lab:
    """The default lab plus one generic group per (group, resource) name pair, on EXNODE1."""
    raw = default_topology().to_json()
    for group, resource in groups:
        raw["groups"].append(
            {
                "name": group,
                "owner": "EXNODE1",
                "kind": "generic",
                "resources": [{"name": resource, "type": "Generic Service"}],
            }
        )
    return Lab(topology_from_json(raw), speed=50.0, events=20)


def _session(lab: Lab, tmp_path: Path) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    return WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))


def _check_snapshot(lab: Lab, snap: ClusterSnapshot) -> None:
    """Every object of the snapshot equals the engine's, compared by exact name."""
    assert not [e for e in snap.node_errors if "WMI" in e.message], snap.node_errors
    engine = lab.engine
    assert {n.name: (n.state, n.node_id) for n in snap.nodes} == {
        n.name: (n.state, n.node_id) for n in engine.nodes()
    }
    assert {g.name: (g.state, g.owner) for g in snap.groups} == {
        g.name: (g.state, g.owner) for g in engine.groups()
    }
    assert {r.name: (r.state, r.group, r.owner, r.resource_type) for r in snap.resources} == {
        r.name: (r.state, r.group, r.owner, r.type) for r in engine.resources()
    }
    assert {n.name: n.state for n in snap.networks} == {n.name: n.state for n in engine.networks()}
    assert {(i.node, i.network): i.state for i in snap.interfaces} == {
        (i.node, i.network): i.state for i in engine.interfaces()
    }


def _settled(lab: Lab) -> dict[str, GroupState]:
    deadline = time.monotonic() + 30.0
    while True:
        states = {g.name: g.state for g in lab.engine.groups()}
        # Settled: no group changing state and quorum held again (a node's cluster service stopping
        # loses quorum until the witness has moved; meanwhile every node's provider fails).
        settled = not any(s.is_pending for s in states.values()) and not lab.engine.quorum().lost
        if settled or time.monotonic() > deadline:
            return states
        time.sleep(0.05)


async def _exercise(lab: Lab, tmp_path: Path, names: list[str]) -> None:
    s = _session(lab, tmp_path)
    try:
        _check_snapshot(lab, await s.snapshot())
        for name in names:
            before = _settled(lab)
            off = await s.take_offline(name)
            after = await asyncio.to_thread(_settled, lab)
            if not off.ok:
                # Refused before sending (a line break, a leading '/' or '-'): nothing changed.
                assert off.error.startswith("Not sent"), (name, off.error)
                assert after == before
                continue
            assert after[name] is GroupState.OFFLINE, (name, off.error)
            assert {k: v for k, v in after.items() if k != name} == {
                k: v for k, v in before.items() if k != name
            }
            on = await s.bring_online(name)
            after_on = await asyncio.to_thread(_settled, lab)
            assert on.ok and after_on[name] is GroupState.ONLINE, (name, on.error)
        _check_snapshot(lab, await s.snapshot())  # warm snapshot: the per-node script path
    finally:
        await s.close()


def test_issue_shapes_end_to_end(tmp_path: Path) -> None:
    """The shapes that broke the table parser (each group holds a resource of a related shape;
    a 127-character resource in the 122-character group)."""
    pairs = [(g, g + " res") for g in SHAPES]
    pairs[6] = (SHAPES[6], "R" + " longer word" * 10 + "x" * 6)
    assert (len(pairs[6][0]), len(pairs[6][1])) == (122, 127)
    with _lab(pairs) as lab:
        asyncio.run(_exercise(lab, tmp_path, list(SHAPES)))


# Every kind of character a group or resource name may hold, as far as XML can carry it:
# punctuation, quotes, symbols, letters of every script (right-to-left too), combining marks,
# non-BMP characters, spaces of every kind.  Not control characters (XML 1.0 cannot carry most
# of them; CR and LF are covered by the shapes above) and not surrogates or noncharacters.
_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Co"))
_PIECES = st.sampled_from(
    ["C:\\Windows>", "PS C:\\>", "\\\\srv\\share>", "System error 5 has occurred.", " ", '"', "'"]
)
_NAME = st.lists(st.one_of(st.text(_CHARS, min_size=1, max_size=12), _PIECES), min_size=1, max_size=4).map(
    "".join
)
_RESERVED = {"cluster group", "available storage", "exch1"}


def _distinct(names: list[str]) -> bool:
    folded = [n.casefold() for n in names]
    return len(set(folded)) == len(folded) and not set(folded) & _RESERVED


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(_NAME, min_size=3, max_size=3).filter(_distinct))
@example(
    [" \U0001f600 \U00010348 ", "\u05e9\u05dc\u05d5\u05dd \u0627\u0644 a\u0301\u0327 ", "  \u00a0\u3000x"]
)
def test_any_names_end_to_end(tmp_path: Path, names: list[str]) -> None:
    pairs = [(n, n + "\u200f" + str(i)) for i, n in enumerate(names)]  # resource: RLM + digit
    with _lab(pairs) as lab:
        asyncio.run(_exercise(lab, tmp_path, names))


def test_first_snapshot_reads_wmi_in_a_plain_powershell_while_the_snapin_loads(tmp_path: Path) -> None:
    """The first snapshot does not wait for the Exchange snap-in for cluster facts: the WMI reads
    run in plain powershell.exe through the cmd shells (one -EncodedCommand line on each of the
    two nodes, half the reads each)."""
    from ccrgui.lab.faults import Costs

    async def run(lab: Lab) -> None:
        settings, password = settings_from_lab_info(lab.info())
        audit = AuditLog(tmp_path / "audit.jsonl")
        s = WinRMClusterSession(settings, password, audit=audit, audit_reads=True)
        try:
            snap = await s.snapshot()
            _check_snapshot(lab, snap)
            cold = [r for r in audit.read() if r.command.startswith("powershell -NoLogo")]
            assert len(cold) == 2 and all("-EncodedCommand " in r.command for r in cold)
            assert {r.host for r in cold} == {n.name for n in lab.topology.nodes}
            assert all(r.duration_s < 2.0 for r in cold)  # did not wait for the 2 s snap-in load
        finally:
            await s.close()

    with Lab(speed=50.0, events=20, costs=Costs(snapin_load_s=2.0)) as lab:
        asyncio.run(run(lab))


def test_stopped_cluster_service_is_reported_not_guessed(tmp_path: Path) -> None:
    """A node whose cluster service is stopped answers the WMI reads with an error: the other
    node serves them; with both stopped the snapshot says so and lists no groups."""

    async def run(lab: Lab) -> None:
        s = _session(lab, tmp_path)
        try:
            lab.engine.stop_service("EXNODE1", "clussvc")
            await asyncio.to_thread(_settled, lab)  # its groups fail over to EXNODE2 first
            snap = await s.snapshot()
            assert {g.name for g in snap.groups} == {g.name for g in lab.engine.groups()}
            lab.engine.stop_service("EXNODE2", "clussvc")
            snap = await s.snapshot()
            assert snap.groups == () and snap.node_errors
        finally:
            await s.close()

    with _lab([]) as lab:
        asyncio.run(run(lab))
