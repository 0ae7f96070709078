"""The painted time chart: geometry, marks with plain-text tooltips, empty and one-point data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from ccrgui.gui.widgets.chart import (
    MARK_COLOR,
    SERIES_COLORS,
    ChartMark,
    ChartSeries,
    TimeChart,
    nice_ceiling,
    time_step,
)

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
HOSTILE = "<b>SG</b> & <img src=x>"


def _chart(qtbot: QtBot) -> TimeChart:
    chart = TimeChart()
    qtbot.addWidget(chart)
    chart.resize(600, 260)
    return chart


def _image(chart: TimeChart) -> QImage:
    return chart.grab().toImage()


def _color_near(img: QImage, x: float, y: float, color: str, radius: int = 2) -> bool:
    want = QColor(color)
    dpr = img.devicePixelRatio()
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = img.pixelColor(round((x + dx) * dpr), round((y + dy) * dpr))
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 60:
                return True
    return False


def _line_at(img: QImage, x: float, y0: int, y1: int) -> bool:
    """A dashed mark line: most 6-pixel stretches of the column at `x` have its color."""
    hits = [
        any(_color_near(img, x, y + k, MARK_COLOR, radius=0) for k in range(6)) for y in range(y0, y1 - 6, 6)
    ]
    return sum(hits) >= 0.8 * len(hits)


def _count(img: QImage, color: str) -> int:
    want = QColor(color)
    n = 0
    for x in range(0, img.width(), 2):
        for y in range(0, img.height(), 2):
            c = img.pixelColor(x, y)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 40:
                n += 1
    return n


def test_series_and_marks_land_where_their_times_are(qtbot: QtBot, tmp_path: Path) -> None:
    chart = _chart(qtbot)
    copy = ChartSeries(
        "EXCH1\\First Storage Group copy queue",
        tuple((T0 + timedelta(minutes=10 * i), float(i % 4)) for i in range(13)),
    )
    replay = ChartSeries(
        HOSTILE, tuple((T0 + timedelta(minutes=10 * i), 8.0 if i == 6 else 1.0) for i in range(13))
    )
    mark = ChartMark(T0 + timedelta(minutes=45), "suspend", f"{HOSTILE} comment <i>x</i>")
    chart.set_data([copy, replay], [mark])
    chart.set_title("Replication — EXCLUS1")
    img = _image(chart)
    img.save(str(tmp_path / "chart.png"))
    r = chart.plot_rect()
    assert chart.x_for(T0) == pytest.approx(r.x())
    assert chart.x_for(T0 + timedelta(hours=2)) == pytest.approx(r.x() + r.width())
    assert chart.y_for(0) == pytest.approx(r.y() + r.height()) and chart.y_for(10) == pytest.approx(r.y())
    # the replay series' peak (8 of a 10 axis) and a copy-queue point are painted in their colors
    assert _color_near(img, chart.x_for(T0 + timedelta(minutes=60)), chart.y_for(8), SERIES_COLORS[1])
    assert _color_near(img, chart.x_for(T0 + timedelta(minutes=30)), chart.y_for(3), SERIES_COLORS[0])
    # the mark's line runs at its time, over the plot's height
    mx = chart.x_for(mark.at)
    assert _line_at(img, mx, r.top() + 10, r.bottom() - 10)
    assert not _line_at(img, mx + 30, r.top() + 10, r.bottom() - 10)
    # tooltip text: time, kind and detail as typed
    tip = chart.tooltip_text_at(QPoint(round(mx) + 2, r.center().y()))
    assert tip is not None and tip.endswith(f"suspend\n{HOSTILE} comment <i>x</i>")
    assert chart.tooltip_text_at(QPoint(round(mx) + 40, r.center().y())) is None


def test_empty_chart_says_so_and_paints_no_series(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    chart.set_data([])
    assert not chart.has_data()
    img = _image(chart)
    assert _count(img, SERIES_COLORS[0]) == 0 and _count(img, MARK_COLOR) == 0
    chart.set_data([ChartSeries("empty", ())])
    assert _count(_image(chart), SERIES_COLORS[0]) == 0
    assert chart.tooltip_text_at(QPoint(100, 100)) is None


def test_single_point_is_centred_and_visible(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    chart.set_data([ChartSeries("one", ((T0, 3.0),))])
    r = chart.plot_rect()
    assert chart.x_for(T0) == pytest.approx(r.left() + r.width() / 2)
    assert _color_near(_image(chart), chart.x_for(T0), chart.y_for(3), SERIES_COLORS[0])


def test_only_a_mark(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    chart.set_data([], [ChartMark(T0, "failover", "EXCH1 to EXNODE2")])
    assert chart.has_data()
    r = chart.plot_rect()
    assert _line_at(_image(chart), chart.x_for(T0), r.top() + 10, r.bottom() - 10)


def test_axis_helpers() -> None:
    assert [nice_ceiling(v) for v in (0, 0.5, 1, 3, 7, 10, 11, 240)] == [1, 1, 1, 5, 10, 10, 20, 500]
    assert time_step(timedelta(hours=2)) == timedelta(minutes=30)
    assert time_step(timedelta(days=3)) == timedelta(hours=12)
    assert time_step(timedelta(days=400)) == timedelta(days=30)


def test_stored_history_survives_reopen_and_is_plotted(qtbot: QtBot, tmp_path: Path) -> None:
    from ccrgui.gui.widgets.queuechart import queue_chart_data
    from ccrgui.history import EventMark, HistoryStore, MarkKind, QueueSample

    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, now=lambda: T0 + timedelta(hours=1))
    for i in range(7):
        at = T0 + timedelta(minutes=10 * i)
        store.record_samples("EXCLUS1", [QueueSample("EXCH1\\SG1", at, i, 6 - i)])
    store.record_mark(
        "EXCLUS1", EventMark(T0 + timedelta(minutes=25), MarkKind.FAILOVER, "EXCH1", "to EXNODE2")
    )
    store.close()
    reopened = HistoryStore(path, now=lambda: T0 + timedelta(hours=1))
    series, marks = queue_chart_data(reopened.series("EXCLUS1", T0), reopened.marks("EXCLUS1", T0))
    reopened.close()
    assert [s.name for s in series] == ["EXCH1\\SG1 copy queue", "EXCH1\\SG1 replay queue"]
    assert marks[0].label == "failover" and marks[0].detail == "EXCH1\nto EXNODE2"
    chart = _chart(qtbot)
    chart.set_data(series, marks)
    img = _image(chart)
    assert _color_near(img, chart.x_for(T0 + timedelta(minutes=60)), chart.y_for(6), SERIES_COLORS[0])
    assert _color_near(img, chart.x_for(T0), chart.y_for(6), SERIES_COLORS[1])
    r = chart.plot_rect()
    assert _line_at(img, chart.x_for(marks[0].at), r.top() + 10, r.bottom() - 10)
