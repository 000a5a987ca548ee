"""CompareActions: "Compare identities…" in the Channel menu and the tabs' context menu.

It opens the :class:`~.compare_dialog.CompareDialog` on the window's current profile (the
connection's, else the one selected), prefilled with the current (or right-clicked) tab's
channel and privacy, then a :class:`~.compare_window.CompareWindow` for what was picked. It
keeps the open compare windows so that the main window can close them with itself
(:meth:`close_all`) and the app can wait until their sockets are closed (:meth:`wait_closed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from inspector.client.errors import InspectorError
from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.keychain import SecretStore, identity_spec
from inspector.store import ChannelOptions, Preferences, Profile
from inspector.store.profiles.identities import KIND_LABELS

from ..channels.channel_tabs import ChannelTabsWidget
from ..window_persistence import keep_on_screen, screen_of
from .compare_dialog import CompareDialog, IdentityChoice, token_how
from .compare_window import CompareIdentity, CompareSetup, CompareWindow, IdentityLike


@dataclass
class CompareHost:
    """What the compare actions need of the window."""

    #: the profile to compare on (the connection's, else the selected one), or None.
    profile: Callable[[], Profile | None]
    #: the profile's API key ("" when none) and user access token (None when none).
    api_key: Callable[[Profile], str]
    access_token: Callable[[Profile], str | None]
    preferences: Callable[[], Preferences]
    #: the profile's saved identities (:func:`saved_choices`).
    identities: Callable[[Profile], Sequence[IdentityChoice]] = field(default=lambda _p: ())


def default_choice(token: str | None) -> IdentityChoice:
    """The profile's own identity: its API key, with its access token when it has one."""
    if token:
        return IdentityChoice("profile", token_how(token, "profile key + token"), token=token)
    return IdentityChoice("profile", "profile key")


def saved_choices(secrets: SecretStore, profile: Profile) -> list[IdentityChoice]:
    """The profile's saved identities (Profiles → Identities), their secrets from the
    keychain; one whose secret is missing is listed with why, not usable."""
    out = []
    for identity in profile.identities:
        kind = identity.kind
        if kind == "password":
            how = f"email {identity.email}"
        elif kind == "minted":
            how = f"minted token (role {identity.role})"
        else:
            how = KIND_LABELS.get(kind, kind)
        try:
            spec = identity_spec(secrets, profile, identity)
        except InspectorError as exc:
            out.append(IdentityChoice(identity.name, how, problem=exc.message))
            continue
        out.append(IdentityChoice(identity.name, how, spec=spec))
    return out


def session_for(choice: IdentityChoice) -> IdentityLike:
    """The session that starts ``choice`` (signs in, takes the token or key)."""
    spec = choice.spec
    if not isinstance(spec, IdentitySpec):
        spec = IdentitySpec(
            choice.name,
            key=choice.key,
            token=choice.token,
            email=choice.email,
            password=choice.password,
        )
    return IdentitySession(spec)


class CompareActions(QObject):
    """The menu entries, the dialog and the open compare windows."""

    #: a line for the status bar.
    message = Signal(str)

    def __init__(
        self,
        host: CompareHost,
        tabs: ChannelTabsWidget,
        parent: QWidget,
        *,
        session_factory: Callable[[IdentityChoice], IdentityLike] = session_for,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.tabs = tabs
        self._parent = parent
        self._session_factory = session_factory
        self.windows: list[CompareWindow] = []
        self.action = QAction("Compare &identities…", parent)
        self.action.setToolTip("Join one channel as 2 to 4 identities side by side")
        self.action.triggered.connect(lambda: self.open_dialog())
        parent.addAction(self.action)
        bar = tabs.tabBar()
        bar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        bar.customContextMenuRequested.connect(self._tab_menu)
        #: the dialog shown last (tests).
        self.dialog: CompareDialog | None = None

    def add_to_menu(self, menu: QMenu) -> None:
        menu.addAction(self.action)

    # ------------------------------------------------------------------------------ dialog

    def _tab_menu(self, pos: QPoint) -> None:
        bar = self.tabs.tabBar()
        index = bar.tabAt(pos)
        widget = self.tabs.widget(index) if index >= 0 else None
        options = self._options_of(widget)
        menu = QMenu(bar)
        act = menu.addAction("Compare identities…")
        act.triggered.connect(lambda: self.open_dialog(options))
        menu.popup(bar.mapToGlobal(pos))

    def _options_of(self, widget: QWidget | None) -> ChannelOptions | None:
        for panel in self.tabs.panels.values():
            if panel is widget:
                return panel.channel.options
        return None

    def open_dialog(self, options: ChannelOptions | None = None) -> CompareDialog | None:
        """The dialog, non-modal, prefilled from ``options`` (else the current live tab)."""
        profile = self.host.profile()
        if profile is None:
            self.message.emit("Compare identities: pick or add a profile first (Profiles…)")
            return None
        if options is None:
            panel = self.tabs.current_live_panel()
            options = panel.channel.options if panel is not None else None
        choices = [
            default_choice(self.host.access_token(profile)),
            *self.host.identities(profile),
        ]
        dialog = CompareDialog(
            choices,
            channel=options.name if options else "",
            private=options.private if options else False,
            parent=self._parent,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._accepted(dialog, profile))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _accepted(self, dialog: CompareDialog, profile: Profile) -> None:
        identities = tuple(
            CompareIdentity(c.name, c.how, self._session_factory(c)) for c in dialog.choices()
        )
        self.open_view(CompareSetup(dialog.channel(), dialog.private(), identities), profile)

    def open_view(self, setup: CompareSetup, profile: Profile) -> CompareWindow | None:
        try:
            view = CompareWindow(
                setup,
                profile,
                self.host.api_key(profile),
                preferences=self.host.preferences(),
                parent=self._parent,
            )
        except ValueError as exc:
            self.message.emit(f"Compare identities: {exc}")
            return None
        self.windows.append(view)
        view.closed.connect(lambda v=view: self._closed(v))
        # 1280x800, or at most 92% of the screen the main window is on, on that screen.
        available = screen_of(self._parent).availableGeometry()
        view.resize(
            min(1280, int(available.width() * 0.92)), min(800, int(available.height() * 0.92))
        )
        view.move(available.center() - view.rect().center())
        view.show()
        keep_on_screen(view)
        view.start()
        return view

    def _closed(self, view: CompareWindow) -> None:
        if view in self.windows:
            self.windows.remove(view)
            view.deleteLater()

    # ------------------------------------------------------------------------------ closing

    def close_all(self) -> None:
        """Close every compare window (each leaves and closes its sockets)."""
        for view in list(self.windows):
            view.close()

    async def wait_closed(self) -> None:
        """Until every compare window has finished closing."""
        views = list(self.windows)
        for view in views:
            view.begin_close()
        await asyncio.gather(*(v.wait_closed() for v in views), return_exceptions=True)
