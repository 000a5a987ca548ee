"""ChecksDock: the Checks panel in a dock, wired to the window's tabs (issue #12 §4).

What the dock decides (docs/gui.md, "Checks"):

- **Where checks run.** On the window's current profile (the connection's, else the one
  selected): its URL, API key and protocol replace each check's ``connect``; identities keep
  their own keys and tokens (``{{env.…}}``). Without a usable profile a check runs on its
  file's ``connect`` (``$SUPABASE_URL``…) and no tabs are opened.
- **Runner and tabs.** The runner connects with websockets of its own, one per identity, as
  in the CLI: a check never borrows the window's connection, its joins or its options. Before a
  run the dock connects the window (if it is not) and opens a tab, or reuses the open one, for
  every channel the checks name (private when a step joins it private, listening to presence
  when a step uses presence), and waits until those tabs are joined or refused, so the run's
  traffic shows in them. Channel names with variables (``room-{{uuid}}``) get no tab.
- **Step to row.** Clicking a step switches to the tab of its channel and selects the row of
  the message: for an ``expect`` the message that satisfied it (or, when it failed, the
  closest near-miss), for ``expect_none`` the message that should not have come, for ``send``
  the broadcast it sent. The tab received its own copy of that broadcast, so the row is found
  by event, payload, ``meta.id`` and the nearest time (:func:`inspector.store.checks.locate.
  find_row`). The note under the tree says when there is no such row (evicted, cleared,
  filtered, or the tab was not joined).
- **Files** opened are remembered for the window (not per profile: a check file names its
  channels, and runs on whichever profile is current); each Run reloads them from disk, so
  edits made elsewhere count; a file that does not load shows its problems, file:line first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QDockWidget, QMainWindow, QMenu, QWidget

from inspector.client.checks import (
    Check,
    ExpectPresence,
    Join,
    LoadError,
    Send,
    StepResult,
    Track,
    Wait,
    load_file,
)
from inspector.protocol.template import has_placeholders
from inspector.store import ChannelOptions, Direction, MessageRecord, Profile, TabState
from inspector.store.checks.draft import CHECK_FILTER, draft_check
from inspector.store.checks.locate import find_row
from inspector.store.profiles.profiles import normalize_url

from ..channels.channel_panel import ChannelPanel, short_name
from ..channels.channel_tabs import ChannelTabsWidget
from ..common import icons
from ..common.file_dialogs import AskPath, dialog_ask_path
from ..controller_base import ControllerBase
from ..messages.message_table_model import RecordRole
from ..settings import AppSettings
from .check_runs import CheckKey, RunQueue, SentMessage, Target
from .checks_panel import ChecksPanel, FileEntry
from .draft_dialog import CheckDraftDialog

#: How long a run waits for its tabs to be joined (or refused) before it starts anyway.
TABS_TIMEOUT_S = 10.0


@dataclass
class ChecksHost:
    """What the dock needs of the window."""

    controller: ControllerBase
    tabs: ChannelTabsWidget
    settings: AppSettings
    #: the profile checks run on (the connection's, else the selected one), or None.
    profile: Callable[[], Profile | None]
    #: the API key of a profile ("" when none).
    api_key: Callable[[Profile], str]
    #: connect the window on the selected profile; returns why not, or None.
    connect: Callable[[], str | None]
    #: open a tab (the window's join, which also remembers the tab); returns why not, or None.
    join: Callable[[ChannelOptions], str | None]


def channels_of(check: Check) -> dict[str, ChannelOptions]:
    """The channels ``check`` names (without variables), with the options a tab watching
    them needs: private when a step joins or sends private, presence when a step uses it."""
    out: dict[str, ChannelOptions] = {}
    for step in check.steps:
        if isinstance(step, Wait) or has_placeholders(step.channel):
            continue
        options = out.get(step.channel) or ChannelOptions(step.channel)
        private = (isinstance(step, Join) and step.private) or (
            isinstance(step, Send) and step.private is True
        )
        presence = isinstance(step, Track | ExpectPresence) or (
            isinstance(step, Join) and (step.presence or bool(step.presence_key))
        )
        if private and not options.private:
            options = ChannelOptions(options.name, private=True, presence=options.presence)
        if presence and not options.presence:
            options = options.with_presence(True)
        out[step.channel] = options
    return out


class ChecksDock(QDockWidget):
    """The Checks panel in a dock (View → Checks), hidden until asked for."""

    def __init__(
        self, host: ChecksHost, *, ask_path: AskPath | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Checks", parent)
        self.setObjectName("checks_dock")
        self.host = host
        self.ask_path = ask_path or dialog_ask_path(parent or self)
        self.panel = ChecksPanel()
        self.setWidget(self.panel)
        self.runs = RunQueue(self)
        self._bad_files: list[str] = []
        self.draft_dialog: CheckDraftDialog | None = None
        action = self.toggleViewAction()
        action.setIcon(icons.icon("send"))
        action.setText("C&hecks")
        action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        action.setToolTip("Check files: run them against the current profile, see each step")
        self.draft_action = QAction("New check from &selection…", self)
        self.draft_action.setToolTip("Draft a check file from the rows selected in the current tab")
        self.draft_action.triggered.connect(self.draft_from_selection)

        p = self.panel
        p.open_requested.connect(self.ask_open)
        p.remove_requested.connect(self.remove_file)
        p.run_requested.connect(self.run)
        p.run_file_requested.connect(self.run_file)
        p.reload_requested.connect(self.reload_all)
        p.cancel_requested.connect(self.runs.cancel)
        p.draft_requested.connect(self.draft_from_selection)
        p.step_selected.connect(self.show_step)
        r = self.runs
        r.check_started.connect(p.mark_check_started)
        r.step_started.connect(p.mark_step_started)
        r.step_sent.connect(p.mark_step_sent)
        r.step_finished.connect(p.mark_step_finished)
        r.check_finished.connect(self._check_finished)
        r.check_not_run.connect(p.mark_check_not_run)
        r.finished.connect(self._finished)
        self.visibilityChanged.connect(lambda _v: self.refresh_target())
        for path in host.settings.check_files():
            self._load(path)
        self.refresh_target()

    @classmethod
    def install(
        cls,
        window: QMainWindow,
        host: ChecksHost,
        view_menu: QMenu,
        channel_menu: QMenu | None = None,
    ) -> ChecksDock:
        """Create the dock on the right of ``window``, hidden, with its toggle in ``view_menu``
        and "New check from selection…" in ``channel_menu``."""
        dock = cls(host, parent=window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.hide()
        view_menu.addAction(dock.toggleViewAction())
        window.addAction(dock.toggleViewAction())
        if channel_menu is not None:
            channel_menu.addAction(dock.draft_action)
        return dock

    # ------------------------------------------------------------------------------ files

    def ask_open(self) -> None:
        path = self.ask_path("Open check file", CHECK_FILTER, False)
        if path is not None:
            self.add_file(str(path))

    def add_file(self, path: str) -> FileEntry:
        """Open (or reload) a check file and remember it."""
        entry = self._load(str(Path(path).resolve()))
        self._save_files()
        self.show()
        return entry

    def remove_file(self, path: str) -> None:
        self.panel.remove_entry(path)
        self._save_files()

    def _load(self, path: str) -> FileEntry:
        try:
            entry = FileEntry(path, load_file(path))
        except LoadError as exc:
            entry = FileEntry(path, None, [str(p) for p in exc.problems] or ["cannot load"])
        self.panel.set_entry(entry)
        return entry

    def reload_all(self) -> list[str]:
        """Reload every file from disk; the paths of those that do not load."""
        bad = [p for p in self.panel.paths if self._load(p).file is None]
        n = len(self.panel.paths)
        note = f"Reloaded {n} file{'s' * (n != 1)} from disk"
        self.panel.set_note(note + (f"; {_not_loading(bad)}." if bad else "."))
        return bad

    def _save_files(self) -> None:
        self.host.settings.save_check_files(self.panel.paths)

    # ------------------------------------------------------------------------------ running

    def target(self) -> tuple[Target | None, str]:
        """Where checks run now, and that in words."""
        profile = self.host.profile()
        key = self.host.api_key(profile) if profile is not None else ""
        if profile is None or not key:
            return None, "Runs on each file's connect ($SUPABASE_URL…): no profile with a key"
        url = normalize_url(profile.url)
        return Target(url, key, profile.vsn), f"Runs on profile “{profile.name}” · {url}"

    def refresh_target(self) -> None:
        self.panel.set_target(self.target()[1])

    def run(self, keys: list[CheckKey]) -> bool:
        """Run ``keys`` (empty: every check of every file), reloading their files first (a
        file that did not load last time runs if it was fixed, else shows its problems)."""
        if self.runs.running:
            return False
        paths = list(dict.fromkeys(k[0] for k in keys)) if keys else self.panel.paths
        bad = [p for p in paths if self._load(p).file is None]
        wanted = keys or self.panel.all_keys()
        return self._start(wanted, bad)

    def run_file(self, path: str) -> bool:
        """Reload ``path`` and run every check it has."""
        if self.runs.running:
            return False
        bad = [path] if self._load(path).file is None else []
        return self._start([k for k in self.panel.all_keys() if k[0] == path], bad)

    def _start(self, wanted: list[CheckKey], bad: list[str]) -> bool:
        checks: list[tuple[CheckKey, Check]] = []
        for key in wanted:
            check = self.panel.check(key)
            if check is not None:
                checks.append((key, check))
        self._bad_files = bad
        if not checks:
            why = _not_loading(bad) + " (its problems are listed under it)" if bad else ""
            self.panel.set_note(
                f"Nothing to run: {why}." if why else "Nothing to run: open a check file."
            )
            return False
        target, words = self.target()
        self.panel.set_target(words)
        self.panel.clear_results([k for k, _ in checks])
        self.panel.set_running(True)
        self.panel.set_note(
            f"Running {len(checks)} check{'s' * (len(checks) != 1)}…"
            + (f" ({_not_loading(bad)})" if bad else "")
        )

        async def prepare() -> str:
            return (
                await self._open_tabs([c for _, c in checks])
                if target is not None
                else ("No profile with a key: tabs not opened.")
            )

        return self.runs.start(checks, target=target, prepare=prepare)

    async def _open_tabs(self, checks: list[Check]) -> str:
        host = self.host
        wanted: dict[str, ChannelOptions] = {}
        for check in checks:
            for name, options in channels_of(check).items():
                old = wanted.get(name)
                wanted[name] = (
                    options
                    if old is None
                    else ChannelOptions(
                        name,
                        private=old.private or options.private,
                        presence=old.presence or options.presence,
                    )
                )
        if not wanted:
            return ""
        notes: list[str] = []
        if not host.controller.active:
            error = host.connect()
            if error is not None:
                return f"Tabs not opened: {error}"
        for name, options in wanted.items():
            open_tab = host.controller.channel(name)
            if open_tab is None:
                error = host.join(options)
                if error is not None:
                    notes.append(f"{short_name(name)}: {error}")
                continue
            if open_tab.options.private != options.private:
                kind = "private" if options.private else "public"
                notes.append(
                    f"the open tab “{short_name(name)}” is not {kind} like the check's channel: "
                    "its traffic will not show there"
                )
            if open_tab.status.state is TabState.LEFT:
                host.controller.rejoin(name)
        if not await self._joined(list(wanted)):
            notes.append(f"tabs not joined within {TABS_TIMEOUT_S:g} s")
        return "; ".join(notes)

    async def _joined(self, names: list[str]) -> bool:
        controller = self.host.controller

        def ready() -> bool:
            for name in names:
                channel = controller.channel(name)
                if channel is not None and channel.status.state in (
                    TabState.WAITING,
                    TabState.JOINING,
                ):
                    return False
            return True

        if ready():
            return True
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def changed(*_args: object) -> None:
            if ready() and not done.done():
                done.set_result(None)

        controller.channel_status_changed.connect(changed)
        try:
            await asyncio.wait_for(done, TABS_TIMEOUT_S)
            return True
        except TimeoutError:
            return False
        finally:
            controller.channel_status_changed.disconnect(changed)

    def _check_finished(self, key: CheckKey, result: object) -> None:
        self.panel.mark_check_finished(key, result)  # type: ignore[arg-type]

    def _finished(self, note: str) -> None:
        self.panel.set_running(False)
        results = list(self.runs.results.values())
        queued = len(self.runs.queued)
        passed = sum(1 for r in results if r.passed)
        not_run = queued - len(results)
        summary = f"{passed} of {queued} checks passed" if queued else "No check ran"
        if not_run and results:
            summary += f", {not_run} not run"
        elif not_run:
            summary = f"None of {queued} checks ran"
        if self._bad_files:
            summary += f"; {_not_loading(self._bad_files)}"
        if note:
            summary += f". {note[0].upper()}{note[1:]}"
        self.panel.set_note(summary.rstrip(".") + ".")
        self.runs.results.clear()

    # ------------------------------------------------------------------------------ step -> row

    def show_step(self, key: CheckKey, index: int) -> MessageRecord | None:
        """Switch to the tab of the step's channel and select the row of its message."""
        check = self.panel.check(key)
        if check is None or not 0 <= index < len(check.steps):
            return None
        step = check.steps[index]
        result = self.panel.step_result(key, index)
        sent = self.panel.sent(key, index)
        channel = getattr(step, "channel", None)
        found = _message_of(result, sent)
        if found is not None:
            channel = found[0]
        if not channel or has_placeholders(channel):
            return None
        panel = self.host.tabs.panel(channel)
        if panel is None:
            self.panel.set_note(f"No tab for “{short_name(channel)}”: run the check to open one.")
            return None
        self.host.tabs.setCurrentWidget(panel)
        if found is None:
            self.panel.set_note("")
            return None
        _, event, payload, wall, message_id, was_sent = found
        record = find_row(
            panel.channel.log,
            event=event,
            payload=payload,
            wall=wall,
            message_id=message_id,
            sent=was_sent,
        )
        tab = f"“{short_name(channel)}”"
        if record is None:
            self.panel.set_note(
                f"Step {index + 1}: no matching row in tab {tab} (evicted, cleared, not "
                "matching the tab's events, or the tab was not joined)."
            )
            return None
        if not select_record(panel, record):
            self.panel.set_note(f"Step {index + 1}: the row is hidden by tab {tab}'s filter.")
            return record
        self.panel.set_note(f"Step {index + 1}: row selected in tab {tab}.")
        return record

    # ------------------------------------------------------------------------------ drafts

    def draft_from_selection(self) -> CheckDraftDialog | None:
        """Open the selected rows of the current tab as a check draft."""
        panel = self.host.tabs.current_panel()
        if panel is None:
            self.show()
            self.panel.set_note("Open a channel tab and select rows (Ctrl/Shift-click) first.")
            return None
        records = selected_records(panel)
        if not any(r.direction is not Direction.SYSTEM for r in records):
            self.show()
            self.panel.set_note(
                f"Select the sends and receives to draft from in tab “{short_name(panel.name)}” "
                "(Ctrl/Shift-click rows)."
            )
            return None
        draft = draft_check(
            records,
            panel.channel.options,
            now=time.time(),
            source=f"tab “{panel.name}”",
        )
        dialog = CheckDraftDialog(draft.text, ask_path=self.ask_path, parent=self.parentWidget())
        dialog.saved.connect(self.add_file)
        dialog.open()
        self.draft_dialog = dialog
        return dialog


def _not_loading(paths: list[str]) -> str:
    """``bad.yaml does not load`` / ``2 files do not load: a.yaml, b.yaml``."""
    names = ", ".join(Path(p).name for p in paths)
    if len(paths) == 1:
        return f"{names} does not load"
    return f"{len(paths)} files do not load: {names}"


def _message_of(
    result: StepResult | None, sent: SentMessage | None
) -> tuple[str, str, object, float, str | None, bool] | None:
    """``(channel, event, payload, wall time, meta id, was sent)`` of a step's message."""
    if sent is not None:
        return sent.channel, sent.event, sent.payload, sent.wall, None, True
    if result is None:
        return None
    messages = list(result.matched) + [n.message for n in result.near_misses]
    for msg in messages:
        if msg.kind == "broadcast":
            return msg.channel, msg.event, msg.payload, msg.received_wall, msg.message_id, False
    return None


def selected_records(panel: ChannelPanel) -> list[MessageRecord]:
    """The records of the rows selected in ``panel``'s table, in table order."""
    rows = sorted(panel.table.selectionModel().selectedRows(), key=QModelIndex.row)
    out = []
    for index in rows:
        record = index.data(RecordRole)
        if isinstance(record, MessageRecord):
            out.append(record)
    return out


def select_record(panel: ChannelPanel, record: MessageRecord) -> bool:
    """Select and show ``record``'s row in ``panel`` (follow-tail off, so it stays in view).
    False when the tab's filter hides it."""
    if panel.model.has_pending():
        panel.model.flush()
    row = panel.proxy.row_of(record)
    if row is None:
        return False
    table = panel.table
    table.set_follow_tail(False)
    table.selectRow(row)
    table.scrollTo(panel.proxy.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
    return True
