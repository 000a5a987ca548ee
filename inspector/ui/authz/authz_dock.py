"""AuthorizationDock: the Authorization panel in a dock, running the matrix engine (issue #13 §4).

What the dock decides (docs/gui.md, "Authorization matrix"):

- **Where it runs.** On the window's current profile (the connection's, else the selected
  one): its URL, API key and protocol version are the base every identity starts from. A run
  never uses the window's connection: each identity probes with websockets of its own, as the
  CLI does, and they all close at the end.
- **Identities** come from an identities file (the ``--identities`` format of
  ``realtime-inspector authz``, docs/client.md), opened with *Identities…*; each is an
  :class:`~inspector.client.identity.IdentitySession` started for the run (signing in or
  minting) and closed after it. The observer is picked among them.
- **Cells** arrive a channel at a time; a double-click re-measures one cell (its channel's
  round, with the same identities and observer). With an expectation loaded every change is
  compared at once and differences are highlighted; *Save as expected* writes the current
  matrix (keeping the unknown keys of the loaded file when saving over it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

from inspector.client import ClientSettings, InspectorError
from inspector.client.authz import (
    AuthzEngine,
    ClientObserver,
    ProbeCell,
    ProbeChannel,
    ProbeIdentity,
)
from inspector.client.authz.identities_file import IdentitiesFileError, load_identities
from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.keychain import SecretStore, identity_spec
from inspector.protocol.authz_probe import CAPABILITIES, Capability, Verdict
from inspector.store import Profile
from inspector.store.authz import (
    Cell,
    ChannelRef,
    Expectation,
    ExpectationError,
    compare,
    to_json,
    to_junit,
    to_markdown,
)
from inspector.store.profiles.profiles import normalize_url

from ..common import icons
from ..transfer.transfer import AskPath, dialog_ask_path
from .authz_panel import PENDING, AuthorizationPanel

log = logging.getLogger(__name__)

NO_IDENTITIES = (
    "No identities: add them to the profile (Profiles… → Identities) or open an identities file."
)

IDENTITIES_FILTER = "Identities (*.yaml *.yml *.json);;All files (*)"
EXPECTED_FILTER = "Expected matrix (*.yaml *.yml *.json);;All files (*)"
EXPORT_FILTERS = {
    "markdown": "Markdown (*.md);;All files (*)",
    "json": "JSON (*.json);;All files (*)",
    "junit": "JUnit XML (*.xml);;All files (*)",
}


@dataclass
class AuthzHost:
    """What the dock needs of the window."""

    #: the profile runs use (the connection's, else the selected one), or None.
    profile: Callable[[], Profile | None]
    #: the API key of a profile ("" when none).
    api_key: Callable[[Profile], str]
    #: the identities saved with a profile, as specs (secrets from the keychain), and the
    #: problems of those that cannot be used (a secret the keychain does not hold).
    identities: Callable[[Profile], tuple[dict[str, IdentitySpec], list[str]]] = lambda _p: ({}, [])


def profile_identities(
    secrets: SecretStore, profile: Profile
) -> tuple[dict[str, IdentitySpec], list[str]]:
    """The identities of ``profile`` with their secrets, and why some cannot be used."""
    specs: dict[str, IdentitySpec] = {}
    problems: list[str] = []
    for identity in profile.identities:
        try:
            specs[identity.name] = identity_spec(secrets, profile, identity)
        except InspectorError as exc:
            problems.append(exc.message)
    return specs, problems


class AuthorizationDock(QDockWidget):
    """The Authorization panel in a dock (View → Authorization), hidden until asked for."""

    def __init__(
        self, host: AuthzHost, *, ask_path: AskPath | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Authorization", parent)
        self.setObjectName("authz_dock")
        self.host = host
        self.ask_path = ask_path or dialog_ask_path(parent or self)
        self.panel = AuthorizationPanel()
        self.setWidget(self.panel)
        self.specs: dict[str, IdentitySpec] = {}
        #: the identities file in use; None: the current profile's identities.
        self.identities_path: Path | None = None
        self.expectation: Expectation | None = None
        self.expected_path: Path | None = None
        self._task: asyncio.Task[None] | None = None
        #: the identities and observer of the last run (a re-run uses them).
        self._last: tuple[list[str], str | None] | None = None
        action = self.toggleViewAction()
        action.setIcon(icons.icon("send"))
        action.setText("&Authorization")
        action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        action.setToolTip("Authorization matrix: who may join, receive, send and use presence")
        p = self.panel
        p.open_identities_requested.connect(self.ask_open_identities)
        p.profile_identities_requested.connect(self.use_profile_identities)
        self.visibilityChanged.connect(self._visibility_changed)
        p.run_requested.connect(self.run)
        p.cancel_requested.connect(self.cancel)
        p.rerun_requested.connect(self.rerun)
        p.load_expected_requested.connect(self.ask_load_expected)
        p.save_expected_requested.connect(self.ask_save_expected)
        p.export_requested.connect(self.ask_export)

    @classmethod
    def install(cls, window: QMainWindow, host: AuthzHost, view_menu: QMenu) -> AuthorizationDock:
        """Create the dock at the bottom of ``window``, hidden, its toggle in ``view_menu``."""
        dock = cls(host, parent=window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        view_menu.addAction(dock.toggleViewAction())
        window.addAction(dock.toggleViewAction())
        return dock

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # ------------------------------------------------------------------ identities

    def _visibility_changed(self, visible: bool) -> None:
        if visible:
            self.refresh_identities()

    def use_profile_identities(self) -> None:
        """Take the identities from the current profile (again), not from a file."""
        self.identities_path = None
        self.refresh_identities()

    def refresh_identities(self) -> None:
        """Reload the current profile's identities (unless a file is in use)."""
        if self.identities_path is not None or self.running:
            return
        profile = self.host.profile()
        if profile is None:
            self.specs = {}
            self.panel.set_identities([], "No profile: add one in Profiles…")
            return
        specs, problems = self.host.identities(profile)
        self.specs = specs
        observer = next((n for n, s in specs.items() if s.kind == "key"), None)
        if specs:
            words = f"{len(specs)} identities of profile “{profile.name}”"
        else:
            words = (
                f"Profile “{profile.name}” has no identities: add them in Profiles… "
                "(Identities), or open an identities file."
            )
        self.panel.set_identities(list(specs), words, observer)
        self.panel.set_note("; ".join(problems))

    def ask_open_identities(self) -> None:
        path = self.ask_path("Open identities file", IDENTITIES_FILTER, False)
        if path is not None:
            self.open_identities(path)

    def open_identities(self, path: Path) -> bool:
        """Load the identities of ``path`` into the panel; False (with the reason shown)."""
        try:
            specs = load_identities(path)
        except IdentitiesFileError as exc:
            self.panel.set_note(exc.message)
            return False
        self.specs = specs
        self.identities_path = path
        observer = next((n for n, s in specs.items() if s.kind == "key"), None)
        self.panel.set_identities(
            list(specs), f"{len(specs)} identities from {path.name}", observer
        )
        self.panel.set_note("")
        return True

    # ------------------------------------------------------------------ running

    def _base(self) -> ClientSettings | str:
        profile = self.host.profile()
        key = self.host.api_key(profile) if profile is not None else ""
        if profile is None or not key:
            return "No profile with an API key: add one in Profiles… first."
        try:
            return ClientSettings(normalize_url(profile.url), key, vsn=profile.vsn)
        except InspectorError as exc:
            return exc.message

    def run(self) -> bool:
        """Measure the checked identities on the channels typed in; False (with the reason
        in the note) when something is missing or a run is going."""
        if self.running:
            return False
        names = self.panel.checked_identities()
        channels = self.panel.channels()
        why = (
            NO_IDENTITIES
            if not self.specs
            else "Check at least one identity."
            if not names
            else "Type at least one channel."
            if not channels
            else None
        )
        base = self._base()
        if why is None and isinstance(base, str):
            why = base
        if why is not None or isinstance(base, str):
            self.panel.set_note(why or "")
            return False
        observer = self.panel.observer()
        self._last = (names, observer)
        self.panel.start_matrix(names, channels)
        self.panel.matrix.observer = observer
        self._compare()
        self.panel.set_running(True)
        self.panel.set_note(
            f"Measuring {len(names)} identities x {len(channels)} channels"
            + (f", observed by {observer}" if observer else ", the identities observing each other")
            + "…"
        )
        self._task = asyncio.get_running_loop().create_task(
            self._run(base, names, observer, channels, None), name="authz-run"
        )
        return True

    def rerun(self, identity: str, channel: ChannelRef, capability: Capability) -> bool:
        """Measure one cell again with the last run's identities and observer."""
        if self.running or self._last is None:
            return False
        base = self._base()
        if isinstance(base, str):
            self.panel.set_note(base)
            return False
        names, observer = self._last
        missing = [n for n in [*names, *([observer] if observer else [])] if n not in self.specs]
        if missing:
            self.panel.set_note(
                f"The identities changed since the run ({', '.join(missing)} no longer "
                "available): run the matrix again."
            )
            return False
        self.panel.mark_pending(identity, channel, capability)
        self.panel.set_running(True)
        self.panel.set_note(f"Re-running {identity} · {channel.label} · {capability.label}…")
        self._task = asyncio.get_running_loop().create_task(
            self._run(base, names, observer, [channel], (identity, capability)),
            name="authz-rerun",
        )
        return True

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(
        self,
        base: ClientSettings,
        names: list[str],
        observer_name: str | None,
        channels: list[ChannelRef],
        one: tuple[str, Capability] | None,
    ) -> None:
        wanted = list(dict.fromkeys([*names, *([observer_name] if observer_name else [])]))
        sessions = {n: IdentitySession(self.specs[n]) for n in wanted if n in self.specs}
        observer: ClientObserver | None = None
        note = ""
        #: identities that could not start (sign-in refused, …): the others are measured,
        #: their cells are unknown with the reason (QA: one refusal stopped the whole run).
        failed: dict[str, str] = {}
        try:
            settings: dict[str, ClientSettings] = {}
            for name, session in sessions.items():
                try:
                    settings[name] = await session.start(base)
                except InspectorError as exc:
                    failed[name] = exc.message
            if observer_name is not None and observer_name in failed:
                note = f"observer {observer_name}: {failed[observer_name]}"
                return
            if observer_name is not None:
                observer = ClientObserver(observer_name, settings[observer_name])
            measured = [n for n in names if n not in failed]
            for name in names:
                if name in failed:
                    for channel in channels:
                        for cap in [one[1]] if one is not None else CAPABILITIES:
                            if one is None or one[0] == name:
                                self._set_unknown(
                                    name,
                                    channel,
                                    cap,
                                    f"{name} could not sign in: {failed[name]}",
                                )
            failures = "".join(f" {n} could not sign in: {m}" for n, m in failed.items())
            engine = AuthzEngine(
                [ProbeIdentity(n, settings[n]) for n in measured],
                [ProbeChannel(c.name, c.private) for c in channels],
                observer=observer,
                on_cell=self._on_cell if one is None else None,
            )
            if one is None:
                if measured:
                    await engine.run()
                counts = self.panel.matrix.counts()
                note = (
                    f"Done: {len(self.panel.matrix)} cells, {counts['allowed']} allowed, "
                    f"{counts['denied']} denied, {counts['unknown']} unknown." + failures
                )
            elif one[0] in failed:
                note = f"Re-ran {one[0]} · {channels[0].label} · {one[1].label}:" + failures
            else:
                cell = await engine.run_cell(
                    one[0], ProbeChannel(channels[0].name, channels[0].private), one[1]
                )
                self._on_cell(cell)
                note = f"Re-ran {one[0]} · {channels[0].label} · {one[1].label}: {cell.verdict}."
        except asyncio.CancelledError:
            note = "Cancelled."
        except Exception as exc:  # a bug must not leave the panel "running" for ever
            log.warning("the authorization run stopped: %s", exc, exc_info=True)
            note = f"The run stopped: {exc}"
        finally:
            if observer is not None:
                await observer.close()
            for session in sessions.values():
                await session.close()
            self._settle_pending(names, channels, one, note)
            self.panel.set_running(False)
            self._compare()
            self.panel.set_note(note + self._diff_note())

    def _set_unknown(self, name: str, channel: ChannelRef, cap: Capability, why: str) -> None:
        self.panel.set_cell(Cell(name, channel, cap, Verdict.UNKNOWN, f"not measured: {why}"))

    def _settle_pending(
        self,
        names: list[str],
        channels: list[ChannelRef],
        one: tuple[str, Capability] | None,
        note: str,
    ) -> None:
        """No cell keeps showing "…" (measuring) once a run is over: a cell the run did not
        reach is unknown with why (cancelled, stopped); a re-run that did not finish shows
        the cell's earlier result again."""
        why = note.rstrip(".") or "the run stopped"
        for channel in channels:
            for name in names if one is None else [one[0]]:
                for cap in CAPABILITIES if one is None else [one[1]]:
                    item = self.panel.item(name, channel, cap)
                    if item is None or item.text() != PENDING:
                        continue
                    cell = self.panel.matrix.get(name, channel, cap)
                    if cell is not None:
                        self.panel.set_cell(cell)
                    else:
                        self._set_unknown(name, channel, cap, why)

    def _on_cell(self, probe: ProbeCell) -> None:
        self.panel.set_cell(Cell.of(probe))
        self._compare()

    # ------------------------------------------------------------------ expectation

    def _compare(self) -> None:
        if self.expectation is None:
            self.panel.set_differences(None)
            return
        diffs = [
            d
            for d in compare(self.expectation.cells(), self.panel.matrix)
            if d.actual != "not measured"
        ]
        self.panel.set_differences(diffs)

    def _diff_note(self) -> str:
        if self.expectation is None or not len(self.panel.matrix):
            return ""
        n = len(self.panel.differences)
        return " Matches the expected matrix." if n == 0 else f" {n} differ from the expected."

    def ask_load_expected(self) -> None:
        path = self.ask_path("Load expected matrix", EXPECTED_FILTER, False)
        if path is not None:
            self.load_expected(path)

    def load_expected(self, path: Path) -> bool:
        try:
            self.expectation = Expectation.load(path)
        except ExpectationError as exc:
            self.panel.set_note(str(exc))
            return False
        self.expected_path = path
        self.panel.set_expected_text(
            f"Expected: {path.name} ({len(self.expectation.cells())} cells)"
        )
        self._compare()
        self.panel.set_note(self._diff_note().strip())
        return True

    def ask_save_expected(self) -> None:
        path = self.ask_path("Save as expected matrix", EXPECTED_FILTER, True)
        if path is not None:
            self.save_expected(path)

    def save_expected(self, path: Path) -> bool:
        if not len(self.panel.matrix):
            self.panel.set_note("Nothing to save: run the matrix first.")
            return False
        previous = self.expectation if self.expected_path == path else None
        expectation = Expectation.from_matrix(self.panel.matrix, previous)
        try:
            expectation.save(path)
        except OSError as exc:
            self.panel.set_note(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self.expectation, self.expected_path = expectation, path
        self.panel.set_expected_text(f"Expected: {path.name} ({len(expectation.cells())} cells)")
        self._compare()
        self.panel.set_note(f"Saved the matrix as the expected one: {path}")
        return True

    # ------------------------------------------------------------------ export

    def ask_export(self, kind: str) -> None:
        path = self.ask_path("Export the matrix", EXPORT_FILTERS[kind], True)
        if path is not None:
            self.export(kind, path)

    def export(self, kind: str, path: Path) -> bool:
        matrix = self.panel.matrix
        if not len(matrix):
            self.panel.set_note("Nothing to export: run the matrix first.")
            return False
        diffs = list(self.panel.differences.values()) if self.expectation else None
        if kind == "markdown":
            text = to_markdown(matrix, diffs or [])
        elif kind == "json":
            text = to_json(matrix, diffs)
        else:
            text = to_junit(
                matrix, diffs, expected=self.expectation.cells() if self.expectation else None
            )
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.panel.set_note(f"Cannot write {path}: {exc.strerror or exc}")
            return False
        self.panel.set_note(f"Exported the matrix to {path}")
        return True
