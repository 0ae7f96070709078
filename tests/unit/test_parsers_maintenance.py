# ruff: noqa: E501  (real console layouts are wider than the code style)
"""Parsers and domain types for database status/backups, replication health, group failover
policy and witness reachability, on the layouts real Windows prints."""

from __future__ import annotations

from datetime import datetime

import pytest

from ccrgui.domain.maintenance import (
    NO_WINDOW,
    CheckResult,
    FailbackMode,
    GroupFailoverPolicy,
    PolicyError,
    QuorumHealth,
    WitnessReachability,
    assess_quorum,
)
from ccrgui.remote.parsers.errors import ClusterExeError, ParseError
from ccrgui.remote.parsers.maintenance import (
    parse_group_policy,
    parse_mailbox_databases,
    parse_replication_health,
    parse_test_path,
)

# Console layout of Test-ReplicationHealth (Exchange console copy posted in
# github.com/cunninghamp/Test-ExchangeServerHealth.ps1 issue #38; the copy lost the "Server"
# title of the header line, restored here; the server name was masked by the poster).  The Error
# column wraps onto rows indented to column 54.
HEALTH_TABLE = (
    "\r\n"
    "Server          Check                      Result     Error\r\n"
    "------          -----                      ------     -----\r\n"
    "XXXXXXXXX       ClusterService             *FAILED*   Couldn't connect to the cluster service on server 'XXXXXXXXX'.\r\n"
    "                                                      Error: Windows Failover Clustering encountered a transient\r\n"
    "                                                      error. Trying the operation again may be successful. Error:\r\n"
    "                                                      'IsNodeClustered'.\r\n"
    "XXXXXXXXX       ReplayService              Passed\r\n"
    "XXXXXXXXX       QuorumGroup                Passed\r\n"
    "\r\n"
)

HEALTH_XML = """<?xml version="1.0"?>
<Objects>
  <Object Type="Microsoft.Exchange.Management.SystemConfigurationTasks.ReplicationCheckOutputObject">
    <Property Name="Server" Type="System.String">NODE2</Property>
    <Property Name="Check" Type="System.String">SGCopySuspended</Property>
    <Property Name="CheckDescription" Type="System.String">Checks whether any storage group copies are suspended.</Property>
    <Property Name="Result" Type="Microsoft.Exchange.Management.SystemConfigurationTasks.ReplicationCheckResult">*FAILED*</Property>
    <Property Name="Error" Type="System.String">Storage group copy 'CMS1\\SG &lt;"x"&gt;' is suspended.</Property>
  </Object>
  <Object Type="Microsoft.Exchange.Management.SystemConfigurationTasks.ReplicationCheckOutputObject">
    <Property Name="Server" Type="System.String">NODE2</Property>
    <Property Name="Check" Type="System.String">FileShareQuorum</Property>
    <Property Name="CheckDescription" Type="System.String">x</Property>
    <Property Name="Result" Type="Microsoft.Exchange.Management.SystemConfigurationTasks.ReplicationCheckResult">Passed</Property>
    <Property Name="Error" Type="System.String" />
  </Object>
</Objects>"""

# Format-List of Get-MailboxDatabase -Status on an 80-column Exchange 2007 console: values start
# after the longest label + " : ", long values hard-wrapped mid-word onto lines indented to the
# value column (the convention of the VERBATIM sample ems-get-umserver_get-exchangeserver-fl).
DB_LIST = (
    "[PS] C:\\Documents and Settings\\Administrator>Get-MailboxDatabase -Status | fl\r\n"
    "\r\n"
    "\r\n"
    "Name                        : Mailbox Database\r\n"
    "StorageGroup                : CMS1\\First Storage Group\r\n"
    "Server                      : CMS1\r\n"
    "EdbFilePath                 : C:\\Program Files\\Microsoft\\Exchange Server\\Mailbo\r\n"
    "                              x\\First Storage Group\\Mailbox Database.edb\r\n"
    "Mounted                     : True\r\n"
    "BackupInProgress            : False\r\n"
    "LastFullBackup              : 6/14/2008 11:05:00 PM\r\n"
    "LastIncrementalBackup       :\r\n"
    "Identity                    : CMS1\\First Storage Group\\Mailbox Database\r\n"
    "\r\n"
    "Name                        : Executives\r\n"
    "StorageGroup                : CMS1\\Second Storage Group\r\n"
    "Server                      : CMS1\r\n"
    "EdbFilePath                 : D:\\SG2\\Executives.edb\r\n"
    "Mounted                     : False\r\n"
    "BackupInProgress            : False\r\n"
    "LastFullBackup              : 14.06.2008 23:05:00\r\n"
    "LastIncrementalBackup       : 6/15/2008 5:10:00 AM\r\n"
    "Identity                    : CMS1\\Second Storage Group\\Executives\r\n"
    "\r\n"
    "[PS] C:\\Documents and Settings\\Administrator>\r\n"
)

# Exchange 2007 default table view of Get-MailboxDatabase (no -Status: no mount state).
DB_TABLE = (
    "Name                 Server          StorageGroup         Recovery\r\n"
    "----                 ------          ------------         --------\r\n"
    "Mailbox Database     CMS1            First Storage Group  False\r\n"
)

# cluster.exe group /prop: MSG_PROPERTY_HEADER_GROUP layout (see cluster-exe/NOTES.md 2.1).
GROUP_PROPS = (
    "Listing properties for 'Exchange CMS (\"a\")':\r\n"
    "\r\n"
    "T  Resource Group       Name                           Value\r\n"
    "-- -------------------- ------------------------------ -----------------------\r\n"
    'SR Exchange CMS ("a") Name                           Exchange CMS ("a")\r\n'
    'S  Exchange CMS ("a") Description\r\n'
    'D  Exchange CMS ("a") PersistentState                1 (0x1)\r\n'
    'D  Exchange CMS ("a") FailoverThreshold              4294967295 (0xffffffff)\r\n'
    'D  Exchange CMS ("a") FailoverPeriod                 6 (0x6)\r\n'
    'D  Exchange CMS ("a") AutoFailbackType               1 (0x1)\r\n'
    'D  Exchange CMS ("a") FailbackWindowStart            22 (0x16)\r\n'
    'D  Exchange CMS ("a") FailbackWindowEnd              6 (0x6)\r\n'
)
OWNERS = (
    "Listing preferred owners for resource group 'Exchange CMS (\"a\")':\r\n"
    "\r\n"
    "Preferred Owner Nodes\r\n"
    "---------------------\r\n"
    "NODE2\r\n"
    "NODE1\r\n"
)
ERROR_5013 = "System error 5013 has occurred (0x00001395).\r\n\r\nThe cluster group could not be found.\r\n"


def test_replication_health_console_table_joins_wrapped_errors() -> None:
    health = parse_replication_health(HEALTH_TABLE)
    assert [c.check for c in health.checks] == ["ClusterService", "ReplayService", "QuorumGroup"]
    first = health.checks[0]
    assert first.result is CheckResult.FAILED and first.server == "XXXXXXXXX"
    assert first.error.startswith(
        "Couldn't connect to the cluster service on server 'XXXXXXXXX'. Error: Windows"
    )
    assert first.error.endswith("may be successful. Error: 'IsNodeClustered'.")
    assert [c.check for c in health.failed] == ["ClusterService"]
    assert not health.healthy


def test_replication_health_xml_keeps_hostile_text_plain() -> None:
    health = parse_replication_health(HEALTH_XML)
    suspended = health.by_name("sgcopysuspended")
    assert suspended is not None and suspended.result is CheckResult.FAILED
    assert suspended.error == "Storage group copy 'CMS1\\SG <\"x\">' is suspended."
    witness = health.by_name("FileShareQuorum")
    assert witness is not None and witness.ok and witness.error == ""


@pytest.mark.parametrize(
    "text, result",
    [
        ("Passed", CheckResult.PASSED),
        ("*FAILED*", CheckResult.FAILED),
        ("Failed", CheckResult.FAILED),
        ("*WARNING*", CheckResult.WARNING),
        ("", CheckResult.UNKNOWN),
        ("Odd", CheckResult.UNKNOWN),
    ],
)
def test_check_result_words(text: str, result: CheckResult) -> None:
    assert CheckResult.from_text(text) is result


def test_replication_health_bad_input() -> None:
    with pytest.raises(ParseError):
        parse_replication_health("<Objects><Object><Property Name='Server'>N</Property></Object></Objects>")
    with pytest.raises(ParseError):
        parse_replication_health("<Objects><bogus/></Objects>")
    assert parse_replication_health("").checks == ()


def test_mailbox_databases_console_list_with_wraps_and_cultures() -> None:
    dbs = parse_mailbox_databases(DB_LIST)
    assert [d.name for d in dbs] == ["Mailbox Database", "Executives"]
    first, second = dbs
    assert (
        first.edb_file_path
        == "C:\\Program Files\\Microsoft\\Exchange Server\\Mailbox\\First Storage Group\\Mailbox Database.edb"
    )
    assert (first.mounted, first.backup_in_progress) == (True, False)
    assert first.last_full_backup == datetime(2008, 6, 14, 23, 5)
    assert first.last_incremental_backup is None
    assert (
        first.storage_group == "CMS1\\First Storage Group"
        and first.storage_group_name == "First Storage Group"
    )
    assert second.mounted is False
    assert second.last_full_backup == datetime(2008, 6, 14, 23, 5)
    assert second.last_backup == datetime(2008, 6, 15, 5, 10)


def test_mailbox_databases_default_table_has_no_mount_state() -> None:
    (db,) = parse_mailbox_databases(DB_TABLE)
    assert (db.name, db.server, db.storage_group, db.mounted) == (
        "Mailbox Database",
        "CMS1",
        "First Storage Group",
        None,
    )
    assert db.last_backup is None


def test_mailbox_databases_bad_mounted_value() -> None:
    with pytest.raises(ParseError):
        parse_mailbox_databases("Name    : DB\r\nMounted : maybe\r\n")


def test_group_policy_from_prop_and_listowners() -> None:
    policy = parse_group_policy(GROUP_PROPS, OWNERS)
    assert policy.group == 'Exchange CMS ("a")'
    assert policy.preferred_owners == ("NODE2", "NODE1")
    assert (policy.failover_threshold, policy.failover_period_hours) == (4294967295, 6)
    assert policy.failback_mode is FailbackMode.WINDOW
    assert (policy.failback_window_start, policy.failback_window_end) == (22, 6)
    assert [policy.failback_possible_at(h) for h in (21, 22, 3, 6, 7)] == [False, True, True, True, False]


def test_group_policy_errors() -> None:
    with pytest.raises(ClusterExeError):
        parse_group_policy(ERROR_5013)
    with pytest.raises(ClusterExeError):
        parse_group_policy(GROUP_PROPS, ERROR_5013)
    only_name = GROUP_PROPS.split("S  Exchange")[0]
    with pytest.raises(ParseError):
        parse_group_policy(only_name)


def test_policy_rules_and_changes() -> None:
    base = GroupFailoverPolicy("G", ("N1", "N2"))
    assert base.failback_mode is FailbackMode.PREVENT and not base.failback_possible_at(3)
    now = GroupFailoverPolicy("G", auto_failback=True)
    assert now.failback_mode is FailbackMode.IMMEDIATELY and now.failback_possible_at(3)
    assert now.changed_properties(base) == {"AutoFailbackType": 1}
    base.validate()
    for bad in [
        GroupFailoverPolicy("G", failover_period_hours=0),
        GroupFailoverPolicy("G", failover_period_hours=1194),
        GroupFailoverPolicy("G", failback_window_start=24, failback_window_end=2),
        GroupFailoverPolicy("G", failback_window_start=3),
        GroupFailoverPolicy("G", ("N1", "n1")),
        GroupFailoverPolicy("G", failover_threshold=-1),
    ]:
        with pytest.raises(PolicyError):
            bad.validate()
    assert GroupFailoverPolicy("G").property_values()["FailbackWindowEnd"] == NO_WINDOW


def test_test_path_and_witness() -> None:
    assert parse_test_path("True\r\n") is True
    assert parse_test_path("\ufeffFalse\r\n") is False
    for bad in ("", "Yes", "True\r\nFalse"):
        with pytest.raises(ParseError):
            parse_test_path(bad)
    seen = WitnessReachability("\\\\HUB1\\FSW", {"N1": True, "N2": False, "N3": None}, {"N3": "node down"})
    assert seen.unreachable_from == ("N2",)


@pytest.mark.parametrize(
    "votes, total, health",
    [
        (3, 3, QuorumHealth.OK),
        (2, 3, QuorumHealth.AT_RISK),
        (1, 3, QuorumHealth.LOST),
        (3, 5, QuorumHealth.AT_RISK),
        (5, 5, QuorumHealth.OK),
    ],
)
def test_assess_quorum(votes: int, total: int, health: QuorumHealth) -> None:
    assert assess_quorum(votes, total) is health
