"""ReplayBar: a running replay inside its target tab: progress, counts, Pause/Resume, Cancel,
and the summary when it ends (counts and ack round trip p50/p95/p99/max; the whole table in
the tooltip, the same one the CLI prints)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QToolButton, QWidget

from inspector.client.replay import ReplayProgress
from inspector.client.send_summary import SendSummary

from ..common.bounded_label import NarrowLabel
from ..composer.repeat_control import rate_text
from ..controller_base import ReplayHandle


def summary_text(summary: SendSummary, *, rest: bool = False) -> str:
    """One line: counts, rate and the round trip percentiles (the acks, or over REST the HTTP
    answers)."""
    s = summary
    text = (
        f"{s.sent:,} sent · {s.ok:,} ok · {s.error:,} error · {s.timed_out:,} timed out · "
        f"{rate_text(s.rate)} msg/s"
    )
    if s.rtt_count:
        what = "round trip" if rest else "ack"
        text += (
            f" · {what} p50 {s.p50:.1f} / p95 {s.p95:.1f} / p99 {s.p99:.1f} / max {s.max:.1f} ms"
        )
    return text


class ReplayBar(QFrame):
    """One replay's bar; :meth:`show_progress` takes the engine's snapshots."""

    #: the user dismissed the finished bar.
    dismissed = Signal()
    #: the replay finished (or was cancelled); the last snapshot.
    finished = Signal(object)

    def __init__(
        self,
        title: str,
        handle: ReplayHandle,
        parent: QWidget | None = None,
        *,
        rest: bool = False,
    ) -> None:
        super().__init__(parent)
        self.handle = handle
        #: the replay goes over REST: its round trips are HTTP answers, not acks.
        self.rest = rest
        self.running = True
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Replay progress")
        self.title_label = NarrowLabel(title)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m")
        self.progress.setMaximumWidth(220)
        self.progress.setAccessibleName("Replay sends")
        self.stats_label = NarrowLabel("starting…")
        self.stats_label.setAccessibleName("Replay counts")
        self.stats_label.setWordWrap(True)  # a narrow window wraps the percentiles
        self.pause_button = QToolButton()
        self.pause_button.setText("Pause")
        self.pause_button.setToolTip("Hold the replay; Resume continues at the recorded gaps")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop sending (answers to sends already made still count)")
        self.close_button = QToolButton()
        self.close_button.setText("Dismiss")
        self.close_button.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.stats_label, 1)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.close_button)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.dismissed.emit)

    def toggle_pause(self) -> None:
        if not self.running:
            return
        if self.handle.paused:
            self.handle.resume()
        else:
            self.handle.pause()
        self.pause_button.setText("Resume" if self.handle.paused else "Pause")

    def cancel(self) -> None:
        if self.running:
            self.handle.cancel()
            self.cancel_button.setEnabled(False)
            self.pause_button.setEnabled(False)
            self.stats_label.setText("cancelling…")

    def show_progress(self, p: object) -> None:
        assert isinstance(p, ReplayProgress)
        self.progress.setMaximum(max(1, p.total))
        self.progress.setValue(p.done)
        if not p.finished:
            state = "paused · " if p.paused else ""
            self.stats_label.setText(state + summary_text(p.summary, rest=self.rest))
            self.pause_button.setText("Resume" if p.paused else "Pause")
            return
        self.running = False
        word = "Done"
        if p.reason:
            word = f"Stopped ({p.reason})"
        elif p.cancelled:
            word = "Cancelled"
        self.stats_label.setText(f"{word}: {summary_text(p.summary, rest=self.rest)}")
        self.setToolTip(p.summary.format_table(f"{word}: {self.title_label.text()}"))
        self.pause_button.setVisible(False)
        self.cancel_button.setVisible(False)
        self.close_button.setVisible(True)
        self.finished.emit(p)
