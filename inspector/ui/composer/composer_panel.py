"""ComposerPanel: event name, a JSON payload editor with live validation, ack/self, transport,
a send history, and Send (Ctrl+Enter). The payload can also be raw bytes (hex, base64 or a
file; :mod:`.binary_input`), with protocol 2.0.0 only: a 1.0.0 socket carries JSON text frames
only (docs/realtime-protocol.md §2.4), so *Binary* is disabled there with the reason.

Invalid JSON is shown where it is (line and column, underlined in the editor) and disables
Send. Variables (``{{seq}}``, ``{{now}}``, ``{{env.X}}``, ``{{claims.sub}}``, ...;
:mod:`inspector.protocol.template`) in the event and a JSON payload are expanded at each send;
the panel shows the expanded next send under the editor (debounced while typing) and a
template error with its line and column in place of the JSON error. ``{{seq}}`` counts this
tab's sends (1 for the first). The sent row keeps what was sent; the template goes with the
request (:attr:`SendRequest.template`). ack and self are options of the channel's join: toggling them asks for a rejoin
(``options_change_requested``); the panel never sends anything itself, it emits intents.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import reveal
from inspector.protocol.template import TemplateError, Variables, has_placeholders
from inspector.store import SendHistory, SendTemplate, Transport
from inspector.store.channels.history import ENTRY_LIMIT
from inspector.store.library import PreparedSend, prepare_send

from ..common import icons, theme
from ..common.bounded_label import NarrowLabel, set_short_text, short_text
from ..common.payload_edit import PayloadEdit
from ..open_channel import RepeatRequest, SendRequest
from .binary_input import BinaryInputWidget
from .repeat_control import RepeatControl, RepeatSettings
from .send_history_model import SendHistoryModel, TemplateRole

#: Why *Binary* is disabled on a 1.0.0 profile.
BINARY_NEEDS_V2 = (
    "Binary payloads need protocol 2.0.0: this profile uses 1.0.0, whose frames are JSON text "
    "only (§2.4). Choose 2.0.0 in Profiles to send bytes."
)


#: Why Send is off for JSON nested deeper than Python's parser goes (QA 13): it is not
#: "invalid JSON", the inspector just cannot parse and re-encode it.
TOO_DEEP_TO_SEND = (
    "Nested more than about 1,000 levels deep: too deep for the inspector to check and send "
    "(the JSON itself may be valid)."
)


#: How long typing must pause before the preview of a template is expanded again.
PREVIEW_DELAY_MS = 150
#: Characters of the expanded payload the preview line shows (the tooltip shows more).
PREVIEW_CHARS = 300


def check_json(text: str) -> tuple[str | None, int | None]:
    """``(error message, character offset)`` for invalid JSON, ``(None, None)`` when valid.

    An empty editor is the empty object ``{}`` (what realtime-js sends for no payload, §2.4).
    """
    if not text.strip():
        return None, None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"Line {exc.lineno}, column {exc.colno}: {exc.msg}", exc.pos
    except RecursionError:
        return TOO_DEEP_TO_SEND, None
    return None, None


class ComposerPanel(QWidget):
    """The per-tab composer. Emits intents; the channel panel wires them to the session."""

    send_requested = Signal(object)  # SendRequest
    repeat_requested = Signal(object)  # RepeatRequest (issue #11 §3)
    repeat_cancel_requested = Signal()
    options_change_requested = Signal(bool, bool)  # ack, self
    #: Ctrl+S: save what is in the composer to the message library.
    save_requested = Signal()

    def __init__(self, history: SendHistory | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._syncing = False
        self._recall_index = -1
        #: ``{{seq}}`` of the next send from this tab.
        self.seq = 1
        self._event_error = ""
        self._claims: Callable[[], Mapping[str, Any] | None] = lambda: None
        self._env: Mapping[str, str] | None = None
        #: the last template check: (ok, prepared or None).
        self._template_ok = True
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)
        self.history_model = SendHistoryModel(history)

        self.event_edit = QLineEdit()
        self.event_edit.setPlaceholderText("event name")
        self.event_edit.setAccessibleName("Event name")
        self.payload_edit = PayloadEdit()
        self.payload_edit.setFont(theme.mono_font())
        self.payload_edit.setPlaceholderText('{"message": "hello"}   (empty sends {})')
        self.payload_edit.setAccessibleName("Payload JSON")
        self.payload_edit.setTabChangesFocus(True)
        self.payload_edit.setMinimumHeight(self.payload_edit.fontMetrics().lineSpacing() * 3 + 12)
        self.payload_edit.installEventFilter(self)
        self.event_edit.installEventFilter(self)
        self.error_label = NarrowLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName("Payload error")
        self.hint_label = NarrowLabel("")
        self.hint_label.setWordWrap(True)
        self.preview_label = NarrowLabel("")
        self.preview_label.setFont(theme.mono_font())
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_label.setAccessibleName("Preview of the next send")
        # One line cut to PREVIEW_CHARS and clipped to the window: never widens it (QA).
        self.preview_label.setVisible(False)

        self.ack_check = QCheckBox("ack")
        self.ack_check.setToolTip(
            "Ask the server to acknowledge each broadcast (a join option: changing it rejoins)"
        )
        self.self_check = QCheckBox("self")
        self.self_check.setToolTip(
            "Receive your own broadcasts back (a join option: changing it rejoins)"
        )
        self.transport_combo = QComboBox()
        self.transport_combo.addItem("WebSocket", Transport.WEBSOCKET)
        self.transport_combo.addItem("REST", Transport.REST)
        self.transport_combo.setToolTip("Send over the socket or the REST broadcast endpoint")
        self.transport_combo.setAccessibleName("Transport")
        #: who sends (issue #13 §1): the tab's own identity, or another of the profile's.
        self.sender_label = QLabel("as")
        self.sender_combo = QComboBox()
        self.sender_combo.setAccessibleName("Send as")
        self.sender_combo.setToolTip(
            "Send as another identity of the profile: over its own socket (which joins this "
            "channel first, or says why it may not) or with its key and token over REST"
        )
        self.sender_combo.addItem("this tab's identity", None)
        self.sender_label.setVisible(False)
        self.sender_combo.setVisible(False)
        self.history_combo = QComboBox()
        self.history_combo.setModel(self.history_model)
        self.history_combo.setPlaceholderText("History")
        self.history_combo.setCurrentIndex(-1)
        self.history_combo.setMinimumContentsLength(12)
        self.history_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.history_combo.setToolTip("Recall an earlier send (or press Up in an empty editor)")
        self.history_combo.setAccessibleName("Send history")
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("JSON", False)
        self.kind_combo.addItem("Binary", True)
        self.kind_combo.setAccessibleName("Payload kind")
        self.kind_combo.setToolTip("Send a JSON payload, or raw bytes (protocol 2.0.0)")
        self.binary_input = BinaryInputWidget()
        self.payload_stack = QStackedWidget()
        self.payload_stack.addWidget(self.payload_edit)
        self.payload_stack.addWidget(self.binary_input)
        self._vsn = "2.0.0"
        self.send_button = QPushButton(icons.icon("send"), "Send")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.setDefault(False)

        top = QHBoxLayout()
        top.addWidget(QLabel("Event"))
        top.addWidget(self.event_edit, 1)
        top.addWidget(self.history_combo, 1)
        options = QHBoxLayout()
        options.addWidget(self.kind_combo)
        options.addWidget(self.ack_check)
        options.addWidget(self.self_check)
        options.addWidget(QLabel("via"))
        options.addWidget(self.transport_combo)
        options.addWidget(self.sender_label)
        options.addWidget(self.sender_combo)
        options.addStretch(1)
        # Repeat and burst (issue #11 §3): the toggle shows the repeat row under the options.
        self.repeat_button = QPushButton("Repeat…")
        self.repeat_button.setCheckable(True)
        self.repeat_button.setToolTip("Send this message N times or for a while, at a rate")
        self.repeat = RepeatControl()
        self.repeat.setVisible(False)
        self.repeat_button.toggled.connect(self.repeat.setVisible)
        self.repeat.start_requested.connect(self._start_repeat)
        self.repeat.cancel_requested.connect(self.repeat_cancel_requested)
        options.addWidget(self.repeat_button)
        options.addWidget(self.send_button)
        grid = QGridLayout()
        grid.addWidget(self.preview_label, 0, 0)
        grid.addWidget(self.error_label, 1, 0)
        grid.addWidget(self.hint_label, 2, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.payload_stack, 1)
        layout.addLayout(grid)
        layout.addLayout(options)
        layout.addWidget(self.repeat)

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(seq), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.submit)
        self.send_button.clicked.connect(self.submit)
        self.payload_edit.textChanged.connect(self.validate)
        self.event_edit.textChanged.connect(self.validate)
        self.payload_edit.textChanged.connect(self.repeat.message_changed)
        self.event_edit.textChanged.connect(self.repeat.message_changed)
        self.ack_check.toggled.connect(self._options_toggled)
        self.self_check.toggled.connect(self._options_toggled)
        self.history_combo.activated.connect(self._history_chosen)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.binary_input.changed.connect(self.validate)
        self.binary_input.changed.connect(self.repeat.message_changed)
        self.transport_combo.currentIndexChanged.connect(lambda _i: self.validate())
        self.binary_input.installEventFilter(self)
        self.binary_input.edit.installEventFilter(self)
        self.setTabOrder(self.event_edit, self.history_combo)
        self.setTabOrder(self.history_combo, self.payload_edit)
        self.setTabOrder(self.payload_edit, self.ack_check)
        self.setTabOrder(self.ack_check, self.self_check)
        self.setTabOrder(self.self_check, self.transport_combo)
        self.setTabOrder(self.transport_combo, self.send_button)
        self.setTabOrder(self.send_button, self.kind_combo)
        self.validate()

    # ------------------------------------------------------------------------------ state

    def set_options(self, *, ack: bool, broadcast_self: bool) -> None:
        """Show the channel's current ack/self without asking for a rejoin."""
        self._syncing = True
        try:
            self.ack_check.setChecked(ack)
            self.self_check.setChecked(broadcast_self)
        finally:
            self._syncing = False

    def _options_toggled(self, _checked: bool) -> None:
        if not self._syncing:
            self.options_change_requested.emit(
                self.ack_check.isChecked(), self.self_check.isChecked()
            )

    @property
    def transport(self) -> Transport:
        value = self.transport_combo.currentData()
        return value if isinstance(value, Transport) else Transport.WEBSOCKET

    def set_transport(self, transport: Transport) -> None:
        self.transport_combo.setCurrentIndex(self.transport_combo.findData(transport))

    def set_identities(self, choices: list[tuple[str, str]], tab_identity: str) -> None:
        """Who may send: ``(id, name)`` of the profile's identities ("" its own key); the
        tab's own comes first. Hidden when the profile has no identities."""
        current = self.send_as
        self.sender_combo.blockSignals(True)
        try:
            self.sender_combo.clear()
            names = dict(choices)
            own = names.get(tab_identity) or "profile default"
            self.sender_combo.addItem(f"{own} (this tab)", None)
            for identity_id, name in choices:
                if identity_id != tab_identity:
                    self.sender_combo.addItem(name or "profile default", identity_id)
            index = self.sender_combo.findData(current) if current is not None else 0
            self.sender_combo.setCurrentIndex(max(0, index))
        finally:
            self.sender_combo.blockSignals(False)
        visible = self.sender_combo.count() > 1
        self.sender_label.setVisible(visible)
        self.sender_combo.setVisible(visible)

    @property
    def send_as(self) -> str | None:
        """The identity chosen in *Send as* (None: the tab's own)."""
        value = self.sender_combo.currentData()
        return value if isinstance(value, str) else None

    def set_send_as(self, identity_id: str | None) -> bool:
        """Choose who sends; False when that identity is not offered."""
        index = 0 if identity_id is None else self.sender_combo.findData(identity_id)
        if index < 0:
            return False
        self.sender_combo.setCurrentIndex(index)
        return True

    def _with_sender(self, request: SendRequest) -> SendRequest:
        sender = self.send_as
        return request if sender is None else dataclasses.replace(request, identity=sender)

    # ------------------------------------------------------------------------------ binary

    @property
    def binary(self) -> bool:
        """Whether the composer sends raw bytes (the *Binary* payload kind)."""
        return self.kind_combo.currentData() is True

    def set_binary(self, binary: bool) -> None:
        self.kind_combo.setCurrentIndex(1 if binary else 0)

    def set_protocol(self, vsn: str) -> None:
        """The profile's protocol: *Binary* is only offered with 2.0.0 (§2.4)."""
        self._vsn = vsn
        allowed = not vsn.startswith("1")
        model = self.kind_combo.model()
        item = model.item(1) if hasattr(model, "item") else None
        if item is not None:
            item.setEnabled(allowed)
            item.setToolTip("" if allowed else BINARY_NEEDS_V2)
        self.kind_combo.setToolTip(
            "Send a JSON payload, or raw bytes (protocol 2.0.0)" if allowed else BINARY_NEEDS_V2
        )
        if not allowed and self.binary:
            self.set_binary(False)
        self.validate()

    @property
    def binary_allowed(self) -> bool:
        return not self._vsn.startswith("1")

    def _kind_changed(self, _index: int) -> None:
        if self.binary and not self.binary_allowed:
            self.set_binary(False)
            return
        self.payload_stack.setCurrentIndex(1 if self.binary else 0)
        self.validate()

    def validate(self) -> bool:
        """Check the editor, show the error inline and enable Send only when it can be sent."""
        if self.binary:
            return self._validate_binary()
        text = self.payload_edit.toPlainText()
        if self.templated:
            # Expanded after a pause in typing (a large payload is not expanded per key);
            # submit() checks again at once.
            self._preview_timer.start()
            return self._template_ok
        self._preview_timer.stop()
        self.preview_label.setVisible(False)
        self._template_ok = True
        error, pos = check_json(text)
        c = theme.colors()
        selections: list[QTextEdit.ExtraSelection] = []
        hint = ""
        if error is not None:
            prefix = "" if error is TOO_DEEP_TO_SEND else "Invalid JSON: "
            self.error_label.setText(
                f"<span style='color:{c.error.name()}'>{prefix}{html.escape(error, quote=False)}</span>"
            )
            if pos is not None:
                sel = QTextEdit.ExtraSelection()
                cursor = QTextCursor(self.payload_edit.document())
                cursor.setPosition(min(pos, len(text)))
                cursor.movePosition(
                    QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor
                )
                fmt = QTextCharFormat()
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                fmt.setUnderlineColor(c.error)
                fmt.setBackground(QColor(c.error.red(), c.error.green(), c.error.blue(), 60))
                sel.format = fmt
                sel.cursor = cursor
                selections.append(sel)
        else:
            self.error_label.setText("")
            if text.strip() and not text.strip().startswith("{"):
                hint = "Not an object: realtime-py drops it and the REST batch endpoint refuses it."
        self.payload_edit.setExtraSelections(selections)
        self.error_label.setVisible(error is not None)
        event = self.event_edit.text().strip()
        if error is None and not event:
            hint = "Enter an event name to send."
        elif error is None and len(event.encode()) > 255:
            hint = "Event names are at most 255 bytes in binary frames (§2.3)."
        self.hint_label.setText(
            f"<span style='color:{c.muted.name()}'>{hint}</span>" if hint else ""
        )
        self.hint_label.setVisible(bool(hint))
        ok = error is None and bool(event) and len(event.encode()) <= 255
        reason = ""
        if error is not None:
            reason = error if error is TOO_DEEP_TO_SEND else f"invalid JSON: {error}"
        elif not ok:
            reason = hint
        self._set_sendable(ok, reason)
        return ok

    def _validate_binary(self) -> bool:
        self.payload_edit.setExtraSelections([])
        self.error_label.setVisible(False)
        data, error = self.binary_input.parse()
        event = self.event_edit.text().strip()
        hint = ""
        if not self.binary_allowed:
            hint = BINARY_NEEDS_V2
        elif not event:
            hint = "Enter an event name to send."
        elif len(event.encode()) > 255:
            hint = "Event names are at most 255 bytes in binary frames (§2.3)."
        elif has_placeholders(event) and self._expand_event(event) is None:
            hint = self._event_error
        elif data is not None and self.transport is Transport.REST:
            hint = "REST sends the bytes as application/octet-stream (§6.2)."
        c = theme.colors()
        self.hint_label.setText(
            f"<span style='color:{c.muted.name()}'>{hint}</span>" if hint else ""
        )
        self.hint_label.setVisible(bool(hint))
        ok = self.binary_allowed and error is None and bool(event) and len(event.encode()) <= 255
        ok = ok and (not has_placeholders(event) or self._expand_event(event) is not None)
        self._set_sendable(ok, "" if ok else (hint or error or "the bytes are not valid"))
        return ok

    def _set_sendable(self, ok: bool, reason: str) -> None:
        """Send and the repeat row's Start are enabled together, with the same reason."""
        self.send_button.setEnabled(ok)
        reason = reason.rstrip(".") if not ok else ""
        if not ok and not reason:
            reason = "the message cannot be sent"
        self.send_button.setToolTip(f"Cannot send: {reason}" if reason else "Send (Ctrl+Enter)")
        self.repeat.set_sendable(reason)

    # ------------------------------------------------------------------------------ variables

    def set_variables_source(
        self,
        claims: Callable[[], Mapping[str, Any] | None],
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Where ``{{claims.*}}`` come from (the connection's user token) and ``{{env.*}}``
        (default: the process environment)."""
        self._claims = claims
        self._env = env
        self.validate()

    def variables(self) -> Variables:
        """The variables of the next send from this tab."""
        return Variables(
            seq=self.seq,
            now=datetime.now(UTC),
            env=os.environ if self._env is None else self._env,
            claims=self._claims(),
        )

    @property
    def templated(self) -> bool:
        """Whether the event or the JSON payload uses variables."""
        if has_placeholders(self.event_edit.text()):
            return True
        return not self.binary and has_placeholders(self.payload_edit.toPlainText())

    def _expand_event(self, event: str) -> str | None:
        try:
            return prepare_send(event, "", self.variables()).event
        except TemplateError as exc:
            self._event_error = str(exc)
            return None

    def refresh_preview(self) -> PreparedSend | None:
        """Expand the template now: show the next send, or the error with its place; Send is
        enabled only when it expands to something that can be sent."""
        self._preview_timer.stop()
        if self.binary or not self.templated:
            self.preview_label.setVisible(False)
            self._template_ok = True
            self.validate()
            return None
        c = theme.colors()
        text = self.payload_edit.toPlainText()
        selections: list[QTextEdit.ExtraSelection] = []
        prepared: PreparedSend | None = None
        error = ""
        try:
            prepared = prepare_send(self.event_edit.text().strip(), text, self.variables())
        except TemplateError as exc:
            error = str(exc)
            if exc.offset is not None and not error.startswith("event name"):
                selections.append(self._error_selection(exc.offset, len(text)))
        self.payload_edit.setExtraSelections(selections)
        hint = ""
        if prepared is not None:
            shown = prepared.payload.decode("utf-8", "replace")
            line = reveal(f"Next send: {prepared.event}  {shown}", multiline=False)
            set_short_text(self.preview_label, line, PREVIEW_CHARS)
            if not prepared.event:
                hint = "Enter an event name to send."
            elif len(prepared.event.encode()) > 255:
                hint = "Event names are at most 255 bytes in binary frames (§2.3)."
        self.preview_label.setVisible(prepared is not None)
        self.error_label.setText(
            f"<span style='color:{c.error.name()}'>Template: "
            f"{html.escape(short_text(error, PREVIEW_CHARS, 3), quote=False)}</span>"
            if error
            else ""
        )
        self.error_label.setVisible(bool(error))
        self.hint_label.setText(
            f"<span style='color:{c.muted.name()}'>{hint}</span>" if hint else ""
        )
        self.hint_label.setVisible(bool(hint))
        ok = prepared is not None and not hint
        self._template_ok = ok
        self._set_sendable(ok, f"template: {error}" if error else hint)
        return prepared if ok else None

    def _error_selection(self, pos: int, length: int) -> QTextEdit.ExtraSelection:
        c = theme.colors()
        sel = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.payload_edit.document())
        cursor.setPosition(min(pos, length))
        cursor.movePosition(
            QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor
        )
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(c.error)
        fmt.setBackground(QColor(c.error.red(), c.error.green(), c.error.blue(), 60))
        sel.format = fmt
        sel.cursor = cursor
        return sel

    def payload_bytes(self) -> bytes:
        text = self.payload_edit.toPlainText()
        if not text.strip():
            return b"{}"
        return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")).encode()

    # ------------------------------------------------------------------------------ actions

    def submit(self) -> None:
        typed_event = self.event_edit.text().strip()
        if self.binary:
            if not self.validate():
                return
            data = self.binary_input.data()
            event = self._expand_event(typed_event) if has_placeholders(typed_event) else None
            if data is None or (event is None and has_placeholders(typed_event)):
                return
            template = SendTemplate(typed_event, "") if event not in (None, typed_event) else None
            self.send_requested.emit(
                self._with_sender(
                    SendRequest(
                        event or typed_event, data, self.transport, binary=True, template=template
                    )
                )
            )
            self._sent_one()
            return
        if self.templated:
            prepared = self.refresh_preview()
            if prepared is None:
                return
            text = self.payload_edit.toPlainText()
            request = SendRequest(
                prepared.event,
                prepared.payload,
                self.transport,
                template=SendTemplate(typed_event, text),
            )
            event = typed_event
        else:
            if not self.validate():
                return
            event = typed_event
            request = SendRequest(event, self.payload_bytes(), self.transport)
        kept = self.history_model.add(SendTemplate(event, self.payload_edit.toPlainText()))
        self.history_combo.setCurrentIndex(-1)
        self._recall_index = -1
        self.send_requested.emit(self._with_sender(request))
        self._sent_one()
        if not kept:
            c = theme.colors()
            self.hint_label.setText(
                f"<span style='color:{c.muted.name()}'>Sent; not kept in the history "
                f"(sends over {ENTRY_LIMIT // 1024} KiB are not remembered).</span>"
            )
            self.hint_label.setVisible(True)

    def _sent_one(self) -> None:
        """One more send from this tab: ``{{seq}}`` moves on and the preview follows."""
        self.seq += 1
        if self.templated:
            self.refresh_preview()

    def load(
        self,
        *,
        event: str,
        payload: str,
        binary: bool = False,
        encoding: str = "base64",
        transport: Transport = Transport.WEBSOCKET,
    ) -> None:
        """Fill the composer with a saved message (the library); ack/self are the caller's."""
        self.set_binary(binary and self.binary_allowed)
        self.event_edit.setText(event)
        if binary and self.binary_allowed:
            self.binary_input.set_format(encoding)
            self.binary_input.edit.setPlainText(payload)
        else:
            self.payload_edit.set_text(payload)
        self.set_transport(transport)
        self.validate()
        if self.templated:
            self.refresh_preview()

    def _start_repeat(self, settings: RepeatSettings) -> None:
        """The message as it stands (templates, expanded per message by the controller) and
        the repeat row's settings, as a :class:`RepeatRequest`."""
        event = self.event_edit.text().strip()
        if not event:
            self.repeat.set_started("enter an event name")
            return
        self.repeat.rest = self.transport is Transport.REST
        payload: str | bytes
        if self.binary:
            data = self.binary_input.data()
            if data is None:
                self.repeat.set_started("the bytes are not valid")
                return
            payload = data
        else:
            payload = self.payload_edit.toPlainText()
            if not payload.strip():
                payload = "{}"
        self.repeat_requested.emit(
            RepeatRequest(
                event,
                payload,
                self.transport,
                binary=self.binary,
                count=settings.count,
                duration=settings.duration,
                rate=settings.rate,
                in_flight=settings.in_flight,
                add_seq=settings.add_seq,
            )
        )

    def prefill(self, event: str, payload: str) -> bool:
        """Fill an empty composer with an example (the demo); False when it has an event."""
        if self.event_edit.text():
            return False
        self.event_edit.setText(event)
        self.payload_edit.setPlainText(payload)
        return True

    def recall(self, index: int) -> bool:
        """Fill the editor from history entry ``index`` (0 = newest)."""
        item = self.history_model.template_at(index)
        if item is None:
            return False
        self.event_edit.setText(item.event)
        self.payload_edit.set_text(item.payload)
        self._recall_index = index
        return True

    def _history_chosen(self, row: int) -> None:
        item = self.history_combo.itemData(row, TemplateRole)
        if isinstance(item, SendTemplate):
            self.recall(row)
            self.payload_edit.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods == Qt.KeyboardModifier.ControlModifier and key in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
        ):
            # Also handled here, not only by the QShortcut: key events that reach the editor
            # directly (no active window, tests) must send too.
            self.submit()
            return True
        if mods == Qt.KeyboardModifier.ControlModifier and key == Qt.Key.Key_S:
            # the window's Save to library (Ctrl+S) when the key reaches an editor directly
            self.save_requested.emit()
            return True
        arrows = (Qt.Key.Key_Up, Qt.Key.Key_Down)
        if (
            watched is self.payload_edit
            and mods == Qt.KeyboardModifier.NoModifier
            and key in arrows
        ):
            text = self.payload_edit.toPlainText()
            recalled = self.history_model.template_at(self._recall_index)
            if not text or (recalled is not None and text == recalled.payload):
                if key == Qt.Key.Key_Down and self._recall_index <= 0:
                    return False
                if self.recall(self._recall_index + (1 if key == Qt.Key.Key_Up else -1)):
                    return True
        return super().eventFilter(watched, event)
