"""RepeatControl: the composer's repeat and burst row (issue #11 §3).

How many (a count, or a duration in seconds) and how fast (a rate in messages per second, a
window of K sends waiting for their ack, or as fast as possible), whether each message gets a
``seq`` field, and Start/Cancel. While a run goes on it shows the progress (sent, ok, error,
timed out, current rate); when it ends, the summary (counts and the ack round trip
p50/p95/p99/max) stays in the row and *Summary…* opens it in a dialog. The widget emits
intents only; the controller runs the client's repeat engine.

Progress and summaries arrive duck-typed (``RepeatProgress``, ``SendSummary`` of
``inspector.client``): the UI never imports the client outside the controller.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..common import theme
from ..common.bounded_label import NarrowLabel

#: Pace choices: (label, key).
PACES = (("at a rate", "rate"), ("acks in flight", "in_flight"), ("as fast as possible", "max"))


@dataclass(frozen=True, slots=True)
class RepeatSettings:
    """What the row asks for: ``count`` or ``duration``; ``rate`` or ``in_flight`` or neither."""

    count: int | None = None
    duration: float | None = None
    rate: float | None = None
    in_flight: int | None = None
    add_seq: bool = True


def rate_text(rate: float) -> str:
    """A rate with the precision it needs: ``4,980``, ``2.5``, ``0.1``, ``0.05`` (a slow run
    never reads "0 msg/s")."""
    if rate >= 10:
        return f"{rate:,.0f}"
    if rate >= 1:
        return f"{rate:.1f}"
    return f"{rate:.2g}" if rate > 0 else "0"


def progress_text(p: Any) -> str:
    """``sent 1,234 / 5,000 · ok 1,200 · error 0 · timed out 0 · 4,980 msg/s · 0.3 s``."""
    of = f" / {p.total:,}" if p.total is not None and p.duration is None else ""
    return (
        f"sent {p.sent:,}{of} · ok {p.ok:,} · error {p.error:,} · timed out {p.timed_out:,}"
        f" · {rate_text(p.rate)} msg/s · {p.elapsed:.1f} s"
    )


def summary_text(s: Any, *, rest: bool = False, reason: str = "") -> str:
    """One line: counts, rate and the round trips (the acks, or over REST the HTTP answers);
    a cancelled run says why when it was not the user's Cancel (``reason``)."""
    head = "Done"
    if s.cancelled:
        head = f"Cancelled ({reason})" if reason else "Cancelled"
    text = (
        f"{head}: sent {s.sent:,} · ok {s.ok:,} · error {s.error:,} · timed out "
        f"{s.timed_out:,} in {s.elapsed:.2f} s ({rate_text(s.rate)} msg/s)"
    )
    if s.rtt_count:
        what = "round trip" if rest else "ack"
        text += (
            f" · {what} p50 {s.p50:.2f} · p95 {s.p95:.2f} · p99 {s.p99:.2f} · max {s.max:.2f} ms"
        )
    return text


class RepeatSummaryDialog(QDialog):
    """The last run's summary as a table (the CLI's ``format_table``), non-modal."""

    def __init__(self, title: str, summary: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.table_label = QLabel(summary.format_table())
        self.table_label.setFont(theme.mono_font())
        self.table_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table_label.setAccessibleName("Repeat summary")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table_label)
        layout.addWidget(buttons)


class RepeatControl(QWidget):
    """Count/duration, rate/in-flight, seq field, Start/Cancel, progress and summary."""

    start_requested = Signal(object)  # RepeatSettings
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.running = False
        #: whether the run goes over REST (its round trips are HTTP answers, not acks).
        self.rest = False
        #: the last finished run's summary (``SendSummary``), or None.
        self.summary: Any = None
        #: why the composer's message cannot be sent ("" when it can): Start is disabled too.
        self.blocked = ""
        #: the status line under a "Not started" refusal (restored when the message changes).
        self._before_refusal: tuple[str, bool] | None = None
        self._status_shown: tuple[str, bool] = ("", False)
        self.dialog: RepeatSummaryDialog | None = None

        self.mode_combo = QComboBox()
        self.mode_combo.addItem("times", "count")
        self.mode_combo.addItem("seconds", "duration")
        self.mode_combo.setAccessibleName("Repeat for")
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 100_000_000)
        self.count_spin.setValue(100)
        self.count_spin.setGroupSeparatorShown(True)
        self.count_spin.setAccessibleName("Number of sends")
        self.duration_spin = QDoubleSpinBox()
        self.duration_spin.setRange(0.1, 86_400.0)
        self.duration_spin.setDecimals(1)
        self.duration_spin.setValue(10.0)
        self.duration_spin.setAccessibleName("Seconds to send for")
        self.amount = QStackedWidget()
        self.amount.addWidget(self.count_spin)
        self.amount.addWidget(self.duration_spin)

        self.pace_combo = QComboBox()
        for label, key in PACES:
            self.pace_combo.addItem(label, key)
        self.pace_combo.setAccessibleName("Pace")
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setRange(0.1, 1_000_000.0)
        self.rate_spin.setDecimals(1)
        self.rate_spin.setValue(100.0)
        self.rate_spin.setSuffix(" msg/s")
        self.rate_spin.setGroupSeparatorShown(True)
        self.rate_spin.setAccessibleName("Messages per second")
        self.in_flight_spin = QSpinBox()
        self.in_flight_spin.setRange(1, 100_000)
        self.in_flight_spin.setValue(10)
        self.in_flight_spin.setPrefix("K = ")
        self.in_flight_spin.setAccessibleName("Sends in flight")
        self.in_flight_spin.setToolTip("At most K sends wait for their ack (or REST answer)")
        self.pace_value = QStackedWidget()
        self.pace_value.addWidget(self.rate_spin)
        self.pace_value.addWidget(self.in_flight_spin)
        self.pace_value.addWidget(QWidget())

        self.seq_check = QCheckBox("add seq")
        self.seq_check.setChecked(True)
        self.seq_check.setToolTip(
            'Give a JSON object payload "seq": 1, 2, 3, … when it has no seq field, so another '
            "tab can track gaps ($.seq). {{seq}} in the payload works either way."
        )
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start the repeat run (the message in the composer)")
        self.summary_button = QPushButton("Summary…")
        self.summary_button.setEnabled(False)
        self.summary_button.setToolTip("The last run's counts and ack round trips")
        self.status_label = NarrowLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Repeat status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Repeat"))
        row.addWidget(self.amount)
        row.addWidget(self.mode_combo)
        row.addWidget(self.pace_combo)
        row.addWidget(self.pace_value)
        row.addWidget(self.seq_check)
        row.addStretch(1)
        row.addWidget(self.summary_button)
        row.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.status_label)
        self.status_label.setVisible(False)

        self.mode_combo.currentIndexChanged.connect(self.amount.setCurrentIndex)
        self.pace_combo.currentIndexChanged.connect(self.pace_value.setCurrentIndex)
        self.start_button.clicked.connect(self._start_or_cancel)
        self.summary_button.clicked.connect(self.open_summary)

    # ------------------------------------------------------------------ settings

    def settings(self) -> RepeatSettings:
        count = duration = rate = in_flight = None
        if self.mode_combo.currentData() == "count":
            count = self.count_spin.value()
        else:
            duration = self.duration_spin.value()
        pace = self.pace_combo.currentData()
        if pace == "rate":
            rate = self.rate_spin.value()
        elif pace == "in_flight":
            in_flight = self.in_flight_spin.value()
        return RepeatSettings(count, duration, rate, in_flight, self.seq_check.isChecked())

    def set_mode(self, *, count: int | None = None, duration: float | None = None) -> None:
        if count is not None:
            self.mode_combo.setCurrentIndex(0)
            self.count_spin.setValue(count)
        if duration is not None:
            self.mode_combo.setCurrentIndex(1)
            self.duration_spin.setValue(duration)

    def set_pace(self, *, rate: float | None = None, in_flight: int | None = None) -> None:
        if rate is not None:
            self.pace_combo.setCurrentIndex(0)
            self.rate_spin.setValue(rate)
        elif in_flight is not None:
            self.pace_combo.setCurrentIndex(1)
            self.in_flight_spin.setValue(in_flight)
        else:
            self.pace_combo.setCurrentIndex(2)

    # ------------------------------------------------------------------ run state

    def _start_or_cancel(self) -> None:
        if self.running:
            self.start_button.setEnabled(False)  # until the summary comes
            self.start_button.setText("Cancelling…")
            self.cancel_requested.emit()
        else:
            self.start_requested.emit(self.settings())

    def set_sendable(self, reason: str) -> None:
        """The composer's message can be sent (``""``) or not and why: Start follows Send, with
        the same reason in its tooltip (Cancel during a run is never disabled)."""
        self.blocked = reason
        if not self.running:
            self._idle_button()

    def message_changed(self) -> None:
        """The event or payload was edited: a "Not started" refusal was about the old message."""
        if self._before_refusal is None:
            return
        text, error = self._before_refusal
        self._before_refusal = None
        if text:
            self._status(text, error=error)
        else:
            self.status_label.setText("")
            self.status_label.setVisible(False)
            self._status_shown = ("", False)

    def _idle_button(self) -> None:
        self.start_button.setText("Start")
        self.start_button.setEnabled(not self.blocked)
        self.start_button.setToolTip(
            f"Cannot start: {self.blocked}"
            if self.blocked
            else "Start the repeat run (the message in the composer)"
        )

    def set_started(self, error: str | None) -> None:
        """The controller's answer to a start: None (running) or why not."""
        if error is not None:
            if self._before_refusal is None:
                self._before_refusal = self._status_shown
            self._status(f"Not started: {error}", error=True)
            return
        self._before_refusal = None
        self.running = True
        self.start_button.setText("Cancel")
        self.start_button.setToolTip("Stop the run now (the summary still comes)")
        for w in (self.amount, self.mode_combo, self.pace_combo, self.pace_value, self.seq_check):
            w.setEnabled(False)
        self._status("Starting…")

    def show_progress(self, progress: Any) -> None:
        if self.running and not progress.done:
            self._status(progress_text(progress))

    def show_summary(self, summary: Any, error: str = "") -> None:
        """The run ended (done, cancelled or failed): the summary stays in the row."""
        self.running = False
        self.summary = summary
        self._idle_button()
        for w in (self.amount, self.mode_combo, self.pace_combo, self.pace_value, self.seq_check):
            w.setEnabled(True)
        self.summary_button.setEnabled(True)
        if error and summary.cancelled:  # stopped on purpose (the channel was left, …)
            text = summary_text(summary, rest=self.rest, reason=error)
        else:
            text = summary_text(summary, rest=self.rest)
            if error:
                text = f"Stopped: {error}. {text}"
        failed = bool(error) or summary.error or summary.timed_out
        self._status(text, error=bool(failed))
        if self.dialog is not None and self.dialog.isVisible():
            self.open_summary()

    def open_summary(self) -> None:
        if self.summary is None:
            return
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = RepeatSummaryDialog("Repeat run summary", self.summary, self)
        self.dialog.show()

    def _status(self, text: str, *, error: bool = False) -> None:
        self._status_shown = (text, error)
        c = theme.colors()
        colour = c.error if error else c.muted
        self.status_label.setText(
            f"<span style='color:{colour.name()}'>{html.escape(text, quote=False)}</span>"
        )
        self.status_label.setVisible(True)
