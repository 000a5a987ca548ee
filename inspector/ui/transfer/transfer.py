"""TransferActions: export a tab, all tabs or the frames to NDJSON, the table to CSV, and import
NDJSON into read-only tabs (issue #5 §4). The file format is :mod:`inspector.store.transfer.export`.

The window creates one instance over its tabs and the frame log, puts its actions in the File
menu and shows what they report (signals) in its status bar. Each action asks for a
path through ``ask_path`` (a file dialog by default; tests pass their own), snapshots what it
exports (the rows retained at that moment) and runs as a :class:`TransferJob`: progress after
400 ms, Cancel at any time, the window stays live. Exports write ``<file>.part`` and rename it
when complete, so a cancelled or failed export never leaves a half file under the real name.
Everything written is redacted (keys, tokens, JWT-shaped strings).

Imported files open as read-only tabs (:mod:`..channels.imported_panel`) in the tab widget, recorded there
as imported: one per channel for message lines, one for frame lines. They close like any tab and
never touch the connection.

A browser's HAR capture (File -> Import HAR…, issue #15 item 1) opens the same way: its Realtime
websockets are decoded by :mod:`inspector.store.transfer.har` into a read-only tab per channel
and one for the frames. Files dropped on the window (:meth:`TransferActions.install_drop_target`)
are opened by their kind: ``.har`` as a capture, ``.ndjson``/``.jsonl`` (and ``.json``/``.txt``
holding NDJSON) as an export; anything else is refused with a message. Several dropped files
are imported one after another.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QAction, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from inspector import APP_NAME, __version__
from inspector.store import MessageRecord
from inspector.store.frames.frames import FrameLog, FrameRow
from inspector.store.transfer.export import (
    MAX_LINE_BYTES,
    Importer,
    csv_lines,
    frame_line,
    header_line,
    message_line,
)
from inspector.store.transfer.har import HarResult, read_har_steps

from ..channels.channel_panel import ChannelPanel, short_name
from ..channels.channel_tabs import ChannelTabsWidget
from ..channels.imported_panel import ImportedChannelPanel, ImportedFramesPanel
from ..common import icons

# Re-exported: panels import the dialog helpers from here too.
from ..common.file_dialogs import AskPath as AskPath
from ..common.file_dialogs import dialog_ask_path as dialog_ask_path
from ..messages.table_cells import csv_payload as csv_payload  # re-exported
from ..messages.table_cells import table_cells
from .transfer_job import Steps, TransferJob

#: Records written (or lines read) between two progress reports.
CHUNK: Final = 500
#: Bytes of an over-long line skipped between two progress reports.
SKIP_CHUNK: Final = 1024 * 1024
NDJSON_FILTER: Final = "NDJSON (*.ndjson *.jsonl);;All files (*)"
CSV_FILTER: Final = "CSV (*.csv);;All files (*)"
HAR_FILTER: Final = "HAR (*.har);;All files (*)"
#: Suffixes of files a drop opens as a HAR capture or as NDJSON.
HAR_SUFFIXES: Final = (".har",)
NDJSON_SUFFIXES: Final = (".ndjson", ".jsonl", ".json", ".txt", ".log")


def dropped_kind(path: Path) -> str | None:
    """``"har"``, ``"ndjson"`` or None (not a file the window imports), by the name and, for a
    ``.json`` file, by its first line: a HAR starts with a lone ``{`` or ``{"log"``, an NDJSON
    file with a whole object."""
    suffix = path.suffix.lower()
    if suffix in HAR_SUFFIXES:
        return "har"
    if suffix not in NDJSON_SUFFIXES:
        return None
    if suffix == ".json":
        try:
            with path.open("rb") as fh:
                head = fh.readline(4096).strip()
        except OSError:
            return "ndjson"  # the import says what is wrong with it
        if head == b"{" or head.startswith(b'{"log"'):
            return "har"
    return "ndjson"


def suggested_name(what: str, now: float | None = None) -> str:
    """A file name to propose: ``<what>-YYYYMMDD-HHMMSS`` (local time), with characters that
    file systems or shells dislike replaced; the dialog adds the filter's extension."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in what).strip("-.") or "export"
    return f"{safe[:60]}-{stamp}"


def write_lines(path: Path, lines: Iterable[str], total: int, newline: str = "\n") -> Steps:
    """Write ``lines`` to ``path`` through ``<path>.part``; yields progress, returns a summary."""
    part = path.with_name(path.name + ".part")
    written = 0
    complete = False
    try:
        # backslashreplace: a lone surrogate a peer sent (a legal JSON escape) is written as that
        # escape instead of failing the whole export; the store's lines already escape them.
        with part.open("w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
            for line in lines:
                fh.write(line)
                fh.write(newline)
                written += 1
                if written % CHUNK == 0:
                    yield written / max(1, total)
        os.replace(part, path)
        complete = True
    finally:
        if not complete:
            part.unlink(missing_ok=True)
    return f"{written:,} lines written to {path.name}"


def read_ndjson(path: Path, importer: Importer, max_line: int = MAX_LINE_BYTES) -> Steps:
    """Feed ``path`` line by line to ``importer``; yields the fraction of bytes read.

    A line longer than ``max_line`` bytes is never held whole: it is skipped a megabyte at a
    time (yielding, so the window stays live and Cancel works) and counted as a bad line
    (QA 14: a 30 MB line took 1.2 GB). Only regular files are read (``/dev/zero`` never ends).
    """
    if not path.is_file():
        raise ValueError(f"{path.name} is not a regular file")
    size = max(1, path.stat().st_size)
    done = 0
    with path.open("rb") as fh:
        while raw := fh.readline(max_line + 1):
            done += len(raw)
            if len(raw) > max_line and not raw.endswith(b"\n"):
                del raw
                while (rest := fh.readline(SKIP_CHUNK)) and not rest.endswith(b"\n"):
                    done += len(rest)
                    yield done / size
                done += len(rest)
                importer.skip(f"longer than {max_line / 1024 / 1024:g} MiB: not read")
                continue
            importer.feed(raw.decode("utf-8", "replace"))
            if importer.line_number % CHUNK == 0:
                yield done / size
    result = importer.result
    return f"{len(result.records):,} rows and {len(result.frames):,} frames read from {path.name}"


def csv_table(panel: ChannelPanel) -> tuple[list[str], Iterator[list[str]], int]:
    """Header, rows and row count of the panel's table as shown: visible columns in their
    on-screen order, the rows the filters let through."""
    return table_cells(panel.table, panel.proxy, panel.model)


class TransferActions(QObject):
    """The File menu's export and import actions.

    They read the tabs (``tabs``) and the connection's frames (``frames``), show their progress
    over ``parent`` (whose shortcuts they join) and ask for paths through ``ask_path``. They
    talk back through signals: ``message`` for the status bar, ``done`` after each transfer,
    ``imported_panel`` for each read-only channel tab before it is added.
    """

    #: ``(ok, message)`` after every export or import, for the status bar and tests.
    done = Signal(bool, str)
    #: ``(text, timeout_ms)``: a line for the status bar.
    message = Signal(str, int)
    #: an imported channel tab (an ImportedChannelPanel), before it is added to the tabs.
    imported_panel = Signal(object)

    def __init__(
        self,
        tabs: ChannelTabsWidget,
        frames: FrameLog,
        parent: QWidget,
        ask_path: AskPath | None = None,
    ) -> None:
        super().__init__(parent)
        self.tabs = tabs
        self.frames = frames
        self.parent_widget = parent
        self.ask_path = ask_path or dialog_ask_path(parent)
        self.job: TransferJob | None = None
        #: the connection's profile URL for an export's header line (the window sets it).
        self.profile_url: Callable[[], str | None] = lambda: None
        #: a transfer still running after this long shows its progress dialog.
        self.progress_after_ms = 400

        def action(text: str, icon: str, shortcut: str | None, slot: Callable[[], None]) -> QAction:
            act = QAction(icons.icon(icon), text, parent)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            parent.addAction(act)
            return act

        self.export_tab_action = action(
            "&Export tab as NDJSON…", "export", "Ctrl+Shift+E", self.ask_export_tab
        )
        self.export_all_action = action(
            "Export &all tabs as NDJSON…", "export", None, self.ask_export_all
        )
        self.export_csv_action = action(
            "Export table as &CSV…", "export", None, self.ask_export_csv
        )
        self.export_frames_action = action(
            "Export &frames as NDJSON…", "export", None, self.ask_export_frames
        )
        self.import_action = action("&Import NDJSON…", "import", "Ctrl+O", self.ask_import)
        self.import_har_action = action("Import &HAR…", "import", None, self.ask_import_har)
        self.actions = [
            self.export_tab_action,
            self.export_all_action,
            self.export_csv_action,
            self.export_frames_action,
            self.import_action,
            self.import_har_action,
        ]
        #: dropped files still to import, one after another.
        self._queue: list[Path] = []
        self.done.connect(self._next_queued)

    def add_to_menu(self, menu: QMenu, before: QAction) -> None:
        """Put the export and import actions in ``menu`` above ``before``, with a separator."""
        menu.insertActions(before, self.actions)
        menu.insertSeparator(before)

    # ------------------------------------------------------------------------------ jobs

    def _run(self, title: str, steps: Steps, then: Callable[[], str] | None = None) -> TransferJob:
        if self.job is not None and self.job.running:
            self.job.cancel()
        job = TransferJob(title, steps, self.parent_widget, show_after_ms=self.progress_after_ms)
        self.job = job
        for act in self.actions:
            act.setEnabled(False)

        def finished(ok: bool, message: str) -> None:
            for act in self.actions:
                act.setEnabled(True)
            if ok and then is not None:
                message = then()
            self.message.emit(message, 10_000)
            self.done.emit(ok, message)

        job.finished.connect(finished)
        job.start()
        return job

    # ------------------------------------------------------------------------------ exports

    def export_tab(self, path: Path, panel: ChannelPanel | None = None) -> TransferJob | None:
        """Export one tab's retained rows (all of them, whatever the filters show)."""
        panel = panel or self.tabs.current_panel()
        if panel is None:
            self.message.emit("No tab to export", 5000)
            return None
        return self.export_panels(path, [panel], f"Exporting {panel.name}")

    def export_all(self, path: Path) -> TransferJob | None:
        panels = self.tabs.message_panels()
        if not panels:
            self.message.emit("No tabs to export", 5000)
            return None
        return self.export_panels(path, panels, "Exporting all tabs")

    def export_panels(self, path: Path, panels: list[ChannelPanel], title: str) -> TransferJob:
        # Snapshot now: rows keep arriving while the file is written.
        snapshot = [(p.name, list(p.channel.log)) for p in panels]
        total = sum(len(records) for _, records in snapshot)
        header = header_line(
            app=APP_NAME,
            version=__version__,
            exported_at=time.time(),
            profile_url=self.profile_url(),
            channels=[p.channel.options.to_dict() for p in panels],
            times=[r.time for _, records in snapshot if records for r in (records[0], records[-1])],
            rows=total,
        )
        rows = (message_line(r, channel) for channel, records in snapshot for r in records)
        lines = itertools.chain((header,), rows)
        return self._run(title, write_lines(path, lines, total + 1))

    def export_frames(self, path: Path, frames: list[FrameRow] | None = None) -> TransferJob:
        rows = list(self.frames) if frames is None else frames
        return self._run("Exporting frames", write_lines(path, map(frame_line, rows), len(rows)))

    def export_csv(self, path: Path, panel: ChannelPanel | None = None) -> TransferJob | None:
        """The table as shown: visible columns, filtered rows, full payloads (redacted)."""
        panel = panel or self.tabs.current_panel()
        if panel is None:
            self.message.emit("No tab to export", 5000)
            return None
        names, rows, total = csv_table(panel)
        steps = write_lines(path, csv_lines(names, rows), total + 1, newline="")
        return self._run(f"Exporting {panel.name} as CSV", steps)

    def ask_export_tab(self) -> None:
        panel = self.tabs.current_panel()
        if panel is None:
            return
        suggested = suggested_name(panel.name)
        if path := self.ask_path("Export tab", NDJSON_FILTER, True, suggested):
            self.export_tab(path, panel)

    def ask_export_all(self) -> None:
        if path := self.ask_path("Export all tabs", NDJSON_FILTER, True, suggested_name("tabs")):
            self.export_all(path)

    def ask_export_csv(self) -> None:
        panel = self.tabs.current_panel()
        if panel is None:
            return
        suggested = suggested_name(panel.name)
        if path := self.ask_path("Export table as CSV", CSV_FILTER, True, suggested):
            self.export_csv(path, panel)

    def ask_export_frames(self) -> None:
        if path := self.ask_path("Export frames", NDJSON_FILTER, True, suggested_name("frames")):
            self.export_frames(path)

    # ------------------------------------------------------------------------------ import

    def ask_import(self) -> None:
        if path := self.ask_path("Import NDJSON", NDJSON_FILTER, False):
            self.import_file(path)

    def import_file(self, path: Path) -> TransferJob:
        """Read ``path`` and open its channels (and frames) as read-only tabs."""
        importer = Importer()
        return self._run(
            f"Importing {path.name}",
            read_ndjson(path, importer),
            lambda: self._open(path, importer),
        )

    def _open_tabs(
        self, path: Path, rows: list[tuple[str, MessageRecord]], frame_rows: list[FrameRow]
    ) -> int:
        """Open a read-only tab per channel of ``rows`` and one for ``frame_rows``; the number
        of channel tabs."""
        by_channel: dict[str, list[MessageRecord]] = {}
        for channel, record in rows:
            by_channel.setdefault(channel, []).append(record)
        tabs = self.tabs
        first: QWidget | None = None
        for channel, records in by_channel.items():
            panel = ImportedChannelPanel(channel, records, path)
            self.imported_panel.emit(panel)
            tabs.add_imported(panel, panel.title(), f"{short_name(channel, 200)} from {path}")
            first = first or panel
        if frame_rows:
            frames = ImportedFramesPanel(frame_rows, path)
            tabs.add_imported(frames, frames.title(), f"frames from {path}")
            first = first or frames
        if first is not None:
            tabs.setCurrentWidget(first)
        return len(by_channel)

    def _open(self, path: Path, importer: Importer) -> str:
        result = importer.result
        opened = self._open_tabs(path, result.records, result.frames)
        parts = [f"Imported {len(result.records):,} rows into {opened} tab(s)"]
        if result.frames:
            parts.append(f"{len(result.frames):,} frames")
        if result.listen_rows or result.listen_other:
            note = "realtime-inspector listen output: its broadcasts as received rows"
            if result.listen_other:
                n = result.listen_other
                what = "line that is not a broadcast" if n == 1 else "lines that are not broadcasts"
                note += f"; {n:,} {what} (connection, join, presence…) left out"
            parts.append(note)
        if result.errors:
            line, why = result.errors[0]
            n = result.error_count
            parts.append(f"{n:,} line{'' if n == 1 else 's'} skipped (line {line}: {why})")
        if limits := result.limits_text():
            parts.append(limits)
        return " · ".join(parts) + f" from {path.name}"

    # ------------------------------------------------------------------------------ HAR

    def ask_import_har(self) -> None:
        if path := self.ask_path("Import HAR", HAR_FILTER, False):
            self.import_har(path)

    def import_har(self, path: Path) -> TransferJob:
        """Read a browser's HAR capture and open its Realtime channels (and frames) as
        read-only tabs; a file that holds none fails the job with the reason."""
        found: list[HarResult] = []

        def steps() -> Steps:
            # decoded a few hundred messages per slice: the window stays live, Cancel works
            result = yield from read_har_steps(path)
            if result.error is not None:
                raise ValueError(result.error)
            found.append(result)
            return ""

        def opened() -> str:
            result = found[0]
            tabs = self._open_tabs(path, result.records, result.frames)
            return f"Imported HAR: {tabs} tab(s) · {result.summary()} from {path.name}"

        return self._run(f"Importing {path.name}", steps(), opened)

    # ------------------------------------------------------------------------------ drops

    def open_files(self, paths: list[Path]) -> None:
        """Import files (dropped on the window) one after another, each by its kind."""
        idle = not self._queue and (self.job is None or not self.job.running)
        self._queue.extend(paths)
        if idle:
            self._next_queued()

    def _next_queued(self, *_: object) -> None:
        refused: list[str] = []
        while self._queue and (self.job is None or not self.job.running):
            path = self._queue.pop(0)
            kind = dropped_kind(path)
            if kind == "har":
                self.import_har(path)
            elif kind == "ndjson":
                self.import_file(path)
            else:
                refused.append(
                    f"{path.name} was not opened: drop an NDJSON export (.ndjson, .jsonl) or a "
                    "browser's HAR capture (.har)"
                )
        for text in refused:
            self.message.emit(text, 10_000)
            self.done.emit(False, text)

    def install_drop_target(self, widget: QWidget) -> None:
        """Let files dropped anywhere on ``widget`` be imported."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(event, QDropEvent):
            if event.mimeData().hasUrls():
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            mime = event.mimeData()
            if mime.hasUrls():
                event.acceptProposedAction()
                urls = mime.urls()
                local = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
                if len(local) < len(urls):
                    text = "Only files on this computer can be imported (a link was dropped)"
                    self.message.emit(text, 10_000)
                    self.done.emit(False, text)
                if local:
                    self.open_files(local)
                return True
        return super().eventFilter(watched, event)
