"""Replay in the window (issue #11 item 4): the real window, controller and local server.

"Replay to channel…" on an imported tab sends its received rows, in order and unchanged, into
a joined live tab (self on, so the server echoes them back; asking for acks rejoins the tab
with ack first), with the progress bar and the summary; "Replay file…" on a live tab pauses, resumes and cancels a long replay. A file that is
not a recording is refused in the dialog with its line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import save_screenshot, until

from inspector.client.replay import Replayer, ReplayProgress
from inspector.server import RealtimeServer
from inspector.store import (
    ChannelOptions,
    Direction,
    MessageRecord,
    PayloadFormat,
    Profile,
    SendState,
    TabState,
)
from inspector.store.transfer.export import message_line
from inspector.ui.channels.imported_panel import ImportedChannelPanel
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui]

T0 = 1_767_225_600.0


def _write(path: Path, rows: list[tuple[float, str, bytes, Direction, PayloadFormat]]) -> Path:
    lines = [
        message_line(MessageRecord(time=T0 + at, direction=d, event=e, payload=p, format=f), "src")
        for at, e, p, d, f in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


async def _joined(
    window: MainWindow, server: RealtimeServer, name: str, *, ack: bool = True
) -> InspectorController:
    c = window.controller
    assert isinstance(c, InspectorController)
    window.resize(1100, 700)  # the screenshots' size
    window.add_session_profile(Profile("x", "Local", server.url), server.anon_key)
    window.connect_current()
    assert window.join(ChannelOptions(name, ack=ack, broadcast_self=True)) is None
    await until(lambda: c.channels[name].status.state is TabState.JOINED, what="joined")
    return c


async def test_replay_to_channel_from_an_imported_tab(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    c = await _joined(window, server, "live", ack=False)
    IN, OUT, JSON, BIN = Direction.IN, Direction.OUT, PayloadFormat.JSON, PayloadFormat.BINARY
    rec = _write(
        tmp_path / "rec.ndjson",
        [
            (0.00, "first", b'{"n":1}', IN, JSON),
            (0.01, "mine", b'{"n":0}', OUT, JSON),
            (0.02, "bytes", b"\x00\xff", IN, BIN),
            (0.03, "cursor-move", b'{"x":1}', IN, JSON),
            (0.04, "last", b'{"n":4}', IN, JSON),
        ],
    )
    job = window.transfer.import_file(rec)
    await until(lambda: not job.running, what="imported")
    imported = next(w for w in window.tabs.imported if isinstance(w, ImportedChannelPanel))
    window.tabs.setCurrentWidget(imported)
    assert window.replay.replay_to_channel_action.isEnabled()
    assert not window.replay.replay_file_action.isEnabled()
    imported.replay_button.click()
    dialog = window.replay.dialog
    assert dialog is not None
    assert dialog.target() == "live"
    assert "4 messages" in dialog.preview_label.text()  # the received rows
    dialog.events_edit.setText("first, b*, last")
    dialog.speed_spin.setValue(10)
    assert "3 messages" in dialog.preview_label.text()
    assert "2 left out by the filters" in dialog.preview_label.text()  # "mine" is sent
    assert not dialog.ack_check.isChecked()  # the tab's join option
    assert "no round trips" in dialog.ack_label.text()
    dialog.ack_check.setChecked(True)
    assert "the tab rejoins with ack on before the replay starts" in dialog.ack_label.text()
    save_screenshot(dialog, "replay-dialog")
    dialog.replay_button.click()
    # ack is a join option: the tab rejoins with it, then the replay starts
    await until(lambda: "live" in window.replay.bars, what="replay started after the rejoin")
    assert c.channels["live"].options.ack
    assert window.panels["live"].composer.ack_check.isChecked()
    bar = window.replay.bars["live"]
    assert window.tabs.currentWidget() is window.panels["live"]
    await until(lambda: not bar.running, what="replay finished")
    text = bar.stats_label.text()
    assert text.startswith("Done: 3 sent · 3 ok · 0 error · 0 timed out")
    assert "ack p50" in text
    assert "round trip p95" in bar.toolTip()
    log = c.channels["live"].log
    sent = [r for r in log if r.direction is Direction.OUT]
    assert [r.event for r in sent] == ["first", "bytes", "last"]
    assert all(r.send is not None and r.send.state is SendState.OK for r in sent)
    # self is on: the server fans them back out, in order and unchanged
    await until(lambda: sum(r.direction is Direction.IN for r in log) >= 3, what="echoes")
    echoes = [r for r in log if r.direction is Direction.IN]
    assert [r.event for r in echoes] == ["first", "bytes", "last"]
    assert echoes[1].format is PayloadFormat.BINARY
    assert echoes[1].payload == b"\x00\xff"
    assert echoes[0].payload == b'{"n":1}'
    panel = window.panels["live"]
    await until(lambda: not panel.model.has_pending(), what="rows shown")
    save_screenshot(window, "replay-done")
    bar.close_button.click()
    assert "live" not in window.replay.bars


async def test_replay_file_pause_resume_cancel(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    c = await _joined(window, server, "target")
    bad = tmp_path / "notes.txt"
    bad.write_text("not a recording\n")
    long = _write(
        tmp_path / "long.ndjson",
        [(i * 0.05, f"e{i}", b"{}", Direction.IN, PayloadFormat.JSON) for i in range(400)],
    )
    window.tabs.setCurrentWidget(window.panels["target"])
    assert window.replay.replay_file_action.isEnabled()
    paths = iter([bad, long])
    window.replay.ask_path = lambda _t, _f, _save, _s="": next(paths)
    window.replay.replay_file_action.trigger()
    dialog = window.replay.dialog
    assert dialog is not None
    assert not dialog.replay_button.isEnabled()
    dialog.file_button.click()
    await until(lambda: dialog.job is None, what="file read")
    assert "notes.txt cannot be replayed: line 1 is not JSON" in dialog.preview_label.text()
    assert not dialog.replay_button.isEnabled()
    dialog.file_button.click()
    assert "Reading long.ndjson…" in dialog.preview_label.text()
    await until(lambda: dialog.job is None, what="file read")
    assert dialog.replay_button.isEnabled()
    assert "400 messages, about 20.0 s" in dialog.preview_label.text()
    dialog.replay_button.click()
    bar = window.replay.bars["target"]
    log = c.channels["target"].log
    await until(lambda: bar.progress.value() >= 3, what="progress")
    bar.pause_button.click()
    assert bar.pause_button.text() == "Resume"
    await until(lambda: bar.stats_label.text().startswith("paused"), what="paused shown")
    at_pause = bar.progress.value()
    # the replay holds: the server's echoes of what was sent catch up, nothing more goes out
    await until(lambda: sum(r.direction is Direction.IN for r in log) >= at_pause, what="echoes")
    assert bar.progress.value() == at_pause
    panel = window.panels["target"]
    await until(lambda: not panel.model.has_pending(), what="rows shown")
    save_screenshot(window, "replay-progress")
    bar.pause_button.click()
    assert bar.pause_button.text() == "Pause"
    await until(lambda: bar.progress.value() > at_pause, what="resumed")
    bar.cancel_button.click()
    await until(lambda: not bar.running, what="cancelled")
    assert bar.stats_label.text().startswith("Cancelled: ")
    sent = [r for r in log if r.direction is Direction.OUT]
    assert at_pause < len(sent) < 400
    assert [r.event for r in sent] == [f"e{i}" for i in range(len(sent))]


async def test_closing_the_tab_cancels_its_replay_quietly(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    """QA: the engine's last progress report reached the bar of a closed tab ("Internal C++
    object already deleted"); closing the tab cancels the replay and nothing more reaches it."""
    c = await _joined(window, server, "closing")
    long = _write(
        tmp_path / "long.ndjson",
        [(i * 0.05, f"e{i}", b"{}", Direction.IN, PayloadFormat.JSON) for i in range(400)],
    )
    window.tabs.setCurrentWidget(window.panels["closing"])
    window.replay.ask_path = lambda _t, _f, _save, _s="": long
    window.replay.replay_file_action.trigger()
    dialog = window.replay.dialog
    assert dialog is not None
    dialog.file_button.click()
    await until(lambda: dialog.job is None, what="file read")
    dialog.replay_button.click()
    bar = window.replay.bars["closing"]
    handle = bar.handle
    await until(lambda: bar.progress.value() >= 3, what="progress")
    assert isinstance(handle, Replayer)
    finished: list[ReplayProgress] = []
    report = handle.on_progress
    assert report is not None

    def watch(p: ReplayProgress) -> None:
        try:
            report(p)
        finally:
            if p.finished:
                finished.append(p)

    handle.on_progress = watch
    window.tabs.tabCloseRequested.emit(window.tabs.indexOf(window.panels["closing"]))
    assert "closing" not in c.channels
    await until(lambda: bool(finished), what="the replay ended")
    assert finished[0].cancelled
    assert finished[0].done < 400
    assert "closing" not in window.replay.bars
