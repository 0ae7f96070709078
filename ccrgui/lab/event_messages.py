"""The lab's event message table: what each (provider, event id) looks like on Windows Server 2008.

The engine writes events by provider + id + named data; this table supplies level, task category,
the message template (%1.. placeholders, numbered in the order of `data_names`) and the provider's
schema facts (GUID, classic or manifest-based).  Every entry records where its wording comes from
(`WORDING_*` constants), so a wording can be corrected when a real WS2008 capture turns up.

Data names are a contract with the engine (`ccrgui/lab/engine.py`): keep them stable.
Classic providers (Service Control Manager on WS2008 is manifest-based but keeps qualifiers, see
below) render their EventData without Name attributes, as real classic events do; the names here are
then only the engine's handle for the insertion strings.
"""

from __future__ import annotations

from dataclasses import dataclass

# Levels (System/Level).
CRITICAL = 1
ERROR = 2
WARNING = 3
INFORMATION = 4

LEVEL_NAMES = {0: "Information", 1: "Critical", 2: "Error", 3: "Warning", 4: "Information", 5: "Verbose"}

# Where a wording comes from.
WORDING_WS2008_DOC = "WS2008 event page (NOTES §2.1), exact"
WORDING_WS2008_OBSERVED = "WS2008 instance quoted verbatim in a 2011 blog (NOTES §2.2)"
WORDING_R2_DOC = "WS2008 R2 overview / modern manifest, identical wording (NOTES §2.3)"
WORDING_MODERN = "modern manifest (reference file), unchanged"
WORDING_MODERN_WS2008_TERMS = (
    "modern manifest with 'clustered role' replaced by WS2008's 'clustered service or application'"
)
WORDING_WINDOWS_CLASSIC = "standard Windows message (well known, not in the reference folder)"
WORDING_LAB = "lab wording: no public source found; invented to be plausible"

# Log (channel) names.
SYSTEM = "System"
APPLICATION = "Application"
FC_OPERATIONAL = "Microsoft-Windows-FailoverClustering/Operational"
FC_DIAGNOSTIC = "Microsoft-Windows-FailoverClustering/Diagnostic"
LOGS = (APPLICATION, SYSTEM, FC_DIAGNOSTIC, FC_OPERATIONAL)

# Provider names.
FAILOVER_CLUSTERING = "Microsoft-Windows-FailoverClustering"
SCM = "Service Control Manager"
EVENTLOG = "EventLog"
USER32 = "USER32"
MSEXCHANGEREPL = "MSExchangeRepl"
MSEXCHANGECLUSTER = "MSExchangeCluster"
MSEXCHANGEIS = "MSExchangeIS"


# The domain Administrator's SID in the lab domain (USER32 1074 is logged as the initiating user).
ADMIN_SID = "S-1-5-21-1004336348-1177238915-682003330-500"


@dataclass(frozen=True, slots=True)
class Provider:
    """Schema facts of an event provider as they appear in System/Provider and EventID."""

    name: str
    guid: str | None  # None for classic event sources
    event_source_name: str | None  # the EventSourceName attribute (classic-compatible providers)
    qualifiers: bool  # EventID carries Qualifiers (classic event ids)
    named_data: bool  # EventData/Data has Name attributes (manifest templates)
    full_system: bool  # Version, Opcode, Correlation, Execution present (every provider in the lab)
    keywords: str  # System/Keywords as rendered
    channel: str  # the log it writes to by default
    user_sid: str | None  # Security UserID, None = no attribute (N/A)
    process: str  # used to pick a stable ProcessID per node
    # RenderingInfo (EvtFormatMessage) strings: the publisher's display name, the name of opcode 0
    # and whether the channel name is rendered.  SCM renders "Microsoft-Windows-Service Control
    # Manager" with empty task, opcode and channel (real RenderedXml of 7036); classic sources show
    # "Opcode: Info" and "Task: None" in real `wevtutil /f:text` output.
    display_name: str = ""
    opcode_name: str = ""
    renders_channel: bool = False

    @property
    def classic(self) -> bool:
        return not self.named_data


KEYWORDS_CLASSIC = "0x80000000000000"
KEYWORDS_SYSTEM_CHANNEL = "0x8000000000000000"
KEYWORDS_SCM = "0x8080000000000000"


def _classic_source(name: str, channel: str, process: str, user_sid: str | None = None) -> Provider:
    # Classic records render the full System block too, with ProcessID/ThreadID 0 (real 6013 XML).
    return Provider(
        name, None, None, True, False, True, KEYWORDS_CLASSIC, channel, user_sid, process, opcode_name="Info"
    )


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider(
            FAILOVER_CLUSTERING,
            "{baf908ea-3421-4ca9-9b84-6689b8c6f85f}",  # NOTES §1 (TSS provider lists)
            None,
            False,
            True,
            True,
            KEYWORDS_SYSTEM_CHANNEL,
            SYSTEM,
            "S-1-5-18",  # "NT AUTHORITY\SYSTEM" in the modern System-log rows
            "clussvc.exe",
            display_name=FAILOVER_CLUSTERING,
            opcode_name="Info",
            renders_channel=True,
        ),
        Provider(
            SCM,
            "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
            SCM,
            True,
            True,
            True,
            KEYWORDS_SCM,
            SYSTEM,
            None,
            "services.exe",
            display_name="Microsoft-Windows-Service Control Manager",
        ),
        _classic_source(EVENTLOG, SYSTEM, "svchost.exe"),
        _classic_source(USER32, SYSTEM, "winlogon.exe", ADMIN_SID),
        _classic_source(MSEXCHANGEREPL, APPLICATION, "msexchangerepl.exe"),
        _classic_source(MSEXCHANGECLUSTER, APPLICATION, "msexchangerepl.exe"),
        _classic_source(MSEXCHANGEIS, APPLICATION, "store.exe"),
    )
}


@dataclass(frozen=True, slots=True)
class MessageDef:
    """One event definition: how the event is classified and what its message says."""

    provider: str
    event_id: int
    level: int
    task: int
    task_name: str  # "Task Category" as Event Viewer and wevtutil /f:text show it
    template: str  # %1.. = data_names[0]..; "%n"-free, real line breaks as "\r\n"
    data_names: tuple[str, ...]
    wording: str  # one of the WORDING_* constants
    qualifiers: int | None = None  # classic sources: the high word of the 32-bit event id
    channel: str | None = None  # None = the provider's channel
    keywords: str | None = None  # None = provider default

    def render(self, values: dict[str, str]) -> str:
        """The message with %1.. replaced (missing insertion strings stay as '%n', like Windows)."""
        out = self.template
        # Replace from the highest number down so %1 does not eat the start of %10.
        for index in range(len(self.data_names), 0, -1):
            name = self.data_names[index - 1]
            if name in values:
                out = out.replace(f"%{index}", values[name])
        return out


_VALIDATE = (
    " Run the Validate a Configuration wizard to check your network configuration. If the condition "
    "persists, check for hardware or software errors related to the network adapter. Also check for "
    "failures in any other network components to which the node is connected such as hubs, switches, "
    "or bridges."
)

# FailoverClustering task categories (numbers are the lab's; names as Event Viewer shows them).
TASK_NODE_MGR = (2, "Node Mgr")
TASK_QUORUM = (3, "Quorum Manager")
TASK_RCM = (5, "Resource Control Manager")
TASK_FSW = (16, "File Share Witness Resource")
TASK_IP = (12, "IP Address Resource")
TASK_STARTUP = (1, "Startup/Shutdown")
TASK_NONE = (0, "None")  # classic category 0 ("Task: None" in real wevtutil text output)
TASK_EMPTY = (0, "")  # SCM: no task name at all, rendered empty, wevtutil /f:text prints N/A
TASK_EX_SERVICE = (1, "Service")  # MSExchangeRepl "Task Category: Service" (KB text)
TASK_EX_ACTION = (3, "Action")
TASK_IS_GENERAL = (6, "General")


def _fc(
    event_id: int,
    level: int,
    task: tuple[int, str],
    template: str,
    names: tuple[str, ...],
    wording: str,
    channel: str | None = None,
) -> MessageDef:
    return MessageDef(
        FAILOVER_CLUSTERING, event_id, level, task[0], task[1], template, names, wording, channel=channel
    )


def _classic(
    provider: str,
    event_id: int,
    level: int,
    task: tuple[int, str],
    template: str,
    names: tuple[str, ...],
    wording: str,
    qualifiers: int,
) -> MessageDef:
    return MessageDef(
        provider, event_id, level, task[0], task[1], template, names, wording, qualifiers=qualifiers
    )


_SOA = "clustered service or application"

MESSAGES_LIST: tuple[MessageDef, ...] = (
    # ---- Microsoft-Windows-FailoverClustering, System log -------------------------------------
    _fc(
        1000,
        CRITICAL,
        TASK_STARTUP,
        "Cluster service suffered an unexpected fatal error at line %1 of source module %2. "
        "The error code was %3.",
        ("Line", "Module", "ErrorCode"),
        WORDING_WS2008_DOC,
    ),
    _fc(
        1006,
        ERROR,
        TASK_NODE_MGR,
        "Cluster service was halted due to incomplete connectivity with other cluster nodes.",
        (),
        WORDING_MODERN,
    ),
    _fc(
        1011,
        INFORMATION,
        TASK_NODE_MGR,
        "Cluster node %1 has been evicted from the failover cluster.",
        ("NodeName",),
        WORDING_WS2008_DOC,
    ),
    _fc(
        1049,
        ERROR,
        TASK_IP,
        "Cluster IP address resource '%1' cannot be brought online because a duplicate IP address '%2' "
        "was detected on the network.  Please ensure all IP addresses are unique.",
        ("ResourceName", "Address"),
        WORDING_MODERN,
    ),
    _fc(
        1062,
        INFORMATION,
        TASK_NODE_MGR,
        "This node has successfully joined the failover cluster '%1'.",
        ("ClusterName",),
        WORDING_MODERN,
    ),
    _fc(
        1069,
        ERROR,
        TASK_RCM,
        f"Cluster resource '%1' in {_SOA} '%2' failed.",
        ("ResourceName", "ResourceGroup"),
        WORDING_WS2008_OBSERVED,
    ),
    _fc(
        1126,
        ERROR,
        TASK_NODE_MGR,
        "Cluster network interface '%1' for cluster node '%2' on network '%3' is unreachable by at least "
        "one other cluster node attached to the network. The failover cluster was not able to determine "
        "the location of the failure." + _VALIDATE,
        ("InterfaceName", "NodeName", "NetworkName"),
        WORDING_MODERN,
    ),
    _fc(
        1127,
        ERROR,
        TASK_NODE_MGR,
        "Cluster network interface '%1' for cluster node '%2' on network '%3' failed." + _VALIDATE,
        ("InterfaceName", "NodeName", "NetworkName"),
        WORDING_MODERN,
    ),
    _fc(
        1129,
        ERROR,
        TASK_NODE_MGR,
        "Cluster network '%1' is partitioned. Some attached failover cluster nodes cannot communicate "
        "with each other over the network. The failover cluster was not able to determine the location "
        "of the failure." + _VALIDATE,
        ("NetworkName",),
        WORDING_MODERN,
    ),
    _fc(
        1130,
        ERROR,
        TASK_NODE_MGR,
        "Cluster network '%1' is down. None of the available nodes can communicate using this network."
        + _VALIDATE,
        ("NetworkName",),
        WORDING_MODERN,
    ),
    _fc(
        1135,
        CRITICAL,
        TASK_NODE_MGR,
        "Cluster node '%1' was removed from the active failover cluster membership. The Cluster service "
        "on this node may have stopped. This could also be due to the node having lost communication "
        "with other active nodes in the failover cluster. Run the Validate a Configuration wizard to "
        "check your network configuration. If the condition persists, check for hardware or software "
        "errors related to the network adapters on this node. Also check for failures in any other "
        "network components to which the node is connected such as hubs, switches, or bridges.",
        ("NodeName",),
        WORDING_R2_DOC,
    ),
    _fc(
        1146,
        CRITICAL,
        TASK_RCM,
        "The cluster resource host subsystem (RHS) stopped unexpectedly. An attempt will be made to "
        "restart it. This is usually due to a problem in a resource DLL. Please determine which resource "
        "DLL is causing the issue and report the problem to the resource vendor.",
        (),
        WORDING_LAB + " (first two sentences from the R2 overview, NOTES §2.1; the rest invented)",
    ),
    _fc(
        1153,
        INFORMATION,
        TASK_RCM,
        f"The Cluster service is attempting to fail over the {_SOA} '%1' from node '%2' to node '%3'.",
        ("ResourceGroup", "SourceNode", "TargetNode"),
        WORDING_MODERN_WS2008_TERMS,
    ),
    _fc(
        1177,
        CRITICAL,
        TASK_QUORUM,
        "The Cluster service is shutting down because quorum was lost. This could be due to the loss of "
        "network connectivity between some or all nodes in the cluster, or a failover of the witness "
        "disk." + _VALIDATE,
        (),
        WORDING_WS2008_DOC,
    ),
    _fc(
        1200,
        INFORMATION,
        TASK_RCM,
        f"The Cluster service is attempting to bring the {_SOA} '%1' online.",
        ("ResourceGroup",),
        WORDING_MODERN_WS2008_TERMS,
    ),
    _fc(
        1201,
        INFORMATION,
        TASK_RCM,
        f"The Cluster service successfully brought the {_SOA} '%1' online.",
        ("ResourceGroup",),
        WORDING_MODERN_WS2008_TERMS,
    ),
    _fc(
        1203,
        INFORMATION,
        TASK_RCM,
        f"The Cluster service is attempting to bring the {_SOA} '%1' offline.",
        ("ResourceGroup",),
        WORDING_MODERN_WS2008_TERMS,
    ),
    _fc(
        1204,
        INFORMATION,
        TASK_RCM,
        f"The Cluster service successfully brought the {_SOA} '%1' offline.",
        ("ResourceGroup",),
        WORDING_MODERN_WS2008_TERMS,
    ),
    _fc(
        1205,
        ERROR,
        TASK_RCM,
        f"The Cluster service failed to bring {_SOA} '%1' completely online or offline. One or more "
        f"resources may be in a failed state. This may impact the availability of the {_SOA}.",
        ("ResourceGroup",),
        WORDING_MODERN_WS2008_TERMS,
    ),
    _fc(
        1254,
        ERROR,
        TASK_RCM,
        "Clustered service or application '%1' has exceeded its failover threshold.  It has exhausted "
        "the configured number of failover attempts within the failover period of time allotted to it "
        "and will be left in a failed state.  No additional attempts will be made to bring the "
        "service or application online or fail it over to another node in the cluster.  Please check "
        "the events associated with the failure.  After the issues causing the failure are resolved the "
        "service or application can be brought online manually or the cluster may attempt to bring it "
        "online again after the restart delay period.",
        ("ResourceGroup",),
        WORDING_MODERN_WS2008_TERMS,
    ),
    _fc(
        1562,
        WARNING,
        TASK_FSW,
        "File share witness resource '%1' failed a periodic health check on file share '%2'. Please "
        "ensure that file share '%2' exists and is accessible by the cluster.",
        ("ResourceName", "SharePath"),
        WORDING_MODERN,
    ),
    _fc(
        1563,
        WARNING,
        TASK_FSW,
        "File share witness resource '%1' failed to come online. Please ensure that file share '%2' "
        "exists and is accessible by the cluster.",
        ("ResourceName", "SharePath"),
        WORDING_MODERN,
    ),
    _fc(
        1564,
        CRITICAL,
        TASK_FSW,
        "File share witness resource '%1' failed to arbitrate for the file share '%2'. Please ensure "
        "that file share '%2' exists and is accessible by the cluster.",
        ("ResourceName", "SharePath"),
        WORDING_MODERN,
    ),
    _fc(
        1570,
        CRITICAL,
        TASK_NODE_MGR,
        "Node '%1' failed to establish a communication session while joining the cluster. This was due "
        "to an authentication failure. Please verify that the nodes are running compatible versions of "
        "the cluster service software.",
        ("NodeName",),
        WORDING_WS2008_OBSERVED,
    ),
    _fc(
        1573,
        CRITICAL,
        TASK_QUORUM,
        "Node '%1' failed to form a cluster. This was because the witness was not accessible. Please "
        "ensure that the witness resource is online and available.",
        ("NodeName",),
        WORDING_WS2008_DOC,
    ),
    # ---- Service Control Manager (WS2008: manifest provider with classic qualifiers) ----------
    _classic(
        SCM,
        7036,
        INFORMATION,
        TASK_EMPTY,
        "The %1 service entered the %2 state.",
        ("param1", "param2"),
        WORDING_WINDOWS_CLASSIC,
        16384,
    ),
    _classic(
        SCM,
        7031,
        ERROR,
        TASK_EMPTY,
        "The %1 service terminated unexpectedly.  It has done this %2 time(s).  The following "
        "corrective action will be taken in %3 milliseconds: %5.",
        ("param1", "param2", "param3", "param4", "param5"),
        WORDING_WINDOWS_CLASSIC,
        49152,
    ),
    # ---- EventLog (boot/shutdown) --------------------------------------------------------------
    _classic(
        EVENTLOG,
        6005,
        INFORMATION,
        TASK_NONE,
        "The Event log service was started.",
        (),
        WORDING_WINDOWS_CLASSIC,
        32768,
    ),
    _classic(
        EVENTLOG,
        6006,
        INFORMATION,
        TASK_NONE,
        "The Event log service was stopped.",
        (),
        WORDING_WINDOWS_CLASSIC,
        32768,
    ),
    _classic(
        EVENTLOG,
        6008,
        ERROR,
        TASK_NONE,
        "The previous system shutdown at %1 on %2 was unexpected.",
        ("Time", "Date"),
        WORDING_WINDOWS_CLASSIC,
        32768,
    ),
    _classic(
        EVENTLOG,
        6009,
        INFORMATION,
        TASK_NONE,
        "Microsoft (R) Windows (R) %1 %2 %3 %4.",
        ("Version", "Build", "ServicePack", "Edition"),
        WORDING_WINDOWS_CLASSIC,
        32768,
    ),
    _classic(
        USER32,
        1074,
        INFORMATION,
        TASK_NONE,
        "The process %1 has initiated the restart of computer %2 on behalf of user %3 for the "
        "following reason: %4\r\n Reason Code: %5\r\n Shutdown Type: %6\r\n Comment: %7",
        ("param1", "param2", "param3", "param4", "param5", "param6", "param7"),
        WORDING_WINDOWS_CLASSIC,
        32768,
    ),
    # ---- MSExchangeRepl (Application log, classic, Task Category "Service") --------------------
    _classic(
        MSEXCHANGEREPL,
        100,
        INFORMATION,
        TASK_EX_ACTION,
        "The clustered mailbox server '%1' was moved from node '%2' to node '%3'. The handoff "
        "completed in %4 seconds. Move comment: %5",
        ("Server", "SourceNode", "TargetNode", "Seconds", "Comment"),
        WORDING_LAB + " (event id and purpose: CMS handoff time, Exchange 2007 docs)",
        16388,
    ),
    _classic(
        MSEXCHANGEREPL,
        2093,
        WARNING,
        TASK_EX_SERVICE,
        "The clustered mailbox server '%1' forced an auto-mount of storage group '%2' upon failover "
        "after the required timeout of %3 seconds.",
        ("Server", "StorageGroup", "Seconds"),
        WORDING_LAB + " (id, level and subject from the Exchange 2007 MOM alert page)",
        32772,
    ),
    _classic(
        MSEXCHANGEREPL,
        2114,
        INFORMATION,
        TASK_EX_SERVICE,
        "The replication instance for storage group %1 has started copying transaction log files. "
        "The first log file successfully copied was generation %2.",
        ("StorageGroup", "Generation"),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGEREPL,
        2071,
        INFORMATION,
        TASK_EX_SERVICE,
        "Replication for storage group %1 has been suspended by an administrator. Suspend comment: %2",
        ("StorageGroup", "Comment"),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGEREPL,
        2072,
        INFORMATION,
        TASK_EX_SERVICE,
        "Replication for storage group %1 has been resumed.",
        ("StorageGroup",),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGEREPL,
        2073,
        INFORMATION,
        TASK_EX_SERVICE,
        "Seeding of storage group %1 from server %2 has started.",
        ("StorageGroup", "SourceServer"),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGEREPL,
        2074,
        INFORMATION,
        TASK_EX_SERVICE,
        "Seeding of storage group %1 completed successfully.",
        ("StorageGroup",),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGEREPL,
        2059,
        ERROR,
        TASK_EX_SERVICE,
        "The log copier was unable to communicate with server %1. The copy of storage group %2 is in "
        "a disconnected state. The communication error was: %3",
        ("Server", "StorageGroup", "Error"),
        WORDING_LAB + " (modelled on Exchange 2010's 2153 KB text, storage-group terms)",
        49156,
    ),
    _classic(
        MSEXCHANGEREPL,
        2060,
        WARNING,
        TASK_EX_SERVICE,
        "The copy queue length of storage group %1 is %2 log files, which exceeds the threshold.",
        ("StorageGroup", "CopyQueue"),
        WORDING_LAB,
        32772,
    ),
    # ---- The Exchange cluster cmdlets (Start/Stop/Move-ClusteredMailboxServer) ----------------
    _classic(
        MSEXCHANGECLUSTER,
        1000,
        INFORMATION,
        TASK_EX_ACTION,
        "Clustered mailbox server '%1' is being moved to node '%2' by %3. Move comment: %4",
        ("Server", "TargetNode", "User", "Comment"),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGECLUSTER,
        1001,
        INFORMATION,
        TASK_EX_ACTION,
        "Clustered mailbox server '%1' is being stopped by %2. Stop reason: %3",
        ("Server", "User", "Reason"),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGECLUSTER,
        1002,
        INFORMATION,
        TASK_EX_ACTION,
        "Clustered mailbox server '%1' is being started by %2.",
        ("Server", "User"),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGECLUSTER,
        1003,
        ERROR,
        TASK_EX_ACTION,
        "The operation on clustered mailbox server '%1' failed. Error: %2",
        ("Server", "Error"),
        WORDING_LAB,
        49156,
    ),
    # ---- MSExchangeIS -----------------------------------------------------------------------
    _classic(
        MSEXCHANGEIS,
        9523,
        ERROR,
        TASK_IS_GENERAL,
        'The Microsoft Exchange Information Store database "%1" could not be mounted. Error: %2',
        ("Database", "Error"),
        WORDING_LAB,
        49156,
    ),
    _classic(
        MSEXCHANGEIS,
        9500,
        INFORMATION,
        TASK_IS_GENERAL,
        'Database "%1" was mounted on server %2.',
        ("Database", "Server"),
        WORDING_LAB,
        16388,
    ),
    _classic(
        MSEXCHANGEIS,
        9501,
        INFORMATION,
        TASK_IS_GENERAL,
        'Database "%1" was dismounted on server %2.',
        ("Database", "Server"),
        WORDING_LAB,
        16388,
    ),
)

MESSAGES: dict[tuple[str, int], MessageDef] = {(m.provider, m.event_id): m for m in MESSAGES_LIST}


def lookup(provider: str, event_id: int) -> MessageDef:
    """The definition of an event; KeyError for an event the lab does not know (a lab bug)."""
    return MESSAGES[(provider, event_id)]
