"""Issue #10 items 17 and 18 against the real local server.

17: a user token minted by ``inspector.protocol.jwt`` with a generous ``exp``; the window's wall
clock is moved (an injected clock), never the token's margin. From 5 minutes before ``exp`` the
status area counts down; when the server closes the tabs for an expired token (its watchdog's
frames, §7.4) they show closed with the reason, the toolbar no longer shows a green
"connected", and *Update token* pushes ``access_token`` to every joined channel and rejoins the
closed ones.

18: a private channel under the server's rules file: an anon join says a user token or another
key is needed and where to set it; a write the rules do not grant is dropped silently by the
server, and the timed-out row explains that (from the result's timed-out status).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import save_screenshot, until

from inspector.protocol import jwt
from inspector.server import RealtimeServer, ServerConfig
from inspector.store import ChannelOptions, Preferences, Profile, SendState, TabState
from inspector.ui.common import theme
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow
from inspector.ui.open_channel import SendRequest
from inspector.ui.profiles.secrets import ACCESS_TOKEN

pytestmark = pytest.mark.gui

HOUR = 3600.0


def user_token(server: RealtimeServer, exp: float, role: str = "authenticated") -> str:
    return jwt.sign({"role": role, "sub": "user-1", "exp": int(exp)}, server.config.jwt_secret)


def make_window(qtbot: Any, controller: InspectorController) -> MainWindow:
    window = MainWindow(controller, restore_tabs=False)
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.show()
    return window


async def test_token_countdown_expiry_and_update_token(qtbot: Any) -> None:
    skew = [0.0]
    controller = InspectorController(wall_clock=lambda: time.time() + skew[0])
    window = make_window(qtbot, controller)
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    try:
        exp = time.time() + HOUR
        profile = Profile("local", "Local", server.url)
        window.add_session_profile(profile, server.anon_key, user_token(server, exp))
        window.connect_current()
        for name in ("room", "lobby", "stay"):
            window.join(ChannelOptions(name))
        await until(
            lambda: all(c.status.state is TabState.JOINED for c in controller.channels.values()),
            what="three tabs joined",
        )
        window._tick()
        assert "token" not in window.status_widget.text()  # an hour left: nothing to say
        assert not window.update_token_tool.isVisible()
        assert controller.token_exp == int(exp)

        # 200 s before exp (the window's clock moved): a countdown, and Update token offered.
        skew[0] = int(exp) - time.time() - 200
        window._tick()
        text = window.status_widget.text()
        assert "token expires in 3:2" in text, text  # 3:20 or 3:19 as the second turns
        assert window.update_token_tool.isVisible()
        assert window.update_token_action.shortcut().toString() == "Ctrl+Shift+U"
        save_screenshot(window, "token-expires-soon")

        # The server's watchdog closes two of the tabs (system error then phx_close, §7.4).
        for name in ("room", "lobby"):
            message = "Token has expired 3 seconds ago"
            system = {"extension": "system", "status": "error", "message": message}
            assert server.inject(f"realtime:{name}", system, event="system") == 1
            assert server.inject(f"realtime:{name}", {}, event="phx_close") == 1
        await until(
            lambda: all(
                controller.channels[n].status.state is TabState.CLOSED for n in ("room", "lobby")
            ),
            what="closed by the server",
        )
        for name in ("room", "lobby"):
            state = window.panels[name].state_label.text()
            assert "closed: token expired (Token has expired 3 seconds ago)" in state
            assert "Update token" in state
            events = [r.event for r in controller.channels[name].log]
            assert "token expired" in events
        text = window.status_widget.text()
        assert "connected" in text
        assert "token expired: 2 tabs closed" in text
        window.tabs.setCurrentWidget(window.panels["room"])
        await until(lambda: not window.panels["room"].model.has_pending())
        save_screenshot(window, "token-expired-tabs-closed")
        assert "color:#" in text
        assert theme.colors().ok.name() not in text  # no green "connected" any more
        assert theme.colors().error.name() in text

        # Update token: a fresh token is pushed to the joined tab and the closed ones rejoin.
        dialog = window.open_update_token()
        assert dialog is not None
        dialog.token_edit.setPlainText("sb_secret_abc")
        assert dialog.problem() is not None  # a key is not a user token
        expired = user_token(server, time.time() - 10)
        dialog.token_edit.setPlainText(expired)
        assert dialog.problem() == "This token has already expired."
        new_exp = int(time.time() + 2 * HOUR)
        fresh = user_token(server, new_exp)
        dialog.token_edit.setPlainText(fresh)
        assert dialog.problem() is None
        assert "role authenticated" in dialog.info.text()
        save_screenshot(dialog, "update-token-dialog")
        dialog.accept()
        await until(
            lambda: all(c.status.state is TabState.JOINED for c in controller.channels.values()),
            what="closed tabs rejoined",
        )
        conn = server.sockets[0].conn
        # Every channel now runs on the new token: the rejoined ones joined with it, the one
        # that stayed joined got it as access_token (its watchdog moved to the new exp).
        await until(
            lambda: all(
                conn.channels[f"realtime:{n}"].token_exp == new_exp
                for n in ("room", "lobby", "stay")
            ),
            what="the server holds the new token everywhere",
        )
        assert window.secrets.get(profile.id, ACCESS_TOKEN) == fresh  # kept for this session
        window._tick()
        assert "token" not in window.status_widget.text()
        assert not window.update_token_tool.isVisible()
        for name in ("room", "stay"):
            events = [r.event for r in controller.channels[name].log]
            assert "token updated" in events
        assert "rejoined" in [r.event for r in controller.channels["room"].log]
        text_all = "".join(r.payload.decode() for r in controller.channels["room"].log)
        assert fresh not in text_all
    finally:
        await controller.shutdown()
        await server.stop()


RULES = """
[[allow]]
channels = ["vault"]
roles = ["authenticated"]
can = ["read"]
"""


async def test_private_channel_refusal_and_silent_drop_are_explained(
    qtbot: Any, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    server = RealtimeServer(ServerConfig(port=0, rules=rules))
    await server.start()
    anon = InspectorController()
    window = make_window(qtbot, anon)
    try:
        # Anon key only: the join is refused, and the tab says what would let it in.
        window.add_session_profile(Profile("anon", "Anon", server.url), server.anon_key)
        window.connect_current()
        window.join(ChannelOptions("vault", private=True))
        await until(lambda: anon.channels["vault"].status.state is TabState.ERRORED)
        reason = anon.channels["vault"].status.reason or ""
        assert reason.startswith("Unauthorized: You do not have permissions to read")
        assert "needs a user token" in reason
        assert "Profiles" in reason
        assert "needs a user token" in window.panels["vault"].state_label.text()
        save_screenshot(window.panels["vault"], "private-join-refused")
    finally:
        await anon.shutdown()

    # A user token that may read but not write: the server drops the write without a reply.
    prefs = Preferences(push_timeout_s=1.0)
    user = InspectorController(prefs)
    window2 = make_window(qtbot, user)
    window2.settings.save_preferences(prefs)
    user.set_preferences(prefs)
    try:
        token = user_token(server, time.time() + HOUR)
        window2.add_session_profile(Profile("user", "User", server.url), server.anon_key, token)
        window2.connect_current()
        window2.join(ChannelOptions("vault", private=True, ack=True))
        window2.join(ChannelOptions("open", ack=True))
        await until(
            lambda: all(c.status.state is TabState.JOINED for c in user.channels.values()),
            what="joined with the user token",
        )
        dropped = user.send("vault", SendRequest("note", b'{"x":1}'))
        answered = user.send("open", SendRequest("note", b'{"x":1}'))
        assert dropped is not None
        assert answered is not None
        await until(lambda: dropped.send is not None and dropped.send.state is SendState.TIMED_OUT)
        await until(lambda: answered.send is not None and answered.send.state is SendState.OK)
        status = dropped.status_text()
        assert status.startswith("timed out: no reply: the server drops writes")
        assert "private channel" in status
        panel = window2.panels["vault"]
        await until(lambda: not panel.model.has_pending())
        panel.table.selectRow(panel.proxy.rowCount() - 1)
        assert "drops writes" in panel.detail.subtitle.text()
        save_screenshot(panel, "private-write-dropped")
    finally:
        await user.shutdown()
        await server.stop()
