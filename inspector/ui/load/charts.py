"""LoadCharts: the Load panel's live throughput and latency charts (issue #14 §2), with pyqtgraph.

Two plots over the run's elapsed seconds, one point per progress snapshot:

- **Throughput**: messages sent and delivered per second (delivered is sent × receivers per
  channel, so it sits above sent on shared channels).
- **Latency**: end-to-end p50 and p99 in milliseconds (the sender's timestamp in each payload
  to its arrival).

pyqtgraph draws with plain ``QGraphicsView`` (QtCharts is not in PySide6-Essentials). It picks
its Qt binding from ``PYQTGRAPH_QT_LIB``, set to PySide6 here before its first import, so it
never looks for PyQt. The plots follow the palette (light or dark) and keep at most
:data:`MAX_POINTS` points (a long run is thinned by dropping every other old point).
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QWidget

from ..common import theme

#: Points kept per series before old ones are thinned.
MAX_POINTS = 2000


class _Series:
    """One line: x and y lists and the curve that shows them."""

    def __init__(
        self, plot: pg.PlotItem, name: str, color: QColor, *, dashed: bool = False
    ) -> None:
        pen = pg.mkPen(color, width=2)
        if dashed:
            pen.setDashPattern([4, 3])
        self.curve = plot.plot([], [], pen=pen, name=name)
        self.xs: list[float] = []
        self.ys: list[float] = []

    def add(self, x: float, y: float | None) -> None:
        if y is None or not math.isfinite(y):
            return
        self.xs.append(x)
        self.ys.append(y)
        if len(self.xs) > MAX_POINTS:
            half = len(self.xs) // 2
            self.xs = self.xs[:half:2] + self.xs[half:]
            self.ys = self.ys[:half:2] + self.ys[half:]
        self.curve.setData(self.xs, self.ys)

    def clear(self) -> None:
        self.xs.clear()
        self.ys.clear()
        self.curve.setData([], [])


def _plot(title: str, unit: str, palette: QPalette) -> pg.PlotWidget:
    widget = pg.PlotWidget(background=palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    item = widget.getPlotItem()
    item.setTitle(title, color=text, size="10pt")
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setLabel("bottom", "seconds", color=text)
    item.setLabel("left", unit, color=text)
    item.setMenuEnabled(False)
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(text)
        axis.setTextPen(text)
    # Whole seconds on the time axis, never "seconds (x0.001)" early in a run.
    item.getAxis("bottom").enableAutoSIPrefix(False)
    item.addLegend(offset=(8, 8), labelTextColor=text)
    item.setYRange(0, 1, padding=0)
    widget.setMinimumSize(170, 150)
    return widget


class LoadCharts(QWidget):
    """Throughput (sent, delivered per second) and latency (p50, p99 ms) side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        palette = self.palette()
        c = theme.colors(palette)
        self.throughput = _plot("Throughput", "messages / s", palette)
        self.latency = _plot("Latency", "ms", palette)
        tp = self.throughput.getPlotItem()
        lat = self.latency.getPlotItem()
        self.sent = _Series(tp, "sent", c.outgoing)
        self.delivered = _Series(tp, "delivered", c.incoming)
        self.p50 = _Series(lat, "p50", c.ok)
        self.p99 = _Series(lat, "p99", c.warning, dashed=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.throughput, 1)
        layout.addWidget(self.latency, 1)

    def add_point(
        self,
        elapsed_s: float,
        sent_per_s: float,
        delivered_per_s: float,
        p50_ms: float | None,
        p99_ms: float | None,
    ) -> None:
        """One progress snapshot; a latency of None (nothing delivered yet) adds no point."""
        self.sent.add(elapsed_s, sent_per_s)
        self.delivered.add(elapsed_s, delivered_per_s)
        self.p50.add(elapsed_s, p50_ms)
        self.p99.add(elapsed_s, p99_ms)
        for plot, series in (
            (self.throughput, (self.sent, self.delivered)),
            (self.latency, (self.p50, self.p99)),
        ):
            top = max((max(s.ys) for s in series if s.ys), default=0.0)
            plot.getPlotItem().setYRange(0, top * 1.15 if top > 0 else 1.0, padding=0)

    def clear(self) -> None:
        for series in (self.sent, self.delivered, self.p50, self.p99):
            series.clear()
        for plot in (self.throughput, self.latency):
            plot.getPlotItem().setYRange(0, 1.0, padding=0)

    def point_counts(self) -> dict[str, int]:
        """Points per series (tests, the self-test)."""
        return {
            "sent": len(self.sent.xs),
            "delivered": len(self.delivered.xs),
            "p50": len(self.p50.xs),
            "p99": len(self.p99.xs),
        }
