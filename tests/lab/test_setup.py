"""setup.com /mode:upgrade and /upgradecms: output as in the real runs, Exchange's refusals."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccrgui.domain.model import CmsState, CopyStatus
from ccrgui.lab import setupcom
from ccrgui.lab.clock import Clock
from ccrgui.lab.cmdshell import run_line
from ccrgui.lab.engine import ClusterEngine, LabError
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.topology import default_topology, topology_from_json

SPEED = 5000.0
SETUP = "D:\\Exchange2007SP2\\setup.com"
STEP = re.compile(r"^\s{4}(.+?)\s+\.{5,}\s+(COMPLETED|FAILED)\s*$")


class Rig:
    def __init__(self) -> None:
        topo = default_topology()
        self.clock = Clock(SPEED)
        journal = EventJournal(topo, history=0, clock=self.clock)
        self.engine = ClusterEngine(topo, clock=self.clock, faults=Faults(), journal=journal)
        self.hosts = {n.name: NodeHost(n.name, self.engine, journal, Faults()) for n in topo.nodes}
        self.admin = topo.accounts[0]
        # The procedure's preparation: the monitoring agent that reads performance counters is
        # stopped before setup (see test_a_running_performance_counter_reader_fails_setup).
        self.engine.stop_service("EXNODE2", "HealthService")

    def run(self, node: str, line: str) -> tuple[str, str, int]:
        return run_line(self.hosts[node], self.admin, line)

    def wait(self, pred: object, timeout: float = 5.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():  # type: ignore[operator]
                return
            time.sleep(0.003)
        raise AssertionError("not reached")


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig()
    yield r
    r.engine.stop()
    r.clock.stop()


def _sample_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[1:]


def test_upgrade_output_uses_the_real_line_formats(reference: Path, rig: Rig) -> None:
    real = _sample_lines(reference / "setup" / "setup-com-mode-upgrade_ex2007sp1.txt")
    real_steps = {m.group(1): line for line in real if (m := STEP.match(line))}
    out, err, code = rig.run("EXNODE2", f"{SETUP} /mode:upgrade")
    assert (err, code) == ("", 0)
    lines = out.split("\r\n")
    assert lines[-1] == "" and "\n" not in out.replace("\r\n", "")
    lines = lines[:-1]
    # Fixed lines are the real ones, in the real order.
    for fixed in (
        setupcom.BANNER,
        setupcom.PREPARING,
        setupcom.ROLES_TITLE,
        setupcom.PREREQ_TITLE,
        setupcom.CONFIG_TITLE,
        setupcom.SUCCESS,
    ):
        assert fixed in real[1:] and fixed in lines
    assert lines[0] == real[1] and lines[1] == real[2] and lines[-1] == [r for r in real if r][-2]
    assert lines[3:5] == ["    Mailbox Role", "    Management Tools"]
    ours = [ln for ln in lines if STEP.match(ln)]
    assert len(ours) == 1 + len(setupcom.UPGRADE_STEPS)
    shared = [ln for ln in ours if STEP.match(ln).group(1) in real_steps]  # type: ignore[union-attr]
    assert len(shared) == len(ours)  # every step name is one the real run printed...
    for ln in shared:  # ...and byte for byte the same line
        assert ln == real_steps[STEP.match(ln).group(1)]  # type: ignore[union-attr]


def test_upgrade_raises_the_node_version_and_restarts_its_services(rig: Rig) -> None:
    assert rig.run("EXNODE2", f"{SETUP} /m:Upgrade")[2] == 0
    info = rig.engine.node("EXNODE2")
    assert info.exchange_version == setupcom.SETUP_MEDIA_VERSION
    assert all(v for k, v in info.services.items() if k != "HealthService")  # stopped by the Rig
    rig.wait(lambda: {c.status for c in rig.engine.copy_status()} == {CopyStatus.HEALTHY})


def test_upgrade_takes_nominal_minutes_scaled_by_speed(rig: Rig) -> None:
    nominal = 10 + sum(s for _, s in setupcom.PREREQ_STEPS) + sum(s for _, s in setupcom.UPGRADE_STEPS)
    assert nominal >= 600
    t0 = time.monotonic()
    rig.run("EXNODE2", f"{SETUP} /mode:upgrade")
    assert time.monotonic() - t0 >= nominal / SPEED


def test_upgrade_refused_on_the_node_running_the_cms(reference: Path, rig: Rig) -> None:
    failed = _sample_lines(reference / "setup" / "setup-com-mode-install_failed_ex2007sp1.txt")
    # The real footer, without the console's 80-column wrap ("visi" / "t http").
    idx = next(i for i, ln in enumerate(failed) if ln.startswith("The Exchange Server Setup operation"))
    footer = [failed[idx] + failed[idx + 1], failed[idx + 2]]
    out, _, code = rig.run("EXNODE1", f"{SETUP} /mode:upgrade")
    lines = out.split("\r\n")[:-1]
    assert code == 1
    assert lines[-2:] == footer
    assert STEP.match(lines[-4]) and lines[-4].endswith(" FAILED")
    assert lines[-3].startswith("     The clustered mailbox server 'EXCH1' is currently active on this node.")
    assert rig.engine.node("EXNODE1").exchange_version == "8.1.240.6"


def test_rolling_upgrade_in_the_documented_order(rig: Rig) -> None:
    """NOTES 1b: upgrade Node 2; stop the CMS, move it stopped to Node 2, /upgradecms there
    (which brings it back online at the new build); then upgrade Node 1."""
    e = rig.engine
    assert rig.run("EXNODE2", f"{SETUP} /mode:upgrade")[2] == 0
    rig.wait(lambda: {c.status for c in e.copy_status()} == {CopyStatus.HEALTHY})
    # /upgradecms refuses while the CMS runs (on its owner, still EXNODE1 here).
    out, _, code = rig.run("EXNODE1", f"{SETUP} /upgradecms")
    assert code == 1 and "must be stopped" in out
    e.stop_cms("SP2: upgrade the CMS")
    rig.wait(lambda: e.cms_status().state is CmsState.OFFLINE)
    e.move_cms("EXNODE2", "SP2: the CMS goes to the upgraded node")
    cms = e.cms_status()
    assert (cms.active_node, cms.state, cms.stopped) == ("EXNODE2", CmsState.OFFLINE, True)
    # ...and on the node that does not own it.
    out, _, code = rig.run("EXNODE1", f"{SETUP} /UpgradeCMS")
    assert code == 1 and "is not owned by this node" in out
    out, _, code = rig.run("EXNODE2", f"{SETUP} /UpgradeCMS")
    assert code == 0 and out.endswith(setupcom.SUCCESS + "\r\n")
    assert e.cms_version() == setupcom.SETUP_MEDIA_VERSION
    rig.wait(lambda: e.cms_status().state is CmsState.ONLINE)
    assert not e.cms_status().stopped and e.cms_status().active_node == "EXNODE2"
    # Node 1 is passive now: /mode:upgrade runs there.
    assert rig.run("EXNODE1", f"{SETUP} /mode:upgrade")[2] == 0
    assert {n.exchange_version for n in e.nodes()} == {setupcom.SETUP_MEDIA_VERSION}
    rig.wait(lambda: {c.status for c in e.copy_status()} == {CopyStatus.HEALTHY})


def test_setup_com_is_found_only_in_the_setup_media_folder(rig: Rig) -> None:
    for line in ("setup.com /mode:upgrade", "C:\\setup.com /mode:upgrade", "D:\\Exchange2007SP1\\setup.com"):
        out, err, code = rig.run("EXNODE2", line)
        typed = line.split(" ")[0]
        assert (out, code) == ("", 9009)
        assert err == (
            f"'{typed}' is not recognized as an internal or external command,\r\n"
            "operable program or batch file.\r\n"
        )
    # setup.exe is the GUI installer: not the console one, even in the media folder.
    assert rig.run("EXNODE2", "D:\\Exchange2007SP2\\setup.exe /mode:upgrade")[2] == 9009
    assert rig.engine.node("EXNODE2").exchange_version == "8.1.240.6"
    # Quoted and in other casing it is the same file.
    assert rig.run("EXNODE2", '"d:\\exchange2007sp2\\SETUP.COM" /mode:upgrade')[2] == 0


def test_the_media_build_is_what_setup_installs() -> None:
    raw = {"setup_media": {"path": "E:\\Ex2007 SP3", "build": "8.3.83.6"}}
    topo = topology_from_json(raw)
    clock = Clock(SPEED)
    journal = EventJournal(topo, history=0, clock=clock)
    engine = ClusterEngine(topo, clock=clock, faults=Faults(), journal=journal)
    try:
        host = NodeHost("EXNODE2", engine, journal, Faults())
        engine.stop_service("EXNODE2", "HealthService")
        out, _, code = run_line(host, topo.accounts[0], '"E:\\Ex2007 SP3\\setup.com" /mode:upgrade')
        assert code == 0, out
        assert engine.node("EXNODE2").exchange_version == "8.3.83.6"
        # The built-in SP2 folder is not part of this topology.
        assert run_line(host, topo.accounts[0], f"{SETUP} /mode:upgrade")[2] == 9009
    finally:
        engine.stop()
        clock.stop()


def test_skipping_upgradecms_leaves_versions_mismatched(rig: Rig) -> None:
    e = rig.engine
    assert rig.run("EXNODE2", f"{SETUP} /mode:upgrade")[2] == 0
    rig.wait(lambda: {c.status for c in e.copy_status()} == {CopyStatus.HEALTHY})
    e.move_cms("EXNODE2", "flip")
    rig.wait(lambda: e.cms_status().active_node == "EXNODE2" and e.cms_status().state is CmsState.ONLINE)
    assert rig.run("EXNODE1", f"{SETUP} /mode:upgrade")[2] == 0
    e.stop_cms("forgot /upgradecms")
    rig.wait(lambda: e.cms_status().state is CmsState.OFFLINE)
    with pytest.raises(LabError) as exc:
        e.start_cms()
    assert exc.value.error_id == "CmsVersionMismatch"
    out, _, code = rig.run("EXNODE2", f"{SETUP} /upgradecms")
    assert code == 1 and "can no longer be upgraded" in out


def test_setup_refuses_non_admin_and_unknown_modes(rig: Rig) -> None:
    helpdesk = rig.engine.topology.accounts[1]
    out, _, code = run_line(rig.hosts["EXNODE2"], helpdesk, f"{SETUP} /mode:upgrade")
    assert code == 1 and "local Administrators" in out
    out, _, code = rig.run("EXNODE2", f"{SETUP} /mode:install /role:um")
    assert code == 1 and out.endswith(setupcom.ENCOUNTERED + "\r\n")


def test_setup_com_from_a_command_prompt_in_the_media_folder(rig: Rig) -> None:
    out, err, code = rig.run("EXNODE2", "cd /d D:\\Exchange2007SP2 && cd")
    assert (out, err, code) == ("D:\\Exchange2007SP2\r\n", "", 0)
    # Without /d, cmd.exe stays on drive C: and setup.com is not found.
    out, err, code = rig.run("EXNODE2", "cd D:\\Exchange2007SP2 && setup.com /mode:upgrade")
    assert code == 9009 and err.startswith("'setup.com' is not recognized")
    out, err, code = rig.run("EXNODE2", "cd /d D:\\Nope")
    assert (err, code) == ("The system cannot find the path specified.\r\n", 1)
    out, _, code = rig.run("EXNODE2", 'pushd "D:\\Exchange2007SP2" && .\\setup.com /mode:upgrade')
    assert code == 0 and out.endswith(setupcom.SUCCESS + "\r\n")
    assert rig.engine.node("EXNODE2").exchange_version == "8.2.176.2"


def test_a_running_performance_counter_reader_fails_setup(reference: Path, rig: Rig) -> None:
    rig.engine.start_service("EXNODE2", "HealthService")
    failed = _sample_lines(reference / "setup" / "setup-com-mode-install_failed_ex2007sp1.txt")
    idx = next(i for i, ln in enumerate(failed) if ln.startswith("The Exchange Server Setup operation"))
    footer = [failed[idx] + failed[idx + 1], failed[idx + 2]]
    out, _, code = rig.run("EXNODE2", f"{SETUP} /mode:upgrade")
    lines = out.split("\r\n")[:-1]
    assert code == 1 and lines[-2:] == footer
    assert lines[-4] == setupcom.step_prefix("Mailbox Server Role") + " FAILED"
    assert "in use by HealthService (OpsMgr Health Service)" in lines[-3]
    # Nothing upgraded; the services setup stopped run again, and a rerun after stopping the
    # agent succeeds.
    info = rig.engine.node("EXNODE2")
    assert info.exchange_version == "8.1.240.6" and info.services["ClusSvc"] and info.services["MSExchangeIS"]
    rig.engine.stop_service("EXNODE2", "HealthService")
    assert rig.run("EXNODE2", f"{SETUP} /mode:upgrade")[2] == 0
