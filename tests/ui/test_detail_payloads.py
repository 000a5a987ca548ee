"""The detail pane's payload views, the JSON tree, copy-as and the composer's binary input,
driven without a network (the real server and realtime-js: test_payloads_live.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from gui_fakes import FakeController
from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QGuiApplication

from inspector.protocol import jwt
from inspector.store import (
    ChannelOptions,
    Direction,
    MessageRecord,
    PayloadFormat,
    Profile,
    ProfileBook,
    system_record,
)
from inspector.store.messages.copy_commands import CommandTarget
from inspector.store.messages.payload_views import TEXT_CHUNK
from inspector.ui.composer.binary_input import SHOW_LIMIT
from inspector.ui.composer.composer_panel import BINARY_NEEDS_V2, ComposerPanel
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.json_tree import BATCH, JsonTreeModel
from inspector.ui.messages.message_detail_panel import MessageDetailPanel, describe_meta
from inspector.ui.messages.payload_views import BASE64, PRIMARY, TREE, UTF8
from inspector.ui.profiles.secrets import API_KEY, SecretStore
from inspector.ui.settings import AppSettings

pytestmark = pytest.mark.gui

KEY = jwt.demo_key("anon")


def rec(payload: bytes, binary: bool = False, **kw: Any) -> MessageRecord:
    return MessageRecord(
        time=1_700_000_000.0,
        direction=kw.pop("direction", Direction.IN),
        event=kw.pop("event", "e"),
        payload=payload,
        format=PayloadFormat.BINARY if binary else PayloadFormat.JSON,
        **kw,
    )


def detail(qtbot: Any) -> MessageDetailPanel:
    panel = MessageDetailPanel("room-1")
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    return panel


def test_json_tree_model_passes_qtmodeltester_and_loads_in_batches(qtmodeltester: Any) -> None:
    value = {"a": [1, {"b": None, "c": "x" * 500}], "big": list(range(BATCH * 2 + 7)), "t": True}
    qtmodeltester.check(JsonTreeModel(value), force_py=True)
    model = JsonTreeModel(value)
    assert model.rowCount() == 3
    big = model.index(1, 0)
    assert model.data(big) == "big"
    assert model.data(model.index(1, 1)) == f"[{BATCH * 2 + 7:,} items]"
    assert model.rowCount(big) == 0  # nothing made before it is expanded
    assert model.canFetchMore(big)
    model.fetchMore(big)
    assert model.rowCount(big) == BATCH
    model.fetchMore(big)
    model.fetchMore(big)
    assert model.rowCount(big) == BATCH * 2 + 7
    assert not model.canFetchMore(big)
    a = model.index(0, 0)
    model.fetchMore(a)
    inner = model.index(1, 0, a)
    model.fetchMore(inner)
    c = model.index(1, 0, inner)
    assert model.node_path(c) == "$.a[1].c"
    assert model.data(model.index(1, 1, inner)).endswith('…" (500 chars)')
    scalar = JsonTreeModel("just text")
    assert scalar.rowCount() == 1
    assert scalar.data(scalar.index(0, 1)) == '"just text"'
    assert scalar.node_path(scalar.index(0, 0)) == "$"


def test_binary_payload_views(qtbot: Any) -> None:
    panel = detail(qtbot)
    data = b'{"k": "v\xc3\xa9"}'
    panel.show_record(rec(data, binary=True))
    views = panel.views
    assert views.tabText(PRIMARY) == "Hex"
    assert all(views.isTabVisible(i) for i in (BASE64, UTF8, TREE))
    assert panel.text.toPlainText().startswith("00000000  7b 22 6b 22 3a 20 22 76  c3 a9 22 7d")
    assert "12 bytes binary" in panel.subtitle.text()
    # Not formatted until shown.
    assert views.base64_page.text.toPlainText() == ""
    views.setCurrentIndex(BASE64)
    assert base64.b64decode(views.base64_page.text.toPlainText()) == data
    views.setCurrentIndex(UTF8)
    assert views.utf8_page.note.text() == "Valid UTF-8 and valid JSON (see also Tree):"
    assert json.loads(views.utf8_page.text.toPlainText()) == {"k": "vé"}
    views.setCurrentIndex(TREE)
    assert views.tree.tree_model.data(views.tree.tree_model.index(0, 1)) == '"vé"'
    # The chosen tab stays for the next binary record; invalid UTF-8 says where.
    panel.show_record(rec(b"ok\xff\x00", binary=True))
    assert views.currentIndex() == TREE
    assert "No tree: the payload is not UTF-8: byte 0xff at offset 2" in views.tree_note.text()
    views.setCurrentIndex(UTF8)
    assert views.utf8_page.note.text().startswith("Not text: byte 0xff at offset 2")
    # A JSON record hides the binary-only tabs and falls back to its first view.
    views.setCurrentIndex(BASE64)
    panel.show_record(rec(b'{"n":1}'))
    assert views.currentIndex() == PRIMARY
    assert views.tabText(PRIMARY) == "JSON"
    assert not views.isTabVisible(BASE64)
    assert panel.text.toPlainText() == '{\n  "n": 1\n}'


def test_large_payloads_format_a_piece_at_a_time(qtbot: Any) -> None:
    panel = detail(qtbot)
    value = {"rows": [{"i": i, "text": "lorem ipsum " * 4} for i in range(30_000)]}
    payload = json.dumps(value).encode()
    assert len(payload) > 1_500_000
    panel.show_record(rec(payload))
    page = panel.views.primary
    assert len(page.text.toPlainText()) == TEXT_CHUNK
    assert page.more_bar.isVisibleTo(panel)
    assert page.more_label.text() == f"Showing the first {TEXT_CHUNK:,} characters."
    assert panel.views.highlighter.document() is None  # no regex pass over megabytes
    page.show_more()
    assert len(page.text.toPlainText()) == 2 * TEXT_CHUNK
    expected = json.dumps(value, indent=2, ensure_ascii=False)
    assert page.text.toPlainText() == expected[: 2 * TEXT_CHUNK]
    panel.views.setCurrentIndex(TREE)
    tree = panel.views.tree.tree_model
    rows = tree.index(0, 0)
    made = tree.rowCount(rows)
    assert made < 30_000  # the view fetches a batch at a time as it needs rows
    assert made % BATCH == 0
    blob = bytes(range(256)) * 8192  # 2 MiB
    panel.show_record(rec(blob, binary=True))
    assert panel.views.currentIndex() == TREE
    panel.views.setCurrentIndex(PRIMARY)
    lines = panel.text.toPlainText().splitlines()
    assert len(lines) == 64 * 1024 // 16
    assert page.more_label.text().endswith("of 2.0 MiB.")


def test_views_with_a_long_line_do_not_wrap_it(qtbot: Any) -> None:
    """QA 2, in the detail pane: a JSON string value of 300,000 characters is one long line
    in the pretty view (as is base64); wrapping it would freeze the window like the composer
    did. Short payloads still wrap; the hexdump never does."""
    panel = detail(qtbot)
    page = panel.views.primary
    no_wrap = page.text.LineWrapMode.NoWrap
    panel.show_record(rec(json.dumps({"s": "x" * 300_000}).encode()))
    assert page.text.lineWrapMode() == no_wrap
    panel.show_record(rec(b'{"n":1}'))
    assert page.text.lineWrapMode() == page.text.LineWrapMode.WidgetWidth
    panel.show_record(rec(b"\x00\x01", binary=True))
    assert page.text.toPlainText().startswith("00000000  00 01")
    assert page.text.lineWrapMode() == no_wrap
    panel.views.setCurrentIndex(UTF8)
    panel.show_record(rec(b"y" * 300_000, binary=True))  # valid UTF-8, one line
    assert panel.views.utf8_page.text.lineWrapMode() == no_wrap


def test_deeply_nested_payload_is_not_called_not_json(qtbot: Any) -> None:
    """QA 13 in the detail pane: too deep to parse is said as such, not "not JSON"."""
    panel = detail(qtbot)
    panel.show_record(rec(b'{"a":' * 5000 + b"1" + b"}" * 5000))
    note = panel.views.primary.note.text()
    assert "nested too deeply to parse here" in note
    assert "not JSON" not in note
    assert panel.text.toPlainText().startswith('{"a":{"a":')


def test_meta_is_spelled_out(qtbot: Any) -> None:
    panel = detail(qtbot)
    meta = b'{"replayed":true,"id":"1a2b"}'
    panel.show_record(rec(b"{}", meta=meta))
    assert panel.meta_label.isVisibleTo(panel)
    assert panel.meta_label.text().startswith("meta · id 1a2b · replayed: sent again")
    assert describe_meta({"id": "x", "persist": 1}) == 'meta · id x · {"persist": 1}'
    panel.show_record(rec(b"{}"))
    assert not panel.meta_label.isVisibleTo(panel)


def test_copy_as_commands_from_the_detail_pane(qtbot: Any) -> None:
    panel = detail(qtbot)
    panel.show_record(rec(b'{"n": 1}'))
    assert not panel.copy_as_button.isEnabled()  # no live profile behind this pane
    panel.set_command_target(lambda: CommandTarget("http://127.0.0.1:54321", "room-1", ack=True))
    assert panel.copy_as_button.isEnabled()
    copied: list[str] = []
    panel.copied.connect(copied.append)
    cli = panel.copy_cli()
    assert cli is not None
    assert QGuiApplication.clipboard().text() == cli
    assert "--payload '{\"n\":1}'" in cli
    assert "--ack" in cli
    curl = panel.copy_curl()
    assert curl is not None
    assert "/realtime/v1/api/broadcast/room-1/events/e" in curl
    assert copied[0] == "CLI command (reads the key from $SUPABASE_PUBLISHABLE_KEY)"
    panel.show_record(system_record(1.0, "joined", {"channel": "room-1"}))
    assert not panel.copy_as_button.isEnabled()
    assert panel.copy_cli() is None


def test_composer_binary_input_sends_bytes(qtbot: Any, tmp_path: Path) -> None:
    composer = ComposerPanel()
    qtbot.addWidget(composer)
    composer.show()
    sent: list[Any] = []
    composer.send_requested.connect(sent.append)
    composer.event_edit.setText("blob")
    composer.set_binary(True)
    assert composer.payload_stack.currentWidget() is composer.binary_input
    composer.binary_input.edit.setPlainText("de ad be e")
    assert not composer.send_button.isEnabled()
    assert composer.binary_input.status.text() == (
        "Invalid hex: odd number of hex digits (each byte is two)"
    )
    composer.binary_input.edit.setPlainText("0xde 0xad be:ef")
    assert composer.binary_input.status.text() == "4 bytes"
    composer.binary_input.set_format("base64")
    assert composer.binary_input.edit.toPlainText() == "3q2+7w=="
    composer.send_button.click()
    assert sent[-1].binary
    assert sent[-1].payload == b"\xde\xad\xbe\xef"
    # A big file is sent as it is, without filling the field.
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x01" * (SHOW_LIMIT + 1))
    assert composer.binary_input.load_file(path) is None
    assert composer.binary_input.edit.isReadOnly()
    assert composer.binary_input.status.text() == f"{SHOW_LIMIT + 1:,} bytes from blob.bin"
    composer.submit()
    assert sent[-1].payload == path.read_bytes()
    composer.binary_input.clear_file()
    assert composer.binary_input.edit.toPlainText() == ""
    # Protocol 1.0.0: Binary is disabled and says why; the composer falls back to JSON.
    composer.set_protocol("1.0.0")
    assert not composer.binary
    assert composer.kind_combo.toolTip() == BINARY_NEEDS_V2
    composer.set_binary(True)
    assert not composer.binary
    composer.set_protocol("2.0.0")
    composer.set_binary(True)
    assert composer.binary


def test_window_wires_protocol_and_copy_target(qtbot: Any) -> None:
    settings = AppSettings()
    settings.save_profiles(
        ProfileBook(
            [
                Profile("p1", "Local", f"http://127.0.0.1:54321/?apikey={KEY}"),
                Profile("p2", "Old", "http://127.0.0.1:54321", vsn="1.0.0"),
            ]
        )
    )
    settings.set_last_profile_id("p1")
    SecretStore(settings.directory()).set("p1", API_KEY, KEY)
    SecretStore(settings.directory()).set("p2", API_KEY, KEY)
    session = FakeController()
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    window.connect_current()
    window.join(ChannelOptions("c", broadcast_self=True))
    panel = window.panels["c"]
    assert panel.presence_button.isVisible()
    session.push("c", "e", {"n": 1})
    panel.model.flush()
    panel.select_last()
    cli = panel.detail.copy_cli()
    assert cli is not None
    assert KEY not in cli
    assert "--self" in cli
    assert panel.composer.binary_allowed
    window.controller.close_connection()
    window.select_profile("p2")
    assert not panel.composer.binary_allowed  # the selected profile speaks 1.0.0
    assert panel.detail.copy_cli() is not None
    assert "--vsn 1" in (panel.detail.copy_cli() or "")
    assert window.panels["c"].model.index(0, 0) != QModelIndex()
