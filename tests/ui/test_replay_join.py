"""Broadcast Replay in the window (issue #15 item 2): the join dialog's replay option (a time or
a duration, a limit; private channels only), and a tab that joined with replay shows a
replayed message (the real server's replay push) marked ``↺ replayed`` with its ``meta.id``,
a message from the database with ``id …``."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from gui_helpers import WindowOptions, save_screenshot, until

from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules
from inspector.store import ChannelOptions, Profile, TabState, join_conflict
from inspector.store.channels.channels import ChannelOptions as Options
from inspector.ui.channels.join_dialog import JoinChannelDialog
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.message_table_model import COL_DIRECTION, COL_STATUS

REPLAYED_ID = "0f7d3c1e-2b4a-4e8f-9d6c-5a1b2c3d4e5f"
DB_ID = "8e3f1c52-6b0a-4a57-9a33-5d2f0c1e7b10"


def _dialog(qtbot: Any) -> JoinChannelDialog:
    dialog = JoinChannelDialog(lambda o: join_conflict(o, []))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_join_dialog_replay_option(qtbot: Any) -> None:
    dialog = _dialog(qtbot)
    dialog.name_edit.setText("orders")
    assert not dialog.since_edit.isEnabled()
    assert dialog.options().replay_since is None
    dialog.replay_check.setChecked(True)
    assert "Replay needs a private channel" in dialog.error_label.text()
    assert not dialog.buttons.buttons()[0].isEnabled()
    dialog.private_check.setChecked(True)
    dialog.since_edit.setText("15m")
    before = int(time.time() * 1000)
    options = dialog.options()
    assert options.replay_since is not None
    assert before - 15 * 60_000 - 5000 <= options.replay_since <= before - 15 * 60_000 + 5000
    assert options.replay_limit is None  # the server's default, 25
    assert dialog.replay_note.text().startswith("Replays from ")
    dialog.limit_spin.setValue(10)
    dialog.since_edit.setText("2026-01-01T00:00:00Z")
    assert (dialog.options().replay_since, dialog.options().replay_limit) == (1767225600000, 10)
    assert dialog.buttons.buttons()[0].isEnabled()
    assert "future" not in dialog.replay_note.text()
    dialog.since_edit.setText("2099-01-01T00:00:00Z")
    assert "in the future" in dialog.replay_note.text()  # allowed, but it replays nothing
    # the dialog grows to the wrapped note (before, the buttons covered its last lines)
    layout = dialog.layout()
    layout.activate()
    assert dialog.height() >= layout.totalHeightForWidth(dialog.width())
    assert dialog.buttons.buttons()[0].isEnabled()
    dialog.since_edit.setText("soon")
    assert "Not a replay time" in dialog.error_label.text()
    assert not dialog.buttons.buttons()[0].isEnabled()
    again = JoinChannelDialog(
        lambda o: None, Options("orders", private=True, replay_since=5, replay_limit=3)
    )
    qtbot.addWidget(again)
    assert (again.options().replay_since, again.options().replay_limit) == (5, 3)


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1100, 640))


@pytest.fixture
def server_config() -> ServerConfig:
    rules = Rules.from_data(
        {"allow": [{"channels": ["orders"], "roles": ["anon"], "can": ["all"]}]}
    )
    return ServerConfig(port=0, rules=rules, frame_log_size=500)


async def test_replayed_rows_are_marked_with_their_id(
    window: MainWindow, server: RealtimeServer
) -> None:
    window.add_session_profile(Profile("x", "Local", server.url), server.anon_key)
    window.connect_current()
    options = ChannelOptions("orders", private=True, replay_since=1767225600000, replay_limit=10)
    window.join(options)
    controller = window.controller
    await until(lambda: controller.channels["orders"].status.state is TabState.JOINED)
    # what the server read: the replay option as realtime-js sends it
    join = next(
        f.decoded() for f in server.frames if f.direction == "in" and "phx_join" in str(f.data)
    )
    assert join.payload["config"]["broadcast"]["replay"] == {  # type: ignore[union-attr]
        "since": 1767225600000,
        "limit": 10,
    }
    # The real server's replay push (realtime_channel.ex replay/3) and a message from the
    # database (kind 4 with metadata {"id"}); the local server itself replays nothing.
    for n in range(2):
        server.inject(
            "realtime:orders",
            {
                "type": "broadcast",
                "event": "order_created",
                "payload": {"order": 100 + n, "total": 19.5 + n},
                "meta": {"replayed": True, "id": REPLAYED_ID[:-1] + str(n)},
            },
        )
    server.publish_user(
        "orders",
        "order_created",
        {"order": 102, "total": 7.25},
        private=True,
        metadata={"id": DB_ID},
    )
    panel = window.panels["orders"]
    await until(lambda: panel.model.rowCount() >= 4, what="3 broadcasts after the join row")
    model = panel.model
    cells = [str(model.data(model.index(row, COL_STATUS)) or "") for row in range(model.rowCount())]
    assert cells[-3:] == ["id 0f7d3c…"] * 2 + ["id 8e3f1c…"]
    dirs = [str(model.data(model.index(row, COL_DIRECTION))) for row in range(model.rowCount())]
    assert dirs[-3:] == ["in ↺", "in ↺", "in"]
    tip = model.data(model.index(model.rowCount() - 3, COL_STATUS), 3)  # ToolTipRole
    assert "Replayed by the server on join" in tip
    assert REPLAYED_ID[:-1] + "0" in tip
    panel.table.selectRow(model.rowCount() - 3)
    meta_text = panel.detail.meta_label.text()
    assert "replayed" in meta_text
    assert REPLAYED_ID[:-1] + "0" in meta_text
    assert json.loads(panel.model.record_at(model.rowCount() - 1).meta) == {"id": DB_ID}
    save_screenshot(window, "replay-marker")
