"""Labels that never interpret their text as HTML.

Names and error texts come from remote hosts: a group called `<b>EXCH1</b>` or an error with
`<img ...>` must be shown as typed, not rendered (QLabel and QMessageBox guess rich text).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def make_plain(*widgets: QLabel | QMessageBox) -> None:
    for w in widgets:
        w.setTextFormat(Qt.TextFormat.PlainText)


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip showing `text` as typed (Qt renders tooltips that look like HTML as HTML)."""
    if not text or ("<" not in text and "&" not in text):
        return text or None
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"
