"""Export and import (issue #5 §4, §7): an exported tab re-imports to the same rows.

The live test fills a tab from the real local server (an acked send from the composer, its
``self`` echo, a JSON broadcast from realtime-js, a binary one, system rows), exports it, and
imports the file into a read-only tab whose rows equal the originals field by field. Other
tests: all tabs and the frames round trip, CSV of the visible columns and filtered rows, a long
export cancelled (no file left), a bad file reported, and closing an imported tab leaves the
live channel alone.
"""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, start
from gui_helpers import js_subscribed, save_screenshot, until
from peers import PeerPool
from PySide6.QtWidgets import QPushButton

from inspector.client import ClientSettings, RealtimeClient
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
from inspector.store.transfer.export import MAX_IMPORT_CHANNELS, MAX_LINE_BYTES
from inspector.ui.channels.imported_panel import ImportedChannelPanel, ImportedFramesPanel
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.message_table_model import COL_SIZE, COL_STATUS
from inspector.ui.transfer.transfer import TransferActions
from inspector.ui.transfer.transfer_job import TransferJob

pytestmark = pytest.mark.gui


def fields(record: MessageRecord) -> tuple[object, ...]:
    return (
        record.time,
        record.direction,
        record.event,
        record.payload,
        record.format,
        record.meta,
        record.status_text(),
    )


async def finish(job: TransferJob | None) -> TransferJob:
    assert job is not None
    await until(lambda: not job.running, timeout=30, what=f"{job.title} finished")
    assert job.ok, job.message
    return job


def imported_panels(window: MainWindow) -> list[ImportedChannelPanel]:
    return [w for w in window.tabs.imported if isinstance(w, ImportedChannelPanel)]


@pytest.mark.interop
async def test_exported_tab_reimports_to_the_same_rows(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    controller = window.controller
    window.add_session_profile(Profile("x", "Local", server.url), server.anon_key)
    window.connect_current()
    window.join(ChannelOptions("room-1", broadcast_self=True, ack=True))
    await until(lambda: controller.channels["room-1"].status.state is TabState.JOINED)
    panel = window.panels["room-1"]
    log = controller.channels["room-1"].log

    # An acked send from the composer and its self echo.
    panel.composer.event_edit.setText("ping")
    panel.composer.payload_edit.setPlainText('{"text": "héllo 🎉", "n": 1}')
    panel.composer.send_button.click()
    await until(
        lambda: (
            any(r.send is not None and r.send.state is SendState.OK for r in log)
            and any(r.direction is Direction.IN and r.event == "ping" for r in log)
        ),
        what="ack ok and the self echo",
    )
    # JSON from realtime-js, and binary with metadata from the server (REST single / database).
    pool = PeerPool()
    try:
        js = await js_subscribed(pool, server, "room-1")
        await js.call("send", channel="a", event="from-js", payload={"x": [1, 2, 3]})
        server.publish_user("room-1", "bin", bytes(range(256)), metadata={"id": "m-1"})
        await until(lambda: {"from-js", "bin"} <= {r.event for r in log}, what="js and binary rows")
    finally:
        await pool.close()
    originals = list(log)
    assert {r.direction for r in originals} == {Direction.IN, Direction.OUT, Direction.SYSTEM}
    assert any(r.format is PayloadFormat.BINARY and r.meta for r in originals)

    # File → Export tab (the path question answered by the test).
    path = tmp_path / "room-1.ndjson"
    window.transfer.ask_path = lambda _title, _filter, save, _suggested="": path if save else None
    window.transfer.export_tab_action.trigger()
    job = await finish(window.transfer.job)
    assert "lines written" in job.message
    assert not (tmp_path / "room-1.ndjson.part").exists()
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(header)["type"] == "header"  # issue #10 item 15
    assert [c["name"] for c in json.loads(header)["channels"]] == ["room-1"]
    assert len(lines) == len(originals)
    assert all(json.loads(line)["channel"] == "room-1" for line in lines)

    # File → Import: a read-only tab with the same rows.
    window.transfer.ask_path = lambda _title, _filter, save, _suggested="": None if save else path
    window.transfer.import_action.trigger()
    await finish(window.transfer.job)
    (imported,) = imported_panels(window)
    assert window.tabs.currentWidget() is imported
    assert window.tabs.tabText(window.tabs.indexOf(imported)) == "room-1 (imported)"
    back = list(imported.channel.log)
    assert [fields(r) for r in back] == [fields(r) for r in originals]
    assert imported.model.rowCount() == len(originals)
    assert not imported.composer.isVisibleTo(imported)
    assert not imported.leave_button.isVisibleTo(imported)
    assert "read-only" in imported.state_label.text()
    imported.select_last()
    save_screenshot(window, "imported")
    # Table cells read the same as the live tab's.
    live_status = [panel.model.index(i, COL_STATUS).data() for i in range(len(originals))]
    copy_status = [imported.model.index(i, COL_STATUS).data() for i in range(len(originals))]
    assert live_status == copy_status
    assert any(s and s.startswith("ok ") for s in copy_status)

    # The window's actions on the imported tab never reach the live channel.
    window.rejoin_action.trigger()
    window.leave_action.trigger()
    assert controller.channels["room-1"].status.state is TabState.JOINED
    window.close_tab_action.trigger()  # Ctrl+W on the imported tab
    assert imported_panels(window) == []
    assert "room-1" in controller.channels
    assert window.tabs.indexOf(panel) >= 0


async def test_all_tabs_frames_and_csv(window: MainWindow, tmp_path: Path) -> None:
    """Without a network: two tabs filled directly, frames, the CSV of what the table shows."""
    controller = window.controller
    window.join(ChannelOptions("a"))
    window.join(ChannelOptions("b"))
    for name, n in (("a", 3), ("b", 2)):
        log = controller.channels[name].log
        for i in range(n):
            log.append(
                MessageRecord(
                    time=1_700_000_000 + i,
                    direction=Direction.IN,
                    event=f"ev{i}",
                    payload=json.dumps({"i": i, "formula": "=1+1"}).encode(),
                )
            )
    transfer: TransferActions = window.transfer
    everything = tmp_path / "all.ndjson"
    await finish(transfer.export_all(everything))
    await finish(transfer.import_file(everything))
    by_channel = {p.name: p for p in imported_panels(window)}
    assert set(by_channel) == {"a", "b"}
    assert len(by_channel["a"].channel.log) == 3
    assert len(by_channel["b"].channel.log) == 2

    # CSV: the visible columns in their order, the rows the filter lets through, full payloads.
    panel = window.panels["a"]
    panel.model.flush()
    panel.table.setColumnHidden(COL_SIZE, True)
    panel.filter_edit.setText("ev1")
    panel._apply_filter()
    table_csv = tmp_path / "a.csv"
    await finish(transfer.export_csv(table_csv, panel))
    with table_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Time", "Dir", "Event", "Payload", "Status"]
    assert len(rows) == 2
    assert rows[1][2] == "ev1"
    assert json.loads(rows[1][3]) == {"i": 1, "formula": "=1+1"}

    # Frames round trip into a read-only frames tab.
    frames_path = tmp_path / "frames.ndjson"
    from inspector.store.frames.frames import FrameRow

    frames = [
        FrameRow(1.0, "out", "text", 30, '["1","1","realtime:a","phx_join",{}]', "2.0.0"),
        FrameRow(
            2.0, "in", "binary", 11, bytes.fromhex("040a010001") + b"realtime:a" + b"e", "2.0.0"
        ),
    ]
    await finish(transfer.export_frames(frames_path, frames))
    await finish(transfer.import_file(frames_path))
    (frames_tab,) = [w for w in window.tabs.imported if isinstance(w, ImportedFramesPanel)]
    back = list(frames_tab.frames.log)
    assert [(f.direction, f.opcode, f.data) for f in back] == [
        (f.direction, f.opcode, f.data) for f in frames
    ]
    window.tabs.tabCloseRequested.emit(window.tabs.indexOf(frames_tab))
    assert frames_tab not in window.tabs.imported
    assert window.tabs.indexOf(frames_tab) < 0
    # The live tabs are untouched; closing an imported channel tab by its X as well.
    window.tabs.tabCloseRequested.emit(window.tabs.indexOf(by_channel["a"]))
    assert set(controller.channels) == {"a", "b"}
    assert window.tabs.indexOf(window.panels["a"]) >= 0
    assert window.tabs.indexOf(by_channel["a"]) < 0


@pytest.fixture
def one_step_per_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The transfer job's clock moves a second per reading, so each slice does exactly one step
    of the work: what a cancel test sees no longer depends on how fast the machine is."""
    from types import SimpleNamespace

    from inspector.ui.transfer import transfer_job

    ticks = iter(range(1, 10**9))
    monkeypatch.setattr(transfer_job, "time", SimpleNamespace(monotonic=lambda: float(next(ticks))))


async def test_long_export_cancelled_leaves_no_file(
    window: MainWindow, tmp_path: Path, one_step_per_slice: None
) -> None:
    window.join(ChannelOptions("big"))
    log = window.controller.channels["big"].log
    log.set_capacity(60_000)
    log.extend(
        MessageRecord(
            time=float(i),
            direction=Direction.IN,
            event="tick",
            payload=b'{"pad":"%s"}' % (b"x" * 150),
        )
        for i in range(60_000)
    )
    path = tmp_path / "big.ndjson"
    window.transfer.progress_after_ms = 0  # the dialog at once (it waits 400 ms by default)
    job = window.transfer.export_tab(path, window.panels["big"])
    assert job is not None
    progress: list[float] = []
    seen: dict[str, object] = {}

    def first_progress(fraction: float) -> None:
        """Cancel at the first progress (after one step of 120), as a user clicking Cancel."""
        progress.append(fraction)
        if len(progress) > 1:
            return
        button = job.dialog.findChild(QPushButton)
        seen.update(
            running=job.running,
            visible=job.dialog.isVisible(),
            value=job.dialog.value(),
            export_enabled=window.transfer.export_tab_action.isEnabled(),
            button=button.text() if button is not None else None,
        )
        assert button is not None
        button.click()

    job.progressed.connect(first_progress)
    await until(lambda: not job.running, what="the cancelled export")
    assert seen == {
        "running": True,
        "visible": True,
        "value": 1000 * 500 // 60_000,  # one CHUNK of 500 lines out of 60,000, in 1000 steps
        "export_enabled": False,  # one transfer at a time
        "button": "Cancel",
    }
    assert job.ok is False
    assert "cancelled" in job.message
    assert not path.exists()
    assert not (tmp_path / "big.ndjson.part").exists()
    assert window.transfer.export_tab_action.isEnabled()
    assert progress == [500 / 60_001]  # the header line, then the 60,000 rows


async def test_bad_lines_are_reported(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "mixed.ndjson"
    good = {"channel": "c", "time": 1.0, "direction": "in", "event": "e", "payload": {"a": 1}}
    path.write_text(json.dumps(good) + "\nnot json\n" + json.dumps(good) + "\n", encoding="utf-8")
    messages: list[str] = []
    window.transfer.done.connect(lambda _ok, text: messages.append(text))
    await finish(window.transfer.import_file(path))
    (panel,) = imported_panels(window)
    assert len(panel.channel.log) == 2
    assert "1 line skipped (line 2:" in messages[-1]
    assert "1 line skipped" in window.statusBar().currentMessage()


async def test_import_limits_tabs_long_lines_and_special_files(
    window: MainWindow, tmp_path: Path
) -> None:
    """QA 14: 300 channels opened 300 tabs (6.4 s) and a 30 MB line took 1.2 GB. One import
    now opens at most MAX_IMPORT_CHANNELS tabs and says how many more there were; a line
    over MAX_LINE_BYTES is skipped without being read whole; a name 10,000 characters long
    is cut in its tab; /dev/zero (not a regular file, it never ends) is refused."""
    path = tmp_path / "many.ndjson"
    row = {"time": 1.0, "direction": "in", "event": "e", "payload": {}}
    lines = [json.dumps({**row, "channel": f"ch-{n:03d}"}) for n in range(MAX_IMPORT_CHANNELS + 5)]
    lines.append('{"channel":"x","payload":"' + "y" * (MAX_LINE_BYTES + 10) + '"}')
    lines.append(json.dumps({**row, "channel": "ch-000", "event": "after the long line"}))
    lines.append(json.dumps({**row, "channel": "n" * 10_000}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    messages: list[str] = []
    window.transfer.done.connect(lambda _ok, text: messages.append(text))
    await finish(window.transfer.import_file(path))
    panels = imported_panels(window)
    assert len(panels) == MAX_IMPORT_CHANNELS
    assert [r.event for r in panels[0].channel.log] == ["e", "after the long line"]
    assert (
        f"6 more channels (6 rows) not opened: one import opens at most {MAX_IMPORT_CHANNELS}"
        in (messages[-1])
    )
    assert f"1 line skipped (line {len(lines) - 2}: longer than 8 MiB: not read)" in messages[-1]
    for panel in panels:
        assert len(panel.title()) <= 60
    long_name = ImportedChannelPanel("n" * 10_000, [], path)
    long_name.deleteLater()
    assert long_name.title() == "n" * 47 + "… (imported)"
    job = window.transfer.import_file(Path("/dev/zero"))
    await until(lambda: not job.running, what="refused")
    assert job.ok is False
    assert "not a regular file" in job.message
    assert len(imported_panels(window)) == MAX_IMPORT_CHANNELS


async def test_long_import_cancelled_opens_nothing(
    window: MainWindow, tmp_path: Path, one_step_per_slice: None
) -> None:
    path = tmp_path / "big.ndjson"
    line = json.dumps({"channel": "c", "time": 1.0, "direction": "in", "event": "e", "payload": {}})
    path.write_text((line + "\n") * 60_000, encoding="utf-8")
    job = window.transfer.import_file(path)
    progress: list[float] = []
    running_at_first: list[bool] = []

    def first_progress(fraction: float) -> None:
        progress.append(fraction)
        if len(progress) == 1:
            running_at_first.append(job.running)
            job.cancel()

    job.progressed.connect(first_progress)
    await until(lambda: not job.running, what="the cancelled import")
    assert running_at_first == [True]
    assert len(progress) == 1
    assert 0 < progress[0] < 1
    assert job.ok is False
    assert imported_panels(window) == []
    assert window.tabs.count() == 0
    assert window.transfer.import_action.isEnabled()


async def test_listen_output_imports_as_a_read_only_tab(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    """QA: importing ``listen`` output said "Imported 0 rows into 0 tab(s) · 18 lines skipped
    (line 1: unknown direction None)". It is a recording (replay reads it): its broadcasts
    open as a read-only tab of received rows, and the message says what the file was."""
    recorder = await start("listen", "--channel", "src", "--count", "3", env=cli_env(server))
    await read_until(recorder, joined)
    sender = RealtimeClient(ClientSettings(server.url, server.anon_key))
    try:
        for i, payload in enumerate(({"i": 0}, b"\x01\x02", {"i": 2, "s": "é"})):
            await sender.rest_send("src", f"ev{i}", payload, binary=isinstance(payload, bytes))
    finally:
        await sender.close()
    out, _ = await asyncio.wait_for(recorder.communicate(), TIMEOUT)
    path = tmp_path / "listen.ndjson"
    path.write_bytes(out)
    messages: list[str] = []
    window.transfer.done.connect(lambda _ok, text: messages.append(text))
    await finish(window.transfer.import_file(path))
    (panel,) = imported_panels(window)
    assert panel.name == "src"
    rows = list(panel.channel.log)
    assert [(r.direction, r.event) for r in rows] == [
        (Direction.IN, "ev0"),
        (Direction.IN, "ev1"),
        (Direction.IN, "ev2"),
    ]
    assert rows[1].format is PayloadFormat.BINARY
    assert rows[1].payload == b"\x01\x02"
    assert json.loads(rows[2].payload) == {"i": 2, "s": "é"}
    text = messages[-1]
    assert text.startswith("Imported 3 rows into 1 tab(s)")
    assert "realtime-inspector listen output: its broadcasts as received rows" in text
    assert "not broadcasts (connection, join, presence…) left out" in text
    assert "skipped" not in text
    window.tabs.setCurrentWidget(panel)
    assert window.replay.replay_to_channel_action.isEnabled()  # and it can be replayed
    save_screenshot(window, "imported-listen-output")
