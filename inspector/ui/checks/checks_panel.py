"""ChecksPanel: check files, their checks and steps, live marks while they run (issue #12 §4).

A tree: one item per opened file (its problems as children when it does not load: file, line
and what is wrong), one per check, one per step. While a check runs its steps are marked as
they go: ``…`` running, ``✓`` passed, ``✗`` failed, ``–`` skipped, with each step's duration.
Selecting a step shows its result below: the reason of a failure, the server's text, the
near-misses (same event, payload differed) with the differing JSONPaths, and the messages that
satisfied it; the panel then asks (``step_selected``) for the matching row of the tab where
the message was seen. The panel holds no runner and no window: it emits intents and the
:class:`~inspector.ui.checks.checks_dock.ChecksDock` does the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.client.checks import (
    Check,
    CheckFile,
    CheckResult,
    CheckStatus,
    StepResult,
    StepStatus,
)
from inspector.protocol.invisible import printable

from ..common import icons, theme
from ..common.bounded_label import NarrowLabel
from .check_runs import CheckKey, SentMessage

COL_NAME: Final = 0
COL_RESULT: Final = 1
COL_TIME: Final = 2
#: ``item.data(0, ItemRole)``: ``("file", path)``, ``("check", key)`` or ``("step", key, i)``.
ItemRole: Final = int(Qt.ItemDataRole.UserRole) + 1

MARKS: Final = {
    StepStatus.PASSED: "✓ passed",
    StepStatus.FAILED: "✗ failed",
    StepStatus.SKIPPED: "– skipped",
}
CHECK_MARKS: Final = {
    CheckStatus.PASSED: "✓ passed",
    CheckStatus.FAILED: "✗ failed",
    CheckStatus.ERROR: "✗ error",
    CheckStatus.CANCELLED: "– cancelled",
}
RUNNING: Final = "… running"
NOT_RUN: Final = "– not run"
#: The width the panel asks for when its dock first opens (its minimum is about 330 px).
PREFERRED_WIDTH: Final = 500


def format_duration(seconds: float) -> str:
    """``0.4 ms``, ``12 ms``, ``1.25 s``."""
    ms = seconds * 1000
    if ms < 1:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{seconds:.2f} s"


def _json(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class FileEntry:
    """One opened file: its checks, or why it did not load."""

    path: str
    file: CheckFile | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return Path(self.path).name


def step_detail(
    check: Check, index: int, result: StepResult | None, sent: SentMessage | None
) -> str:
    """What the detail pane shows for one step."""
    step = check.steps[index]
    where = f"{check.file.name}:{step.line}" if check.file is not None and step.line else ""
    lines = [
        f"Step {index + 1} of “{check.name}”: {step.title}" + (f"  ({where})" if where else "")
    ]
    if result is None:
        lines.append("Not run yet.")
        return "\n".join(lines)
    status = result.status.value
    if result.status is StepStatus.SKIPPED:
        lines.append(f"Skipped: {result.reason or 'not run'}")
    else:
        lines.append(
            f"{status.capitalize()} in {format_duration(result.duration)} "
            f"(started at +{result.started:.3f} s)"
        )
    if result.status is StepStatus.FAILED and result.reason:
        lines.append(f"Reason: {printable(result.reason)}")
    if result.server_reason:
        lines.append(f"Server: {printable(result.server_reason)}")
    if sent is not None:
        via = " over REST" if sent.via == "rest" else ""
        lines.append(f"Sent{via}: {printable(sent.event)} {_json(sent.payload)}")
    if result.near_misses:
        lines.append("Near misses (same event, payload differed):")
        for miss in result.near_misses:
            msg = miss.message
            lines.append(f"  {printable(msg.event)} at +{msg.offset:.3f} s: {_json(msg.payload)}")
            for diff in miss.differences:
                lines.append(f"    {printable(diff.text())}")
    if result.matched:
        label = "Arrived" if result.status is StepStatus.FAILED else "Matched"
        lines.append(f"{label}:")
        for msg in result.matched:
            lines.append(f"  {printable(msg.event)} at +{msg.offset:.3f} s: {_json(msg.payload)}")
    if result.captured:
        lines.append(
            "Captured: " + ", ".join(f"{k} = {_json(v, 80)}" for k, v in result.captured.items())
        )
    return "\n".join(lines)


def check_detail(entry: FileEntry, check: Check, result: CheckResult | None) -> str:
    lines = [f"“{check.name}” ({entry.name}:{check.line}), {_count(len(check.steps), 'step')}"]
    if result is None:
        lines.append("Not run yet.")
        return "\n".join(lines)
    lines.append(f"{result.status.value.capitalize()} in {format_duration(result.duration)}")
    if result.error:
        lines.append(f"Could not start: {printable(result.error)}")
    failed = result.failed_step
    if failed is not None:
        lines.append(
            f"Failed at step {failed.index + 1} ({failed.step.title}): {printable(failed.reason)}"
        )
    return "\n".join(lines)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _button(icon: str | None, text: str, tooltip: str) -> QPushButton:
    button = QPushButton(icons.icon(icon), text) if icon else QPushButton(text)
    button.setToolTip(tooltip)
    return button


class ChecksPanel(QWidget):
    """The tree of files, checks and steps, their results, and the buttons."""

    open_requested = Signal()
    #: ``(path)``
    remove_requested = Signal(str)
    #: ``(list of CheckKey)``: an empty list means every check of every file.
    run_requested = Signal(list)
    #: ``(path)``: run every check of this file (reloaded first, so a fixed file runs).
    run_file_requested = Signal(str)
    #: reload every file from disk (without running).
    reload_requested = Signal()
    cancel_requested = Signal()
    draft_requested = Signal()
    #: a step was selected or clicked: ``(CheckKey, step index)``.
    step_selected = Signal(object, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: dict[str, FileEntry] = {}
        self._items: dict[CheckKey, QTreeWidgetItem] = {}
        self._results: dict[CheckKey, CheckResult] = {}
        self._steps: dict[tuple[CheckKey, int], StepResult] = {}
        self._sent: dict[tuple[CheckKey, int], SentMessage] = {}
        self._not_run: dict[CheckKey, str] = {}
        self._running = False

        self.open_button = _button("import", "Open…", "Open check files (YAML, docs/checks.md)")
        self.remove_button = _button("close", "Remove", "Take the selected file off the list")
        self.run_all_button = _button(
            "send", "Run all", "Reload every file from disk and run every check that loads"
        )
        self.run_button = _button(
            None, "Run", "Reload and run the selected check (or every check of the selected file)"
        )
        self.reload_button = _button(
            None, "Reload", "Reload every file from disk (a fixed file shows its checks again)"
        )
        self.cancel_button = _button("pause", "Cancel", "Stop the running check")
        self.draft_button = _button(
            None,
            "New from selection…",
            "Draft a check from the rows selected in the current tab (sends and receives)",
        )
        self.cancel_button.setEnabled(False)
        # Two short rows, so the dock stays narrow next to a tab on a 1024-pixel screen.
        files_row = QHBoxLayout()
        for button in (self.open_button, self.remove_button, self.draft_button):
            files_row.addWidget(button)
        files_row.addStretch(1)
        run_row = QHBoxLayout()
        for button in (
            self.run_all_button,
            self.run_button,
            self.cancel_button,
            self.reload_button,
        ):
            run_row.addWidget(button)
        run_row.addStretch(1)
        self.target_label = NarrowLabel()
        self.target_label.setAccessibleName("Where checks run")
        self.target_label.setTextFormat(Qt.TextFormat.PlainText)
        self.target_label.setWordWrap(True)
        self.note_label = NarrowLabel()
        self.note_label.setAccessibleName("Checks note")
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note_label.setWordWrap(True)

        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Checks")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Check / step", "Result", "Time"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_RESULT, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TIME, QHeaderView.ResizeMode.ResizeToContents)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Step result")
        self.detail.setFont(theme.mono_font())
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.detail.setPlaceholderText("Select a step to see its result.")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(files_row)
        layout.addLayout(run_row)
        layout.addWidget(self.target_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.note_label)

        self.open_button.clicked.connect(self.open_requested)
        self.remove_button.clicked.connect(self._remove)
        self.run_all_button.clicked.connect(lambda: self.run_requested.emit([]))
        self.run_button.clicked.connect(self._run_selected)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.reload_button.clicked.connect(self.reload_requested)
        self.draft_button.clicked.connect(self.draft_requested)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemClicked.connect(self._clicked)
        self._update_buttons()

    def sizeHint(self) -> QSize:
        """Wide enough for step titles when the dock first opens (it may be made narrower)."""
        hint = super().sizeHint()
        return QSize(max(hint.width(), PREFERRED_WIDTH), hint.height())

    # ------------------------------------------------------------------------------ files

    @property
    def paths(self) -> list[str]:
        return list(self._entries)

    def entry(self, path: str) -> FileEntry | None:
        return self._entries.get(path)

    def set_entry(self, entry: FileEntry) -> None:
        """Show ``entry`` (a new file goes last; a known one is rebuilt in place, its
        results forgotten)."""
        old = self._entries.get(entry.path)
        self._entries[entry.path] = entry
        for key in [k for k in self._results if k[0] == entry.path]:
            del self._results[key]
        for step_key in [k for k in self._steps if k[0][0] == entry.path]:
            del self._steps[step_key]
        for step_key in [k for k in self._sent if k[0][0] == entry.path]:
            del self._sent[step_key]
        for key in [k for k in self._not_run if k[0] == entry.path]:
            del self._not_run[key]
        current = self.tree.currentItem()
        selected = current.data(COL_NAME, ItemRole) if current is not None else None
        item = self._file_item(entry.path) if old is not None else None
        if item is None:
            item = QTreeWidgetItem(self.tree)
        self._fill_file(item, entry)
        if isinstance(selected, tuple) and selected[0] != "problem":
            self._reselect(item, selected)
        self._refresh_detail()  # the selected file may have become (in)valid
        self._update_buttons()

    def _reselect(self, item: QTreeWidgetItem, data: tuple[object, ...]) -> None:
        """Select the item that shows ``data`` again after a file was rebuilt."""
        if item.data(COL_NAME, ItemRole) == data:
            self.tree.setCurrentItem(item)
            return
        for i in range(item.childCount()):
            child = item.child(i)
            if child is not None:
                self._reselect(child, data)

    def remove_entry(self, path: str) -> None:
        self._entries.pop(path, None)
        item = self._file_item(path)
        if item is not None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        for key in [k for k in self._items if k[0] == path]:
            del self._items[key]
        self._update_buttons()

    def _file_item(self, path: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(COL_NAME, ItemRole) == ("file", path):
                return item
        return None

    def _fill_file(self, item: QTreeWidgetItem, entry: FileEntry) -> None:
        c = theme.colors()
        item.takeChildren()
        for key in [k for k in self._items if k[0] == entry.path]:
            del self._items[key]
        item.setText(COL_NAME, entry.name)
        item.setToolTip(COL_NAME, entry.path)
        item.setData(COL_NAME, ItemRole, ("file", entry.path))
        item.setText(COL_TIME, "")
        if entry.file is None:
            item.setText(COL_RESULT, "✗ invalid")
            item.setForeground(COL_RESULT, c.error)
            for problem in entry.problems:
                child = QTreeWidgetItem(item, [printable(problem)])
                child.setForeground(COL_NAME, c.error)
                child.setToolTip(COL_NAME, printable(problem))
                child.setData(COL_NAME, ItemRole, ("problem", entry.path))
                child.setFirstColumnSpanned(True)
            item.setExpanded(True)
            return
        item.setText(COL_RESULT, _count(len(entry.file.checks), "check"))
        item.setForeground(COL_RESULT, c.muted)
        for ci, check in enumerate(entry.file.checks):
            key = (entry.path, ci)
            check_item = QTreeWidgetItem(item, [printable(check.name)])
            check_item.setData(COL_NAME, ItemRole, ("check", key))
            check_item.setToolTip(COL_NAME, f"{entry.path}:{check.line}")
            self._items[key] = check_item
            for si, step in enumerate(check.steps):
                step_item = QTreeWidgetItem(check_item, [f"{si + 1}. {printable(step.title)}"])
                step_item.setData(COL_NAME, ItemRole, ("step", key, si))
                step_item.setToolTip(COL_NAME, f"{entry.path}:{step.line}")
            check_item.setExpanded(True)
        item.setExpanded(True)

    # ------------------------------------------------------------------------------ reading

    def check(self, key: CheckKey) -> Check | None:
        entry = self._entries.get(key[0])
        if entry is None or entry.file is None or not 0 <= key[1] < len(entry.file.checks):
            return None
        return entry.file.checks[key[1]]

    def all_keys(self) -> list[CheckKey]:
        return [
            (path, i)
            for path, entry in self._entries.items()
            if entry.file is not None
            for i in range(len(entry.file.checks))
        ]

    def step_result(self, key: CheckKey, index: int) -> StepResult | None:
        return self._steps.get((key, index))

    def sent(self, key: CheckKey, index: int) -> SentMessage | None:
        return self._sent.get((key, index))

    def check_result(self, key: CheckKey) -> CheckResult | None:
        return self._results.get(key)

    def check_item(self, key: CheckKey) -> QTreeWidgetItem | None:
        return self._items.get(key)

    def step_item(self, key: CheckKey, index: int) -> QTreeWidgetItem | None:
        item = self._items.get(key)
        return item.child(index) if item is not None and index < item.childCount() else None

    def selected_keys(self) -> list[CheckKey]:
        """The checks the Run button runs: the selected check (or the check of the selected
        step), or every check of the selected file."""
        item = self.tree.currentItem()
        if item is None:
            return []
        data = item.data(COL_NAME, ItemRole)
        if not isinstance(data, tuple):
            return []
        if data[0] in ("check", "step"):
            return [data[1]]
        return [k for k in self.all_keys() if k[0] == data[1]]

    # ------------------------------------------------------------------------------ live marks

    def set_running(self, running: bool) -> None:
        self._running = running
        self._update_buttons()

    def set_note(self, text: str) -> None:
        self.note_label.setText(text)

    def set_target(self, text: str) -> None:
        self.target_label.setText(text)

    def clear_results(self, keys: list[CheckKey]) -> None:
        """Forget earlier results of ``keys``: their marks go blank before a new run."""
        for key in keys:
            self._results.pop(key, None)
            self._not_run.pop(key, None)
            item = self._items.get(key)
            if item is None:
                continue
            item.setText(COL_RESULT, "")
            item.setText(COL_TIME, "")
            for i in range(item.childCount()):
                self._steps.pop((key, i), None)
                self._sent.pop((key, i), None)
                child = item.child(i)
                if child is not None:
                    child.setText(COL_RESULT, "")
                    child.setText(COL_TIME, "")
        self._refresh_detail()

    def mark_check_started(self, key: CheckKey) -> None:
        item = self._items.get(key)
        if item is not None:
            item.setText(COL_RESULT, RUNNING)
            item.setForeground(COL_RESULT, theme.colors().busy)

    def mark_step_started(self, key: CheckKey, index: int) -> None:
        item = self.step_item(key, index)
        if item is not None:
            item.setText(COL_RESULT, RUNNING)
            item.setForeground(COL_RESULT, theme.colors().busy)
            item.setText(COL_TIME, "")
            self.tree.scrollToItem(item)

    def mark_step_sent(self, key: CheckKey, index: int, sent: SentMessage) -> None:
        self._sent[(key, index)] = sent

    def mark_step_finished(self, key: CheckKey, index: int, result: StepResult) -> None:
        self._steps[(key, index)] = result
        item = self.step_item(key, index)
        if item is None:
            return
        self._mark(item, MARKS[result.status], result.status)
        item.setText(
            COL_TIME,
            "" if result.status is StepStatus.SKIPPED else format_duration(result.duration),
        )
        tip = result.reason or MARKS[result.status]
        item.setToolTip(COL_RESULT, printable(tip))
        if self.tree.currentItem() is item:
            self._refresh_detail()

    def mark_check_finished(self, key: CheckKey, result: CheckResult) -> None:
        self._results[key] = result
        for step in result.steps:  # skipped steps come only with the result
            if (key, step.index) not in self._steps or step.status is StepStatus.SKIPPED:
                self.mark_step_finished(key, step.index, step)
        item = self._items.get(key)
        if item is None:
            return
        status = {
            CheckStatus.PASSED: StepStatus.PASSED,
            CheckStatus.CANCELLED: StepStatus.SKIPPED,
        }.get(result.status, StepStatus.FAILED)
        self._mark(item, CHECK_MARKS[result.status], status)
        item.setText(COL_TIME, format_duration(result.duration))
        item.setToolTip(COL_RESULT, printable(result.error) if result.error else "")
        self._refresh_detail()

    def mark_check_not_run(self, key: CheckKey, why: str) -> None:
        """A queued check that never finished: ``– not run``, its steps without a result
        ``– skipped``, ``why`` as their tooltip and in the detail."""
        self._not_run[key] = why
        item = self._items.get(key)
        if item is None:
            return
        self._mark(item, NOT_RUN, StepStatus.SKIPPED)
        item.setText(COL_TIME, "")
        item.setToolTip(COL_RESULT, printable(why))
        for i in range(item.childCount()):
            child = item.child(i)
            if child is None or (key, i) in self._steps:
                continue
            self._mark(child, MARKS[StepStatus.SKIPPED], StepStatus.SKIPPED)
            child.setText(COL_TIME, "")
            child.setToolTip(COL_RESULT, printable(why))
        self._refresh_detail()

    def _mark(self, item: QTreeWidgetItem, text: str, status: StepStatus) -> None:
        c = theme.colors()
        colour = {StepStatus.PASSED: c.ok, StepStatus.FAILED: c.error}.get(status, c.muted)
        item.setText(COL_RESULT, text)
        item.setForeground(COL_RESULT, colour)

    # ------------------------------------------------------------------------------ selection

    def _current_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        self._refresh_detail()
        self._update_buttons()
        if current is not None:
            self._clicked(current, COL_NAME)

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        data = item.data(COL_NAME, ItemRole)
        if isinstance(data, tuple) and data[0] == "step":
            self.step_selected.emit(data[1], data[2])

    def _refresh_detail(self) -> None:
        item = self.tree.currentItem()
        data = item.data(COL_NAME, ItemRole) if item is not None else None
        text = ""
        if isinstance(data, tuple):
            if data[0] == "step":
                check = self.check(data[1])
                if check is not None:
                    text = step_detail(
                        check,
                        data[2],
                        self._steps.get((data[1], data[2])),
                        self._sent.get((data[1], data[2])),
                    )
            elif data[0] == "check":
                check = self.check(data[1])
                entry = self._entries.get(data[1][0])
                if check is not None and entry is not None:
                    text = check_detail(entry, check, self._results.get(data[1]))
                    if data[1] in self._not_run:
                        text = text.replace("Not run yet.", printable(self._not_run[data[1]]))
            else:
                entry = self._entries.get(data[1])
                if entry is not None:
                    text = (
                        entry.path
                        + "\n"
                        + (
                            "\n".join(printable(p) for p in entry.problems)
                            if entry.file is None
                            else _count(len(entry.file.checks), "check")
                        )
                    )
        self.detail.setPlainText(text)

    def _file_of_current(self) -> str | None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        data = item.data(COL_NAME, ItemRole) if item is not None else None
        return data[1] if isinstance(data, tuple) and data[0] == "file" else None

    def _remove(self) -> None:
        path = self._file_of_current()
        if path is not None:
            self.remove_requested.emit(path)

    def _run_selected(self) -> None:
        item = self.tree.currentItem()
        data = item.data(COL_NAME, ItemRole) if item is not None else None
        if isinstance(data, tuple) and data[0] in ("check", "step"):
            self.run_requested.emit([data[1]])
            return
        path = self._file_of_current()  # a file (or one of its problems): reload it, run it
        if path is not None:
            self.run_file_requested.emit(path)

    def _update_buttons(self) -> None:
        # A file that did not load may have been fixed on disk: the run reloads it first, so
        # Run/Run all only need files (and a selection), not checks that loaded last time.
        has_files = bool(self._entries)
        self.run_all_button.setEnabled(has_files and not self._running)
        self.run_button.setEnabled(self.tree.currentItem() is not None and not self._running)
        self.reload_button.setEnabled(has_files and not self._running)
        self.cancel_button.setEnabled(self._running)
        self.remove_button.setEnabled(self._file_of_current() is not None and not self._running)
        self.open_button.setEnabled(not self._running)
