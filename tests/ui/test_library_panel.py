"""The Library panel (issue #11 item 1): search, load with Enter/double-click, rename,
duplicate, delete + undo, folders and drag to reorder, import/export, a corrupt file shown as
an error and never overwritten; in the real window: load into the composer, Ctrl+S, and a send
whose row holds what was sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import until
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, Profile, TabState, Transport
from inspector.store.library import Library, SavedMessage, load_library
from inspector.ui.controller import InspectorController
from inspector.ui.library.library_panel import LibraryPanel
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _write(path: Path) -> Path:
    lib = Library(folders=["chat", "ops"])
    lib.add(SavedMessage("hello", "message", '{"n": "{{seq}}"}', folder="chat", note="greets"))
    lib.add(SavedMessage("bye", "message", '{"bye": true}', folder="chat", ack=True))
    lib.add(SavedMessage("restart", "ops.restart", "{}", folder="ops", via=Transport.REST))
    lib.add(SavedMessage("ping", "ping", "{}", channel="room-9"))
    lib.save(path)
    return path


def make(qtbot: Any, path: Path, **kwargs: Any) -> LibraryPanel:
    panel = LibraryPanel(path, **kwargs)
    qtbot.addWidget(panel)
    panel.resize(360, 480)
    panel.show()
    return panel


def test_search_by_name_event_folder_note(qtbot: Any, tmp_path: Path) -> None:
    panel = make(qtbot, _write(tmp_path / "lib.json"))
    assert panel.visible_names() == ["chat/hello", "chat/bye", "ops/restart", "ping"]
    assert str(tmp_path / "lib.json") in panel.file_label.text()
    for text, expected in (
        ("hel", ["chat/hello"]),
        ("ops.rest", ["ops/restart"]),  # event
        ("CHAT", ["chat/hello", "chat/bye"]),  # folder, any case
        ("greets", ["chat/hello"]),  # note
        ("nothing", []),
    ):
        panel.search_edit.setText(text)
        assert panel.visible_names() == expected, text
    panel.search_edit.setText("")
    assert len(panel.visible_names()) == 4
    loaded: list[SavedMessage] = []
    panel.load_requested.connect(loaded.append)
    panel.search_edit.setText("ops.")
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)  # Enter loads the first match
    assert [m.ref for m in loaded] == ["ops/restart"]


def test_enter_and_double_click_load(qtbot: Any, tmp_path: Path) -> None:
    panel = make(qtbot, _write(tmp_path / "lib.json"))
    loaded: list[SavedMessage] = []
    panel.load_requested.connect(loaded.append)
    item = panel.item_of("chat", "bye")
    assert item is not None
    panel.tree.setCurrentItem(item)
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Return)
    assert [m.ref for m in loaded] == ["chat/bye"]
    item = panel.item_of("", "ping")
    assert item is not None
    rect = panel.tree.visualItemRect(item)
    # a real double-click is press, release, double-click, release
    qtbot.mousePress(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseRelease(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert [m.ref for m in loaded] == ["chat/bye", "ping"]
    assert loaded[1].channel == "room-9"


def test_rename_duplicate_delete_undo_write_the_file(qtbot: Any, tmp_path: Path) -> None:
    path = _write(tmp_path / "lib.json")
    panel = make(qtbot, path)
    original = path.read_text()
    # rename in place (F2 edits the item; the edit commits through itemChanged)
    item = panel.item_of("chat", "hello")
    assert item is not None
    item.setText(0, "hello there")
    assert load_library(path).get("chat", "hello there") is not None
    # duplicate
    panel.select("chat", "hello there")
    panel.duplicate_button.click()
    assert [m.name for m in load_library(path).messages][:3] == [
        "hello there",
        "hello there (copy)",
        "bye",
    ]
    # delete with the Delete key, then Undo from the note's button
    panel.select("chat", "bye")
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    assert load_library(path).get("chat", "bye") is None
    assert "Deleted 'bye'" in panel.note_label.text()
    assert panel.note_undo.isVisibleTo(panel)
    panel.note_undo.click()
    assert load_library(path).get("chat", "bye") is not None
    # undo all the way back: the file is what it was
    while panel.undo_stack.canUndo():
        panel.undo_stack.undo()
    assert path.read_text() == original
    panel.undo_stack.redo()
    assert load_library(path).get("chat", "hello there") is not None
    # a clash is refused with a message, nothing changes
    before = path.read_text()
    assert not panel.rename(("chat", "hello there"), "bye")
    assert "already exists" in panel.note_label.text()
    assert path.read_text() == before


def _drop(qtbot: Any, panel: LibraryPanel, pos: QPoint) -> None:
    """A drop at ``pos`` of the selected messages; waits for the move it makes."""
    changes = panel.undo_stack.index()
    event = QDropEvent(
        QPointF(pos),
        Qt.DropAction.MoveAction,
        QMimeData(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.tree.dropEvent(event)
    qtbot.waitUntil(lambda: panel.undo_stack.index() > changes, timeout=2000)


def test_folders_and_drag_to_reorder(qtbot: Any, tmp_path: Path) -> None:
    path = _write(tmp_path / "lib.json")
    panel = make(qtbot, path)
    # drag "ping" onto the "ops" folder: it moves into it
    panel.select("", "ping")
    folder = panel.folder_item("ops")
    assert folder is not None
    _drop(qtbot, panel, panel.tree.visualItemRect(folder).center())
    assert load_library(path).get("ops", "ping") is not None
    assert panel.visible_names() == ["chat/hello", "chat/bye", "ops/restart", "ops/ping"]
    # drag "bye" above "hello" (upper edge of its row): reordered inside the folder
    panel.select("chat", "bye")
    hello = panel.item_of("chat", "hello")
    assert hello is not None
    rect = panel.tree.visualItemRect(hello)
    _drop(qtbot, panel, QPoint(rect.center().x(), rect.top() + 1))
    assert [m.ref for m in load_library(path).messages] == [
        "chat/bye",
        "chat/hello",
        "ops/restart",
        "ops/ping",
    ]
    panel.undo_stack.undo()
    assert [m.ref for m in load_library(path).messages][:2] == ["chat/hello", "chat/bye"]
    # a new (empty) folder is kept in the file
    assert panel.add_folder("later")
    assert "later" in json.loads(path.read_text())["folders"]
    # rename a folder: its messages go with it; delete a folder with its messages, then undo
    assert panel.rename_folder("ops", "operations")
    assert load_library(path).get("operations", "restart") is not None
    folder = panel.folder_item("operations")
    assert folder is not None
    panel.tree.setCurrentItem(folder)
    assert panel.selected_folder() == "operations"
    panel.delete_button.click()
    lib = load_library(path)
    assert "operations" not in lib.folders()
    assert lib.get("operations", "restart") is None
    assert "Deleted folder 'operations' and its 2 messages" in panel.note_label.text()
    panel.note_undo.click()
    assert load_library(path).get("operations", "ping") is not None


def test_import_and_export(qtbot: Any, tmp_path: Path) -> None:
    path = _write(tmp_path / "lib.json")
    other = Library(folders=["team"])
    other.add(SavedMessage("hello", "x", folder="chat"))  # taken: imported as "hello (2)"
    other.add(SavedMessage("deploy", "d", folder="team"))
    other.save(tmp_path / "team.json")
    asked: list[tuple[str, bool]] = []
    answers = iter([tmp_path / "team.json", tmp_path / "out" / "export.json"])

    def ask(title: str, _filter: str, save: bool, _suggested: str = "") -> Path | None:
        asked.append((title, save))
        return next(answers)

    panel = make(qtbot, path, ask_path=ask)
    panel.import_action.trigger()
    lib = load_library(path)
    assert lib.get("chat", "hello (2)") is not None
    assert lib.get("team", "deploy") is not None
    panel.export_action.trigger()
    exported = load_library(tmp_path / "out" / "export.json")
    assert [m.ref for m in exported.messages] == [m.ref for m in lib.messages]
    assert panel.path == path  # export writes a copy; the panel keeps its file
    assert asked == [("Import messages", False), ("Export library", True)]
    panel.undo_stack.undo()  # the import is one change
    assert load_library(path).get("team", "deploy") is None


def test_corrupt_library_shows_error_and_is_never_overwritten(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    bad = '{\n  "version": 1,\n  "messages": [\n    {"name": "a" "event": "e"}\n  ]\n}\n'
    path.write_text(bad)
    panel = make(qtbot, path)
    assert panel.error_label.isVisibleTo(panel)
    assert "line 4, column 18" in panel.error_label.text()
    assert not panel.save_message(SavedMessage("x", "e"))
    assert not panel.add_folder("f")
    assert not panel.folder_button.isEnabled()
    assert path.read_text() == bad
    # a file changed on disk since it was read (a git pull) is not overwritten: Reload
    path.write_text(json.dumps({"version": 1, "messages": []}))
    assert panel.open(path)
    path.write_text(json.dumps({"version": 1, "messages": [{"name": "theirs", "event": "e"}]}))
    theirs = path.read_text()
    assert not panel.save_message(SavedMessage("mine", "e"))
    assert "changed on disk" in panel.note_label.text()
    assert path.read_text() == theirs
    panel.reload_action.trigger()
    assert panel.save_message(SavedMessage("mine", "e"))
    assert [m.name for m in load_library(path).messages] == ["theirs", "mine"]
    # a newer format opens read-only: shown, loadable, never written
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"version": 99, "messages": [{"name": "n", "event": "e"}]}))
    text = newer.read_text()
    assert panel.open(newer)
    assert "read-only" in panel.file_label.text()
    assert panel.visible_names() == ["n"]
    assert not panel.save_message(SavedMessage("x", "e"))
    assert newer.read_text() == text


# ------------------------------------------------------------------------------ in the window


async def _connect(window: MainWindow, server: RealtimeServer, name: str) -> None:
    controller = window.controller
    assert isinstance(controller, InspectorController)
    window.add_session_profile(Profile("x", "Local", server.url), server.anon_key)
    window.connect_current()
    window.join(ChannelOptions(name))
    await until(lambda: controller.channels[name].status.state is TabState.JOINED, what="joined")


async def test_window_load_send_and_save(window: MainWindow, server: RealtimeServer) -> None:
    library = window.library_dock.panel
    assert library.path is not None
    _write(library.path)
    library.reload()
    await _connect(window, server, "room-1")
    window.library_dock.show()
    panel = window.panels["room-1"]
    composer = panel.composer
    # Enter on a saved message loads it into the current tab's composer
    library.select("chat", "hello")
    library.tree.setFocus()
    library.load_selected()
    assert composer.event_edit.text() == "message"
    assert composer.payload_edit.toPlainText() == '{"n": "{{seq}}"}'
    assert composer.preview_label.text() == 'Next send: message  {"n":1}'
    # the send's row holds what was sent; the detail pane shows the template too
    log = window.controller.channels["room-1"].log
    composer.send_button.click()
    await until(lambda: any(r.send is not None for r in log), what="the sent row")
    row = next(r for r in log if r.send is not None)
    assert row.payload == b'{"n":1}'
    assert row.send is not None
    assert row.send.template_payload == '{"n": "{{seq}}"}'
    panel.detail.show_record(row)
    assert 'Payload typed: {"n": "{{seq}}"}' in panel.detail.template_label.text()
    # a saved channel other than the tab's is a note; the message loads into this tab
    library.select("", "ping")
    library.load_selected()
    assert "saved for channel “room-9”" in panel.notice_label.text()
    # a saved ack/self applies to the tab as the checkboxes do (a rejoin with ack on)
    library.select("chat", "bye")
    library.load_selected()
    controller = window.controller
    await until(lambda: controller.channels["room-1"].options.ack, what="ack on")
    await until(
        lambda: controller.channels["room-1"].status.state is TabState.JOINED, what="rejoined"
    )
    assert composer.ack_check.isChecked()
    library.select("", "ping")
    library.load_selected()
    # Ctrl+S: save the composer; the loaded message's name is offered for overwrite
    composer.payload_edit.setPlainText('{"changed": 1}')
    dialog = window.save_to_library()
    assert dialog is not None
    assert dialog.name == "ping"
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.text() == "Overwrite"
    dialog.name_edit.setText("pong")
    dialog.folder_combo.setCurrentText("new folder")
    assert ok.text() == "Save"
    ok.click()
    saved = load_library(library.path).get("new folder", "pong")
    assert saved is not None
    assert saved.payload == '{"changed": 1}'
    assert saved.channel == "room-1"
    # Ctrl+S typed in the composer's editor reaches the same dialog
    window.save_dialog = None
    composer.payload_edit.setFocus()
    QTest.keyClick(composer.payload_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.save_dialog is not None
    window.save_dialog.reject()


async def test_screenshots(window: MainWindow, server: RealtimeServer) -> None:
    """docs/screenshots/library.png (the dock with folders, a message loaded with its preview)
    and composer-preview.png / composer-template-error.png (UPDATE_SCREENSHOTS=1)."""
    from gui_helpers import save_screenshot

    library = window.library_dock.panel
    assert library.path is not None
    lib = Library(folders=["chat", "load tests", "ops"])
    lib.add(
        SavedMessage(
            "hello",
            "message",
            '{\n  "seq": "{{seq}}",\n  "at": "{{now}}",\n  "from": "{{claims.sub}}",\n'
            '  "text": "hello from {{env.USER}}"\n}',
            folder="chat",
            note="greets the room with a counter",
        )
    )
    lib.add(SavedMessage("typing", "typing", '{"user": "ann"}', folder="chat"))
    lib.add(
        SavedMessage(
            "burst item",
            "load",
            '{"n": "{{seq}}", "id": "{{uuid}}"}',
            folder="load tests",
            ack=True,
        )
    )
    lib.add(
        SavedMessage(
            "restart", "ops.restart", '{"service": "api"}', folder="ops", via=Transport.REST
        )
    )
    lib.add(SavedMessage("raw bytes", "blob", "de ad be ef", binary=True, encoding="hex"))
    lib.add(SavedMessage("ping", "ping", "{}", channel="room-9"))
    lib.save(library.path)
    library.reload()
    window.resize(1280, 800)
    await _connect(window, server, "room-1")
    window.library_dock.show()
    panel = window.panels["room-1"]
    panel.composer.set_variables_source(
        lambda: {"sub": "7c1e-user", "role": "authenticated"}, env={"USER": "ann"}
    )
    library.select("chat", "hello")
    library.load_selected()
    await until(lambda: panel.composer.preview_label.isVisible(), what="the preview")
    save_screenshot(window, "library")
    save_screenshot(panel.composer, "composer-preview")
    panel.composer.payload_edit.setPlainText(
        '{\n  "seq": "{{seq}}",\n  "who": "{{claims.email}}"\n}'
    )
    panel.composer.refresh_preview()
    save_screenshot(panel.composer, "composer-template-error")


def test_hidden_characters_in_names_are_shown_as_escapes(qtbot: Any, tmp_path: Path) -> None:
    """QA: a saved name ``שלום\\u202eabc`` read ``cbaשלום`` in the tree. The tree, its tooltip
    and the notes show ``\\u202e``; the stored name stays as it is."""
    path = tmp_path / "lib.json"
    lib = Library(folders=["f\u200bx"])
    lib.add(SavedMessage("שלום\u202eabc", "ev\u202e", "{}", note="n\u2066"))
    lib.add(SavedMessage("in", "e", "{}", folder="f\u200bx"))
    lib.save(path)
    panel = make(qtbot, path)
    item = panel.tree.topLevelItem(1)
    assert item is not None
    assert item.text(0) == "שלום\\u202eabc"
    assert "event: ev\\u202e" in item.toolTip(0)
    assert "n\\u2066" in item.toolTip(0)
    folder = panel.tree.topLevelItem(0)
    assert folder is not None
    assert folder.text(0) == "f\\u200bx  (1)"
    # an inline edit that does not change the shown text keeps the stored name
    item.setText(0, item.text(0))
    assert load_library(path).messages[0].name == "שלום\u202eabc"
    panel.select("", "שלום\u202eabc")
    panel.delete_selected()
    assert "\\u202e" in panel.note_label.text()
    assert "\u202e" not in panel.note_label.text()


def test_empty_event_loads_with_send_off_and_cannot_be_saved(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: ``"event": ""`` in a library file. Loading it fills the composer, whose empty-event
    check keeps Send off; saving a composer without an event is refused in the dialog (``send
    --saved`` refuses such a message, as ``--event ''``)."""
    from gui_fakes import FakeController

    path = tmp_path / "lib.json"
    lib = Library()
    lib.add(SavedMessage("j1", "", '{"a": 1}'))
    lib.save(path)
    monkeypatch.setenv("RI_LIBRARY", str(path))
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.show()
    window.controller.join(ChannelOptions("room"))
    composer = window.panels["room"].composer
    library = window.library_dock.panel
    library.select("", "j1")
    library.load_selected()
    assert composer.payload_edit.toPlainText() == '{"a": 1}'
    assert not composer.send_button.isEnabled()
    assert "Enter an event name" in composer.hint_label.text()
    dialog = window.save_to_library()
    assert dialog is not None
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    assert "no event name" in dialog.problem.text()
    dialog.reject()
    composer.event_edit.setText("e")
    dialog = window.save_to_library()
    assert dialog is not None
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.reject()


def test_import_of_a_newer_version_is_refused_and_export_errors_clear(
    qtbot: Any, tmp_path: Path
) -> None:
    """QA: importing a ``"version": 99`` file was accepted silently (opening it is read-only);
    a red "Export failed" stayed after a later export worked."""
    path = _write(tmp_path / "lib.json")
    before = path.read_text()
    newer = tmp_path / "v99.json"
    newer.write_text(json.dumps({"version": 99, "messages": [{"name": "n", "event": "e"}]}))
    panel = make(qtbot, path)
    assert not panel.import_from(newer)
    assert "format version 99" in panel.note_label.text()
    assert "Import failed" in panel.note_label.text()
    assert path.read_text() == before
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert not panel.export_to(blocker / "export.json")  # a file where a folder should be
    assert "Export failed" in panel.note_label.text()
    assert panel.export_to(tmp_path / "export.json")
    assert "Export failed" not in panel.note_label.text()
    assert not panel.note_label.isVisibleTo(panel)
