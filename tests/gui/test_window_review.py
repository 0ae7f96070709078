"""Review findings in the window's action paths: a refused name is an error box (not a lost task)
and the copy actions confirm with the session's own command line."""

from __future__ import annotations

import pytest

from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal
from ccrgui.gui import actions as A
from ccrgui.gui.tree import ItemRef, Kind
from ccrgui.gui.window import MainWindow
from ccrgui.quoting import UnsafeValueError
from tests.gui.fakes import FakeSession
from tests.gui.guitools import confirm, wait_for


class RefusingSession(FakeSession):
    """A session whose quoting refuses the node name while building the plan."""

    def plan(self, request: ActionRequest) -> Plan | Refusal:
        if request.kind is ActionKind.PAUSE_NODE:
            return Refusal("Pause", f"Not sent: {UnsafeValueError(request.target, 'a test refusal')}")
        return super().plan(request)


class CopyPreviewSession(FakeSession):
    """A session that knows the copy's identity better than the snapshot does."""

    def _lines(self, r: ActionRequest) -> list[str]:
        if r.kind is ActionKind.SUSPEND_COPY:
            return [f"Suspend-StorageGroupCopy -Identity 'EXCH1.contoso.com\\{r.target}' -C '{r.text}'"]
        if r.kind is ActionKind.RESUME_COPY:
            return [f"Resume-StorageGroupCopy -Identity 'EXCH1.contoso.com\\{r.target}'"]
        return super()._lines(r)


async def _connected(window: MainWindow, session: FakeSession) -> str:
    conn = window.add_session(session)
    await wait_for(
        lambda: window.tree_model.find(ItemRef(conn, Kind.GROUP, "EXCH1")).isValid(), what="snapshot"
    )
    return conn


@pytest.mark.asyncio
async def test_a_refused_name_shows_an_error_and_the_console_keeps_working(window: MainWindow) -> None:
    session = RefusingSession()
    conn = await _connected(window, session)
    window.select(ItemRef(conn, Kind.NODE, "EXNODE2"))
    window.actions_pane.button("Pause").click()
    await wait_for(lambda: window.error_boxes, what="error dialog")
    assert "a test refusal" in window.error_boxes[-1].text()
    assert session.calls == []  # nothing ran
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    window.actions_pane.button("Take this service or application offline").click()
    await confirm(window, "maintenance")
    await wait_for(lambda: session.calls, what="the next action")
    assert session.calls[0][0] == "offline"


@pytest.mark.asyncio
async def test_copy_actions_confirm_the_sessions_own_command(window: MainWindow) -> None:
    session = CopyPreviewSession()
    conn = await _connected(window, session)
    ref = ItemRef(conn, Kind.COPY, "First Storage Group")
    window.trigger(A.ActionSpec(A.SUSPEND_COPY, "Suspend Storage Group Copy…"), ref)
    dialog = await confirm(window, "backup")
    expected = session.preview(ActionRequest(ActionKind.SUSPEND_COPY, "First Storage Group", text="backup"))
    assert dialog.commands().splitlines() == expected
    await wait_for(lambda: session.calls, what="suspend")
    assert session.calls[0] == ("suspend", "First Storage Group", "backup")


class ValidatingSession(FakeSession):
    """A session with the real backend's validate-only preview."""

    def _lines(self, r: ActionRequest) -> list[str]:
        if r.kind is ActionKind.MOVE_GROUP and r.validate_only:
            return [
                f"Move-ClusteredMailboxServer -Identity 'EXCH1' -TargetMachine '{r.node}' "
                f"-MoveComment '{r.text}' -ValidateOnly -Confirm:$false"
            ]
        return super()._lines(r)


@pytest.mark.asyncio
async def test_validate_only_shows_the_validating_command(window: MainWindow) -> None:
    session = ValidatingSession()
    conn = await _connected(window, session)
    ref = ItemRef(conn, Kind.GROUP, "EXCH1")
    window.trigger(A.ActionSpec(A.MOVE_TO, "EXNODE2", target="EXNODE2"), ref)
    await wait_for(lambda: window.confirm_dialog is not None and window.confirm_dialog.isVisible())
    dialog = window.confirm_dialog
    assert dialog is not None
    dialog.input.setText("check")
    assert "-ValidateOnly" not in dialog.commands()  # a real move
    dialog.validate_only.setChecked(True)
    validate = ActionRequest(ActionKind.MOVE_GROUP, "EXCH1", "EXNODE2", "check", validate_only=True)
    assert dialog.commands().splitlines() == session.preview(validate)
    dialog.validate_only.setChecked(False)
    move = ActionRequest(ActionKind.MOVE_GROUP, "EXCH1", "EXNODE2", "check")
    assert dialog.commands().splitlines() == session.preview(move)
    dialog.validate_only.setChecked(True)
    await confirm(window)
    await wait_for(lambda: session.calls == [("validate", "EXNODE2", "check")], what="validation")
    entry = window.oplog.model.entries()[-1]
    assert entry.action.startswith("Validate moving EXCH1")


class RefusedPreviewSession(FakeSession):
    """Previews the way the real session does when quoting refuses the name."""

    def plan(self, request: ActionRequest) -> Plan | Refusal:
        if request.kind is ActionKind.OFFLINE_GROUP:
            return Refusal("Take offline", "Not sent: refusing to send '-Evil': a test refusal")
        return super().plan(request)


@pytest.mark.asyncio
async def test_confirmation_cannot_be_accepted_when_nothing_would_run(window: MainWindow) -> None:
    session = RefusedPreviewSession()
    conn = await _connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    window.actions_pane.button("Take this service or application offline").click()
    await wait_for(lambda: window.confirm_dialog is not None and window.confirm_dialog.isVisible())
    dialog = window.confirm_dialog
    assert dialog is not None
    dialog.input.setText("maintenance")  # the reason is there; the refusal still blocks
    assert not dialog.ok_button.isEnabled()
    assert "a test refusal" in dialog.ok_button.toolTip()
    dialog.reject()
    assert session.calls == []


def test_the_backend_refuses_an_unquotable_name_with_a_typed_refusal() -> None:
    from ccrgui.remote.planner import PlanFacts, build_plan

    plan = build_plan(ActionRequest(ActionKind.PAUSE_NODE, "EX\nNODE2"), PlanFacts(None, None, None))
    assert isinstance(plan, Refusal) and plan.reason.startswith("Not sent: ")
