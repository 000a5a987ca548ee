"""The Library panel (issue #11 item 1): saved messages by folder, in a dock.

- Search filters by name, event, folder and note; the tree shows folders, then the messages
  outside any folder. Double-click or Enter emits :attr:`LibraryPanel.load_requested`.
- Rename (F2, in place; a folder through a small dialog), duplicate, delete (a folder with its
  messages), new folder, move into a folder and reorder (drag and drop; also a context menu)
  are commands on a ``QUndoStack``: Undo (Ctrl+Z in the panel, or the Undo button of
  the note that follows a change) brings the previous state back, file included.
- Every change is written at once (atomically, :mod:`inspector.store.library`). A library file
  that does not parse is shown as an error with its line and is never written; a file of a
  newer format version is shown read-only.
- The panel's menu opens another library file, imports one (its messages are added; a name
  taken in its folder gets `` (2)``) and exports this one (a copy to another file).

The panel never touches the composer itself: the window connects ``load_requested`` and calls
:meth:`LibraryPanel.save_message` for Ctrl+S.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QDropEvent, QKeyEvent, QKeySequence, QShortcut, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import reveal
from inspector.store.library import Library, LibraryError, SavedMessage, load_library
from inspector.store.library.library import Snapshot

from ..common import theme
from ..common.bounded_label import NarrowLabel
from ..common.file_dialogs import AskPath, dialog_ask_path

LIBRARY_FILTER = "Library files (*.json);;All files (*)"

#: Item data roles: the item's kind and, for a message, its (folder, name) key.
KIND_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
FOLDER, MESSAGE = "folder", "message"


class _Change(QUndoCommand):
    """One change of the library, as the states before and after (the file follows)."""

    def __init__(self, panel: LibraryPanel, text: str, before: Snapshot, after: Snapshot) -> None:
        super().__init__(text)
        self._panel = panel
        self._before = before
        self._after = after
        self._first = True

    def redo(self) -> None:
        if self._first:  # already applied and written by LibraryPanel.change
            self._first = False
            return
        self._panel._restore(self._after, self.text())

    def undo(self) -> None:
        self._panel._restore(self._before, f"Undid: {self.text()}")


class LibraryTree(QTreeWidget):
    """The tree; a drop is turned into one library move (never Qt's own item move)."""

    dropped = Signal(list, str, int)  # keys, folder, index in the whole list (-1: at the end)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setAccessibleName("Saved messages")

    def drop_target(self, pos: QPoint) -> tuple[str, QTreeWidgetItem | None, bool]:
        """``(folder, message item to insert before or None, after)`` for a drop at ``pos``."""
        item = self.itemAt(pos)
        if item is None:
            return "", None, True
        rect = self.visualItemRect(item)
        upper = pos.y() < rect.top() + rect.height() / 4
        lower = pos.y() > rect.bottom() - rect.height() / 4
        if item.data(0, KIND_ROLE) == FOLDER:
            folder = item.data(0, KEY_ROLE)[0]
            if upper and item.childCount():
                return folder, item.child(0), False
            return folder, None, True
        folder = item.data(0, KEY_ROLE)[0]
        return folder, item, not upper or lower

    def dropEvent(self, event: QDropEvent) -> None:
        keys = [
            tuple(i.data(0, KEY_ROLE))
            for i in self.selectedItems()
            if i.data(0, KIND_ROLE) == MESSAGE
        ]
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if not keys:
            return
        folder, anchor, after = self.drop_target(event.position().toPoint())
        index = -1
        if anchor is not None:
            index = int(anchor.data(0, Qt.ItemDataRole.UserRole + 3)) + (1 if after else 0)
        # after the drag is over: the move rebuilds the tree, whose items the drag still uses
        QTimer.singleShot(0, lambda: self.dropped.emit(keys, folder, index))


class LibraryPanel(QWidget):
    """Saved messages of one library file, searchable, editable with undo."""

    #: a saved message to load into the current tab's composer.
    load_requested = Signal(object)  # SavedMessage
    #: the open library file changed (the window remembers it).
    library_opened = Signal(object)  # Path
    #: one line for the status bar.
    message = Signal(str)

    def __init__(
        self,
        path: Path,
        *,
        ask_path: AskPath | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ask_path: AskPath = ask_path or dialog_ask_path(self)
        self.library: Library = Library(path=path)
        #: why the library cannot be changed (a parse error, a newer version), or "".
        self.problem = ""
        self.undo_stack = QUndoStack(self)

        self.file_label = NarrowLabel("")
        self.file_label.setAccessibleName("Library file")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_label.setWordWrap(True)
        self.menu_button = QToolButton()
        self.menu_button.setText("Library")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setAccessibleName("Library menu")
        self.menu = QMenu(self)
        self.open_action = self.menu.addAction("Open library file…", self.ask_open)
        self.import_action = self.menu.addAction("Import messages from a file…", self.ask_import)
        self.export_action = self.menu.addAction("Export this library…", self.ask_export)
        self.reload_action = self.menu.addAction("Reload from disk", self.reload)
        self.menu.addSeparator()
        self.folder_action = self.menu.addAction("New folder…", self.new_folder_here)
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.menu.addSeparator()
        self.menu.addAction(self.undo_action)
        self.menu.addAction(self.redo_action)
        self.menu_button.setMenu(self.menu)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search name, event, folder, note")
        self.search_edit.setAccessibleName("Search saved messages")
        self.search_edit.setClearButtonEnabled(True)
        self.tree = LibraryTree()
        self.error_label = NarrowLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName("Library problem")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setVisible(False)
        self.note_label = NarrowLabel("")
        self.note_label.setWordWrap(True)
        self.note_undo = QPushButton("Undo")
        self.note_undo.setToolTip("Undo the last change (Ctrl+Z)")
        self.note_undo.clicked.connect(self.undo_stack.undo)
        self.note_undo.setVisible(False)

        self.load_button = QPushButton("Load")
        self.load_button.setToolTip("Load into the current tab's composer (Enter, double-click)")
        self.rename_button = QPushButton("Rename")
        self.rename_button.setToolTip("Rename (F2)")
        self.duplicate_button = QPushButton("Duplicate")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete (Del); Undo brings it back")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("New folder (drag messages into it)")

        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.menu_button)
        note = QHBoxLayout()
        note.addWidget(self.note_label, 1)
        note.addWidget(self.note_undo)
        buttons = QHBoxLayout()
        for b in (
            self.load_button,
            self.rename_button,
            self.duplicate_button,
            self.delete_button,
            self.folder_button,
        ):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(note)
        layout.addLayout(buttons)

        for keys, slot in (
            (QKeySequence.StandardKey.Undo, self.undo_stack.undo),
            (QKeySequence.StandardKey.Redo, self.undo_stack.redo),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.search_edit.textChanged.connect(lambda _t: self._rebuild())
        self.search_edit.returnPressed.connect(self._load_first_match)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.dropped.connect(self._dropped)
        self.tree.installEventFilter(self)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.load_button.clicked.connect(self.load_selected)
        self.rename_button.clicked.connect(self._rename_selected)
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.folder_button.clicked.connect(self.new_folder_here)
        self._rebuilding = False
        self.open(path)

    # ------------------------------------------------------------------ file

    @property
    def path(self) -> Path | None:
        return self.library.path

    @property
    def writable(self) -> bool:
        return not self.problem

    def open(self, path: Path) -> bool:
        """Show the library at ``path`` (missing: empty, created on the first save). False and
        an error in the panel when it does not parse; that file is then never written."""
        self.undo_stack.clear()
        self._note("")
        try:
            self.library = load_library(path)
            self.problem = self.library.read_only or ""
            ok = True
        except LibraryError as exc:
            self.library = Library(path=path)
            self.problem = f"{exc}. Fix the file (it is not changed here) or open another library."
            ok = False
        self._show_problem()
        self._update_file_label()
        self._rebuild()
        self.library_opened.emit(path)
        return ok

    def reload(self) -> None:
        if self.path is not None:
            self.open(self.path)

    def _update_file_label(self) -> None:
        path = self.path
        shown = str(path) if path is not None else "no file"
        suffix = " (read-only)" if self.library.read_only else ""
        shown = reveal(shown, multiline=False)
        self.file_label.setText(f"{shown}{suffix}")
        self.file_label.setToolTip(f"The open library file: {shown}")

    def _show_problem(self) -> None:
        c = theme.colors()
        colour = c.warning if self.library.read_only else c.error
        self.error_label.setText(
            f"<span style='color:{colour.name()}'>"
            f"{html.escape(reveal(self.problem), quote=False)}</span>"
            if self.problem
            else ""
        )
        self.error_label.setVisible(bool(self.problem))
        self._update_buttons()

    def ask_open(self) -> None:
        if path := self.ask_path("Open library", LIBRARY_FILTER, False):
            self.open(path)

    def ask_export(self) -> None:
        if path := self.ask_path("Export library", LIBRARY_FILTER, True, "library"):
            self.export_to(path)

    def ask_import(self) -> None:
        if path := self.ask_path("Import messages", LIBRARY_FILTER, False):
            self.import_from(path)

    def export_to(self, path: Path) -> bool:
        """Write a copy of this library to ``path`` (this panel keeps its own file)."""
        try:
            copy = Library(
                self.library.messages,
                self.library.folders(),
                extra=self.library.extra,
            )
            copy.save(path)
        except (LibraryError, OSError) as exc:
            self._error(f"Export failed: {exc}")
            return False
        self._note("")  # a red "Export failed" from an earlier try is over (QA)
        self.message.emit(f"Exported {len(copy)} saved messages to {path}")
        return True

    def import_from(self, path: Path) -> bool:
        """Add the messages of the library at ``path``; a name taken in its folder gets
        `` (2)`` (`` (3)``, ...). One undoable change."""
        try:
            other = load_library(path, missing_ok=False)
        except LibraryError as exc:
            self._error(f"Import failed: {exc}")
            return False
        if other.read_only:
            # a newer format opens read-only; importing would drop what it means (QA)
            self._error(
                f"Import failed: {path} has format version {other.version}, made by a newer "
                f"Realtime Inspector: update the inspector to import it."
            )
            return False

        def apply(lib: Library) -> None:
            for folder in other.folders():
                lib.add_folder(folder)
            for m in other.messages:
                name, n = m.name, 2
                while lib.get(m.folder, name) is not None:
                    name, n = f"{m.name} ({n})", n + 1
                lib.add(replace(m, name=name))

        return self.change(f"import {len(other)} messages from {path.name}", apply)

    # ------------------------------------------------------------------ changes

    def change(self, text: str, apply: Callable[[Library], object]) -> bool:
        """Apply one change, write the file, and push it on the undo stack; on any refusal
        the library and the file stay as they were and the panel says why."""
        if self.problem:
            self._error(self.problem)
            return False
        before = self.library.snapshot()
        try:
            apply(self.library)
            self.library.save()
        except (LibraryError, OSError) as exc:
            self.library.restore(before)
            self._error(f"Not saved: {exc}")
            self._rebuild()
            return False
        after = self.library.snapshot()
        self.undo_stack.push(_Change(self, text, before, after))
        self._note(f"{text[:1].upper()}{text[1:]}.", undo=True)
        self._rebuild()
        return True

    def _restore(self, snapshot: Snapshot, text: str) -> None:
        before = self.library.snapshot()
        self.library.restore(snapshot)
        try:
            self.library.save()
        except (LibraryError, OSError) as exc:
            self.library.restore(before)
            self._error(f"Not saved: {exc}")
        else:
            self._note(f"{text[:1].upper()}{text[1:]}.", undo=self.undo_stack.canUndo())
        self._rebuild()

    def save_message(self, message: SavedMessage, *, overwrite: bool = False) -> bool:
        verb = "overwrote" if overwrite else "saved"
        return self.change(
            f"{verb} {message.ref!r}", lambda lib: lib.add(message, overwrite=overwrite)
        )

    def rename(self, key: tuple[str, str], new_name: str) -> bool:
        return self.change(
            f"renamed {key[1]!r} to {new_name!r}", lambda lib: lib.rename(*key, new_name)
        )

    def duplicate(self, key: tuple[str, str]) -> bool:
        return self.change(f"duplicated {key[1]!r}", lambda lib: lib.duplicate(*key))

    def delete(self, keys: list[tuple[str, str]]) -> bool:
        what = repr(keys[0][1]) if len(keys) == 1 else f"{len(keys)} messages"

        def apply(lib: Library) -> None:
            for key in keys:
                lib.remove(*key)

        return self.change(f"deleted {what}", apply)

    def add_folder(self, folder: str) -> bool:
        return self.change(f"new folder {folder!r}", lambda lib: lib.add_folder(folder))

    def rename_folder(self, folder: str, new_name: str) -> bool:
        """Rename a folder; its messages go with it."""
        return self.change(
            f"renamed folder {folder!r} to {new_name!r}",
            lambda lib: lib.rename_folder(folder, new_name),
        )

    def delete_folder(self, folder: str) -> bool:
        """Delete a folder and the messages in it (one undoable change)."""
        inside = [m.key for m in self.library.messages if m.folder == folder]

        def apply(lib: Library) -> None:
            for key in inside:
                lib.remove(*key)
            lib.remove_folder(folder)

        what = f" and its {len(inside)} messages" if inside else ""
        return self.change(f"deleted folder {folder!r}{what}", apply)

    def move_messages(self, keys: list[tuple[str, str]], folder: str, index: int = -1) -> bool:
        """Move ``keys`` (in order) into ``folder`` at ``index`` of the whole list."""

        def apply(lib: Library) -> None:
            at = index
            for key in keys:
                if at >= 0:
                    was = lib.index_of(*key)
                    if 0 <= was < at:
                        at -= 1
                lib.move(key[0], key[1], folder, at)
                if at >= 0:
                    at = lib.index_of(folder, key[1]) + 1

        name = repr(keys[0][1]) if len(keys) == 1 else f"{len(keys)} messages"
        where = f"into {folder!r}" if folder else "to the top level"
        return self.change(f"moved {name} {where}", apply)

    # ------------------------------------------------------------------ tree

    def _rebuild(self) -> None:
        expanded = {item.data(0, KEY_ROLE)[0] for item in self._top_items() if item.isExpanded()}
        first = self.tree.topLevelItemCount() == 0
        selected = {tuple(i.data(0, KEY_ROLE)) for i in self.tree.selectedItems()}
        self._rebuilding = True
        self.tree.clear()
        search = self.search_edit.text()
        style = self.style()
        folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        message_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        folders: dict[str, QTreeWidgetItem] = {}
        for folder in self.library.folders():
            item = QTreeWidgetItem([reveal(folder, multiline=False)])
            item.setIcon(0, folder_icon)
            item.setData(0, KIND_ROLE, FOLDER)
            item.setData(0, KEY_ROLE, [folder, ""])
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDropEnabled
            )
            folders[folder] = item
            self.tree.addTopLevelItem(item)
        for index, m in enumerate(self.library.messages):
            if not m.matches(search):
                continue
            # hidden and direction-changing characters as \uXXXX (docs/gui.md); the stored
            # name stays as it is (KEY_ROLE)
            item = QTreeWidgetItem([reveal(m.name, multiline=False)])
            item.setIcon(0, message_icon)
            item.setData(0, KIND_ROLE, MESSAGE)
            item.setData(0, KEY_ROLE, [m.folder, m.name])
            item.setData(0, Qt.ItemDataRole.UserRole + 3, index)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if self.writable:
                flags |= Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsEditable
            item.setFlags(flags)
            details = [f"event: {m.event}", f"via {m.via.value}"]
            if m.binary:
                details.append(f"binary ({m.encoding})")
            if m.channel:
                details.append(f"saved from channel {m.channel}")
            if m.note:
                details.append(m.note)
            item.setToolTip(0, reveal("\n".join(details)))
            if m.folder:
                folders[m.folder].addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            if (m.folder, m.name) in selected:
                item.setSelected(True)
        for folder, item in folders.items():
            item.setText(0, f"{reveal(folder, multiline=False)}  ({item.childCount()})")
            if search:
                item.setHidden(item.childCount() == 0)
            item.setExpanded(bool(search) or first or folder in expanded)
        self._rebuilding = False
        self._update_buttons()

    def item_of(self, folder: str, name: str) -> QTreeWidgetItem | None:
        for item in self._all_items():
            if item.data(0, KIND_ROLE) == MESSAGE and tuple(item.data(0, KEY_ROLE)) == (
                folder,
                name,
            ):
                return item
        return None

    def folder_item(self, folder: str) -> QTreeWidgetItem | None:
        for item in self._top_items():
            if item.data(0, KIND_ROLE) == FOLDER and item.data(0, KEY_ROLE)[0] == folder:
                return item
        return None

    def visible_names(self) -> list[str]:
        """``folder/name`` of the messages the tree shows, top to bottom (tests, a11y)."""
        return [
            _ref(item)
            for item in self._all_items()
            if item.data(0, KIND_ROLE) == MESSAGE and not _hidden(item)
        ]

    def _top_items(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def _all_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        for top in self._top_items():
            out.append(top)
            children = (top.child(j) for j in range(top.childCount()))
            out.extend(child for child in children if child is not None)
        return out

    def selected_keys(self) -> list[tuple[str, str]]:
        return [
            (item.data(0, KEY_ROLE)[0], item.data(0, KEY_ROLE)[1])
            for item in self.tree.selectedItems()
            if item.data(0, KIND_ROLE) == MESSAGE
        ]

    def select(self, folder: str, name: str) -> None:
        item = self.item_of(folder, name)
        if item is not None:
            self.tree.setCurrentItem(item)

    def selected_folder(self) -> str | None:
        """The folder selected alone (no message selected with it), or None."""
        items = self.tree.selectedItems()
        if len(items) == 1 and items[0].data(0, KIND_ROLE) == FOLDER:
            return str(items[0].data(0, KEY_ROLE)[0])
        return None

    def _update_buttons(self) -> None:
        keys = self.selected_keys()
        one = len(keys) == 1
        folder = self.selected_folder() is not None
        writable = self.writable
        self.load_button.setEnabled(one)
        self.rename_button.setEnabled((one or folder) and writable)
        self.duplicate_button.setEnabled(one and writable)
        self.delete_button.setEnabled((bool(keys) or folder) and writable)
        self.folder_button.setEnabled(writable)
        for action in (self.import_action, self.folder_action):
            action.setEnabled(writable)
        self.export_action.setEnabled(not self.problem or bool(self.library.read_only))

    # ------------------------------------------------------------------ user actions

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, KIND_ROLE) == MESSAGE:
            self._load_key(tuple(item.data(0, KEY_ROLE)))

    def _load_key(self, key: tuple[str, ...]) -> None:
        message = self.library.get(key[0], key[1])
        if message is not None:
            self.load_requested.emit(message)

    def load_selected(self) -> None:
        keys = self.selected_keys()
        if len(keys) == 1:
            self._load_key(keys[0])

    def _load_first_match(self) -> None:
        names = [i for i in self._all_items() if i.data(0, KIND_ROLE) == MESSAGE]
        if len(names) >= 1 and self.search_edit.text():
            self.tree.setCurrentItem(names[0])
            self._load_key(tuple(names[0].data(0, KEY_ROLE)))

    def _rename_selected(self) -> None:
        folder = self.selected_folder()
        if folder is not None:
            name, ok = QInputDialog.getText(self, "Rename folder", "Folder name", text=folder)
            if ok and name.strip() and name.strip() != folder:
                self.rename_folder(folder, name.strip())
            return
        items = [i for i in self.tree.selectedItems() if i.data(0, KIND_ROLE) == MESSAGE]
        if len(items) == 1:
            self.tree.editItem(items[0], 0)

    def _item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._rebuilding or item.data(0, KIND_ROLE) != MESSAGE:
            return
        folder, name = item.data(0, KEY_ROLE)
        new_name = item.text(0).strip()
        if new_name in (name, reveal(name, multiline=False)):
            return
        if not self.rename((folder, name), new_name):
            self._rebuild()
        else:
            self.select(folder, new_name)

    def duplicate_selected(self) -> None:
        keys = self.selected_keys()
        if len(keys) == 1 and self.duplicate(keys[0]):
            at = self.library.index_of(*keys[0])
            copy = self.library.messages[at + 1]
            self.select(copy.folder, copy.name)

    def delete_selected(self) -> None:
        folder = self.selected_folder()
        if folder is not None:
            self.delete_folder(folder)
            return
        keys = self.selected_keys()
        if keys:
            self.delete(keys)

    def new_folder_here(self) -> None:
        name, ok = QInputDialog.getText(self, "New folder", "Folder name")
        if ok and name.strip():
            self.add_folder(name.strip())

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for button in (
            self.load_button,
            self.rename_button,
            self.duplicate_button,
            self.delete_button,
            self.folder_button,
        ):
            action = menu.addAction(button.text(), button.click)
            action.setEnabled(button.isEnabled())
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _dropped(self, keys: list[tuple[str, str]], folder: str, index: int) -> None:
        self.move_messages([tuple(k) for k in keys], folder, index)  # type: ignore[misc]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.tree
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and self.tree.state() != QAbstractItemView.State.EditingState
        ):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.load_selected()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.delete_selected()
                return True
            if event.key() == Qt.Key.Key_F2:
                self._rename_selected()
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ notes

    def _note(self, text: str, *, undo: bool = False) -> None:
        self.note_label.setText(html.escape(reveal(text), quote=False))
        self.note_label.setVisible(bool(text))
        self.note_undo.setVisible(undo and bool(text))
        if text:
            self.message.emit(text)

    def _error(self, text: str) -> None:
        c = theme.colors()
        self.note_label.setText(
            f"<span style='color:{c.error.name()}'>{html.escape(reveal(text), quote=False)}</span>"
        )
        self.note_label.setVisible(True)
        self.note_undo.setVisible(False)
        self.message.emit(text)


def _ref(item: QTreeWidgetItem) -> str:
    folder, name = item.data(0, KEY_ROLE)
    return f"{folder}/{name}" if folder else str(name)


def _hidden(item: QTreeWidgetItem) -> bool:
    parent = item.parent()
    return item.isHidden() or (parent is not None and parent.isHidden())


class LibraryDock(QDockWidget):
    """The Library panel in a dock (View → Library, Ctrl+Shift+B)."""

    def __init__(self, path: Path, parent: QWidget | None = None, **kwargs: object) -> None:
        super().__init__("Library", parent)
        self.setObjectName("library_dock")
        self.panel = LibraryPanel(path, **kwargs)  # type: ignore[arg-type]
        self.setWidget(self.panel)
        action = self.toggleViewAction()
        action.setText("&Library")
        action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        action.setToolTip("Saved messages: load into the composer, save with Ctrl+S")

    @classmethod
    def install(cls, window: QMainWindow, path: Path, menu: QMenu, **kwargs: object) -> LibraryDock:
        """Create the dock on the left of ``window``, hidden, with its toggle in ``menu``."""
        dock = cls(path, window, **kwargs)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        dock.hide()
        menu.addAction(dock.toggleViewAction())
        window.addAction(dock.toggleViewAction())
        return dock
