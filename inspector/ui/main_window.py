"""MainWindow: toolbar (profile, Connect, status, Join), channel tabs, menus, restore on restart.

The window composes panels and dialogs and wires them to a
:class:`~inspector.ui.controller_base.ControllerBase`; it holds no protocol logic and never
touches the network client. Its helpers get what they need, never the window: the tab widget
(:mod:`.channels.channel_tabs`, live and imported tabs),
:func:`~inspector.ui.channels.live_tab.wire_live_tab` (one live tab's wiring, with the window's
:class:`~inspector.ui.channels.live_tab.ActiveProfile`),
:class:`~inspector.ui.transfer.transfer.TransferActions` (export/import) and
:class:`~inspector.ui.window_persistence.WindowPersistence` (geometry, splitters, open tabs, send
histories). Settings go through :class:`~inspector.ui.settings.AppSettings` (profiles without
secrets); secrets through the :class:`~inspector.ui.profiles.secrets.SecretStore`.
"""

from __future__ import annotations

import html
import os
import platform
import sys
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Final

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEvent, Qt, QTimer, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inspector import APP_NAME, HOMEPAGE, ISSUES_URL, __version__
from inspector.client.errors import ClientStateError
from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.keychain import MissingSecret, identity_spec
from inspector.store import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    LinkState,
    Profile,
    ProfileBook,
    TabState,
    join_conflict,
    validate_key,
    validate_url,
)
from inspector.store.library import ENV_VAR, SavedMessage, default_library_path

from .authz.authz_dock import AuthorizationDock, AuthzHost, profile_identities
from .channels.channel_panel import ChannelPanel
from .channels.channel_sets import ChannelSetsActions
from .channels.channel_tabs import ChannelTabsWidget
from .channels.imported_panel import ImportedChannelPanel
from .channels.join_dialog import JoinChannelDialog
from .channels.live_tab import ActiveProfile, wire_live_tab
from .checks.checks_dock import ChecksDock, ChecksHost
from .common import icons, theme
from .compare.compare_actions import CompareActions, CompareHost, saved_choices
from .connection_status import (
    RECONNECT_SHORTCUT,
    UPDATE_TOKEN_SHORTCUT,
    ConnectionStatusWidget,
    token_note,
)
from .controller_base import ControllerBase
from .event_translation import is_token_expiry
from .frames.frames_panel import FramesDock
from .library.library_panel import LibraryDock
from .library.save_dialog import SaveMessageDialog
from .load.load_dock import LoadDock, LoadHost
from .log_location import open_log_folder
from .open_channel import SendRequest
from .preferences_dialog import PreferencesDialog
from .profiles.profile_list_model import ProfileListModel
from .profiles.profiles_dialog import ProfilesDialog
from .profiles.secrets import ACCESS_TOKEN, API_KEY, SecretStore
from .replay.replay_actions import ReplayActions
from .settings import AppSettings
from .token_dialog import UpdateTokenDialog
from .transfer.transfer import TransferActions
from .window_persistence import WindowPersistence, keep_on_screen, screen_of

#: The docs link of Help -> About when the package metadata names none (a source tree).
DOCS_FALLBACK: Final = f"{HOMEPAGE}/blob/main/docs/gui.md"


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _docs_url() -> str:
    """The Documentation (else Homepage) URL of the installed distribution's metadata."""
    try:
        urls = metadata.metadata("realtime-inspector").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return DOCS_FALLBACK
    found = dict(
        (label.strip().lower(), url.strip())
        for label, _, url in (entry.partition(",") for entry in urls)
    )
    return found.get("documentation") or found.get("homepage") or DOCS_FALLBACK


def _docs_link(url: str | None = None) -> str:
    url = _docs_url() if url is None else url
    if "://" not in url:
        return html.escape(url)
    return f"<a href='{html.escape(url, quote=True)}'>{html.escape(url)}</a>"


def _licence() -> str:
    """The licence of the installed distribution (its metadata), else the project's."""
    try:
        meta = metadata.metadata("realtime-inspector")
    except metadata.PackageNotFoundError:
        return "MIT"
    return meta["License-Expression"] or meta["License"] or "MIT"


class MainWindow(QMainWindow):
    def __init__(
        self,
        controller: ControllerBase,
        settings: AppSettings | None = None,
        secrets: SecretStore | None = None,
        *,
        restore_tabs: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icons.app_icon())
        self.controller = controller
        self.settings = settings if settings is not None else AppSettings()
        self.secrets = secrets or SecretStore(
            self.settings.directory(), plaintext_opt_in=self.settings.plaintext_opt_in()
        )
        self._ephemeral: set[str] = set()
        self._placed = False
        self.profiles_model = ProfileListModel(self.settings.profiles(), self)
        controller.set_preferences(self.settings.preferences())

        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_central()
        self.persistence = WindowPersistence(self.settings, controller, self.tabs)
        self.active_profile = ActiveProfile(
            controller,
            self.current_profile,
            lambda p: bool(self.secrets.get(p.id, ACCESS_TOKEN)),
            self,
        )
        # Issue #5: the Frames dock (View menu) and export/import (File menu).
        self.frames_dock = FramesDock.install(self, controller.frames, self.view_menu)
        self.transfer = TransferActions(self.tabs, controller.frames, self)
        self.transfer.add_to_menu(self.file_menu, self.quit_action)
        self.transfer.install_drop_target(self)  # NDJSON and HAR files dropped on the window
        self.transfer.message.connect(self.statusBar().showMessage)
        self.transfer.profile_url = self._export_profile_url
        self.transfer.imported_panel.connect(self._imported_panel)
        self.frames_dock.panel.export_requested.connect(self.transfer.ask_export_frames)
        # Issue #11: the message library (View menu; Save to library is Ctrl+S).
        self._loaded: dict[str, SavedMessage] = {}
        self.library_dock = LibraryDock.install(self, self.library_path(), self.view_menu)
        library = self.library_dock.panel
        library.load_requested.connect(self.load_saved)
        library.library_opened.connect(lambda p: self.settings.set_library_path(str(p)))
        library.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.file_menu.insertAction(self.quit_action, self.open_library_action)
        self.file_menu.insertSeparator(self.quit_action)
        # Issue #11 item 4: replay of recordings (Channel menu, imported tabs' button).
        self.replay = ReplayActions(self.tabs, controller, self, lambda: self.active_profile.vsn)
        self.replay.add_to_menu(self.channel_menu)
        self.replay.message.connect(self.statusBar().showMessage)
        # Issue #12 §4: the Checks dock (View menu), New check from selection (Channel menu).
        self.checks_dock = ChecksDock.install(
            self,
            ChecksHost(
                controller,
                self.tabs,
                self.settings,
                profile=lambda: self.active_profile.profile,
                api_key=lambda p: self.secrets.get(p.id, API_KEY) or "",
                connect=self.connect_current,
                join=self.join,
            ),
            self.view_menu,
            self.channel_menu,
        )
        self.active_profile.changed.connect(self.checks_dock.refresh_target)
        # Issue #13 §3: Compare identities… (Channel menu, the tabs' context menu).
        self.compare = CompareActions(
            CompareHost(
                profile=lambda: self.active_profile.profile,
                api_key=lambda p: self.secrets.get(p.id, API_KEY) or "",
                access_token=lambda p: self.secrets.get(p.id, ACCESS_TOKEN),
                preferences=lambda: self.controller.preferences,
                identities=lambda p: saved_choices(self.secrets, p),
            ),
            self.tabs,
            self,
        )
        self.compare.add_to_menu(self.channel_menu)
        self.compare.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        # Issue #15 item 7: channel sets (Channel menu) and the bar that offers the last one.
        self.channel_sets = ChannelSetsActions(
            self.settings, controller, self.tabs, self.current_profile, self.join, self
        )
        self.channel_sets.add_to_menu(self.channel_menu)
        self.channel_sets.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.channel_sets.install_bar(self)
        self.profile_combo.currentIndexChanged.connect(self.channel_sets.bar.hide)
        # Issue #13 §4: the Authorization dock (View menu).
        self.authz_dock = AuthorizationDock.install(
            self,
            AuthzHost(
                profile=lambda: self.active_profile.profile,
                api_key=lambda p: self.secrets.get(p.id, API_KEY) or "",
                identities=lambda p: profile_identities(self.secrets, p),
            ),
            self.view_menu,
        )
        self.active_profile.changed.connect(self.authz_dock.refresh_identities)
        # Issue #14 §2: the Load panel (View menu).
        self.load_dock = LoadDock.install(
            self,
            LoadHost(
                profile=lambda: self.active_profile.profile,
                api_key=lambda p: self.secrets.get(p.id, API_KEY) or "",
                access_token=lambda p: self.secrets.get(p.id, ACCESS_TOKEN),
            ),
            self.view_menu,
        )
        self.active_profile.changed.connect(self.load_dock.refresh_target)
        self.statusBar().showMessage("Ready", 3000)

        controller.identity_resolver = self._identity_spec
        controller.connection_changed.connect(self._connection_changed)
        controller.connection_changed.connect(self._active_profile_changed)
        self.profile_combo.currentIndexChanged.connect(self._active_profile_changed)
        controller.channel_opened.connect(self._channel_opened)
        controller.channel_closed.connect(self._channel_closed)
        controller.channel_status_changed.connect(self._channel_status_changed)
        controller.channel_options_changed.connect(self._channel_options_changed)
        controller.notice.connect(self._notice)

        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(1000)
        self._tick_timer.timeout.connect(self._tick)
        self._tick_timer.start()

        self._restore(restore_tabs)
        if restore_tabs:
            self.channel_sets.offer_reopen()
        #: the size the window gave itself (first or restored geometry, fitted to the screen).
        self._planned_size = self.size()

    # ------------------------------------------------------------------------------ building

    def _action(
        self,
        text: str,
        icon: str | None,
        shortcut: str | QKeySequence.StandardKey | None,
        slot: object,
    ) -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(icons.icon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.profiles_action = a("&Profiles…", "profiles", "Ctrl+Shift+P", self.open_profiles)
        self.connect_action = a("&Connect", "connect", "Ctrl+K", self.toggle_connection)
        self.reconnect_action = a(
            "&Reconnect now", "connect", RECONNECT_SHORTCUT, self.reconnect_now
        )
        self.reconnect_action.setEnabled(False)
        self.update_token_action = a(
            "Update &token…", "profiles", UPDATE_TOKEN_SHORTCUT, self.open_update_token
        )
        self.update_token_action.setEnabled(False)
        self.preferences_action = a("Pre&ferences…", "preferences", "Ctrl+,", self.open_preferences)
        self.quit_action = a("&Quit", None, QKeySequence.StandardKey.Quit, self.close)
        self.copy_payload_action = a("Copy &payload", "copy", "Ctrl+Shift+C", self._copy_payload)
        self.copy_row_action = a("Copy &row as JSON", "copy", "Ctrl+Alt+C", self._copy_row)
        self.find_action = a(
            "&Filter…", "filter", QKeySequence.StandardKey.Find, self._focus_filter
        )
        self.clear_action = a("C&lear table", "clear", "Ctrl+L", self._clear)
        self.join_action = a("&Join channel…", "join", "Ctrl+J", self.open_join_dialog)
        self.leave_action = a("&Leave", "leave", "Ctrl+Shift+L", self._leave_current)
        self.rejoin_action = a("&Rejoin", "rejoin", "Ctrl+R", self._rejoin_current)
        self.close_tab_action = a(
            "&Close tab", "close", QKeySequence.StandardKey.Close, self._close_current
        )
        self.pause_action = a("&Pause / Resume", "pause", "Ctrl+P", self._toggle_pause)
        self.follow_action = a("&Follow tail", "follow", "Ctrl+End", self._follow_tail)
        self.composer_focus_action = a("Focus &composer", "send", "Ctrl+E", self._focus_composer)
        self.save_library_action = a(
            "&Save to library…", None, QKeySequence.StandardKey.Save, self.save_to_library
        )
        self.open_library_action = a("Open &library file…", None, None, self._open_library)
        self.detail_action = a("&Detail pane", None, "Ctrl+D", self._toggle_detail)
        self.detail_action.setCheckable(True)
        self.detail_action.setChecked(True)
        self.about_action = a("&About", "about", None, self.show_about)
        self.open_log_action = a("Open &log folder", None, None, self.open_log_folder)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Connection")
        bar.setObjectName("connection_toolbar")
        bar.setIconSize(icons.icon_size())
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.profile_combo = QComboBox()
        self.profile_combo.setModel(self.profiles_model)
        self.profile_combo.setMinimumContentsLength(16)
        self.profile_combo.setAccessibleName("Profile")
        self.profile_combo.setToolTip("Connection profile")
        self.profile_combo.currentIndexChanged.connect(self._profile_selected)
        self.profile_problem = QLabel()
        self.profile_problem.setAccessibleName("Profile problem")
        self.status_widget = ConnectionStatusWidget()
        bar.addWidget(QLabel(" Profile "))
        bar.addWidget(self.profile_combo)
        bar.addAction(self.profiles_action)
        bar.addAction(self.connect_action)
        bar.addAction(self.reconnect_action)
        bar.addWidget(self.profile_problem)
        bar.addSeparator()
        bar.addWidget(self.status_widget)
        self.statusBar().addPermanentWidget(self.status_widget.mirror)
        # Shown only when the token needs attention (the action itself stays in the menu).
        self.update_token_tool = bar.addAction(self.update_token_action.icon(), "Update token")
        self.update_token_tool.setToolTip(f"Paste a new user token ({UPDATE_TOKEN_SHORTCUT})")
        self.update_token_tool.triggered.connect(self.open_update_token)
        self.update_token_tool.setVisible(False)
        bar.addSeparator()
        bar.addAction(self.join_action)
        self.addToolBar(bar)
        self.toolbar = bar

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = self.file_menu = menus.addMenu("&File")
        for act in (
            self.profiles_action,
            self.connect_action,
            self.reconnect_action,
            self.update_token_action,
            self.preferences_action,
        ):
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = menus.addMenu("&Edit")
        for act in (
            self.copy_payload_action,
            self.copy_row_action,
            self.find_action,
            self.clear_action,
        ):
            edit.addAction(act)
        channel = self.channel_menu = menus.addMenu("&Channel")
        for act in (self.join_action, self.leave_action, self.rejoin_action, self.close_tab_action):
            channel.addAction(act)
        channel.addSeparator()
        for act in (
            self.pause_action,
            self.follow_action,
            self.composer_focus_action,
            self.save_library_action,
        ):
            channel.addAction(act)
        view = self.view_menu = menus.addMenu("&View")
        view.addAction(self.detail_action)
        view.addAction(self.toolbar.toggleViewAction())
        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self.open_log_action)
        help_menu.addAction(self.about_action)

    def _build_central(self) -> None:
        self.tabs = ChannelTabsWidget()
        self.tabs.close_requested.connect(self.controller.close_channel)
        self.tabs.tabs_changed.connect(self._update_empty_state)
        empty = QWidget()
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_join = QPushButton(icons.icon("join"), "Join a channel…  (Ctrl+J)")
        self.empty_join.clicked.connect(self.open_join_dialog)
        self.empty_profiles = QPushButton(icons.icon("profiles"), "Set up a profile…")
        self.empty_profiles.clicked.connect(self.open_profiles)
        lay = QVBoxLayout(empty)
        lay.addStretch(1)
        lay.addWidget(self.empty_label)
        lay.addWidget(self.empty_profiles, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.empty_join, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self._update_empty_state()

    # ------------------------------------------------------------------------------ profiles

    def current_profile(self) -> Profile | None:
        return self.profiles_model.profile_at(self.profile_combo.currentIndex())

    def profile_error(self, profile: Profile | None) -> str | None:
        if profile is None:
            return "No profile: add one in Profiles…"
        return validate_url(profile.url) or validate_key(self.secrets.get(profile.id, API_KEY))

    def add_session_profile(
        self, profile: Profile, api_key: str, access_token: str = ""
    ) -> Profile:
        """Add a profile for this session only (the demo): never saved, secrets in memory."""
        added = self.profiles_model.add(profile)
        self._ephemeral.add(added.id)
        self.secrets.set_session_only(added.id, API_KEY, api_key)
        if access_token:
            self.secrets.set_session_only(added.id, ACCESS_TOKEN, access_token)
        self.select_profile(added.id)
        return added

    def select_profile(self, profile_id: str) -> None:
        row = self.profiles_model.row_of(profile_id)
        if row >= 0:
            self.profile_combo.setCurrentIndex(row)
        self._update_connect_action()

    def save_profiles(self) -> None:
        kept = [p for p in self.profiles_model.book if p.id not in self._ephemeral]
        self.settings.save_profiles(ProfileBook(kept))

    def _profile_selected(self, _row: int) -> None:
        profile = self.current_profile()
        restoring = self.persistence.restoring
        if profile is not None and profile.id not in self._ephemeral and not restoring:
            self.settings.set_last_profile_id(profile.id)
        self._update_connect_action()

    def open_profiles(self) -> ProfilesDialog:
        current = self.current_profile()
        dialog = ProfilesDialog(
            self.profiles_model,
            self.secrets,
            current_id=current.id if current else "",
            on_plaintext_opt_in=self.settings.set_plaintext_opt_in,
            live_sessions=self._live_identity,
            parent=self,
        )
        dialog.profiles_changed.connect(self.save_profiles)
        dialog.profiles_changed.connect(self._update_connect_action)
        dialog.connect_requested.connect(self._connect_profile_id)
        dialog.finished.connect(self._profiles_dialog_finished)
        dialog.open()
        self.profiles_dialog = dialog
        return dialog

    def _identity_spec(self, identity_id: str) -> IdentitySpec:
        """The connected profile's identity with its secrets from the keychain (the saved
        profile as it is now: identities edited while connected count)."""
        connected = self.controller.profile
        if connected is None:
            raise ClientStateError("not connected")
        profile = self.profiles_model.book.get(connected.id) or connected
        identity = profile.identity(identity_id)
        if identity is None:
            raise MissingSecret(
                f"the identity was removed from profile {profile.name!r}: join as another one"
            )
        return identity_spec(self.secrets, profile, identity)

    def _live_identity(self, profile_id: str, identity_id: str) -> IdentitySession | None:
        """The session of an identity a tab of the connected profile uses, else None."""
        connected = self.controller.profile
        if connected is None or connected.id != profile_id or not self.controller.active:
            return None
        return self.controller.identity_session(identity_id)

    def identity_choices(self) -> list[tuple[str, str]]:
        """``(id, label)`` of who a tab can join or send as: the profile's own key first."""
        profile = self.active_profile.profile
        if profile is not None:
            profile = self.profiles_model.book.get(profile.id) or profile
        choices = [("", "Profile default (its API key and token)")]
        if profile is not None:
            choices += [(i.id, f"{i.name} · {i.describe()}") for i in profile.identities]
        return choices

    def _export_profile_url(self) -> str | None:
        """The profile URL an export's header records (the connection's, else the selected)."""
        profile = self.controller.profile if self.controller.active else self.current_profile()
        return profile.url if profile is not None else None

    def _active_profile_changed(self, *_args: object) -> None:
        self.active_profile.changed.emit()

    def _profiles_dialog_finished(self, _result: int) -> None:
        self.save_profiles()
        self._update_connect_action()

    def _connect_profile_id(self, profile_id: str) -> None:
        self.select_profile(profile_id)
        if self.controller.active:
            self.controller.close_connection()
        self.connect_current()

    # ------------------------------------------------------------------------------ connection

    def connect_current(self) -> str | None:
        profile = self.current_profile()
        error = self.profile_error(profile)
        if error is not None or profile is None:
            self.statusBar().showMessage(f"Cannot connect: {error}", 8000)
            return error
        if not self.controller.channels:
            self.persistence.restore_tabs(profile.id)
        token = self.secrets.get(profile.id, ACCESS_TOKEN)
        error = self.controller.connect_to(profile, self.secrets.get(profile.id, API_KEY), token)
        if error is not None:
            self.statusBar().showMessage(f"Cannot connect: {error}", 8000)
        return error

    def toggle_connection(self) -> None:
        if self.controller.active:
            self.controller.close_connection()
        else:
            self.connect_current()

    def reconnect_now(self) -> bool:
        """Reconnect at once instead of waiting for the back-off (issue #10 item 16); when the
        connection was given up (a failed first attempt), connect again."""
        if self.controller.reconnect_now():
            self.statusBar().showMessage("Reconnecting now…", 3000)
            return True
        if not self.controller.active:
            return self.connect_current() is None
        return False

    def open_update_token(self) -> UpdateTokenDialog | None:
        """Paste a new user token: pushed to every channel, closed tabs rejoin (item 17)."""
        if not self.controller.active:
            self.statusBar().showMessage("Connect first; set a token in Profiles…", 5000)
            return None
        profile = self.controller.profile
        dialog = UpdateTokenDialog(
            self.controller.token_exp,
            self.controller.wall_clock,
            can_save=profile is not None,
            parent=self,
        )

        def apply() -> None:
            token = dialog.token()
            error = self.controller.update_token(token)
            if error is not None:
                self.statusBar().showMessage(f"Token not updated: {error}", 8000)
                return
            if dialog.save_check.isChecked() and profile is not None:
                if profile.id in self._ephemeral:
                    self.secrets.set_session_only(profile.id, ACCESS_TOKEN, token)
                else:
                    self.secrets.set(profile.id, ACCESS_TOKEN, token)
            self.statusBar().showMessage("Token updated: sent to every channel", 5000)
            self._update_token_note()

        dialog.accepted.connect(apply)
        dialog.open()
        self.token_dialog = dialog
        return dialog

    def _token_closed_tabs(self) -> int:
        return sum(
            1
            for channel in self.controller.channels.values()
            if channel.status.state is TabState.CLOSED and is_token_expiry(channel.status.reason)
        )

    def _update_token_note(self) -> None:
        controller = self.controller
        note = None
        if controller.active:
            note = token_note(
                controller.token_exp, controller.wall_clock(), self._token_closed_tabs()
            )
        self.status_widget.set_token_note(note, controller.clock())
        self.update_token_tool.setVisible(note is not None)

    def _update_connect_action(self) -> None:
        active = self.controller.active
        state = self.controller.connection.state
        # While waiting to reconnect, or after an attempt failed (the reason is shown).
        failed = not active and bool(self.controller.connection.reason)
        self.reconnect_action.setEnabled(
            state is LinkState.RECONNECTING
            or (failed and self.profile_error(self.current_profile()) is None)
        )
        self.update_token_action.setEnabled(active)
        self.connect_action.setText("Dis&connect" if active else "&Connect")
        self.connect_action.setIcon(icons.icon("disconnect" if active else "connect"))
        error = None if active else self.profile_error(self.current_profile())
        self.connect_action.setEnabled(error is None)
        self.connect_action.setToolTip(
            f"Cannot connect: {error}" if error else self.connect_action.text().replace("&", "")
        )
        colour = theme.colors().error.name()
        self.profile_problem.setText(
            f"<span style='color:{colour}'>⚠ {html.escape(error)}</span>" if error else ""
        )
        self.profile_problem.setVisible(bool(error))
        self.profile_combo.setEnabled(not active)
        self._update_empty_state()

    def _connection_changed(self, status: ConnectionStatus) -> None:
        self.status_widget.set_status(status, self.controller.clock())
        self._update_connect_action()
        self._update_token_note()

    # ------------------------------------------------------------------------------ channels

    def open_join_dialog(self) -> JoinChannelDialog:
        dialog = JoinChannelDialog(
            lambda o: join_conflict(o, self.controller.open_options()),
            identities=self.identity_choices(),
            parent=self,
        )
        dialog.accepted.connect(lambda: self.join(dialog.options()))
        dialog.open()
        self.join_dialog = dialog
        return dialog

    def join(self, options: ChannelOptions) -> str | None:
        error = self.controller.join(options)
        if error is not None:
            self.statusBar().showMessage(error, 8000)
        else:
            self._save_tabs()
        return error

    @property
    def panels(self) -> dict[str, ChannelPanel]:
        return self.tabs.panels

    def current_panel(self) -> ChannelPanel | None:
        return self.tabs.current_panel()

    def prefill_composer(self, name: str, event: str, payload: str) -> bool:
        """Put an example in the composer of the live tab ``name`` when it is empty (the demo)."""
        panel = self.panels.get(name)
        return panel is not None and panel.composer.prefill(event, payload)

    def _channel_opened(self, name: str) -> None:
        channel = self.controller.channel(name)
        if channel is None:
            return
        panel = ChannelPanel(
            channel,
            history=self.persistence.history(name),
            coalesce_ms=self.controller.preferences.coalesce_ms,
        )
        panel.detail.setVisible(self.detail_action.isChecked())
        self.persistence.restore_splitters(panel)
        self.persistence.restore_seq(panel)
        self.persistence.restore_columns(panel)
        panel.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        wire_live_tab(panel, self.controller, self.active_profile)
        panel.send_requested.connect(self._sent)
        panel.composer.save_requested.connect(self.save_to_library)
        panel.detail.copied.connect(self._copied)
        self.tabs.add_panel(panel, select=not self.persistence.restoring)
        if self.isVisible():
            # A tab raises the minimum size: once its layout is done, keep Send on screen.
            QTimer.singleShot(0, lambda: self._keep_on_screen(shrink=False))

    # ------------------------------------------------------------------------------ library

    def library_path(self) -> Path:
        """``$RI_LIBRARY`` when set, else the library opened last, else the default one."""
        if os.environ.get(ENV_VAR, "").strip():
            return default_library_path()
        last = self.settings.library_path()
        return Path(last) if last else default_library_path()

    def _open_library(self) -> None:
        self.library_dock.show()
        self.library_dock.panel.ask_open()

    def load_saved(self, message: SavedMessage) -> bool:
        """Load a saved message into the current live tab's composer (its ack/self apply: a
        different one rejoins, as the checkboxes do); a saved channel other than the tab's is
        shown as a note, the message is loaded into the current tab anyway."""
        panel = self.tabs.current_live_panel()
        if panel is None:
            self.statusBar().showMessage("Open a channel tab to load a saved message into", 6000)
            return False
        composer = panel.composer
        composer.load(
            event=message.event,
            payload=message.payload,
            binary=message.binary,
            encoding=message.encoding,
            transport=message.via,
        )
        if (composer.ack_check.isChecked(), composer.self_check.isChecked()) != (
            message.ack,
            message.self_,
        ):
            composer.set_options(ack=message.ack, broadcast_self=message.self_)
            composer.options_change_requested.emit(message.ack, message.self_)
        self._loaded[panel.name] = message
        notes = [f"Loaded “{message.ref}” from the library."]
        if message.channel and message.channel != panel.name:
            notes.append(f"It was saved for channel “{message.channel}”; it sends on this tab.")
        if message.binary and not composer.binary:
            notes.append("Its payload is binary: this profile's protocol 1.0.0 cannot send it.")
        panel.show_notice(" ".join(notes))
        composer.event_edit.setFocus()
        return True

    def saved_from_composer(self, panel: ChannelPanel) -> SavedMessage:
        """What Save to library keeps of a tab's composer (name and folder asked later)."""
        composer = panel.composer
        binary = composer.binary
        return SavedMessage(
            name=composer.event_edit.text().strip() or "message",
            event=composer.event_edit.text().strip(),
            payload=(
                composer.binary_input.edit.toPlainText()
                if binary
                else composer.payload_edit.toPlainText()
            ),
            binary=binary,
            encoding=composer.binary_input.format if binary else "base64",
            ack=composer.ack_check.isChecked(),
            self_=composer.self_check.isChecked(),
            via=composer.transport,
            channel=panel.name,
        )

    def save_to_library(self) -> SaveMessageDialog | None:
        """Ctrl+S: ask a name and folder (an existing one is offered for overwrite) and save
        what is in the current tab's composer."""
        panel = self.tabs.current_live_panel()
        library = self.library_dock.panel
        if panel is None:
            self.statusBar().showMessage("Open a channel tab to save its composer", 6000)
            return None
        if library.problem:
            self.library_dock.show()
            QMessageBox.warning(self, "Save to library", library.problem)
            return None
        message = self.saved_from_composer(panel)
        loaded = self._loaded.get(panel.name)
        dialog = SaveMessageDialog(
            library.library,
            name=loaded.name if loaded is not None else message.name,
            folder=loaded.folder if loaded is not None else "",
            note=loaded.note if loaded is not None else "",
            event=message.event,
            parent=self,
        )

        def accept() -> None:
            saved = replace(
                message,
                name=dialog.name,
                folder=dialog.folder,
                note=dialog.note,
                extra=loaded.extra if loaded is not None else {},
            )
            if library.save_message(saved, overwrite=dialog.overwrite):
                self._loaded[panel.name] = saved
                self.library_dock.show()
                library.select(saved.folder, saved.name)

        dialog.accepted.connect(accept)
        dialog.open()
        self.save_dialog = dialog
        return dialog

    def _imported_panel(self, panel: ChannelPanel) -> None:
        panel.detail.setVisible(self.detail_action.isChecked())
        if isinstance(panel, ImportedChannelPanel):
            self.replay.watch_imported(panel)

    def _copied(self, what: str) -> None:
        self.statusBar().showMessage(f"Copied {what}", 2000)

    def _channel_closed(self, name: str) -> None:
        if self.tabs.remove_panel(name) is None:
            return
        self._save_tabs()

    def _channel_status_changed(self, name: str, status: ChannelStatus) -> None:
        panel = self.panels.get(name)
        if panel is not None:
            panel.set_status(status, self.controller.clock())
        self._update_token_note()

    def _channel_options_changed(self, name: str, options: ChannelOptions) -> None:
        panel = self.panels.get(name)
        if panel is not None:
            panel.set_options(options)
        self._save_tabs()

    def _notice(self, name: str, text: str) -> None:
        self.statusBar().showMessage(text, 8000)
        panel = self.panels.get(name)
        if panel is not None:
            panel.show_notice(text)

    def _sent(self, name: str, _request: SendRequest) -> None:
        panel = self.panels.get(name)
        if panel is not None:
            self.persistence.save_history(panel)

    def _update_empty_state(self) -> None:
        has_tabs = self.tabs.count() > 0
        self.stack.setCurrentIndex(1 if has_tabs else 0)
        profile = self.current_profile()
        if profile is None:
            text = (
                "<h2>No connection profile yet</h2><p>Add a project URL and API key to start.</p>"
            )
        elif self.controller.active:
            text = (
                f"<h2>Connected to {html.escape(profile.name)}</h2>"
                "<p>Join a channel to watch its broadcasts.</p>"
            )
        else:
            text = (
                f"<h2>{APP_NAME}</h2><p>Profile <b>{html.escape(profile.name)}</b> · "
                f"{html.escape(profile.url)}</p>"
                "<p>Connect (Ctrl+K), then join channels in tabs (Ctrl+J).</p>"
            )
        self.empty_label.setText(text)
        self.empty_profiles.setVisible(profile is None)

    # ------------------------------------------------------------------------------ per-tab actions

    def _with_panel(self, fn: object) -> None:
        panel = self.current_panel()
        if panel is not None and callable(fn):
            fn(panel)

    def _copy_payload(self) -> None:
        self._with_panel(lambda p: p.detail.copy_payload())

    def _copy_row(self) -> None:
        self._with_panel(lambda p: p.detail.copy_row())

    def _focus_filter(self) -> None:
        self._with_panel(lambda p: (p.filter_edit.setFocus(), p.filter_edit.selectAll()))

    def _clear(self) -> None:
        self._with_panel(lambda p: p.clear())

    def _leave_current(self) -> None:
        panel = self.tabs.current_live_panel()
        if panel is not None:
            self.controller.leave(panel.name)

    def _rejoin_current(self) -> None:
        panel = self.tabs.current_live_panel()
        if panel is not None:
            self.controller.rejoin(panel.name)

    def _close_current(self) -> None:
        self.tabs.close_current()

    def _toggle_pause(self) -> None:
        self._with_panel(lambda p: p.set_paused(not p.channel.log.paused))

    def _follow_tail(self) -> None:
        self._with_panel(lambda p: p.table.set_follow_tail(True))

    def _focus_composer(self) -> None:
        self._with_panel(lambda p: p.composer.event_edit.setFocus())

    def _toggle_detail(self, shown: bool) -> None:
        for panel in self.panels.values():
            panel.detail.setVisible(shown)

    # ------------------------------------------------------------------------------ dialogs

    def open_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(self.controller.preferences, self)

        def apply() -> None:
            prefs = dialog.preferences()
            self.controller.set_preferences(prefs)
            self.settings.save_preferences(prefs)
            for panel in self.panels.values():
                panel.model.set_coalesce_ms(prefs.coalesce_ms)

        dialog.accepted.connect(apply)
        dialog.open()
        return dialog

    def about_text(self) -> str:
        """Versions as installed (package metadata, never a module attribute that may be
        missing), the licence and where the docs are (issue #10 item 19)."""
        versions = " · ".join(
            f"{name} {_dist_version(name)}" for name in ("qasync", "websockets", "httpx", "aiohttp")
        )
        return (
            f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>Inspect, send to and serve Supabase Realtime Broadcast.</p>"
            f"<p>Python {platform.python_version()} · Qt {qVersion()} · PySide6 {pyside_version}"
            f"<br>{versions}"
            f"<br>{platform.system()} {platform.machine()} · {sys.platform}</p>"
            f"<p>Licence: {html.escape(_licence())}<br>"
            f"Documentation: {_docs_link()}<br>"
            f"Report a problem: {_docs_link(ISSUES_URL)}</p>"
        )

    def open_log_folder(self) -> None:
        """Help -> Open log folder: the file manager on the folder of ``window.log``."""
        opened, folder = open_log_folder()
        if not opened:
            self.statusBar().showMessage(f"Could not open the log folder {folder}", 10000)

    def show_about(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setWindowTitle(f"About {APP_NAME}")
        box.setIconPixmap(icons.app_icon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(self.about_text())
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        about_qt = box.addButton("About Qt", QMessageBox.ButtonRole.HelpRole)
        about_qt.clicked.disconnect()
        about_qt.clicked.connect(lambda: QMessageBox.aboutQt(self))
        box.addButton(QMessageBox.StandardButton.Close)
        self.about_qt_button = about_qt
        box.open()
        return box

    # ------------------------------------------------------------------------------ timers, events

    def _tick(self) -> None:
        now = self.controller.clock()
        self.controller.refresh_filtered()
        self._update_token_note()
        self.status_widget.tick(now)
        for panel in self.panels.values():
            panel.tick(now)

    def _keep_on_screen(self, *, shrink: bool = True) -> None:
        if self.isVisible() and not self.isMaximized() and not self.isFullScreen():
            keep_on_screen(self, shrink=shrink)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # The minimum size grows with content (a tab, a longer status): the window grows
        # downwards, so move it back up when that pushed it off the screen.
        if self._placed and not screen_of(self).availableGeometry().contains(self.frameGeometry()):
            self._keep_on_screen(shrink=False)  # a size set on purpose stays as set

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._placed:
            # The frame's margins are known once shown: keep the whole frame on screen. A size
            # set in code after the window placed itself (tests, scripts) is only moved.
            self._placed = True
            keep_on_screen(self, shrink=self.size() == self._planned_size)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            for panel in self.panels.values():
                panel.model.refresh_theme()
                panel.detail.highlighter.refresh_theme()
        super().changeEvent(event)

    # ------------------------------------------------------------------------------ persistence

    def _restore(self, tabs: bool) -> None:
        with self.persistence.restoring_now():
            self.persistence.restore_window(self)
            last = self.settings.last_profile_id()
            if last and self.profiles_model.row_of(last) >= 0:
                self.select_profile(last)
            profile = self.current_profile()
            if profile is not None and tabs:
                self.persistence.restore_tabs(profile.id)
        self._update_connect_action()

    def _save_tabs(self) -> None:
        profile = self.current_profile()
        if profile is None or profile.id in self._ephemeral:
            self.persistence.save_tabs(None)
        else:
            self.persistence.save_tabs(profile.id)

    def save_state(self) -> None:
        self.persistence.save_window(self)
        panel = self.current_panel()
        if panel is not None:
            self.persistence.save_splitters(panel)
        self._save_tabs()
        self.save_profiles()
        self.persistence.save_histories()
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.checks_dock.runs.cancel()  # a running check leaves and disconnects
        self.compare.close_all()  # each compare view leaves and closes its sockets
        self.authz_dock.cancel()  # a running matrix untracks, leaves and closes its sockets
        self.load_dock.stop()  # a load run stops sending, drains and closes its sockets
        self.save_state()
        self._tick_timer.stop()
        super().closeEvent(event)
