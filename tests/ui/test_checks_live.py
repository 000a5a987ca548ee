"""The Checks panel with the real window, controller and local server (issue #12 §4).

- An example check (examples/checks/order_confirmed.yaml, with the realtime-js order app as
  the backend) and its broken twin run from the panel: live marks step by step, the pass and the
  failure with its reason and near-miss; the window opened the tab ``orders`` on its profile,
  and clicking a step selects the row of that message in the tab.
- "New check from selection": rows of a tab (a send with ack and self, its echo, the answer of
  a responder) become a draft that the checks loader accepts, saved where the test says, opened
  in the panel, and it passes when run again against the same responder.
- An invalid file shows file:line and never breaks the panel; files are remembered; Cancel
  stops a running check.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import WindowOptions, save_screenshot, signal_future, until
from peers import JS_DIR, PeerPool
from PySide6.QtWidgets import QApplication

from inspector.client import ClientSettings, RealtimeClient
from inspector.client.checks import CheckStatus, StepStatus, load_text
from inspector.protocol.channel import ChannelConfig
from inspector.protocol.events import BroadcastReceived
from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, Direction, Profile, TabState
from inspector.ui.checks.checks_panel import COL_RESULT, COL_TIME
from inspector.ui.main_window import MainWindow
from inspector.ui.open_channel import SendRequest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "checks" / "order_confirmed.yaml"

pytestmark = [pytest.mark.gui]


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1400, 860))


def _connect(window: MainWindow, server: RealtimeServer) -> None:
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)


async def _run(window: MainWindow, keys: list[Any]) -> None:
    dock = window.checks_dock
    done = signal_future(dock.runs.finished)
    assert dock.run(keys)
    await asyncio.wait_for(done, 60)


@pytest.mark.interop
async def test_example_check_and_broken_twin_run_with_live_marks_and_rows(
    window: MainWindow, server: RealtimeServer, peers: PeerPool, tmp_path: Path
) -> None:
    _connect(window, server)
    app = await peers.script(
        "js",
        JS_DIR / "order_app.mjs",
        env={"SUPABASE_URL": server.url, "SUPABASE_ANON_KEY": server.anon_key},
    )
    await app.expect(ev="status", status="SUBSCRIBED", timeout=30)
    broken = tmp_path / "order_rejected.yaml"
    text = EXAMPLE.read_text()
    broken.write_text(text.replace("status: confirmed}", "status: rejected}"))
    dock = window.checks_dock
    good = str(EXAMPLE.resolve())
    dock.add_file(good)
    dock.add_file(str(broken))
    panel = dock.panel
    assert dock.isVisible()
    assert "Local" in panel.target_label.text()

    # Live marks: when a step starts, the steps before it already show their mark and time.
    seen: list[tuple[int, list[str]]] = []

    def snapshot(key: Any, index: int) -> None:
        item = panel.check_item(key)
        assert item is not None
        seen.append((index, [item.child(i).text(COL_RESULT) for i in range(item.childCount())]))

    dock.runs.step_started.connect(snapshot)
    await _run(window, [])
    good_key, broken_key = (good, 0), (str(broken.resolve()), 0)
    during = [marks for index, marks in seen if index == 2]
    assert during, seen
    assert during[0][:2] == ["✓ passed", "✓ passed"], seen
    assert during[0][2] == "… running"
    assert during[0][3:] == ["", ""]

    # The example passed, every step with a time; the twin failed at step 3, the rest skipped.
    good_item = panel.check_item(good_key)
    broken_item = panel.check_item(broken_key)
    assert good_item is not None
    assert broken_item is not None
    assert good_item.text(COL_RESULT) == "✓ passed"
    assert [good_item.child(i).text(COL_RESULT) for i in range(5)] == ["✓ passed"] * 5
    assert all(good_item.child(i).text(COL_TIME).endswith(("ms", " s")) for i in range(5))
    assert broken_item.text(COL_RESULT) == "✗ failed"
    assert [broken_item.child(i).text(COL_RESULT) for i in range(5)] == [
        "✓ passed",
        "✓ passed",
        "✗ failed",
        "– skipped",
        "– skipped",
    ]
    assert "1 of 2 checks passed" in panel.note_label.text()

    # The window opened the tab of the check's channel on its profile, joined.
    tab = window.panels["orders"]
    assert window.controller.channels["orders"].status.state is TabState.JOINED

    # The failure shows the reason and the near-miss with the differing path.
    panel.tree.setCurrentItem(broken_item.child(2))
    detail = panel.detail.toPlainText()
    assert "Reason: no matching message within 2 s" in detail
    assert "Near misses" in detail
    assert '$.status: expected "rejected", got "confirmed"' in detail
    # ... and selects the near-miss's row in the tab.
    result = panel.step_result(broken_key, 2)
    assert result is not None
    assert result.status is StepStatus.FAILED
    near = result.near_misses[0].message
    assert window.tabs.currentWidget() is tab
    rows = tab.table.selectionModel().selectedRows()
    assert len(rows) == 1
    record = tab.proxy.item_at(rows[0].row())
    assert record.event == "order.confirmed"
    assert json.loads(record.payload) == near.payload
    save_screenshot(window, "checks-panel")

    # Clicking the passing expect step selects the message that satisfied it.
    panel.tree.setCurrentItem(good_item.child(2))
    matched = panel.step_result(good_key, 2)
    assert matched is not None
    record = tab.proxy.item_at(tab.table.selectionModel().selectedRows()[0].row())
    assert record.direction is Direction.IN
    assert json.loads(record.payload) == matched.matched[0].payload
    assert "row selected in tab “orders”" in panel.note_label.text()
    # A send step selects the broadcast it sent (the tab received its own copy); the REST
    # send too.
    for index, event in ((1, "order.created"), (3, "order.paid")):
        panel.tree.setCurrentItem(good_item.child(index))
        sent = panel.sent(good_key, index)
        assert sent is not None
        assert sent.event == event
        record = tab.proxy.item_at(tab.table.selectionModel().selectedRows()[0].row())
        assert record.event == event
        assert json.loads(record.payload) == sent.payload


async def _responder(server: RealtimeServer) -> RealtimeClient:
    """A backend in this process: answers ``order.created`` with ``order.confirmed``."""
    client = RealtimeClient(ClientSettings(server.url, server.anon_key))
    tasks: set[asyncio.Task[Any]] = set()

    def on_event(event: object) -> None:
        if isinstance(event, BroadcastReceived) and event.event == "order.created":
            payload = event.json_payload()
            answer = {"id": payload.get("id"), "status": "confirmed"}
            task = asyncio.ensure_future(client.send("orders", "order.confirmed", answer))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    client.on_event = on_event
    await client.connect()
    await client.join(ChannelConfig("orders"))
    return client


async def test_new_check_from_selection_passes_when_run_again(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    _connect(window, server)
    responder = await _responder(server)
    try:
        assert window.connect_current() is None
        options = ChannelOptions("orders", broadcast_self=True, ack=True)
        assert window.join(options) is None
        c = window.controller
        await until(lambda: c.channels["orders"].status.state is TabState.JOINED, what="joined")
        tab = window.panels["orders"]
        payload = {"id": "o-1", "items": [{"sku": "tea", "qty": 2}], "note": "{{not a var}}"}
        c.send("orders", SendRequest("order.created", json.dumps(payload).encode()))
        log = c.channels["orders"].log
        await until(
            lambda: sum(1 for r in log if r.direction is Direction.IN) == 2,
            what="the echo and the answer",
        )
        tab.model.flush()
        tab.table.selectAll()  # the system row "joined" is left out of the draft

        path = tmp_path / "drafts" / "orders.check.yaml"
        path.parent.mkdir()
        dock = window.checks_dock
        dock.ask_path = lambda _title, _filter, save, _suggested="": path if save else None
        dialog = dock.draft_from_selection()
        assert dialog is not None
        dialog.ask_path = dock.ask_path
        assert dialog.revalidate(), dialog.status_label.text()
        assert dialog.status_label.text() == "Valid: 1 check, 4 steps"
        check = load_text(dialog.text(), "draft.yaml").checks[0]
        assert [s.kind for s in check.steps] == ["join", "send", "expect", "expect"]
        save_screenshot(dialog, "check-draft-editor")
        assert dialog.save_as() == path
        assert path.read_text() == dialog.text() or path.read_text() == dialog.text() + "\n"

        # The saved draft is open in the panel and passes against the same traffic.
        key = (str(path.resolve()), 0)
        assert str(path.resolve()) in window.settings.check_files()
        await _run(window, [key])
        result = dock.panel.check_result(key)
        assert result is not None
        assert result.status is CheckStatus.PASSED, [(s.step.title, s.reason) for s in result.steps]
        item = dock.panel.check_item(key)
        assert item is not None
        assert item.text(COL_RESULT) == "✓ passed"
    finally:
        await responder.close()


async def test_invalid_file_cancel_and_remembered_files(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    _connect(window, server)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps:\n  - send: {channel: x}\n")
    dock = window.checks_dock
    entry = dock.add_file(str(bad))
    assert entry.file is None
    item = dock.panel.tree.topLevelItem(0)
    assert item is not None
    assert item.text(COL_RESULT) == "✗ invalid"
    problem = item.child(0).text(0)
    assert f"{bad.resolve()}:3" in problem, problem
    assert "event" in problem, problem
    assert dock.panel.run_all_button.isEnabled()  # the run reloads it: it may be fixed by then
    missing = tmp_path / "gone.yaml"
    dock.add_file(str(missing))
    assert "cannot read" in dock.panel.tree.topLevelItem(1).child(0).text(0)

    slow = tmp_path / "slow.yaml"
    slow.write_text("name: slow\nsteps:\n  - join: {channel: slow}\n  - wait: 30s\n")
    dock.add_file(str(slow))
    key = (str(slow.resolve()), 0)
    assert window.settings.check_files() == [str(bad.resolve()), str(missing.resolve()), key[0]]
    started = signal_future(dock.runs.step_started, lambda _k, index: index == 1)
    done = signal_future(dock.runs.finished)
    assert dock.run([key])
    await asyncio.wait_for(started, 30)
    assert dock.panel.cancel_button.isEnabled()
    dock.panel.cancel_button.click()
    await asyncio.wait_for(done, 10)
    check_item = dock.panel.check_item(key)
    assert check_item is not None
    assert check_item.text(COL_RESULT) == "– cancelled"
    assert check_item.child(1).text(COL_RESULT) == "✗ failed"
    assert dock.panel.step_result(key, 1).reason == "cancelled"  # type: ignore[union-attr]
    assert dock.panel.run_all_button.isEnabled()

    # A check that cannot start (an unset variable in an identity) says why; nothing runs.
    unset = tmp_path / "unset.yaml"
    unset.write_text(
        "name: unset\nidentities: {u: {token: '{{env.RI_CHECKS_TEST_UNSET}}'}}\n"
        "steps:\n  - join: {channel: slow, identity: u}\n"
    )
    dock.add_file(str(unset))
    unset_key = (str(unset.resolve()), 0)
    await _run(window, [unset_key])
    unset_item = dock.panel.check_item(unset_key)
    assert unset_item is not None
    assert unset_item.text(COL_RESULT) == "✗ error"
    assert unset_item.child(0).text(COL_RESULT) == "– skipped"
    dock.panel.tree.setCurrentItem(unset_item)
    assert "Could not start: identity u:" in dock.panel.detail.toPlainText()
    assert "RI_CHECKS_TEST_UNSET" in dock.panel.detail.toPlainText()
    dock.remove_file(key[0])
    dock.remove_file(unset_key[0])

    dock.remove_file(str(bad.resolve()))
    assert window.settings.check_files() == [str(missing.resolve())]


async def test_a_file_fixed_on_disk_runs_again_and_reload_shows_it(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    """QA: an invalid file fixed in an editor could not be run (Run/Run all stayed disabled,
    "Nothing to run") although each run reloads the files."""
    _connect(window, server)
    path = tmp_path / "fix.yaml"
    path.write_text("name: x\nsteps:\n  - wait: 1s\n  - bogus: 1\n")
    dock = window.checks_dock
    panel = dock.panel
    assert dock.add_file(str(path)).file is None
    file_item = panel.tree.topLevelItem(0)
    assert file_item is not None
    panel.tree.setCurrentItem(file_item.child(0))  # one of its problems
    assert panel.run_all_button.isEnabled()
    assert panel.run_button.isEnabled()
    assert panel.reload_button.isEnabled()

    # Still invalid: Run reloads it, runs nothing and says why; the problems are shown again.
    panel.run_button.click()
    assert panel.note_label.text() == (
        "Nothing to run: fix.yaml does not load (its problems are listed under it)."
    )
    assert panel.run_all_button.isEnabled()

    # Fixed on disk: Reload shows its checks; Run (on the file) runs them.
    path.write_text("name: fixed\nsteps:\n  - wait: 10ms\n")
    panel.reload_button.click()
    assert panel.note_label.text() == "Reloaded 1 file from disk."
    key = (str(path.resolve()), 0)
    assert panel.check(key) is not None
    path.write_text("name: fixed twice\nsteps:\n  - wait: 10ms\n  - wait: 10ms\n")
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    done = signal_future(dock.runs.finished)
    panel.run_button.click()
    await asyncio.wait_for(done, 30)
    result = panel.check_result(key)
    assert result is not None
    assert result.check.name == "fixed twice"  # reloaded before the run
    assert result.status is CheckStatus.PASSED
    assert panel.note_label.text().startswith("1 of 1 checks passed")

    # Broken again, Run all: reloaded, problems back in the tree, the note says so.
    path.write_text("name: x\nsteps:\n  - bogus: 1\n")
    panel.run_all_button.click()
    item = panel.tree.topLevelItem(0)
    assert item is not None
    assert item.text(COL_RESULT) == "✗ invalid"
    assert "unknown step 'bogus'" in item.child(0).text(0)
    panel.tree.setCurrentItem(item)
    assert "unknown step 'bogus'" in panel.detail.toPlainText()
    save_screenshot(dock, "checks-reloaded-invalid")


async def test_closing_the_window_during_a_queued_run_counts_and_marks_the_rest(
    window: MainWindow, server: RealtimeServer, tmp_path: Path
) -> None:
    """QA: after closing the window during a run of 3 checks the note said "0 of 1 checks
    passed. cancelled" and the 2 not started were not marked."""
    _connect(window, server)
    path = tmp_path / "three.yaml"
    path.write_text(
        "name: three\nchecks:\n"
        "  - name: slow\n    steps:\n      - join: {channel: q-slow}\n      - wait: 25s\n"
        "  - name: second\n    steps: [{wait: 1ms}]\n"
        "  - name: third\n    steps: [{wait: 1ms}, {wait: 1ms}]\n"
    )
    dock = window.checks_dock
    dock.add_file(str(path))
    p = str(path.resolve())
    started = signal_future(dock.runs.step_started, lambda _k, index: index == 1)
    done = signal_future(dock.runs.finished)
    assert dock.run([])
    await asyncio.wait_for(started, 30)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quits = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # keep the test's event loop after the close
    try:
        window.close()  # closeEvent cancels the run
        await asyncio.wait_for(done, 10)
    finally:
        app.setQuitOnLastWindowClosed(quits)
    panel = dock.panel
    assert panel.note_label.text() == "0 of 3 checks passed, 2 not run. Cancelled."
    slow = panel.check_item((p, 0))
    assert slow is not None
    assert slow.text(COL_RESULT) == "– cancelled"
    for index, steps in ((1, 1), (2, 2)):
        item = panel.check_item((p, index))
        assert item is not None
        assert item.text(COL_RESULT) == "– not run"
        assert [item.child(i).text(COL_RESULT) for i in range(steps)] == ["– skipped"] * steps
        assert item.toolTip(COL_RESULT) == "not run (cancelled)"
    panel.tree.setCurrentItem(panel.check_item((p, 2)))
    assert "not run (cancelled)" in panel.detail.toPlainText()
    save_screenshot(dock, "checks-cancelled-queue")
