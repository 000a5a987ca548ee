"""ReplayDialog: where a recording goes and how (issue #11 item 4).

Opened from an imported tab ("Replay to channel…": the tab's rows are the recording, the user
picks a joined live channel) or from a live tab ("Replay file…": the user picks an NDJSON
file, the tab is the target). Options are the CLI's: original timing times a speed factor or a
fixed rate, an event filter (the table's syntax), the direction of the recorded rows, loops,
WebSocket or REST, and acks: ``ack`` is a join option (§5.2), so asking for it (or not) when
the target tab was joined otherwise rejoins that tab first, and the dialog says so. The preview line says how many messages
would go out and how long that takes, or why nothing would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inspector.client.replay import (
    MAX_SPEED,
    MIN_SPEED,
    REST,
    WEBSOCKET,
    ReplayOptions,
    Selection,
    schedule,
    select,
)
from inspector.protocol.event_filter import parse_event_list
from inspector.store.transfer.recording import NotARecording, Recording, RecordingReader

from ..channels.channel_panel import short_name
from ..transfer.transfer_job import TransferJob

DIRECTION_CHOICES: Final = (
    ("in", "Received rows (in)"),
    ("out", "Sent rows (out)"),
    ("both", "Both directions"),
)
#: ``read(path) -> (job, reader)``: a started job that feeds the file to the reader.
ReadRecording = Callable[[Path], tuple[TransferJob, RecordingReader]]


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class ReplayDialog(QDialog):
    """The options of one replay; :meth:`options`, :meth:`target` and :meth:`selection` once
    accepted."""

    def __init__(
        self,
        *,
        targets: Sequence[str],
        target: str | None,
        ack_of: Callable[[str], bool],
        vsn: str,
        recording: Recording | None = None,
        source: str = "",
        ask_file: Callable[[], Path | None] | None = None,
        read: ReadRecording | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Replay to channel" if ask_file is None else "Replay file")
        self.recording = recording
        self.source = source
        self._ack_of = ack_of
        self._vsn = vsn
        self._ask_file = ask_file
        self._read = read
        self._selection: Selection | None = None
        #: the file being read (Choose file…), or None.
        self.job: TransferJob | None = None

        form = QFormLayout()
        self.file_label = QLabel(source or "no file chosen")
        self.file_label.setAccessibleName("Recording")
        if ask_file is not None:
            self.file_button = QPushButton("Choose file…")
            self.file_button.clicked.connect(self.choose_file)
            row = QHBoxLayout()
            row.addWidget(self.file_label, 1)
            row.addWidget(self.file_button)
            form.addRow("Recording", row)
        else:
            form.addRow("Recording", self.file_label)
        self.target_combo = QComboBox()
        self.target_combo.setAccessibleName("Target channel")
        for name in targets:
            self.target_combo.addItem(short_name(name), name)
        if target is not None and (index := self.target_combo.findData(target)) >= 0:
            self.target_combo.setCurrentIndex(index)
        form.addRow("Into channel", self.target_combo)

        self.original_radio = QRadioButton("Original timing ×")
        self.rate_radio = QRadioButton("Fixed rate")
        group = QButtonGroup(self)
        group.addButton(self.original_radio)
        group.addButton(self.rate_radio)
        self.original_radio.setChecked(True)
        self.speed_spin = QDoubleSpinBox()
        self.speed_spin.setAccessibleName("Speed factor")
        self.speed_spin.setRange(MIN_SPEED, MAX_SPEED)
        self.speed_spin.setDecimals(1)
        self.speed_spin.setValue(1.0)
        self.speed_spin.setToolTip(f"x{MIN_SPEED:g} (half speed) to x{MAX_SPEED:g}")
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setAccessibleName("Rate")
        self.rate_spin.setRange(0.1, 100_000)
        self.rate_spin.setDecimals(1)
        self.rate_spin.setValue(10.0)
        self.rate_spin.setSuffix(" msg/s")
        timing = QHBoxLayout()
        timing.addWidget(self.original_radio)
        timing.addWidget(self.speed_spin)
        timing.addSpacing(12)
        timing.addWidget(self.rate_radio)
        timing.addWidget(self.rate_spin)
        timing.addStretch(1)
        form.addRow("Timing", timing)

        self.events_edit = QLineEdit()
        self.events_edit.setAccessibleName("Event filter")
        self.events_edit.setPlaceholderText("all events (e.g. chat, cursor*)")
        form.addRow("Events", self.events_edit)
        self.direction_combo = QComboBox()
        self.direction_combo.setAccessibleName("Direction")
        for value, text in DIRECTION_CHOICES:
            self.direction_combo.addItem(text, value)
        form.addRow("Rows", self.direction_combo)
        self.loop_spin = QSpinBox()
        self.loop_spin.setAccessibleName("Loops")
        self.loop_spin.setRange(1, 1_000_000)
        self.loop_spin.setToolTip("Play the recording this many times, one after the other")
        form.addRow("Loops", self.loop_spin)
        self.via_combo = QComboBox()
        self.via_combo.setAccessibleName("Send via")
        self.via_combo.addItem("WebSocket", WEBSOCKET)
        self.via_combo.addItem("REST", REST)
        form.addRow("Via", self.via_combo)
        self.ack_check = QCheckBox("Ask the server to acknowledge each send")
        self.ack_check.setAccessibleName("Acks")
        self.ack_label = QLabel()
        self.ack_label.setWordWrap(True)
        acks = QVBoxLayout()
        acks.setSpacing(0)
        acks.addWidget(self.ack_check)
        acks.addWidget(self.ack_label)
        form.addRow("Acks", acks)

        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        self.preview_label.setAccessibleName("Replay preview")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.replay_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.replay_button.setText("Replay")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.buttons)

        self.target_combo.currentIndexChanged.connect(self._target_changed)
        self._target_changed()
        for signal in (
            self.ack_check.toggled,
            self.target_combo.currentIndexChanged,
            self.speed_spin.valueChanged,
            self.rate_spin.valueChanged,
            self.original_radio.toggled,
            self.events_edit.textChanged,
            self.direction_combo.currentIndexChanged,
            self.loop_spin.valueChanged,
            self.via_combo.currentIndexChanged,
        ):
            signal.connect(self._update)
        self._update()

    # ------------------------------------------------------------------------------ reading

    def target(self) -> str | None:
        value = self.target_combo.currentData()
        return value if isinstance(value, str) else None

    def options(self) -> ReplayOptions:
        rate = self.rate_spin.value() if self.rate_radio.isChecked() else None
        return ReplayOptions(
            speed=self.speed_spin.value(),
            rate=rate,
            events=parse_event_list(self.events_edit.text()),
            direction=str(self.direction_combo.currentData()),
            loops=self.loop_spin.value(),
            via=str(self.via_combo.currentData()),
        )

    def ack(self) -> bool | None:
        """Whether the target tab should join with ack (None over REST: not a question)."""
        if self.via_combo.currentData() == REST:
            return None
        return self.ack_check.isChecked()

    def _target_changed(self, *_args: object) -> None:
        target = self.target()
        self.ack_check.setChecked(target is not None and self._ack_of(target))

    def selection(self) -> Selection | None:
        """What would be replayed (None without a recording)."""
        return self._selection

    # ------------------------------------------------------------------------------ file

    def choose_file(self) -> None:
        if self._ask_file is None or self._read is None:
            return
        path = self._ask_file()
        if path is None:
            return
        self.load_file(path)

    def load_file(self, path: Path) -> TransferJob:
        """Start reading ``path`` as the recording (a job with progress and Cancel); when it
        ends, the preview shows what it holds or why it cannot be replayed."""
        assert self._read is not None
        if self.job is not None and self.job.running:
            self.job.cancel()
        self.source = path.name
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self.recording = None
        self._update(problem=f"Reading {path.name}…")
        job, reader = self._read(path)
        self.job = job

        def finished(ok: bool, message: str) -> None:
            if self.job is not job:
                return
            self.job = None
            if not ok:
                why = message.split(" failed: ", 1)[-1]
                self._update(problem=f"{path.name} cannot be replayed: {why}")
                return
            try:
                self.recording = reader.finish()
            except NotARecording as exc:
                self._update(problem=f"{path.name} cannot be replayed: {exc}")
                return
            self._update()

        job.finished.connect(finished)
        if not job.running:  # a job that ended at once (tests) has already emitted
            finished(bool(job.ok), job.message)
        return job

    def done(self, result: int) -> None:
        """Closing the dialog stops a read in progress."""
        if self.job is not None and self.job.running:
            self.job.cancel()
        super().done(result)

    # ------------------------------------------------------------------------------ preview

    def _update(self, *_args: Any, problem: str | None = None) -> None:
        target = self.target()
        options = self.options()
        rest = options.via == REST
        self.ack_check.setEnabled(target is not None and not rest)
        if target is None:
            self.ack_label.setText("")
        elif rest:
            self.ack_label.setText("REST answers every request (HTTP status and time)")
        elif self.ack_check.isChecked() != self._ack_of(target):
            self.ack_label.setText(
                "ack is a join option: the tab rejoins with ack "
                f"{'on' if self.ack_check.isChecked() else 'off'} before the replay starts"
            )
        elif not self.ack_check.isChecked():
            self.ack_label.setText("without acks there are no round trips to report")
        else:
            self.ack_label.setText("the tab is joined with ack on")
        self._selection = None
        if problem is None:
            problem = self._problem(target, options)
        ok = problem is None
        self.replay_button.setEnabled(ok)
        if not ok:
            self.preview_label.setText(
                f"<span style='color:#c0392b'>{_escape(problem or '')}</span>"
            )

    def _problem(self, target: str | None, options: ReplayOptions) -> str | None:
        recording = self.recording
        if recording is None:
            return "Choose a recording (a tab export or listen output)."
        if target is None:
            return "No joined channel to replay into: join one first."
        chosen = select(recording.messages, options)
        if not chosen.items:
            return "Nothing to replay: " + chosen.empty_reason(options).replace(
                "pass --direction", "choose rows:"
            )
        if (
            options.via == WEBSOCKET
            and self._vsn != "2.0.0"
            and any(item.binary for item in chosen.items)
        ):
            return (
                "The recording holds binary payloads: they need protocol 2.0.0 over the "
                "WebSocket (or send via REST)."
            )
        self._selection = chosen
        offsets = [item.offset for item in chosen.items]
        last = 0.0
        for _i, due in schedule(
            offsets, speed=options.speed, rate=options.rate, loops=options.loops
        ):
            last = due
        count = len(chosen.items)
        parts = [
            f"{count:,} message{'' if count == 1 else 's'}"
            + (f" × {options.loops:,}" if options.loops > 1 else "")
            + f", about {_duration(last)}"
        ]
        if chosen.left_out:
            parts.append(f"{chosen.left_out:,} left out by the filters")
        if recording.error_count:
            first, why = recording.errors[0]
            parts.append(
                f"{recording.error_count:,} malformed line(s) skipped (line {first}: {why})"
            )
        self.preview_label.setText(_escape(" · ".join(parts)))
        return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
