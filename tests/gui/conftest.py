"""The main window the GUI tests against fake sessions share (test files with their own `window`
fixture, e.g. against the lab, override it)."""

from __future__ import annotations

import pytest
import pytest_asyncio

from ccrgui.gui.window import MainWindow


@pytest.fixture(autouse=True)
def _application(qapp):  # type: ignore[no-untyped-def]
    """Every GUI test has its QApplication, also when its file runs alone (models render icons)."""
    return qapp


@pytest_asyncio.fixture
async def window(qtbot):  # type: ignore[no-untyped-def]
    w = MainWindow(refresh_interval_s=60.0)
    w.show()
    yield w
    await w.manager.close()
    w.close()
    w.deleteLater()
