"""CompareColumn: one identity's column of the compare view (issue #13 §3).

Above, the identity (name, how it signs in, its role) and its join state with the server's
own text when the join was refused; then its message table (the channel tab's
:class:`~inspector.ui.messages.message_table_model.MessageTableModel`,
:class:`~inspector.ui.messages.message_filter_proxy.MessageFilterProxyModel` and
:class:`~inspector.ui.messages.message_table_view.MessageTableView` over the column's own
:class:`~inspector.ui.open_channel.OpenChannel` log); below, the presence list this identity
sees (:class:`~inspector.ui.presence.presence_model.PresenceRosterModel`) and which of the
other identities it sees present.

The column only shows; the window owns the controllers and the marks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import reveal
from inspector.store import ChannelStatus, MessageRecord, TabState
from inspector.store.compare.marks import MARKER_FIELD
from inspector.store.timefmt import clock_ms

from ..common import theme
from ..controller_base import PRIVATE_HINT_ANON, PRIVATE_HINT_TOKEN
from ..messages.message_filter_proxy import MessageFilterProxyModel
from ..messages.message_table_model import (
    COL_DIRECTION,
    COL_EVENT,
    COL_SIZE,
    COL_STATUS,
    COL_TIME,
    MessageTableModel,
)
from ..messages.message_table_view import MessageTableView
from ..open_channel import OpenChannel
from ..presence.presence_model import PresenceRosterModel

#: Column letters: how the marks table and the "Send as" list name the columns.
LETTERS: Final = "ABCD"
#: Below this width a column hides its table's Time column.
NARROW_PX: Final = 340
#: How often the presence list is rebuilt after a change (presence comes in bursts).
PRESENCE_REFRESH_MS: Final = 80


def server_reason(status: ChannelStatus) -> str:
    """The server's own words of a refusal, without the hints the window's tabs add about
    Profiles and Update token (they do not apply to a column's identity)."""
    reason = status.reason or ""
    for hint in (PRIVATE_HINT_ANON, PRIVATE_HINT_TOKEN):
        reason = reason.replace(f". {hint}", "").replace(hint, "")
    return reason.strip()


class CompareColumn(QWidget):
    """One identity: header, join state, messages, presence seen."""

    def __init__(
        self,
        index: int,
        identity: str,
        how: str,
        channel: OpenChannel,
        *,
        coalesce_ms: int = 40,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.index = index
        self.identity = identity
        self.channel = channel
        self.letter = LETTERS[index]
        self.setObjectName(f"compare_column_{self.letter}")
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setAccessibleName(f"Identity {self.letter}")
        self.how = how
        self.how_label = QLabel(how)
        self.how_label.setTextFormat(Qt.TextFormat.PlainText)
        self.how_label.setWordWrap(True)
        self.how_label.setStyleSheet(f"color: {theme.colors().muted.name()}")
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_label.setAccessibleName(f"Join state of {self.letter}")

        self.model = MessageTableModel(channel.log, coalesce_ms, self)
        self.proxy = MessageFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = MessageTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(f"Messages seen by {identity}")
        # Four columns side by side: the payload gets the room. Size goes, and so does Status
        # (the sender's result is in the marks table, with the reason).
        self.table.setColumnHidden(COL_SIZE, True)
        self.table.setColumnHidden(COL_STATUS, True)
        metrics = self.table.fontMetrics()
        mono = QFontMetrics(theme.mono_font())
        self.table.setColumnWidth(COL_TIME, mono.horizontalAdvance("00:00:00.000") + 10)
        self.table.setColumnWidth(COL_DIRECTION, metrics.horizontalAdvance("system") + 10)
        self.table.setColumnWidth(COL_EVENT, metrics.horizontalAdvance("x" * 8) + 10)
        #: the selected row's event and payload (the table's Payload column is narrow here).
        #: two lines: time, direction and event; the payload elided to the column's width.
        self.row_label = QLabel()
        self.row_label.setTextFormat(Qt.TextFormat.PlainText)
        self.row_label.setFont(theme.mono_font())
        self.row_label.setAccessibleName(f"Selected row of {self.letter}")
        self.row_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.row_label.setFixedHeight(mono.lineSpacing() * 2 + 4)
        self.row_label.setMinimumWidth(1)  # a long payload never widens the column
        self._row_record: MessageRecord | None = None
        self._show_row()

        self.presence_title = QLabel()
        self.presence_title.setWordWrap(True)
        self.presence_title.setAccessibleName(f"Presence seen by {self.letter}")
        self.roster_model = PresenceRosterModel(channel.presence, self)
        self.roster_model.own_key = channel.options.presence_key
        self.roster = QTableView()
        self.roster.setModel(self.roster_model)
        self.roster.setAccessibleName(f"Presence list of {identity}")
        self.roster.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.roster.verticalHeader().setVisible(False)
        self.roster.setShowGrid(False)
        self.roster.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.roster.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        rows = self.fontMetrics().height() + 6
        self.roster.verticalHeader().setDefaultSectionSize(rows)
        frame = 2 * self.roster.frameWidth()
        self.roster.setFixedHeight(rows * 4 + header.sizeHint().height() + frame)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.how_label)
        layout.addWidget(self.state_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.row_label)
        layout.addWidget(self.presence_title)
        layout.addWidget(self.roster)

        #: presence keys of the other columns (``letter -> key``), for "sees …".
        self._others: dict[str, str] = {}
        self._presence_timer = QTimer(self)
        self._presence_timer.setSingleShot(True)
        self._presence_timer.setInterval(PRESENCE_REFRESH_MS)
        self._presence_timer.timeout.connect(self.refresh_presence)
        channel.presence.add_listener(self._presence_changed)
        self.destroyed.connect(
            lambda _o=None, r=channel.presence, f=self._presence_changed: r.remove_listener(f)
        )
        self.table.selectionModel().selectionChanged.connect(self._row_selected)
        self.set_role("")
        self.set_status(channel.status, 0.0)
        self.refresh_presence()

    # ------------------------------------------------------------------------------ header

    def set_role(self, role: str) -> None:
        """The role the identity's token carries ("" while unknown)."""
        self.role = role
        name = html.escape(self.identity)
        extra = f" <span style='color:{theme.colors().muted.name()}'>({html.escape(role)})</span>"
        self.title.setText(f"<b>{self.letter} · {name}</b>{extra if role else ''}")

    def set_status(self, status: ChannelStatus, now: float) -> None:
        c = theme.colors()
        state = status.state
        colour = {
            TabState.JOINED: c.ok,
            TabState.JOINING: c.busy,
            TabState.WAITING: c.muted,
            TabState.ERRORED: c.error,
            TabState.CLOSED: c.error,
            TabState.LEFT: c.muted,
        }[state]
        if state is TabState.ERRORED:
            reason = server_reason(status)
            words = f"refused: {reason}" if reason else "refused"
        else:
            words = status.describe(now)
        text = html.escape(words)
        self.state_label.setText(f"<b style='color:{colour.name()}'>●</b> {text}")
        self.state_label.setToolTip(status.reason or state.value)

    def set_problem(self, text: str, *, error: bool = True) -> None:
        """The identity could not even connect (sign-in refused, bad key): say so (or, with
        ``error`` False, what it is doing before it connects)."""
        colour = (theme.colors().error if error else theme.colors().busy).name()
        self.state_label.setText(f"<b style='color:{colour}'>●</b> {html.escape(text)}")
        self.state_label.setToolTip(text)

    def set_note(self, text: str) -> None:
        """A line under the identity (a failed token refresh); "" hides it."""
        self.how_label.setText(f"{self.how} · {text}" if text else self.how)

    # ------------------------------------------------------------------------------ presence

    def set_others(self, others: Sequence[tuple[str, str]]) -> None:
        """The other columns' ``(letter, presence key)``."""
        self._others = dict(others)
        self.refresh_presence()

    def _presence_changed(self) -> None:
        if not self._presence_timer.isActive():
            self._presence_timer.start()

    def seen_keys(self) -> list[str]:
        return self.channel.presence.keys()

    def refresh_presence(self) -> None:
        self._presence_timer.stop()
        self.roster_model.refresh()
        keys = set(self.seen_keys())
        if not self._others:
            self.presence_title.setText("<b>Presence</b>")
            return
        c = theme.colors()
        parts = []
        for letter, key in self._others.items():
            seen = key in keys
            colour = (c.ok if seen else c.muted).name()
            mark = "✓" if seen else "✗"
            parts.append(f"<span style='color:{colour}'>{mark} {letter}</span>")
        self.presence_title.setText(f"<b>Presence</b> · sees {' '.join(parts)}")
        self.presence_title.setToolTip(
            f"Each column tracks a payload with “{MARKER_FIELD}”: its identity's name. "
            "✓: this identity sees that column's presence."
        )

    # ------------------------------------------------------------------------------ rows

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Narrow (four columns on a small screen): the Time column goes, so the payload shows;
        the selected row's line and the marks still give the time."""
        super().resizeEvent(event)
        narrow = event.size().width() < NARROW_PX
        if self.table.isColumnHidden(COL_TIME) != narrow:
            self.table.setColumnHidden(COL_TIME, narrow)
        if self._row_record is not None:
            self._show_row()

    def _row_selected(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        record = self.proxy.record_at(rows[0].row()) if rows else None
        if record is not None:
            self._row_record = record
            self._show_row()

    def _show_row(self) -> None:
        record = self._row_record
        muted = f"color: {theme.colors().muted.name()}"
        if record is None:
            self.row_label.setText("(no row selected)")
            self.row_label.setStyleSheet(muted)
            return
        head = f"{clock_ms(record.time)} {record.direction.label} · {record.event}"
        payload = reveal(record.preview(limit=2000), multiline=False)
        metrics = QFontMetrics(self.row_label.font())
        width = max(40, self.row_label.width() - 4)
        lines = (
            metrics.elidedText(reveal(head, multiline=False), Qt.TextElideMode.ElideRight, width),
            metrics.elidedText(payload, Qt.TextElideMode.ElideRight, width),
        )
        self.row_label.setText("\n".join(lines))
        self.row_label.setToolTip(record.preview(limit=2000))
        self.row_label.setStyleSheet("")

    def select_record(self, record: object) -> bool:
        """Select and show ``record`` in the table; False when it is no longer shown (evicted,
        cleared)."""
        if self.model.has_pending():
            self.model.flush()
        row = self.proxy.row_of(record)
        if row is None:
            return False
        self.table.set_follow_tail(False)
        self.table.selectRow(row)
        self.table.scrollTo(self.proxy.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.table.setFocus()
        return True
