"""Screenshots of the main states with QWidget.grab(): empty, profiles, connected with two busy
tabs (the demo), a send with ack and its echo, the composer with an invalid payload, a join
error. Saved to the folder printed at the end of the run; UPDATE_SCREENSHOTS=1 refreshes
docs/screenshots/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gui_fakes import FakeController
from gui_helpers import DOCS_SCREENSHOTS, SCREENSHOTS, save_screenshot, until
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from inspector.app import start_demo
from inspector.protocol import jwt
from inspector.store import ChannelOptions, Direction, SendState, TabState
from inspector.ui.common import theme
from inspector.ui.common.theme import ColorSchemeFollower
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

SIZE = (1280, 800)
ROOT = Path(__file__).resolve().parents[2]


def test_empty_and_profiles(qtbot: Any) -> None:
    window = MainWindow(FakeController())
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    assert window.stack.currentIndex() == 0
    save_screenshot(window, "empty")
    dialog = window.open_profiles()
    dialog.name_edit.setText("Staging")
    dialog.url_edit.setText("https://abcdefghijklmnopqrst.supabase.co")
    dialog.key_field.setText(
        jwt.sign(
            {
                "iss": "supabase",
                "ref": "abcdefghijklmnopqrst",
                "role": "anon",
                "iat": 1_700_000_000,
                "exp": 2_000_000_000,
            },
            "x" * 32,
        )
    )
    dialog.token_field.setText(
        jwt.sign({"sub": "7c1e", "role": "authenticated", "exp": 1_700_000_000}, "x" * 32)
    )
    assert "expired" in dialog.token_info.text().lower()
    QApplication.processEvents()  # a plain sync test: let the wrapped labels settle their layout
    save_screenshot(dialog, "profiles")


@pytest.fixture
def demo_window(qtbot: Any) -> MainWindow:
    window = MainWindow(InspectorController(), restore_tabs=False)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    return window


async def test_demo_states(demo_window: MainWindow) -> None:
    # Network work starts inside the test body: a qasync loop only runs between the test's
    # own awaits, and sockets opened in a fixture would fire callbacks outside it.
    window = demo_window
    server = await start_demo(window)
    try:
        await _demo_states(window)
    finally:
        await window.controller.shutdown()
        await server.stop()


async def _demo_states(window: MainWindow) -> None:
    c = window.controller
    assert isinstance(c, InspectorController)
    chat, cursors = window.panels["demo-chat"], window.panels["demo-cursors"]
    # Live traffic within seconds, and the heartbeat round trip in the toolbar.
    await until(lambda: c.connection.rtt_ms is not None, timeout=15, what="heartbeat rtt")
    assert c.connection.rtt_ms is not None
    assert 0 <= c.connection.rtt_ms < 1000
    await until(lambda: cursors.model.rowCount() > 150, timeout=15, what="cursor traffic")

    # Send with ack and self from the prefilled composer: ok with a round trip, and the echo.
    chat.composer.send_button.click()
    log = c.channels["demo-chat"].log
    await until(
        lambda: (
            any(r.send is not None and r.send.state is SendState.OK for r in log)
            and any(r.direction is Direction.IN and b"from the inspector" in r.payload for r in log)
        ),
        what="ack ok and echo",
    )
    await until(lambda: not chat.model.has_pending())
    out_row = next(r for r in range(chat.model.rowCount()) if chat.model.record_at(r).send)  # type: ignore[union-attr]
    chat.table.selectRow(chat.proxy.mapFromSource(chat.model.index(out_row, 0)).row())
    assert chat.detail.record is not None
    assert "ok" in chat.detail.subtitle.text()
    save_screenshot(window, "send")

    window.tabs.setCurrentWidget(cursors)
    await until(lambda: not cursors.model.has_pending())
    cursors.table.selectRow(cursors.proxy.rowCount() - 2)
    assert "heartbeat" in window.status_widget.text()
    save_screenshot(window, "connected")

    # The desktop turns dark (GNOME's colour scheme, #15 item 10): the window follows, text
    # colours and icons included, and turns light again.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    follower = ColorSchemeFollower(app)
    try:
        follower.apply(Qt.ColorScheme.Dark)
        await until(lambda: theme.is_dark(window.palette()), what="dark palette")
        save_screenshot(window, "window-dark")
    finally:
        app.styleHints().colorSchemeChanged.disconnect(follower.apply)
        follower.apply(Qt.ColorScheme.Light)
    await until(lambda: not theme.is_dark(window.palette()), what="light palette again")

    chat.composer.payload_edit.setPlainText('{\n  "user": "me",\n  "text": "oops"\n  "n": 1\n}')
    window.tabs.setCurrentWidget(chat)
    assert not chat.composer.send_button.isEnabled()
    assert "Line 4, column 3" in chat.composer.error_label.text()
    save_screenshot(window, "composer-invalid")

    assert window.join(ChannelOptions("private-room", private=True, ack=True)) is None
    await until(
        lambda: c.channels["private-room"].status.state is TabState.ERRORED, what="join error"
    )
    panel = window.panels["private-room"]
    await until(lambda: panel.model.rowCount() > 0 and not panel.model.has_pending())
    panel.select_last()
    assert "Unauthorized" in panel.state_label.text()
    save_screenshot(window, "join-error")


@pytest.mark.parametrize(
    ("name", "width", "height", "scale"),
    [("window-1024x700", 1024, 700, "1"), ("window-1600x1000-scale2", 1600, 1000, "2")],
)
def test_whole_window_on_small_and_scaled_screens(
    tmp_path: Path, name: str, width: int, height: int, scale: str
) -> None:
    """Issue #10 item 19: at QT_SCALE_FACTOR=2 on 1600x1000 the composer and Send were off
    screen. A process of its own per screen (size and scale are fixed when Qt starts)."""
    config = tmp_path / "screen.json"
    screen = {"name": "S", "x": 0, "y": 0, "width": width, "height": height}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"windowFrameMargins": True, "screens": [screen]}))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "QT_SCALE_FACTOR": scale,
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("screenshot_window.py")),
            name,
            str(SCREENSHOTS),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["frame_on_screen"], result
    assert result["send_on_screen"], result
    assert result["payload_widest"], result
    assert result["payload_chars"] >= 20, result
    path = Path(result["path"])
    assert path.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
