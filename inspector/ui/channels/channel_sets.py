"""Channel sets in the window (issue #15 item 7): Channel -> Channel sets.

- *Save open tabs as set…*: the live tabs of the current profile, in tab order, with their join
  options, under a name (typing an existing name replaces that set, which the list offers);
- one action per set: open it in one go (tabs already open are kept, the others are joined);
- *Manage sets…*: rename (edit the name in the list), delete, open;
- the reopen bar: on start, when the profile's last set (saved or opened last) is not all open,
  a bar above the tabs offers to reopen it. It never blocks: the window works around it.

Sets live in the settings (:meth:`~inspector.ui.settings.AppSettings.channel_sets`), per
profile, as names and join options only (no secrets); the model is
:mod:`inspector.store.channels.channel_sets`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import reveal
from inspector.store import ChannelOptions, Profile
from inspector.store.channels.channel_sets import ChannelSet, ChannelSetError, ChannelSets

from ..common import theme
from ..common.bounded_label import NarrowLabel
from ..controller_base import ControllerBase
from ..settings import AppSettings
from .channel_tabs import ChannelTabsWidget

#: Characters of a set's channel list shown in the reopen bar before it is cut.
BAR_CHANNELS_CHARS = 120


def shown(name: str) -> str:
    """A set or channel name as the window shows it: hidden and direction-changing characters
    as ``\\uXXXX`` (as in tab titles), so that a right-to-left override cannot reverse the
    text around it."""
    return reveal(name, multiline=False)


class ChannelSetsActions(QObject):
    """The Channel sets submenu, its dialogs and the reopen bar, for one window."""

    #: a line for the status bar.
    message = Signal(str)
    #: the sets of the current profile changed (saved, renamed, deleted).
    sets_changed = Signal()

    def __init__(
        self,
        settings: AppSettings,
        controller: ControllerBase,
        tabs: ChannelTabsWidget,
        profile: Callable[[], Profile | None],
        join: Callable[[ChannelOptions], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.controller = controller
        self.tabs = tabs
        self._profile = profile
        self._join = join
        self.menu = QMenu("Channel &sets")
        self.menu.setToolTipsVisible(True)
        self.save_action = QAction("&Save open tabs as set…", self)
        self.save_action.triggered.connect(self.ask_save)
        self.manage_action = QAction("&Manage sets…", self)
        self.manage_action.triggered.connect(self.open_manager)
        self.menu.aboutToShow.connect(self.refresh_menu)
        self.save_dialog: QInputDialog | None = None
        self.manager: ManageSetsDialog | None = None
        self.bar = ReopenBar()
        self.bar.reopen_requested.connect(self._reopen_from_bar)
        self.refresh_menu()

    # ------------------------------------------------------------------ wiring

    def add_to_menu(self, menu: QMenu) -> None:
        menu.addSeparator()
        menu.addMenu(self.menu)

    def install_bar(self, window: QMainWindow) -> ReopenBar:
        """Put the reopen bar above the window's central widget (hidden until offered)."""
        central = window.takeCentralWidget()
        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.bar)
        if central is not None:
            layout.addWidget(central, 1)
        window.setCentralWidget(container)
        return self.bar

    # ------------------------------------------------------------------ data

    def profile_id(self) -> str | None:
        profile = self._profile()
        return profile.id if profile is not None else None

    def sets(self) -> ChannelSets:
        pid = self.profile_id()
        return self.settings.channel_sets(pid) if pid is not None else ChannelSets()

    def _store(self, sets: ChannelSets) -> None:
        pid = self.profile_id()
        if pid is not None:
            self.settings.save_channel_sets(pid, sets)
        self.refresh_menu()
        self.sets_changed.emit()

    def open_tabs(self) -> list[ChannelOptions]:
        """The live tabs' options, in tab order."""
        order = {name: i for i, name in enumerate(self.tabs.ordered_names())}
        options = self.controller.open_options()
        return sorted(options, key=lambda o: order.get(o.name, len(order)))

    # ------------------------------------------------------------------ actions

    def save_set(self, name: str) -> str | None:
        """Save the open tabs as ``name``; the reason when it cannot be, else None."""
        pid = self.profile_id()
        if pid is None:
            return "No profile: channel sets are kept per profile."
        sets = self.sets()
        try:
            made, replaced = sets.save(name, self.open_tabs())
        except ChannelSetError as exc:
            self.message.emit(str(exc))
            return str(exc)
        self._store(sets)
        self.settings.set_last_channel_set(pid, made.name)
        count = len(made.channels)
        verb = "replaced" if replaced else "saved"
        self.message.emit(
            f"Channel set “{shown(made.name)}” {verb}: {count} channel{'s' if count != 1 else ''}"
        )
        return None

    def open_set(self, name: str) -> str | None:
        """Join every channel of the set that is not open yet; the reason when nothing could
        be opened, else None."""
        pid = self.profile_id()
        found = self.sets().get(name) if pid is not None else None
        if pid is None or found is None:
            text = f"There is no channel set “{shown(name)}”."
            self.message.emit(text)
            return text
        self.settings.set_last_channel_set(pid, found.name)
        open_names = {o.name for o in self.controller.open_options()}
        joined, kept, failed = 0, 0, []
        for options in found.channels:
            if options.name in open_names:
                kept += 1
                continue
            error = self._join(options)
            if error is None:
                joined += 1
            else:
                failed.append(f"{shown(options.name)}: {error}")
        self.bar.hide()
        parts = [f"Channel set “{shown(found.name)}”: {joined} joined"]
        if kept:
            parts.append(f"{kept} already open")
        if failed:
            parts.append(f"{len(failed)} not opened ({'; '.join(failed)})")
        self.message.emit(", ".join(parts))
        return None

    def rename_set(self, old: str, new: str) -> str | None:
        pid = self.profile_id()
        if pid is None:
            return "No profile"
        sets = self.sets()
        try:
            renamed = sets.rename(old, new)
        except ChannelSetError as exc:
            self.message.emit(str(exc))
            return str(exc)
        if self.settings.last_channel_set(pid).casefold() == old.casefold():
            self.settings.set_last_channel_set(pid, renamed.name)
        self._store(sets)
        self.message.emit(f"Channel set “{shown(old)}” renamed to “{shown(renamed.name)}”")
        return None

    def delete_set(self, name: str) -> bool:
        pid = self.profile_id()
        if pid is None:
            return False
        sets = self.sets()
        if not sets.delete(name):
            return False
        if self.settings.last_channel_set(pid).casefold() == name.casefold():
            self.settings.set_last_channel_set(pid, "")
            self.bar.hide()
        self._store(sets)
        self.message.emit(f"Channel set “{shown(name)}” deleted")
        return True

    # ------------------------------------------------------------------ the menu

    def refresh_menu(self) -> None:
        menu = self.menu
        menu.clear()
        has_profile = self.profile_id() is not None
        self.save_action.setEnabled(has_profile and bool(self.controller.open_options()))
        menu.addAction(self.save_action)
        menu.addAction(self.manage_action)
        sets = self.sets()
        self.manage_action.setEnabled(bool(sets.sets))
        if not sets.sets:
            return
        menu.addSeparator()
        for channel_set in sets.sets:
            count = len(channel_set.channels)
            label = shown(channel_set.name).replace("&", "&&")  # & is not a mnemonic
            action = menu.addAction(f"{label}  ({count} channel{'s' if count != 1 else ''})")
            action.setToolTip(shown(channel_set.describe()))
            action.setData(channel_set.name)
            action.triggered.connect(lambda _=False, n=channel_set.name: self.open_set(n))

    def set_actions(self) -> list[QAction]:
        """The menu's open-a-set actions (after :meth:`refresh_menu`)."""
        return [a for a in self.menu.actions() if isinstance(a.data(), str)]

    # ------------------------------------------------------------------ dialogs

    def ask_save(self) -> QInputDialog:
        """The name dialog (non-blocking): the last set's name offered, existing names listed
        so that replacing one is a choice, not an accident."""
        dialog = QInputDialog(self.tabs.window())
        dialog.setWindowTitle("Save channel set")
        count = len(self.open_tabs())
        dialog.setLabelText(
            f"Save the {count} open tab{'s' if count != 1 else ''} as a channel set named "
            "(an existing name replaces that set):"
        )
        names = self.sets().names()
        pid = self.profile_id()
        last = self.settings.last_channel_set(pid) if pid is not None else ""
        dialog.setComboBoxItems(names or [""])
        dialog.setComboBoxEditable(True)
        dialog.setTextValue(last or (f"Set {len(names) + 1}" if names else "Set 1"))
        dialog.textValueSelected.connect(self.save_set)
        dialog.open()
        self.save_dialog = dialog
        return dialog

    def open_manager(self) -> ManageSetsDialog:
        dialog = ManageSetsDialog(self, self.tabs.window())
        dialog.open()
        self.manager = dialog
        return dialog

    # ------------------------------------------------------------------ the reopen bar

    def offer_reopen(self) -> bool:
        """Show the bar when the profile's last set has channels that are not open."""
        pid = self.profile_id()
        last = self.settings.last_channel_set(pid) if pid is not None else ""
        found = self.sets().get(last) if last else None
        if found is None:
            self.bar.hide()
            return False
        open_names = {o.name for o in self.controller.open_options()}
        missing = [o.name for o in found.channels if o.name not in open_names]
        if not missing:
            self.bar.hide()
            return False
        self.bar.offer(found, len(missing))
        return True

    def _reopen_from_bar(self, name: str) -> None:
        self.open_set(name)


class ReopenBar(QFrame):
    """A bar above the tabs: "Reopen the channel set X?" with Reopen and Not now."""

    reopen_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reopen_set_bar")
        self.setAccessibleName("Reopen channel set")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._name = ""
        self.label = NarrowLabel("")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.reopen_button = QPushButton("Reopen")
        self.reopen_button.clicked.connect(lambda: self.reopen_requested.emit(self._name))
        self.dismiss_button = QPushButton("Not now")
        self.dismiss_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.reopen_button)
        layout.addWidget(self.dismiss_button)
        self.setVisible(False)

    @property
    def set_name(self) -> str:
        return self._name

    def offer(self, channel_set: ChannelSet, missing: int) -> None:
        self._name = channel_set.name
        names = ", ".join(shown(o.name) for o in channel_set.channels)
        if len(names) > BAR_CHANNELS_CHARS:
            names = names[: BAR_CHANNELS_CHARS - 1] + "…"
        count = len(channel_set.channels)
        self.label.setText(
            f"Reopen the channel set “{shown(channel_set.name)}” you used last? "
            f"{count} channel{'s' if count != 1 else ''} ({names}); {missing} not open now."
        )
        busy = theme.colors().busy
        tint = f"rgba({busy.red()}, {busy.green()}, {busy.blue()}, 36)"  # light and dark themes
        self.setStyleSheet(
            f"QFrame#reopen_set_bar {{ border-left: 3px solid {busy.name()}; background: {tint}; }}"
        )
        self.show()


class ManageSetsDialog(QDialog):
    """The profile's sets: double-click (or Rename) edits a name in place; Open, Delete."""

    def __init__(self, actions: ChannelSetsActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Channel sets")
        self.owner = actions
        self.list = QListWidget()
        self.list.setAccessibleName("Channel sets")
        self.list.itemChanged.connect(self._renamed)
        self.list.itemDoubleClicked.connect(self.list.editItem)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_selected)
        self.rename_button = QPushButton("Rename")
        self.rename_button.clicked.connect(self._edit_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        for b in (self.open_button, self.rename_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        layout.addWidget(close)
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())
        actions.sets_changed.connect(self._reload_later)
        self.resize(460, 320)
        self.reload()

    def _reload_later(self) -> None:
        """After the signal that changed the sets (a rename arrives from an item's own
        itemChanged: the list is not cleared under it)."""
        QTimer.singleShot(0, self, self.reload)

    def reload(self) -> None:
        current = self.selected_name()
        self.list.blockSignals(True)
        self.list.clear()
        for channel_set in self.owner.sets().sets:
            item = QListWidgetItem(shown(channel_set.name))
            item.setData(Qt.ItemDataRole.UserRole, channel_set.name)
            item.setToolTip(shown(channel_set.describe()))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)
            if channel_set.name == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        if item is None:
            return None
        value = item.data(Qt.ItemDataRole.UserRole)
        return value if isinstance(value, str) else None

    def _update_buttons(self) -> None:
        has = self.selected_name() is not None
        for b in (self.open_button, self.rename_button, self.delete_button):
            b.setEnabled(has)
        item = self.list.currentItem()
        self.note.setText(item.toolTip() if item is not None else "No channel sets yet.")

    def _edit_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _renamed(self, item: QListWidgetItem) -> None:
        old = item.data(Qt.ItemDataRole.UserRole)
        new = item.text()
        if not isinstance(old, str) or new in (old, shown(old)):
            return
        error = self.owner.rename_set(old, new)
        if error is not None:
            self.note.setText(error)
            self.list.blockSignals(True)
            item.setText(shown(old))
            self.list.blockSignals(False)

    def open_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.owner.open_set(name)

    def delete_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.owner.delete_set(name)
