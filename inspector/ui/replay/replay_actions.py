"""ReplayActions: "Replay to channel…" on an imported tab and "Replay file…" on a live tab
(issue #11 item 4).

Both open a :class:`~.replay_dialog.ReplayDialog`; on Replay the controller starts the client's
replay engine (the one ``realtime-inspector replay`` uses) on the target tab, whose sends appear
as outgoing rows, and a :class:`~.replay_bar.ReplayBar` in that tab shows progress, Pause/Resume,
Cancel and the summary. One replay runs per target tab at a time. A file is read with the
store's recording reader: a file that is not a recording is refused with the line that says so;
malformed lines are skipped and counted in the preview.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from inspector.client.replay import REST, ReplayOptions
from inspector.store import ChannelStatus, TabState
from inspector.store.transfer.export import MAX_LINE_BYTES
from inspector.store.transfer.recording import RecordingReader, recording_from_records

from ..channels.channel_panel import ChannelPanel, short_name
from ..channels.channel_tabs import ChannelTabsWidget
from ..channels.imported_panel import ImportedChannelPanel
from ..common import icons
from ..common.file_dialogs import AskPath, dialog_ask_path
from ..controller_base import ControllerBase
from ..transfer.transfer import CHUNK, NDJSON_FILTER, SKIP_CHUNK
from ..transfer.transfer_job import Steps, TransferJob
from .replay_bar import ReplayBar
from .replay_dialog import ReplayDialog

#: Where the bar goes in a tab's layout: under the header and its notice line.
BAR_INDEX: Final = 2


def read_recording_steps(path: Path, reader: RecordingReader) -> Steps:
    """Feed ``path`` to ``reader`` line by line (a :class:`TransferJob`'s steps: progress, Cancel,
    the window stays live). A line over MAX_LINE_BYTES is never held whole: it is skipped and
    reaches the reader as text that is not JSON (a malformed line, or not a recording when it
    is the first). Only regular files are read."""
    if not path.is_file():
        raise ValueError(f"{path.name} is not a regular file")
    size = max(1, path.stat().st_size)
    done = number = 0
    with path.open("rb") as fh:
        while raw := fh.readline(MAX_LINE_BYTES + 1):
            number += 1
            done += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := fh.readline(SKIP_CHUNK)) and not rest.endswith(b"\n"):
                    done += len(rest)
                    yield done / size
                done += len(rest)
                reader.feed(number, f"(longer than {MAX_LINE_BYTES // 2**20} MiB: not read)")
                continue
            reader.feed(number, raw.decode("utf-8", "replace"))
            if number % CHUNK == 0:
                yield done / size
    return f"{len(reader.finish().messages):,} broadcasts read from {path.name}"


class ReplayActions(QObject):
    """The Channel menu's replay actions and the running replays' bars."""

    #: ``(text, timeout_ms)``: a line for the status bar.
    message = Signal(str, int)

    def __init__(
        self,
        tabs: ChannelTabsWidget,
        controller: ControllerBase,
        parent: QWidget,
        vsn: Callable[[], str],
        ask_path: AskPath | None = None,
    ) -> None:
        super().__init__(parent)
        self.tabs = tabs
        self.controller = controller
        self.parent_widget = parent
        self.vsn = vsn
        self.ask_path = ask_path or dialog_ask_path(parent)
        #: target channel -> its bar (running or finished and not dismissed).
        self.bars: dict[str, ReplayBar] = {}
        #: the dialog last opened (tests drive it).
        self.dialog: ReplayDialog | None = None
        #: target channel -> the replay to start once it has rejoined (its ack changed).
        self.pending: dict[str, Callable[[], object]] = {}
        #: bar -> the list its replay's progress reaches it through; emptied when the bar or
        #: its tab goes, so the engine's later reports (the last one comes after a cancel's
        #: grace) reach nothing.
        self._links: dict[ReplayBar, list[ReplayBar]] = {}

        def action(text: str, slot: Callable[[], object]) -> QAction:
            act = QAction(icons.icon("send"), text, parent)
            act.triggered.connect(slot)
            parent.addAction(act)
            return act

        self.replay_to_channel_action = action("Re&play to channel…", self.open_for_current)
        self.replay_file_action = action("Replay &file…", self.open_for_current)
        tabs.currentChanged.connect(self.update_actions)
        tabs.tabs_changed.connect(self.update_actions)
        controller.channel_status_changed.connect(self.update_actions)
        controller.channel_status_changed.connect(self._status_changed)
        controller.channel_closed.connect(self._channel_closed)
        self.update_actions()

    def add_to_menu(self, menu: QMenu) -> None:
        menu.addSeparator()
        menu.addAction(self.replay_to_channel_action)
        menu.addAction(self.replay_file_action)

    def watch_imported(self, panel: ImportedChannelPanel) -> None:
        """Give an imported tab's "Replay to channel…" button its dialog."""
        panel.replay_requested.connect(lambda: self.open_for_imported(panel))

    # ------------------------------------------------------------------------------ state

    def joined(self) -> list[str]:
        """Live tabs that can take a replay (joined), in tab order."""
        names = []
        for i in range(self.tabs.count()):
            widget = self.tabs.widget(i)
            if isinstance(widget, ImportedChannelPanel) or not isinstance(widget, ChannelPanel):
                continue
            channel = self.controller.channel(widget.name)
            if channel is not None and channel.status.state is TabState.JOINED:
                names.append(widget.name)
        return names

    def update_actions(self, *_args: object) -> None:
        current = self.tabs.currentWidget()
        imported = isinstance(current, ImportedChannelPanel)
        live = isinstance(current, ChannelPanel) and not imported
        self.replay_to_channel_action.setEnabled(imported)
        self.replay_file_action.setEnabled(live)

    def _ack_of(self, name: str) -> bool:
        channel = self.controller.channel(name)
        return channel is not None and channel.options.ack

    # ------------------------------------------------------------------------------ dialogs

    def open_for_current(self) -> ReplayDialog | None:
        current = self.tabs.currentWidget()
        if isinstance(current, ImportedChannelPanel):
            return self.open_for_imported(current)
        if isinstance(current, ChannelPanel):
            return self.open_for_live(current)
        return None

    def open_for_imported(self, panel: ImportedChannelPanel) -> ReplayDialog:
        """ "Replay to channel…": the imported rows into a joined channel of the connection."""
        recording = recording_from_records(list(panel.channel.log), panel.name)
        targets = self.joined()
        dialog = ReplayDialog(
            targets=targets,
            target=targets[0] if targets else None,
            ack_of=self._ack_of,
            vsn=self.vsn(),
            recording=recording,
            source=f"{short_name(panel.name)} (imported from {panel.source.name})",
            parent=self.parent_widget,
        )
        return self._open(dialog, dialog.source)

    def open_for_live(self, panel: ChannelPanel) -> ReplayDialog:
        """ "Replay file…": a recording file into this live tab (or another joined one)."""
        dialog = ReplayDialog(
            targets=self.joined(),
            target=panel.name,
            ack_of=self._ack_of,
            vsn=self.vsn(),
            ask_file=lambda: self.ask_path("Replay file", NDJSON_FILTER, False),
            read=self._read_job,
            parent=self.parent_widget,
        )
        return self._open(dialog, "")

    def _read_job(self, path: Path) -> tuple[TransferJob, RecordingReader]:
        reader = RecordingReader()
        job = TransferJob(
            f"Reading {path.name}",
            read_recording_steps(path, reader),
            self.parent_widget,
            show_after_ms=400,
        )
        job.start()
        return job, reader

    def _open(self, dialog: ReplayDialog, source: str) -> ReplayDialog:
        self.dialog = dialog
        dialog.accepted.connect(lambda: self.start(dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    # ------------------------------------------------------------------------------ running

    def start(self, dialog: ReplayDialog) -> ReplayBar | None:
        """Start what ``dialog`` describes; the bar, or None (said in the status bar, or the
        target tab first rejoins to change its ack and the replay starts once it is joined)."""
        target = dialog.target()
        chosen = dialog.selection()
        if target is None or chosen is None:
            return None
        ack = dialog.ack()
        channel = self.controller.channel(target)
        if ack is not None and channel is not None and channel.options.ack != ack:
            options = dialog.options()
            source = dialog.source
            self.pending[target] = lambda: self._start(target, chosen.items, options, source)
            self.controller.change_broadcast_options(
                target, ack=ack, broadcast_self=channel.options.broadcast_self
            )
            self.message.emit(
                f"Rejoining “{short_name(target)}” with ack {'on' if ack else 'off'}; the "
                "replay starts once it is joined",
                5000,
            )
            return None
        return self._start(target, chosen.items, dialog.options(), dialog.source)

    def _status_changed(self, name: str, status: object) -> None:
        start = self.pending.get(name)
        if start is None or not isinstance(status, ChannelStatus):
            return
        if status.state is TabState.JOINED:
            del self.pending[name]
            start()
        elif status.state in (TabState.ERRORED, TabState.LEFT):
            del self.pending[name]
            self.message.emit(
                f"“{short_name(name)}” did not rejoin ({status.state.value}): nothing was replayed",
                8000,
            )

    def _start(
        self, target: str, items: Sequence[object], options: ReplayOptions, source: str
    ) -> ReplayBar | None:
        panel = self.tabs.panels.get(target)
        if panel is None:
            self.message.emit(f"“{short_name(target)}” is not open any more", 5000)
            return None
        old = self.bars.get(target)
        if old is not None and old.running:
            self.message.emit(f"A replay is already running in “{short_name(target)}”", 5000)
            return None
        title = f"Replay of {source} → {short_name(target)}"
        holder: list[ReplayBar] = []

        def progress(p: object) -> None:
            if holder:
                holder[0].show_progress(p)

        handle = self.controller.start_replay(target, items, options, progress)
        if handle is None:
            self.message.emit(f"“{short_name(target)}” is not joined: nothing was sent", 5000)
            return None
        if old is not None:
            self._remove(target, old)
        bar = ReplayBar(title, handle, panel, rest=options.via == REST)
        holder.append(bar)
        self._links[bar] = holder
        # a bar can also go with the window: its C++ side is gone before the engine's last report
        bar.destroyed.connect(holder.clear)
        layout = panel.layout()
        if isinstance(layout, QVBoxLayout):
            layout.insertWidget(BAR_INDEX, bar)
        self.bars[target] = bar
        bar.dismissed.connect(lambda: self._remove(target, bar))
        bar.finished.connect(
            lambda _p: self.message.emit(f"{title}: {bar.stats_label.text()}", 10000)
        )
        if self.tabs.currentWidget() is not panel:
            self.tabs.setCurrentWidget(panel)
        return bar

    def _channel_closed(self, name: str) -> None:
        """A closed tab takes its replay with it, quietly: the replay is cancelled first, then
        its bar (deleted with the tab) is cut off from the engine's later reports."""
        self.pending.pop(name, None)
        bar = self.bars.pop(name, None)
        if bar is not None:
            bar.handle.cancel()
            self._detach(bar)

    def _detach(self, bar: ReplayBar) -> None:
        bar.running = False
        holder = self._links.pop(bar, None)
        if holder is not None:
            holder.clear()

    def _remove(self, target: str, bar: ReplayBar) -> None:
        if self.bars.get(target) is bar:
            del self.bars[target]
        self._detach(bar)
        bar.setParent(None)
        bar.deleteLater()
