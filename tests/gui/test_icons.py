"""Every state has a hand-written SVG icon, and icons stay sharp at high DPI."""

from __future__ import annotations

import defusedxml.ElementTree as ET
import pytest

from ccrgui.domain.model import CopyStatus, GroupState, InterfaceState, NetworkState, NodeState
from ccrgui.gui import icons

NAMES = [
    "up",
    "down",
    "paused",
    "joining",
    "online",
    "offline",
    "failed",
    "partially-online",
    "pending",
    "unknown",
    "cluster",
    "node",
    "group",
    "exchange",
    "storage",
    "network",
    "events",
    "quorum",
    "replication",
    "root",
    "folder",
]


@pytest.mark.parametrize("name", NAMES)
def test_svg_is_valid(name: str) -> None:
    root = ET.parse(icons.icon_path(name)).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 16 16"


def test_every_state_has_a_badge() -> None:
    for enum in (NodeState, GroupState, NetworkState, InterfaceState, CopyStatus):
        for state in enum:
            badge = icons.badge_for(state)
            assert icons.icon_path(badge).is_file()
            if state.name != "UNKNOWN":
                assert badge != "unknown", state
    assert icons.badge_for(NodeState.PAUSED) == "paused"
    assert icons.badge_for(GroupState.PARTIALLY_ONLINE) == "partially-online"


def test_high_dpi_pixmaps_are_rendered_not_scaled(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSize

    icon = icons.icon("node", "paused")
    assert QSize(32, 32) in icon.availableSizes() and QSize(64, 64) in icon.availableSizes()
    pm = icon.pixmap(QSize(16, 16), 2.0)
    assert pm.deviceIndependentSize().toSize() == QSize(16, 16)
    assert pm.width() == 32
    # The badge is drawn in the corner: its colour (amber) is there, the node's grey is elsewhere.
    img = icon.pixmap(QSize(64, 64)).toImage()
    corner = img.pixelColor(45, 45)  # between the pause bars
    assert corner.red() > 200 and corner.green() > 150 and corner.blue() < 80, corner.name()
    assert icons.icon("node", "paused") is icon  # cached
