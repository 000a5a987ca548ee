"""Per-tab statistics (issue #15 item 3): the always-visible strip and the detail dialog.

:class:`StatsStrip` is one line under a tab's filters: messages/s and bytes/s sparklines over
the last minute with the last second's figures, ack round-trip p50/p99, errors and reconnects,
and *Details…*, which opens :class:`StatsDialog` (totals, round-trip percentiles, errors by
kind, reconnects and rejoins, counts per event).

Neither widget counts anything: the tab's :class:`~inspector.store.messages.stats.TabStats`
is fed by the controller as rows arrive (O(1) per message); these widgets draw a
:meth:`~inspector.store.messages.stats.TabStats.snapshot` when the window's one-second tick
says so, and only while they are shown, never per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import reveal
from inspector.store.messages.records import format_ms
from inspector.store.messages.stats import HISTORY_SECONDS, StatsSnapshot

from ..common import theme

#: Rows of the per-event table in the dialog (the busiest events).
EVENT_ROWS: Final = 500


def format_bytes(n: float) -> str:
    """``812 B``, ``12.4 kB``, ``3.1 MB``, ``1.2 GB`` (SI, like the table's Size column)."""
    if n < 1000:
        return f"{n:.0f} B"
    for scale, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def format_rate(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:.1f}".rstrip("0").rstrip(".") or "0"


class Sparkline(QWidget):
    """A small line chart of the last values (oldest left); the newest point is marked."""

    def __init__(self, name: str, parent: QWidget | None = None, *, size: QSize | None = None):
        super().__init__(parent)
        self._values: tuple[int, ...] = ()
        self._size = size or QSize(72, max(14, self.fontMetrics().height()))
        self.setAccessibleName(name)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        if size is not None:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return self._size

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self._size.height())

    @property
    def values(self) -> tuple[int, ...]:
        return self._values

    def set_values(self, values: Sequence[int]) -> None:
        values = tuple(values)
        if values != self._values:
            self._values = values
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = theme.colors()
        rect = self.rect().adjusted(1, 2, -2, -2)
        painter.setPen(QPen(c.muted, 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        values = self._values
        if len(values) < 2:
            return
        top = max(values) or 1
        step = rect.width() / (len(values) - 1)
        pts = [
            QPointF(rect.left() + i * step, rect.bottom() - rect.height() * v / top)
            for i, v in enumerate(values)
        ]
        painter.setPen(QPen(c.incoming, 1.4))
        painter.drawPolyline(QPolygonF(pts))
        painter.setBrush(c.incoming)
        painter.drawEllipse(pts[-1], 1.8, 1.8)


def _rtt_text(snap: StatsSnapshot) -> str:
    if snap.rtt_ms is None:
        return "ack —"
    rtt = snap.rtt_ms
    return f"ack p50 {format_ms(rtt['p50'])} · p99 {format_ms(rtt['p99'])}"


class StatsStrip(QWidget):
    """The tab's one-line statistics."""

    details_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Statistics")
        self.msgs_spark = Sparkline("Messages per second, last minute")
        self.msgs_label = QLabel("0 msg/s")
        self.bytes_spark = Sparkline("Bytes per second, last minute")
        self.bytes_label = QLabel("0 B/s")
        self.rtt_label = QLabel("ack —")
        self.errors_label = QLabel("0 errors")
        self.reconnects_label = QLabel("0 reconnects")
        self.details_button = QToolButton()
        self.details_button.setText("Stats…")
        self.details_button.setToolTip(
            "Statistics of this tab: totals, round-trip percentiles, errors, counts per event"
        )
        self.details_button.clicked.connect(self.details_requested)
        self.msgs_spark.setToolTip("Messages per second (received and sent), last minute")
        self.bytes_spark.setToolTip("Payload bytes per second (received and sent), last minute")
        self.rtt_label.setToolTip("Round trip of acknowledged sends (ack reply or REST response)")
        self.errors_label.setToolTip("Failed and timed-out sends, and error rows of the channel")
        self.reconnects_label.setToolTip("Times the connection came back while this tab was open")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        # our own minimumSizeHint, not the sum of every child: the groups give way (_fit)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        dots = [_dot() for _ in range(4)]
        #: groups in the order they give way when the strip is narrow (the first stays)
        self._groups: list[tuple[QWidget, ...]] = [
            (self.msgs_spark, self.msgs_label),
            (dots[0], self.errors_label),
            (dots[1], self.rtt_label),
            (dots[2], self.bytes_spark, self.bytes_label),
            (dots[3], self.reconnects_label),
        ]
        for widget in (
            self.msgs_spark,
            self.msgs_label,
            dots[2],
            self.bytes_spark,
            self.bytes_label,
            dots[1],
            self.rtt_label,
            dots[0],
            self.errors_label,
            dots[3],
            self.reconnects_label,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.details_button)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.snapshot: StatsSnapshot | None = None
        #: asks for no more than *Stats…* (the tab's state is long: it takes the row first)
        self.compact = False

    def _group_width(self, group: tuple[QWidget, ...]) -> int:
        return sum(w.sizeHint().width() + 6 for w in group)

    def set_compact(self, compact: bool) -> None:
        """Ask for the width of *Stats…* only (the groups still show when there is room)."""
        if compact != self.compact:
            self.compact = compact
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        width = 0 if self.compact else sum(self._group_width(g) for g in self._groups)
        width += self.details_button.sizeHint().width()
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        # Nothing: a narrow window hides the strip piece by piece rather than grow (the
        # table's context menu opens the statistics too). Compact (beside a long state, which
        # wraps rather than grow): *Stats…* stays.
        width = self.details_button.sizeHint().width() + 6 if self.compact else 0
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Show *Stats…* and as many groups as the width holds, in priority order (all of it
        is in the dialog)."""
        room = self.width() - self.details_button.sizeHint().width() - 6
        button = room >= 0
        if self.details_button.isVisibleTo(self) != button:
            self.details_button.setVisible(button)
        for group in self._groups:
            room -= self._group_width(group)
            shown = room >= 0
            for widget in group:
                if widget.isVisibleTo(self) != shown:
                    widget.setVisible(shown)

    def refresh(self, snap: StatsSnapshot) -> None:
        """Draw a snapshot (the last complete seconds; the current one is still counting)."""
        self.snapshot = snap
        self.msgs_spark.set_values(snap.messages_per_s[:-1])
        self.bytes_spark.set_values(snap.bytes_per_s[:-1])
        self.msgs_label.setText(f"{format_rate(snap.last_rate)} msg/s")
        self.bytes_label.setText(f"{format_bytes(snap.last_bytes)}/s")
        self.rtt_label.setText(_rtt_text(snap))
        errors = snap.errors
        self.errors_label.setText(f"{errors:,} error{'s' if errors != 1 else ''}")
        colour = theme.colors().error.name() if errors else ""
        self.errors_label.setStyleSheet(f"color: {colour}" if colour else "")
        n = snap.reconnects
        self.reconnects_label.setText(f"{n:,} reconnect{'s' if n != 1 else ''}")
        self._fit()


def _dot() -> QLabel:
    label = QLabel("·")
    label.setEnabled(False)
    return label


class StatsDialog(QDialog):
    """The detail view of one tab's statistics (non-modal; refreshed by the tab's tick)."""

    reset_requested = Signal()

    def __init__(self, channel: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Statistics of “{reveal(channel, multiline=False)[:80]}”")
        self.setAccessibleName("Tab statistics")
        big = QSize(360, self.fontMetrics().height() * 4)
        self.msgs_spark = Sparkline("Messages per second, last minute", size=big)
        self.bytes_spark = Sparkline("Bytes per second, last minute", size=big)
        self.msgs_caption = QLabel()
        self.bytes_caption = QLabel()
        charts = QGroupBox(f"Last {HISTORY_SECONDS} seconds")
        grid = QGridLayout(charts)
        grid.addWidget(self.msgs_caption, 0, 0)
        grid.addWidget(self.msgs_spark, 1, 0)
        grid.addWidget(self.bytes_caption, 2, 0)
        grid.addWidget(self.bytes_spark, 3, 0)

        self.values: dict[str, QLabel] = {}
        totals = QGroupBox("Totals")
        form = QFormLayout(totals)
        for key in ("received", "sent", "errors", "reconnects"):
            self.values[key] = self._value(form, key.capitalize())
        rtt = QGroupBox("Ack round trips")
        rtt_form = QFormLayout(rtt)
        for key in ("acks", "p50", "p90", "p99", "max"):
            self.values[key] = self._value(rtt_form, key if key != "acks" else "Acknowledged")
        boxes = QHBoxLayout()
        boxes.addWidget(totals, 1)
        boxes.addWidget(rtt, 1)

        self.events = QTableWidget(0, 4)
        self.events.setHorizontalHeaderLabels(["Event", "Received", "Sent", "Bytes"])
        self.events.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.events.verticalHeader().setVisible(False)
        self.events.setAccessibleName("Counts per event")
        header = self.events.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Start counting again (Clear on the tab does this too)")
        buttons.addButton(self.reset_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.reset_button.clicked.connect(self.reset_requested)
        buttons.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(charts)
        layout.addLayout(boxes)
        layout.addWidget(QLabel("Counts per event"))
        layout.addWidget(self.events, 1)
        layout.addWidget(buttons)
        self.resize(560, 620)

    @staticmethod
    def _value(form: QFormLayout, name: str) -> QLabel:
        label = QLabel("—")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(name, label)
        return label

    def refresh(self, snap: StatsSnapshot) -> None:
        msgs = snap.messages_per_s[:-1]
        nbytes = snap.bytes_per_s[:-1]
        self.msgs_spark.set_values(msgs)
        self.bytes_spark.set_values(nbytes)
        self.msgs_caption.setText(
            f"Messages/s: now {format_rate(snap.last_rate)}, peak {format_rate(max(msgs))}, "
            f"mean {format_rate(sum(msgs) / len(msgs))}"
        )
        self.bytes_caption.setText(
            f"Bytes/s: now {format_bytes(snap.last_bytes)}/s, peak {format_bytes(max(nbytes))}/s"
        )
        v = self.values
        v["received"].setText(f"{snap.received:,} messages · {format_bytes(snap.received_bytes)}")
        v["sent"].setText(f"{snap.sent:,} messages · {format_bytes(snap.sent_bytes)}")
        v["errors"].setText(
            f"{snap.errors:,} (failed sends {snap.send_errors:,}, timed out {snap.timeouts:,}, "
            f"channel errors {snap.channel_errors:,})"
        )
        v["reconnects"].setText(f"{snap.reconnects:,} (rejoins: {snap.rejoins:,})")
        v["acks"].setText(f"{snap.round_trips:,}")
        for key in ("p50", "p90", "p99", "max"):
            v[key].setText("—" if snap.rtt_ms is None else format_ms(snap.rtt_ms[key]))
        rows = snap.events[:EVENT_ROWS]
        self.events.setRowCount(len(rows))
        for row, count in enumerate(rows):
            cells = (
                reveal(count.event, multiline=False),
                f"{count.received:,}",
                f"{count.sent:,}",
                format_bytes(count.bytes),
            )
            for col, text in enumerate(cells):
                item = self.events.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    if col:
                        item.setTextAlignment(
                            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                        )
                    self.events.setItem(row, col, item)
                if item.text() != text:
                    item.setText(text)
