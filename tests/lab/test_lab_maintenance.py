"""Lab side of backups, mount state, replication health, preferred owners, failback and the
file share witness: engine rules, cluster.exe writes and the Exchange cmdlets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from test_clusterexe import Rig
from test_engine import make, wait_for
from test_powershell_rig import PSRig

from ccrgui.domain.model import GroupState
from ccrgui.lab.engine import ClusterEngine, LabError
from ccrgui.lab.grouppolicy import NO_WINDOW, GroupPolicy, PolicyError, apply_assignments
from ccrgui.lab.topology import default_topology

CMS = "EXCH1"
SG2 = "EXCH1\\Second Storage Group"


@pytest.fixture
def engine() -> Iterator[ClusterEngine]:
    eng, _journal, clock = make()
    yield eng
    eng.stop()
    clock.stop()


@pytest.fixture
def ps() -> Iterator[PSRig]:
    r = PSRig()
    yield r
    r.close()


@pytest.fixture
def cl() -> Iterator[Rig]:
    r = Rig(default_topology())
    yield r
    r.close()


# ---- policy rules ------------------------------------------------------------------------------


def test_policy_ranges_and_window_pairs() -> None:
    p = apply_assignments(GroupPolicy(), [("failoverthreshold", "0x3"), ("FailoverPeriod", "1193")])
    assert (p.failover_threshold, p.failover_period) == (3, 1193)
    for bad in [
        ("FailoverPeriod", "0"),
        ("FailoverPeriod", "1194"),
        ("AutoFailbackType", "2"),
        ("FailbackWindowStart", "24"),
        ("FailoverThreshold", "ten"),
        ("Name", "x"),
    ]:
        with pytest.raises(PolicyError) as exc:
            apply_assignments(GroupPolicy(), [bad])
        assert exc.value.code == 87
    with pytest.raises(PolicyError):  # one end of a window alone
        apply_assignments(GroupPolicy(), [("FailbackWindowStart", "3")])
    both = apply_assignments(GroupPolicy(), [("FailbackWindowStart", "22"), ("FailbackWindowEnd", "6")])
    assert [both.in_window(datetime(2026, 1, 1, h)) for h in (21, 22, 23, 0, 6, 7)] == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    cleared = apply_assignments(both, [("FailbackWindowStart", "-1"), ("FailbackWindowEnd", "4294967295")])
    assert cleared.failback_window_start == cleared.failback_window_end == NO_WINDOW


# ---- cluster.exe writes -----------------------------------------------------------------------


def test_setowners_and_prop_writes_arrive_and_are_listed(cl: Rig) -> None:
    assert cl.run('cluster group "EXCH1" /setowners:EXNODE2,EXNODE1') == ("", "", 0)
    out, _, _ = cl.run('cluster group "EXCH1" /listowners')
    assert out.endswith("---------------------\r\nEXNODE2\r\nEXNODE1\r\n")
    line = 'cluster group "EXCH1" /prop AutoFailbackType=1 FailbackWindowStart=22 FailbackWindowEnd=6'
    assert cl.run(line) == ("", "", 0)
    out, _, _ = cl.run('cluster group "EXCH1" /prop')
    assert "D  EXCH1                AutoFailbackType               1 (0x1)\r\n" in out
    assert "D  EXCH1                FailbackWindowStart            22 (0x16)\r\n" in out
    assert "D  EXCH1                FailbackWindowEnd              6 (0x6)\r\n" in out
    policy = cl.engine.group(CMS).policy
    assert (policy.auto_failback_type, policy.failback_window_start, policy.failback_window_end) == (1, 22, 6)


@pytest.mark.parametrize(
    "line, code",
    [
        ('cluster group "EXCH1" /prop FailbackWindowStart=24', 87),
        ('cluster group "EXCH1" /prop FailoverPeriod=0', 87),
        ('cluster group "EXCH1" /prop Bogus=1', 87),
        ('cluster group "EXCH1" /prop FailoverThreshold', 87),
        ('cluster group "EXCH1" /setowners:NOPE', 5042),
        ('cluster group "Nope" /setowners:EXNODE1', 5013),
    ],
)
def test_writes_refused_with_cluster_exe_errors(cl: Rig, line: str, code: int) -> None:
    before = cl.engine.group(CMS)
    _out, err, rc = cl.run(line)
    assert rc == code
    assert err.startswith(f"System error {code} has occurred (0x{code:08x}).\r\n\r\n")
    after = cl.engine.group(CMS)
    assert (after.policy, after.preferred_owners) == (before.policy, before.preferred_owners)


# ---- failback and failover threshold -----------------------------------------------------------


def _window_around_now(offset_h: int) -> tuple[str, str]:
    hour = datetime.now(UTC).hour
    return str((hour + offset_h) % 24), str((hour + offset_h + 1) % 24)


def _crash_and_return(engine: ClusterEngine) -> None:
    engine.set_node_down("EXNODE1")
    wait_for(lambda: engine.group(CMS).owner == "EXNODE2" and engine.group(CMS).state is GroupState.ONLINE)
    engine.set_node_up("EXNODE1")
    wait_for(lambda: engine.node("EXNODE1").state.value == "Up")


def test_failback_to_preferred_owner_inside_window(engine: ClusterEngine) -> None:
    engine.set_group_owners(CMS, ["EXNODE1", "EXNODE2"])
    start, end = _window_around_now(0)
    engine.set_group_properties(
        CMS, [("AutoFailbackType", "1"), ("FailbackWindowStart", start), ("FailbackWindowEnd", end)]
    )
    _crash_and_return(engine)
    wait_for(lambda: engine.group(CMS).owner == "EXNODE1" and engine.group(CMS).state is GroupState.ONLINE)


def test_no_failback_outside_window_until_it_opens(engine: ClusterEngine) -> None:
    engine.set_group_owners(CMS, ["EXNODE1", "EXNODE2"])
    start, end = _window_around_now(2)
    engine.set_group_properties(
        CMS, [("AutoFailbackType", "1"), ("FailbackWindowStart", start), ("FailbackWindowEnd", end)]
    )
    _crash_and_return(engine)
    # Several copy ticks (the failback check runs with them) pass: the group stays.
    engine.wait_until(lambda: False, engine.durations.copy_tick * 5)
    assert engine.group(CMS).owner == "EXNODE2"
    start, end = _window_around_now(0)
    engine.set_group_properties(CMS, [("FailbackWindowStart", start), ("FailbackWindowEnd", end)])
    wait_for(lambda: engine.group(CMS).owner == "EXNODE1")


def test_no_failback_when_prevented_or_after_a_manual_move(engine: ClusterEngine) -> None:
    engine.set_group_owners(CMS, ["EXNODE1", "EXNODE2"])
    _crash_and_return(engine)  # AutoFailbackType 0 (the default)
    engine.wait_until(lambda: False, engine.durations.copy_tick * 3)
    assert engine.group(CMS).owner == "EXNODE2"
    engine.move_group(CMS, "EXNODE1")
    wait_for(lambda: engine.group(CMS).state is GroupState.ONLINE and engine.group(CMS).owner == "EXNODE1")
    engine.move_group(CMS, "EXNODE2")  # the admin's move: never failed back
    wait_for(lambda: engine.group(CMS).state is GroupState.ONLINE and engine.group(CMS).owner == "EXNODE2")
    engine.set_group_properties(CMS, [("AutoFailbackType", "1")])
    engine.wait_until(lambda: False, engine.durations.copy_tick * 3)
    assert engine.group(CMS).owner == "EXNODE2"


def test_failover_threshold_leaves_group_failed(engine: ClusterEngine) -> None:
    engine.set_group_properties(CMS, [("FailoverThreshold", "0")])
    engine.set_node_down("EXNODE1")
    wait_for(lambda: engine.group(CMS).state is GroupState.FAILED)
    assert engine.group(CMS).owner == "EXNODE1"


# ---- databases and backups ---------------------------------------------------------------------


def test_backup_control_moves_backup_times(engine: ClusterEngine) -> None:
    before = {d.name: d for d in engine.databases()}
    engine.simulate_backup("Second Storage Group", kind="incremental")
    after = {d.name: d for d in engine.databases()}
    assert after["Executives"].last_incremental_backup != before["Executives"].last_incremental_backup
    assert after["Executives"].last_full_backup == before["Executives"].last_full_backup
    assert after["Mailbox Database"] == before["Mailbox Database"]
    engine.simulate_backup(kind="full")
    now = engine.clock.now()
    assert all(
        now - d.last_full_backup < timedelta(seconds=5) for d in engine.databases() if d.last_full_backup
    )


def test_backup_from_passive_needs_a_healthy_copy(engine: ClusterEngine) -> None:
    engine.suspend_copy(SG2, "backup test")
    with pytest.raises(LabError) as exc:
        engine.simulate_backup(SG2, node="EXNODE2")
    assert exc.value.error_id == "CopyNotHealthy"
    engine.simulate_backup(SG2, node="EXNODE1")  # from the active node: allowed


def test_get_mailbox_database_status_and_mount_cycle(ps: PSRig) -> None:
    r = ps.ems("Get-MailboxDatabase | ft Name,Mounted -AutoSize")
    assert "Mailbox Database" in r.out and "True" not in r.out  # no -Status: Mounted is null
    r = ps.ems("Get-MailboxDatabase Executives -Status | fl Name,Mounted,LastFullBackup,StorageGroup,Server")
    assert "Mounted        : True\r\n" in r.out
    assert "StorageGroup   : EXCH1\\Second Storage Group\r\n" in r.out
    assert "Server         : EXCH1\r\n" in r.out
    r = ps.ems("Dismount-Database 'EXCH1\\Second Storage Group\\Executives' -Confirm:$false")
    assert (r.err, r.code) == ("", 0)
    assert "Mounted : False" in ps.ems("Get-MailboxDatabase Executives -Status | fl Mounted").out
    assert ps.ems("Dismount-Database Executives").code != 0  # asks: -NonInteractive refuses
    assert ps.ems("Mount-Database Executives").code == 0
    assert "Mounted : True" in ps.ems("Get-MailboxDatabase Executives -Status | fl Mounted").out
    r = ps.ems("Get-MailboxDatabase Nope")
    assert "could not be found" in r.err
    r = ps.ems("Get-MailboxDatabase -Server EXCH1 -StorageGroup 'EXCH1\\First Storage Group' | ft Name")
    assert "Mailbox Database" in r.out and "Executives" not in r.out
    assert "could not be found" in ps.ems("Get-MailboxDatabase -Server EXNODE9").err


def test_backup_time_shows_in_cmdlet_after_simulated_backup(ps: PSRig) -> None:
    ps.engine.simulate_backup("First Storage Group", kind="full")
    now = ps.engine.clock.now()
    r = ps.ems("(Get-MailboxDatabase 'Mailbox Database' -Status).LastFullBackup.ToString('yyyy-MM-dd HH:mm')")
    shown = datetime.strptime(r.out.strip(), "%Y-%m-%d %H:%M")
    assert abs(shown - now.replace(tzinfo=None)) < timedelta(minutes=2)


def test_mount_refused_while_cms_offline(engine: ClusterEngine) -> None:
    engine.stop_cms("maintenance")
    wait_for(lambda: engine.cms_status().state.value == "Offline")
    with pytest.raises(LabError) as exc:
        engine.mount_database("Executives")
    assert exc.value.error_id == "CmsNotOnline"
    assert not any(d.mounted for d in engine.databases())


# ---- replication health and witness -------------------------------------------------------------


def _checks(ps: PSRig) -> dict[str, str]:
    r = ps.ems("Test-ReplicationHealth | ForEach-Object { $_.Check + '=' + $_.Result }")
    return dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)


def test_replication_health_all_passed_then_suspended_copy_fails(ps: PSRig) -> None:
    checks = _checks(ps)
    assert set(checks) >= {
        "ClusterService",
        "ReplayService",
        "QuorumGroup",
        "FileShareQuorum",
        "SGCopySuspended",
    }
    assert set(checks.values()) == {"Passed"}
    ps.ems(f"Suspend-StorageGroupCopy '{SG2}' -SuspendComment 'nightly' -Confirm:$false")
    checks = _checks(ps)
    assert checks["SGCopySuspended"] == "*FAILED*"
    assert checks["SGCopyFailed"] == "Passed"
    r = ps.ems(
        "Test-ReplicationHealth | Where-Object { $_.Check -eq 'SGCopySuspended' } "
        "| ForEach-Object { $_.Error }"
    )
    text = r.out.replace("\r\n", "")  # the console wraps at 80 columns
    assert "EXCH1\\Second Storage Group" in text and "nightly" in text


def test_witness_unreachable_answers_test_path_and_fails_checks(ps: PSRig) -> None:
    assert ps.ems("Test-Path '\\\\HUB1\\FSW_EXCH1'").out == "True\r\n"
    assert ps.ems("Test-Path '\\\\HUB1\\FSW_EXCH1\\'").out == "True\r\n"
    ps.engine.set_witness_reachable(False)
    assert ps.ems("Test-Path '\\\\HUB1\\FSW_EXCH1'").out == "False\r\n"
    assert _checks(ps)["FileShareQuorum"] == "*FAILED*"
    witness = ps.engine.quorum()
    assert witness.witness_state is GroupState.FAILED
    ps.engine.set_witness_reachable(True)
    assert ps.ems("Test-Path '\\\\HUB1\\FSW_EXCH1'").out == "True\r\n"


def test_witness_unreachable_from_one_node_only(engine: ClusterEngine) -> None:
    engine.set_witness_reachable(False, node="EXNODE2")
    assert engine.witness_reachable_from("EXNODE1")
    assert not engine.witness_reachable_from("EXNODE2")


# ---- the backend's parsers read what the lab prints ---------------------------------------------


def test_backend_parsers_read_lab_output(ps: PSRig, cl: Rig) -> None:
    from ccrgui.remote.parsers.maintenance import (
        parse_group_policy,
        parse_mailbox_databases,
        parse_replication_health,
        parse_test_path,
    )

    ps.engine.dismount_database("Executives")
    xml = ps.ems("Get-MailboxDatabase -Status | ConvertTo-Xml -As String").out
    dbs = {d.name: d for d in parse_mailbox_databases(xml)}
    assert dbs["Executives"].mounted is False and dbs["Mailbox Database"].mounted is True
    assert dbs["Mailbox Database"].last_full_backup is not None
    listed = parse_mailbox_databases(ps.ems("Get-MailboxDatabase -Status | fl").out)
    assert [d.edb_file_path for d in listed] == [d.edb_file_path for d in dbs.values()]
    ps.ems(f"Suspend-StorageGroupCopy '{SG2}' -SuspendComment 'x' -Confirm:$false")
    for text in (
        ps.ems("Test-ReplicationHealth | ConvertTo-Xml -As String").out,
        ps.ems("Test-ReplicationHealth").out,
        ps.ems("Test-ReplicationHealth | fl").out,
    ):
        health = parse_replication_health(text)
        assert [c.check for c in health.failed] == ["SGCopySuspended"]
    assert parse_test_path(ps.ems("Test-Path '\\\\HUB1\\FSW_EXCH1'").out) is True
    cl.run('cluster group "EXCH1" /setowners:EXNODE2,EXNODE1')
    cl.run('cluster group "EXCH1" /prop AutoFailbackType=1 FailbackWindowStart=1 FailbackWindowEnd=5')
    policy = parse_group_policy(
        cl.run('cluster group "EXCH1" /prop')[0], cl.run('cluster group "EXCH1" /listowners')[0], "EXCH1"
    )
    assert policy.preferred_owners == ("EXNODE2", "EXNODE1")
    assert (policy.failback_window_start, policy.failback_window_end, policy.auto_failback) == (1, 5, True)
