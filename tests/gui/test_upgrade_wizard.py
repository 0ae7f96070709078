"""The "Upgrade Exchange on this cluster" wizard (pytest-qt) driving the upgrade engine against
the lab over real WinRM: end to end, a failing setup.com, and closing it mid-step then
reopening it to resume."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from ccrgui.domain.model import CmsState
from ccrgui.domain.upgrade.journal import Journal
from ccrgui.domain.upgrade.procedure import EventKind, UpgradeEvent
from ccrgui.gui.oplog import FAILED, SUCCEEDED, OpLogModel
from ccrgui.gui.upgrade_wizard import CHECKS, CHOOSE, RUN, UpgradeWizard
from ccrgui.lab.lab import Lab
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info
from tests.gui.guitools import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.timeout(180)]

SP2 = "D:\\Exchange2007SP2"


@pytest.fixture
def fast_lab(qapp) -> Iterator[Lab]:  # type: ignore[no-untyped-def]
    qapp.setQuitOnLastWindowClosed(False)  # closing the wizard must not stop the test's loop
    with Lab(speed=2000.0, events=20) as running:
        yield running


def _session(lab: Lab, tmp_path: Path) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    return WinRMClusterSession(
        settings, password, audit=AuditLog(tmp_path / "audit.jsonl"), time_scale=lab.clock.speed
    )


def _status(wiz: UpgradeWizard, step_id: str) -> str:
    page = wiz.run_page
    item = page._item(step_id)
    assert item is not None, step_id
    return item.text(1)


async def _to_run_page(qtbot, wiz: UpgradeWizard, *, untick: bool = False) -> None:  # type: ignore[no-untyped-def]
    qtbot.addWidget(wiz)
    wiz.open()
    assert wiz.currentId() == CHOOSE
    wiz.choose.folder.setText(SP2)
    wiz.next()
    assert wiz.currentId() == CHECKS
    page = wiz.check_page
    await wait_for(lambda: page.report is not None, 30, "the pre-checks")
    items = [page.checks.topLevelItem(i) for i in range(page.checks.topLevelItemCount())]
    shown = [item.text(0) for item in items if item is not None]
    assert "EXCH1 is Online" in shown and "setup.com in D:\\Exchange2007SP2 on EXNODE2" in shown
    assert page.services.count() == 1 and page.services.item(0).text() == (
        "EXNODE2: HealthService (OpsMgr Health Service)"
    )
    # Every check passed, but Next waits for the backup confirmation.
    assert not wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    if untick:
        page.services.item(0).setCheckState(Qt.CheckState.Unchecked)
    page.backup.setChecked(True)
    assert wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    wiz.next()
    assert wiz.currentId() == RUN


@pytest.mark.asyncio
async def test_wizard_upgrades_the_cluster_end_to_end(qtbot, fast_lab: Lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lab = fast_lab
    s = _session(lab, tmp_path)
    oplog = OpLogModel()
    wiz = UpgradeWizard(None, s, tmp_path / "journal.json", oplog)
    wiz.choose.move_back.setChecked(True)
    await _to_run_page(qtbot, wiz)
    page = wiz.run_page
    assert not wiz.button(QWizard.WizardButton.FinishButton).isEnabled()
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: page.outcome is not None, 90, "the upgrade")
    assert page.outcome is not None and page.outcome.ok and page.outcome.finished, page.error.text()
    assert wiz.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert all(
        _status(wiz, sid) in ("Done", "Already done") for sid in ("EXNODE2:setup", "cms:upgrade", "verify")
    )
    # The lab: both nodes and the CMS at the new build, the CMS Online on the node chosen (moved
    # back), the monitoring agent running again.
    assert {n.exchange_version for n in lab.engine.nodes()} == {"8.2.176.2"}
    cms = lab.engine.cms_status()
    assert (cms.version, cms.state, cms.active_node) == ("8.2.176.2", CmsState.ONLINE, "EXNODE1")
    assert lab.engine.service_running("EXNODE2", "HealthService")
    # setup.com's progress: the bar full, its steps listed; every command in the operations log.
    assert page.setup_bar.value() == page.setup_bar.maximum() > 0
    assert page.setup_steps.count() >= 2
    assert (
        "setup.com: The Microsoft Exchange Server setup operation completed successfully."
        == page.setup_label.text()
    )
    logged = "\n".join(e.command for e in oplog.entries())
    assert "D:\\Exchange2007SP2\\setup.com /upgradecms" in logged and "Move-ClusteredMailboxServer" in logged
    assert {e.status for e in oplog.entries()} == {SUCCEEDED}
    assert "Stop-ClusteredMailboxServer" in page.output.toPlainText()
    wiz.accept()
    await s.close()


@pytest.mark.asyncio
async def test_wizard_shows_setup_failure_with_advice(qtbot, fast_lab: Lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = _session(fast_lab, tmp_path)
    oplog = OpLogModel()
    wiz = UpgradeWizard(None, s, tmp_path / "journal.json", oplog)
    await _to_run_page(qtbot, wiz, untick=True)  # the admin keeps the monitoring agent running
    page = wiz.run_page
    page.start()
    await wait_for(lambda: page.outcome is not None, 60, "the failure")
    assert page.outcome is not None and not page.outcome.ok
    assert _status(wiz, "EXNODE2:setup") == "Failed"
    text = page.error.text()
    assert "in use by HealthService" in text and "What to do: Read setup's error" in text
    assert page.start_button.text() == "Retry from the failed step" and page.start_button.isEnabled()
    assert "FAILED" in page.setup_label.text() or "did not complete" in page.setup_label.text()
    assert FAILED in {e.status for e in oplog.entries()}
    wiz.reject()
    await s.close()


@pytest.mark.asyncio
async def test_wizard_closed_mid_step_resumes_when_reopened(qtbot, fast_lab: Lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lab = fast_lab
    s = _session(lab, tmp_path)
    path = tmp_path / "journal.json"
    wiz = UpgradeWizard(None, s, path, OpLogModel())
    await _to_run_page(qtbot, wiz)
    page = wiz.run_page
    shown = page.on_event

    def close_when_restarting(e: UpgradeEvent) -> None:
        shown(e)
        if e.kind is EventKind.COMMANDS and e.step.id == "EXNODE2:reboot":
            asyncio.get_running_loop().call_soon(wiz.reject)  # the admin closes it mid-step

    page.on_event = close_when_restarting  # type: ignore[method-assign]
    page.start()
    task = wiz.run_page.task
    assert task is not None
    await wait_for(task.done, 10, "the run to stop")
    journal = Journal.load(path)
    assert journal is not None and "EXNODE2:setup" in journal.done and "EXNODE2:reboot" not in journal.done

    again = UpgradeWizard(None, s, path, OpLogModel())
    qtbot.addWidget(again)
    again.open()
    assert again.resuming and again.choose.resume_label.text().startswith("An upgrade of EXCLUS1")
    again.next()
    assert again.currentId() == RUN  # straight to the steps: the pre-checks were passed before
    assert _status(again, "EXNODE2:setup") == "Done" and _status(again, "EXNODE2:reboot") == ""
    assert again.run_page.start_button.text() == "Resume the upgrade"
    again.run_page.start()
    await wait_for(lambda: again.run_page.outcome is not None, 90, "the resumed upgrade")
    assert again.run_page.outcome is not None and again.run_page.outcome.finished, again.run_page.error.text()
    assert {n.exchange_version for n in lab.engine.nodes()} == {"8.2.176.2"}
    assert lab.engine.cms_status().state is CmsState.ONLINE
    # One restart of Node 2 only: the resumed step saw the newer boot.
    restarts = [r for r in lab.received.items("EXNODE2") if "shutdown.exe /r" in r.text]
    assert len(restarts) == 1
    again.accept()
    await s.close()


@pytest.mark.asyncio
async def test_console_menu_opens_the_wizard_and_marks_the_cluster_busy(qtbot, qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ccrgui.gui import actions as A
    from ccrgui.gui.tree import ItemRef, Kind
    from ccrgui.gui.window import MainWindow
    from tests.gui.fakes import FakeSession

    qapp.setQuitOnLastWindowClosed(False)
    window = MainWindow(refresh_interval_s=60.0)
    window.upgrade_journal_dir = tmp_path
    window.show()
    conn = window.add_session(FakeSession())
    cms = ItemRef(conn, Kind.GROUP, "EXCH1")
    await wait_for(lambda: window.tree_model.find(cms).isValid(), 10, "the snapshot")
    for ref in (ItemRef(conn, Kind.CLUSTER), cms):
        assert [s.text for s in window._specs(ref) if s.id == A.UPGRADE] == [
            "Upgrade Exchange on this cluster…"
        ]
    spec = next(s for s in window._specs(cms) if s.id == A.UPGRADE)
    window.trigger(spec, cms)
    await wait_for(lambda: conn in window.upgrade_wizards, 10, "the wizard")
    wiz = window.upgrade_wizards[conn]
    assert wiz.isVisible() and wiz.windowTitle() == "Upgrade Exchange on EXCLUS1"
    assert not wiz.isModal()  # the console stays usable while the upgrade runs
    assert wiz.proc.journal_path.parent == tmp_path
    assert window.open_upgrade(conn) is wiz  # one wizard per cluster
    assert wiz.on_running is not None
    wiz.on_running(True)  # while steps run, no other action on this cluster
    pause = next(s for s in window._specs(ItemRef(conn, Kind.NODE, "EXNODE2")) if s.id == A.PAUSE)
    assert not pause.enabled and "Upgrade Exchange" in pause.reason
    wiz.on_running(False)
    wiz.reject()
    await window.manager.close()
    window.close()


def test_damaged_journal_is_reported_and_a_new_upgrade_can_start(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.gui.fakes import FakeSession

    path = tmp_path / "journal.json"
    path.write_text("{damaged", encoding="utf-8")
    wiz = UpgradeWizard(None, FakeSession(), path)
    qtbot.addWidget(wiz)
    wiz.open()
    assert not wiz.resuming and "could not be read" in wiz.choose.resume_label.text()
    assert not wiz.choose.resume_label.isHidden()
    wiz.choose.folder.setText(SP2)
    assert wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    wiz.reject()
