"""Sequence-gap tracking in a tab (issue #11 §5): the counter bar and the gaps panel.

:class:`SeqTrackBar` is a row under the tab's filters: a JSON path to an integer counter in
each incoming payload (typed, or set by *Track this field* in the detail pane's Tree), Track and
Stop, the live counts (received, missing, duplicates, out of order, no counter, runs) and a
*Gaps* button that shows :class:`SeqGapsPanel`, the list of gaps (run, from-to, how many, when
first seen), newest first. The rules are :mod:`inspector.store.messages.seq_tracker`'s.

Neither widget counts anything: the tab's :class:`~inspector.ui.open_channel.OpenChannel` holds
the tracker and the controller feeds it as rows arrive; these widgets read it when the tab's
timer says so (:meth:`SeqTrackBar.refresh`, a few times a second), never per message, so a
flood costs the display nothing.
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import reveal
from inspector.store.messages.seq_tracker import Gap, SeqTracker
from inspector.store.timefmt import clock_ms, local_stamp

from ..common import theme
from ..common.bounded_label import NarrowLabel

AnyIndex = QModelIndex | QPersistentModelIndex


def compact_count(n: int) -> str:
    """A count short enough for a button: ``12,345``, ``123k``, ``1.2M``, ``3.4B``; counts
    of a trillion and more read ``many`` (the bar beside the table has the exact number)."""
    if n < 100_000:
        return f"{n:,}"
    for scale, unit in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if n >= scale:
            if n >= 1000 * scale and unit == "B":
                return "many"
            value = n / scale
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return f"{n:,}"


#: What the path field explains.
PATH_TIP: Final = (
    "A JSON path (RFC 9535) to an integer counter in each incoming payload, such as $.seq or "
    "$.data.n. Or right-click a number in the detail pane's Tree: Track this field."
)
#: What each count means (the tracker's rules, in short).
COUNT_TIPS: Final = {
    "received": "Payloads with an integer at the path (duplicates included)",
    "missing": "Numbers skipped between the first and the highest received; a late arrival "
    "fills its gap and counts as out of order",
    "duplicates": "Numbers received again in the same run",
    "out of order": "Numbers that arrived after a higher one (late arrivals)",
    "no counter": "Payloads without an integer at the path (missing, a string, a float, "
    "binary, not JSON)",
    "runs": "A drop to 1 starts a new run (a repeat run's {{seq}} starts at 1 each time)",
}
HEADERS: Final = ("Run", "Gap", "Missing", "First seen")


class SeqGapsModel(QAbstractTableModel):
    """The gaps of a tracker, newest first (a snapshot taken by :meth:`set_gaps`)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._gaps: list[Gap] = []

    def set_gaps(self, gaps: list[Gap]) -> None:
        self.beginResetModel()
        self._gaps = gaps[::-1]
        self.endResetModel()

    def gap_at(self, row: int) -> Gap:
        return self._gaps[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._gaps)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._gaps):
            return None
        gap = self._gaps[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(gap.run)
            if col == 1:
                return gap.text().replace("-", "–")
            if col == 2:
                return f"{gap.size:,}"
            return clock_ms(gap.seen_at)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"Run {gap.run}: {gap.size:,} missing ({gap.text()}), first seen "
                f"{local_stamp(gap.seen_at)}"
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and col == 1:
            return theme.mono_font()
        return None


class SeqGapsPanel(QWidget):
    """The gap list beside the tab's table (shown by the bar's *Gaps* button)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("<b>Sequence gaps</b>")
        self.note = NarrowLabel("")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.model = SeqGapsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Sequence gaps")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setWordWrap(False)
        for col, chars in enumerate((3, 11, 7)):
            self.view.setColumnWidth(col, self.view.fontMetrics().averageCharWidth() * chars + 16)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self._version = -1

    def refresh(self, tracker: SeqTracker | None) -> None:
        """Show ``tracker``'s gaps (nothing is redone when it did not change)."""
        if tracker is None:
            self._version = -1
            self.model.set_gaps([])
            self.note.setText("Not tracking a counter.")
            return
        if tracker.version == self._version and self.model.rowCount():
            return
        self._version = tracker.version
        gaps = tracker.gaps()
        self.model.set_gaps(gaps)
        c = tracker.counts()
        if c.gaps_dropped:
            self.note.setText(
                f"Newest first. {c.gaps_dropped:,} older gaps are not listed (their numbers "
                "still count as missing)."
            )
        elif gaps:
            self.note.setText("Newest first. A late arrival shrinks or splits its gap.")
        else:
            self.note.setText("No gaps.")


class SeqTrackBar(QWidget):
    """The counter path, Track/Stop, the live counts and the *Gaps* toggle; see the module."""

    #: the user asked to track this path (Track, Enter in the path field).
    track_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("$.seq")
        self.path_edit.setAccessibleName("Counter path")
        self.path_edit.setToolTip(PATH_TIP)
        self.path_edit.setMaximumWidth(self.fontMetrics().averageCharWidth() * 28 + 16)
        label = QLabel("Counter:")
        label.setBuddy(self.path_edit)
        self.track_button = QPushButton("Track")
        self.track_button.setToolTip("Watch this counter (counting the rows in the table first)")
        self.stop_button = QToolButton()
        self.stop_button.setText("Stop")
        self.stop_button.setToolTip("Stop watching the counter")
        self.stop_button.setEnabled(False)
        self.counts_label = NarrowLabel("")
        self.counts_label.setAccessibleName("Sequence counts")
        self.counts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts_label.setToolTip("\n".join(f"{k}: {v}" for k, v in COUNT_TIPS.items()))
        self.error_label = NarrowLabel("")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setAccessibleName("Counter path error")
        self.error_label.setVisible(False)
        self.gaps_button = QToolButton()
        self.gaps_button.setText("Gaps")
        self.gaps_button.setCheckable(True)
        self.gaps_button.setToolTip("The list of gaps: from-to, how many, when first seen")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.path_edit, 1)
        layout.addWidget(self.track_button)
        layout.addWidget(self.stop_button)
        layout.addWidget(self.error_label, 1)
        layout.addWidget(self.counts_label, 3)
        layout.addWidget(self.gaps_button)
        self.track_button.clicked.connect(self._track)
        self.path_edit.returnPressed.connect(self._track)
        self.stop_button.clicked.connect(self.stop_requested)
        self._version = -1
        self.refresh(None)

    def _track(self) -> None:
        self.track_requested.emit(self.path_edit.text())

    def show_error(self, text: str) -> None:
        """Why the typed path cannot be tracked (empty: no error)."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if text:  # a counter already watched goes on, and its counts stay in view
            self.error_label.setStyleSheet(f"color: {theme.colors().error.name()};")

    def set_tracking(self, tracker: SeqTracker | None) -> None:
        """A new tracker (or none): the path field and buttons follow, the counts redraw."""
        if tracker is not None:
            self.path_edit.setText(tracker.path)
            self.show_error("")
        self.stop_button.setEnabled(tracker is not None)
        self._version = -1
        self.refresh(tracker)

    def refresh(self, tracker: SeqTracker | None) -> None:
        """Redraw the counts when the tracker changed since the last call."""
        if tracker is None:
            self.counts_label.setText("<i>Not tracking</i>")
            self.gaps_button.setText("Gaps")
            return
        if tracker.version == self._version:
            return
        self._version = tracker.version
        c = tracker.counts()
        colours = theme.colors()
        bad = colours.error.name()
        warn = colours.warning.name()

        def part(name: str, value: int, colour: str | None = None) -> str:
            number = f"{value:,}"
            if colour is not None and value:
                number = f"<b style='color:{colour}'>{number}</b>"
            else:
                number = f"<b>{number}</b>"
            return f"{name} {number}"

        parts = [
            part("received", c.received),
            part("missing", c.missing, bad),
            part("duplicates", c.duplicates, warn),
            part("out of order", c.out_of_order, warn),
            part("no counter", c.no_counter),
        ]
        if c.runs > 1:
            parts.append(part("runs", c.runs))
        self.counts_label.setText(" · ".join(parts))
        path = reveal(tracker.path, multiline=False)
        self.counts_label.setAccessibleDescription(f"{path}: {tracker.summary_text()}")
        total = c.gaps + c.gaps_dropped
        self.gaps_button.setText(f"Gaps ({total:,})" if total else "Gaps")
