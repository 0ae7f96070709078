"""Helpers for driving the window in async tests without blocking Qt (see the qt-async notes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from ccrgui.gui.dialogs import ConfirmDialog
from ccrgui.gui.window import MainWindow


async def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Poll `predicate` while the qasync loop keeps running Qt; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def menu_action(menu: QMenu, *path: str) -> QAction:
    """The action at `path` (texts) in `menu`, descending into submenus."""
    current = menu
    for i, text in enumerate(path):
        found = next((a for a in current.actions() if a.text().replace("&", "") == text), None)
        if found is None:
            raise AssertionError(f"{text!r} not in {[a.text() for a in current.actions()]}")
        if i == len(path) - 1:
            return found
        sub = found.menu()
        assert isinstance(sub, QMenu)
        current = sub
    raise AssertionError("empty path")


async def confirm(window: MainWindow, text: str = "", timeout: float = 5.0) -> ConfirmDialog:
    """Wait for the confirmation dialog, type `text` into its field and accept it."""
    await wait_for(
        lambda: window.confirm_dialog is not None and window.confirm_dialog.isVisible(),
        timeout,
        "the confirmation dialog",
    )
    dialog = window.confirm_dialog
    assert dialog is not None
    if text:
        assert not dialog.ok_button.isEnabled()
        dialog.input.setText(text)
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    window.confirm_dialog = None
    return dialog
