"""HAR import in the window and files dropped on it (issue #15 items 1 and 10): a Chrome capture
of real traffic (tests/fixtures/har/) opens a read-only tab per Realtime channel and one for its
frames, secrets redacted; NDJSON and HAR files dropped on the window open the same way, other
files get a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gui_helpers import WindowOptions, save_screenshot, until
from har_capture import CHROME, FAKE_JWT, FIREFOX, FIXTURES
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from inspector.store import Direction, PayloadFormat
from inspector.ui.channels.imported_panel import ImportedChannelPanel, ImportedFramesPanel
from inspector.ui.main_window import MainWindow
from inspector.ui.transfer.transfer import dropped_kind

pytestmark = pytest.mark.gui


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1100, 640))


def channel_tabs(window: MainWindow) -> dict[str, ImportedChannelPanel]:
    return {w.name: w for w in window.tabs.imported if isinstance(w, ImportedChannelPanel)}


def frame_tabs(window: MainWindow) -> list[ImportedFramesPanel]:
    return [w for w in window.tabs.imported if isinstance(w, ImportedFramesPanel)]


def drop(window: MainWindow, *paths: Path | str) -> bool:
    """Drag ``paths`` over the window and drop them, as a file manager does (Qt delivers a
    drop only to a widget that accepted the drag entering it)."""
    mime = QMimeData()
    mime.setUrls([QUrl(p) if isinstance(p, str) else QUrl.fromLocalFile(str(p)) for p in paths])
    at = QPointF(window.rect().center())
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window refused the drag"
    event = QDropEvent(
        at,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)
    return event.isAccepted()


async def test_import_har_opens_channel_tabs_and_frames(window: MainWindow) -> None:
    messages: list[str] = []
    window.transfer.done.connect(lambda _ok, text: messages.append(text))
    assert window.transfer.import_har_action in window.file_menu.actions()
    job = window.transfer.import_har(FIXTURES / CHROME)
    await until(lambda: not job.running, what="HAR imported")
    assert job.ok, job.message
    tabs = channel_tabs(window)
    assert list(tabs) == ["room-1", "lobby", "audit"]
    room = list(tabs["room-1"].channel.log)
    blob = next(r for r in room if r.event == "blob" and r.direction is Direction.IN)
    assert blob.format is PayloadFormat.BINARY
    db = next(r for r in room if r.event == "db-insert")
    assert json.loads(db.meta or b"null") == {"id": "8e3f1c52-6b0a-4a57-9a33-5d2f0c1e7b10"}
    refused = next(iter(tabs["audit"].channel.log))
    assert b"Replay is not allowed for public channels" in refused.payload
    (frames,) = frame_tabs(window)
    shown = "".join(
        str(frames.frames.model.data(frames.frames.model.index(row, col)))
        for row in range(frames.frames.model.rowCount())
        for col in range(frames.frames.model.columnCount())
    )
    assert "realtime:room-1" in shown
    assert FAKE_JWT.split(".")[1] not in shown
    assert "Imported HAR: 3 tab(s)" in messages[-1]
    window.tabs.setCurrentWidget(tabs["room-1"])
    tabs["room-1"].table.selectRow(room.index(db))  # meta.id in the detail pane
    save_screenshot(window, "har-import")
    # the frames tab: a v2 kind-4 frame that the browser showed as opaque bytes, decoded
    window.tabs.setCurrentWidget(frames)
    kinds = [frames.frames.log[row].opcode for row in range(len(frames.frames.log))]
    frames.frames.table.selectRow(kinds.index("binary") + 1)
    save_screenshot(window, "har-import-frames")


async def test_a_har_without_realtime_says_so(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "page.har"
    path.write_text(json.dumps({"log": {"entries": []}}))
    job = window.transfer.import_har(path)
    await until(lambda: not job.running, what="refused")
    assert job.ok is False
    assert "no Realtime websocket" in job.message
    assert channel_tabs(window) == {}


async def test_dropped_files_open_by_kind(window: MainWindow, tmp_path: Path) -> None:
    ndjson = tmp_path / "export.ndjson"
    row = {"channel": "from-ndjson", "time": 1.0, "direction": "in", "event": "e", "payload": {}}
    ndjson.write_text(json.dumps(row) + "\n")
    picture = tmp_path / "screenshot.png"
    picture.write_bytes(b"\x89PNG\r\n")
    messages: list[tuple[bool, str]] = []
    window.transfer.done.connect(lambda ok, text: messages.append((ok, text)))
    assert drop(window, FIXTURES / FIREFOX, ndjson, picture, "https://example.com/a.har")
    await until(lambda: len(messages) >= 4, what="three files and a link handled")
    assert set(channel_tabs(window)) == {"room-1", "lobby", "audit", "from-ndjson"}
    assert len(frame_tabs(window)) == 1
    refusals = [text for ok, text in messages if not ok]
    assert any("Only files on this computer" in t for t in refusals)
    assert any("screenshot.png was not opened: drop an NDJSON export" in t for t in refusals)
    assert "not opened" in window.statusBar().currentMessage() or messages


def test_dropped_kind(tmp_path: Path) -> None:
    har_json = tmp_path / "capture.json"
    har_json.write_text(json.dumps({"log": {"entries": []}}, indent=2))
    nd_json = tmp_path / "rows.json"
    nd_json.write_text('{"channel":"c"}\n')
    assert dropped_kind(tmp_path / "x.har") == "har"
    assert dropped_kind(har_json) == "har"
    assert dropped_kind(nd_json) == "ndjson"
    assert dropped_kind(tmp_path / "x.jsonl") == "ndjson"
    assert dropped_kind(tmp_path / "x.png") is None


async def test_a_large_har_is_decoded_in_slices_and_can_be_cancelled(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20,000 messages: the window gets control back between slices (progress reported many
    times, as for an NDJSON import) and Cancel opens nothing."""
    from types import SimpleNamespace

    from inspector.ui.transfer import transfer_job

    ticks = iter(range(1, 10**9))  # each slice does one step, however fast the machine
    monkeypatch.setattr(transfer_job, "time", SimpleNamespace(monotonic=lambda: float(next(ticks))))
    har = json.loads((FIXTURES / CHROME).read_text())
    socket = next(e for e in har["log"]["entries"] if "realtime" in e["request"]["url"])
    socket["_webSocketMessages"] = socket["_webSocketMessages"] * 800
    path = tmp_path / "big.har"
    path.write_text(json.dumps(har))
    job = window.transfer.import_har(path)
    progress: list[float] = []

    def step(fraction: float) -> None:
        progress.append(fraction)
        if len(progress) == 20:
            job.cancel()

    job.progressed.connect(step)
    await until(lambda: not job.running, what="the cancelled HAR import")
    assert len(progress) == 20
    assert progress == sorted(progress)
    assert 0 < progress[-1] < 1
    assert job.ok is False
    assert channel_tabs(window) == {}
    assert window.transfer.import_har_action.isEnabled()
