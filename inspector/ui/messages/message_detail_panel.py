"""MessageDetailPanel: the selected row's header, metadata, payload views and copy actions.

The payload views (:mod:`.payload_views`) show JSON as highlighted text and a tree, and binary
as hexdump, base64 and "UTF-8 / JSON", each formatted only when its tab is shown. ``meta``
(``id``, ``replayed``; docs/realtime-protocol.md §2.3, §2.5) is spelled out. Besides *Copy
payload* and *Copy row as JSON*, *Copy as* gives a ``realtime-inspector send`` command and a
``curl`` to the REST single endpoint that send this payload again, with the key read from the
environment, never inline (:mod:`inspector.store.messages.copy_commands`).

The panel holds the record itself, so the detail stays readable after the row is evicted from
the table (it says so), and it refreshes its header when an outgoing row's status changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.explain import explained
from inspector.protocol.invisible import printable, reveal
from inspector.store import Direction, MessageRecord, PayloadFormat, Transport
from inspector.store.messages.copy_commands import KEY_ENV, CommandTarget, cli_command, curl_command
from inspector.store.messages.reasons import row_explanation
from inspector.store.timefmt import local_iso, local_stamp

from ..common import icons, theme
from ..common.bounded_label import NarrowLabel, set_short_text
from .payload_views import PayloadViewsWidget

#: Pretty-printing for *Copy payload* stops at this many characters; the rest is cut.
MAX_PRETTY_CHARS: Final = 400_000
#: What the pane says when its row left the table (evicted by the row or memory cap).
EVICTED_NOTE: Final = (
    "⚠ This message is no longer in the table (evicted by the row cap); "
    "it is still shown and copied from here."
)
#: Above this size *Copy payload* copies the JSON text as it came, not re-indented.
MAX_PRETTY_BYTES: Final = 1_000_000


def pretty_payload(record: MessageRecord) -> str:
    """The payload as indented JSON, hex for binary, or the text when it is not JSON."""
    if record.format is PayloadFormat.BINARY:
        return record.payload.hex()
    if record.size > MAX_PRETTY_BYTES:
        return record.payload_text()
    try:
        text = json.dumps(record.payload_json(), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        text = record.payload_text()
    if len(text) > MAX_PRETTY_CHARS:
        text = text[:MAX_PRETTY_CHARS] + f"\n… cut at {MAX_PRETTY_CHARS:,} characters"
    return text


def row_json(record: MessageRecord, channel: str) -> str:
    """The whole row as pretty JSON (Copy row as JSON)."""
    data: dict[str, Any] = {"channel": channel, **record.to_dict()}
    data["time_iso"] = local_iso(record.time)
    return json.dumps(data, indent=2, ensure_ascii=False)


def describe_meta(meta: Any) -> str:
    """``meta`` in words: ``id 3f2a…``, and what ``replayed`` means (§2.3, §2.5)."""
    if not isinstance(meta, dict):
        return "meta " + json.dumps(meta, ensure_ascii=False)
    parts = []
    if "id" in meta:
        parts.append(f"id {meta['id']}")
    if meta.get("replayed") is True:
        parts.append(
            "replayed: sent again from the channel's stored messages when we joined, "
            "not a new broadcast"
        )
    rest = {k: v for k, v in meta.items() if k not in ("id", "replayed")}
    if rest:
        parts.append(json.dumps(rest, ensure_ascii=False))
    return "meta · " + " · ".join(parts) if parts else "meta {}"


#: Characters of a template the detail pane's tooltip shows.
TEMPLATE_SHOWN = 2000
#: Characters of each of its lines the detail pane shows (one line each, never wrapped).
TEMPLATE_LINE_CHARS = 160


def template_text(record: MessageRecord) -> str:
    """ "Typed as: ..." for a send whose variables were expanded (the views show what was sent)."""
    send = record.send
    if send is None or send.template_event is None:
        return ""
    lines = [f"Sent from a template (variables expanded below). Event typed: {send.template_event}"]
    if send.template_payload:
        shown = send.template_payload
        if len(shown) > TEMPLATE_SHOWN:
            shown = shown[: TEMPLATE_SHOWN - 1] + "…"
        lines.append(f"Payload typed: {shown}")
    return reveal("\n".join(lines))


class MessageDetailPanel(QWidget):
    """Header, meta, payload views and copy buttons for one record."""

    copied = Signal(str)
    #: *Track this field* in the Tree: the JSONPath of an integer to watch for sequence gaps.
    track_field_requested = Signal(str)
    #: *Show as column* in the Tree: the JSONPath of a field to show in the table.
    column_requested = Signal(str)

    def __init__(self, channel: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._channel = channel
        self._record: MessageRecord | None = None
        self._target: Callable[[], CommandTarget | None] = lambda: None
        self._has_target = False
        self.title = NarrowLabel("No row selected")
        self.title.setWordWrap(True)
        self.subtitle = NarrowLabel("")
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle.setWordWrap(True)
        self.subtitle.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.meta_label = NarrowLabel("")
        self.meta_label.setTextFormat(Qt.TextFormat.PlainText)
        self.meta_label.setWordWrap(True)
        self.meta_label.setAccessibleName("Broadcast metadata")
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label.setVisible(False)
        self.template_label = NarrowLabel("")
        self.template_label.setTextFormat(Qt.TextFormat.PlainText)
        # one line each, cut: a JWT in "Payload typed:" pushed the table down (QA)
        self.template_label.setAccessibleName("Template of this send")
        self.template_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.template_label.setVisible(False)
        #: the row's reason in plain words, its likely cause and what to do (issue #15 item 6).
        self.explanation = NarrowLabel("")
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setWordWrap(True)
        self.explanation.setAccessibleName("Explanation of the reason")
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explanation.setVisible(False)
        self.evicted_note = QLabel(EVICTED_NOTE)
        self.evicted_note.setWordWrap(True)
        self.evicted_note.setAccessibleName("Row evicted")
        self.evicted_note.setVisible(False)
        self.views = PayloadViewsWidget()
        self.views.tree.track_field_requested.connect(self.track_field_requested)
        self.views.tree.column_requested.connect(self.column_requested)
        #: the first view's editor: pretty JSON, or the hexdump of a binary payload.
        self.text = self.views.primary.text
        self.highlighter = self.views.highlighter
        self.copy_payload_button = QPushButton(icons.icon("copy"), "Copy payload")
        self.copy_row_button = QPushButton(icons.icon("copy"), "Copy row as JSON")
        self.copy_payload_button.clicked.connect(self.copy_payload)
        self.copy_row_button.clicked.connect(self.copy_row)
        self.copy_cli_action = QAction("CLI command (realtime-inspector send)", self)
        self.copy_cli_action.triggered.connect(self.copy_cli)
        self.copy_curl_action = QAction("curl (REST single endpoint)", self)
        self.copy_curl_action.triggered.connect(self.copy_curl)
        menu = QMenu(self)
        menu.addAction(self.copy_cli_action)
        menu.addAction(self.copy_curl_action)
        self.copy_as_button = QToolButton()
        self.copy_as_button.setText("Copy as")
        self.copy_as_button.setIcon(icons.icon("copy"))
        self.copy_as_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_as_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.copy_as_button.setMenu(menu)
        self.copy_as_button.setToolTip(
            f"A command that sends this payload again; the key is read from ${KEY_ENV}"
        )
        # In a pane too narrow for the three labels the buttons show their icon only (the label
        # moves into the tooltip) rather than clipped text; see _fit_buttons.
        self._labels = {
            self.copy_payload_button: "Copy payload",
            self.copy_row_button: "Copy row as JSON",
            self.copy_as_button: "Copy as",
        }
        self._tooltips = {b: b.toolTip() for b in self._labels}
        self._full_width = sum(b.sizeHint().width() for b in self._labels) + 24
        self.compact_buttons = False
        for button in self._labels:
            button.setMinimumWidth(32)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_payload_button)
        buttons.addWidget(self.copy_row_button)
        buttons.addWidget(self.copy_as_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.meta_label)
        layout.addWidget(self.template_label)
        layout.addWidget(self.explanation)
        layout.addWidget(self.evicted_note)
        layout.addWidget(self.views, 1)
        layout.addLayout(buttons)
        self._set_enabled(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_buttons(event.size().width())

    def _fit_buttons(self, width: int) -> None:
        """Icon-only buttons (label in the tooltip) when the labels would not fit ``width``."""
        compact = width < self._full_width
        if compact == self.compact_buttons:
            return
        self.compact_buttons = compact
        for button, label in self._labels.items():
            button.setText("" if compact else label)
            tip = self._tooltips[button]
            button.setToolTip((f"{label}: {tip}" if tip else label) if compact else tip)

    @property
    def record(self) -> MessageRecord | None:
        return self._record

    def set_command_target(self, target: Callable[[], CommandTarget | None]) -> None:
        """Where *Copy as* commands send: called at copy time (the profile may change)."""
        self._target = target
        self._has_target = True
        self._set_enabled(self._record is not None)

    def _set_enabled(self, enabled: bool) -> None:
        self.copy_payload_button.setEnabled(enabled)
        self.copy_row_button.setEnabled(enabled)
        record = self._record
        broadcast = enabled and record is not None and record.direction is not Direction.SYSTEM
        self.copy_as_button.setEnabled(broadcast and self._has_target)
        if not self._has_target:
            tip = "Only tabs of a live connection profile can make send commands"
        elif broadcast or record is None:
            tip = f"A command that sends this payload again; the key is read from ${KEY_ENV}"
        else:
            tip = "Only broadcasts can be sent again (this is a system row)"
        self.copy_as_button.setToolTip(tip)

    def show_record(self, record: MessageRecord | None) -> None:
        self._record = record
        self.evicted_note.setVisible(False)
        self.views.set_record(record)
        if record is None:
            self.title.setText("No row selected")
            self.subtitle.setText("")
            self.meta_label.setVisible(False)
            self.template_label.setVisible(False)
            self.explanation.setVisible(False)
            self._set_enabled(False)
            return
        self._set_enabled(True)
        meta = record.meta_json()
        self.meta_label.setText(describe_meta(meta) if meta is not None else "")
        self.meta_label.setVisible(meta is not None)
        set_short_text(self.template_label, template_text(record), TEMPLATE_LINE_CHARS)
        self.template_label.setVisible(bool(self.template_label.text()))
        self.refresh()

    def refresh(self) -> None:
        """Redraw the header (an outgoing row's status may have changed); the payload views
        never change for a record, so they are not formatted again."""
        record = self._record
        if record is None:
            return
        c = theme.colors()
        colour = (c.incoming, c.outgoing, c.system)[int(record.direction)].name()
        self.title.setText(
            f"<b style='color:{colour}'>{record.direction.label}</b> &nbsp;"
            f"<b>{_escape(reveal(record.event, multiline=False))}</b>"
        )
        parts = [local_stamp(record.time)]
        parts.append(
            f"{record.size:,} bytes" + (" binary" if record.format is PayloadFormat.BINARY else "")
        )
        if record.send is not None:
            parts.append(f"{record.send.transport.value} · {record.status_text()}")
        self.subtitle.setText(" · ".join(parts))
        self._explain(record)

    def _explain(self, record: MessageRecord) -> None:
        """The explanation of the row's reason, from the one table (protocol/explain.py)."""
        found = row_explanation(record)
        self.explanation.setVisible(found is not None)
        if found is None:
            self.explanation.setText("")
            return
        reason, entry = found
        self.explanation.setText(f"Why: {entry.as_text()}")
        self.explanation.setToolTip(explained(printable(reason, 500)))
        c = theme.colors()
        self.explanation.setStyleSheet(
            f"QLabel {{ border-left: 3px solid {c.system.name()}; padding: 2px 6px; }}"
        )

    def set_evicted(self, evicted: bool) -> None:
        self.evicted_note.setVisible(evicted and self._record is not None)
        if evicted and self._record is not None:
            c = theme.colors()
            self.evicted_note.setStyleSheet(f"color: {c.warning.name()};")

    def copy_payload(self) -> None:
        if self._record is None:
            return
        QGuiApplication.clipboard().setText(pretty_payload(self._record))
        self.copied.emit("payload")

    def copy_row(self) -> None:
        if self._record is None:
            return
        QGuiApplication.clipboard().setText(row_json(self._record, self._channel))
        self.copied.emit("row")

    # ------------------------------------------------------------------------------ copy as

    def cli_text(self) -> str | None:
        """The CLI command for the shown record, or None (no record, system row, no profile)."""
        record, target = self._record, self._target()
        if record is None or target is None or record.direction is Direction.SYSTEM:
            return None
        rest = record.send is not None and record.send.transport is Transport.REST
        binary = record.format is PayloadFormat.BINARY
        return cli_command(target, record.event, record.payload, binary=binary, rest=rest)

    def curl_text(self) -> str | None:
        """The curl command for the shown record, or None."""
        record, target = self._record, self._target()
        if record is None or target is None or record.direction is Direction.SYSTEM:
            return None
        binary = record.format is PayloadFormat.BINARY
        return curl_command(target, record.event, record.payload, binary=binary)

    def copy_cli(self) -> str | None:
        text = self.cli_text()
        if text is not None:
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(f"CLI command (reads the key from ${KEY_ENV})")
        return text

    def copy_curl(self) -> str | None:
        text = self.curl_text()
        if text is not None:
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(f"curl command (reads the key from ${KEY_ENV})")
        return text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
