"""The Frames dock against the real local server and a realtime-js peer (issue #5 §1, §7).

One scenario: open View → Frames, connect with a user token, join a channel. The dock shows the
handshake (URL with the key redacted), the 101 response, our ``phx_join`` (its access token
redacted) and the server's ``phx_reply`` with the same ref; the binary kind-4 frame realtime-js
makes the server send is shown decoded with annotated hex; the filters, Pause and Reveal work;
closing the dock hides secrets again; Disconnect adds a close row. No secret reaches any cell,
the detail pane or the counts, unless revealed on purpose.
"""

from __future__ import annotations

import time

import pytest
from gui_helpers import js_subscribed, save_screenshot, until
from peers import PeerPool
from PySide6.QtCore import Qt

from inspector.protocol import jwt
from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, Profile, TabState
from inspector.store.frames.frames import CLOSE, CONNECTION, IN, OPEN, OUT, FrameRow
from inspector.ui.frames.frames_model import COL_EVENT, COL_REF, COL_TOPIC
from inspector.ui.frames.frames_panel import FramesPanel
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.interop]


def cells(panel: FramesPanel) -> str:
    """Every cell of the frames table as shown, plus the detail and the counts."""
    proxy = panel.proxy
    out = [panel.detail_text(), panel.counts_label.text()]
    for row in range(proxy.rowCount()):
        for col in range(proxy.columnCount()):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = proxy.data(proxy.index(row, col), role)
                if value is not None:
                    out.append(str(value))
    return "\n".join(out)


def shown(panel: FramesPanel) -> list[FrameRow]:
    frames = [panel.proxy.frame_at(row) for row in range(panel.proxy.rowCount())]
    return [f for f in frames if f is not None]


async def test_frames_dock_shows_join_and_reply_with_secrets_redacted(
    server: RealtimeServer, peers: PeerPool, window: MainWindow
) -> None:
    controller = window.controller
    dock = window.frames_dock
    assert not dock.isVisible()  # hidden until asked for
    view_actions = [a.text() for a in window.view_menu.actions()]
    assert "&Frames" in view_actions
    dock.toggleViewAction().trigger()
    assert dock.isVisible()
    panel = dock.panel
    token = jwt.sign(
        {"role": "authenticated", "sub": "user-1", "exp": int(time.time()) + 3600},
        jwt.CLI_DEV_SECRET,
    )
    key = server.anon_key
    window.add_session_profile(Profile("frames", "Local", server.url), key, token)
    assert window.connect_current() is None
    assert window.join(ChannelOptions("room-1")) is None
    await until(
        lambda: controller.channels["room-1"].status.state is TabState.JOINED,
        what="joined",
    )
    log = controller.frames

    def reply_seen() -> bool:
        return any(f.summary().event == "phx_reply" for f in log)

    await until(reply_seen, what="the join reply frame")
    panel.model.flush()
    frames = list(log)
    # The handshake request and response come first, as rows of their own.
    request, response = frames[0], frames[1]
    assert (request.direction, request.opcode) == (OUT, OPEN)
    assert request.shown_text().startswith("GET ws://127.0.0.1:")
    assert "apikey=[redacted]" in request.shown_text()
    assert (response.direction, response.opcode) == (IN, OPEN)
    assert "HTTP 101" in response.shown_text()
    join = next(f for f in frames if f.summary().event == "phx_join")
    reply = next(f for f in frames if f.summary().event == "phx_reply")
    js, rs = join.summary(), reply.summary()
    assert (join.direction, reply.direction) == (OUT, IN)
    assert (js.topic, js.kind) == ("realtime:room-1", "v2 array")
    assert (rs.ref, rs.join_ref, rs.status) == (js.ref, js.join_ref, "ok")
    assert frames.index(join) < frames.index(reply)

    # The table shows them with topic, event and ref columns.
    row = panel.proxy.mapFromSource(panel.model.index(panel.model.row_of(reply) or 0, 0)).row()
    assert panel.proxy.index(row, COL_TOPIC).data() == "realtime:room-1"
    assert panel.proxy.index(row, COL_EVENT).data() == "phx_reply ok"
    assert panel.proxy.index(row, COL_REF).data() == js.ref

    # The join's detail: decoded, the access token redacted.
    assert panel.select_frame(join)
    detail = panel.detail_text()
    assert "Decoded:" in detail
    assert '"event": "phx_join"' in detail
    assert '"access_token": "[redacted]"' in detail
    leaked = key in cells(panel) or token in cells(panel)  # a bool: never printed
    assert not leaked

    # Reveal on purpose: this view shows the token and the key; closing the dock ends it.
    panel.reveal_check.setChecked(True)
    revealed = token in panel.detail_text()  # a bool, never printed
    assert revealed
    assert panel.select_frame(request)
    revealed = key in panel.detail_text()
    assert revealed
    dock.toggleViewAction().trigger()
    assert not dock.isVisible()
    assert not panel.reveal_check.isChecked()
    assert not panel.model.reveal
    dock.toggleViewAction().trigger()
    leaked = key in cells(panel) or token in cells(panel)
    assert not leaked

    # realtime-js sends; the server fans out a binary kind-4 frame: decoded + annotated hex.
    js_peer = await js_subscribed(peers, server, "room-1")
    await js_peer.call("send", channel="a", event="from-js", payload={"n": 1})

    def binary_seen() -> FrameRow | None:
        return next((f for f in log if f.opcode == "binary"), None)

    await until(lambda: binary_seen() is not None, what="the kind-4 frame")
    panel.model.flush()
    binary = binary_seen()
    assert binary is not None
    assert binary.summary().kind == "kind 4 user broadcast"
    assert binary.summary().event == "from-js"
    assert panel.select_frame(binary)
    detail = panel.detail_text()
    assert "Annotated hex (§2.3):" in detail
    assert "kind = 4 (user broadcast, server → client)" in detail
    assert 'topic = "realtime:room-1"' in detail
    assert '"payload": {\n    "n": 1\n  }' in detail

    # Filters: direction, channel (the connection's rows apart), text.
    panel.direction_combo.setCurrentIndex(panel.direction_combo.findData(IN))
    assert shown(panel)
    assert all(f.direction == IN for f in shown(panel))
    panel.direction_combo.setCurrentIndex(0)
    panel.channel_combo.select_channel("room-1")
    assert {f.summary().topic for f in shown(panel)} == {"realtime:room-1"}
    panel.channel_combo.select_channel(CONNECTION)
    assert request in shown(panel)
    assert join not in shown(panel)
    panel.channel_combo.select_channel("")
    panel.filter_edit.setText("from-js")
    panel.apply_filter()
    assert shown(panel) == [binary]
    panel.filter_edit.setText("")
    panel.apply_filter()
    assert len(shown(panel)) == len(log)
    assert f"{len(log):,} shown" in panel.counts_label.text()

    dock.setMinimumHeight(400)  # a taller dock for the picture
    panel.splitter.setSizes([700, 560])
    assert panel.select_frame(binary)
    panel.detail.verticalScrollBar().setValue(panel.detail.verticalScrollBar().maximum())
    save_screenshot(window, "frames")
    dock.setMinimumHeight(0)

    # Pause holds new frames with a count; Resume shows them.
    panel.pause_button.click()
    before = panel.proxy.rowCount()
    await js_peer.call("send", channel="a", event="while-paused", payload={"n": 2})
    await until(lambda: log.pending_count >= 1, what="a frame held while paused")
    panel.model.flush()
    assert panel.proxy.rowCount() == before
    assert panel.pause_button.text() == "Resume"
    assert "new" in panel.counts_label.text()
    panel.pause_button.click()
    panel.model.flush()
    assert any(f.summary().event == "while-paused" for f in shown(panel))

    # The server closes the socket: a close row with its code and reason, then the
    # reconnect's handshake rows.
    await server.close_all(1001, "going away")
    await until(lambda: any(f.opcode == CLOSE for f in log), what="the server's close row")
    closing = next(f for f in log if f.opcode == CLOSE)
    assert (closing.direction, closing.shown_text()) == (IN, "socket closed: 1001 (going away)")
    await until(lambda: controller.connected, what="reconnected")
    after = [f for f in log if f.seq > closing.seq]
    assert [(f.direction, f.opcode) for f in after[:2]] == [(OUT, OPEN), (IN, OPEN)]

    # Disconnect: our close is a row too.
    window.toggle_connection()
    await until(lambda: log[len(log) - 1].opcode == CLOSE, what="our close row")
    ours = log[len(log) - 1]
    assert (ours.direction, ours.shown_text()) == (OUT, "1000 (client closed)")

    # Clear empties the view.
    panel.clear()
    panel.model.flush()
    assert panel.proxy.rowCount() == 0
    assert len(log) == 0


async def test_refused_handshake_shows_the_http_status(
    server: RealtimeServer, window: MainWindow
) -> None:
    controller = window.controller
    forged = jwt.sign({"role": "anon", "exp": int(time.time()) + 60}, "not-the-secret" * 3)
    window.add_session_profile(Profile("bad", "Bad key", server.url), forged)
    window.connect_current()
    log = controller.frames
    await until(lambda: any(f.opcode == CLOSE for f in log), what="the refusal row")
    closing = next(f for f in log if f.opcode == CLOSE)
    text = closing.shown_text()
    assert closing.direction == IN
    assert "HTTP 401" in text
    assert "Failed to validate JWT signature" in text
    leaked = forged in "".join(f.shown_text() for f in log)
    assert not leaked
