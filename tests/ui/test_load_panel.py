"""The Load panel (issue #14 §2): a preset against the current profile's server, in-process on
the window's loop, with live charts, progress, Stop and the CLI's final table; a server that is
not on this machine asks first, showing the expected message rate."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from gui_helpers import save_screenshot, signal_future, until
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from inspector.client.load import LoadStats, preset
from inspector.client.load.report import rows
from inspector.server import RealtimeServer
from inspector.store import Profile
from inspector.ui.load.load_dock import LoadDock, confirm_box, confirm_text
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _use_server(window: MainWindow, server: RealtimeServer) -> LoadDock:
    window.add_session_profile(Profile(Profile.new_id(), "Local", server.url), server.anon_key)
    dock = window.load_dock
    dock.show()
    dock.refresh_target()
    return dock


def _small(dock: LoadDock, *, vus: int = 6, seconds: float = 2.0, rate: float = 5.0) -> None:
    panel = dock.panel
    panel.set_preset("broadcast")
    panel.vus.setValue(vus)
    panel.ramp.setValue(0.0)
    panel.duration.setValue(seconds)
    panel.rate.setValue(rate)


async def test_a_run_draws_its_charts_and_ends_with_the_cli_table(
    window: MainWindow, server: RealtimeServer
) -> None:
    dock = _use_server(window, server)
    assert "this machine" in dock.panel.target_label.text()
    _small(dock)
    asked: list[str] = []
    dock.confirm = lambda title, text: bool(asked.append(text))
    progress: list[Any] = []
    dock.run.progress.connect(progress.append)
    finished = signal_future(dock.run.finished)

    dock.panel.start_button.click()
    assert dock.run.running
    assert not dock.panel.start_button.isEnabled()
    assert dock.panel.stop_button.isEnabled()
    stats, note = await asyncio.wait_for(finished, 30)

    assert asked == []  # the local server needs no confirmation
    assert isinstance(stats, LoadStats)
    assert note == ""
    summary = stats.summary()
    assert summary["vus"] == 6
    assert summary["delivered"] == summary["expected"] > 0
    assert summary["lost"] == 0
    # Live: progress went through the phases; the charts got points while sending.
    assert [p.phase for p in progress][-1] == "done"
    assert "sending" in {p.phase for p in progress}
    counts = dock.panel.charts.point_counts()
    assert counts["sent"] > 0
    assert counts["delivered"] > 0
    assert counts["p50"] > 0
    assert counts["p99"] > 0
    # The final table is the CLI's (report.rows), row for row.
    table = dock.panel.table
    shown = [tuple(table.item(r, c).text() for c in (1, 2)) for r in range(table.rowCount())]
    assert shown == [(label, value) for _, label, value in rows(summary)]
    assert "Nothing lost" in dock.panel.note.text()
    assert dock.panel.start_button.isEnabled()
    assert not dock.panel.stop_button.isEnabled()
    assert dock.panel.progress.format() == "done"

    window.resize(1280, 980)
    save_screenshot(window, "load-panel")


async def test_stop_ends_the_run_early_and_keeps_what_was_measured(
    window: MainWindow, server: RealtimeServer
) -> None:
    dock = _use_server(window, server)
    _small(dock, seconds=60.0)
    sending = signal_future(dock.run.progress, lambda snap: snap.phase == "sending")
    finished = signal_future(dock.run.finished)
    assert dock.start()
    await asyncio.wait_for(sending, 20)
    await until(lambda: dock.run.stats.delivered_count > 0, 10, "a delivery")
    dock.panel.stop_button.click()
    stats, note = await asyncio.wait_for(finished, 20)
    assert note == "stopped"
    summary = stats.summary()
    assert summary["duration"] < 30
    assert summary["delivered"] == summary["expected"] > 0
    assert "Stopped." in dock.panel.note.text()


async def test_a_remote_target_asks_first_with_the_expected_rate(window: MainWindow) -> None:
    window.add_session_profile(
        Profile(Profile.new_id(), "Hosted", "https://abcdefghijklmnop.supabase.co"), "anon-key"
    )
    dock = window.load_dock
    dock.refresh_target()
    assert "remote" in dock.panel.target_label.text()
    _small(dock, vus=300, rate=2.0)
    asked: list[tuple[str, str]] = []
    dock.confirm = lambda title, text: bool(asked.append((title, text)))

    assert not dock.start()  # declined: nothing connects
    assert not dock.run.running
    [(title, text)] = asked
    assert "abcdefghijklmnop.supabase.co" in title
    assert "300 websockets" in text
    assert "1,200 messages/s" in text  # 300 VUs x 2 channels x 2/s
    assert "Free plan" in text
    assert "Not started" in dock.panel.note.text()


def test_the_window_starts_without_importing_the_charts_library() -> None:
    """pyqtgraph and numpy take about a second to import: only the Load panel's first show
    pays for it, not every start of the window."""
    code = (
        "import sys; import inspector.app, inspector.ui.main_window; "
        "print(sorted(m for m in ('pyqtgraph', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


async def test_showing_the_dock_builds_the_panel_with_its_charts(window: MainWindow) -> None:
    dock = window.load_dock
    assert dock._panel is None
    assert dock.toggleViewAction() in window.view_menu.actions()
    dock.toggleViewAction().trigger()
    assert dock.isVisible()
    assert dock._panel is not None
    assert dock.widget() is dock.panel
    assert dock.panel.charts.point_counts() == {"sent": 0, "delivered": 0, "p50": 0, "p99": 0}
    assert "No profile" in dock.panel.target_label.text()


async def test_every_shortcut_of_the_window_is_its_own(window: MainWindow) -> None:
    """Two actions on one key sequence make Qt fire neither (the Load toggle first took
    Leave's Ctrl+Shift+L)."""
    seen: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for shortcut in action.shortcuts():
            key = shortcut.toString()
            if key and seen.get(key, action.text()) != action.text():
                raise AssertionError(f"{key}: {seen[key]!r} and {action.text()!r}")
            seen[key] = action.text()
    assert seen["Ctrl+Shift+T"] == "&Load test"


def test_the_confirmation_defaults_to_cancel(qtbot: Any) -> None:
    """docs/screenshots/load-confirm-remote.png: what the question shows."""
    workload = preset("broadcast", vus=300)
    box = confirm_box(None, "Load https://abcdefghijklmnop.supabase.co?", confirm_text(workload))
    qtbot.addWidget(box)
    box.resize(640, 420)
    box.show()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert "Free plan it goes over" in box.text()
    save_screenshot(box, "load-confirm-remote")


async def test_the_panel_fits_a_1024_wide_window_and_its_time_axis_stays_in_seconds(
    window: MainWindow, server: RealtimeServer
) -> None:
    # Before, the controls (340) + two charts (220 each) + the table (340) asked for 1,152
    # pixels: showing the dock widened a 1024-wide window past its screen, and the time axis
    # read "seconds (x0.001)" for the first second of a run.
    dock = _use_server(window, server)
    window.resize(1024, 700)
    assert window.minimumSizeHint().width() <= 1024
    assert window.minimumSize().width() <= 1024
    for plot in (dock.panel.charts.throughput, dock.panel.charts.latency):
        axis = plot.getPlotItem().getAxis("bottom")
        assert not axis.autoSIPrefix
