"""The presence panel with the real window, controller and local server, and two realtime-js
peers (issue #5 §3, §7): both keys show, then one after a leave; an update reads as an update;
the inspector is never present unless it tracks, and Track/Untrack reach the peers."""

from __future__ import annotations

import pytest
from gui_helpers import WindowOptions, js_subscribed, save_screenshot, until
from interop_helpers import joined_socket
from peers import Peer, PeerPool

from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, Profile
from inspector.store.presence.presence_roster import OwnState, TimelineKind
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.interop]


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1280, 800))


async def member(peers: PeerPool, server: RealtimeServer, key: str) -> Peer:
    return await js_subscribed(
        peers, server, "lobby", config={"presence": {"key": key}}, listen={"presence": True}
    )


async def test_roster_timeline_and_own_presence_with_two_realtime_js_peers(
    window: MainWindow, server: RealtimeServer, peers: PeerPool
) -> None:
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)
    assert window.connect_current() is None
    assert window.join(ChannelOptions("lobby")) is None
    c = window.controller
    await until(lambda: c.channels["lobby"].status.state.value == "joined", what="joined")
    panel = window.panels["lobby"]
    pp = panel.presence_panel
    panel.presence_button.click()
    assert pp.state_label.text().startswith("Presence is off")
    pp.listen_button.click()  # rejoin with presence on; no key, no tracking
    roster = c.channels["lobby"].presence
    await until(lambda: roster.live, what="presence_state after the rejoin")
    assert roster.keys() == []

    ada = await member(peers, server, "ada")
    bob = await member(peers, server, "bob")
    assert await ada.call("track", channel="a", meta={"name": "Ada"}) == "ok"
    assert await bob.call("track", channel="a", meta={"name": "Bob"}) == "ok"
    await until(lambda: sorted(roster.keys()) == ["ada", "bob"], what="ada and bob present")
    # realtime-js sees exactly the two of them: the inspector listens but is not present.
    state = await ada.call("presenceState", channel="a")
    assert sorted(state) == ["ada", "bob"]
    await until(lambda: pp.roster_model.keys() == ["ada", "bob"], what="roster table")

    # An update of Ada's payload is one presence changing (leave + join on the wire).
    assert await ada.call("track", channel="a", meta={"name": "Ada", "away": True}) == "ok"
    await until(
        lambda: any(e.kind is TimelineKind.UPDATE and e.key == "ada" for e in roster.timeline),
        what="ada's update",
    )
    ada_entry = roster.get("ada")
    assert ada_entry is not None
    assert [m.get("away") for m in ada_entry.metas] == [True]
    assert not any(e.kind is TimelineKind.LEAVE and e.key == "ada" for e in roster.timeline)

    # Bob leaves the channel: one key left.
    assert await bob.call("unsubscribe", channel="a") == "ok"
    await until(lambda: roster.keys() == ["ada"], what="bob gone")
    assert any(e.summary == "bob left" for e in roster.timeline)

    # Track the inspector on purpose: Ada sees it; Untrack: Ada sees it leave.
    mark = ada.mark()
    pp.payload_edit.setText('{"name": "inspector", "role": "qa"}')
    pp.track_button.click()
    # Ada's own update (a join on the wire) can still be on its way to Ada's peer: wait for the
    # join that carries the inspector, not merely the next join.
    joined = await ada.expect(
        lambda e: [p.get("name") for p in e["presences"]] == ["inspector"],
        ev="presence",
        channel="a",
        kind="join",
        after=mark,
    )
    await until(lambda: roster.own.state is OwnState.TRACKED, what="track ok")
    await until(lambda: len(roster.keys()) == 2, what="inspector in the roster")
    await until(lambda: roster.own.key == joined["key"], what="own key spotted by payload")
    await until(lambda: not pp._timer.isActive(), what="panel refreshed")
    labels = [pp.roster_model.data(pp.roster_model.index(r, 0)) for r in range(2)]
    assert labels == ["ada", f"{joined['key']} (you)"]
    assert pp.own_label.text().startswith(f"Tracking as {joined['key']}")
    update_row = next(
        r
        for r in range(pp.timeline_model.rowCount())
        if pp.timeline_model.entry_at(r).kind is TimelineKind.UPDATE  # type: ignore[union-attr]
    )
    pp.timeline_view.selectRow(update_row)
    assert pp.why_label.text().startswith("Why: An update travels as a leave")
    panel.select_last()
    panel.h_splitter.setSizes([400, 330, 550])
    save_screenshot(window, "presence")
    pp.untrack_button.click()
    left = await ada.expect(
        lambda e: e.get("key") == joined["key"], ev="presence", channel="a", kind="leave"
    )
    assert [p.get("name") for p in left["presences"]] == ["inspector"]
    await until(lambda: roster.own.state is OwnState.OFF, what="untrack ok")
    await until(lambda: roster.keys() == ["ada"], what="inspector gone")


async def test_presence_is_tracked_again_after_a_forced_channel_error_and_rejoin(
    window: MainWindow, server: RealtimeServer, peers: PeerPool
) -> None:
    """Issue 10 #25: the server errors the inspector's channel (phx_error, §4.6), which drops
    its presence; the tab rejoins and tracks the same payload again, and realtime-js sees the
    inspector leave and then join again with that payload."""
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)
    assert window.connect_current() is None
    emark = server.events.mark()
    assert window.join(ChannelOptions("lobby", presence_key="insp")) is None
    sid = await joined_socket(server, "lobby", emark)
    c = window.controller
    await until(lambda: c.channels["lobby"].status.state.value == "joined", what="joined")
    roster = c.channels["lobby"].presence
    pp = window.panels["lobby"].presence_panel
    pp.payload_edit.setText('{"name": "inspector"}')
    pp.track_button.click()
    await until(lambda: roster.own.state is OwnState.TRACKED, what="track ok")

    ada = await member(peers, server, "ada")
    assert await ada.call("track", channel="a", meta={"name": "Ada"}) == "ok"
    await until(lambda: roster.get("ada") is not None, what="ada in the inspector's roster")
    state = await ada.call("presenceState", channel="a")
    assert [p.get("name") for p in state["insp"]] == ["inspector"]

    mark = ada.mark()
    assert server.error_channel("realtime:lobby", socket_id=sid) == 1
    left = await ada.expect(ev="presence", channel="a", kind="leave", key="insp", after=mark)
    joined = await ada.expect(ev="presence", channel="a", kind="join", key="insp", after=mark)
    assert ada.events.index(left) < ada.events.index(joined)
    assert [p.get("name") for p in joined["presences"]] == ["inspector"]
    await until(lambda: roster.own.state is OwnState.TRACKED, what="tracked again")
    await until(lambda: sorted(roster.keys()) == ["ada", "insp"], what="both in the roster")
    state = await ada.call("presenceState", channel="a")
    assert sorted(state) == ["ada", "insp"]
    assert [p.get("name") for p in state["insp"]] == ["inspector"]
    # Ada leaves while the tab is open: a row for it, nothing raised on the way.
    assert await ada.call("unsubscribe", channel="a") == "ok"
    await until(lambda: roster.keys() == ["insp"], what="ada gone")
