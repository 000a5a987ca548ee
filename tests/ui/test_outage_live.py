"""Issue #10 items 15 and 16 against the real local server, stopped and restarted under a live
window: every tab gets system rows for the outage (disconnected, reconnected after N s,
rejoined), an export carries them after a header line (profile URL without secrets, channels,
options, app version, time range), and *Reconnect now* connects at once instead of waiting for
the back-off, whose countdown shows in the status area meanwhile.

The client's reconnect schedule is one 60 s wait here, so a reconnection within the test can
only come from *Reconnect now* (the assertions are on states and order, not durations).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import save_screenshot, until

from inspector import __version__
from inspector.client.client import RealtimeClient
from inspector.client.settings import ClientSettings
from inspector.server import RealtimeServer, ServerConfig
from inspector.store import ChannelOptions, LinkState, Profile, TabState
from inspector.store.transfer.export import import_lines
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

LONG_WAIT = 60.0


def slow_backoff_client(settings: ClientSettings, **kwargs: Any) -> RealtimeClient:
    """A real client whose every reconnect waits a minute (the test never waits for it)."""
    return RealtimeClient(replace(settings, reconnect_schedule=(LONG_WAIT,)), **kwargs)


def system_events(controller: InspectorController, name: str) -> list[str]:
    return [r.event for r in controller.channels[name].log if r.direction.label == "system"]


def in_order(events: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` appears in ``events`` in this order (other rows in between)."""
    it = iter(events)
    return all(any(e == w for e in it) for w in wanted)


async def test_outage_rows_export_header_and_reconnect_now(qtbot: Any, tmp_path: Path) -> None:
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    port = server.port
    controller = InspectorController(client_factory=slow_backoff_client)
    window = MainWindow(controller, restore_tabs=False)
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.show()
    restarted: RealtimeServer | None = None
    try:
        window.add_session_profile(Profile("local", "Local", server.url), server.anon_key)
        window.connect_current()
        window.join(ChannelOptions("room-a", ack=True))
        window.join(ChannelOptions("room-b", broadcast_self=True))
        joined = lambda: all(  # noqa: E731
            ch.status.state is TabState.JOINED for ch in controller.channels.values()
        )
        await until(joined, what="both tabs joined")
        assert not window.reconnect_action.isEnabled()
        assert not controller.reconnect_now()  # connected: nothing to skip

        await server.stop()
        await until(
            lambda: controller.connection.state is LinkState.RECONNECTING, what="reconnecting"
        )
        # The countdown to the next attempt and the shortcut are in the status area.
        text = window.status_widget.text()
        assert re.search(r"reconnecting in \d+ s \(attempt 1\)", text), text
        assert "Reconnect now (Ctrl+Shift+R)" in window.status_widget.toolTip()
        assert window.reconnect_action.isEnabled()
        assert window.reconnect_action.shortcut().toString() == "Ctrl+Shift+R"
        for name in ("room-a", "room-b"):
            await until(lambda n=name: "disconnected" in system_events(controller, n))
        panel = window.panels["room-a"]
        await until(lambda: not panel.model.has_pending())
        save_screenshot(window, "outage-reconnecting")

        restarted = RealtimeServer(ServerConfig(port=port))
        await restarted.start()
        # The schedule says a minute; Reconnect now does not wait for it.
        assert controller.connection.state is LinkState.RECONNECTING
        window.reconnect_action.trigger()
        await until(lambda: controller.connected, timeout=10, what="reconnected now")
        await until(joined, what="both tabs rejoined")
        for name in ("room-a", "room-b"):
            await until(lambda n=name: "rejoined" in system_events(controller, n))
            events = system_events(controller, name)
            assert in_order(events, ["joined", "disconnected", "reconnected", "rejoined"]), events
        reconnected = next(
            r for r in controller.channels["room-a"].log if r.event == "reconnected"
        ).payload_json()
        assert reconnected["after_s"] >= 0
        assert reconnected["attempts"] == 1
        assert not window.reconnect_action.isEnabled()
        await until(lambda: not panel.model.has_pending())
        shown = window.current_panel()
        assert shown is not None
        shown.table.selectRow(shown.proxy.rowCount() - 2)
        save_screenshot(window, "outage-system-rows")

        # Export all tabs: the header line, then the rows with the outage in them.
        path = tmp_path / "all.ndjson"
        window.transfer.ask_path = lambda _t, _f, save, _s="": path if save else None
        window.transfer.export_all_action.trigger()
        await until(lambda: window.transfer.job is not None and not window.transfer.job.running)
        text_out = path.read_text(encoding="utf-8")
        assert server.anon_key not in text_out
        lines = [json.loads(line) for line in text_out.splitlines()]
        header = lines[0]
        assert header["type"] == "header"
        assert header["version"] == __version__
        assert header["profile_url"] == server.url
        assert [c["name"] for c in header["channels"]] == ["room-a", "room-b"]
        assert header["channels"][0]["ack"] is True
        assert header["channels"][1]["self"] is True
        times = [line["time"] for line in lines[1:]]
        assert header["time_first"] == min(times)
        assert header["time_last"] == max(times)
        assert header["rows"] == len(lines) - 1
        for name in ("room-a", "room-b"):
            exported = [
                line["event"]
                for line in lines[1:]
                if line["channel"] == name and line["direction"] == "system"
            ]
            assert in_order(exported, ["joined", "disconnected", "reconnected", "rejoined"])

        # The new file imports: the header is read, the rows come back.
        result = import_lines(text_out.splitlines())
        assert result.errors == []
        assert result.header is not None
        assert result.header["profile_url"] == server.url
        assert result.channels() == ["room-a", "room-b"]
        assert len(result.records) == len(lines) - 1
    finally:
        await controller.shutdown()
        if restarted is not None:
            await restarted.stop()
        else:
            await server.stop()


async def test_reconnect_now_after_a_failed_first_attempt_connects(qtbot: Any) -> None:
    """Nothing listens yet: the first attempt fails and the window says why; once the server
    is up, Reconnect now (Ctrl+Shift+R) connects."""
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    port, key, url = server.port, server.anon_key, server.url
    await server.stop()
    controller = InspectorController(client_factory=slow_backoff_client)
    window = MainWindow(controller, restore_tabs=False)
    qtbot.addWidget(window)
    window.show()
    restarted = RealtimeServer(ServerConfig(port=port))
    try:
        window.add_session_profile(Profile("local", "Local", url), key)
        window.connect_current()
        await until(
            lambda: (
                controller.connection.state is LinkState.DISCONNECTED
                and bool(controller.connection.reason)
            ),
            what="first attempt failed",
        )
        assert window.reconnect_action.isEnabled()
        await restarted.start()
        window.reconnect_action.trigger()
        await until(lambda: controller.connected, what="connected")
    finally:
        await controller.shutdown()
        await restarted.stop()
