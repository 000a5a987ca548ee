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
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

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

from ..channels.channel_panel import ChannelPanel, short_name
from ..channels.channel_tabs import ChannelTabsWidget
from ..channels.imported_panel import ImportedChannelPanel, ImportedFramesPanel
from ..common import icons
from ..messages.table_cells import csv_payload as csv_payload  # re-exported
from ..messages.table_cells import table_cells
from .transfer_job import Steps, TransferJob

#: Records written (or lines read) between two progress reports.
CHUNK: Final = 500
#: Bytes of an over-long line skipped between two progress reports.
SKIP_CHUNK: Final = 1024 * 1024
NDJSON_FILTER: Final = "NDJSON (*.ndjson *.jsonl);;All files (*)"
CSV_FILTER: Final = "CSV (*.csv);;All files (*)"

#: ``ask_path(title, filter, save) -> path or None``.
AskPath = Callable[[str, str, bool], Path | None]


def with_default_suffix(path: Path, name_filter: str) -> Path:
    """``path`` with the filter's first extension added when the user typed none (``out`` ->
    ``out.ndjson``; ``out.txt`` and ``.hidden`` stay as typed; issue #10 item 19). A dot
    followed by something that is no extension (``export-2026.12.05``) or by nothing
    (``out.``) is part of the name. ``name_filter`` is the filter the user chose: "All files"
    adds nothing."""
    name = path.name
    suffix = path.suffix[1:]
    if name.startswith(".") or (suffix and suffix.isalnum() and not suffix.isdigit()):
        return path
    start = name_filter.find("(*.")
    if start < 0:
        return path
    extension = name_filter[start + 2 :].split(")")[0].split()[0]
    return path.with_name(name.rstrip(".") + extension)


def dialog_ask_path(parent: QWidget) -> AskPath:
    def ask(title: str, name_filter: str, save: bool) -> Path | None:
        if save:
            path, chosen = QFileDialog.getSaveFileName(parent, title, "", name_filter)
            return with_default_suffix(Path(path), chosen or name_filter) if path else None
        path, _ = QFileDialog.getOpenFileName(parent, title, "", name_filter)
        return Path(path) if path else None

    return ask


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
        self.actions = [
            self.export_tab_action,
            self.export_all_action,
            self.export_csv_action,
            self.export_frames_action,
            self.import_action,
        ]

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
        if panel is not None and (path := self.ask_path("Export tab", NDJSON_FILTER, True)):
            self.export_tab(path, panel)

    def ask_export_all(self) -> None:
        if path := self.ask_path("Export all tabs", NDJSON_FILTER, True):
            self.export_all(path)

    def ask_export_csv(self) -> None:
        panel = self.tabs.current_panel()
        if panel is not None and (path := self.ask_path("Export table as CSV", CSV_FILTER, True)):
            self.export_csv(path, panel)

    def ask_export_frames(self) -> None:
        if path := self.ask_path("Export frames", NDJSON_FILTER, True):
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

    def _open(self, path: Path, importer: Importer) -> str:
        result = importer.result
        by_channel: dict[str, list[MessageRecord]] = {}
        for channel, record in result.records:
            by_channel.setdefault(channel, []).append(record)
        tabs = self.tabs
        first: QWidget | None = None
        for channel, records in by_channel.items():
            panel = ImportedChannelPanel(channel, records, path)
            self.imported_panel.emit(panel)
            tabs.add_imported(panel, panel.title(), f"{short_name(channel, 200)} from {path}")
            first = first or panel
        if result.frames:
            frames = ImportedFramesPanel(result.frames, path)
            tabs.add_imported(frames, frames.title(), f"frames from {path}")
            first = first or frames
        if first is not None:
            tabs.setCurrentWidget(first)
        parts = [f"Imported {len(result.records):,} rows into {len(by_channel)} tab(s)"]
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
