"""A small time chart painted with QPainter: a time axis, one or more series, and event marks
(suspend, resume, move, failover) on the time axis with tooltips.

Why not QtCharts: PySide6-Addons must match PySide6-Essentials exactly and would add its large
payload to the MSI.  Every text drawn comes from remote hosts or users (series and mark names):
QPainter.drawText never interprets markup, and tooltips go through `plain_tooltip`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QHelpEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ccrgui.gui.plaintext import plain_tooltip

SERIES_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MARK_COLOR = "#7a5c00"
_TIME_STEPS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=7),
    timedelta(days=30),
)
SINGLE_POINT_SPAN = timedelta(minutes=30)  # each side of a lone time
MARK_HIT_PX = 4


@dataclass(frozen=True)
class ChartSeries:
    name: str
    points: tuple[tuple[datetime, float], ...]  # aware times, any order


@dataclass(frozen=True)
class ChartMark:
    at: datetime
    label: str  # e.g. "suspend"
    detail: str = ""  # e.g. the storage group and comment


def nice_ceiling(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above `value` (at least 1): the top of the value axis."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * power >= value:
            return float(m * power)
    return float(10 * power)


def time_step(span: timedelta, max_ticks: int = 6) -> timedelta:
    return next((s for s in _TIME_STEPS if span / s <= max_ticks), _TIME_STEPS[-1])


class TimeChart(QWidget):
    """Series of values over time with event marks; empty and one-point data are drawn too."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: tuple[ChartSeries, ...] = ()
        self._marks: tuple[ChartMark, ...] = ()
        self._start: datetime | None = None
        self._end: datetime | None = None
        self._top = 1.0
        self._title = ""
        self.empty_text = "No samples yet"
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 140)

    # ---- data ----------------------------------------------------------------------------------

    def set_title(self, title: str) -> None:
        self._title = title
        self.update()

    def set_data(
        self,
        series: Sequence[ChartSeries],
        marks: Sequence[ChartMark] = (),
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """Show `series` and `marks`; the time axis spans `start`..`end` (default: the data)."""
        self._series = tuple(series)
        self._marks = tuple(marks)
        times = [t for s in self._series for t, _ in s.points] + [m.at for m in self._marks]
        lo = start or (min(times) if times else None)
        hi = end or (max(times) if times else None)
        if lo is not None and hi is not None and hi <= lo:
            lo, hi = lo - SINGLE_POINT_SPAN, hi + SINGLE_POINT_SPAN
        self._start, self._end = lo, hi
        values = [v for s in self._series for _, v in s.points]
        self._top = nice_ceiling(max(values, default=0.0))
        self.update()

    @property
    def series(self) -> tuple[ChartSeries, ...]:
        return self._series

    @property
    def marks(self) -> tuple[ChartMark, ...]:
        return self._marks

    def has_data(self) -> bool:
        return any(s.points for s in self._series) or bool(self._marks)

    # ---- geometry (public for tests and tooltips) ---------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(480, 220)

    def legend_layout(self) -> list[tuple[QRect, str, int]]:
        """Where each series' legend entry goes (swatch + name), wrapped onto as many rows as the
        width needs, so no series is left out of the legend."""
        fm = QFontMetrics(self.font())
        left = fm.horizontalAdvance("00000") + 14
        right = self.width() - 12
        x, row = left, 0
        out = []
        for i, s in enumerate(self._series):
            name = fm.elidedText(s.name, Qt.TextElideMode.ElideRight, max(60, min(320, right - left - 16)))
            width = 16 + fm.horizontalAdvance(name) + 14
            if x > left and x + width > right:
                x, row = left, row + 1
            out.append((QRect(x, row * fm.height(), width, fm.height()), name, i))
            x += width
        return out

    def _legend_rows(self) -> int:
        layout = self.legend_layout()
        return 1 + max((r.y() for r, _, _ in layout), default=0) // max(1, QFontMetrics(self.font()).height())

    def plot_rect(self) -> QRect:
        fm = QFontMetrics(self.font())
        left = fm.horizontalAdvance("00000") + 10
        top = fm.height() * ((1 if self._title else 0) + self._legend_rows()) + 8
        bottom = fm.height() + 10
        return QRect(left, top, max(1, self.width() - left - 12), max(1, self.height() - top - bottom))

    def x_for(self, when: datetime) -> float:
        r = self.plot_rect()
        if self._start is None or self._end is None:
            return float(r.x())
        span = (self._end - self._start).total_seconds() or 1.0
        return r.x() + r.width() * (when - self._start).total_seconds() / span

    def y_for(self, value: float) -> float:
        r = self.plot_rect()
        return r.y() + r.height() * (1.0 - value / self._top)

    def mark_at(self, pos: QPoint) -> ChartMark | None:
        """The mark whose line passes within a few pixels of `pos` inside the plot."""
        r = self.plot_rect().adjusted(0, -MARK_HIT_PX * 2, 0, MARK_HIT_PX * 2)
        if not r.contains(pos):
            return None
        hits = [(abs(self.x_for(m.at) - pos.x()), i) for i, m in enumerate(self._marks)]
        close = [h for h in hits if h[0] <= MARK_HIT_PX]
        return self._marks[min(close)[1]] if close else None

    def tooltip_text_at(self, pos: QPoint) -> str | None:
        mark = self.mark_at(pos)
        if mark is not None:
            when = mark.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            return f"{when}  {mark.label}" + (f"\n{mark.detail}" if mark.detail else "")
        return None

    # ---- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.fillRect(self.rect(), self.palette().base())
            if self._title:
                p.setPen(self.palette().text().color())
                p.drawText(
                    QRect(6, 2, self.width() - 12, QFontMetrics(self.font()).height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    self._title,
                )
            if not self.has_data():
                p.setPen(self.palette().placeholderText().color())
                p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
                return
            self._paint_axes(p)
            self._paint_marks(p)
            self._paint_series(p)
            self._paint_legend(p)
        finally:
            p.end()

    def _paint_axes(self, p: QPainter) -> None:
        r = self.plot_rect()
        fm = QFontMetrics(self.font())
        grid = QColor(self.palette().mid().color())
        grid.setAlpha(90)
        text = self.palette().text().color()
        for k in range(5):
            value = self._top * k / 4
            y = round(self.y_for(value))
            p.setPen(QPen(grid, 1))
            p.drawLine(r.left(), y, r.right(), y)
            p.setPen(text)
            label = f"{value:g}"
            p.drawText(
                QRect(0, y - fm.height() // 2, r.left() - 6, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        assert self._start is not None and self._end is not None
        span = self._end - self._start
        step = time_step(span)
        local_start = self._start.astimezone()
        first = local_start.replace(second=0, microsecond=0)
        seconds = step.total_seconds()
        epoch = first.timestamp()
        tick = datetime.fromtimestamp(math.ceil(epoch / seconds) * seconds, first.tzinfo)
        if step >= timedelta(days=1):
            tick = tick.replace(hour=0, minute=0)
        fmt = "%H:%M" if span <= timedelta(days=1) else "%d %b %H:%M" if step < timedelta(days=1) else "%d %b"
        while tick <= self._end:
            if tick >= self._start:
                x = round(self.x_for(tick))
                p.setPen(QPen(grid, 1))
                p.drawLine(x, r.top(), x, r.bottom())
                p.setPen(text)
                label = tick.strftime(fmt)
                w = fm.horizontalAdvance(label)
                left = min(x - w // 2 - 2, self.width() - w - 6)  # the last label stays inside
                p.drawText(
                    QRect(left, r.bottom() + 4, w + 4, fm.height()), Qt.AlignmentFlag.AlignCenter, label
                )
            tick += step
        p.setPen(QPen(text, 1))
        p.drawLine(r.bottomLeft(), r.bottomRight())
        p.drawLine(r.bottomLeft(), r.topLeft())

    def _paint_marks(self, p: QPainter) -> None:
        r = self.plot_rect()
        color = QColor(MARK_COLOR)
        pen = QPen(color, 1, Qt.PenStyle.DashLine)
        for m in self._marks:
            x = round(self.x_for(m.at)) + 0.5  # on a pixel's centre: a crisp 1-pixel line
            p.setPen(pen)
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            b = float(r.bottom())
            p.drawPolygon(QPolygonF([QPointF(x, b - 7), QPointF(x - 5, b), QPointF(x + 5, b)]))
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_series(self, p: QPainter) -> None:
        for i, s in enumerate(self._series):
            color = QColor(SERIES_COLORS[i % len(SERIES_COLORS)])
            points = sorted(s.points)
            if not points:
                continue
            path = QPainterPath(QPointF(self.x_for(points[0][0]), self.y_for(points[0][1])))
            for when, value in points[1:]:
                path.lineTo(QPointF(self.x_for(when), self.y_for(value)))
            p.setPen(QPen(color, 2))
            p.drawPath(path)
            if len(points) <= 1 or len(points) * 6 < self.plot_rect().width() // 4:
                p.setBrush(color)
                for when, value in points:
                    p.drawEllipse(QPointF(self.x_for(when), self.y_for(value)), 3, 3)
                p.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_legend(self, p: QPainter) -> None:
        fm = QFontMetrics(self.font())
        top = self.plot_rect().top() - self._legend_rows() * fm.height() - 2
        p.setPen(self.palette().text().color())
        for rect, name, i in self.legend_layout():
            y = top + rect.y()
            color = QColor(SERIES_COLORS[i % len(SERIES_COLORS)])
            p.fillRect(QRectF(rect.x(), y + fm.height() / 2 - 2, 12, 4), color)
            p.drawText(
                QRect(rect.x() + 16, y, rect.width() - 16, fm.height()), Qt.AlignmentFlag.AlignVCenter, name
            )

    # ---- tooltips ------------------------------------------------------------------------------

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            text = self.tooltip_text_at(e.pos())
            if text:
                QToolTip.showText(e.globalPos(), plain_tooltip(text) or "", self)
            else:
                QToolTip.hideText()
                e.ignore()
            return True
        return super().event(e)
