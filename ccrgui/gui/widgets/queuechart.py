"""Turns stored replication history into chart data: one series per storage group copy and
queue (copy / replay), one mark per suspend, resume, move or failover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ccrgui.gui.widgets.chart import ChartMark, ChartSeries
from ccrgui.history import EventMark, QueueSample

QUEUES = ("copy", "replay")


def queue_chart_data(
    series: Mapping[str, Sequence[QueueSample]],
    marks: Sequence[EventMark] = (),
    queues: Sequence[str] = QUEUES,
) -> tuple[list[ChartSeries], list[ChartMark]]:
    """`HistoryStore.series(...)` and `.marks(...)` -> what `TimeChart.set_data` takes."""
    out: list[ChartSeries] = []
    for copy, samples in series.items():
        if "copy" in queues:
            out.append(ChartSeries(f"{copy} copy queue", tuple((s.at, float(s.copy_queue)) for s in samples)))
        if "replay" in queues:
            out.append(
                ChartSeries(f"{copy} replay queue", tuple((s.at, float(s.replay_queue)) for s in samples))
            )
    chart_marks = [
        ChartMark(m.at, m.kind.value, f"{m.target}\n{m.detail}" if m.detail else m.target) for m in marks
    ]
    return out, chart_marks
