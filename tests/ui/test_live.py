"""The real window, the real controller, the real local server and a realtime-js peer.

One scenario walks the issue's steps in order (issue #4 §7): create a profile, connect, join
two tabs, receive from realtime-js into the right tab, send with ack and see the row turn ok,
turn self on and see the echo, invalid JSON blocks Send, stop the server (reconnecting, rows
stay), restart it (both tabs rejoin). Other tests: a wrong key shows the 401 reason; a refused
private join shows the server's reason and the retry countdown.
"""

from __future__ import annotations

import json

import pytest
from gui_helpers import WindowOptions, js_subscribed, until
from peers import PeerPool

from inspector.protocol import jwt
from inspector.server import RealtimeServer, ServerConfig
from inspector.store import ChannelOptions, Direction, LinkState, SendState, TabState
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.interop]


@pytest.fixture
def window_options() -> WindowOptions:
    """Saved tabs are restored on connect, as in the app."""
    return WindowOptions(restore_tabs=True)


def ctl(window: MainWindow) -> InspectorController:
    assert isinstance(window.controller, InspectorController)
    return window.controller


def create_profile(window: MainWindow, url: str, key: str) -> None:
    """Through the Profiles dialog, as a user would, ending with its Connect button."""
    dialog = window.open_profiles()
    dialog.name_edit.setText("Local")
    dialog.url_edit.setText(url)
    dialog.key_field.setText(key)
    assert dialog.connect_button.isEnabled()
    dialog.connect_button.click()


async def connect_through_profiles(
    window: MainWindow, server: RealtimeServer
) -> InspectorController:
    """A profile for ``server`` made in the Profiles dialog, connected; returns the controller."""
    c = ctl(window)
    create_profile(window, server.url, server.anon_key)
    await until(lambda: c.connected, what="connected")
    return c


async def test_a_pasted_dashboard_url_connects_without_editing_finished(
    window: MainWindow, server: RealtimeServer
) -> None:
    """QA 15: the URL field set without its editing-finished signal (so the dialog never
    rewrote it) still connects to the normalized URL, not ``…/project/x/realtime/v1``."""
    c = ctl(window)
    create_profile(window, f"{server.url}/project/abcdefghijklmnopqrst/", server.anon_key)
    await until(lambda: c.connected or bool(c.connection.reason), what="connected or refused")
    assert c.connected, c.connection.reason
    assert c.profile is not None
    assert c.profile.url == server.url


async def test_sends_made_while_an_option_change_rejoins_reach_the_server(
    window: MainWindow, server: RealtimeServer
) -> None:
    """QA 9: sends clicked right after ack/self changed met the leaving channel and became
    "error: the channel is leaving". They now wait for the new join and go out in order:
    every one is acked by the server and echoed back (self is on after the change)."""
    c = await connect_through_profiles(window, server)
    assert window.join(ChannelOptions("rapid", ack=True)) is None
    await until(lambda: c.channels["rapid"].status.state is TabState.JOINED, what="joined")
    composer = window.panels["rapid"].composer
    composer.event_edit.setText("burst")
    composer.payload_edit.setPlainText('{"before": true}')
    composer.send_button.click()  # in flight (its ack not back yet) when the leave goes out
    composer.self_check.click()  # ack on, self on: leave and join again
    assert c.channels["rapid"].status.state is TabState.JOINING
    for n in range(5):
        composer.payload_edit.setPlainText(json.dumps({"n": n}))
        composer.send_button.click()
    log = c.channels["rapid"].log
    sent = [r for r in log if r.send is not None]
    assert len(sent) == 6
    final = (SendState.OK, SendState.ERROR, SendState.TIMED_OUT)  # "sent" waits for its ack
    await until(
        lambda: all(r.send is not None and r.send.state in final for r in sent),
        what="every send answered",
    )
    assert [r.status_text().split(" ")[0] for r in sent] == ["ok"] * 6, [
        r.status_text() for r in sent
    ]
    await until(lambda: sum(r.direction is Direction.IN for r in log) == 5, what="five self echoes")
    echoes = [r.payload_json() for r in log if r.direction is Direction.IN]
    assert echoes == [{"n": n} for n in range(5)]  # in the order they were sent


async def test_window_against_server_and_realtime_js(
    window: MainWindow, server: RealtimeServer, peers: PeerPool
) -> None:
    c = await connect_through_profiles(window, server)
    # Two tabs: one through the Join dialog, one directly.
    dialog = window.open_join_dialog()
    dialog.name_edit.setText("room-a")
    dialog.ack_check.setChecked(True)
    dialog.accept()
    assert window.join(ChannelOptions("room-b")) is None
    await until(
        lambda: all(s.status.state is TabState.JOINED for s in c.channels.values()),
        what="both tabs joined",
    )
    a, b = window.panels["room-a"], window.panels["room-b"]

    js = await peers.js()
    await js.call("client", id="c", url=server.realtime_url, key=server.anon_key)
    for ch in ("a", "b"):
        await js.call("channel", id=ch, client="c", name=f"room-{ch}", listen={"broadcast": ["*"]})
        await js.call("subscribe", channel=ch)
        await js.expect(ev="status", channel=ch, status="SUBSCRIBED")

    # realtime-js -> the right tab only.
    assert await js.call("send", channel="b", event="from-js", payload={"n": 1}) == "ok"
    await until(
        lambda: (
            not b.model.has_pending()
            and any(r.direction is Direction.IN for r in c.channels["room-b"].log)
        ),
        what="row in room-b",
    )
    row = b.model.record_at(b.model.rowCount() - 1)
    assert row is not None
    assert (row.direction, row.event, row.payload_json()) == (Direction.IN, "from-js", {"n": 1})
    assert all(r.event != "from-js" for r in c.channels["room-a"].log)

    # Send with ack from the composer: the row turns ok with a round trip; js receives it.
    a.composer.event_edit.setText("ping")
    a.composer.payload_edit.setPlainText('{"hello": "js"}')
    a.composer.send_button.click()
    log_a = c.channels["room-a"].log
    await until(
        lambda: any(r.send is not None and r.send.state is SendState.OK for r in log_a),
        what="ack ok",
    )
    sent = next(r for r in log_a if r.send is not None)
    assert sent.send is not None
    assert sent.send.round_trip_ms is not None
    assert sent.status_text().startswith("ok ")
    got = await js.expect(ev="broadcast", channel="a")
    assert got["payload"]["payload"] == {"hello": "js"}

    # Turn self on: the tab rejoins with the new option and says so; the echo comes back.
    a.composer.self_check.click()
    assert "Rejoining “room-a” with ack on, self on" in a.notice_label.text()
    await until(
        lambda: (
            c.channels["room-a"].status.state is TabState.JOINED
            and c.channels["room-a"].options.broadcast_self
        ),
        what="rejoined with self",
    )
    a.composer.payload_edit.setPlainText('{"echo": true}')
    a.composer.send_button.click()
    await until(
        lambda: any(r.direction is Direction.IN and r.payload == b'{"echo":true}' for r in log_a),
        what="self echo",
    )

    # Invalid JSON blocks Send.
    a.composer.payload_edit.setPlainText('{"broken": ')
    assert not a.composer.send_button.isEnabled()
    assert "Invalid JSON" in a.composer.error_label.text()

    # Stop the server: reconnecting, rows stay. Restart on the same port: both tabs rejoin.
    await until(lambda: not a.model.has_pending() and not b.model.has_pending())
    rows_a, rows_b = a.model.rowCount(), b.model.rowCount()
    port = server.port
    await server.stop()
    await until(lambda: c.connection.state is LinkState.RECONNECTING, what="reconnecting")
    assert "reconnecting" in window.status_widget.text()
    assert a.model.rowCount() == rows_a
    assert b.model.rowCount() == rows_b
    assert "connection lost" in a.state_label.text()
    restarted = RealtimeServer(ServerConfig(port=port))
    await restarted.start()
    try:
        await until(lambda: c.connected, timeout=15, what="reconnected")
        await until(
            lambda: all(s.status.state is TabState.JOINED for s in c.channels.values()),
            what="both tabs rejoined",
        )
        assert a.model.rowCount() >= rows_a
        assert "connected" in window.status_widget.text()
    finally:
        await c.shutdown()
        await restarted.stop()


async def test_wrong_key_shows_the_401_reason(window: MainWindow, server: RealtimeServer) -> None:
    c = ctl(window)
    bad = jwt.sign({"role": "anon", "exp": 4_000_000_000}, "not-the-server-secret-" * 2)
    create_profile(window, server.url, bad)
    await until(
        lambda: c.connection.state is LinkState.DISCONNECTED and c.connection.reason,
        what="refused",
    )
    text = window.status_widget.text()
    assert "disconnected: HTTP 401: Failed to validate JWT signature" in text
    assert bad not in text
    assert window.connect_action.text() == "&Connect"


async def test_refused_private_join_shows_reason_and_retry(
    window: MainWindow, server: RealtimeServer
) -> None:
    c = await connect_through_profiles(window, server)
    window.join(ChannelOptions("vault", private=True))
    await until(lambda: c.channels["vault"].status.state is TabState.ERRORED, what="join error")
    status = c.channels["vault"].status
    assert status.reason is not None
    assert status.reason.startswith("Unauthorized: You do not have permissions to read")
    assert status.retry_at is not None
    text = window.panels["vault"].state_label.text()
    assert "errored: Unauthorized" in text
    assert "retrying in" in text


async def test_presence_key_joins_with_presence_and_shows_its_rows(
    window: MainWindow, server: RealtimeServer, peers: PeerPool
) -> None:
    c = await connect_through_profiles(window, server)
    window.join(ChannelOptions("lobby", presence_key="inspector"))
    log = c.channels["lobby"].log
    await until(lambda: any(r.event == "presence_state" for r in log), what="presence_state")
    js = await js_subscribed(
        peers,
        server,
        "lobby",
        channel="l",
        config={"presence": {"key": "ada"}},
        listen={"presence": True},
    )
    await js.call("track", channel="l", meta={"online": True})
    await until(
        lambda: any(
            r.event == "presence_diff" and "ada" in r.payload_json().get("joins", []) for r in log
        ),
        what="presence_diff with ada",
    )


async def test_disconnect_and_connect_again_rejoins_the_tabs(
    window: MainWindow, server: RealtimeServer
) -> None:
    c = await connect_through_profiles(window, server)
    window.join(ChannelOptions("one"))
    window.join(ChannelOptions("two", ack=True))

    def joined() -> bool:
        return all(s.status.state is TabState.JOINED for s in c.channels.values())

    await until(joined, what="joined")
    window.connect_action.trigger()  # Disconnect
    assert c.client is None
    assert window.status_widget.text().endswith("disconnected")
    assert all(s.status.state is TabState.WAITING for s in c.channels.values())
    await until(lambda: not server.sockets, what="the server saw the socket close")
    window.connect_action.trigger()  # Connect again
    await until(lambda: c.connected, what="connected again")
    await until(joined, what="both tabs joined again")


async def test_server_closing_a_channel_shows_its_system_message(
    window: MainWindow, server: RealtimeServer
) -> None:
    """§4.6 "system error then close": the tab says closed, with the server's message."""
    c = await connect_through_profiles(window, server)
    window.join(ChannelOptions("room"))
    await until(lambda: c.channels["room"].status.state is TabState.JOINED, what="joined")
    message = "Token has expired 3 seconds ago"
    system = {"extension": "system", "status": "error", "message": message, "channel": "room"}
    assert server.inject("realtime:room", system, event="system") == 1
    assert server.inject("realtime:room", {}, event="phx_close") == 1
    await until(lambda: c.channels["room"].status.state is TabState.CLOSED, what="closed")
    panel = window.panels["room"]
    assert message in panel.state_label.text()
    await until(lambda: not panel.model.has_pending())
    events = [r.event for r in c.channels["room"].log]
    assert "system" in events
    assert "phx_close" in events
    assert panel.rejoin_button.isEnabled()
    panel.rejoin_button.click()
    await until(lambda: c.channels["room"].status.state is TabState.JOINED, what="rejoined")


async def test_the_tab_event_filter_is_applied_by_the_client(
    window: MainWindow, server: RealtimeServer
) -> None:
    """A tab joined for ``chat*`` gets no record for other events: the client drops them before
    a record is built (issue #9 §3), and the tab counts them once a second."""
    c = await connect_through_profiles(window, server)
    window.join(ChannelOptions("room", events=("chat*",)))
    await until(lambda: c.channels["room"].status.state is TabState.JOINED, what="joined")
    for event in ("cursor", "chat", "typing", "CHAT-2"):
        assert server.publish("room", event, {"e": event}) == 1
    incoming = lambda: [r.event for r in c.channels["room"].log if r.direction is Direction.IN]  # noqa: E731
    await until(lambda: len(incoming()) == 2, what="the two chat broadcasts")
    assert incoming() == ["chat", "CHAT-2"]
    assert c.client is not None
    await until(lambda: c.client.channels["realtime:room"].filtered == 2, what="two refused")
    panel = window.panels["room"]
    window._tick()
    assert c.channels["room"].filtered_out == 2
    assert "2 not matching the tab's events" in panel.counts_label.text()


async def test_a_prefixed_name_joins_the_channel_on_every_path(
    window: MainWindow, server: RealtimeServer
) -> None:
    """Issue #10 item 13 (QA): ``MainWindow.join`` (restored tabs, the demo, scripts), not only
    the join dialog, takes ``realtime:room-2`` as the channel ``room-2``."""
    c = await connect_through_profiles(window, server)
    assert window.join(ChannelOptions("realtime:room-2")) is None
    assert "room-2" in window.panels
    assert "realtime:room-2" not in window.panels
    await until(lambda: c.channels["room-2"].status.state is TabState.JOINED, what="joined")
    assert "realtime:room-2" in server.topics(server.sockets[0].id)
    assert server.publish("room-2", "hello", {"n": 1}) == 1
    await until(
        lambda: any(r.event == "hello" for r in c.channels["room-2"].log), what="the broadcast"
    )
