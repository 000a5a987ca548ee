"""PresencePanel: who is on a tab's channel, what changed and why, and our own Track/Untrack.

- The roster: every key and connection with its tracked payload and "here since".
- The timeline: each ``presence_state`` and ``presence_diff`` as it arrives, in the words of
  :mod:`inspector.store.presence.presence_roster` (a full list is not arrivals, an update is not a leave,
  a second tab is not a second person: anchors §2, supabase/supabase#41175). Selecting an
  entry shows why it reads as it does.
- Presence is a join option (docs/realtime-protocol.md §4.1, §4.5): a tab without it hears
  nothing, and the panel offers to rejoin with it. Listening never makes us present; only
  *Track* does (issue #5 §3), with a JSON object payload (§8.2), and *Untrack* ends it.

The panel emits intents (listen, track, untrack); the window wires them to the session.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.store import ChannelOptions, ChannelStatus, TabState
from inspector.store.presence.presence_roster import OwnState, PresenceRoster

from ..common import theme
from .presence_model import PresenceRosterModel, PresenceTimelineModel

#: The short explanation above the timeline.
HOW_TO_READ = (
    "presence_state is the full list, sent once after each join: the keys in it were already "
    "here. presence_diff carries changes. An update of a tracked payload arrives as a leave of "
    "the old entry plus a join of the new one; it is one presence changing, not someone leaving. "
    "One key can be here on several connections."
)


def _table(name: str) -> QTableView:
    view = QTableView()
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
    view.setWordWrap(False)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class PresencePanel(QWidget):
    """See the module docstring."""

    #: ``(enabled)``: rejoin with presence on or off.
    listen_requested = Signal(bool)
    #: ``(payload dict)``: track the inspector with this payload.
    track_requested = Signal(object)
    untrack_requested = Signal()
    #: the number of keys changed (the tab header shows it).
    count_changed = Signal(int)

    def __init__(
        self,
        roster: PresenceRoster,
        options: ChannelOptions,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.roster = roster
        self._options = options
        self._joined = False
        self.roster_model = PresenceRosterModel(roster, self)
        self.timeline_model = PresenceTimelineModel(roster, self)

        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label.setAccessibleName("Presence state")
        self.listen_button = QPushButton()
        self.listen_button.clicked.connect(self._toggle_listen)
        top = QHBoxLayout()
        top.addWidget(self.state_label, 1)
        top.addWidget(self.listen_button)

        self.roster_view = _table("Presence roster")
        self.roster_view.setModel(self.roster_model)
        header = self.roster_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)

        self.timeline_view = _table("Presence timeline")
        self.timeline_view.setModel(self.timeline_model)
        theader = self.timeline_view.horizontalHeader()
        theader.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        theader.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.why_label = QLabel(HOW_TO_READ)
        self.why_label.setWordWrap(True)
        self.why_label.setTextFormat(Qt.TextFormat.PlainText)
        self.why_label.setAccessibleName("Why this timeline entry reads as it does")
        self.timeline_view.selectionModel().selectionChanged.connect(self._timeline_selected)

        roster_box = QWidget()
        rl = QVBoxLayout(roster_box)
        rl.setContentsMargins(0, 0, 0, 0)
        self.roster_title = QLabel("<b>Here now</b>")
        rl.addWidget(self.roster_title)
        rl.addWidget(self.roster_view, 1)
        timeline_box = QWidget()
        tl = QVBoxLayout(timeline_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(QLabel("<b>Timeline</b> (newest first; select an entry for why)"))
        tl.addWidget(self.timeline_view, 1)
        # The explanation scrolls when the panel is short instead of being cut off (issue #10
        # item 19: a wrapped label in a squeezed layout lost its last lines).
        self.why_scroll = QScrollArea()
        self.why_scroll.setWidget(self.why_label)
        self.why_scroll.setWidgetResizable(True)
        self.why_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.why_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.why_scroll.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 4)
        tl.addWidget(self.why_scroll)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(roster_box)
        self.splitter.addWidget(timeline_box)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)

        self.payload_edit = QLineEdit('{"name": "inspector"}')
        self.payload_edit.setFont(theme.mono_font())
        self.payload_edit.setAccessibleName("Presence payload JSON")
        self.payload_edit.setPlaceholderText('{"name": "inspector"}')
        self.track_button = QPushButton("Track")
        self.track_button.setToolTip("Make this inspector present on the channel with this payload")
        self.untrack_button = QPushButton("Untrack")
        self.own_label = QLabel()
        self.own_label.setWordWrap(True)
        self.own_label.setTextFormat(Qt.TextFormat.PlainText)
        self.own_label.setAccessibleName("Own presence")
        own_row = QHBoxLayout()
        own_row.addWidget(QLabel("Me"))
        own_row.addWidget(self.payload_edit, 1)
        own_row.addWidget(self.track_button)
        own_row.addWidget(self.untrack_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(own_row)
        layout.addWidget(self.own_label)

        self.track_button.clicked.connect(self.submit_track)
        self.payload_edit.returnPressed.connect(self.submit_track)
        self.untrack_button.clicked.connect(self.untrack_requested.emit)
        self.payload_edit.textChanged.connect(lambda _t: self._update_own())

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self.refresh)
        roster.add_listener(self._roster_changed)
        self.destroyed.connect(
            lambda _o=None, r=roster, f=self._roster_changed: r.remove_listener(f)
        )
        self.set_options(options)
        self.refresh()

    # ------------------------------------------------------------------------------ state

    def set_options(self, options: ChannelOptions) -> None:
        self._options = options
        self.roster_model.own_key = options.presence_key
        self._update_state()

    def set_status(self, status: ChannelStatus) -> None:
        self._joined = status.state is TabState.JOINED
        self._update_state()

    def _roster_changed(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Rebuild the tables from the roster (coalesced: presence changes in bursts)."""
        self._timer.stop()
        self.roster_model.refresh()
        self.timeline_model.refresh()
        keys, metas = self.roster.counts()
        self.roster_title.setText(
            f"<b>Here now</b>: {keys} key{'s' if keys != 1 else ''}"
            + (f" on {metas} connections" if metas != keys else "")
        )
        self._update_state()
        self.count_changed.emit(keys)

    def _update_state(self) -> None:
        enabled = self._options.presence_enabled
        if not enabled:
            text = (
                "Presence is off for this tab: the server only tells channels that join with "
                "presence on who is here. Listening does not make this inspector present."
            )
        elif not self._joined:
            text = "Not joined: the list below is from the last join and is not updated."
        elif not self.roster.live:
            text = "Joined; waiting for the server's presence list (presence_state)."
        else:
            text = (
                f"Live: {self.roster.syncs} full list{'s' if self.roster.syncs != 1 else ''}, "
                f"{self.roster.diffs} change{'s' if self.roster.diffs != 1 else ''} so far."
            )
        self.state_label.setText(text)
        if enabled:
            self.listen_button.setText("Stop listening")
            tip = "Rejoin without presence"
            if self._options.presence_key:
                tip += f" (this also drops the presence key {self._options.presence_key!r})"
        else:
            self.listen_button.setText("Listen to presence")
            tip = "Rejoin with presence on; others do not see this inspector unless you Track"
        self.listen_button.setToolTip(tip)
        self._update_own()

    def _update_own(self) -> None:
        own = self.roster.own
        _payload, error = self.payload()
        if not self._joined:
            why = "Join the channel to track."
        elif error is not None:
            why = error
        else:
            why = ""
        self.track_button.setEnabled(self._joined and error is None)
        self.track_button.setToolTip(
            why or "Make this inspector present on the channel with this payload"
        )
        self.untrack_button.setEnabled(
            self._joined and own.state in (OwnState.TRACKED, OwnState.PENDING, OwnState.ERROR)
        )
        rtt = f" ({own.round_trip_ms:.1f} ms)" if own.round_trip_ms is not None else ""
        key = self._options.presence_key or own.key or "a key the server made up"
        if own.state is OwnState.OFF:
            text = "Not tracking: nobody sees this inspector in the channel's presence."
        elif own.state is OwnState.PENDING:
            text = "Track sent…"
        elif own.state is OwnState.TRACKED:
            text = f"Tracking as {key}{rtt}; tracked again after every rejoin until Untrack."
        elif own.state is OwnState.UNTRACKING:
            text = "Untrack sent…"
        else:
            text = f"Error: {own.error}{rtt}"
        if why and own.state is OwnState.OFF and self._joined:
            text += f" {why}"
        if not self._options.presence_enabled and self._joined:
            text += (
                " Presence is off here: if you track, others see the inspector, but this tab "
                "does not see them until it listens."
            )
        if self._joined:
            text += " The server allows 5 track/untrack calls per 30 s; more closes the channel."
        self.own_label.setText(text)

    # ------------------------------------------------------------------------------ actions

    def payload(self) -> tuple[dict[str, Any] | None, str | None]:
        """The payload to track, or why it cannot be (it must be a JSON object, §8.2)."""
        text = self.payload_edit.text().strip() or "{}"
        try:
            value = json.loads(text)
        except ValueError as exc:
            return None, f"Invalid JSON: {exc}"
        except RecursionError:
            return None, "Invalid JSON: nested too deeply"
        if not isinstance(value, dict):
            return None, "The payload must be a JSON object (the server refuses anything else)."
        return value, None

    def submit_track(self) -> None:
        payload, error = self.payload()
        if payload is None or error is not None or not self._joined:
            return
        self.track_requested.emit(payload)

    def _toggle_listen(self) -> None:
        self.listen_requested.emit(not self._options.presence_enabled)

    def _timeline_selected(self, _s: QItemSelection, _d: QItemSelection) -> None:
        rows = self.timeline_view.selectionModel().selectedRows()
        entry = self.timeline_model.entry_at(rows[0].row()) if rows else None
        if entry is not None and entry.explanation:
            self.why_label.setText(f"Why: {entry.explanation}")
        else:
            self.why_label.setText(HOW_TO_READ)
