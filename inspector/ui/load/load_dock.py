"""The Load panel (View → Load): a load preset against the current profile, live charts, the
final table (issue #14 §2; docs/gui.md, "Load").

What the panel decides:

- **Where it runs.** On the window's current profile (the connection's, else the one
  selected): its URL, API key, protocol and, when set, its user token (every VU uses it; the
  ``auth`` preset's private channels need one). VUs connect with websockets of their own, in
  this process, on the window's loop (:class:`~.load_run.LoadRun`); the window's connection
  and tabs are not touched.
- **What runs.** A preset with its main overrides (VUs, seconds of sending, messages per
  second per channel, payload size, websocket or REST, ack); the rest is the preset's
  (``realtime-inspector load --list``). Every run gets a new run id in its channel names, so
  runs never mix.
- **Safety.** A server that is not on this machine
  (:func:`~inspector.client.load.safety.is_local`) asks first, showing what the run opens,
  joins and sends and the Supabase quotas it goes over (the CLI's ``--yes`` text). Runs are
  bounded by their duration; Stop ends one early (sending stops, in-flight messages drain).
- **What it shows.** Progress by phase, live figures, throughput (sent and delivered per
  second) and latency (p50 and p99 so far) charts, and at the end the CLI's summary table
  (:func:`~inspector.client.load.report.rows`) with lost/duplicated messages and errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.client.errors import InvalidSettings
from inspector.client.load import PRESETS, LoadStats, Snapshot, Workload, preset
from inspector.client.load.report import format_value, rows
from inspector.client.load.safety import is_local, safety_lines
from inspector.client.load.workloads import VIAS
from inspector.client.settings import ClientSettings
from inspector.protocol.invisible import printable
from inspector.store import Profile
from inspector.store.profiles.profiles import normalize_url

from ..common import icons, theme
from .load_run import LoadRun

if TYPE_CHECKING:
    from .charts import LoadCharts

#: ``confirm(title, text) -> bool``: asks before a run against a remote server.
Confirm = Callable[[str, str], bool]

#: Presets offered (payload-1kb/10kb/50kb are payload-size with another --payload).
PANEL_PRESETS = ("broadcast", "payload-size", "large-fanout", "auth", "rest", "custom")


@dataclass
class LoadHost:
    """What the panel needs of the window."""

    #: the profile runs use (the connection's, else the selected one), or None.
    profile: Callable[[], Profile | None]
    #: the API key of a profile ("" when none).
    api_key: Callable[[Profile], str]
    #: the user access token of a profile (None when none).
    access_token: Callable[[Profile], str | None]


def confirm_box(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """The question before a run against a remote server (Cancel is the default)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setInformativeText("Start the run?")
    box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 32em; }")  # it ignores resize()
    box.addButton("Start", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


def confirm_text(workload: Workload) -> str:
    """What a run of ``workload`` does and the quotas it goes over, one paragraph each."""
    return "\n\n".join(line[0].upper() + line[1:] + "." for line in safety_lines(workload))


def _message_box_confirm(parent: QWidget) -> Confirm:
    def confirm(title: str, text: str) -> bool:
        box = confirm_box(parent, title, text)
        box.exec()
        return box.buttonRole(box.clickedButton()) is QMessageBox.ButtonRole.AcceptRole

    return confirm


class LoadPanel(QWidget):
    """The form, the progress, the charts and the final table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset_combo = QComboBox()
        for name in PANEL_PRESETS:
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1,
                PRESETS[name].description,
                Qt.ItemDataRole.ToolTipRole,
            )
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.vus = QSpinBox()
        self.vus.setRange(1, 100_000)
        self.vus.setToolTip("Virtual users: one websocket each")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.5, 24 * 3600)
        self.duration.setDecimals(1)
        self.duration.setSuffix(" s")
        self.duration.setToolTip("Seconds of sending, once every VU has joined")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.0, 10_000)
        self.rate.setDecimals(3)
        self.rate.setSuffix(" /s")
        self.rate.setToolTip("Messages per second each VU sends into each of its channels")
        self.payload = QSpinBox()
        self.payload.setRange(0, 10_000_000)
        self.payload.setSingleStep(1000)
        self.payload.setSuffix(" B")
        self.payload.setToolTip("Payload size (JSON text); 0: the load header only")
        self.ramp = QDoubleSpinBox()
        self.ramp.setRange(0.0, 3600)
        self.ramp.setDecimals(1)
        self.ramp.setSuffix(" s")
        self.ramp.setToolTip("Seconds over which the VUs connect (the auth preset uses its rate)")
        self.via = QComboBox()
        for via in VIAS:
            self.via.addItem(via, via)
        self.via.setToolTip("Send over the websocket, REST single or REST batch")
        self.ack = QCheckBox("Ack")
        self.ack.setToolTip("Wait for the server's ack of each send (ack latency)")

        form = QGridLayout()
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        form.addWidget(QLabel("Preset"), 0, 0)
        form.addWidget(self.preset_combo, 0, 1, 1, 3)
        form.addWidget(self.description, 1, 0, 1, 4)
        pairs = (
            ("VUs", self.vus),
            ("Ramp-up", self.ramp),
            ("Sending", self.duration),
            ("Rate", self.rate),
            ("Payload", self.payload),
            ("Via", self.via),
        )
        for i, (label, widget) in enumerate(pairs):
            row, col = 2 + i // 2, (i % 2) * 2
            text = QLabel(label)
            text.setBuddy(widget)
            form.addWidget(text, row, col)
            form.addWidget(widget, row, col + 1)
        form.addWidget(self.ack, 2 + len(pairs) // 2, 1)

        self.target_label = QLabel()
        self.target_label.setWordWrap(True)
        self.expected_label = QLabel()
        self.expected_label.setWordWrap(True)
        self.start_button = QPushButton(icons.icon("send"), "Start")
        self.start_button.setToolTip("Run the preset against the current profile")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop sending, let messages in flight arrive, close")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        self.progress.setTextVisible(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.progress, 1)
        self.live_label = QLabel("")
        self.live_label.setWordWrap(True)
        self.live_label.setFont(theme.mono_font())
        self.note = QLabel("")
        self.note.setWordWrap(True)

        # pyqtgraph (and numpy) take about a second to import: only when the panel is built,
        # the first time the dock is shown, never at the window's start.
        from .charts import LoadCharts

        self.charts: LoadCharts = LoadCharts()
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["", "Figure", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        # controls + two charts + table fit a 1024-wide window (the splitter gives more).
        self.table.setMinimumWidth(240)

        controls = QWidget()
        left = QVBoxLayout(controls)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(form)
        left.addWidget(self.target_label)
        left.addWidget(self.expected_label)
        left.addLayout(buttons)
        left.addWidget(self.live_label)
        left.addWidget(self.note)
        left.addStretch(1)
        controls.setMinimumWidth(340)
        controls.setMaximumWidth(520)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(controls)
        split.addWidget(self.charts)
        split.addWidget(self.table)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 1)
        split.setChildrenCollapsible(False)
        self.splitter = split
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        for spin in (self.vus, self.payload):
            spin.valueChanged.connect(self._update_expected)
        for dspin in (self.duration, self.rate, self.ramp):
            dspin.valueChanged.connect(self._update_expected)
        self.via.currentIndexChanged.connect(self._update_expected)
        self._preset_changed()

    # ------------------------------------------------------------------------------ form

    def preset_name(self) -> str:
        return str(self.preset_combo.currentData())

    def set_preset(self, name: str) -> None:
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(name))

    def _preset_changed(self, *_args: object) -> None:
        w = PRESETS[self.preset_name()]
        self.description.setText(w.description)
        self.vus.setValue(w.vus)
        self.duration.setValue(w.duration_s)
        self.ramp.setValue(w.ramp_up_s)
        self.rate.setValue(w.send_rate)
        self.payload.setValue(w.payload_bytes)
        self.via.setCurrentIndex(self.via.findData(w.via))
        self.ack.setChecked(w.ack)
        self._update_expected()

    def workload(self, run_id: str = "") -> Workload:
        """The preset with the form's values (``ValueError`` for a bad combination)."""
        return preset(
            self.preset_name(),
            vus=self.vus.value(),
            duration_s=self.duration.value(),
            ramp_up_s=self.ramp.value(),
            send_rate=self.rate.value(),
            payload_bytes=self.payload.value(),
            via=str(self.via.currentData()),
            ack=self.ack.isChecked(),
            run_id=run_id,
        )

    def _update_expected(self, *_args: object) -> None:
        try:
            w = self.workload()
        except ValueError as exc:
            self.expected_label.setText(str(exc))
            return
        joins = w.vus * w.channels_per_vu()
        self.expected_label.setText(
            f"{w.vus:,} sockets, {joins:,} joins; sends {w.send_rate_total():,.1f} messages/s "
            f"for {w.duration_s:g} s, about {w.delivery_rate_total():,.1f} deliveries/s"
        )

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (
            self.preset_combo,
            self.vus,
            self.ramp,
            self.duration,
            self.rate,
            self.payload,
            self.via,
            self.ack,
        ):
            widget.setEnabled(not running)

    # ------------------------------------------------------------------------------ results

    def clear_results(self) -> None:
        self.charts.clear()
        self.table.setRowCount(0)
        self.live_label.setText("")
        self.progress.setValue(0)

    def show_progress(self, snap: Snapshot) -> None:
        if snap.phase == "connecting":
            done = snap.connected / max(snap.vus, 1)
            text = f"connecting {snap.connected:,}/{snap.vus:,}"
        elif snap.phase == "sending":
            done = snap.sending_elapsed / snap.duration if snap.duration > 0 else 1.0
            text = f"sending {snap.sending_elapsed:.0f}/{snap.duration:g} s"
        else:
            done = 1.0
            text = snap.phase
        self.progress.setValue(int(1000 * min(max(done, 0.0), 1.0)))
        self.progress.setFormat(text)
        self.live_label.setText(
            f"users {snap.connected:,}/{snap.vus:,}  joined {snap.joined:,}  "
            f"sent {snap.sent:,} ({snap.sent_rate:,.0f}/s)  "
            f"delivered {snap.delivered:,} ({snap.delivered_rate:,.0f}/s)\n"
            f"p50 {format_value('p50', snap.p50_ms)}  p99 {format_value('p99', snap.p99_ms)}  "
            f"errors {snap.errors:,}"
        )
        if snap.phase == "sending":
            self.charts.add_point(
                snap.elapsed, snap.sent_rate, snap.delivered_rate, snap.p50_ms, snap.p99_ms
            )

    def show_result(self, stats: LoadStats, note: str) -> None:
        summary = stats.summary()
        table_rows = rows(summary)
        self.table.setRowCount(len(table_rows))
        last = ""
        for r, (section, label, value) in enumerate(table_rows):
            cells = (section if section != last else "", label, value)
            last = section
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        colors = theme.colors(self.palette())
        lost, dup, ooo = summary["lost"] or 0, summary["duplicated"] or 0, summary["out_of_order"]
        parts = []
        if note:
            parts.append(note[0].upper() + note[1:] + ".")
        if summary["delivered"] or summary["sent"]:
            if lost or dup or ooo:
                parts.append(
                    f"<span style='color:{colors.error.name()}'>{lost:,} lost, {dup:,} "
                    f"duplicated, {ooo or 0:,} out of order.</span>"
                )
            else:
                parts.append(
                    f"<span style='color:{colors.ok.name()}'>Nothing lost, duplicated or out "
                    "of order.</span>"
                )
        if stats.errors:
            top = ", ".join(
                f"{printable(reason)} ×{count:,}" for reason, count in stats.errors.most_common(3)
            )
            parts.append(f"Errors: {_html(top)}.")
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.note.setText(" ".join(parts))


def _html(text: str) -> str:
    import html

    return html.escape(text)


class LoadDock(QDockWidget):
    """The Load panel in a dock (View → Load), hidden until asked for."""

    def __init__(
        self, host: LoadHost, *, confirm: Confirm | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Load", parent)
        self.setObjectName("load_dock")
        self.host = host
        self.confirm = confirm or _message_box_confirm(parent or self)
        self._panel: LoadPanel | None = None
        self.setWidget(QWidget())  # the panel replaces it when first shown
        self.run = LoadRun(self)
        action = self.toggleViewAction()
        action.setText("&Load test")
        action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        action.setToolTip("Load presets against the current profile: live charts, final table")
        self.visibilityChanged.connect(self._visibility_changed)

    @property
    def panel(self) -> LoadPanel:
        """The panel, built on first use (the dock's first show)."""
        if self._panel is None:
            panel = self._panel = LoadPanel()
            self.setWidget(panel)
            panel.start_button.clicked.connect(self.start)
            panel.stop_button.clicked.connect(self.run.stop)
            self.run.progress.connect(panel.show_progress)
            self.run.finished.connect(self._finished)
            self.refresh_target()
        return self._panel

    def _visibility_changed(self, visible: bool) -> None:
        if visible:
            self.refresh_target()

    @classmethod
    def install(cls, window: QMainWindow, host: LoadHost, view_menu: QMenu) -> LoadDock:
        """Create the dock at the bottom of ``window``, hidden, its toggle in ``view_menu``."""
        dock = cls(host, parent=window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        view_menu.addAction(dock.toggleViewAction())
        window.addAction(dock.toggleViewAction())
        return dock

    def target(self) -> tuple[ClientSettings | None, str]:
        """The settings runs use now (None: cannot run), and that in words."""
        profile = self.host.profile()
        if profile is None:
            return None, "No profile: add one (Connection → Profiles) to run a load test."
        key = self.host.api_key(profile)
        if not key:
            return None, f"Profile “{profile.name}” has no API key."
        url = normalize_url(profile.url)
        try:
            settings = ClientSettings(
                url, key, vsn=profile.vsn, access_token=self.host.access_token(profile) or None
            )
        except InvalidSettings as exc:
            return None, f"Profile “{profile.name}”: {exc}"
        where = "this machine" if is_local(url) else "a remote server: asks first"
        return settings, f"Runs on profile “{profile.name}” · {url} ({where})"

    def refresh_target(self) -> None:
        if self._panel is None and not self.isVisible():
            return  # the panel shows it when it is built, at the dock's first show
        self.panel.target_label.setText(self.target()[1])

    def start(self) -> bool:
        """Start the form's run (after the remote-target question); False when it did not."""
        if self.run.running:
            return False
        settings, words = self.target()
        self.panel.target_label.setText(words)
        if settings is None:
            self.panel.note.setText(words)
            return False
        try:
            workload = self.panel.workload(run_id=uuid.uuid4().hex[:6])
        except ValueError as exc:
            self.panel.note.setText(f"Not started: {exc}")
            return False
        remote = not is_local(settings.url)
        if remote and not self.confirm(f"Load {settings.url}?", confirm_text(workload)):
            self.panel.note.setText("Not started: the target is not on this machine.")
            return False
        if workload.private and not settings.access_token:
            self.panel.note.setText(
                "Private channels: without a user token on the profile the joins may be refused."
            )
        else:
            self.panel.note.setText(f"Running {workload.name} (run {workload.run_id})…")
        self.panel.clear_results()
        self.panel.set_running(True)
        return self.run.start(workload, settings)

    def stop(self) -> None:
        self.run.stop()

    def _finished(self, stats: LoadStats, note: str) -> None:
        self.panel.set_running(False)
        self.panel.show_result(stats, note)
