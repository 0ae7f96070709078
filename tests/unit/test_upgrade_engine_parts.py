"""The upgrade's Qt-free parts: build numbers, monitoring-service matching, the journal file,
the pre-check reads' parser, the step list, and the plans' lines and refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui import quoting
from ccrgui.domain.model import ClusterSnapshot, CmsState, CmsStatus, Node, NodeState
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal
from ccrgui.domain.upgrade.facts import NodeUpgradeFacts, ServiceInfo, monitoring_services, parse_build
from ccrgui.domain.upgrade.journal import ROLLUP, SERVICE_PACK, Journal, JournalError, journal_path
from ccrgui.domain.upgrade.procedure import build_steps
from ccrgui.remote import scripts
from ccrgui.remote.parsers.upgrade import parse_upgrade_facts
from ccrgui.remote.planner import PlanFacts, build_plan


def test_one_build_in_three_spellings() -> None:
    assert parse_build("Version 8.1 (Build 240.6)") == (8, 1, 240, 6)
    assert parse_build("08.02.0176.002") == (8, 2, 176, 2)
    assert parse_build("8.2.176.2") == (8, 2, 176, 2)
    assert parse_build("") is None and parse_build("unknown") is None
    assert parse_build("08.01.0393.001") > parse_build("Version 8.1 (Build 240.6)")  # type: ignore[operator]


def test_monitoring_services_matched_by_name_or_display_name_and_running_only() -> None:
    facts = NodeUpgradeFacts(
        "N",
        services=(
            ServiceInfo("HealthService", "OpsMgr Health Service", True),
            ServiceInfo("KNTCMA_Primary", "Monitoring Agent for Windows OS - Primary", True),
            ServiceInfo("ArgentAgent", "Argent Guardian Agent", True),
            ServiceInfo("MOM", "MOM", False),  # stopped: nothing to do
            ServiceInfo("RemoteRegistry", "Remote Registry", True),
            ServiceInfo("Momentum", "Momentum backup", True),  # "MOM" is a whole word only
        ),
    )
    assert [s.name for s in monitoring_services(facts)] == ["HealthService", "KNTCMA_Primary", "ArgentAgent"]


def _journal() -> Journal:
    return Journal("EXCLUS1", SERVICE_PACK, "EXNODE2", "EXNODE1", "EXCH1", "EXCH1", setup_folder="D:\\SP2")


def test_journal_round_trip_and_damage(tmp_path: Path) -> None:
    path = journal_path("EXCLUS1 / lab", tmp_path)
    assert path.name == "exclus1___lab.json"
    assert Journal.load(path) is None
    j = _journal()
    j.done.append("EXNODE2:setup")
    j.stopped["EXNODE2"] = ["HealthService"]
    j.save(path)
    assert Journal.load(path) == j
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(JournalError):
        Journal.load(path)
    path.write_text(json.dumps({"version": 99}), encoding="utf-8")
    with pytest.raises(JournalError, match="version 1"):
        Journal.load(path)


def test_steps_service_pack_and_rollup() -> None:
    ids = [s.id for s in build_steps(_journal())]
    assert ids[:6] == [
        "EXNODE2:stop-monitoring",
        "EXNODE2:remote-registry",
        "EXNODE2:move-groups",
        "EXNODE2:setup",
        "EXNODE2:reboot",
        "EXNODE2:start-monitoring",
    ]
    assert ids[6:10] == ["cms:stop", "cms:move", "cms:upgrade", "cms:verify"]
    assert ids[10] == "EXNODE1:stop-monitoring" and ids[-1] == "verify" and len(ids) == 17
    rollup = Journal("C", ROLLUP, "B", "A", "CMS", "CMS", rollup="D:\\u.msp", move_back=True)
    assert [s.id for s in build_steps(rollup)] == [
        "B:move-groups",
        "B:rollup",
        "B:reboot",
        "cms:move",
        "A:move-groups",
        "A:rollup",
        "A:reboot",
        "cms:move-back",
        "verify",
    ]


def _xml(*objects: str) -> str:
    return '<?xml version="1.0"?><Objects>' + "".join(objects) + "</Objects>"


def test_facts_parser_on_convertto_xml() -> None:
    services = _xml(
        '<Object Type="System.Management.Automation.PSCustomObject">'
        '<Property Name="Name" Type="System.String">HealthService</Property>'
        '<Property Name="DisplayName" Type="System.String">OpsMgr Health Service</Property>'
        '<Property Name="Status" Type="System.ServiceProcess.ServiceControllerStatus">Running</Property>'
        "</Object>"
    )
    disk = _xml(
        '<Object Type="System.Management.Automation.PSCustomObject">'
        '<Property Name="DeviceID" Type="System.String">C:</Property>'
        '<Property Name="FreeSpace" Type="System.UInt64">22470983680</Property></Object>'
    )
    version = _xml(
        '<Object Type="System.Management.Automation.PSCustomObject">'
        '<Property Name="ProductVersion" Type="System.String">08.02.0176.002</Property></Object>'
    )
    true = _xml('<Object Type="System.Boolean">True</Object>')
    facts = parse_upgrade_facts(
        "N",
        {
            "services": (services, ""),
            "disk": (disk, ""),
            "folder": (true, ""),
            "setup": (version, ""),
            "exsetup": ("", "Cannot find path"),
        },
    )
    assert facts.services == (ServiceInfo("HealthService", "OpsMgr Health Service", True),)
    assert (facts.free_bytes, facts.folder_exists, facts.setup_found, facts.setup_build) == (
        22470983680,
        True,
        True,
        (8, 2, 176, 2),
    )
    assert facts.installed_build is None and facts.msp_found is None
    missing = parse_upgrade_facts("N", {"setup": ("", "Cannot find path 'D:\\x\\setup.com'")})
    assert not missing.setup_found and "Cannot find path" in missing.setup_error


@given(st.text(min_size=1, max_size=40))
def test_setup_lines_quote_any_folder_or_refuse_it(name: str) -> None:
    folder = "D:\\" + name
    try:
        line = scripts.setup_upgrade_line(folder)
    except quoting.UnsafeValueError:
        return
    path = folder.rstrip("\\") + "\\setup.com"
    assert line.endswith(" /mode:upgrade") and line[: -len(" /mode:upgrade")] in (path, f'"{path}"')


def test_relative_folder_and_non_msp_are_refused() -> None:
    for bad in ("Exchange2007SP2", "..\\SP2", ""):
        with pytest.raises(quoting.UnsafeValueError):
            scripts.setup_upgrade_line(bad)
    with pytest.raises(quoting.UnsafeValueError):
        scripts.rollup_line("D:\\Updates\\rollup.exe")
    assert scripts.rollup_line("D:\\My Updates\\UR9.msp") == 'msiexec.exe /p "D:\\My Updates\\UR9.msp" /qn'


def _facts(active: str = "EXNODE1") -> PlanFacts:
    boot = datetime(2026, 1, 1, tzinfo=UTC)
    from ccrgui.domain.model import NodeDetails

    snap = ClusterSnapshot(
        "EXCLUS1",
        boot,
        nodes=tuple(
            Node(n, NodeState.UP, details=NodeDetails(last_boot=boot)) for n in ("EXNODE1", "EXNODE2")
        ),
        cms=CmsStatus("EXCH1", CmsState.ONLINE, active),
    )
    return PlanFacts(snap, "EXCH1", "EXCH1", ("EXNODE1", "EXNODE2"), True)


def test_plans_refuse_what_real_setup_refuses() -> None:
    f = _facts()
    on_active = build_plan(ActionRequest(ActionKind.SETUP_UPGRADE, "EXNODE1", text="D:\\SP2"), f)
    assert isinstance(on_active, Refusal) and "passive node" in on_active.reason
    cms_elsewhere = build_plan(ActionRequest(ActionKind.SETUP_UPGRADE_CMS, "EXNODE2", text="D:\\SP2"), f)
    assert isinstance(cms_elsewhere, Refusal) and "(EXNODE1)" in cms_elsewhere.reason
    rollup = build_plan(ActionRequest(ActionKind.INSTALL_ROLLUP, "EXNODE1", text="D:\\u.msp"), f)
    assert isinstance(rollup, Refusal)
    ok = build_plan(ActionRequest(ActionKind.INSTALL_ROLLUP, "EXNODE2", text="D:\\u.msp"), f)
    assert isinstance(ok, Plan) and ok.steps[0].ok_exit_codes == (0, 3010) and ok.steps[0].node == "EXNODE2"
    setup = build_plan(ActionRequest(ActionKind.SETUP_UPGRADE, "EXNODE2", text="D:\\SP2"), f)
    assert (
        isinstance(setup, Plan)
        and setup.steps[0].stream
        and setup.command_lines == ["D:\\SP2\\setup.com /mode:upgrade"]
    )
    stop = build_plan(ActionRequest(ActionKind.STOP_SERVICE, "Health'Service", node="EXNODE2"), f)
    assert isinstance(stop, Plan) and stop.command_lines == ["Stop-Service -Name 'Health''Service'"]
    start = build_plan(ActionRequest(ActionKind.START_CLUSTER_SERVICE, "EXNODE2"), f)
    assert isinstance(start, Plan) and start.steps[0].node == "EXNODE1"  # asked of the other node
