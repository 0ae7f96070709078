"""Fixtures for the backend tests: the PySide6 6.12 refcount work-around and lab helpers."""

from __future__ import annotations

from tests.integration import qt_refcount_fix

# Without it long async tests abort the interpreter (see qt_refcount_fix).
qt_refcount_fix.install()
