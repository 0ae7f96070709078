"""State and object icons drawn from the hand-written SVGs in resources/icons.

Icons are rendered from vector sources at the exact device size requested (a custom icon engine),
so they stay crisp at any DPI; an object icon can carry a state badge in its lower-right corner,
as Failover Cluster Management draws a node or a service with its state.
"""

from __future__ import annotations

import enum
from functools import cache
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap
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


class _BadgedSvgEngine(QIconEngine):
    """Paints a base SVG and an optional state badge; greyed items are drawn translucent."""

    def __init__(self, base: str, badge: str = "", grey: bool = False) -> None:
        super().__init__()
        self._base, self._badge, self._grey = base, badge, grey

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        if self._grey or mode == QIcon.Mode.Disabled:
            painter.setOpacity(0.45)
        r = QRectF(rect)
        if self._badge and self._badge != self._base:
            _renderer(self._base).render(painter, r)
            side = r.width() * 0.58
            badge = QRectF(r.right() - side, r.bottom() - side, side, side)
            _renderer(self._badge).render(painter, badge)
        else:
            _renderer(self._badge or self._base).render(painter, r)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        device = QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
        pm = QPixmap(device)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(0, 0, device.width(), device.height()), mode, state)
        painter.end()
        pm.setDevicePixelRatio(scale)
        return pm

    def clone(self) -> QIconEngine:
        return _BadgedSvgEngine(self._base, self._badge, self._grey)


_icon_cache: dict[tuple[str, str, bool], QIcon] = {}


def icon(base: str, badge: str = "", grey: bool = False) -> QIcon:
    """An icon for `base` (e.g. "node") with a state `badge` (e.g. "paused"); cached."""
    key = (base, badge, grey)
    found = _icon_cache.get(key)
    if found is None:
        icon_path(base)
        if badge:
            icon_path(badge)
        found = QIcon(_BadgedSvgEngine(base, badge, grey))
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
