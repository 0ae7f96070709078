"""State and object icons drawn from the hand-written SVGs in resources/icons.

Icons are rendered from the vector sources at every common device size, so they stay crisp at
high DPI; an object icon can carry a state badge in its lower-right corner,
as Failover Cluster Management draws a node or a service with its state.
"""

from __future__ import annotations

import enum
from functools import cache
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from ccrgui.domain.model import (
    CmsState,
    CopyStatus,
    GroupState,
    InterfaceState,
    NetworkState,
    NodeState,
)


def resources_dir() -> Path:
    """resources/ beside the package in a checkout, or inside the package when installed."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "resources", here.parents[2] / "resources"):
        if (candidate / "icons").is_dir():
            return candidate
    raise FileNotFoundError("resources/icons not found next to the ccrgui package")


def icon_path(name: str) -> Path:
    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


@cache
def _renderer(name: str) -> QSvgRenderer:
    renderer = QSvgRenderer(str(icon_path(name)))
    if not renderer.isValid():
        raise ValueError(f"invalid SVG icon: {name}")
    return renderer


# Device-pixel sizes rendered for each icon: 16 px icons at 100–400 % scaling (and 24/32 px ones
# at up to 200 %); QIcon picks the closest size for the requested size times the scale factor.
# Larger sizes are left out: each render costs time on the GUI thread at first display.
_SIZES = (16, 20, 24, 32, 40, 48, 64)


def _render(base: str, badge: str, grey: bool, px: int) -> QPixmap:
    """Draw `base` with `badge` in its lower-right corner straight from the vectors at `px`."""
    pm = QPixmap(QSize(px, px))
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if grey:
        painter.setOpacity(0.45)
    r = QRectF(0, 0, px, px)
    if badge and badge != base:
        _renderer(base).render(painter, r)
        side = px * 0.58
        _renderer(badge).render(painter, QRectF(px - side, px - side, side, side))
    else:
        _renderer(badge or base).render(painter, r)
    painter.end()
    return pm


_icon_cache: dict[tuple[str, str, bool], QIcon] = {}


def icon(base: str, badge: str = "", grey: bool = False) -> QIcon:
    """An icon for `base` (e.g. "node") with a state `badge` (e.g. "paused"); cached.

    Rendered from the SVGs at every size in _SIZES, so it is sharp at high DPI (a Python
    QIconEngine subclass would paint on demand but crashes PySide6 at interpreter exit).
    """
    key = (base, badge, grey)
    found = _icon_cache.get(key)
    if found is None:
        found = QIcon()
        for px in _SIZES:
            found.addPixmap(_render(base, badge, grey, px))
        _icon_cache[key] = found
    return found


_STATE_BADGES: dict[enum.Enum, str] = {
    NodeState.UP: "up",
    NodeState.DOWN: "down",
    NodeState.PAUSED: "paused",
    NodeState.JOINING: "joining",
    GroupState.ONLINE: "online",
    GroupState.OFFLINE: "offline",
    GroupState.FAILED: "failed",
    GroupState.PARTIALLY_ONLINE: "partially-online",
    GroupState.ONLINE_PENDING: "pending",
    GroupState.OFFLINE_PENDING: "pending",
    GroupState.PENDING: "pending",
    CmsState.ONLINE: "online",
    CmsState.PARTIALLY_ONLINE: "partially-online",
    CmsState.ONLINE_PENDING: "pending",
    CmsState.OFFLINE: "offline",
    CmsState.OFFLINE_PENDING: "pending",
    CmsState.FAILED: "failed",
    NetworkState.UP: "up",
    NetworkState.DOWN: "down",
    NetworkState.PARTITIONED: "failed",
    NetworkState.UNAVAILABLE: "offline",
    InterfaceState.UP: "up",
    InterfaceState.FAILED: "failed",
    InterfaceState.UNREACHABLE: "down",
    InterfaceState.UNAVAILABLE: "offline",
    CopyStatus.HEALTHY: "online",
    CopyStatus.FAILED: "failed",
    CopyStatus.SUSPENDED: "paused",
    CopyStatus.SEEDING: "pending",
    CopyStatus.INITIALIZING: "pending",
    CopyStatus.RESYNCHRONIZING: "pending",
    CopyStatus.SERVICE_DOWN: "down",
    CopyStatus.STOPPED: "offline",
    CopyStatus.DISABLED: "offline",
    CopyStatus.NOT_SUPPORTED: "offline",
}


def badge_for(state: enum.Enum | None) -> str:
    """The badge icon name for any domain state enum ("unknown" when not mapped)."""
    if state is None:
        return "unknown"
    return _STATE_BADGES.get(state, "unknown")
