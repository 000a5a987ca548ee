"""ChannelPanel: one tab. Join state and options, filters, Pause/Follow/Clear, the live table,
the detail pane, the composer, and the sequence-gap bar (a counter the tab watches).

The panel takes a :class:`~inspector.ui.open_channel.OpenChannel` (options, log, status) and
emits intents (leave, rejoin, send, change ack/self); the main window wires those to the
controller. It keeps the selected row's record, so the detail pane stays put while
rows are inserted and evicted around it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise
from typing import Final

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.explain import explain, explained
from inspector.protocol.invisible import printable, reveal
from inspector.store import ChannelOptions, ChannelStatus, MessageFilter, SendHistory, TabState
from inspector.store.messages.filters import FilterError
from inspector.store.messages.seq_tracker import SeqPathError

from ..common import theme
from ..common.bounded_label import NarrowLabel
from ..common.log_controls import (
    LogControls,
    debounce_timer,
    filter_field,
    fix_width,
    select_last_row,
    tool_button,
)
from ..composer.composer_panel import ComposerPanel
from ..messages.message_detail_panel import MessageDetailPanel
from ..messages.message_filter_proxy import MessageFilterProxyModel
from ..messages.message_table_model import MessageTableModel, RecordRole
from ..messages.message_table_view import MessageTableView
from ..messages.seq_track import SeqGapsPanel, SeqTrackBar, compact_count
from ..messages.stats_view import StatsDialog, StatsStrip
from ..messages.table_actions import TableActions
from ..open_channel import OpenChannel, SendRequest
from ..presence.presence_panel import PresencePanel

AnyIndex = QModelIndex | QPersistentModelIndex


def _fix_height(label: QLabel) -> QLabel:
    """A chip keeps its own height when the row grows (a long refusal wraps the state label
    over many lines; a stretched chip was a tall empty pill)."""
    policy = label.sizePolicy()
    policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)
    label.setSizePolicy(policy)
    return label


def _chip_style() -> str:
    c = theme.colors()
    return f"QLabel {{ border: 1px solid {c.muted.name()}; border-radius: 8px; padding: 0px 6px; }}"


#: Characters of a channel name in its tab's text (the whole name is in the tab's tooltip).
TAB_TEXT_CHARS: Final = 48


def short_name(name: str, limit: int = TAB_TEXT_CHARS) -> str:
    """A channel name for a label: hidden characters shown (QA 7), cut at ``limit``
    characters (an imported 10,000-character name made a tab bar that took 200 MB to draw,
    QA 14)."""
    text = reveal(name, multiline=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tab_text(name: str) -> str:
    """A tab's text for a channel name: :func:`short_name` with ``&`` doubled (a tab text's
    ``&`` is a mnemonic)."""
    return short_name(name).replace("&", "&&")


#: What each chip of the tab header means (issue #10 item 19; §4.1, §5.2, §8, §9).
CHIP_TIPS: Final = {
    "self": "self: your own broadcasts come back to this tab (join option broadcast.self)",
    "ack": "ack: the server acknowledges each broadcast you send (join option broadcast.ack)",
    "public": "public: anyone with the project's key may join; no authorization check",
    "private": "private: the server checks your token against the channel's policies",
    "presence": "presence: this tab receives presence state and joins/leaves",
    "events": "events: only broadcasts whose event matches are shown",
}
#: How often the sequence counts redraw while a counter is watched (never per message).
SEQ_REFRESH_MS: Final = 250
#: The tab states whose reason gets an explanation line under the state (issue #15 item 6).
_EXPLAINED_STATES: Final = (TabState.ERRORED, TabState.CLOSED)
#: The stats strip's share of the header row's free width, beside the state's 1.
STRIP_STRETCH: Final = 3
#: A state longer than this (average characters) takes the header row first: the stats strip
#: shrinks to *Stats…* instead of squeezing a refusal into a tall, narrow column.
LONG_STATE_CHARS: Final = 40

#: What the filter fields accept (issue #15 item 5; inspector/store/messages/filters.py).
TEXT_FILTER_TIP: Final = (
    "Text in the event or payload (case-insensitive).\n"
    "/regex/ searches with a regular expression; a leading ! or - hides the matching rows "
    '(!typing, -/"n":\\d+/); \\- or \\! searches for a leading - or !. Ctrl+F'
)
EVENT_FILTER_TIP: Final = (
    "Events, comma-separated: names and globs (cursor*, a?c), /regex/, and !name or -glob to "
    "hide events (-presence*, !heartbeat)"
)
PAYLOAD_FILTER_TIP: Final = (
    "A JSONPath predicate on the payload ($ is the payload): $.amount > 100, "
    '$.user.name == "ann", $.tags[0] =~ /^a/, count($.items) > 2 && $.ok == true; a path '
    "alone ($.error) keeps payloads that have it"
)


def chip_tooltip(chip: str) -> str:
    """The tooltip of one chip (its key is the text before ``:``)."""
    return CHIP_TIPS.get(chip.split(":", 1)[0], chip)


class ChannelPanel(QWidget):
    """The content of one channel tab."""

    leave_requested = Signal(str)
    rejoin_requested = Signal(str)
    send_requested = Signal(str, object)  # name, SendRequest
    options_change_requested = Signal(str, bool, bool)  # name, ack, self
    presence_listen_requested = Signal(str, bool)  # name, presence on
    track_requested = Signal(str, object)  # name, payload dict
    untrack_requested = Signal(str)
    repeat_requested = Signal(str, object)  # name, RepeatRequest (issue #11 §3)
    repeat_cancel_requested = Signal(str)
    #: the unread count or the title changed; the window updates the tab text.
    title_changed = Signal()
    #: ``(name, path)``: the tab started watching a counter (``""``: stopped); the window
    #: keeps the path for the channel.
    seq_path_changed = Signal(str, str)
    #: ``(name, paths)``: the custom columns changed; the window keeps them for the channel.
    columns_changed = Signal(str, list)
    #: a status-bar message (copied rows, a refused column).
    message = Signal(str)

    def __init__(
        self,
        channel: OpenChannel,
        *,
        history: SendHistory | None = None,
        coalesce_ms: int = 40,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.channel = channel
        self.unread = 0
        self._current = False
        self._protocol_source: Callable[[], str] = lambda: "2.0.0"
        self._last_rate = 0.0
        self._now: float | None = None
        self._shown_filtered = 0
        self._state_mark = (theme.colors().muted, channel.status.state.value)
        self.model = MessageTableModel(channel.log, coalesce_ms, self)
        self.proxy = MessageFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.controls = LogControls(
            channel.log,
            self.model,
            self.proxy,
            pause_tooltip="Hold new rows; the connection stays up",
            counts_name="Row counts",
        )

        # --- header: state, chips, rate, counts, actions
        self.state_label = QLabel()
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_label.setAccessibleName("Join state")
        self.state_label.setWordWrap(True)
        self.chips = QHBoxLayout()
        self.chips.setSpacing(4)
        #: who the tab joined as (issue #13 §1); hidden for the profile's own key.
        self.identity = ""
        self.identity_label = QLabel()
        self.identity_label.setTextFormat(Qt.TextFormat.PlainText)
        self.identity_label.setAccessibleName("Joined as")
        self.identity_label.setStyleSheet(_chip_style())
        _fix_height(self.identity_label)
        self.identity_label.setVisible(False)
        self.rate_label = QLabel("0 msg/s")
        self.counts_label = self.controls.counts_label
        #: the status reason in plain words (issue #15 item 6); the tooltip adds cause and fix.
        self.explain_label = NarrowLabel("")
        self.explain_label.setTextFormat(Qt.TextFormat.PlainText)
        self.explain_label.setWordWrap(True)
        self.explain_label.setAccessibleName("Why")
        self.explain_label.setVisible(False)
        self.notice_label = QLabel()
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notice_label.setWordWrap(True)
        self.notice_label.setVisible(False)
        self.rejoin_button = tool_button("rejoin", "Rejoin")
        self.leave_button = tool_button("leave", "Leave")
        # Presence panel (issue #5 §3): hidden until asked for; live tabs show the button.
        self.presence_button = QToolButton()
        self.presence_button.setText("Presence")
        self.presence_button.setCheckable(True)
        self.presence_button.setToolTip("Who is here, joins and leaves, and Track/Untrack")
        self.presence_button.setVisible(False)
        # Sequence gaps (issue #11 §5): the bar under the filters, hidden until asked for.
        self.seq_button = QToolButton()
        self.seq_button.setText("Sequence")
        self.seq_button.setCheckable(True)
        self.seq_button.setToolTip(
            "Watch a counter in incoming payloads (such as $.seq): missing numbers, duplicates, "
            "out of order"
        )
        # the statistics strip (issue #15 item 3) shares the header's row: a row of its own
        # made the window too tall for an 800x500 screen (1600x1000 at scale 2)
        self.stats_strip = StatsStrip()
        header = self._header = QHBoxLayout()
        header.addWidget(self.state_label, 1)
        header.addWidget(self.identity_label)
        header.addWidget(self.stats_strip, STRIP_STRETCH)
        header.addLayout(self.chips)
        header.addWidget(self.rate_label)
        header.addWidget(self.presence_button)
        header.addWidget(self.rejoin_button)
        header.addWidget(self.leave_button)

        # --- filter bar
        self.filter_edit = filter_field("Filter text, /regex/, !exclude (Ctrl+F)", "Filter text")
        self.event_filter_edit = filter_field("Events: chat, cursor*, -typing", "Event filter")
        self.payload_filter_edit = filter_field("Payload: $.amount > 100", "Payload filter")
        self._filter_tips = {
            self.filter_edit: TEXT_FILTER_TIP,
            self.event_filter_edit: EVENT_FILTER_TIP,
            self.payload_filter_edit: PAYLOAD_FILTER_TIP,
        }
        for edit, tip in self._filter_tips.items():
            edit.setToolTip(tip)
        #: the filter field whose text did not compile, and why (None when all did).
        self.filter_error: tuple[QLineEdit, str] | None = None
        self.follow_button = tool_button(
            "follow", "Follow", checkable=True, tooltip="Keep the newest row in view (End)"
        )
        self.follow_button.setChecked(True)
        fix_width(self.follow_button)
        self.pause_button = self.controls.pause_button
        self.clear_button = self.controls.clear_button
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 2)
        bar.addWidget(self.event_filter_edit, 1)
        bar.addWidget(self.payload_filter_edit, 1)
        bar.addWidget(self.follow_button)
        bar.addWidget(self.pause_button)
        bar.addWidget(self.clear_button)
        bar.addWidget(self.seq_button)
        bar.addWidget(self.counts_label, 2)
        self.seq_bar = SeqTrackBar()
        self.seq_bar.setVisible(False)
        self.seq_gaps = SeqGapsPanel()
        self.seq_gaps.setVisible(False)
        self._seq_timer = QTimer(self)
        self._seq_timer.setInterval(SEQ_REFRESH_MS)
        self._seq_timer.timeout.connect(self.refresh_seq)

        # --- statistics (issue #15 item 3): drawn on the window's one-second tick
        self.stats_strip.setVisible(channel.stats is not None)
        self.rate_label.setVisible(channel.stats is None)  # the strip shows the rate
        self.stats_dialog: StatsDialog | None = None
        self.stats_strip.details_requested.connect(self.show_stats)

        # --- table, detail, composer
        self.table = MessageTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(f"Messages of {channel.name}")
        self.table_actions = TableActions(channel.name, self.table, self.proxy, self.model, self)
        self.table_actions.columns_changed.connect(
            lambda paths: self.columns_changed.emit(self.name, paths)
        )
        self.table_actions.message.connect(self.message)
        self.table_actions.stats_requested.connect(self.show_stats)
        self.detail = MessageDetailPanel(channel.name)
        self.composer = ComposerPanel(history)
        self.composer.set_options(
            ack=channel.options.ack, broadcast_self=channel.options.broadcast_self
        )
        self.h_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.h_splitter.addWidget(self.table)
        self.h_splitter.addWidget(self.detail)
        self.presence_panel = PresencePanel(channel.presence, channel.options)
        self.presence_panel.setVisible(False)
        self.h_splitter.addWidget(self.presence_panel)
        self.h_splitter.addWidget(self.seq_gaps)
        self.h_splitter.setStretchFactor(0, 3)
        self.h_splitter.setStretchFactor(1, 2)
        self.h_splitter.setChildrenCollapsible(False)
        # A short (or scaled) screen must still show the composer and Send (issue #10 item
        # 19): the detail's views may shrink to a few lines.
        self.detail.views.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.v_splitter = QSplitter(Qt.Orientation.Vertical)
        self.v_splitter.addWidget(self.h_splitter)
        self.v_splitter.addWidget(self.composer)
        self.v_splitter.setStretchFactor(0, 4)
        self.v_splitter.setStretchFactor(1, 1)
        self.v_splitter.setChildrenCollapsible(False)
        self.v_splitter.setSizes([640, 260])  # proportions; restored sizes replace them
        self.h_splitter.setSizes([740, 260])  # the table (and its payload column) first

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.explain_label)
        layout.addWidget(self.notice_label)
        layout.addLayout(bar)
        layout.addWidget(self.seq_bar)
        layout.addWidget(self.v_splitter, 1)

        # --- wiring
        self._filter_timer = debounce_timer(self, self._apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.event_filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.payload_filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self._apply_filter)
        self.event_filter_edit.returnPressed.connect(self._apply_filter)
        self.payload_filter_edit.returnPressed.connect(self._apply_filter)
        self.follow_button.toggled.connect(self.table.set_follow_tail)
        self.table.follow_tail_changed.connect(self.follow_button.setChecked)
        self.pause_button.toggled.connect(self.set_paused)
        self.clear_button.clicked.connect(self.clear)
        self.leave_button.clicked.connect(lambda: self.leave_requested.emit(self.name))
        self.rejoin_button.clicked.connect(lambda: self.rejoin_requested.emit(self.name))
        self.composer.send_requested.connect(self._send)
        self.composer.repeat_requested.connect(lambda r: self.repeat_requested.emit(self.name, r))
        self.composer.repeat_cancel_requested.connect(
            lambda: self.repeat_cancel_requested.emit(self.name)
        )
        self.presence_button.toggled.connect(self.presence_panel.setVisible)
        self.presence_panel.count_changed.connect(self._presence_count)
        self.presence_panel.listen_requested.connect(
            lambda on: self.presence_listen_requested.emit(self.name, on)
        )
        self.presence_panel.track_requested.connect(
            lambda payload: self.track_requested.emit(self.name, payload)
        )
        self.presence_panel.untrack_requested.connect(
            lambda: self.untrack_requested.emit(self.name)
        )
        self.composer.options_change_requested.connect(
            lambda ack, slf: self.options_change_requested.emit(self.name, ack, slf)
        )
        self.seq_button.toggled.connect(self.seq_bar.setVisible)
        self.seq_bar.track_requested.connect(self.track_seq)
        self.seq_bar.stop_requested.connect(self.stop_seq)
        self.seq_bar.gaps_button.toggled.connect(self._show_gaps)
        self.detail.track_field_requested.connect(self.track_seq)
        self.detail.column_requested.connect(self.table_actions.add_column)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.flushed.connect(self._flushed)
        self.model.dataChanged.connect(self._data_changed)
        self.model.modelReset.connect(self._model_reset)
        self._set_focus_chain()
        self.set_options(channel.options)
        self.set_status(channel.status, 0.0)
        self._update_counts()

    def _set_focus_chain(self) -> None:
        """Tab walks the tab top to bottom, left to right: header buttons, filters and
        Follow/Pause/Clear, the table, the detail, then the composer in reading order ending at
        Send (it jumped between the composer and the table; issue #10 item 19)."""
        c = self.composer
        b = self.seq_bar
        chain: list[QWidget] = [
            self.stats_strip.details_button,
            self.presence_button,
            self.rejoin_button,
            self.leave_button,
            self.filter_edit,
            self.event_filter_edit,
            self.payload_filter_edit,
            self.follow_button,
            self.pause_button,
            self.clear_button,
            self.seq_button,
            b.path_edit,
            b.track_button,
            b.stop_button,
            b.gaps_button,
            self.table,
            self.detail.views,
            self.detail.views.tabBar(),
            self.detail.text,
            c.event_edit,
            c.history_combo,
            c.payload_edit,
            c.binary_input,
            c.kind_combo,
            c.ack_check,
            c.self_check,
            c.transport_combo,
            c.send_button,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # ------------------------------------------------------------------------------ properties

    @property
    def name(self) -> str:
        return self.channel.name

    def title(self) -> str:
        """Tab text: the channel name and unread count."""
        # A tab text's & is a mnemonic; hidden characters show as \uXXXX (QA 7).
        text = tab_text(self.name)
        if self.identity:
            text += " · " + short_name(self.identity, 24).replace("&", "&&")
        if self.unread:
            text += f" ({self.unread:,})" if self.unread < 100_000 else " (99,999+)"
        return text

    def state_mark(self) -> tuple[QColor, str]:
        """The join state's colour and word, for the tab's mark and tooltip."""
        return self._state_mark

    def set_current(self, current: bool) -> None:
        self._current = current
        if current and self.unread:
            self.unread = 0
            self.title_changed.emit()

    # ------------------------------------------------------------------------------ state display

    def set_identity(self, name: str, status: str = "") -> None:
        """Show who the tab joined as (``""``: the profile's own key): in the tab's text and
        a chip of its header whose tooltip is the identity's status (token, expiry)."""
        self.identity_label.setText(f"as {short_name(name, 40)}" if name else "")
        self.identity_label.setToolTip(
            f"Joined as the identity “{name}”" + (f": {status}" if status else "")
        )
        self.identity_label.setVisible(bool(name))
        if name != self.identity:
            self.identity = name
            self.title_changed.emit()

    def set_options(self, options: ChannelOptions) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        style = _chip_style()
        for chip in options.chips():
            label = QLabel(chip)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setStyleSheet(style)
            # a tall header row (a long state) must not stretch the chip into an oval
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            label.setToolTip(chip_tooltip(chip))
            self.chips.addWidget(_fix_height(label))
        self.composer.set_options(ack=options.ack, broadcast_self=options.broadcast_self)
        self.presence_panel.set_options(options)
        self.title_changed.emit()

    def set_status(self, status: ChannelStatus, now: float) -> None:
        c = theme.colors()
        colour = {
            TabState.JOINED: c.ok,
            TabState.JOINING: c.busy,
            TabState.WAITING: c.muted,
            TabState.ERRORED: c.error,
            TabState.CLOSED: c.error,
            TabState.LEFT: c.muted,
        }[status.state]
        text = status.describe(now).replace("&", "&amp;").replace("<", "&lt;")
        self.state_label.setText(f"<b style='color:{colour.name()}'>●</b> {text}")
        metrics = self.state_label.fontMetrics()
        long_state = metrics.horizontalAdvance(text) > metrics.averageCharWidth() * LONG_STATE_CHARS
        self.stats_strip.set_compact(long_state)
        self._header.setStretchFactor(self.stats_strip, 0 if long_state else STRIP_STRETCH)
        self._state_mark = (colour, status.state.value)
        if status.state is TabState.JOINED and self.notice_label.text().startswith("Rejoining"):
            self.show_notice("")  # the rejoin it announced is done (issue #10 item 19)
        self.state_label.setToolTip(
            explained(printable(status.reason, 500)) if status.reason else status.state.value
        )
        entry = explain(status.reason) if status.state in _EXPLAINED_STATES else None
        self.explain_label.setVisible(entry is not None)
        if entry is not None:
            self.explain_label.setText(f"Why: {entry.meaning} What to do: {entry.action}")
            self.explain_label.setToolTip(entry.as_text())
            self.explain_label.setStyleSheet(f"color: {c.muted.name()};")
        self.presence_panel.set_status(status)
        left = status.state in (TabState.LEFT, TabState.CLOSED)
        self.leave_button.setEnabled(not left)
        self.rejoin_button.setEnabled(status.state is not TabState.JOINING)
        self.title_changed.emit()  # the tab's state mark

    def set_protocol_source(self, source: Callable[[], str]) -> None:
        """Where the composer learns the profile's protocol (binary needs 2.0.0, §2.4)."""
        self._protocol_source = source
        self.refresh_protocol()

    def refresh_protocol(self, *_args: object) -> None:
        self.composer.set_protocol(self._protocol_source())

    def _presence_count(self, keys: int) -> None:
        self.presence_button.setText(f"Presence ({keys})" if keys else "Presence")

    def show_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    def tick(self, now: float) -> None:
        """Once a second: message rate and countdowns."""
        rate = self.channel.rate.rate(now)
        self._last_rate = rate
        self.rate_label.setText(f"{rate:,.0f} msg/s" if rate >= 10 else f"{rate:.1f} msg/s")
        if self.channel.status.retry_at is not None:
            self.set_status(self.channel.status, now)
        if self.channel.filtered_out != self._shown_filtered:
            self._update_counts()
        self._now = now
        self.refresh_stats(now)

    # ------------------------------------------------------------------------------ statistics

    def refresh_stats(self, now: float) -> None:
        """Draw the tab's statistics (the strip when shown, the dialog when open)."""
        stats = self.channel.stats
        dialog = self.stats_dialog
        strip_shown = self.stats_strip.isVisible()
        dialog_shown = dialog is not None and dialog.isVisible()
        if stats is None or not (strip_shown or dialog_shown):
            return
        snap = stats.snapshot(now)
        if strip_shown:
            self.stats_strip.refresh(snap)
        if dialog is not None and dialog_shown:
            dialog.refresh(snap)

    def show_stats(self) -> StatsDialog:
        """Open (or raise) the statistics dialog of this tab."""
        if self.stats_dialog is None:
            self.stats_dialog = StatsDialog(self.name, self)
            self.stats_dialog.reset_requested.connect(self._reset_stats)
        dialog = self.stats_dialog
        if dialog.isVisible():
            dialog.raise_()  # already open (behind the window): bring it up
        dialog.show()
        stats = self.channel.stats
        if stats is not None:
            dialog.refresh(stats.snapshot(self._clock()))
        return dialog

    def _clock(self) -> float:
        """The controller's clock as of the last tick (the stats count on it)."""
        return self._now if self._now is not None else time.monotonic()

    def _reset_stats(self) -> None:
        if self.channel.stats is not None:
            self.channel.stats.clear()
            self.refresh_stats(self._clock())

    def _update_counts(self) -> None:
        filtered_out = self._shown_filtered = self.channel.filtered_out
        if filtered_out:
            self.controls.show_counts(f"{filtered_out:,} not matching the tab's events")
        else:
            self.controls.show_counts()

    # ------------------------------------------------------------------------------ actions

    def set_paused(self, paused: bool) -> None:
        if self.controls.set_paused(paused):
            self._update_counts()

    def clear(self) -> None:
        """Empty the table; a watched counter starts over too."""
        self.channel.log.clear()
        self.channel.filtered_out = 0
        if self.channel.stats is not None:
            self.channel.stats.clear()
        if self.channel.seq is not None:
            self.channel.seq.reset()
            self.refresh_seq()
        self.detail.show_record(None)
        self._update_counts()

    # ------------------------------------------------------------------------------ sequence gaps

    def track_seq(self, path: str) -> str | None:
        """Watch the counter at JSONPath ``path`` (typed, or *Track this field*): the rows in
        the table are counted first, then each new one. Returns why not, or None."""
        try:
            tracker = self.channel.track_seq(path)
        except SeqPathError as exc:
            self.seq_bar.show_error(str(exc))
            self.seq_button.setChecked(True)
            return str(exc)
        self.seq_button.setChecked(True)
        self.seq_bar.set_tracking(tracker)
        self.seq_gaps.refresh(tracker)
        self.refresh_seq()
        self._seq_timer.start()
        self.seq_path_changed.emit(self.name, tracker.path)
        return None

    def stop_seq(self) -> None:
        self.channel.stop_seq()
        self._seq_timer.stop()
        self.seq_bar.set_tracking(None)
        self.seq_gaps.refresh(None)
        self.refresh_seq()
        self.seq_path_changed.emit(self.name, "")

    def refresh_seq(self) -> None:
        """Redraw the counts and the visible gap list (the timer calls this; cheap when
        nothing changed)."""
        tracker = self.channel.seq
        self.seq_bar.refresh(tracker)
        if self.seq_gaps.isVisible():
            self.seq_gaps.refresh(tracker)
        missing = 0 if tracker is None else tracker.counts().missing
        text = f"Sequence ({compact_count(missing)} missing)" if missing else "Sequence"
        if self.seq_button.text() != text:  # the counts show even while the bar is hidden
            self.seq_button.setText(text)

    def _show_gaps(self, shown: bool) -> None:
        self.seq_gaps.setVisible(shown)
        if not shown:
            return
        self.seq_gaps.refresh(self.channel.seq)
        splitter = self.h_splitter
        sizes = splitter.sizes()
        at = splitter.indexOf(self.seq_gaps)
        wanted = self.fontMetrics().averageCharWidth() * 44
        if sizes[at] < wanted and sizes[0] > 2 * wanted:  # the table gives the list room
            sizes[0] -= wanted - sizes[at]
            sizes[at] = wanted
            splitter.setSizes(sizes)

    def _apply_filter(self) -> None:
        """Filter the table by the three fields; a field whose text does not compile turns
        red with the reason in its tooltip, and the table keeps its previous filter."""
        self._filter_timer.stop()
        try:
            new_filter = MessageFilter.from_inputs(
                self.filter_edit.text(),
                self.event_filter_edit.text(),
                self.payload_filter_edit.text(),
            )
        except FilterError as exc:
            edit = {
                "text": self.filter_edit,
                "events": self.event_filter_edit,
                "payload": self.payload_filter_edit,
            }[exc.field]
            self._show_filter_error(edit, str(exc))
            return
        self._show_filter_error(None, "")
        self.proxy.set_message_filter(new_filter)
        self._update_counts()
        if self.table.follow_tail:
            self.table.scrollToBottom()

    def _show_filter_error(self, edit: QLineEdit | None, reason: str) -> None:
        self.filter_error = None if edit is None else (edit, reason)
        style = f"QLineEdit {{ border: 1px solid {theme.colors().error.name()}; }}"
        for field, tip in self._filter_tips.items():
            bad = field is edit
            field.setStyleSheet(style if bad else "")
            field.setToolTip(f"⚠ {reason}\n\n{tip}" if bad else tip)
            field.setProperty("filterError", reason if bad else "")
        if edit is not None:
            self.message.emit(reason)

    def _send(self, request: SendRequest) -> None:
        self.send_requested.emit(self.name, request)

    def repeat_progress(self, name: str, progress: object) -> None:
        """A repeat run's progress (the controller's signal, for every tab: ours only)."""
        if name == self.name:
            self.composer.repeat.show_progress(progress)

    def repeat_finished(self, name: str, summary: object, error: str) -> None:
        if name == self.name:
            self.composer.repeat.show_summary(summary, error)

    def select_last(self) -> None:
        select_last_row(self.table)

    # ------------------------------------------------------------------------------ model events

    def _flushed(self, inserted: int, _removed: int) -> None:
        if inserted and not self._current:
            self.unread += inserted
            self.title_changed.emit()
        self._update_counts()
        record = self.detail.record
        if record is not None:
            self.detail.set_evicted(not self.channel.log.contains(record))

    def _model_reset(self) -> None:
        self.unread = 0
        self.title_changed.emit()
        self._update_counts()

    def _data_changed(
        self, top_left: AnyIndex, _bottom_right: AnyIndex, _roles: object = None
    ) -> None:
        record = self.detail.record
        if record is not None and self.model.record_at(top_left.row()) is record:
            self.detail.refresh()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        selection = self.table.selectionModel()
        indexes = selection.selectedRows()
        if not indexes:
            return  # keep showing the last selected record (it may just have been evicted)
        # Several rows may be selected (New check from selection): show the one last clicked.
        current = self.table.currentIndex()
        shown_index = (
            current if current.isValid() and selection.isRowSelected(current.row()) else indexes[0]
        )
        record = shown_index.data(RecordRole)
        shown = self.detail.record
        # Qt moves the selection off an evicted row onto its neighbour: the user did not pick
        # that row. Keep the evicted record (Copy payload copies it) and select nothing.
        evicted = shown is not None and not self.channel.log.contains(shown)
        if self.model.removing and record is not shown and evicted:
            self.table.selectionModel().clearSelection()
            self.detail.set_evicted(True)
            return
        if self.model.removing and record is shown:
            return  # the same row, moved up by the eviction: nothing to format again
        self.detail.show_record(record)
