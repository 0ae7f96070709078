"""A replication history chart with its time range: the last hours or days of queue lengths from
the history store, with the suspend/resume/move/failover marks on the time axis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ccrgui.gui.widgets.chart import TimeChart
from ccrgui.gui.widgets.queuechart import queue_chart_data
from ccrgui.history import HistoryStore, QueueSample

RANGES = (
    ("Last hour", timedelta(hours=1)),
    ("Last 6 hours", timedelta(hours=6)),
    ("Last 24 hours", timedelta(days=1)),
    ("Last 7 days", timedelta(days=7)),
    ("Last 30 days", timedelta(days=30)),
)
RANGE_KEY = "history/chart_range"
MAX_POINTS = 600  # per copy and queue: about one per pixel column of the chart


def short_names(series: dict[str, list[QueueSample]]) -> dict[str, list[QueueSample]]:
    """Copies are kept under CMS\\SG; the legend shows the storage group names when every copy
    belongs to the same CMS (one CMS per CCR cluster), else the full names."""
    servers = {k.rsplit("\\", 1)[0].casefold() for k in series if "\\" in k}
    if len(servers) != 1 or any("\\" not in k for k in series):
        return series
    return {k.rsplit("\\", 1)[1]: v for k, v in series.items()}


class QueueHistoryPanel(QWidget):
    """Range selector + chart.  `load` re-reads the store (cheap: an indexed time range)."""

    def __init__(self, title: str, settings: QSettings | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.range = QComboBox()
        self.range.setAccessibleName("Time range")
        for label, _span in RANGES:
            self.range.addItem(label)
        saved = settings.value(RANGE_KEY) if settings is not None else None
        labels = [label for label, _ in RANGES]
        self.range.setCurrentIndex(labels.index(str(saved)) if saved in labels else 1)
        self.chart = TimeChart()
        self.chart.set_title(title)
        self.chart.setAccessibleName(title)
        self.chart.setMinimumHeight(200)
        self.note = QLabel()
        self.note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.range)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.chart, 1)
        lay.addWidget(self.note)
        self._source: tuple[HistoryStore | None, str, str | None] = (None, "", None)
        self.range.currentIndexChanged.connect(self._range_changed)

    @property
    def span(self) -> timedelta:
        return RANGES[self.range.currentIndex()][1]

    def _range_changed(self) -> None:
        if self.settings is not None:
            self.settings.setValue(RANGE_KEY, RANGES[self.range.currentIndex()][0])
        self.reload()

    def load(self, store: HistoryStore | None, cluster: str, copy: str | None = None) -> None:
        """Plot `cluster`'s history (one copy's, or every copy's) over the chosen range."""
        self._source = (store, cluster, copy)
        self.reload()

    def reload(self) -> None:
        store, cluster, copy = self._source
        if store is None:
            self.chart.set_data([])
            self.note.setText("Replication history is not kept in this session.")
            return
        end = datetime.now(UTC)
        start = end - self.span
        series = store.series_peaks(cluster, start, end, MAX_POINTS)
        marks = store.marks(cluster, start, end)
        if copy is not None:
            series = {k: v for k, v in series.items() if k.casefold() == copy.casefold()}
            # Its own suspends and resumes, and every move or failover of a group.
            marks = [m for m in marks if m.target.casefold() == copy.casefold() or "\\" not in m.target]
        chart_series, chart_marks = queue_chart_data(short_names(series), marks)
        self.chart.set_data(chart_series, chart_marks, start=start, end=end)
        count = sum(len(v) for v in series.values())
        days = store.retention_days
        self.note.setText(
            f"{count} points (each the peak of its slice of time), {len(marks)} marks; history is kept "
            f"{days} days. Hover a mark for what happened."
        )


__all__ = ["RANGES", "QueueHistoryPanel"]
