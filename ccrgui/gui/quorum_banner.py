"""The banner above the center pane when a cluster's quorum is at risk (one more failure stops
the cluster: the witness failed or a node is down) or lost (an error state)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QWidget

from ccrgui.domain.maintenance import QuorumHealth
from ccrgui.domain.quorumhealth import QuorumAssessment, assess
from ccrgui.gui.state import ClusterEntry, ConnState

STYLES = {
    QuorumHealth.AT_RISK: "background: #fff4ce; color: #5c4400; border: 1px solid #e0b000; padding: 6px;",
    QuorumHealth.LOST: "background: #fde7e9; color: #8b0000; border: 1px solid #c62828; padding: 6px;"
    " font-weight: bold;",
}


class QuorumBanner(QLabel):
    """Hidden while every connected cluster's quorum is OK."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quorumBanner")
        self.setAccessibleName("Quorum warning")
        self.setWordWrap(True)
        self.setTextFormat(self.textFormat().PlainText)
        self.health = QuorumHealth.OK
        self.hide()

    def update_from(self, entries: Mapping[str, ClusterEntry]) -> None:
        found: list[tuple[str, QuorumAssessment]] = []
        for e in entries.values():
            if e.state is ConnState.CONNECTED and e.snapshot is not None:
                a = assess(e.snapshot)
                if a is not None and a.health is not QuorumHealth.OK:
                    found.append((e.label, a))
        if not found:
            self.health = QuorumHealth.OK
            self.hide()
            return
        lost = any(a.health is QuorumHealth.LOST for _, a in found)
        self.health = QuorumHealth.LOST if lost else QuorumHealth.AT_RISK
        self.setText("\n".join(f"{label}: {a.reason}" for label, a in found))
        self.setStyleSheet(STYLES[self.health])
        self.show()


__all__ = ["QuorumBanner"]
