"""FramesPanel: every websocket frame of the connection, in and out (the "Frames" dock).

Like the frames view of browser developer tools: time, direction, opcode, size, topic, event,
ref and join_ref per frame, the handshake and close as rows of their own, and below the table
the selected frame decoded (the five envelope fields, §2) and, for binary frames, as annotated
hex (§2.3). Filters by direction, channel and text; Pause holds new frames with a count; Clear
empties the log. Secrets are redacted everywhere unless *Reveal secrets* is checked, which
lasts until it is unchecked or the dock is closed.
"""

from __future__ import annotations

import json
from typing import Any, Final

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.frames import (
    ENCODING_JSON,
    BinaryBroadcast,
    BinaryPush,
    BinaryReply,
    FrameRejected,
    Message,
    UserBroadcast,
    UserBroadcastPush,
)
from inspector.protocol.invisible import reveal_count
from inspector.protocol.redact import DEPTH_LIMIT, redact_bytes, redact_value
from inspector.store.frames.frames import (
    BINARY,
    CONNECTION,
    IN,
    OUT,
    FrameFilter,
    FrameLog,
    FrameRow,
)
from inspector.store.frames.hex_annotate import annotated_hex
from inspector.store.timefmt import local_stamp

from ..common import icons, theme
from ..common.log_controls import (
    LogControls,
    debounce_timer,
    filter_field,
    select_last_row,
    tool_button,
)
from ..messages.message_table_model import SIZE_SAMPLE
from .frames_model import (
    COL_DATA,
    COL_DIRECTION,
    COL_EVENT,
    COL_JOIN_REF,
    COL_OPCODE,
    COL_REF,
    COL_SIZE,
    COL_TIME,
    COL_TOPIC,
    FrameRole,
    FramesFilterProxyModel,
    FramesTableModel,
    direction_label,
)

#: The decoded view stops at this many characters.
MAX_DETAIL_CHARS: Final = 200_000
ALL_CHANNELS: Final = "All channels"


def _payload_view(encoding: int, payload: bytes, reveal: bool) -> Any:
    if encoding == ENCODING_JSON:
        try:
            return json.loads(payload)
        except (ValueError, RecursionError):
            pass
    shown = payload if reveal else redact_bytes(payload)
    head = shown[:64].hex(" ")
    more = f" … ({len(payload):,} bytes)" if len(payload) > 64 else ""
    return f"<binary, {len(payload):,} bytes: {head}{more}>"


def decoded_fields(frame: FrameRow, reveal: bool) -> dict[str, Any] | None:
    """The decoded frame as JSON-ready fields (redacted unless ``reveal``), or None."""
    decoded = frame.decoded()
    fields: dict[str, Any]
    if decoded is None:
        return None
    if isinstance(decoded, FrameRejected):
        return {"rejected": decoded.reason}
    if isinstance(decoded, Message):
        fields = {
            "join_ref": decoded.join_ref,
            "ref": decoded.ref,
            "topic": decoded.topic,
            "event": decoded.event,
            "payload": decoded.payload,
        }
    elif isinstance(decoded, UserBroadcastPush | UserBroadcast):
        fields = {}
        if isinstance(decoded, UserBroadcastPush):
            fields["join_ref"] = decoded.join_ref
            fields["ref"] = decoded.ref
        fields["topic"] = decoded.topic
        fields["user_event"] = decoded.user_event
        meta: Any = decoded.metadata.decode("utf-8", "replace") if decoded.metadata else None
        if meta:
            try:
                meta = json.loads(meta)
            except ValueError:
                pass
        fields["metadata"] = meta
        fields["payload_encoding"] = decoded.encoding
        fields["payload"] = _payload_view(decoded.encoding, decoded.payload, reveal)
    elif isinstance(decoded, BinaryReply):
        fields = {
            "join_ref": decoded.join_ref,
            "ref": decoded.ref,
            "topic": decoded.topic,
            "status": decoded.status,
            "payload": _payload_view(0, decoded.payload, reveal),
        }
    else:
        assert isinstance(decoded, BinaryPush | BinaryBroadcast)
        fields = {"topic": decoded.topic, "event": decoded.event}
        if isinstance(decoded, BinaryPush):
            fields = {"join_ref": decoded.join_ref, "ref": decoded.ref, **fields}
        fields["payload"] = _payload_view(0, decoded.payload, reveal)
    if reveal:
        return fields
    redacted: dict[str, Any] = redact_value(fields, max_depth=DEPTH_LIMIT)
    return redacted


def frame_detail(frame: FrameRow, reveal: bool) -> str:
    """The text of the detail pane: header, decoded fields, then the raw frame or its hex."""
    summary = frame.summary()
    stamp = local_stamp(frame.time)
    lines = [
        f"{direction_label(frame)} · {frame.opcode} · {frame.size:,} bytes · {stamp}"
        f" · {summary.kind} · vsn {frame.vsn}"
    ]
    if frame.is_marker:
        lines += ["", frame.shown_text(reveal)]
        return "\n".join(lines)
    if frame.cut:
        lines += [
            "",
            f"Only the first {len(frame.data):,} of {frame.size:,} bytes of this frame are kept;"
            " the message itself is in its tab.",
        ]
    fields = decoded_fields(frame, reveal)
    if fields is not None:
        lines += ["", "Decoded:", json.dumps(fields, indent=2, ensure_ascii=False)]
    if frame.opcode == BINARY and isinstance(frame.data, bytes):
        data = frame.data if reveal else redact_bytes(frame.data)
        lines += ["", "Annotated hex (§2.3):", annotated_hex(data, frame.direction)]
    else:
        lines += ["", "Raw frame:", frame.shown_text(reveal)]
    text = "\n".join(lines)
    if len(text) > MAX_DETAIL_CHARS:
        text = text[:MAX_DETAIL_CHARS] + f"\n… cut at {MAX_DETAIL_CHARS:,} characters"
    text, hidden = reveal_count(text)  # peer text: hidden characters as \uXXXX (QA 7)
    if hidden:
        first, _, rest = text.partition("\n")
        note = f"⚠ {hidden:,} invisible or direction-changing characters are shown as \\uXXXX"
        text = f"{first}\n{note}\n{rest}"
    return text


class ChannelFilterCombo(QComboBox):
    """The channel filter; its list is read from the log when it opens (not on every frame)."""

    def __init__(self, log: FrameLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log = log
        self.setAccessibleName("Channel filter")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.addItem(ALL_CHANNELS, "")
        self.refresh()

    def refresh(self) -> None:
        current = self.currentData()
        names = self._log.channels()
        if current and current not in names:
            names.append(str(current))
        self.blockSignals(True)
        try:
            self.clear()
            self.addItem(ALL_CHANNELS, "")
            for name in names:
                label = "Connection (handshake, heartbeats, close)" if name == CONNECTION else name
                self.addItem(label, name)
            index = self.findData(current) if current else 0
            self.setCurrentIndex(max(0, index))
        finally:
            self.blockSignals(False)

    def showPopup(self) -> None:
        self.refresh()
        super().showPopup()

    def select_channel(self, name: str) -> None:
        """Select ``name`` (a channel or :data:`CONNECTION`; "" for all)."""
        self.refresh()
        index = self.findData(name)
        if index < 0:
            self.addItem(name, name)
            index = self.count() - 1
        self.setCurrentIndex(index)


class FramesPanel(QWidget):
    """Filters, the frames table and the selected frame's detail."""

    #: the user asked to export the frames (the window asks where).
    export_requested = Signal()
    copied = Signal(str)

    def __init__(
        self, log: FrameLog, *, coalesce_ms: int = 60, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.log = log
        self.model = FramesTableModel(log, coalesce_ms, self)
        self.proxy = FramesFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.controls = LogControls(
            log,
            self.model,
            self.proxy,
            pause_tooltip="Hold new frames; they are kept and shown on Resume",
            counts_name="Frame counts",
        )
        self._follow = True
        self._frame: FrameRow | None = None

        self.direction_combo = QComboBox()
        self.direction_combo.setAccessibleName("Direction filter")
        for label, value in (("In and out", ""), ("↓ In", IN), ("↑ Out", OUT)):
            self.direction_combo.addItem(label, value)
        self.channel_combo = ChannelFilterCombo(log)
        self.filter_edit = filter_field("Filter frames by text", "Frame text filter")
        self.pause_button = self.controls.pause_button
        self.clear_button = self.controls.clear_button
        self.reveal_check = QCheckBox("Reveal secrets")
        self.reveal_check.setToolTip(
            "Show API keys and tokens as they crossed the wire, in this view only, until "
            "unchecked or the dock is closed. Exports stay redacted."
        )
        self.export_button = tool_button("export", "Export…")
        self.counts_label = self.controls.counts_label
        bar = QHBoxLayout()
        bar.addWidget(self.direction_combo)
        bar.addWidget(self.channel_combo)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.pause_button)
        bar.addWidget(self.clear_button)
        bar.addWidget(self.reveal_check)
        bar.addWidget(self.export_button)
        bar.addWidget(self.counts_label, 1)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Frames")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_DATA, QHeaderView.ResizeMode.Stretch)
        fm = self.fontMetrics()
        for col, sample in (
            (COL_TIME, "00:00:00.000 "),
            (COL_DIRECTION, "↑ out  "),
            (COL_OPCODE, "binary  "),
            (COL_SIZE, SIZE_SAMPLE + "  "),
            (COL_TOPIC, "realtime:room-123 "),
            (COL_EVENT, "phx_reply error "),
            (COL_REF, "0000 "),
            (COL_JOIN_REF, "join_ref "),
        ):
            self.table.setColumnWidth(col, fm.horizontalAdvance(sample) + 12)

        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(theme.mono_font())
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # hex columns stay aligned
        self.detail.setPlaceholderText("Select a frame to see it decoded")
        self.detail.setAccessibleName("Frame detail")
        self.copy_button = QPushButton(icons.icon("copy"), "Copy frame")
        self.copy_button.setEnabled(False)
        self.copy_button.setToolTip("Copy the frame as shown (redacted unless revealed)")
        detail_box = QWidget()
        detail_layout = QVBoxLayout(detail_box)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.evicted_note = QLabel(
            "⚠ This frame is no longer in the table (evicted by the row cap); "
            "it is still shown and copied from here."
        )
        self.evicted_note.setWordWrap(True)
        self.evicted_note.setAccessibleName("Frame evicted")
        self.evicted_note.setVisible(False)
        detail_layout.addWidget(self.evicted_note)
        detail_layout.addWidget(self.detail, 1)
        detail_layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self._filter_timer = debounce_timer(self, self.apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self.direction_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.channel_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.pause_button.toggled.connect(self.set_paused)
        self.clear_button.clicked.connect(self.clear)
        self.reveal_check.toggled.connect(self.set_reveal)
        self.export_button.clicked.connect(self.export_requested)
        self.copy_button.clicked.connect(self.copy_frame)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.model.flushed.connect(self._flushed)
        self.model.modelReset.connect(self._update_counts)
        self._update_counts()

    # ------------------------------------------------------------------------------ state

    @property
    def selected_frame(self) -> FrameRow | None:
        return self._frame

    def set_reveal(self, reveal: bool) -> None:
        if self.reveal_check.isChecked() != reveal:
            self.reveal_check.setChecked(reveal)
            return
        self.model.set_reveal(reveal)
        self.apply_filter()
        c = theme.colors()
        self.reveal_check.setStyleSheet(f"color: {c.error.name()};" if reveal else "")
        self._show_detail()

    def set_paused(self, paused: bool) -> None:
        if self.controls.set_paused(paused):
            self._update_counts()

    def clear(self) -> None:
        self.log.clear()
        self._frame = None
        self.evicted_note.setVisible(False)
        self.detail.setPlainText("")
        self.copy_button.setEnabled(False)
        self._update_counts()

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.proxy.set_frame_filter(
            FrameFilter(
                direction=str(self.direction_combo.currentData() or ""),
                channel=str(self.channel_combo.currentData() or ""),
                text=self.filter_edit.text().strip().lower(),
                reveal=self.model.reveal,
            )
        )
        self._update_counts()
        if self._follow:
            self.table.scrollToBottom()

    def select_last(self) -> None:
        select_last_row(self.table)

    def select_frame(self, frame: FrameRow) -> bool:
        """Select ``frame`` in the table; False when it is filtered out or evicted."""
        src = self.model.row_of(frame)
        if src is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(src, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        return True

    def detail_text(self) -> str:
        return self.detail.toPlainText()

    def copy_frame(self) -> None:
        if self._frame is None:
            return
        QGuiApplication.clipboard().setText(self._frame.shown_text(self.model.reveal))
        self.copied.emit("frame")

    # ------------------------------------------------------------------------------ events

    def _update_counts(self) -> None:
        self.controls.show_counts(zero_evicted=False)

    def _flushed(self, inserted: int, _removed: int) -> None:
        self._update_counts()
        self._show_evicted()
        if inserted and self._follow:
            self.table.scrollToBottom()

    def _scrolled(self, value: int) -> None:
        self._follow = value >= self.table.verticalScrollBar().maximum()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return
        frame = indexes[0].data(FrameRole)
        shown = self._frame
        evicted = shown is not None and not self.log.contains(shown)
        if self.model.removing and frame is not shown and evicted:
            # Qt moved the selection off an evicted frame onto its neighbour; keep ours.
            self.table.selectionModel().clearSelection()
            self._show_evicted()
            return
        if isinstance(frame, FrameRow):
            self._frame = frame
            self._show_evicted()
            self.copy_button.setEnabled(True)
            self._show_detail()

    def _show_evicted(self) -> None:
        frame = self._frame
        evicted = frame is not None and not self.log.contains(frame)
        if evicted:
            self.evicted_note.setStyleSheet(f"color: {theme.colors().warning.name()};")
        self.evicted_note.setVisible(evicted)

    def _show_detail(self) -> None:
        if self._frame is not None:
            self.detail.setPlainText(frame_detail(self._frame, self.model.reveal))


class FramesDock(QDockWidget):
    """The Frames panel in a dock (View → Frames); hidden until asked for. Closing the dock
    turns *Reveal secrets* off again."""

    def __init__(self, log: FrameLog, parent: QWidget | None = None) -> None:
        super().__init__("Frames", parent)
        self.setObjectName("frames_dock")
        self.panel = FramesPanel(log)
        self.panel.model.set_active(False)  # hidden until shown: no Qt work per frame
        self.setWidget(self.panel)
        self.visibilityChanged.connect(self._visibility_changed)
        action = self.toggleViewAction()
        action.setIcon(icons.icon("frames"))
        action.setText("&Frames")
        action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        action.setToolTip("Every websocket frame of the connection, in and out")

    @classmethod
    def install(cls, window: QMainWindow, log: FrameLog, menu: QMenu) -> FramesDock:
        """Create the dock at the bottom of ``window``, hidden, with its toggle in ``menu``."""
        dock = cls(log, window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        menu.addAction(dock.toggleViewAction())
        window.addAction(dock.toggleViewAction())
        return dock

    def _visibility_changed(self, visible: bool) -> None:
        shown = visible or self.isVisible()
        self.panel.model.set_active(shown)
        if not shown:
            self.panel.set_reveal(False)
