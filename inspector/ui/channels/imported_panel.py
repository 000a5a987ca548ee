"""Read-only tabs for imported NDJSON files: a channel's rows, or the frames of a connection.

:class:`ImportedChannelPanel` is a :class:`~inspector.ui.channels.channel_panel.ChannelPanel` over a log
that nothing writes to: the table, filters, Pause/Clear and the detail pane work as in a live
tab; the composer, Leave and Rejoin are hidden and the header says where the rows came from.

The tab widget records these tabs as imported (:class:`~inspector.ui.channels.channel_tabs.TabKind`), so
the window's per-tab actions that go to the controller by name (leave, rejoin, close channel)
never reach a live channel of the same name. The tab text is the channel name with an
"imported" mark.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QToolButton, QVBoxLayout, QWidget

from inspector.store import ChannelOptions, ChannelStatus, MessageRecord, TabState
from inspector.store.frames.frames import FrameLog, FrameRow
from inspector.store.messages.log import MAX_CAPACITY, MIN_CAPACITY

from ..frames.frames_panel import FramesPanel
from ..open_channel import OpenChannel
from .channel_panel import ChannelPanel, short_name, tab_text


class ImportedChannelPanel(ChannelPanel):
    """A read-only tab with the rows of one channel from an NDJSON file."""

    #: "Replay to channel…" was clicked (issue #11 item 4; the window's ReplayActions answer).
    replay_requested = Signal()

    def __init__(
        self,
        channel: str,
        records: list[MessageRecord],
        source: Path,
        parent: QWidget | None = None,
    ) -> None:
        capacity = min(MAX_CAPACITY, max(MIN_CAPACITY, len(records)))
        state = OpenChannel(ChannelOptions(channel), capacity)
        state.log.extend(records)
        state.status = ChannelStatus(TabState.LEFT)
        super().__init__(state, parent=parent)
        self.source = source
        self.composer.setVisible(False)
        self.leave_button.setVisible(False)
        self.rejoin_button.setVisible(False)
        self.rate_label.setVisible(False)
        self.stats_strip.setVisible(False)  # nothing was counted: the rows were read from a file
        self.table.setAccessibleName(f"Imported messages of {channel}")
        self.replay_button = QToolButton()
        self.replay_button.setText("Replay to channel…")
        self.replay_button.setToolTip("Send these rows into a joined channel again")
        self.replay_button.clicked.connect(self.replay_requested.emit)
        outer = self.layout()
        first = outer.itemAt(0) if outer is not None else None
        header = first.layout() if first is not None else None
        if header is not None:  # the header row: state, chips, rate, buttons
            header.addWidget(self.replay_button)
        self._describe()

    def title(self) -> str:
        return f"{tab_text(self.name)} (imported)"

    def set_options(self, options: ChannelOptions) -> None:
        """No chips: an export does not say which options the channel was joined with."""

    def set_status(self, status: ChannelStatus, now: float) -> None:
        super().set_status(status, now)
        if hasattr(self, "source"):
            self._describe()

    def tick(self, now: float) -> None:
        """Nothing moves in an imported tab."""

    def _describe(self) -> None:
        log = self.channel.log
        name = _escape(short_name(self.name, 200))
        self.state_label.setText(
            f"<b>Imported</b> · read-only · {len(log):,} rows of “{name}” "
            f"from {_escape(self.source.name)}"
        )
        self.state_label.setToolTip(str(self.source))


class ImportedFramesPanel(QWidget):
    """A read-only tab with the frames from an NDJSON file, in the Frames view's layout."""

    def __init__(self, frames: list[FrameRow], source: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        log = FrameLog(min(MAX_CAPACITY, max(MIN_CAPACITY, len(frames))))
        for frame in frames:
            log.append(frame)
        self.frames = FramesPanel(log)
        self.frames.export_button.setVisible(False)
        self.frames.pause_button.setVisible(False)
        header = QLabel(
            f"<b>Imported</b> · read-only · {len(frames):,} frames from {_escape(source.name)}"
        )
        header.setToolTip(str(source))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(header)
        layout.addWidget(self.frames, 1)

    def title(self) -> str:
        return "frames (imported)"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
